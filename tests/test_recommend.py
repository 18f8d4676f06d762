"""The output contract of ``recommend`` on one profile (written by engine/recommendation.py), plus staffing, forced
plans and break-even. Bad inputs: tests/test_inputs.py."""

from __future__ import annotations

import json

import pytest
from conftest import AS_OF, make_profile

from engine.profile import MODULES
from engine.recommend import recommend
from engine.rules import RULES_BY_ID

VERDICTS = {"keep", "adopt_now", "adopt_later", "not_recommended"}
DRAWS = 2000

# The baseline merchant already running WeCom: the contract profile (it also has counterfactuals).
PROFILE = make_profile(existing_modules=["wecom"])
KEPT = "wecom"


@pytest.fixture(scope="module")
def rec():
    return recommend(PROFILE, as_of=AS_OF, draws=DRAWS, seed=0)


@pytest.fixture(scope="module")
def out(rec) -> dict:
    """The recommendation as a consumer of the JSON sees it."""
    return json.loads(rec.model_dump_json())


def _band(b: dict, *, allow_none: bool = False) -> None:
    assert set(b) == {"p10", "p50", "p90"}
    values = [b["p10"], b["p50"], b["p90"]]
    if allow_none:
        values = [v for v in values if v is not None]
    assert all(isinstance(v, (int, float)) for v in values), b
    assert values == sorted(values), b


# --- contract ----------------------------------------------------------------------------------


def test_top_level_keys(out):
    required = {
        "modules",
        "plan",
        "cost_cny",
        "ramp_weeks",
        "items",
        "staffing",
        "warnings",
        "alternatives",
        "win_probability",
        "break_even_gmv_cny",
        "counterfactuals",
        "as_of",
        "seed",
        "draws",
    }
    assert required <= set(out)
    assert out["as_of"] == AS_OF
    assert out["seed"] == 0
    assert out["draws"] == DRAWS
    assert 0 <= out["win_probability"] <= 1


def test_modules(out):
    assert set(out["modules"]) == set(MODULES)
    for m, mod in out["modules"].items():
        assert mod["module"] == m
        assert mod["verdict"] in VERDICTS
        assert mod["phase"] is None or isinstance(mod["phase"], int)
        assert (mod["phase"] is None) == (mod["verdict"] in ("keep", "not_recommended"))
        if mod["verdict"] == "adopt_now":
            assert mod["phase"] == 1
        if mod["verdict"] == "adopt_later":
            assert mod["phase"] > 1
        assert 0 <= mod["fit"] <= 1
        assert mod["name"].strip()
        assert mod["decision"].strip()
        assert mod["reasons"], m
        for reason in mod["reasons"]:
            assert reason["rule"] in RULES_BY_ID
            assert reason["label"].strip() and reason["text"].strip()
            assert reason["sources"], reason["rule"]


def test_plan(out):
    plan = out["plan"]
    assert {"modules", "phases", "kept", "label", "code"} <= set(plan)
    assert plan["phases"], "the contract profile should adopt something"
    for i, phase in enumerate(plan["phases"], start=1):
        assert phase["phase"] == i
        assert phase["modules"] and set(phase["modules"]) <= set(MODULES)
        _band(phase["start_week"])
    assert plan["phases"][0]["start_week"] == {"p10": 0.0, "p50": 0.0, "p90": 0.0}
    in_phases = [m for ph in plan["phases"] for m in ph["modules"]]
    assert len(in_phases) == len(set(in_phases))
    assert set(plan["modules"]) == set(in_phases) | set(plan["kept"])
    # Verdicts and phases agree.
    for m, mod in out["modules"].items():
        phase = next((ph["phase"] for ph in plan["phases"] if m in ph["modules"]), None)
        assert mod["phase"] == phase, m


def test_cost_ramp_staffing(out):
    assert set(out["cost_cny"]) == {"setup", "monthly", "first_year"}
    for band in out["cost_cny"].values():
        _band(band)
        assert band["p10"] >= 0
    assert set(out["ramp_weeks"]) == {"operational", "steady_state"}
    for band in out["ramp_weeks"].values():
        _band(band)
    assert out["ramp_weeks"]["steady_state"]["p50"] >= out["ramp_weeks"]["operational"]["p50"]
    staffing = out["staffing"]
    assert {"required_fte", "available_fte", "shortfall_fte"} <= set(staffing)
    assert staffing["available_fte"] == PROFILE["staff_fte"]
    assert staffing["required_fte"] > 0
    assert staffing["shortfall_fte"] >= 0
    _band(out["break_even_gmv_cny"], allow_none=True)


