"""Charts as pure functions: a result in, an Altair chart out (labels in the result's language).

One definition per chart, for every place that draws it: the app's pages hand the Vega-Lite spec to the
browser (:func:`spec`), the HTML report (and so the PDF) inlines the same chart as SVG
(:mod:`engine.render.html`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

import altair as alt
import numpy as np

from engine.i18n import Lang, t
from engine.plans import Plan, module_name, plan_code, plan_label
from engine.profile import MODULES, Module
from engine.result import Recommendation
from engine.text import number

if TYPE_CHECKING:  # only named in annotations: drawing a chart does not load the models (sensitivity: scipy)
    from engine.compare import Comparison
    from engine.sensitivity import Sensitivity

PALETTE = {
    "channels": "#e4572e",
    "shop": "#2e86ab",
    "miniprogram": "#76b041",
    "wecom": "#8e6c8a",
    None: "#9e9e9e",
}


def _module_name(rec: Recommendation, module: str | None) -> str:
    return rec.modules[module].name if module else t("chart.shared", rec.lang)


def _module_colours(rec: Recommendation) -> alt.Scale:
    """The same colour for a module in every chart."""
    return alt.Scale(domain=[_module_name(rec, m) for m in PALETTE], range=list(PALETTE.values()))


LABEL_COLUMNS = 22  # an axis label longer than this (a CJK character counts two) goes on more lines
LABEL_LIMIT = 170  # pixels an axis line may take; a wrapped label fits in it
LINE_PIXELS = 13  # height of a label line


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, columns: int = LABEL_COLUMNS) -> str:
    """``text`` broken at spaces (or, in a run of Chinese, between characters) into lines of at most
    ``columns`` columns, joined by newlines: axis labels show every line (:func:`wrapped_axis`) instead of
    cutting the label short ("Content production and sa…")."""
    lines: list[str] = []
    line = ""
    for word in re.findall(r"\S+\s*", text.strip()):
        pieces = [word] if _columns(word.strip()) <= columns else list(word)
        for piece in pieces:
            if line and _columns((line + piece).rstrip()) > columns:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines) or text


def wrapped_axis(**kwargs) -> alt.Axis:
    """An axis whose labels are :func:`wrap`-ped text: each line drawn on its own."""
    return alt.Axis(labelExpr="split(datum.label, '\\n')", labelLimit=LABEL_LIMIT, **kwargs)


def bottom_legend(title: str, entries: int) -> tuple[alt.Legend, int]:
    """A legend under the plot, one entry a line (a legend at the side leaves a phone's plot no room), and
    the pixels it needs."""
    legend = alt.Legend(title=title, orient="bottom", direction="vertical", labelLimit=260, titleLimit=260)
    return legend, 20 * entries + 34


def _band_tooltips(fmt: str) -> list[alt.Tooltip]:
    """Tooltips of a row's P10, P50 and P90 (fields ``p10``, ``p50``, ``p90``) in the number format ``fmt``."""
    return [alt.Tooltip(f"{p}:Q", format=fmt) for p in ("p10", "p50", "p90")]


def _lines(labels: Sequence[str]) -> int:
    return max((label.count("\n") + 1 for label in labels), default=1)


def cost_breakdown(rec: Recommendation, group: str = "monthly") -> alt.LayerChart | None:
    """One-time (``group="setup"``) or monthly items of the recommended plan: P50 bars with P10–P90 lines,
    coloured by module."""
    lang = rec.lang
    part = [
        {
            "item": wrap(i.label),
            "module": _module_name(rec, i.module),
            "p10": i.p10,
            "p50": i.p50,
            "p90": i.p90,
        }
        for i in rec.items
        if (i.kind == "setup") == (group == "setup")
    ]
    if not part:
        return None
    title = "chart.cost_breakdown.setup_title" if group == "setup" else "chart.cost_breakdown.monthly_title"
    unit = "chart.axis.cny" if group == "setup" else "chart.axis.cny_month"
    legend, legend_px = bottom_legend(t("chart.axis.module", lang), len(PALETTE))
    # The largest P50 first, as a list: sort="-x" sorts each layer by its own x (the bars by P50, the
    # whiskers by P10), and Vega-Lite, unable to merge the two, draws the rows in alphabetical order.
    order = list(dict.fromkeys(r["item"] for r in sorted(part, key=lambda r: -r["p50"])))
    base = alt.Chart(alt.Data(values=part)).encode(
        y=alt.Y("item:N", title=None, sort=order, axis=wrapped_axis()),
    )
    bars = base.mark_bar().encode(
        x=alt.X("p50:Q", title=t(unit, lang), axis=alt.Axis(format="~s")),
        color=alt.Color("module:N", scale=_module_colours(rec), legend=legend),
        tooltip=[
            alt.Tooltip("module:N", title=t("chart.axis.module", lang)),
            alt.Tooltip("item:N", title=t("chart.axis.item", lang)),
            *_band_tooltips(",.0f"),
        ],
    )
    whiskers = base.mark_rule(color="#333").encode(x=alt.X("p10:Q"), x2=alt.X2("p90"))
    row = max(24, LINE_PIXELS * _lines([r["item"] for r in part]) + 8)
    return (bars + whiskers).properties(
        title=t(title, lang), height=row * len(part) + 10, usermeta={"extra_height": legend_px}
    )


def first_year_distribution(rec: Recommendation) -> alt.LayerChart:
    """Histogram of the simulated first-year cost with P10, P50 and P90 marked."""
    lang = rec.lang
    h = rec.first_year_histogram
    bins = alt.Data(
        values=[
            {"start": a, "end": b, "count": c}
            for a, b, c in zip(h.edges[:-1], h.edges[1:], h.counts, strict=True)
        ]
    )
    bars = (
        alt.Chart(bins)
        .mark_bar(opacity=0.75)
        .encode(
            x=alt.X("start:Q", title=t("chart.axis.first_year_cny", lang), axis=alt.Axis(format="~s")),
            x2=alt.X2("end"),
            y=alt.Y("count:Q", title=t("chart.axis.draws", lang)),
            y2=alt.Y2(datum=0),
        )
    )
    band = rec.cost_cny.first_year
    marks = alt.Data(
        values=[
            {"label": name, "value": v}
            for name, v in (("P10", band.p10), ("P50", band.p50), ("P90", band.p90))
        ]
    )
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 3], color="#c0392b").encode(x=alt.X("value:Q"))
    labels = (
        alt.Chart(marks)
        .mark_text(align="left", dx=3, dy=-4, color="#c0392b")
        .encode(x=alt.X("value:Q"), y=alt.YValue(8), text=alt.Text("label:N"))
    )
    return (bars + rules + labels).properties(title=t("chart.first_year.title", lang), height=220)


