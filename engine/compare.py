"""Side-by-side comparison of several results (scenarios, profiles, or one profile under variants)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from engine.i18n import Lang, t
from engine.profile import MODULES
from engine.result import Band, Recommendation
from engine.text import markdown_text

MIN_ITEMS, MAX_ITEMS = 2, 6


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CompareRow(_Out):
    """One line of the comparison: a label and each column's value, and whether the columns differ."""

    key: str
    label: str
    values: list[str]
    differs: bool


class Comparison(_Out):
    lang: Lang
    labels: list[str]
    rows: list[CompareRow]
    results: list[Recommendation]


def _band(band: Band, digits: int = 0) -> str:
    def f(v: float | None) -> str:
        return "—" if v is None else f"{v:,.{digits}f}"

    return f"{f(band.p50)} ({f(band.p10)}–{f(band.p90)})"


def _payback(band: Band, horizon: int, lang: Lang) -> str:
    """Payback month as P50 (P10–P90); a percentile beyond the horizon says so."""

    def f(v: float | None) -> str:
        return t("report.beyond_horizon", lang, months=horizon) if v is None else f"{v:g}"

    return f"{f(band.p50)} ({f(band.p10)}–{f(band.p90)})"


def compare(items: list[tuple[str, Recommendation]], lang: Lang = "zh") -> Comparison:
    """Line up 2–6 results; rows whose values differ are flagged so a page or report can highlight them."""
    if not MIN_ITEMS <= len(items) <= MAX_ITEMS:
        raise ValueError(f"compare needs {MIN_ITEMS} to {MAX_ITEMS} items, got {len(items)}")
    recs = [rec for _, rec in items]

    def row(key: str, label: str, values: list[str]) -> CompareRow:
        return CompareRow(key=key, label=label, values=values, differs=len(set(values)) > 1)

    rows = [
        row("plan", t("report.plan", lang), [r.plan.label for r in recs]),
        *(
            row(
                f"verdict.{m}",
                t(f"module.{m}.name", lang),
                [
                    t(f"verdict.{r.modules[m].verdict}", lang)
                    + (
                        f" · {t('report.phase', lang, phase=r.modules[m].phase)}"
                        if r.modules[m].phase
                        else ""
                    )
                    for r in recs
                ],
            )
            for m in MODULES
        ),
        # the money first: what each plan earns back, and when
        row(
            "value.net_first_year",
            f"{t('report.net_first_year', lang)} ({t('unit.CNY', lang)})",
            [_band(r.value.net_cny.first_year) for r in recs],
        ),
        row(
            "value.horizon",
            f"{t('compare.horizon', lang)} ({t('unit.months', lang)})",
            [str(r.value.horizon_months) for r in recs],
        ),
        row(
            "value.net_horizon",
            f"{t('compare.net_horizon', lang)} ({t('unit.CNY', lang)})",
            [_band(r.value.net_cny.horizon) for r in recs],
        ),
        row(
            "value.payback",
            t("report.payback", lang),
            [_payback(r.value.payback_months, r.value.horizon_months, lang) for r in recs],
        ),
        row(
            "value.p_payback",
            t("compare.p_payback", lang),
            [f"{r.value.p_payback_within_horizon:.0%}" for r in recs],
        ),
        row(
            "value.gmv_steady",
            f"{t('report.gmv_steady', lang)} ({t('unit.CNY/month', lang)})",
            [_band(r.value.gmv_monthly_steady_cny) for r in recs],
        ),
        row(
            "cost.setup",
            f"{t('report.setup', lang)} ({t('unit.CNY', lang)})",
            [_band(r.cost_cny.setup) for r in recs],
        ),
        row(
            "cost.monthly",
            f"{t('report.monthly', lang)} ({t('unit.CNY/month', lang)})",
            [_band(r.cost_cny.monthly) for r in recs],
        ),
        row(
            "cost.first_year",
            f"{t('report.first_year', lang)} ({t('unit.CNY', lang)})",
            [_band(r.cost_cny.first_year) for r in recs],
        ),
        row(
            "ramp.operational",
            f"{t('report.operational', lang)} ({t('unit.weeks', lang)})",
            [_band(r.ramp_weeks.operational, 1) for r in recs],
        ),
        row(
            "ramp.steady_state",
            f"{t('report.steady_state', lang)} ({t('unit.weeks', lang)})",
            [_band(r.ramp_weeks.steady_state, 1) for r in recs],
        ),
        row(
            "staffing.required",
            f"{t('report.required', lang)} ({t('unit.FTE', lang)})",
            [_band(r.staffing.required_band, 1) for r in recs],
        ),
        row(
            "staffing.available",
            f"{t('report.available', lang)} ({t('unit.FTE', lang)})",
            [f"{r.staffing.available_fte:g}" for r in recs],
        ),
        row(
            "staffing.hires",
            f"{t('report.hires', lang)} ({t('unit.FTE', lang)})",
            [f"{r.staffing.hires_fte:.1f}" for r in recs],
        ),
        row(
            "staffing.shortfall",
            f"{t('report.shortfall', lang)} ({t('unit.FTE', lang)})",
            [f"{r.staffing.shortfall_fte:.1f}" for r in recs],
        ),
        row("win_probability", t("report.win_probability", lang), [f"{r.win_probability:.0%}" for r in recs]),
        row("as_of", t("report.as_of", lang), [r.as_of.isoformat() for r in recs]),
        row(
            "overrides",
            t("compare.overrides", lang),
            [", ".join(f"{k} ×{v:g}" for k, v in r.overrides.items()) or "—" for r in recs],
        ),
    ]
    return Comparison(lang=lang, labels=[label for label, _ in items], rows=rows, results=recs)


def to_markdown(comparison: Comparison) -> str:
    """A table, one column per item; rows that differ are marked and their values set in bold."""
    lang = comparison.lang
    head = "| | " + " | ".join(markdown_text(label) for label in comparison.labels) + " |"  # user text
    out = [f"# {t('compare.title', lang)}", "", head, "|---" * (len(comparison.labels) + 1) + "|"]
    for r in comparison.rows:
        cells = [f"**{v}**" if r.differs else v for v in r.values]
        mark = " ◆" if r.differs else ""
        out.append(f"| {r.label}{mark} | " + " | ".join(cells) + " |")
    out += ["", f"_{t('compare.legend', lang)}_", ""]
    return "\n".join(out)
