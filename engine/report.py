"""Render a :class:`Recommendation` as Markdown, in the language it was computed in.

A report is also what a consultant hands a client: besides the result it can carry the consultant's notes
and a link that reopens the assessment (both passed in: they are not part of the result), and it always
lists the client's inputs. The pieces both renderers need (the title, the input rows, a phase's start, the
file name) live here, once; :mod:`engine.report_html` draws the same content as HTML.
"""

from __future__ import annotations

import re
import unicodedata

from engine.i18n import catalog, t
from engine.profile import FIELD_CHOICES, MerchantProfile
from engine.result import Band, Recommendation
from engine.sources import parse_cite
from engine.text import amount, invisible, markdown_text, number


def cite_label(cite: str) -> str:
    """``FILE:LINE (outlet, date)`` for a citation."""
    source, _ = parse_cite(cite)
    return f"{cite} ({source.outlet}, {source.published.isoformat()})"


def _b(band: Band, lang: str, digits: int = 0) -> str:
    def f(v: float | None) -> str:
        return amount(v, lang, digits)

    return t("report.band", lang, p10=f(band.p10), p50=f(band.p50), p90=f(band.p90))  # type: ignore[arg-type]


def to_markdown(rec: Recommendation, *, notes: str = "", link: str = "") -> str:
    """The report as Markdown; ``notes`` (the consultant's, any text) and ``link`` (one that reopens the
    assessment) make it a handover report."""
    lang = rec.lang
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    out: list[str] = [
        f"# {markdown_text(report_title(rec))}",
        "",
    ]  # user text: inert (no HTML, link or heading)
    out.append(f"- {L('report.as_of')}: {rec.as_of.isoformat()}")
    out.append(f"- {L('report.plan')}: **{rec.plan.label}**")
    for ph in rec.plan.phases:
        names = L("html.list_sep").join(rec.modules[m].name for m in ph.modules)
        out.append(f"  - {L('report.phase', phase=ph.phase)}: {names} — {start_text(ph.start_week, lang)}")
    out.append(f"- {L('report.win_probability')}: {rec.win_probability:.0%} ({rec.win_probability_text})")
    if rec.plan.phases:
        out.append(f"- {L('report.phasing_probability')}: {rec.phasing_probability:.0%}")
    if notes.strip():
        out += ["", f"## {L('report.notes')}", "", *markdown_block(notes)]
    out += _value_section(rec)
    out += ["", f"## {L('report.cost')}", "", "| | P50 (P10–P90) |", "|---|---|"]
    out.append(f"| {L('report.setup')} ({t('unit.CNY', lang)}) | {_b(rec.cost_cny.setup, lang)} |")
    out.append(f"| {L('report.monthly')} ({t('unit.CNY/month', lang)}) | {_b(rec.cost_cny.monthly, lang)} |")
    out.append(f"| {L('report.first_year')} ({t('unit.CNY', lang)}) | {_b(rec.cost_cny.first_year, lang)} |")
    orders = _b(rec.break_even_orders_per_month, lang)
    out.append(
        f"| {L('report.break_even')} ({t('unit.CNY/month', lang)}) | {_b(rec.break_even_gmv_cny, lang)}; "
        f"{L('report.break_even_orders', orders=orders)} |"
    )
    out += ["", f"## {L('report.ramp')}", ""]
    out.append(f"- {L('report.operational')}: {_b(rec.ramp_weeks.operational, lang, 1)}")
    out.append(f"- {L('report.steady_state')}: {_b(rec.ramp_weeks.steady_state, lang, 1)}")
    s = rec.staffing
    out += ["", f"## {L('report.staffing')}", ""]
    out.append(f"- {L('report.required')}: {_b(s.required_band, lang, 1)}")
    out.append(f"- {L('report.available')}: {s.available_fte:g}")
    out.append(f"- {L('report.hires')}: {_b(s.hires_band, lang, 1)}")
    out.append(f"- {L('report.shortfall')}: {s.shortfall_fte:.1f}")
    if rec.warnings:
        out += ["", f"## {L('report.warnings')}", ""]
        for w in rec.warnings:
            cites = f" [{'; '.join(w.sources)}]" if w.sources else ""
            out.append(f"- {w.text}{cites}")
    out += ["", f"## {L('report.modules')}", ""]
    for m in rec.modules.values():
        phase = (
            f" ({L('report.phase', phase=m.phase)}, {L('report.level', level=t('level.' + m.operating_level, lang))})"
            if m.phase
            else ""
        )
        out.append(f"### {m.name}: {t('verdict.' + m.verdict, lang)}{phase}")
        if m.gmv_monthly_steady_cny is not None:
            out.append("")
            out.append(f"{L('report.module_gmv')}: {_b(m.gmv_monthly_steady_cny, lang)}")
        out.append("")
        out.append(m.decision)
        out.append("")
        for reason in m.reasons:
            effect = f" *({reason.effect})*" if reason.effect else ""
            out.append(f"- **{reason.label}**{effect}: {reason.text}")
            out.append(f"  - {L('report.sources')}: {'; '.join(cite_label(c) for c in reason.sources)}")
        out.append("")
    if rec.counterfactuals:
        out += [f"## {L('report.counterfactuals')}", ""]
        for c in rec.counterfactuals:
            if c.effects:
                out.append(f"- {c.change}: {'; '.join(c.effects)} → {c.plan}")
            elif c.plan:
                out.append(f"- {c.change} → {c.plan}")
            else:  # "none of the changes tried changes the plan": a sentence, no arrow
                out.append(f"- {c.change}")
        out.append("")
    if rec.alternatives:
        out += [
            f"## {L('report.alternatives')}",
            "",
            f"| {L('html.plan_column')} | {L('report.net_first_year')} | {L('report.payback')} | "
            f"{L('report.first_year')} | {L('report.operational')} | {L('report.shortfall')} | {L('report.score')} | "
            f"{L('report.set_win')} |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for a in rec.alternatives:
            out.append(
                f"| {a.plan.label} | {_b(a.net_cny_first_year, lang)} | {_payback(a.payback_months, rec.value.horizon_months, lang)} | "
                f"{_b(a.cost_cny.first_year, lang)} | {_b(a.ramp_weeks.operational, lang, 1)} | "
                f"{a.shortfall_fte:g} | {a.mean_score:.3f} | {a.win_probability:.0%} |"
            )
        out.append("")
    if rec.items:
        out += [
            f"## {L('report.items')}",
            "",
            f"| {L('report.module')} | {L('report.item')} | {L('report.kind')} | {L('report.unit')} | P10 | P50 | P90 |",
            "|---|---|---|---|---|---|---|",
        ]
        for i in rec.items:
            module = rec.modules[i.module].name if i.module else "—"
            out.append(
                f"| {module} | {i.label} | {t('kind.' + i.kind, lang)} | {t('unit.' + i.unit, lang)} | "
                f"{number(i.p10)} | {number(i.p50)} | {number(i.p90)} |"
            )
        out.append("")
    out += [
        f"## {L('report.inputs')}",
        "",
        f"| {L('report.inputs.field')} | {L('report.inputs.value')} |",
        "|---|---|",
    ]
    out += [f"| {markdown_text(label)} | {markdown_text(value)} |" for label, value in input_rows(rec)]
    out.append("")
    url = safe_link(link)
    if url:
        out += [f"**{L('report.reopen')}**: {L('report.reopen_help')}", "", f"<{url}>", ""]
    out.append(f"_{L('report.method', draws=rec.draws, seed=rec.seed)}_")
    out.append("")
    out.append(f"_{L('report.assumptions', source=markdown_text(assumptions_text(rec)))}_")
    return "\n".join(out) + "\n"


# --- pieces both renderers use -------------------------------------------------------------------


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


_ORDERED_ITEM = re.compile(r"^(\d+)([.)])")


def markdown_block(text: str) -> list[str]:
    """A user's multi-line text as literal Markdown lines: each line inert (:func:`markdown_text`), a line
    that would start a list kept as text, line breaks kept and blank lines separating paragraphs."""
    out: list[str] = []
    for raw in text.strip().splitlines():
        line = markdown_text(raw.strip())
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        if line[0] in "-+=":
            line = "\\" + line
        line = _ORDERED_ITEM.sub(r"\1\\\2", line)
        if out and out[-1]:
            out[-1] += "  "  # a hard line break: the note keeps its lines
        out.append(line)
    return out


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


def _payback(band: Band, horizon: int, lang: str) -> str:
    """Payback month as P50 (P10–P90); a percentile beyond the horizon says so."""

    def f(v: float | None) -> str:
        return t("report.beyond_horizon", lang, months=horizon) if v is None else f"{v:g}"

    return t("report.band", lang, p10=f(band.p10), p50=f(band.p50), p90=f(band.p90))


def _value_section(rec: Recommendation) -> list[str]:
    """What the plan earns back: the money a merchant can check, first."""
    lang = rec.lang
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    v = rec.value
    h = v.horizon_months
    out = ["", f"## {L('report.value')}", "", "| | P50 (P10–P90) |", "|---|---|"]
    out.append(f"| {L('report.net_first_year')} ({t('unit.CNY', lang)}) | {_b(v.net_cny.first_year, lang)} |")
    if h != 12:
        out.append(
            f"| {L('report.net_horizon', months=h)} ({t('unit.CNY', lang)}) | {_b(v.net_cny.horizon, lang)} |"
        )
    out.append(f"| {L('report.payback')} | {_payback(v.payback_months, h, lang)} |")
    out.append(f"| {L('report.p_payback', months=h)} | {v.p_payback_within_horizon:.0%} |")
    out.append(f"| {L('report.roi')} | {_b(v.roi_first_year, lang, 2)} |")
    out.append(
        f"| {L('report.gmv_steady')} ({t('unit.CNY/month', lang)}) | {_b(v.gmv_monthly_steady_cny, lang)} |"
    )
    out.append(
        f"| {L('report.gross_profit')} ({t('unit.CNY', lang)}) | {_b(v.gross_profit_cny.first_year, lang)} |"
    )
    out.append(
        f"| {L('report.cost_first_year')} ({t('unit.CNY', lang)}) | {_b(v.cost_cny.first_year, lang)} |"
    )
    sc = rec.scale
    inferred = L("report.inferred")
    out += [
        "",
        L(
            "report.scale_line",
            gmv=number(sc.current_monthly_gmv_cny),
            gmv_note=inferred if sc.gmv_inferred else "",
            reach=number(sc.reachable_customers),
            reach_note=inferred if sc.reach_inferred else "",
        ),
        "",
        f"_{L('report.estimates_note')}_",
    ]
    if v.cashflow:
        out += [
            "",
            f"### {L('report.cashflow')}",
            "",
            f"| {L('report.month')} | {L('report.month_cost')} | {L('report.month_profit')} | {L('report.cumulative')} |",
            "|---|---|---|---|",
        ]
        for c in v.cashflow:
            out.append(
                f"| {c.month} | {number(c.cost.p50)} | {number(c.gross_profit.p50)} | {_b(c.cumulative_net, lang)} |"
            )
    return out
