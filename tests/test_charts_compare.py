"""Comparison charts: pure functions of a Comparison, labelled in its language, one colour per item."""

from __future__ import annotations

import json

import pytest

from engine import recommend
from engine.compare import compare
from engine.i18n import LANGS, t
from engine.render import charts
from tests.conftest import AS_OF, make_profile

PLANS = {"A": None, "B": "wecom", "C": "channels,shop>miniprogram"}


@pytest.fixture(scope="module")
def comparisons():
    profile = make_profile()
    out = {}
    for lang in LANGS:
        items = [(label, recommend(profile, as_of=AS_OF, draws=500, plan=plan, lang=lang))
                 for label, plan in PLANS.items()]  # fmt: skip
        out[lang] = compare(items, lang)
    return out


def values(spec: dict, layer: int) -> list[dict]:
    """The data rows of one layer (layers sharing their data have it hoisted to the top)."""
    return spec["layer"][layer].get("data", spec.get("data"))["values"]


def dump(chart) -> str:
    return json.dumps(chart.to_dict(), ensure_ascii=False)  # validates against the Vega-Lite schema


@pytest.mark.parametrize("lang", LANGS)
def test_first_year_overlay_has_every_item_in_the_ui_language(comparisons, lang):
    comparison = comparisons[lang]
    spec = dump(charts.compare_first_year(comparison))
    for key in ("chart.compare.first_year_title", "chart.compare.density", "chart.axis.first_year_cny",
                "chart.compare.item"):  # fmt: skip
        assert t(key, lang) in spec
    data = charts.compare_first_year(comparison).to_dict()
    areas, rules = values(data, 0), values(data, 2)
    assert {r["item"] for r in areas} == set(PLANS) == {r["item"] for r in rules}
    for label, rec in zip(comparison.labels, comparison.results, strict=True):
        # Densities: the share of draws per CNY 10k integrates back to the whole (each bin counted once).
        h = rec.first_year_histogram
        widths = [b - a for a, b in zip(h.edges[:-1], h.edges[1:], strict=True)]
        inner = [r["density"] for r in areas if r["item"] == label][:-1]
        assert sum(d * w / charts.PER_CNY for d, w in zip(inner, widths, strict=True)) == pytest.approx(1)
        assert {"item": label, "p50": rec.cost_cny.first_year.p50}.items() <= next(
            r for r in rules if r["item"] == label
        ).items()


def test_items_keep_their_colour_in_both_charts(comparisons):
    comparison = comparisons["en"]
    for chart in (charts.compare_first_year(comparison), charts.compare_ramp(comparison)):
        scales = [layer["encoding"]["color"]["scale"] for layer in chart.to_dict()["layer"]]
        for scale in scales:
            assert scale["domain"] == list(PLANS)
            assert scale["range"] == list(charts.ITEM_COLOURS[: len(PLANS)])


@pytest.mark.parametrize("lang", LANGS)
def test_ramp_overlay_has_a_row_per_item_and_adopted_module(comparisons, lang):
    comparison = comparisons[lang]
    chart = charts.compare_ramp(comparison)
    spec = dump(chart)
    assert t("chart.compare.ramp_title", lang) in spec and t("chart.axis.weeks", lang) in spec
    expected = [
        f"{label} · {m.name}"
        for label, rec in zip(comparison.labels, comparison.results, strict=True)
        for m in rec.modules.values()
        if m.operational_week is not None
    ]
    data = chart.to_dict()
    points = values(data, 2)
    assert data["layer"][0]["encoding"]["y"]["sort"] == expected
    assert {p["row"] for p in points} == set(expected)
    stages = {t("chart.ramp.to_operational", lang), t("chart.ramp.to_steady", lang)}
    assert {p["stage"] for p in points} == stages and len(points) == 2 * len(expected)
    assert all(p["p10"] <= p["p50"] <= p["p90"] for p in points)
    assert any(r.startswith("B · ") for r in expected) and not any(
        r.startswith("B · ") and t("module.channels.name", lang) in r for r in expected
    )  # B forces WeCom only


def test_an_item_without_new_modules_is_drawn_as_its_rule_only():
    profile = make_profile(existing_modules=["wecom"])
    items = [(label, recommend(profile, as_of=AS_OF, draws=200, plan=plan, lang="en"))
             for label, plan in (("keep", "wecom"), ("grow", "channels"))]  # fmt: skip
    comparison = compare(items, "en")
    data = charts.compare_first_year(comparison).to_dict()
    assert {r["item"] for r in values(data, 0)} == {"grow"}
    assert {r["item"] for r in values(data, 2)} == {"keep", "grow"}
    only_kept = compare([("a", items[0][1]), ("b", items[0][1])], "en")
    assert charts.compare_ramp(only_kept) is None


def test_display_height_leaves_room_for_the_legend(comparisons):
    spec = charts.spec(charts.compare_first_year(comparisons["zh"]))
    assert charts.display_height(spec) > spec["height"] + 110
    plain = charts.spec(charts.first_year_distribution(comparisons["zh"].results[0]))
    assert charts.display_height(plain) == plain["height"] + 110