def cashflow(rec: Recommendation) -> alt.LayerChart | None:
    """Cumulative net by month: the P10–P90 fan, the P50 line and the zero line (payback is where the line
    crosses it)."""
    lang = rec.lang
    flow = rec.value.cashflow
    if not flow or not rec.plan.phases:
        return None
    data = alt.Data(
        values=[
            {
                "month": c.month,
                "p10": c.cumulative_net.p10,
                "p50": c.cumulative_net.p50,
                "p90": c.cumulative_net.p90,
            }
            for c in flow
        ]
    )
    x = alt.X(
        "month:Q",
        title=t("chart.axis.month", lang),
        scale=alt.Scale(domain=[1, len(flow)]),
        axis=alt.Axis(format="d", tickMinStep=1),
    )
    base = alt.Chart(data)
    fan = base.mark_area(opacity=0.25, color="#2e86ab").encode(
        x=x,
        y=alt.Y("p10:Q", title=t("chart.axis.cumulative_net_cny", lang), axis=alt.Axis(format="~s")),
        y2="p90:Q",
    )
    line = base.mark_line(point=True, color="#2e86ab").encode(
        x=x,
        y="p50:Q",
        tooltip=[
            alt.Tooltip("month:Q", title=t("chart.axis.month", lang)),
            alt.Tooltip("p50:Q", title="P50", format=",.0f"),
            alt.Tooltip("p10:Q", title="P10", format=",.0f"),
            alt.Tooltip("p90:Q", title="P90", format=",.0f"),
        ],
    )
    zero = (
        alt.Chart(alt.Data(values=[{"y": 0}])).mark_rule(color="#c0392b", strokeDash=[4, 3]).encode(y="y:Q")
    )
    return (fan + line + zero).properties(title=t("chart.cashflow.title", lang), height=240)


