"""What every report format says the same way, as plain text: a citation's label, a band, the payback
months, the title, when a phase starts, the client's inputs, the link that reopens the assessment and the
file name. :mod:`engine.render.markdown` and :mod:`engine.render.html` escape it for their format.
"""

from __future__ import annotations

import re
import unicodedata

from engine.i18n import catalog, t
from engine.profile import FIELD_CHOICES, MerchantProfile
from engine.result import Band, Recommendation
from engine.sources import parse_cite
from engine.text import amount, invisible, number


def cite_label(cite: str) -> str:
    """``FILE:LINE (outlet, date)`` for a citation."""
    source, _ = parse_cite(cite)
    return f"{cite} ({source.outlet}, {source.published.isoformat()})"


def band_text(band: Band, lang: str, digits: int = 0) -> str:
    """A band as "P50 (P10–P90)" in the report's language and number format."""

    def f(v: float | None) -> str:
        return amount(v, lang, digits)

    return t("report.band", lang, p10=f(band.p10), p50=f(band.p50), p90=f(band.p90))  # type: ignore[arg-type]


def report_title(rec: Recommendation) -> str:
    """The report's title (plain text, escape it for the format): the merchant's name, or, when none was
    given, what the business is ("WeChat commerce plan (Brand · Food)") rather than a dash."""
    lang, p = rec.lang, rec.profile
    name = " ".join(p.name.split())
    if name:
        return t("report.title", lang, name=name)
    return t(
        "report.title_unnamed",
        lang,
        business_type=t(f"enum.business_type.{p.business_type}", lang),
        category=t(f"enum.category.{p.category}", lang),
    )


def start_text(band: Band, lang: str) -> str:
    """When a phase starts: "starts in week 8 (P10–P90: 6–11)"; a start that does not vary is one week,
    week 0 is "at once" (no "P10–P90: 0–0")."""
    if band.p10 == band.p90:
        if not band.p50:
            return t("report.start_now", lang)
        return t("report.start_week_fixed", lang, week=f"{band.p50:g}")
    return t("report.start_week", lang, p10=f"{band.p10:g}", p50=f"{band.p50:g}", p90=f"{band.p90:g}")


def override_name(key: str, lang: str) -> str:
    return t(f"html.override.{key}", lang) if f"html.override.{key}" in catalog(lang) else key  # type: ignore[arg-type]


def assumptions_text(rec: Recommendation) -> str:
    """The assumption set a result used, in its language: the bundled set by name, else its folder. The
    "+ overrides (…)" that engine/overrides.py appends is left out: the reports list the overrides apart."""
    source = rec.assumptions
    marker = " + overrides ("
    if rec.overrides and marker in source and source.endswith(")"):
        source = source.rsplit(marker, 1)[0]
    return t("html.assumptions.bundled", rec.lang) if source == "bundled" else source


def _input_value(rec: Recommendation, field: str, value: object) -> str:
    lang = rec.lang
    if field == "name":
        return " ".join(str(value).split()) or "—"
    if isinstance(value, tuple):
        labels = [t(f"enum.{field}.{v}", lang) for v in value]
        return t("html.list_sep", lang).join(labels) or t("report.inputs.none", lang)
    if field in FIELD_CHOICES:
        return t(f"enum.{field}.{value}", lang)
    if value is None:  # an optional scale field left empty: the value the model estimated
        used = {
            "current_monthly_gmv_cny": rec.scale.current_monthly_gmv_cny,
            "reachable_customers": rec.scale.reachable_customers,
        }.get(field)
        return t("report.inputs.estimated", lang, value=number(used)) if used is not None else "—"
    if isinstance(value, float) and field.endswith("_cny"):
        return number(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def input_rows(rec: Recommendation) -> list[tuple[str, str]]:
    """The client's inputs as (label, value) rows, plain text: every profile field in the form's order,
    then the as-of date, horizon, draws and seed, the overrides and the assumption set."""
    lang = rec.lang
    rows = [
        (t(f"field.{field}.label", lang), _input_value(rec, field, getattr(rec.profile, field)))
        for field in MerchantProfile.model_fields
    ]
    overrides = t("html.list_sep", lang).join(
        f"{override_name(k, lang)} ×{v:g}" for k, v in sorted(rec.overrides.items())
    )
    rows += [
        (t("report.as_of", lang), rec.as_of.isoformat()),
        (t("report.inputs.horizon", lang), t("report.inputs.months", lang, months=rec.value.horizon_months)),
        (t("report.inputs.draws_seed", lang), f"{rec.draws:,} / {rec.seed}"),
        (t("html.overrides", lang), overrides or t("html.overrides.none", lang)),
        (t("html.assumptions", lang), assumptions_text(rec)),
    ]
    return rows


def safe_link(link: str) -> str | None:
    """``link`` if it is an http(s) address that can be printed as it is (no spaces, quotes or angle
    brackets, which a share link percent-encodes), else None."""
    link = link.strip()
    if not re.fullmatch(r"https?://[^\s<>\"'`\\]+", link):
        return None
    return link


_PATH_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def report_filename(rec: Recommendation, ext: str) -> str:
    """``wxplan-<client>-<as-of>-<lang>.<ext>``: the client's name kept (Chinese too) but made safe for a
    file system: no path separators, reserved or invisible characters, spaces as "_", at most 60 characters."""
    name = unicodedata.normalize("NFC", rec.profile.name)
    name = "".join("_" if invisible(ch) else ch for ch in name)
    name = _PATH_CHARS.sub("_", name)
    name = re.sub(r"[\s_]+", "_", name).strip("._ ")[:60].rstrip("._ ")
    parts = ["wxplan", name, rec.as_of.isoformat(), rec.lang]
    return "-".join(p for p in parts if p) + f".{ext}"


def payback_text(band: Band, horizon: int, lang: str) -> str:
    """Payback month as P50 (P10–P90); a percentile beyond the horizon says so."""

    def f(v: float | None) -> str:
        return t("report.beyond_horizon", lang, months=horizon) if v is None else f"{v:g}"

    return t("report.band", lang, p10=f(band.p10), p50=f(band.p50), p90=f(band.p90))
