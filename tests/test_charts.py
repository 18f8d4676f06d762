"""Charts: pure functions of a result, labelled in its language, robust to empty plans."""

from __future__ import annotations

import html
import json

import pytest

from engine import recommend
from engine.i18n import t
from engine.render import charts
from tests.conftest import AS_OF, make_profile


@pytest.fixture(scope="module")
def recs():
    profile = make_profile(douyin_presence="established", private_domain="none", goal="acquisition")
    return {lang: recommend(profile, as_of=AS_OF, draws=1000, lang=lang) for lang in ("zh", "en")}


ALL = (
    charts.cost_breakdown,
    charts.first_year_distribution,
    charts.ramp_timeline,
    charts.staffing,
    charts.alternatives,
    charts.cashflow,
)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("chart", ALL, ids=lambda f: f.__name__)
def test_chart_renders_with_labels_in_the_ui_language(recs, chart, lang):
    spec = json.dumps(chart(recs[lang]).to_dict(), ensure_ascii=False)
    assert "$schema" in spec
    titles = {
        charts.cost_breakdown: "chart.cost_breakdown.monthly_title",
        charts.first_year_distribution: "chart.axis.first_year_cny",
        charts.ramp_timeline: "chart.axis.weeks",
        charts.staffing: "chart.axis.fte",
        charts.alternatives: "chart.axis.net_first_year_cny",
        charts.cashflow: "chart.axis.cumulative_net_cny",
    }
    assert t(titles[chart], lang) in spec


def test_distribution_marks_p10_p50_p90(recs):
    spec = json.dumps(charts.first_year_distribution(recs["en"]).to_dict())
    band = recs["en"].cost_cny.first_year
    for name, value in (("P10", band.p10), ("P50", band.p50), ("P90", band.p90)):
        assert name in spec and str(value) in spec


def test_alternatives_highlight_the_recommendation(recs):
    rec = recs["zh"]
    spec = json.dumps(charts.alternatives(rec).to_dict(), ensure_ascii=False)
    assert t("chart.alternatives.recommended", "zh") in spec and rec.plan.label in spec
    assert t("chart.axis.fit", "zh") in spec


def _values(chart) -> list[dict]:
    """Every inline data row of a (layered) chart."""
    spec = chart.to_dict()
    layers = spec.get("layer", [spec])
    return [
        row for layer in layers for row in (layer.get("data") or spec.get("data") or {}).get("values", [])
    ]


def test_alternatives_plot_first_year_net(recs):
    """Each plan sits at its first-year net (P50, with its P10-P90), not at its cost."""
    rec = recs["en"]
    rows = {row["plan"]: row for row in _values(charts.alternatives(rec))}
    assert len(rows) == 1 + len(rec.alternatives) >= 2
    net = rec.value.net_cny.first_year
    assert (rows[rec.plan.label]["p10"], rows[rec.plan.label]["p50"], rows[rec.plan.label]["p90"]) == (
        net.p10,
        net.p50,
        net.p90,
    )
    for alt in rec.alternatives:
        assert rows[alt.plan.label]["p50"] == alt.net_cny_first_year.p50
    assert rows[rec.plan.label]["p50"] != rec.cost_cny.first_year.p50


def test_cashflow_fans_the_cumulative_net_month_by_month(recs):
    rec = recs["en"]
    rows = _values(charts.cashflow(rec))
    months = list({r["month"]: r for r in rows if "month" in r}.values())  # the fan and the line share them
    assert [r["month"] for r in months] == list(range(1, rec.value.horizon_months + 1))
    for row, month in zip(months, rec.value.cashflow, strict=True):
        band = month.cumulative_net
        assert (row["p10"], row["p50"], row["p90"]) == (band.p10, band.p50, band.p90)
        assert row["p10"] <= row["p50"] <= row["p90"]
    assert {"y": 0} in rows  # the payback line
    # the plan pays for its set-up first: the cumulative net starts below zero
    assert months[0]["p50"] < 0
    spec = json.dumps(charts.cashflow(recs["zh"]).to_dict(), ensure_ascii=False)
    assert t("chart.cashflow.title", "zh") in spec and t("chart.axis.month", "zh") in spec


def test_ramp_has_a_row_per_adopted_module(recs):
    rec = recs["en"]
    spec = json.dumps(charts.ramp_timeline(rec).to_dict(), ensure_ascii=False).replace("\\n", " ")  # wrapped
    for m in rec.modules.values():
        assert (m.name in spec) == (m.phase is not None)


def test_nothing_new_to_adopt_still_charts():
    rec = recommend(
        make_profile(existing_modules=["channels", "shop", "miniprogram", "wecom"]), as_of=AS_OF, draws=500
    )
    assert charts.cost_breakdown(rec, "setup") is None and charts.cost_breakdown(rec) is None
    assert charts.ramp_timeline(rec) is None
    assert charts.cashflow(rec) is None  # nothing spent, nothing earned: no fan to draw
    for chart in (charts.first_year_distribution, charts.staffing, charts.alternatives):
        chart(rec).to_dict()


