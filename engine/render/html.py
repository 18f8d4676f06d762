"""Render a :class:`Recommendation` as one self-contained HTML page, in the language it was computed in.

The page mirrors :func:`engine.render.markdown.to_markdown` (same content, same order) and adds three kinds of
chart drawn here as inline SVG: the first-year cost distribution, the cost breakdown and the ramp
timeline. Everything is inline (CSS, SVG); there is no script and no external resource, so the file
can be mailed, archived or printed as it is. Every string that comes from data is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from html import escape

from engine.i18n import t
from engine.render.parts import (
    assumptions_text,
    band_text,
    cite_label,
    input_rows,
    override_name,
    payback_text,
    report_title,
    safe_link,
    start_text,
)
from engine.result import Band, Item, ModuleResult, Recommendation
from engine.sources import parse_cite
from engine.text import amount, number

# --- small helpers ---------------------------------------------------------------------------

W = 480  # viewBox width of every chart; the SVG scales to its container
FS_TICK, FS_LABEL = 13, 14  # font sizes in viewBox units (about 9 and 10 px on a 390 px phone)
MONTHLY_KINDS = ("monthly", "seat", "staff", "gmv_share")
GREEN, GREEN_LIGHT, GREEN_DARK = "#07a35a", "#b5e4c8", "#05713f"
BLUE = "#2f6fb3"
INK, MUTED, GRID, ACCENT = "#1d2530", "#5b6675", "#e3e7ec", "#d9480f"


def e(value: object) -> str:
    """Escape text for HTML and SVG (element content and quoted attributes)."""
    return escape(str(value), quote=True)


def _f(x: float) -> str:
    """A coordinate, rounded so that the output is stable and compact."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text_width(text: str, size: float) -> float:
    """Rough rendered width of ``text`` (CJK glyphs are square, Latin ones about half as wide)."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.58 for c in text)


def _clip(text: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis so that it fits ``width``."""
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _step(span: float, n: int = 5) -> float:
    """A 1-2-2.5-5 step giving about ``n`` intervals over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))


def _ticks(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9)
    out = []
    i = first
    while i * step <= hi + step * 1e-9:
        out.append(i * step)
        i += 1
    return out


def _tick_label(v: float, step: float) -> str:
    digits = 0 if step >= 1 else min(3, -math.floor(math.log10(step)) + (1 if step * 10 % 1 else 0))
    return f"{v:,.{digits}f}"


def _text(x: float, y: float, body: str, *, size: int = FS_TICK, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{e(v)}"' for k, v in attrs.items())
    return f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}"{extra}>{e(body)}</text>'


def _svg(fig_id: str, height: float, label: str, body: Iterable[str]) -> str:
    """An accessible inline SVG: ``role="img"``, ``aria-label`` and a ``<title>``."""
    return (
        f'<svg id="{fig_id}" role="img" aria-label="{e(label)}" viewBox="0 0 {W} {_f(height)}" '
        f'width="{W}" height="{_f(height)}" preserveAspectRatio="xMinYMin meet">'
        f"<title>{e(label)}</title>" + "".join(body) + "</svg>"
    )


def _x_axis(
    sx: Callable[[float], float], ticks: list[float], step: float, top: float, bottom: float, title: str
) -> list[str]:
    """Vertical grid lines, tick labels under ``bottom`` and the axis title under them."""
    out = [f'<g stroke="{GRID}" stroke-width="1">']
    out += [f'<line x1="{_f(sx(v))}" y1="{_f(top)}" x2="{_f(sx(v))}" y2="{_f(bottom)}"/>' for v in ticks]
    out.append("</g>")
    out.append(f'<line x1="{_f(sx(ticks[0]))}" y1="{_f(bottom)}" x2="{_f(sx(ticks[-1]))}" y2="{_f(bottom)}" '
               f'stroke="{MUTED}" stroke-width="1"/>')  # fmt: skip
    for v in ticks:
        x, label = sx(v), _tick_label(v, step)
        half = _text_width(label, FS_TICK) / 2
        x, anchor = (W - 1, "end") if x + half > W - 1 else (1, "start") if x - half < 1 else (x, "middle")
        out.append(_text(x, bottom + 17, label, anchor=anchor, fill=MUTED))
    centre = (sx(ticks[0]) + sx(ticks[-1])) / 2
    out.append(_text(centre, bottom + 38, title, size=FS_LABEL, anchor="middle", fill=MUTED))
    return out


# --- charts ----------------------------------------------------------------------------------


def _histogram_svg(rec: Recommendation) -> str:
    """First-year cost: the histogram of the draws, with P10 / P50 / P90 as labelled vertical lines."""
    lang = rec.lang
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    hist, band = rec.first_year_histogram, rec.cost_cny.first_year
    unit = L("unit.CNY")
    ml, mr, mt, ph = 52, 14, 70, 190
    height = mt + ph + 50
    lo, hi = hist.edges[0], hist.edges[-1]
    pw = W - ml - mr
    sx = lambda v: ml + (min(max(v, lo), hi) - lo) / (hi - lo) * pw  # noqa: E731
    top = max(hist.counts)
    ystep = _step(top, 4)
    ymax = math.ceil(top / ystep) * ystep
    sy = lambda c: mt + ph - c / ymax * ph  # noqa: E731
    body: list[str] = []
    yticks = _ticks(0, ymax, ystep)
    body.append(f'<g stroke="{GRID}" stroke-width="1">')
    body += [f'<line x1="{ml}" y1="{_f(sy(c))}" x2="{W - mr}" y2="{_f(sy(c))}"/>' for c in yticks]
    body.append("</g>")
    body += [_text(ml - 6, sy(c) + 4, number(c), anchor="end", fill=MUTED) for c in yticks]
    body.append(
        _text(14, mt + ph / 2, L("chart.axis.draws"), size=FS_LABEL, anchor="middle", fill=MUTED,
              transform=f"rotate(-90 14 {_f(mt + ph / 2)})")
    )  # fmt: skip
    p10, p90 = band.p10 or 0.0, band.p90 or 0.0
    body.append("<g>")
    for i, count in enumerate(hist.counts):
        x0, x1 = sx(hist.edges[i]), sx(hist.edges[i + 1])
        centre = (hist.edges[i] + hist.edges[i + 1]) / 2
        fill = GREEN if p10 <= centre <= p90 else GREEN_LIGHT
        body.append(
            f'<rect x="{_f(x0 + 0.5)}" y="{_f(sy(count))}" width="{_f(max(x1 - x0 - 1, 0.5))}" '
            f'height="{_f(mt + ph - sy(count))}" fill="{fill}"/>'
        )
    body.append("</g>")
    xstep = _step(hi - lo, 4)
    xticks = [v for v in _ticks(lo, hi, xstep) if lo <= v <= hi]
    if len(xticks) < 2:
        xticks, xstep = [lo, hi], hi - lo
    body += _x_axis(sx, xticks, xstep, mt, mt + ph, L("chart.axis.first_year_cny"))
    # P10 on the top row, P90 on the row nearest the plot: labels sit right of their line, so a line
    # only crosses the rows of the labels that belong to lines to its right (never the labels' text).
    for row, (name, value) in enumerate((("P10", band.p10), ("P50", band.p50), ("P90", band.p90))):
        if value is None:
            continue
        x, y = sx(value), 18 + row * 20
        label = f"{name} {number(value)}"
        colour, dash = (ACCENT, "") if name == "P50" else (INK, ' stroke-dasharray="4 3"')
        body.append(
            f'<line x1="{_f(x)}" y1="{_f(y - 12)}" x2="{_f(x)}" y2="{_f(mt + ph)}" stroke="{colour}" '
            f'stroke-width="{2 if name == "P50" else 1.5}"{dash}/>'
        )
        fits_right = x + 5 + _text_width(label, FS_TICK) <= W - 2
        lx, anchor = (x + 5, "start") if fits_right else (x - 5, "end")
        # a white halo under the label, drawn as its own text: PDF renderers ignore paint-order
        body.append(_text(lx, y, label, anchor=anchor, fill="#fff", font_weight="600", stroke="#fff",
                          stroke_width="3", aria_hidden="true"))  # fmt: skip
        body.append(_text(lx, y, label, anchor=anchor, fill=colour, font_weight="600"))
    aria = L(
        "html.first_year.aria",
        title=L("chart.first_year.title"),
        p10=amount(band.p10, lang),
        p50=amount(band.p50, lang),
        p90=amount(band.p90, lang),
        unit=unit,
        draws=rec.draws,
    )
    return _svg("fig-first-year", height, aria, body)


def _bars_svg(
    fig_id: str, rows: list[tuple[str, float, float, float]], axis_title: str, aria: str, fill: str
) -> str:
    """Horizontal bars at P50 with P10–P90 whiskers; each row's label above its bar."""
    ml, mr, mt, row_h = 6, 60, 6, 44
    pw = W - ml - mr
    top = max((max(p50, p90) for _, _, p50, p90 in rows), default=0.0)
    step = _step(top, 4) if top > 0 else 1.0
    xmax = max(math.ceil(top / step - 1e-9) * step, step)
    sx = lambda v: ml + max(v, 0.0) / xmax * pw  # noqa: E731
    bottom = mt + row_h * len(rows) + 4
    height = bottom + 46
    ticks = _ticks(0, xmax, step)
    body = _x_axis(sx, ticks, step, mt, bottom, axis_title)
    for i, (label, p10, p50, p90) in enumerate(rows):
        y = mt + i * row_h
        bar_y, bar_h = y + 22, 14
        cy = bar_y + bar_h / 2
        body.append("<g>")
        body.append(f"<title>{e(label)}: P50 {number(p50)} (P10–P90 {number(p10)}–{number(p90)})</title>")
        body.append(_text(ml, y + 15, _clip(label, FS_LABEL, W - ml - 4), size=FS_LABEL))
        body.append(
            f'<rect x="{_f(sx(0))}" y="{_f(bar_y)}" width="{_f(max(sx(p50) - sx(0), 0))}" '
            f'height="{bar_h}" fill="{fill}"/>'
        )
        body.append(
            f'<g stroke="{INK}" stroke-width="1.5"><line x1="{_f(sx(p10))}" y1="{_f(cy)}" x2="{_f(sx(p90))}" '
            f'y2="{_f(cy)}"/><line x1="{_f(sx(p10))}" y1="{_f(cy - 5)}" x2="{_f(sx(p10))}" y2="{_f(cy + 5)}"/>'
            f'<line x1="{_f(sx(p90))}" y1="{_f(cy - 5)}" x2="{_f(sx(p90))}" y2="{_f(cy + 5)}"/></g>'
        )
        body.append(_text(sx(max(p50, p90)) + 6, cy + 4, number(p50), fill=INK, font_weight="600"))
        body.append("</g>")
    return _svg(fig_id, height, aria, body)