def ramp_timeline(rec: Recommendation) -> alt.LayerChart | None:
    """Per adopted module: start → operational → steady state (P50), with the P10–P90 of operational."""
    lang = rec.lang
    rows = []
    for m in rec.modules.values():
        if m.start_week is None or m.operational_week is None or m.steady_state_week is None:
            continue
        label = wrap(f"{t('report.phase', lang, phase=m.phase)} · {m.name}")
        rows.append(
            {
                "module": label,
                "stage": t("chart.ramp.to_operational", lang),
                "from": m.start_week.p50,
                "to": m.operational_week.p50,
                "lo": m.operational_week.p10,
                "hi": m.operational_week.p90,
            }
        )
        rows.append(
            {
                "module": label,
                "stage": t("chart.ramp.to_steady", lang),
                "from": m.operational_week.p50,
                "to": m.steady_state_week.p50,
                "lo": None,
                "hi": None,
            }
        )
    if not rows:
        return None
    y = alt.Y("module:N", title=None, sort=None, axis=wrapped_axis())
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(height=18)
        .encode(
            y=y,
            x=alt.X("from:Q", title=t("chart.axis.weeks", lang)),
            x2=alt.X2("to"),
            color=alt.Color("stage:N", legend=bottom_legend(t("chart.ramp.segment", lang), 2)[0]),
            tooltip=[
                alt.Tooltip("module:N"),
                alt.Tooltip("stage:N"),
                alt.Tooltip("from:Q", format=".1f"),
                alt.Tooltip("to:Q", format=".1f"),
            ],
        )
    )
    spans = [r for r in rows if r["lo"] is not None]
    whiskers = (
        alt.Chart(alt.Data(values=spans))
        .mark_rule(color="#333")
        .encode(y=y, x=alt.X("lo:Q"), x2=alt.X2("hi"))
    )
    return (bars + whiskers).properties(
        title=t("chart.ramp.title", lang),
        height=max(120, 50 * (len(rows) // 2)),
        usermeta={"extra_height": bottom_legend("", 2)[1]},
    )


SHOWN_FTE = 0.05  # a role needing less than this (P50) has no bar: a sliver would read as a broken bar


def staffing(rec: Recommendation) -> alt.LayerChart:
    """Required FTE by role (stacked) beside the staff available plus the hires the budget pays for, with the
    P10–P90 of the requirement and each bar's total written at its end. Roles and the people on hand have
    legends of their own (the staff available is not a role); a role needing (about) nobody is left out."""
    lang = rec.lang
    req, avail = t("chart.staffing.required", lang), t("chart.staffing.available", lang)
    roles, x = [], 0.0
    for role, fte in rec.staffing.by_role.items():
        if fte < SHOWN_FTE:
            continue
        roles.append({"bar": req, "role": t(f"role.{role}", lang), "fte": fte, "x0": x, "x1": x + fte})
        x += fte
    have, hires = rec.staffing.available_fte, rec.staffing.hires_fte
    hired = t("chart.staffing.hires", lang)
    supply = [{"bar": avail, "role": avail, "fte": have, "x0": 0.0, "x1": have}] if have > 0 else []
    if hires > 0:
        supply.append({"bar": avail, "role": hired, "fte": hires, "x0": have, "x1": have + hires})
    totals = [{"bar": req, "total": x}, {"bar": avail, "total": have + max(hires, 0.0)}]
    y = alt.Y("bar:N", title=None, sort=[req, avail])
    x_axis = alt.X("x0:Q", title=t("chart.axis.fte", lang))
    tooltip = [
        alt.Tooltip("role:N", title=t("chart.staffing.role", lang)),
        alt.Tooltip("fte:Q", format=".2f"),
    ]
    legend = alt.Legend(orient="bottom", direction="vertical", labelLimit=220, titleLimit=220)
    layers = []
    if roles:
        layers.append(
            alt.Chart(alt.Data(values=roles))
            .mark_bar()
            .encode(y=y, x=x_axis, x2=alt.X2("x1"), tooltip=tooltip,
                    color=alt.Color("role:N", title=t("chart.staffing.role", lang), legend=legend))
        )  # fmt: skip
    if supply:
        layers.append(
            alt.Chart(alt.Data(values=supply))
            .mark_bar()
            .encode(y=y, x=x_axis, x2=alt.X2("x1"), tooltip=tooltip,
                    color=alt.Color("role:N", title=t("chart.staffing.have", lang), legend=legend,
                                    scale=alt.Scale(domain=[avail, hired], range=["#5d6d7e", "#aeb6bf"])))
        )  # fmt: skip
    band = rec.staffing.required_band
    layers.append(
        alt.Chart(alt.Data(values=[{"bar": req, "lo": band.p10, "hi": band.p90}]))
        .mark_rule(color="#333", strokeWidth=2)
        .encode(y=y, x=alt.X("lo:Q"), x2=alt.X2("hi"))
    )
    layers.append(
        alt.Chart(alt.Data(values=totals))
        .mark_text(align="left", baseline="bottom", dx=4, dy=-4, fontSize=12)
        .encode(y=y, x=alt.X("total:Q"), text=alt.Text("total:Q", format=".1f"))
    )
    legend_rows = len(roles) + len(supply) + 2
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(
            title=t("chart.staffing.title", lang), height=120, usermeta={"extra_height": 20 * legend_rows}
        )
    )


LABEL_FIT = 0.055  # height of a dot's label on the fit axis (0–1 over 260 px)
LABEL_CHAR = 0.008  # width of a label character, as a share of the net axis (about 900 px on a desktop)


def _label_sides(points: Sequence[tuple[float, float, str]]) -> list[str]:
    """ "above" or "below" for each (net, fit, label) dot's label: the first side whose box does not cover an
    earlier label's box, so that neighbours' labels do not print over each other ("above" when both do)."""
    xs = [x for x, _, _ in points]
    low, span = min(xs, default=0.0), (max(xs, default=0.0) - min(xs, default=0.0)) or 1.0
    placed: list[tuple[float, float, float, float]] = []
    sides: list[str] = []
    for x, y, label in points:
        left = (x - low) / span
        right = left + LABEL_CHAR * _columns(label)
        boxes = {"above": (left, right, y, y + LABEL_FIT), "below": (left, right, y - LABEL_FIT, y)}
        free = [
            side
            for side, (x0, x1, y0, y1) in boxes.items()
            if not any(x0 < b1 and b0 < x1 and y0 < c1 and c0 < y1 for b0, b1, c0, c1 in placed)
        ]
        side = free[0] if free else "above"
        sides.append(side)
        placed.append(boxes[side])
    return sides


def alternatives(rec: Recommendation) -> alt.LayerChart:
    """Every plan shown as first-year net (P50, P10–P90 line) against fit, each dot labelled with its plan
    (module names without their originals in brackets, to fit), neighbours' labels on opposite sides; the
    recommendation highlighted."""
    lang = rec.lang
    chosen, other = t("chart.alternatives.recommended", lang), t("chart.alternatives.alternative", lang)
    plans = [(chosen, rec.plan, rec.value.net_cny.first_year)] + [
        (other, a.plan, a.net_cny_first_year) for a in rec.alternatives
    ]
    sides = _label_sides([(net.p50, plan.fit, _short(plan.label)) for _, plan, net in plans])
    data = alt.Data(
        values=[
            {
                "kind": kind,
                "plan": plan.label,
                "short": _short(plan.label),
                "side": side,
                "fit": plan.fit,
                "p10": net.p10,
                "p50": net.p50,
                "p90": net.p90,
            }
            for (kind, plan, net), side in zip(plans, sides, strict=True)
        ]
    )
    color = alt.Color(
        "kind:N",
        title=t("chart.alternatives.kind", lang),
        scale=alt.Scale(domain=[chosen, other], range=["#c0392b", "#7f8c8d"]),
    )
    base = alt.Chart(data)
    x = alt.X("p50:Q", title=t("chart.axis.net_first_year_cny", lang), axis=alt.Axis(format="~s"))
    y = alt.Y("fit:Q", title=t("chart.axis.fit", lang), scale=alt.Scale(domain=[0, 1]))
    points = base.mark_point(filled=True).encode(
        x=x,
        y=y,
        color=color,
        size=alt.Size("kind:N", scale=alt.Scale(domain=[chosen, other], range=[220, 70]), legend=None),
        tooltip=[
            alt.Tooltip("plan:N", title=t("chart.alternatives.plan", lang)),
            alt.Tooltip("p50:Q"),
            alt.Tooltip("fit:Q"),
        ],
    )
    lines = base.mark_rule().encode(x=alt.X("p10:Q"), x2=alt.X2("p90"), y=alt.Y("fit:Q"), color=color)
    labels = [
        base.transform_filter(alt.datum.side == side)
        .mark_text(align="left", baseline=baseline, dx=6, dy=dy, fontSize=11, limit=240)
        .encode(x=x, y=y, text=alt.Text("short:N"), color=color)
        for side, baseline, dy in (("above", "bottom", -4), ("below", "top", 4))
    ]
    return alt.layer(lines, points, *labels).properties(title=t("chart.alternatives.title", lang), height=260)


def spec(chart: alt.TopLevelMixin) -> dict:
    """The Vega-Lite spec to hand to the page (schema validation is left to the tests: it is slow)."""
    return chart.to_dict(validate=False)


def display_height(spec: dict) -> int:
    """Pixels to give a chart on the page: its plot height plus room for title, axis and legend."""
    return int(spec.get("height", 200)) + 110 + int(spec.get("usermeta", {}).get("extra_height", 0))


# --- comparison charts (the Compare page): one colour per compared item ----------------------------

ITEM_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2")
PER_CNY = 10_000  # densities are shown as the share of draws per CNY 10k


def _item_scale(comparison: Comparison) -> alt.Scale:
    return alt.Scale(domain=list(comparison.labels), range=list(ITEM_COLOURS[: len(comparison.labels)]))


def _item_legend(comparison: Comparison) -> tuple[alt.Legend, int]:
    """A legend under the plot (room for long labels on a phone) and the pixels it needs."""
    legend = alt.Legend(orient="bottom", direction="vertical", labelLimit=260, titleLimit=260)
    return legend, 22 * len(comparison.labels) + 24


def compare_first_year(comparison: Comparison) -> alt.LayerChart:
    """The first-year cost distributions of every compared item overlaid (translucent histogram outlines, one
    colour per item, as densities so items with different spreads compare fairly), each item's P50 as a
    dashed rule."""
    lang = comparison.lang
    rows, medians = [], []
    for label, rec in zip(comparison.labels, comparison.results, strict=True):
        h, band = rec.first_year_histogram, rec.cost_cny.first_year
        medians.append({"item": label, "p10": band.p10, "p50": band.p50, "p90": band.p90})
        total = sum(h.counts)
        if sum(1 for c in h.counts if c) <= 1:  # no spread (e.g. no new module): its rule shows it
            continue
        for a, b, count in zip(h.edges[:-1], h.edges[1:], h.counts, strict=True):  # drawn as steps
            rows.append({"item": label, "x": a, "density": count / total * PER_CNY / (b - a)})
        rows.append({"item": label, "x": h.edges[-1], "density": 0.0})
    legend, room = _item_legend(comparison)
    colour = alt.Color("item:N", title=t("chart.compare.item", lang), scale=_item_scale(comparison),
                       legend=legend)  # fmt: skip
    x_title = t("chart.axis.first_year_cny", lang)
    shape = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("x:Q", title=x_title, axis=alt.Axis(format="~s")),
        y=alt.Y("density:Q", title=t("chart.compare.density", lang), axis=alt.Axis(format=".0%")),
        color=colour,
        detail=alt.Detail("item:N"),  # one path per item
        tooltip=[alt.Tooltip("item:N", title=t("chart.compare.item", lang))],
    )
    areas = shape.mark_area(opacity=0.2, interpolate="step-after")
    outlines = shape.mark_line(strokeWidth=1.5, interpolate="step-after")
    rules = (
        alt.Chart(alt.Data(values=medians))
        .mark_rule(strokeDash=[5, 3], strokeWidth=2)
        .encode(
            x=alt.X("p50:Q", title=x_title),
            color=colour,
            tooltip=[
                alt.Tooltip("item:N", title=t("chart.compare.item", lang)),
                *_band_tooltips(",.0f"),
            ],
        )
    )
    title = alt.TitleParams(
        t("chart.compare.first_year_title", lang), subtitle=t("chart.compare.first_year_note", lang)
    )
    return (areas + outlines + rules).properties(
        title=title, height=240, usermeta={"extra_height": room + 16}
    )