def test_driver_charts_render_in_both_languages():
    from engine.sensitivity import sensitivity

    profile = make_profile(staff_fte=2, douyin_presence="established")
    for lang in ("zh", "en"):
        sens = sensitivity(profile, as_of=AS_OF, draws=500, sobol_n=64, lang=lang)
        for chart, key in (
            (charts.tornado(sens), "chart.drivers.tornado.title"),
            (charts.sobol(sens), "chart.drivers.sobol.title"),
            (charts.plan_wins(sens), "chart.drivers.wins.title"),
            (charts.timeline_drivers(sens), "chart.drivers.timeline.title"),
        ):
            spec = json.dumps(chart.to_dict(), ensure_ascii=False)  # validates against the Vega-Lite schema
            assert t(key, lang) in spec
        # the tornado is of first-year net: the bars span each row's net at P10 and P90; two labelled lines,
        # the headline's P50 and the all-central figure the bars swing around
        bars = _values(charts.tornado(sens))
        lines = {b["c"]: b["line"] for b in bars if "line" in b}
        assert lines == {
            sens.p50_net: t("chart.drivers.line.p50", lang, value=f"¥{sens.p50_net:,.0f}"),
            sens.central_net: t("chart.drivers.line.central", lang, value=f"¥{sens.central_net:,.0f}"),
        }
        top = max(sens.rows, key=lambda r: r.tornado.net_swing)
        (row,) = [b for b in bars if b.get("parameter") == top.label]
        assert (row["low"], row["high"]) == (
            min(top.tornado.net_low, top.tornado.net_high),
            max(top.tornado.net_low, top.tornado.net_high),
        )
        assert t("chart.drivers.axis.first_year", lang) in json.dumps(
            charts.tornado(sens).to_dict(), ensure_ascii=False
        )


def test_timeline_drivers_and_sobol_brackets():
    """What drives the weeks to operational, centred like the money tornado; the Sobol bars carry the
    bootstrap brackets the Method page promises (app/content/sensitivity.*.md, reason 5)."""
    from engine.sensitivity import sensitivity

    sens = sensitivity(make_profile(staff_fte=2, douyin_presence="established"), as_of=AS_OF, draws=500,
                       sobol_n=64, lang="en")  # fmt: skip
    timeline = _values(charts.timeline_drivers(sens))
    moving = [r for r in sens.rows if r.tornado.operational_swing > 0]
    assert moving and len([b for b in timeline if "parameter" in b]) == min(len(moving), 12)
    assert {b["c"] for b in timeline if "line" in b} == {sens.p50_operational, sens.central_operational}
    assert t("chart.drivers.axis.operational", "en") in json.dumps(charts.timeline_drivers(sens).to_dict())
    brackets = [b for b in _values(charts.sobol(sens)) if b["kind"] == t("chart.drivers.sobol.total", "en")]
    by_label = {b["parameter"]: b for b in brackets}
    for row in sens.rows[:12]:
        assert row.sobol_total_ci is not None
        assert (by_label[row.label]["lo"], by_label[row.label]["hi"]) == row.sobol_total_ci
    spec = json.dumps(charts.sobol(sens).to_dict(), ensure_ascii=False)
    assert t("chart.drivers.sobol.ci", "en", confidence="95%") in spec and '"rule"' in spec


# --- issue 10: labels that fit, a staffing legend of roles only, labelled alternatives ------------------


def test_long_labels_wrap_instead_of_being_cut():
    assert charts.wrap("Content production and samples") == "Content production and\nsamples"
    assert charts.wrap("短视频内容") == "短视频内容"
    long_zh = "资质与类目许可证办理费用以及其他很长的说明"
    lines = charts.wrap(long_zh).split("\n")
    assert "".join(lines) == long_zh and len(lines) > 1
    assert all(charts._columns(line) <= charts.LABEL_COLUMNS for line in lines)
    assert charts.wrap("x" * 40) == "x" * 22 + "\n" + "x" * 18  # one word longer than a line is split


def test_cost_and_ramp_labels_show_every_line(recs):
    rec = recs["en"]
    for chart in (
        charts.cost_breakdown(rec, "setup"),
        charts.cost_breakdown(rec, "monthly"),
        charts.ramp_timeline(rec),
    ):
        spec = chart.to_dict()
        axis = spec["layer"][0]["encoding"]["y"]["axis"]
        assert "split(datum.label" in axis["labelExpr"]
        values = (spec.get("data") or spec["layer"][0]["data"])["values"]
        label = "item" if "item" in values[0] else "module"
        assert all(charts._columns(line) <= charts.LABEL_COLUMNS
                   for v in values for line in v[label].split("\n"))  # fmt: skip


