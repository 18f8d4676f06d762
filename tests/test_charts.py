"""Charts: pure functions of a result, labelled in its language, robust to empty plans."""

from __future__ import annotations

import json

import pytest

from app import charts
from engine import recommend
from engine.i18n import t
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
        charts.alternatives: "chart.axis.fit",
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


def test_ramp_has_a_row_per_adopted_module(recs):
    rec = recs["en"]
    spec = json.dumps(charts.ramp_timeline(rec).to_dict(), ensure_ascii=False)
    for m in rec.modules.values():
        assert (m.name in spec) == (m.phase is not None)


def test_nothing_new_to_adopt_still_charts():
    rec = recommend(
        make_profile(existing_modules=["channels", "shop", "miniprogram", "wecom"]), as_of=AS_OF, draws=500
    )
    assert charts.cost_breakdown(rec, "setup") is None and charts.cost_breakdown(rec) is None
    assert charts.ramp_timeline(rec) is None
    for chart in (charts.first_year_distribution, charts.staffing, charts.alternatives):
        chart(rec).to_dict()


def test_driver_charts_render_in_both_languages():
    from engine.sensitivity import sensitivity

    profile = make_profile(staff_fte=2, douyin_presence="established")
    for lang in ("zh", "en"):
        sens = sensitivity(profile, as_of=AS_OF, draws=500, sobol_n=64, lang=lang)
        for chart, key in (
            (charts.tornado(sens), "drivers.tornado.title"),
            (charts.sobol(sens), "drivers.sobol.title"),
            (charts.plan_wins(sens), "drivers.wins.title"),
        ):
            spec = json.dumps(chart.to_dict(), ensure_ascii=False)  # validates against the Vega-Lite schema
            assert t(key, lang) in spec