def compare_ramp(comparison: Comparison) -> alt.LayerChart | None:
    """The ramp timelines of every compared item in one chart: a row per item and adopted module
    ("item · module"), with the weeks to operational and to steady state as P50 points and P10–P90 lines,
    coloured by item. None if no item adopts a module."""
    lang = comparison.lang
    stages = (
        ("operational_week", "chart.ramp.to_operational"),
        ("steady_state_week", "chart.ramp.to_steady"),
    )
    spans, points, order = [], [], []
    for label, rec in zip(comparison.labels, comparison.results, strict=True):
        for m in rec.modules.values():
            if m.start_week is None or m.operational_week is None or m.steady_state_week is None:
                continue
            row = f"{label} · {m.name}"
            order.append(row)
            spans.append({"row": row, "item": label, "from": m.start_week.p50, "to": m.steady_state_week.p50})
            for attr, key in stages:
                band = getattr(m, attr)
                points.append({"row": row, "item": label, "stage": t(key, lang),
                               "p10": band.p10, "p50": band.p50, "p90": band.p90})  # fmt: skip
    if not order:
        return None
    legend, room = _item_legend(comparison)
    colour = alt.Color("item:N", title=t("chart.compare.item", lang), scale=_item_scale(comparison),
                       legend=legend)  # fmt: skip
    y = alt.Y("row:N", title=None, sort=order, axis=alt.Axis(labelLimit=150))
    x_title = t("chart.axis.weeks", lang)
    span = (
        alt.Chart(alt.Data(values=spans))
        .mark_bar(opacity=0.18, height=14)
        .encode(y=y, x=alt.X("from:Q", title=x_title), x2=alt.X2("to"), color=colour)
    )
    base = alt.Chart(alt.Data(values=points))
    whiskers = base.mark_rule(strokeWidth=2).encode(y=y, x=alt.X("p10:Q", title=x_title), x2=alt.X2("p90"),
                                                   color=colour)  # fmt: skip
    dots = base.mark_point(filled=True, size=70, opacity=1).encode(
        y=y,
        x=alt.X("p50:Q", title=x_title),
        color=colour,
        shape=alt.Shape(
            "stage:N",
            title=t("chart.compare.stage", lang),
            scale=alt.Scale(domain=[t(k, lang) for _, k in stages], range=["circle", "diamond"]),
            legend=None,  # the subtitle says which shape is which
        ),
        tooltip=[
            alt.Tooltip("row:N", title=t("chart.compare.item", lang)),
            alt.Tooltip("stage:N", title=t("chart.compare.stage", lang)),
            *_band_tooltips(".1f"),
        ],
    )
    title = alt.TitleParams(t("chart.compare.ramp_title", lang), subtitle=t("chart.compare.ramp_note", lang))
    return (span + whiskers + dots).properties(
        title=title, height=max(120, 26 * len(order)), usermeta={"extra_height": room + 36}
    )


