"""Charts over a lead list (the Batch page): pure functions of counts and values, labelled in the UI language,
valid Vega-Lite, sized so that the page can give them their height."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import date

import numpy as np
import pytest

from engine.i18n import LANGS, t
from engine.plans import plan_label
from engine.profile import MODULES
from engine.render import charts
from tests.conftest import AS_OF

DAY = date.fromisoformat(AS_OF)
PLANS = {
    (("channels", "shop"),): 6,
    (("shop",),): 9,
    (("channels", "shop"), ("miniprogram", "wecom")): 1,
    (): 3,  # no new module
}
VERDICTS = {
    "channels": Counter(adopt_now=5, not_recommended=4, keep=1),
    "shop": Counter(adopt_now=9, keep=1),
    "miniprogram": Counter(adopt_later=2, not_recommended=8),
    "wecom": Counter(keep=3, adopt_now=2, adopt_later=1, not_recommended=4),
}


def dump(chart) -> dict:
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    json.dumps(spec, ensure_ascii=False)
    return spec


def layer_values(spec: dict, layer: int) -> list[dict]:
    return spec["layer"][layer].get("data", spec.get("data"))["values"]


def text(spec: dict) -> str:
    return json.dumps(spec, ensure_ascii=False)


# --- plans -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_plans_counts_every_plan_and_the_errors_in_the_language(lang):
    spec = dump(charts.batch_plans(PLANS, 2, lang, DAY))
    rows = layer_values(spec, 0)
    assert sum(r["count"] for r in rows) == sum(PLANS.values()) + 2
    assert [r["count"] for r in rows] == [9, 6, 3, 1, 2]  # most leads first, the errors last
    assert rows[-1] == {"plan": t("chart.batch.errors", lang), "full": t("chart.batch.errors", lang),
                        "count": 2, "kind": "error"}  # fmt: skip
    nothing = next(r for r in rows if r["kind"] == "nothing")
    assert nothing["plan"] == t("report.nothing", lang) == nothing["full"]
    for r in rows[:-1]:
        plan = next(p for p in PLANS if plan_label(p, (), lang, DAY) == r["full"])
        assert PLANS[plan] == r["count"]
    for key in ("chart.batch.plans_title", "chart.batch.plans_note", "chart.batch.leads"):
        assert t(key, lang) in text(spec)
    assert spec["height"] == charts.BATCH_ROW * len(rows)


def test_plan_labels_are_short_in_english_and_whole_in_the_tooltip():
    rows = layer_values(dump(charts.batch_plans(PLANS, 0, "en", DAY)), 0)
    phased = next(r for r in rows if "→" in r["plan"])
    assert phased["plan"] == "Channels + WeChat Shop → Mini-program mall + WeCom"
    assert (
        phased["full"]
        == "Channels (视频号) + WeChat Shop (微信小店) → Mini-program mall (小程序) + WeCom (企业微信)"
    )
    assert all(r["kind"] != "error" for r in rows)
    zh = layer_values(dump(charts.batch_plans(PLANS, 0, "zh", DAY)), 0)
    assert next(r for r in zh if "→" in r["plan"])["plan"] == "视频号 + 微信小店 → 小程序商城 + 企业微信"


def test_plans_colour_no_new_module_grey_and_errors_red():
    spec = dump(charts.batch_plans(PLANS, 1, "zh", DAY))
    colour = spec["layer"][0]["encoding"]["color"]
    assert dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True)) == {
        "plan": "#2e86ab",
        "nothing": "#9e9e9e",
        "error": "#c0392b",
    }


def test_plans_of_nothing_is_no_chart_but_errors_alone_are():
    assert charts.batch_plans({}, 0, "zh", DAY) is None
    rows = layer_values(dump(charts.batch_plans({}, 4, "zh", DAY)), 0)
    assert [r["kind"] for r in rows] == ["error"]


def test_shop_is_named_as_it_was_on_the_date():
    rows = layer_values(dump(charts.batch_plans({(("shop",),): 1}, 0, "zh", date(2024, 5, 1))), 0)
    assert rows[0]["plan"] == t("module.shop.name_before_2024_08", "zh")


# --- first-year cost across leads -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_first_year_histogram_counts_every_lead_with_the_median(lang):
    values = [30_000, 52_000, 80_000, 120_000, 200_000, 210_000, 450_000, 2_000_000, float("inf")]
    spec = dump(charts.batch_first_year(values, lang))
    bins = layer_values(spec, 0)
    assert sum(b["count"] for b in bins) == len(values) - 1  # the unbounded one left out
    assert bins[0]["start"] == pytest.approx(30_000) and bins[-1]["end"] == pytest.approx(2_000_000)
    assert all(a["end"] == pytest.approx(b["start"]) for a, b in itertools.pairwise(bins))
    assert layer_values(spec, 1) == [{"p50": 160_000.0}]
    assert spec["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"  # the leads span a factor of 66
    for key in (
        "chart.batch.first_year_title",
        "chart.batch.first_year_axis",
        "chart.batch.leads",
    ):
        assert t(key, lang) in text(spec)
    assert t("chart.batch.first_year_note", lang, leads=8) in spec["title"]["subtitle"]
    assert t("chart.batch.median_note", lang, median="160,000") in spec["title"]["subtitle"]
    assert charts.display_height(spec) > spec["height"] + 110  # room for the two-line subtitle


def test_first_year_histogram_is_linear_for_close_values_and_handles_one_lead():
    spec = dump(charts.batch_first_year(list(np.linspace(100_000, 300_000, 50)), "zh", bins=10))
    assert "type" not in spec["layer"][0]["encoding"]["x"]["scale"]
    assert len(layer_values(spec, 0)) == 10 and sum(b["count"] for b in layer_values(spec, 0)) == 50
    one = dump(charts.batch_first_year([80_000.0], "en"))
    assert [b["count"] for b in layer_values(one, 0)] == [1]
    assert charts.batch_first_year([], "zh") is None
    assert charts.batch_first_year([float("inf")], "zh") is None


# --- adoption per module ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_adoption_shares_add_up_per_module_with_verdict_colours(lang):
    spec = dump(charts.batch_adoption(VERDICTS, lang, DAY))
    rows = spec["data"]["values"]
    for module in MODULES:
        name = charts._short(t(f"module.{module}.name", lang))
        shares = [r["share"] for r in rows if r["module"] == name]
        assert sum(shares) == pytest.approx(1.0)
        assert sum(r["count"] for r in rows if r["module"] == name) == sum(VERDICTS[module].values())
    colour = spec["encoding"]["color"]["scale"]
    assert colour["domain"] == [t(f"verdict.{v}", lang) for v in charts.VERDICT_COLOURS]
    assert colour["range"] == list(charts.VERDICT_COLOURS.values())
    assert t("chart.batch.adoption_title", lang) in text(spec)
    assert spec["encoding"]["y"]["sort"] == [charts._short(t(f"module.{m}.name", lang)) for m in MODULES]


def test_adoption_without_scored_leads_is_no_chart():
    assert charts.batch_adoption({m: Counter() for m in MODULES}, "zh", DAY) is None


def test_short_module_names_drop_the_original_in_brackets():
    assert charts._short("Channels (视频号)") == "Channels"
    assert charts._short("WeChat Shop（微信小店）") == "WeChat Shop"
    assert charts._short("视频号") == "视频号"