def test_items(out):
    assert out["items"]
    new = {m for ph in out["plan"]["phases"] for m in ph["modules"]}
    for item in out["items"]:
        assert item["kind"] in {"setup", "monthly", "seat", "gmv_share", "staff"}
        assert item["module"] is None or item["module"] in new
        assert item["p10"] <= item["p50"] <= item["p90"]
        assert item["label"].strip()
    # Every new module has at least one one-time cost.
    assert new <= {i["module"] for i in out["items"] if i["kind"] == "setup"}


def test_warnings_alternatives_counterfactuals(out):
    for w in out["warnings"]:
        assert {"code", "text"} <= set(w)
        assert w["code"].strip() and w["text"].strip()
    assert isinstance(out["alternatives"], list)
    chosen = set(out["plan"]["modules"])
    for alt in out["alternatives"]:
        assert set(alt["plan"]["modules"]) != chosen
        assert 0 <= alt["win_probability"] <= 1
    # A budget cut or Douyin experience changes this merchant's plan (found by experiment).
    assert out["counterfactuals"]
    for cf in out["counterfactuals"]:
        assert cf["change"].strip()
        assert cf["field"] in PROFILE or cf["field"].startswith("weight.")
        assert cf["direction"] in ("up", "down", "other") and cf["plan_code"] != out["plan"]["code"]
        assert cf["plan"].strip()
        assert cf["plan"] != out["plan"]["label"], "a counterfactual must change the plan"
        assert cf["effects"] and all(e.strip() for e in cf["effects"])


# --- existing modules --------------------------------------------------------------------------


def test_existing_module_is_kept_and_costs_nothing(rec):
    mod = rec.modules[KEPT]
    assert mod.verdict == "keep"
    assert mod.phase is None
    assert KEPT in rec.plan.kept
    assert all(KEPT not in ph.modules for ph in rec.plan.phases)
    assert all(item.module != KEPT for item in rec.items)
    assert "keep_running" in {r.rule for r in mod.reasons}


def test_running_shop_fees_are_not_charged_to_a_new_non_shelf_module():
    """Costs are incremental over what runs today: platform fees on sales through a shop that already
    runs are paid with or without the plan, so adding WeCom must not cost more because a shop runs."""
    gmv = {"monthly_gmv_cny": 1_000_000}
    without = _forced("wecom", **gmv)
    with_shop = _forced("wecom", existing_modules=["shop"], **gmv)
    assert with_shop.plan.code == without.plan.code == "wecom"
    assert not [i for i in with_shop.items if i.kind == "gmv_share"]
    assert with_shop.cost_cny.monthly.p50 <= without.cost_cny.monthly.p50
    assert with_shop.cost_cny.first_year.p50 <= without.cost_cny.first_year.p50


# --- staffing ----------------------------------------------------------------------------------

BIG_PLAN = "channels,shop>miniprogram,wecom"


def test_the_budget_hires_before_anything_counts_as_shortfall():
    """Budget can buy people (001:26: at a hiring lag): with a budget the gap is hired and costed, not short."""
    funded = recommend(
        make_profile(staff_fte=1.5, budget_monthly_cny=150_000), as_of=AS_OF, draws=DRAWS, plan=BIG_PLAN
    )
    assert funded.staffing.hires_fte > 0.5 and funded.staffing.shortfall_fte == 0
    assert "hires_needed" in {w.code for w in funded.warnings}
    assert "staffing_shortfall" not in {w.code for w in funded.warnings}
    assert any(i.kind == "staff" for i in funded.items)


def test_staff_shortfall_warns_and_stretches_the_ramp():
    short = recommend(
        make_profile(staff_fte=1.5, budget_monthly_cny=0), as_of=AS_OF, draws=DRAWS, seed=0, plan=BIG_PLAN
    )
    ample = recommend(
        make_profile(staff_fte=30, budget_monthly_cny=0), as_of=AS_OF, draws=DRAWS, seed=0, plan=BIG_PLAN
    )
    assert short.plan.code == ample.plan.code == BIG_PLAN
    assert short.staffing.shortfall_fte > 0
    assert "staffing_shortfall" in {w.code for w in short.warnings}
    assert "staffing_shortfall" not in {w.code for w in ample.warnings}
    assert ample.staffing.shortfall_fte == 0
    assert short.ramp_weeks.operational.p50 > ample.ramp_weeks.operational.p50
    assert short.ramp_weeks.steady_state.p50 > ample.ramp_weeks.steady_state.p50