# --- what drives the answer ---------------------------------------------------------------------


def _swings(
    sens: Sensitivity,
    figure: str,
    headline: float,
    central: float,
    axis_title: str,
    title: str,
    money: bool,
    top: int,
) -> alt.LayerChart | None:
    """A tornado of one figure (``net``, ``operational``): each assumption alone at its P10 and P90, the
    others at their central values, largest swings first. Two lines say where the bars sit: the headline's
    Monte Carlo P50 (red) and the figure with every assumption central (grey, dashed), which the bars swing
    around: the two differ when ranges are skewed (app/content/sensitivity.*.md, reason 2)."""
    lang = sens.lang
    swing = lambda r: getattr(r.tornado, f"{figure}_swing")  # noqa: E731
    rows = sorted((r for r in sens.rows if swing(r) > 0), key=lambda r: -swing(r))[:top]
    if not rows:
        return None
    data = []
    for r in rows:
        lo, hi = getattr(r.tornado, f"{figure}_low"), getattr(r.tornado, f"{figure}_high")
        data.append({"parameter": r.label, "low": min(lo, hi), "high": max(lo, hi), "swing": swing(r)})
    shown = (
        (lambda v: f"¥{number(v)}") if money else (lambda v: t("chart.drivers.weeks", lang, p50=number(v, 1)))
    )
    mark_p50 = t("chart.drivers.line.p50", lang, value=shown(headline))
    mark_central = t("chart.drivers.line.central", lang, value=shown(central))
    y = alt.Y("parameter:N", title=None, sort=[d["parameter"] for d in data], axis=alt.Axis(labelLimit=170))
    tip = ",.0f" if money else ",.1f"
    ends = [d["low"] for d in data] + [d["high"] for d in data] + [headline, central]
    domain = [min(ends), max(ends)]  # every bar's both ends and both lines
    bars = (
        alt.Chart(alt.Data(values=data))
        .mark_bar(color="#2e86ab")
        .encode(
            y=y,
            x=alt.X("low:Q", title=axis_title, axis=alt.Axis(format="~s" if money else "~g"),
                    scale=alt.Scale(zero=False, domain=domain, nice=True)),
            x2=alt.X2("high"),
            tooltip=[alt.Tooltip("parameter:N"), alt.Tooltip("low:Q", format=tip),
                     alt.Tooltip("high:Q", format=tip), alt.Tooltip("swing:Q", format=tip)],
        )
    )  # fmt: skip
    lines = (
        alt.Chart(alt.Data(values=[{"c": headline, "line": mark_p50}, {"c": central, "line": mark_central}]))
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("c:Q"),
            color=alt.Color("line:N", title=None, scale=alt.Scale(domain=[mark_p50, mark_central],
                            range=["#c0392b", "#555555"]), legend=None),
            strokeDash=alt.StrokeDash("line:N", scale=alt.Scale(domain=[mark_p50, mark_central],
                                      range=[[1, 0], [5, 3]]), legend=None),
            tooltip=[alt.Tooltip("line:N", title=None)],
        )
    )  # fmt: skip
    # the lines are named in the subtitle, which starts at the chart's left edge (a legend would sit right of
    # the row labels and be cut off on a phone)
    heading = alt.TitleParams(title, subtitle=[mark_p50, mark_central], anchor="start")
    return (bars + lines).properties(title=heading, height=24 * len(data) + 10)


