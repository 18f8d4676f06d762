"""Render as Markdown, in the language a result was computed in: the report of a :class:`Recommendation`,
what drives a plan (:class:`Sensitivity`) and a side-by-side comparison (:class:`Comparison`).

A report is also what a consultant hands a client: besides the result it can carry the consultant's notes
and a link that reopens the assessment (both passed in: they are not part of the result), and it always
lists the client's inputs. The pieces every format shares (the title, the input rows, a phase's start, the
file name) are in :mod:`engine.render.parts`; :mod:`engine.render.html` draws the same content as HTML.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from engine.i18n import t
from engine.render.parts import (
    assumptions_text,
    band_text,
    cite_label,
    input_rows,
    payback_text,
    report_title,
    safe_link,
    start_text,
)
from engine.result import Recommendation
from engine.text import markdown_text, number

if (
    TYPE_CHECKING
):  # only named in annotations: the Markdown report does not load the models (sensitivity: scipy)
    from engine.compare import Comparison
    from engine.sensitivity import Sensitivity


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
    out.append(f"| {L('report.setup')} ({t('unit.CNY', lang)}) | {band_text(rec.cost_cny.setup, lang)} |")
    out.append(
        f"| {L('report.monthly')} ({t('unit.CNY/month', lang)}) | {band_text(rec.cost_cny.monthly, lang)} |"
    )
    out.append(
        f"| {L('report.first_year')} ({t('unit.CNY', lang)}) | {band_text(rec.cost_cny.first_year, lang)} |"
    )
    orders = band_text(rec.break_even_orders_per_month, lang)
    out.append(
        f"| {L('report.break_even')} ({t('unit.CNY/month', lang)}) | {band_text(rec.break_even_gmv_cny, lang)}; "
        f"{L('report.break_even_orders', orders=orders)} |"
    )
    out += ["", f"## {L('report.ramp')}", ""]
    out.append(f"- {L('report.operational')}: {band_text(rec.ramp_weeks.operational, lang, 1)}")
    out.append(f"- {L('report.steady_state')}: {band_text(rec.ramp_weeks.steady_state, lang, 1)}")
    s = rec.staffing
    out += ["", f"## {L('report.staffing')}", ""]
    out.append(f"- {L('report.required')}: {band_text(s.required_band, lang, 1)}")
    out.append(f"- {L('report.available')}: {s.available_fte:g}")
    out.append(f"- {L('report.hires')}: {band_text(s.hires_band, lang, 1)}")
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
            out.append(f"{L('report.module_gmv')}: {band_text(m.gmv_monthly_steady_cny, lang)}")
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
                f"| {a.plan.label} | {band_text(a.net_cny_first_year, lang)} | {payback_text(a.payback_months, rec.value.horizon_months, lang)} | "
                f"{band_text(a.cost_cny.first_year, lang)} | {band_text(a.ramp_weeks.operational, lang, 1)} | "
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


def _value_section(rec: Recommendation) -> list[str]:
    """What the plan earns back: the money a merchant can check, first."""
    lang = rec.lang
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    v = rec.value
    h = v.horizon_months
    out = ["", f"## {L('report.value')}", "", "| | P50 (P10–P90) |", "|---|---|"]
    out.append(
        f"| {L('report.net_first_year')} ({t('unit.CNY', lang)}) | {band_text(v.net_cny.first_year, lang)} |"
    )
    if h != 12:
        out.append(
            f"| {L('report.net_horizon', months=h)} ({t('unit.CNY', lang)}) | {band_text(v.net_cny.horizon, lang)} |"
        )
    out.append(f"| {L('report.payback')} | {payback_text(v.payback_months, h, lang)} |")
    out.append(f"| {L('report.p_payback', months=h)} | {v.p_payback_within_horizon:.0%} |")
    out.append(f"| {L('report.roi')} | {band_text(v.roi_first_year, lang, 2)} |")
    out.append(
        f"| {L('report.gmv_steady')} ({t('unit.CNY/month', lang)}) | {band_text(v.gmv_monthly_steady_cny, lang)} |"
    )
    out.append(
        f"| {L('report.gross_profit')} ({t('unit.CNY', lang)}) | {band_text(v.gross_profit_cny.first_year, lang)} |"
    )
    out.append(
        f"| {L('report.cost_first_year')} ({t('unit.CNY', lang)}) | {band_text(v.cost_cny.first_year, lang)} |"
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
                f"| {c.month} | {number(c.cost.p50)} | {number(c.gross_profit.p50)} | {band_text(c.cumulative_net, lang)} |"
            )
    return out


# --- what drives the answer ------------------------------------------------------------------------------------


def _num(value: float, digits: int = 0) -> str:
    return number(value, digits)


def _index(value: float, ci: tuple[float, float] | None) -> str:
    return f"{value:.2f}" if ci is None else f"{value:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"


def sensitivity_markdown(s: Sensitivity) -> str:
    """What drives a plan: the tornado, the Sobol indices, the plans' win probabilities and the flips."""
    lang = s.lang
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    out = [f"# {L('sensitivity.title', plan=s.plan.label)}", ""]
    out.append(
        L(
            "sensitivity.meta",
            date=s.as_of.isoformat(),
            draws=s.draws,
            seed=s.seed,
            source=markdown_text(s.assumptions),  # a path the user gave: inert in Markdown
        )
    )
    out.append("")
    if s.forced_plan:
        out += [L("sensitivity.forced", plan=s.recommended.label), ""]
    out.append(
        L(
            "sensitivity.central",
            cost=_num(s.central_net),
            weeks=_num(s.central_steady, 1),
            p50_net=_num(s.p50_net),
            p50_weeks=_num(s.p50_steady, 1),
            operational=_num(s.central_operational, 1),
            p50_operational=_num(s.p50_operational, 1),
        )
    )
    out.append("")
    out += [f"## {L('sensitivity.tornado.title')}", "", L("sensitivity.tornado.explain"), ""]
    if not s.rows:
        out += [L("sensitivity.none"), ""]
    else:
        cols = [
            L("sensitivity.col.parameter"),
            L("sensitivity.col.range"),
            L("sensitivity.col.net_low"),
            L("sensitivity.col.net_high"),
            L("sensitivity.col.net_swing"),
            L("sensitivity.col.steady_low"),
            L("sensitivity.col.steady_high"),
            L("sensitivity.col.steady_swing"),
            L("sensitivity.col.operational_low"),
            L("sensitivity.col.operational_high"),
        ]
        out += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for row in sorted(s.rows, key=lambda r: (-r.tornado.net_swing, -r.tornado.steady_swing, r.parameter)):
            tw = row.tornado
            out.append(
                f"| {row.label} (`{row.parameter}`) | {row.value_p10:g} – {row.value_p90:g} {row.unit} "
                f"| {_num(tw.net_low)} | {_num(tw.net_high)} | {_num(tw.net_swing)} "
                f"| {_num(tw.steady_low, 1)} | {_num(tw.steady_high, 1)} | {_num(tw.steady_swing, 1)} "
                f"| {_num(tw.operational_low, 1)} | {_num(tw.operational_high, 1)} |"
            )
        out.append("")
        out += [
            f"## {L('sensitivity.sobol.title')}",
            "",
            L(
                "sensitivity.sobol.explain",
                n=s.sobol_n,
                evaluations=s.sobol_evaluations,
                confidence=f"{s.confidence:.0%}",
            ),
            "",
        ]
        cols = [
            L("sensitivity.col.parameter"),
            L("sensitivity.col.first"),
            L("sensitivity.col.total"),
            L("sensitivity.col.first_steady"),
            L("sensitivity.col.total_steady"),
            L("sensitivity.col.total_operational"),
        ]
        out += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for row in s.rows:
            out.append(
                f"| {row.label} (`{row.parameter}`) | {_index(row.sobol_first, row.sobol_first_ci)} "
                f"| {_index(row.sobol_total, row.sobol_total_ci)} "
                f"| {_index(row.sobol_first_steady, row.sobol_first_steady_ci)} "
                f"| {_index(row.sobol_total_steady, row.sobol_total_steady_ci)} "
                f"| {_index(row.sobol_total_operational, row.sobol_total_operational_ci)} |"
            )
        out.append("")
    out += [f"## {L('sensitivity.win.title')}", "", L("sensitivity.win.explain", draws=s.draws), ""]
    out += [f"| {L('sensitivity.col.plan')} | {L('sensitivity.col.probability')} |", "|---|---|"]
    for w in s.plan_win_probabilities:
        mark = f" {L('sensitivity.recommended_mark')}" if w.recommended else ""
        share = f"{w.probability:.1%}" if w.probability >= 0.001 else "< 0.1%"
        out.append(f"| {w.label}{mark} | {share} |")
    out.append("")
    out += [
        f"## {L('sensitivity.flip.title')}",
        "",
        L("sensitivity.flip.explain", plan=s.recommended.label, draws=s.flip_draws),
        "",
    ]
    cols = [L("sensitivity.col.lever"), L("sensitivity.col.change"), L("sensitivity.col.new_plan")]
    out += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for f in s.flips:
        out.append(f"| {f.label} | {f.change} | {f.plan_label or '—'} |")
    out.append("")
    if s.flip_notes:
        out += [f"**{L('drivers.flip.why')}**", ""]
        out += [f"- {n.text}" for n in s.flip_notes]
        out.append("")
    return "\n".join(out)


# --- a comparison --------------------------------------------------------------------------------


def comparison_markdown(comparison: Comparison) -> str:
    """A table, one column per item; rows that differ are marked and their values set in bold."""
    lang = comparison.lang
    head = "| | " + " | ".join(markdown_text(label) for label in comparison.labels) + " |"  # user text
    out = [f"# {t('compare.title', lang)}", "", head, "|---" * (len(comparison.labels) + 1) + "|"]
    for r in comparison.rows:
        cells = [f"**{v}**" if r.differs else v for v in r.values]
        mark = " ◆" if r.differs else ""
        out.append(f"| {r.label}{mark} | " + " | ".join(cells) + " |")
    out += ["", f"_{t('compare.legend', lang)}_", ""]
    if any(comparison.notes):
        out += [f"## {t('compare.notes', lang)}", ""]
        for label, notes in zip(comparison.labels, comparison.notes, strict=True):
            out += [f"- **{markdown_text(label)}**: {note}" for note in notes]
        out.append("")
    return "\n".join(out)