def _ramp_rows(rec: Recommendation) -> list[ModuleResult]:
    order = list(rec.modules)
    rows = [
        m
        for m in rec.modules.values()
        if m.start_week is not None and m.operational_week is not None and m.steady_state_week is not None
    ]
    return sorted(rows, key=lambda m: (m.phase or 0, order.index(m.module)))


def _ramp_svg(rec: Recommendation, rows: list[ModuleResult]) -> str:
    """One row per adopted module: start → operational (P50), lighter to steady state, P10–P90 whisker."""
    lang = rec.lang
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    ml, mr, mt, row_h = 6, 16, 6, 62
    pw = W - ml - mr
    top = 0.0
    for m in rows:
        assert m.start_week and m.operational_week and m.steady_state_week
        for v in (m.start_week.p50, m.operational_week.p90, m.steady_state_week.p50):
            top = max(top, v or 0.0)
    step = _step(top, 5) if top > 0 else 1.0
    xmax = max(math.ceil(top / step - 1e-9) * step, step)
    sx = lambda v: ml + max(v or 0.0, 0.0) / xmax * pw  # noqa: E731
    bottom = mt + row_h * len(rows) + 4
    height = bottom + 46
    body = _x_axis(sx, _ticks(0, xmax, step), step, mt, bottom, L("chart.axis.weeks"))
    for i, m in enumerate(rows):
        assert m.start_week and m.operational_week and m.steady_state_week
        start, op, steady = m.start_week, m.operational_week, m.steady_state_week
        y = mt + i * row_h
        bar_y, bar_h = y + 39, 14
        cy = bar_y + bar_h / 2
        label = L(
            "html.ramp.row",
            module=m.name,
            phase=L("report.phase", phase=m.phase),
            start=f"{start.p50:g}",
            operational=f"{op.p50:g}",
            steady=f"{steady.p50:g}",
        )
        body.append("<g>")
        body.append(f"<title>{e(label)}</title>")
        head = L("html.ramp.module", module=m.name, phase=L("report.phase", phase=m.phase))
        detail = L(
            "html.ramp.detail", start=f"{start.p50:g}", operational=f"{op.p50:g}", steady=f"{steady.p50:g}"
        )
        body.append(_text(ml, y + 15, _clip(head, FS_LABEL, W - ml - 4), size=FS_LABEL, font_weight="600"))
        body.append(_text(ml, y + 32, _clip(detail, FS_TICK, W - ml - 4), fill=MUTED))
        x0, x1, x2 = sx(start.p50), sx(op.p50), sx(steady.p50)
        body.append(
            f'<rect x="{_f(x1)}" y="{_f(bar_y)}" width="{_f(max(x2 - x1, 0))}" height="{bar_h}" '
            f'fill="{GREEN_LIGHT}"/>'
        )
        body.append(
            f'<rect x="{_f(x0)}" y="{_f(bar_y)}" width="{_f(max(x1 - x0, 1))}" height="{bar_h}" fill="{GREEN}"/>'
        )
        w0, w1 = sx(op.p10), sx(op.p90)
        body.append(
            f'<g stroke="{INK}" stroke-width="1.5"><line x1="{_f(w0)}" y1="{_f(cy)}" x2="{_f(w1)}" y2="{_f(cy)}"/>'
            f'<line x1="{_f(w0)}" y1="{_f(cy - 6)}" x2="{_f(w0)}" y2="{_f(cy + 6)}"/>'
            f'<line x1="{_f(w1)}" y1="{_f(cy - 6)}" x2="{_f(w1)}" y2="{_f(cy + 6)}"/></g>'
        )
        body.append("</g>")
    aria = (
        L("chart.ramp.title")
        + "; "
        + "; ".join(
            L(
                "html.ramp.row",
                module=m.name,
                phase=L("report.phase", phase=m.phase),
                start=f"{m.start_week.p50:g}",  # type: ignore[union-attr]
                operational=f"{m.operational_week.p50:g}",  # type: ignore[union-attr]
                steady=f"{m.steady_state_week.p50:g}",  # type: ignore[union-attr]
            )
            for m in rows
        )
    )
    return _svg("fig-ramp", height, aria, body)