def tornado(sens: Sensitivity, top: int = 12) -> alt.LayerChart | None:
    """First-year net with each assumption at its P10 and P90 (others central), largest swings first."""
    lang = sens.lang
    return _swings(
        sens, "net", sens.p50_net, sens.central_net, t("chart.drivers.axis.first_year", lang),
        t("chart.drivers.tornado.title", lang), True, top,
    )  # fmt: skip


def timeline_drivers(sens: Sensitivity, top: int = 12) -> alt.LayerChart | None:
    """What drives the timeline: weeks until every module is operational, each assumption at its P10 and P90."""
    lang = sens.lang
    return _swings(
        sens, "operational", sens.p50_operational, sens.central_operational,
        t("chart.drivers.axis.operational", lang), t("chart.drivers.timeline.title", lang), False, top,
    )  # fmt: skip


def sobol(sens: Sensitivity, top: int = 12) -> alt.LayerChart | None:
    """Sobol first-order and total indices of first-year net, per assumption, each with its bootstrap
    interval as a black bracket (the brackets app/content/sensitivity.*.md, reason 5, speaks of)."""
    lang = sens.lang
    rows = sorted(sens.rows, key=lambda r: -r.sobol_total)[:top]
    if not rows:
        return None
    first = t("chart.drivers.sobol.first", lang)
    total = t("chart.drivers.sobol.total", lang)
    data = []
    for r in rows:
        for kind, index, ci in (
            (first, r.sobol_first, r.sobol_first_ci),
            (total, r.sobol_total, r.sobol_total_ci),
        ):
            lo, hi = ci if ci is not None else (index, index)
            data.append({"parameter": r.label, "kind": kind, "index": index, "lo": lo, "hi": hi})
    y = alt.Y("parameter:N", title=None, sort=[r.label for r in rows], axis=alt.Axis(labelLimit=170))
    base = alt.Chart(alt.Data(values=data)).encode(y=y, yOffset=alt.YOffset("kind:N"))
    ci_title = t("chart.drivers.sobol.ci", lang, confidence=f"{sens.confidence:.0%}")
    bars = base.mark_bar().encode(
        x=alt.X("index:Q", title=t("chart.drivers.axis.index", lang)),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=[first, total], range=["#76b041", "#8e6c8a"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("parameter:N"), alt.Tooltip("kind:N"), alt.Tooltip("index:Q", format=".3f"),
                 alt.Tooltip("lo:Q", format=".3f", title=f"{ci_title} ↓"),
                 alt.Tooltip("hi:Q", format=".3f", title=f"{ci_title} ↑")],
    )  # fmt: skip
    brackets = base.mark_rule(color="#222222", strokeWidth=1.5).encode(x=alt.X("lo:Q"), x2=alt.X2("hi"))
    ends = base.transform_fold(["lo", "hi"], as_=["end", "at"]).mark_tick(
        color="#222222", thickness=1.5, size=8, orient="vertical"
    ).encode(x=alt.X("at:Q"))  # fmt: skip
    title = alt.TitleParams(t("chart.drivers.sobol.title", lang), subtitle=ci_title)
    return (bars + brackets + ends).properties(title=title, height=34 * len(rows) + 10)


