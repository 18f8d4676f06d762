"""Render a :class:`Recommendation` as one self-contained HTML page, in the language it was computed in.

The page mirrors :func:`engine.render.markdown.to_markdown` (same content, same order) and adds the app's
own charts of the first-year cost distribution, the ramp timeline and the cost breakdown
(:mod:`engine.render.charts`), drawn as inline SVG by vl-convert. Everything is inline (CSS, SVG); there is
no script and no external resource, so the file can be mailed, archived or printed as it is. Every string
that comes from data is escaped.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING

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
from engine.result import Band, Item, Recommendation
from engine.sources import parse_cite
from engine.text import amount, number

if TYPE_CHECKING:
    import altair as alt

# --- charts: the app's charts (engine/render/charts.py) as inline SVG ---------------------------

CHART_WIDTH = 460  # pixels of a chart, axes included (about 125 mm: the width a chart gets on A4)
# On paper a chart is read at arm's length: one font with both CJK and Latin glyphs (the first of the
# page's own stack that Debian ships, so that the labels are measured in the font they are drawn in) and
# type a little larger than the app's. The marks' ARIA labels are left out: the <svg> is one image with
# its own label, and the file stays small.
CHART_CONFIG = {
    "font": '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    "aria": False,
    "axis": {"labelFontSize": 11, "titleFontSize": 12},
    "legend": {"labelFontSize": 11, "titleFontSize": 12},
    "title": {"fontSize": 13, "anchor": "start", "frame": "bounds"},  # from the left edge: long titles fit
}


def e(value: object) -> str:
    """Escape text for HTML and SVG (element content and quoted attributes)."""
    return escape(str(value), quote=True)


def _charts():
    """:mod:`engine.render.charts`, imported with the first chart drawn: ``import engine`` (and every CLI
    command) does without altair."""
    from engine.render import charts

    return charts


@lru_cache(maxsize=64)
def _drawn(spec: str) -> str:
    """The SVG of a Vega-Lite spec (JSON text), kept: a report made again with other notes, or as the PDF,
    draws no chart twice (a chart takes a tenth of a second or more)."""
    import vl_convert  # with the first chart, like altair

    return vl_convert.vegalite_to_svg(spec, config=CHART_CONFIG, allowed_base_urls=[])


def _svg(chart: alt.TopLevelMixin, fig_id: str, label: str) -> str:
    """``chart`` drawn as an accessible inline SVG: ``role="img"``, ``aria-label`` and a ``<title>``. No data
    is fetched: the charts carry their values inline, and no base URL is allowed.

    vl-convert runs Vega-Lite in-process (no browser) and reads the machine's fonts itself: with Debian's
    fonts-noto-cjk (make pdf-deps) it measures the Chinese labels in the font they are drawn in (registering
    /usr/share/fonts/opentype/noto as well changes nothing drawn). Without that font only the measured widths
    differ; the reader's fonts draw the text."""
    sized = chart.properties(width=CHART_WIDTH, autosize={"type": "fit-x", "contains": "padding"})
    drawn = _drawn(json.dumps(_charts().spec(sized), sort_keys=True))
    opening, _, body = drawn.partition(">")  # <svg xmlns=… class="marks" width=… height=… viewBox=…>
    size = " ".join(re.findall(r'(?:width|height|viewBox)="[^"]*"', opening))
    return (
        f'<svg id="{fig_id}" role="img" aria-label="{e(label)}" xmlns="http://www.w3.org/2000/svg" {size}>'
        f"<title>{e(label)}</title>{body}"
    )


def _figure(chart: alt.TopLevelMixin, fig_id: str, label: str) -> str:
    return f'<figure class="chart">{_svg(chart, fig_id, label)}</figure>'


def _first_year_figure(rec: Recommendation) -> str:
    """The first-year cost distribution, or a sentence when every draw costs the same."""
    lang = rec.lang
    hist, band, unit = rec.first_year_histogram, rec.cost_cny.first_year, t("unit.CNY", lang)
    if sum(1 for n in hist.counts if n) <= 1 or hist.edges[-1] <= hist.edges[0]:
        value = amount(band.p50, lang)
        return f'<p class="note">{e(t("html.first_year.degenerate", lang, value=value, unit=unit))}</p>'
    label = t(
        "html.first_year.aria",
        lang,
        title=t("chart.first_year.title", lang),
        p10=amount(band.p10, lang),
        p50=amount(band.p50, lang),
        p90=amount(band.p90, lang),
        unit=unit,
        draws=rec.draws,
    )
    return _figure(_charts().first_year_distribution(rec), "fig-first-year", label)


def _ramp_figure(rec: Recommendation) -> str:
    """The ramp timeline of the adopted modules, or a sentence when the plan adopts none."""
    lang = rec.lang
    chart = _charts().ramp_timeline(rec)
    if chart is None:
        return f'<p class="note">{e(t("html.ramp.none", lang))}</p>'
    rows = [
        t(
            "html.ramp.row",
            lang,
            module=m.name,
            phase=t("report.phase", lang, phase=m.phase),
            start=f"{m.start_week.p50:g}",
            operational=f"{m.operational_week.p50:g}",
            steady=f"{m.steady_state_week.p50:g}",
        )
        for m in rec.modules.values()
        if m.start_week is not None and m.operational_week is not None and m.steady_state_week is not None
    ]
    return _figure(chart, "fig-ramp", "; ".join([t("chart.ramp.title", lang), *rows]))


def _cost_figures(rec: Recommendation) -> list[str]:
    """The monthly and the one-time items of the plan, each a chart of P50 bars with P10–P90 lines."""
    out = []
    for fig_id, group, title in (
        ("fig-monthly", "monthly", "chart.cost_breakdown.monthly_title"),
        ("fig-setup", "setup", "chart.cost_breakdown.setup_title"),
    ):
        chart = _charts().cost_breakdown(rec, group)
        if chart is None:
            continue
        items = [i for i in rec.items if (i.kind == "setup") == (group == "setup")]
        label = "; ".join([t(title, rec.lang), *(f"{_item_label(rec, i)}: {number(i.p50)}" for i in items)])
        out.append(_figure(chart, fig_id, label))
    return out


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
.chart svg{display:block;width:100%;max-width:600px;height:auto}
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
h1,h2,h3{break-after:avoid;page-break-after:avoid}
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
    out.append(_section("cost", L("report.cost"), _table(head, rows, "compact"), _first_year_figure(rec)))

    # ramp
    head = [("", ""), ("P50", "num"), ("P10–P90", "num"), (e(L("report.unit")), "")]
    rows = [
        [(e(L("report.operational")), "lead"), *_band_cells(rec.ramp_weeks.operational, lang, 1), (e(weeks), "nw")],
        [(e(L("report.steady_state")), "lead"), *_band_cells(rec.ramp_weeks.steady_state, lang, 1), (e(weeks), "nw")],
    ]  # fmt: skip
    out.append(_section("ramp", L("report.ramp"), _table(head, rows, "compact"), _ramp_figure(rec)))

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
        parts = _cost_figures(rec)
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