# --- language ----------------------------------------------------------------------------------


def test_english_output():
    rec = recommend(make_profile(), as_of=AS_OF, draws=200, seed=0, lang="en", plan="channels,shop>wecom")
    assert rec.lang == "en"
    assert rec.modules["channels"].name == "Channels (视频号)"
    assert rec.modules["shop"].name == "WeChat Shop (微信小店)"
    assert "Channels (视频号)" in rec.plan.label
    for mod in rec.modules.values():
        for reason in mod.reasons:
            rule = RULES_BY_ID[reason.rule]
            assert reason.label == rule.label["en"]
            assert reason.text == rule.rationale["en"]
    zh = recommend(make_profile(), as_of=AS_OF, draws=200, seed=0, lang="zh", plan="channels,shop>wecom")
    assert zh.modules["channels"].name == "视频号"
    assert {w.code for w in rec.warnings} == {w.code for w in zh.warnings}
    for w_en, w_zh in zip(rec.warnings, zh.warnings, strict=True):
        assert w_en.text != w_zh.text, w_en.code


# --- forced plans --------------------------------------------------------------------------


def test_forced_plan():
    rec = recommend(make_profile(), as_of=AS_OF, draws=DRAWS, seed=0, plan="channels,shop>wecom")
    assert rec.forced_plan is True
    assert [ph.modules for ph in rec.plan.phases] == [["channels", "shop"], ["wecom"]]
    assert rec.plan.code == "channels,shop>wecom"
    assert "forced_plan" in {w.code for w in rec.warnings}
    assert rec.modules["channels"].verdict == "adopt_now"
    assert rec.modules["wecom"].verdict == "adopt_later"
    assert rec.modules["wecom"].phase == 2
    assert rec.modules["miniprogram"].verdict == "not_recommended"


def test_unforced_plan_has_no_forced_warning(rec):
    assert rec.forced_plan is False
    assert "forced_plan" not in {w.code for w in rec.warnings}


# --- break-even --------------------------------------------------------------------------------


def _forced(plan: str, **changes):
    return recommend(make_profile(**changes), as_of=AS_OF, draws=DRAWS, seed=0, plan=plan)


def test_break_even_covers_the_monthly_cost_at_the_plans_gross_profit_rate():
    """Break-even GMV is the monthly cost over the share of GMV the plan keeps as gross profit (below the margin:
    returns, fees and commission come off), so it exceeds the monthly cost divided by the margin."""
    margin = 0.45
    rec = _forced("channels,shop>wecom", gross_margin=margin)
    be, monthly = rec.break_even_gmv_cny, rec.cost_cny.monthly
    assert monthly.p50 > 0
    assert be.p50 is not None and be.p50 > monthly.p50 / margin
    rate = rec.value.gross_profit_cny.first_year.p50 / 1  # gross profit is positive
    assert rate > 0
    assert rec.break_even_orders_per_month.p50 == pytest.approx(
        be.p50 / PROFILE["avg_order_value_cny"], rel=0.02
    )


def test_higher_margin_lowers_break_even():
    # at fixed levels and no paid boosts (both grow with the margin: a better margin buys a bigger operation)
    fixed = {
        "levels": {"channels": "standard", "shop": "standard", "wecom": "standard"},
        "overrides": {"promotion": 0},
    }
    values = [
        recommend(
            make_profile(gross_margin=m), as_of=AS_OF, draws=DRAWS, plan="channels,shop>wecom", **fixed
        ).break_even_gmv_cny.p50
        for m in (0.2, 0.45, 0.7)
    ]
    assert all(v is not None and v > 0 for v in values)
    assert values[0] > values[1] > values[2]


def test_margin_below_fees_has_no_break_even():
    rec = _forced("shop", gross_margin=0.001)
    assert rec.break_even_gmv_cny.p50 is None
    assert "margin_below_fees" in {w.code for w in rec.warnings}