def plan_wins(sens: Sensitivity) -> alt.Chart | None:
    """Probability that each plan ranks first under uncertainty; the recommendation highlighted."""
    lang = sens.lang
    if not sens.plan_win_probabilities:
        return None
    chosen, other = t("chart.alternatives.recommended", lang), t("chart.alternatives.alternative", lang)
    data = [
        {"plan": w.label, "p": w.probability, "kind": chosen if w.recommended else other}
        for w in sens.plan_win_probabilities
    ]
    return (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            y=alt.Y("plan:N", title=None, sort="-x", axis=alt.Axis(labelLimit=200)),
            x=alt.X("p:Q", title=t("chart.drivers.axis.probability", lang), axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=[chosen, other], range=["#c0392b", "#7f8c8d"]),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("plan:N"), alt.Tooltip("p:Q", format=".1%")],
        )
        .properties(title=t("chart.drivers.wins.title", lang), height=28 * len(data) + 10)
    )  # fmt: skip


# --- lead lists (the Batch page): counts over many leads -------------------------------------------

VERDICT_COLOURS = {"keep": "#1c83e1", "adopt_now": "#21a354", "adopt_later": "#ff9f1a",
                   "not_recommended": "#a3a8b8"}  # fmt: skip
BATCH_ROW = 42  # pixels per plan in the plan chart: its label above a thin bar


def _short(name: str) -> str:
    """A module name without its parenthesised original (``Channels (视频号)`` is ``Channels``): the
    charts over a lead list label many plans in a phone's width."""
    return re.sub(r"\s*[(（][^)）]*[)）]", "", name).strip() or name


def _short_plan(plan: Plan, lang: Lang, as_of: date) -> str:
    if not plan:
        return t("report.nothing", lang)
    return " → ".join(" + ".join(_short(module_name(m, lang, as_of)) for m in phase) for phase in plan)


def batch_plans(plans: Mapping[Plan, int], errors: int, lang: Lang, as_of: date) -> alt.LayerChart | None:
    """How many leads get each plan (labelled in ``lang``; no new module in grey), the rows with an error
    as a last red bar. Labels sit above the bars so long plan names keep the width of a phone."""
    rows = [
        {"plan": _short_plan(plan, lang, as_of), "full": plan_label(plan, (), lang, as_of), "count": n,
         "kind": "nothing" if not plan else "plan"}
        for plan, n in sorted(plans.items(), key=lambda item: (-item[1], plan_code(item[0])))
        if n
    ]  # fmt: skip
    if errors:
        label = t("chart.batch.errors", lang)
        rows.append({"plan": label, "full": label, "count": errors, "kind": "error"})
    if not rows:
        return None
    y = alt.Y("plan:N", axis=None, sort=[r["plan"] for r in rows], scale=alt.Scale(paddingInner=0))
    leads_title = t("chart.batch.leads", lang)
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=y, tooltip=[alt.Tooltip("full:N", title=t("chart.alternatives.plan", lang)),
                      alt.Tooltip("count:Q", title=leads_title)],
    )  # fmt: skip
    bars = base.mark_bar(height=14, yOffset=8).encode(
        x=alt.X(
            "count:Q",
            title=leads_title,
            axis=alt.Axis(tickMinStep=1, format="d"),
            scale=alt.Scale(domain=[0, max(r["count"] for r in rows) * 1.08], nice=False),
        ),
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(domain=["plan", "nothing", "error"], range=["#2e86ab", "#9e9e9e", "#c0392b"]),
            legend=None,
        ),
    )
    labels = base.mark_text(align="left", baseline="bottom", yOffset=-1, limit=320).encode(
        x=alt.XDatum(0), text=alt.Text("plan:N")
    )
    counts = base.mark_text(align="left", baseline="middle", dx=4, yOffset=8).encode(
        x=alt.X("count:Q"), text=alt.Text("count:Q")
    )
    title = alt.TitleParams(t("chart.batch.plans_title", lang), subtitle=t("chart.batch.plans_note", lang))
    return (bars + labels + counts).properties(
        title=title, height=BATCH_ROW * len(rows), usermeta={"extra_height": 16}
    )