def _legend(entries: list[tuple[str, str, str]]) -> str:
    """A legend in HTML (it wraps on a phone); swatches are borders, which print without backgrounds."""
    items = "".join(
        f'<li><span class="sw{" sw-" + kind if kind else ""}" style="border-color:{colour}"></span>{e(text)}</li>'
        for kind, colour, text in entries
    )
    return f'<ul class="legend">{items}</ul>'


# --- page parts ------------------------------------------------------------------------------


def _cites(cites: list[str]) -> str:
    spans = []
    for c in cites:
        try:
            source, _ = parse_cite(c)
            spans.append(f'<span class="cite" title="{e(source.title)}">{e(cite_label(c))}</span>')
        except ValueError:
            spans.append(f'<span class="cite">{e(c)}</span>')
    return "; ".join(spans)


Cell = tuple[str, str]  # (already escaped html, class: "num", "nw" (no wrap), "lead" (row label) or "")


def _table(head: list[Cell], rows: list[list[Cell]], cls: str = "") -> str:
    """A table in its own scrolling container (it never widens the page)."""

    def cell(tag: str, html: str, cls: str) -> str:
        return f'<{tag} class="{cls}">{html}</{tag}>' if cls else f"<{tag}>{html}</{tag}>"

    thead = "<tr>" + "".join(cell("th", h, c) for h, c in head) + "</tr>"
    body = "".join("<tr>" + "".join(cell("td", h, c) for h, c in row) + "</tr>" for row in rows)
    klass = f' class="{cls}"' if cls else ""
    return f'<div class="table-wrap"><table{klass}><thead>{thead}</thead><tbody>{body}</tbody></table></div>'


