"""Render a :class:`Recommendation` as Markdown, in the language it was computed in."""

from __future__ import annotations

from engine.i18n import t
from engine.result import Band, Recommendation
from engine.sources import parse_cite


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
    name = rec.profile.name or "—"
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
    out.append(f"- {L('report.shortfall')}: {s.shortfall_fte:.1f}")
    if rec.warnings:
        out += ["", f"## {L('report.warnings')}", ""]
        for w in rec.warnings:
            cites = f" [{'; '.join(w.sources)}]" if w.sources else ""
            out.append(f"- {w.text}{cites}")
    out += ["", f"## {L('report.modules')}", ""]
    for m in rec.modules.values():
        phase = f" ({L('report.phase', phase=m.phase)})" if m.phase else ""
        out.append(f"### {m.name}: {t('verdict.' + m.verdict, lang)}{phase}")
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
            f"| {L('report.plan')} | {L('report.first_year')} | {L('report.operational')} | "
            f"{L('report.shortfall')} | {L('report.score')} | P(#1) |",
            "|---|---|---|---|---|---|",
        ]
        for a in rec.alternatives:
            out.append(
                f"| {a.plan.label} | {_b(a.cost_cny.first_year, lang)} | {_b(a.ramp_weeks.operational, lang, 1)} | "
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
    source = rec.assumptions.replace("bundled", L("html.assumptions.bundled"), 1)
    out.append(f"_{L('report.assumptions', source=source)}_")
    return "\n".join(out) + "\n"


def to_html(rec: Recommendation) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG charts, no script); see
    :mod:`engine.report_html`."""
    from engine.report_html import to_html as render  # here, not at the top: report_html imports this module

    return render(rec)