def batch_first_year(values: Sequence[float], lang: Lang, bins: int | None = None) -> alt.LayerChart | None:
    """Histogram of the leads' first-year cost (each lead's P50), on a log scale when the leads span more
    than a factor of ten, with the median lead as a dashed rule. None without a value."""
    data = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if data.size == 0:
        return None
    lo, hi = float(data.min()), float(data.max())
    count = bins or int(min(30, max(6, np.ceil(np.sqrt(data.size) * 1.5))))
    log = lo > 0 and hi / lo > 10
    if hi <= lo:  # one value (or all equal): one bar around it
        edges = np.array([lo * 0.95, lo * 1.05]) if lo > 0 else np.array([lo - 1, lo + 1])
    else:
        edges = np.geomspace(lo, hi, count + 1) if log else np.linspace(lo, hi, count + 1)
    counts, edges = np.histogram(data, bins=edges)
    rows = [
        {"start": float(a), "end": float(b), "count": int(c)}
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    x_title = t("chart.batch.first_year_axis", lang)
    domain = [float(edges[0]), float(edges[-1])]
    scale = alt.Scale(type="log", domain=domain, nice=False) if log else alt.Scale(domain=domain, nice=False)
    leads_title = t("chart.batch.leads", lang)
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(opacity=0.8, color="#2e86ab", stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("start:Q", title=x_title, scale=scale, axis=alt.Axis(format="~s", grid=not log)),
            x2=alt.X2("end"),
            y=alt.Y("count:Q", title=leads_title, axis=alt.Axis(tickMinStep=1, format="d")),
            y2=alt.Y2(datum=0),
            tooltip=[
                alt.Tooltip("start:Q", title=t("chart.batch.from", lang), format=",.0f"),
                alt.Tooltip("end:Q", title=t("chart.batch.to", lang), format=",.0f"),
                alt.Tooltip("count:Q", title=leads_title),
            ],
        )
    )
    median = float(np.median(data))
    rule = (
        alt.Chart(alt.Data(values=[{"p50": median}]))
        .mark_rule(strokeDash=[5, 3], strokeWidth=2, color="#c0392b")
        .encode(
            x=alt.X("p50:Q", scale=scale),
            tooltip=[alt.Tooltip("p50:Q", title=t("chart.batch.median", lang), format=",.0f")],
        )
    )
    title = alt.TitleParams(
        t("chart.batch.first_year_title", lang),
        subtitle=[
            t("chart.batch.first_year_note", lang, leads=data.size),
            t("chart.batch.median_note", lang, median=number(median)),
        ],
    )
    return (bars + rule).properties(title=title, height=200, usermeta={"extra_height": 30})


def batch_adoption(verdicts: Mapping[Module, Mapping[str, int]], lang: Lang, as_of: date) -> alt.Chart | None:
    """Per module, the share of scored leads told to keep it, adopt it now, later, or not (stacked to
    100%), coloured as the verdict badges of the Assess page. None when no lead was scored."""
    order = list(VERDICT_COLOURS)
    rows = []
    for module in MODULES:
        counts = verdicts.get(module, {})
        total = sum(counts.values())
        for verdict in order:
            if total and counts.get(verdict):
                rows.append({"module": _short(module_name(module, lang, as_of)), "verdict": t(f"verdict.{verdict}", lang),
                             "rank": order.index(verdict), "count": counts[verdict],
                             "share": counts[verdict] / total})  # fmt: skip
    if not rows:
        return None
    names = [t(f"verdict.{v}", lang) for v in order]
    legend = alt.Legend(orient="bottom", direction="vertical", labelLimit=200, title=None, offset=10)
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("module:N", title=None, sort=[_short(module_name(m, lang, as_of)) for m in MODULES],
                    axis=alt.Axis(labelLimit=150)),
            x=alt.X("share:Q", title=t("chart.batch.share", lang), stack="zero",
                    axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("verdict:N", scale=alt.Scale(domain=names, range=list(VERDICT_COLOURS.values())),
                            legend=legend),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("module:N", title=t("chart.axis.module", lang)),
                alt.Tooltip("verdict:N", title=t("chart.batch.verdict", lang)),
                alt.Tooltip("count:Q", title=t("chart.batch.leads", lang)),
                alt.Tooltip("share:Q", title=t("chart.batch.share", lang), format=".0%"),
            ],
        )
        .properties(title=t("chart.batch.adoption_title", lang), height=36 * len(MODULES),
                    usermeta={"extra_height": 20 * len(order) + 20})
    )  # fmt: skip