def _band_cells(band: Band, lang: str, digits: int = 0) -> list[Cell]:
    p10, p50, p90 = (amount(v, lang, digits) for v in (band.p10, band.p50, band.p90))
    return [(f"<strong>{e(p50)}</strong>", "num"), (f"{e(p10)}–<wbr>{e(p90)}", "num band")]


def _unit(unit: str) -> str:
    """A unit that may break after a slash on a narrow screen (``CNY/<wbr>month``)."""
    return e(unit).replace("/", "/<wbr>")


def _item_label(rec: Recommendation, item: Item) -> str:
    owner = rec.modules[item.module].name if item.module else t("chart.shared", rec.lang)
    return f"{owner} · {item.label}"


def _section(sid: str, title: str, *parts: str, cls: str = "card") -> str:
    return f'<section class="{cls}" id="{sid}"><h2>{e(title)}</h2>{"".join(parts)}</section>'


CSS = """
:root{--ink:#1d2530;--muted:#5b6675;--line:#dfe3e8;--bg:#f4f6f8;--card:#fff;--green:#07a35a;
--green-d:#05713f;--amber:#b7791f;--red:#b42318}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font-size:15px;line-height:1.65;overflow-wrap:break-word;
font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei","Hiragino Sans GB","Source Han Sans SC",
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
html[lang="en"] body{font-family:"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans CJK SC","PingFang SC",
"Microsoft YaHei",sans-serif}
.report{max-width:960px;margin:0 auto;padding:24px 16px 40px}
h1{font-size:1.6rem;line-height:1.3;margin:0 0 4px}
h2{font-size:1.2rem;line-height:1.35;margin:0 0 12px}
h3{font-size:1.08rem;line-height:1.35;margin:0}
p{margin:0 0 8px}
.meta,.muted{color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:0 0 16px}
.toc{display:flex;flex-wrap:wrap;gap:6px 8px;list-style:none;margin:12px 0 16px;padding:0}
.toc a{display:inline-block;padding:2px 12px;border:1px solid var(--line);border-radius:999px;background:#fff;
color:var(--ink);text-decoration:none;font-size:.85rem}
.plan-label{font-size:1.3rem;font-weight:700;color:var(--green-d);line-height:1.4;margin:0 0 8px}
.phases{margin:0 0 12px;padding-left:1.3em}
.phase-name{font-weight:600}
.win{display:flex;flex-wrap:wrap;align-items:center;gap:4px 14px;border-top:1px solid var(--line);padding-top:10px}
.win-num{font-size:2rem;font-weight:700;color:var(--green);line-height:1.1}
.win-text{display:flex;flex-direction:column}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:0 0 12px;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.92rem}
table.compact{width:auto;min-width:min(100%,560px)}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{font-weight:600;color:var(--muted);border-bottom:2px solid var(--line);white-space:nowrap}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.nw{white-space:nowrap}
.num.band{white-space:normal}
td.lead{min-width:7.5em}
tbody th{font-weight:600}
figure{margin:14px 0 4px}
figcaption{font-weight:600;font-size:.95rem;margin:0 0 6px}
.chart svg{display:block;width:100%;max-width:600px;height:auto}
.legend{display:flex;flex-wrap:wrap;gap:2px 18px;list-style:none;margin:6px 0 0;padding:0;font-size:.85rem;
color:var(--muted)}
.sw{display:inline-block;width:0;height:12px;border-left:18px solid;margin-right:6px;vertical-align:-1px}
.sw-line{height:2px;vertical-align:4px}
.note{color:var(--muted);font-style:italic}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin:0}
.stats div{border:1px solid var(--line);border-radius:8px;padding:8px 12px}
.stats dt{color:var(--muted);font-size:.85rem}
.stats dd{margin:0;font-size:1.15rem;font-weight:600;font-variant-numeric:tabular-nums}
.stats .bad dd{color:var(--red)}
.warnings{list-style:none;margin:0;padding:0}
.warnings li{border-left:4px solid var(--amber);padding:6px 12px;margin:0 0 8px;background:#fff8eb}
.cites{display:block;font-size:.82rem;color:var(--muted);margin-top:4px}
.modules{display:grid;gap:16px}
.module{margin:0}
.module-head{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px;margin-bottom:8px}
.badge{display:inline-block;padding:0 10px;border-radius:999px;font-size:.85rem;font-weight:600;border:1px solid;
white-space:nowrap}
.badge.keep{color:#1f4e79;border-color:#1f4e79;background:#eaf2fb}
.badge.adopt_now{color:var(--green-d);border-color:var(--green-d);background:#e6f6ed}
.badge.adopt_later{color:#8a5a00;border-color:#8a5a00;background:#fdf3dc}
.badge.not_recommended{color:#5b6675;border-color:#9aa5b1;background:#f1f3f5}
.fit{color:var(--muted);font-size:.9rem;white-space:nowrap}
.decision{font-weight:500}
.module h4{font-size:.9rem;font-weight:600;margin:10px 0 0}
.reasons{list-style:none;margin:8px 0 0;padding:0}
.reasons>li{border-top:1px dashed var(--line);padding:8px 0}
.effect{display:inline-block;font-size:.8rem;color:var(--green-d);border:1px solid var(--line);border-radius:6px;
padding:0 6px;margin-left:4px}
.counterfactuals li{margin-bottom:6px}
.articles{font-size:.88rem;padding-left:1.2em}
footer.method{color:var(--muted);font-size:.88rem}
.notes p{white-space:normal;margin:0 0 8px}
.reopen{margin:8px 0 0}
a.url{overflow-wrap:anywhere;word-break:break-all;font-size:.85rem}
footer.method p{margin:0 0 4px}
@media (max-width:600px){
body{font-size:14.5px}
.report{padding:16px 10px 32px}
.card{padding:12px 12px;border-radius:8px}
h1{font-size:1.35rem}
.win-num{font-size:1.6rem}
th,td{padding:5px 6px}
}
@media print{
@page{size:A4;margin:14mm 12mm}
html,body{background:none;font-size:10.5pt;line-height:1.5}
.report{max-width:none;padding:0}
.toc{display:none}
.card{border:1px solid #bbb;border-radius:0;padding:8pt 10pt;margin:0 0 8pt;background:none}
.reasons>li,tr,figure,svg,.warnings li,.stats div,.notes p{break-inside:avoid;page-break-inside:avoid}
h1,h2,h3,figcaption{break-after:avoid;page-break-after:avoid}
.table-wrap{overflow:visible}
.num.band{white-space:nowrap}
.warnings li,.badge,.effect{background:none}
.chart svg{max-width:125mm}
a{color:inherit;text-decoration:none}
a[href^="http"]:not(.url)::after{content:" (" attr(href) ")"}
}
"""


