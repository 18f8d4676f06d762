"""Render a :class:`Recommendation` as Markdown, in the language it was computed in."""

from __future__ import annotations

from engine.i18n import t
from engine.result import Band, Recommendation
from engine.sources import parse_cite
from engine.text import markdown_text


def cite_label(cite: str) -> str:
    """``FILE:LINE (outlet, date)`` for a citation."""
    source, _ = parse_cite(cite)
    return f"{cite} ({source.outlet}, {source.published.isoformat()})"


def _b(band: Band, lang: str, digits: int = 0) -> str:
    def f(v: float | None) -> str:
        return t("report.infinite", lang) if v is None else f"{v:,.{digits}f}"  # type: ignore[arg-type]

    return t("report.band", lang, p10=f(band.p10), p50=f(band.p50), p90=f(band.p90))  # type: ignore[arg-type]


def to_markdown(rec: Recommendation) -> str:
    lang = rec.lang
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    name = markdown_text(rec.profile.name) or "—"  # user text: inert (no heading, link, HTML or escape)
    out: list[str] = [f"# {L('report.title', name=name)}", ""]
    out.append(f"- {L('report.as_of')}: {rec.as_of.isoformat()}")
    out.append(f"- {L('report.plan')}: **{rec.plan.label}**")
    for ph in rec.plan.phases:
        start = L(
            "report.start_week",
            p10=f"{ph.start_week.p10:g}",
            p50=f"{ph.start_week.p50:g}",
            p90=f"{ph.start_week.p90:g}",
        )
        out.append(
            f"  - {L('report.phase', phase=ph.phase)}: {', '.join(rec.modules[m].name for m in ph.modules)} — {start}"
        )
    out.append(f"- {L('report.win_probability')}: {rec.win_probability:.0%} ({rec.win_probability_text})")
    if rec.plan.phases:
        out.append(f"- {L('report.phasing_probability')}: {rec.phasing_probability:.0%}")
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
            out.append(f"- {c.change}: {'; '.join(c.effects) or c.plan} → {c.plan}")
        out.append("")
    if rec.alternatives:
        out += [
            f"## {L('report.alternatives')}",
            "",
            f"| {L('report.alternative')} | {L('report.net_first_year')} | {L('report.payback')} | "
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
                f"{i.p10:,.0f} | {i.p50:,.0f} | {i.p90:,.0f} |"
            )
        out.append("")
    out.append(f"_{L('report.method', draws=rec.draws, seed=rec.seed)}_")
    out.append("")
    source = markdown_text(rec.assumptions).replace("bundled", L("html.assumptions.bundled"), 1)
    out.append(f"_{L('report.assumptions', source=source)}_")
    return "\n".join(out) + "\n"


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
            gmv=f"{sc.current_monthly_gmv_cny:,.0f}",
            gmv_note=inferred if sc.gmv_inferred else "",
            reach=f"{sc.reachable_customers:,.0f}",
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
                f"| {c.month} | {c.cost.p50:,.0f} | {c.gross_profit.p50:,.0f} | {_b(c.cumulative_net, lang)} |"
            )
    return out


def to_html(rec: Recommendation) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG charts, no script); see
    :mod:`engine.report_html`."""
    from engine.report_html import to_html as render  # here, not at the top: report_html imports this module

    return render(rec)