def _drawn_rows(chart) -> list[str]:
    """The y-axis labels of ``chart`` as vl-convert draws it (the report's SVG), top to bottom, each label's
    lines joined by a newline."""
    import re

    import vl_convert

    svg = vl_convert.vegalite_to_svg(json.dumps(chart.to_dict()))
    axis = svg[svg.index('aria-label="Y-axis') :]
    labels = axis[axis.index("role-axis-label") :].split("</g>", 1)[0]
    drawn = re.findall(r"<text[^>]*translate\([^,]+,([^)]+)\)[^>]*>(.*?)</text>", labels, re.S)
    return [
        "\n".join(html.unescape(line) for line in re.findall(r"<tspan[^>]*>(.*?)</tspan>", text) or [text])
        for _, text in sorted(drawn, key=lambda d: float(d[0]))
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("group", ["setup", "monthly"])
def test_cost_items_are_drawn_largest_first(recs, group, lang):
    """The cost breakdown's rows run from the largest P50 down in either language, not alphabetically (the
    bars and their P10-P90 lines are two layers that must agree on the order)."""
    chart = charts.cost_breakdown(recs[lang], group)
    p50 = {v["item"]: v["p50"] for v in _values(chart)}
    rows = _drawn_rows(chart)
    assert sorted(rows) == sorted(p50) and len(rows) >= 3
    assert [p50[r] for r in rows] == sorted(p50.values(), reverse=True)
    assert rows != sorted(rows)  # the order an alphabetical sort would give is not the order by size


def _layers(spec: dict) -> list[dict]:
    return [layer for layer in spec["layer"]]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_staffing_legend_lists_roles_and_the_people_on_hand_apart(recs, lang):
    rec = recs[lang]
    spec = charts.staffing(rec).to_dict()
    layers = _layers(spec)
    role_layer, supply_layer = layers[0], layers[1]
    roles = {v["role"] for v in role_layer["data"]["values"]}
    available = t("chart.staffing.available", lang)
    assert available not in roles  # the staff available is not a role
    assert role_layer["encoding"]["color"]["title"] == t("chart.staffing.role", lang)
    assert supply_layer["encoding"]["color"]["title"] == t("chart.staffing.have", lang)
    assert {v["role"] for v in supply_layer["data"]["values"]} <= {available, t("chart.staffing.hires", lang)}
    assert spec["resolve"]["scale"]["color"] == "independent"
    assert all(v["fte"] >= charts.SHOWN_FTE for v in role_layer["data"]["values"])
    shown = {t(f"role.{r}", lang) for r, fte in rec.staffing.by_role.items() if fte >= charts.SHOWN_FTE}
    assert roles == shown


def test_staff_rows_of_nobody_are_left_out_and_totals_are_written(recs):
    rec = recs["en"]
    roles = dict(rec.staffing.by_role)
    some = next(iter(roles))
    zeroed = rec.model_copy(
        update={"staffing": rec.staffing.model_copy(update={"by_role": {**roles, some: 0.0}})}
    )
    spec = charts.staffing(zeroed).to_dict()
    assert t(f"role.{some}", "en") not in {v["role"] for v in _layers(spec)[0]["data"]["values"]}
    totals = _layers(spec)[-1]
    assert totals["mark"]["type"] == "text"
    need = next(
        v["total"] for v in totals["data"]["values"] if v["bar"] == t("chart.staffing.required", "en")
    )
    assert need == pytest.approx(sum(f for r, f in roles.items() if r != some and f >= charts.SHOWN_FTE))


def test_alternatives_dots_are_labelled_with_their_plan(recs):
    rec = recs["en"]
    spec = charts.alternatives(rec).to_dict()
    text = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(text) == 2 and all(layer["encoding"]["text"]["field"] == "short" for layer in text)
    values = spec["data"]["values"]
    assert {v["plan"] for v in values} == {rec.plan.label, *(a.plan.label for a in rec.alternatives)}
    assert all("(" not in v["short"] and v["short"] for v in values)  # names without their originals
    assert {v["side"] for v in values} <= {"above", "below"}


def test_labels_of_neighbouring_dots_go_to_opposite_sides():
    assert charts._label_sides([(0, 0.5, "A + B"), (100, 0.5, "C")]) == ["above", "above"]  # far apart
    assert charts._label_sides([(0, 0.5, "A + B"), (100, 0.5, "C"), (2, 0.46, "D")]) == [
        "above",
        "above",
        "below",
    ]
    # the layout the issue showed: a cluster of alternatives under the recommendation
    dots = [
        (320, 0.8, "Channels + WeChat Shop"),
        (285, 0.68, "WeChat Shop → Channels → WeCom"),
        (292, 0.68, "WeChat Shop → Channels → Mini-program mall"),
        (262, 0.6, "WeChat Shop → Mini-program mall"),
        (65, 0.6, "WeChat Shop → Mini-program mall"),
    ]
    assert charts._label_sides(dots) == ["above", "above", "below", "below", "above"]