def _value_html(rec: Recommendation) -> str:
    """What the plan earns back: net, payback and its probability first, then the month-by-month cash flow."""
    lang = rec.lang
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    v = rec.value
    h = v.horizon_months
    cny, cny_month = L("unit.CNY"), L("unit.CNY/month")
    head = [("", ""), ("P50", "num"), ("P10–P90", "num"), (e(L("report.unit")), "")]
    rows = [
        [
            (e(L("report.net_first_year")), "lead"),
            *_band_cells(v.net_cny.first_year, lang),
            (_unit(cny), "nw"),
        ],
    ]
    if h != 12:
        rows.append(
            [
                (e(L("report.net_horizon", months=h)), "lead"),
                *_band_cells(v.net_cny.horizon, lang),
                (_unit(cny), "nw"),
            ]
        )
    pb = payback_text(v.payback_months, h, lang)
    rows += [
        [(e(L("report.payback")), "lead"), (e(pb), "num"), ("", "num"), ("", "nw")],
        [
            (e(L("report.p_payback", months=h)), "lead"),
            (f"{v.p_payback_within_horizon:.0%}", "num"),
            ("", "num"),
            ("", "nw"),
        ],
        [(e(L("report.roi")), "lead"), *_band_cells(v.roi_first_year, lang, 2), ("", "nw")],
        [
            (e(L("report.gmv_steady")), "lead"),
            *_band_cells(v.gmv_monthly_steady_cny, lang),
            (_unit(cny_month), "nw"),
        ],
        [
            (e(L("report.gross_profit")), "lead"),
            *_band_cells(v.gross_profit_cny.first_year, lang),
            (_unit(cny), "nw"),
        ],
        [
            (e(L("report.cost_first_year")), "lead"),
            *_band_cells(v.cost_cny.first_year, lang),
            (_unit(cny), "nw"),
        ],
    ]
    sc = rec.scale
    inferred = L("report.inferred")
    scale = L(
        "report.scale_line",
        gmv=number(sc.current_monthly_gmv_cny),
        gmv_note=inferred if sc.gmv_inferred else "",
        reach=number(sc.reachable_customers),
        reach_note=inferred if sc.reach_inferred else "",
    )
    flow_head = [
        (e(L("report.month")), "num"),
        (e(L("report.month_cost")), "num"),
        (e(L("report.month_profit")), "num"),
        (e(L("report.cumulative")), "num"),
        ("P10–P90", "num"),
    ]
    flow = [
        [
            (str(c.month), "num"),
            (amount(c.cost.p50, lang), "num"),
            (amount(c.gross_profit.p50, lang), "num"),
            (amount(c.cumulative_net.p50, lang), "num"),
            (f"{amount(c.cumulative_net.p10, lang)} – {amount(c.cumulative_net.p90, lang)}", "num"),
        ]
        for c in v.cashflow
    ]
    return _section(
        "value",
        L("report.value"),
        _table(head, rows, "compact"),
        f'<p class="note">{e(scale)}</p>',
        f'<p class="note">{e(L("report.estimates_note"))}</p>',
        f"<h3>{e(L('report.cashflow'))}</h3>" + _table(flow_head, flow, "compact") if flow else "",
    )


def _notes_html(notes: str) -> str:
    """The consultant's notes as escaped paragraphs, their line breaks kept."""
    paragraphs = [p.strip() for p in notes.strip().replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(e(line.strip()) for line in p.splitlines() if line.strip()) + "</p>"
        for p in paragraphs
    )


def _inputs_html(rec: Recommendation, link: str) -> str:
    """The client's inputs, then the link that reopens the assessment (printed in full: it is the address)."""
    L = lambda key, **kw: t(key, rec.lang, **kw)  # noqa: E731
    head = [(e(L("report.inputs.field")), ""), (e(L("report.inputs.value")), "")]
    rows = [[(e(label), "lead"), (e(value), "")] for label, value in input_rows(rec)]
    url = safe_link(link)
    reopen = (
        f'<p class="reopen"><strong>{e(L("report.reopen"))}</strong>: {e(L("report.reopen_help"))}<br>'
        f'<a class="url" href="{e(url)}">{e(url)}</a></p>'
        if url
        else ""
    )
    return _section("inputs", L("report.inputs"), _table(head, rows, "compact inputs"), reopen)


def to_html(rec: Recommendation, *, notes: str = "", link: str = "") -> str:
    """The report as one self-contained HTML page (UTF-8, inline CSS and SVG, no script); ``notes`` and
    ``link`` as in :func:`engine.render.markdown.to_markdown`."""
    lang = rec.lang
    L = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    sep = L("html.list_sep")
    title = report_title(rec)
    cny, cny_month, weeks = L("unit.CNY"), L("unit.CNY/month"), L("unit.weeks")
    out: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        '<body><main class="report">',
        f"<header><h1>{e(title)}</h1>",
        f'<p class="meta">{e(L("report.as_of"))}: <time datetime="{rec.as_of.isoformat()}">'
        f"{rec.as_of.isoformat()}</time></p></header>",
    ]

    # table of contents (screen only)
    toc = [("notes", "report.notes")] if notes.strip() else []
    toc += [
        ("value", "report.value"),
        ("cost", "report.cost"),
        ("ramp", "report.ramp"),
        ("staffing", "report.staffing"),
    ]
    if rec.warnings:
        toc.append(("warnings", "report.warnings"))
    toc.append(("modules", "report.modules"))
    if rec.counterfactuals:
        toc.append(("counterfactuals", "report.counterfactuals"))
    if rec.alternatives:
        toc.append(("alternatives", "report.alternatives"))
    if rec.items:
        toc.append(("items", "report.items"))
    toc.append(("inputs", "report.inputs"))
    links = "".join(f'<li><a href="#{sid}">{e(t(key, lang))}</a></li>' for sid, key in toc)
    out.append(f'<nav aria-label="{e(L("html.contents"))}"><ul class="toc">{links}</ul></nav>')

    # plan, phases, win probability
    phases = []
    for ph in rec.plan.phases:
        start = start_text(ph.start_week, lang)
        names = sep.join(rec.modules[m].name for m in ph.modules)
        phases.append(
            f'<li><span class="phase-name">{e(L("report.phase", phase=ph.phase))}</span>: {e(names)} '
            f'<span class="muted">— {e(start)}</span></li>'
        )
    out.append(
        _section(
            "plan",
            L("report.plan"),
            f'<p class="plan-label">{e(rec.plan.label)}</p>',
            f'<ol class="phases">{"".join(phases)}</ol>' if phases else "",
            f'<div class="win"><span class="win-num">{rec.win_probability:.0%}</span>'
            f'<span class="win-text"><span class="muted">{e(L("report.win_probability"))}</span>'
            f"<strong>{e(rec.win_probability_text)}</strong></span></div>",
        )
    )

    if notes.strip():
        out.append(_section("notes", L("report.notes"), f'<div class="notes">{_notes_html(notes)}</div>'))

    out.append(_value_html(rec))

    # cost
    c = rec.cost_cny
    head = [("", ""), ("P50", "num"), ("P10–P90", "num"), (e(L("report.unit")), "")]
    rows = [
        [(e(L("report.setup")), "lead"), *_band_cells(c.setup, lang), (_unit(cny), "nw")],
        [(e(L("report.monthly")), "lead"), *_band_cells(c.monthly, lang), (_unit(cny_month), "nw")],
        [(e(L("report.first_year")), "lead"), *_band_cells(c.first_year, lang), (_unit(cny), "nw")],
        [
            (e(L("report.break_even")), "lead"),
            *_band_cells(rec.break_even_gmv_cny, lang),
            (_unit(cny_month), "nw"),
        ],
        [
            (e(L("html.break_even_orders")), "lead"),
            *_band_cells(rec.break_even_orders_per_month, lang),
            (_unit(L("html.unit.orders_month")), "nw"),
        ],
    ]
    hist = rec.first_year_histogram
    if sum(1 for n in hist.counts if n) > 1 and hist.edges[-1] > hist.edges[0]:
        chart = (
            f'<figure class="chart"><figcaption>{e(L("chart.first_year.title"))}</figcaption>'
            f"{_histogram_svg(rec)}"
            + _legend(
                [
                    ("", GREEN, L("html.first_year.inner")),
                    ("line", ACCENT, "P50"),
                    ("line", INK, L("html.first_year.p10_p90")),
                ]
            )
            + "</figure>"
        )
    else:
        value = amount(c.first_year.p50, lang)
        chart = f'<p class="note">{e(L("html.first_year.degenerate", value=value, unit=cny))}</p>'
    out.append(_section("cost", L("report.cost"), _table(head, rows, "compact"), chart))

    # ramp
    head = [("", ""), ("P50", "num"), ("P10–P90", "num"), (e(L("report.unit")), "")]
    rows = [
        [(e(L("report.operational")), "lead"), *_band_cells(rec.ramp_weeks.operational, lang, 1), (e(weeks), "nw")],
        [(e(L("report.steady_state")), "lead"), *_band_cells(rec.ramp_weeks.steady_state, lang, 1), (e(weeks), "nw")],
    ]  # fmt: skip
    ramp_rows = _ramp_rows(rec)
    if ramp_rows:
        ramp_chart = (
            f'<figure class="chart"><figcaption>{e(L("chart.ramp.title"))}</figcaption>'
            f"{_ramp_svg(rec, ramp_rows)}"
            + _legend(
                [
                    ("", GREEN, L("chart.ramp.to_operational")),
                    ("", GREEN_LIGHT, L("chart.ramp.to_steady")),
                    ("line", INK, L("html.ramp.whisker")),
                ]
            )
            + "</figure>"
        )
    else:
        ramp_chart = f'<p class="note">{e(L("html.ramp.none"))}</p>'
    out.append(_section("ramp", L("report.ramp"), _table(head, rows, "compact"), ramp_chart))

    # staffing
    s = rec.staffing
    short = ' class="bad"' if s.shortfall_fte > 0 else ""
    out.append(
        _section(
            "staffing",
            L("report.staffing"),
            '<dl class="stats">'
            f"<div><dt>{e(L('report.required'))}</dt><dd>{e(band_text(s.required_band, lang, 1))}</dd></div>"
            f"<div><dt>{e(L('report.available'))}</dt><dd>{s.available_fte:g}</dd></div>"
            f"<div><dt>{e(L('report.hires'))}</dt><dd>{e(band_text(s.hires_band, lang, 1))}</dd></div>"
            f"<div{short}><dt>{e(L('report.shortfall'))}</dt><dd>{s.shortfall_fte:.1f}</dd></div>"
            "</dl>",
        )
    )

    # warnings
    if rec.warnings:
        items = "".join(
            f"<li>{e(w.text)}"
            + (
                f'<span class="cites">{e(L("report.sources"))}: {_cites(w.sources)}</span>'
                if w.sources
                else ""
            )
            + "</li>"
            for w in rec.warnings
        )
        out.append(_section("warnings", L("report.warnings"), f'<ul class="warnings">{items}</ul>'))

    # one card per module
    cards = []
    for m in rec.modules.values():
        phase = f'<span class="muted">{e(L("report.phase", phase=m.phase))}</span>' if m.phase else ""
        reasons = []
        for r in m.reasons:
            effect = f'<span class="effect">{e(r.effect)}</span>' if r.effect else ""
            cites = (
                f'<span class="cites">{e(L("report.sources"))}: {_cites(r.sources)}</span>'
                if r.sources
                else ""
            )
            reasons.append(f"<li><strong>{e(r.label)}</strong>{effect}<br>{e(r.text)}{cites}</li>")
        cards.append(
            f'<article class="card module" id="module-{e(m.module)}">'
            f'<div class="module-head"><h3>{e(m.name)}</h3>'
            f'<span class="badge {e(m.verdict)}">{e(t("verdict." + m.verdict, lang))}</span>{phase}'
            f'<span class="fit">{e(L("report.fit"))} {m.fit:.2f}</span></div>'
            f'<p class="decision">{e(m.decision)}</p>'
            + (
                f'<h4 class="muted">{e(L("report.reasons"))}</h4><ul class="reasons">{"".join(reasons)}</ul>'
                if reasons
                else ""
            )
            + "</article>"
        )
    out.append(
        f'<section id="modules"><h2 class="section-title">{e(L("report.modules"))}</h2>'
        f'<div class="modules">{"".join(cards)}</div></section>'
    )

    # what would change this
    if rec.counterfactuals:
        items = []
        for cf in rec.counterfactuals:
            if cf.effects:
                items.append(
                    f"<li><strong>{e(cf.change)}</strong>: {e('; '.join(cf.effects))} → "
                    f"<strong>{e(cf.plan)}</strong></li>"
                )
            elif cf.plan:
                items.append(f"<li><strong>{e(cf.change)}</strong> → <strong>{e(cf.plan)}</strong></li>")
            else:
                items.append(f"<li>{e(cf.change)}</li>")
        out.append(
            _section(
                "counterfactuals",
                L("report.counterfactuals"),
                f'<ul class="counterfactuals">{"".join(items)}</ul>',
            )
        )

    # alternatives
    if rec.alternatives:
        head = [
            (e(L("html.plan_column")), ""),
            (e(f"{L('report.first_year')} ({cny})"), "num"),
            (e(f"{L('report.operational')} ({weeks})"), "num"),
            (e(L("report.shortfall")), "num"),
            (e(L("report.score")), "num"),
            ("P(#1)", "num"),
        ]
        rows = [
            [
                (e(a.plan.label), "lead"),
                (e(band_text(a.cost_cny.first_year, lang)), "num"),
                (e(band_text(a.ramp_weeks.operational, lang, 1)), "num"),
                (f"{a.shortfall_fte:g}", "num"),
                (f"{a.mean_score:.3f}", "num"),
                (f"{a.win_probability:.0%}", "num"),
            ]
            for a in rec.alternatives
        ]
        out.append(_section("alternatives", L("report.alternatives"), _table(head, rows)))

    # cost breakdown: charts, then the table
    if rec.items:
        parts = []
        monthly = [i for i in rec.items if i.kind in MONTHLY_KINDS]
        setup = [i for i in rec.items if i.kind == "setup"]
        for fig_id, chosen, caption, axis, fill in (
            ("fig-monthly", monthly, "chart.cost_breakdown.monthly_title", "chart.axis.cny_month", GREEN),
            ("fig-setup", setup, "chart.cost_breakdown.setup_title", "chart.axis.cny", BLUE),
        ):
            if not chosen:
                continue
            rows_ = [(_item_label(rec, i), i.p10, i.p50, i.p90) for i in chosen]
            aria = t(caption, lang) + "; " + "; ".join(f"{lbl}: {number(p50)}" for lbl, _, p50, _ in rows_)
            parts.append(
                f'<figure class="chart"><figcaption>{e(t(caption, lang))}</figcaption>'
                f"{_bars_svg(fig_id, rows_, t(axis, lang), aria, fill)}</figure>"
            )
        head = [
            (e(L("report.module")), ""),
            (e(L("report.item")), ""),
            (e(L("report.kind")), ""),
            (e(L("report.unit")), ""),
            ("P10", "num"),
            ("P50", "num"),
            ("P90", "num"),
        ]
        rows = [
            [
                (e(rec.modules[i.module].name if i.module else "—"), "nw"),
                (e(i.label), "lead"),
                (e(t("kind." + i.kind, lang)), "nw"),
                (e(t("unit." + i.unit, lang)), "nw"),
                (number(i.p10), "num"),
                (number(i.p50), "num"),
                (number(i.p90), "num"),
            ]
            for i in rec.items
        ]
        parts.append(_table(head, rows))
        out.append(_section("items", L("report.items"), *parts))

    out.append(_inputs_html(rec, link))

    # the articles cited, then the method, assumptions and overrides
    cited: dict[str, None] = {}
    for m in rec.modules.values():
        for r in m.reasons:
            cited.update(dict.fromkeys(r.sources))
    for w in rec.warnings:
        cited.update(dict.fromkeys(w.sources))
    articles = {}
    for c in cited:
        try:
            source, _ = parse_cite(c)
        except ValueError:
            continue
        articles[source.file] = source
    footer = []
    if articles:
        lines = "".join(
            f"<li>{e(src.file)} — {e(src.title)} ({e(src.outlet)}, {src.published.isoformat()})</li>"
            for src in sorted(articles.values(), key=lambda s: s.file)
        )
        footer.append(f'<p><strong>{e(L("html.articles"))}</strong></p><ul class="articles">{lines}</ul>')
    footer.append(f"<p><em>{e(L('report.method', draws=rec.draws, seed=rec.seed))}</em></p>")
    footer.append(f"<p>{e(L('html.assumptions'))}: {e(assumptions_text(rec))}</p>")
    overrides = sep.join(f"{override_name(k, lang)} ×{v:g}" for k, v in sorted(rec.overrides.items())) or L(
        "html.overrides.none"
    )
    footer.append(f"<p>{e(L('html.overrides'))}: {e(overrides)}</p>")
    out.append(f'<footer class="card method">{"".join(footer)}</footer>')
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
