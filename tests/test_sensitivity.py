"""What drives the answer (engine/sensitivity.py): tornado, Sobol indices, plan-win probabilities, flips, CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date

import numpy as np
import pytest
from conftest import AS_OF, ROOT, make_profile

from engine import model
from engine.assumptions import Param, load
from engine.errors import InputError
from engine.i18n import t
from engine.levers import STAFF_STEPS
from engine.profile import MerchantProfile
from engine.ranking import rank
from engine.recommend import recommend
from engine.render.markdown import sensitivity_markdown
from engine.sensitivity import (
    Context,
    Sensitivity,
    Settings,
    frozen,
    sensitivity,
    uncertain_inputs,
)

FAST = {"as_of": AS_OF, "draws": 1000, "sobol_n": 256}
DAY = date.fromisoformat(AS_OF)
# Staff-heavy: a large tier-1 merchant (3 M CNY a month today) with half a person and the budget to hire,
# promotion spend overridden to nothing, Channels and the shop: Channels runs at the standard level and most of
# the first-year cost is the pay of the people hired beyond the half FTE.
STAFF_HEAVY = make_profile(
    staff_fte=0.5,
    city_tier=1,
    douyin_presence="established",
    current_monthly_gmv_cny=3_000_000,
    budget_setup_cny=200_000,
    budget_monthly_cny=300_000,
)
STAFFING = re.compile(
    r"^salaries\.|\.staffing\.|^adjustments\.(staffing_scale_by_business_type|role_overlap)"
)
# Assumptions that only cost money (items, pay, the people a module needs), as opposed to returns and ramps.
COSTS = re.compile(r"\.(setup|monthly|per_seat)\.|^salaries\.|\.staffing\.|\.levels\.\w+\.spend$")


@pytest.fixture(scope="module")
def aset():
    return load()


@pytest.fixture(scope="module")
def brand() -> Sensitivity:
    """An established Douyin brand with two staff, Channels and the shop forced (people must be hired)."""
    profile = make_profile(douyin_presence="established", staff_fte=2, shelf_platforms=["taobao"])
    return sensitivity(profile, plan="channels,shop", lang="en", **FAST)


@pytest.fixture(scope="module")
def heavy() -> Sensitivity:
    return sensitivity(
        STAFF_HEAVY,
        plan="channels,shop",
        overrides={"promotion": 0},
        lang="en",
        **{**FAST, "sobol_n": 1024},
    )


# --- which assumptions --------------------------------------------------------------------------


def test_rows_are_the_uncertain_assumptions_the_plan_uses(brand, aset):
    params = aset.param_map
    paths = {row.parameter for row in brand.rows}
    assert brand.forced_plan and set(brand.plan.code.replace(">", ",").split(",")) == {"channels", "shop"}
    # no fixed (or unknown) parameter, no duplicate
    assert len(paths) == len(brand.rows)
    assert all(params[p].distribution != "fixed" and frozen(params[p], DAY) is not None for p in paths)
    # every uncertain cost item of the two modules moves the first-year net, except Channels' boost spend:
    # that is a decision now (spend stops where the next yuan no longer pays), so it is no input
    for module in ("channels", "shop"):
        a = aset.modules[module]
        for section in ("setup", "monthly"):
            for key, param in getattr(a, section).items():
                if param.distribution != "fixed" and (module, key) != ("channels", "promotion"):
                    assert f"modules.{module}.{section}.{key}" in paths
        assert f"modules.{module}.ramp.operational_weeks" in paths
    assert "modules.channels.monthly.promotion" not in paths
    # the returns are inputs: what the modules sell moves the net
    for path in (
        "returns.channels_share_of_current_gmv",
        "returns.channels_base_gmv_cny",
        "returns.shop_organic_share",
        "returns.return_rate_public",
        "modules.shop.gmv_share.technical_service_fee",
    ):
        assert path in paths
    # each module runs at one operating level: only that level's multipliers can matter
    for module in ("channels", "shop"):
        used = {p.split(".")[3] for p in paths if p.startswith(f"modules.{module}.levels.")}
        assert len(used) <= 1, (module, used)
    # only the profile's own levels, tier and business type; nothing of modules outside the plan
    assert "adjustments.channels_ramp_by_douyin.established" in paths
    assert not [
        p for p in paths if p.startswith("adjustments.channels_ramp_by_douyin.") and "established" not in p
    ]
    assert "salaries.tier_multiplier.2" in paths
    assert not {"salaries.tier_multiplier.1", "salaries.tier_multiplier.3"} & paths
    assert not [p for p in paths if p.startswith(("modules.wecom.", "modules.miniprogram."))]
    assert not [p for p in paths if p.startswith("adjustments.private_ramp_by_private_domain.")]
    assert not [p for p in paths if p.startswith("objective.")]
    for row in brand.rows:
        assert row.unit == params[row.parameter].unit
        assert row.label == params[row.parameter].label.en
        assert row.value_p10 < row.value_p90
        v = params[row.parameter].at(DAY)
        assert v.low <= row.value_p10 and row.value_p90 <= v.high and v.low <= row.value_central <= v.high


def test_a_kept_module_counts_only_through_its_staff(aset):
    """With the shop already running, its people still count towards the staff needed, its costs do not."""
    profile = MerchantProfile.model_validate(make_profile(existing_modules=["shop"], staff_fte=2))
    r = rank(profile, aset, DAY, model.draw(aset, DAY, 200, np.random.default_rng(0)))
    ctx = Context.of(r, (("channels",),))
    paths = {i.path for i in uncertain_inputs(ctx, np.random.default_rng(1))}
    assert "modules.shop.staffing.shop_ops" in paths
    assert not [p for p in paths if p.startswith(("modules.shop.setup.", "modules.shop.monthly."))]
    assert not [p for p in paths if p.startswith("modules.shop.ramp.")]


def _param(distribution: str, **value: float):
    return Param.model_validate(
        {
            "label": {"zh": "测试", "en": "Test"},
            "unit": "CNY" if distribution != "interval90" or value["low"] > 0 else "score",
            "distribution": distribution,
            "values": [{"from": "2020-01-01", **value}],
            "references": [{"estimate": "a parameter made up for this test"}],
        }
    )


@pytest.mark.parametrize(
    ("distribution", "value"),
    [
        ("pert", {"low": 1000, "mode": 8000, "high": 40000}),
        ("pert", {"low": 0, "mode": 0, "high": 300}),
        ("interval90", {"low": 2, "high": 50}),
        ("interval90", {"low": -3, "high": 5}),
    ],
)
def test_scipy_distributions_match_the_draws(distribution, value):
    """The Sobol sample and the tornado's P10/P90 come from the same distribution the Monte Carlo draws."""
    param = _param(distribution, **value)
    dist = frozen(param, DAY)
    draws = param.draw(np.random.default_rng(0), 200_000, DAY)
    for q in (0.1, 0.5, 0.9):
        assert np.quantile(draws, q) == pytest.approx(
            dist.ppf(q), rel=0.02, abs=0.02 * (value["high"] - value["low"])
        )
    assert frozen(_param("fixed", value=3), DAY) is None
    assert frozen(_param("pert", low=2, mode=2, high=2), DAY) is None


def test_settings_stand_in_for_draws(aset):
    """The model on Settings holding real draws gives exactly the Monte Carlo figures (one vectorised pass):
    first-year net as recommend reports it, and the weeks to steady state."""
    profile = MerchantProfile.model_validate(make_profile(staff_fte=2))
    draws = model.draw(aset, DAY, 300, np.random.default_rng(3))
    r = rank(profile, aset, DAY, draws)
    ctx = Context.of(r, r.plans[r.chosen])
    paths = sorted(aset.param_map)
    x = np.stack([draws[p] for p in paths])
    assert np.array_equal(ctx.evaluate(paths, x), ctx.figures(draws))
    sim = r.simulate(r.chosen)
    assert r.objective.horizon_months == 12  # so the plan's net over the horizon is its first-year net
    assert np.allclose(ctx.figures(draws)[0], sim.net[0], rtol=1e-9, atol=1e-6)
    assert np.array_equal(ctx.figures(draws)[1], sim.steady_state[0])
    assert np.ptp(ctx.figures(draws)[0]) > 0  # the net varies with the draws
    settings = Settings(aset.param_map, DAY, 300, dict(zip(paths, x, strict=True)))
    assert settings.head(10).n == 10 and np.array_equal(settings.head(10)[paths[0]], x[0, :10])


# --- tornado ------------------------------------------------------------------------------------


def test_tornado_swings(brand):
    rows = {row.parameter: row for row in brand.rows}
    for row in brand.rows:
        tw = row.tornado
        assert tw.net_swing >= 0 and tw.steady_swing >= 0
        assert tw.net_swing == pytest.approx(abs(tw.net_high - tw.net_low), abs=0.02)
        assert tw.steady_swing == pytest.approx(abs(tw.steady_high - tw.steady_low), abs=0.002)
    # cost items and salaries can only lower the net: net at P10 >= at P90, and the central net lies
    # between them when the central value lies between P10 and P90 (a mode at the bottom of its range,
    # as for a fee that is usually nothing, sits below its P10)
    monotone = [p for p in rows if re.search(r"\.(setup|monthly)\.|^salaries\.", p)]
    assert len(monotone) >= 8
    for p in monotone:
        row, tw = rows[p], rows[p].tornado
        assert tw.net_low >= tw.net_high, p
        if row.value_p10 <= row.value_central <= row.value_p90:
            assert tw.net_high - 0.02 <= brand.central_net <= tw.net_low + 0.01, p
        else:
            assert row.value_central < row.value_p10 and brand.central_net >= tw.net_low - 0.01, p
    # sales potential can only raise it: net at P10 < central < net at P90
    for p in (
        "returns.channels_share_of_current_gmv",
        "returns.channels_base_gmv_cny",
        "returns.shop_organic_share",
    ):
        tw = rows[p].tornado
        assert tw.net_low < brand.central_net < tw.net_high, p
    # a longer ramp delays steady state and, with it, the sales of the first year; set-up items move only
    # the money, never the weeks
    ramp = rows["modules.channels.ramp.steady_state_extra_weeks"].tornado
    assert ramp.steady_low < brand.central_steady < ramp.steady_high
    assert ramp.net_low > brand.central_net > ramp.net_high
    equipment = rows["modules.channels.setup.live_room_equipment"].tornado
    assert equipment.steady_swing == 0 and equipment.net_swing > 0


def test_the_staff_heavy_plan_hires():
    """The premise of the next tests: with half a person and the budget to hire, the plan hires people and
    their pay is most of what it costs."""
    rec = recommend(STAFF_HEAVY, plan="channels,shop", overrides={"promotion": 0}, as_of=AS_OF, draws=1000)
    assert rec.staffing.hires_fte >= 2 and rec.staffing.shortfall_fte == 0
    assert rec.modules["channels"].operating_level in ("standard", "scaled")  # a staffed operation, not lean
    pay = 12 * sum(item.p50 for item in rec.items if item.kind == "staff")
    assert pay > 0.5 * rec.cost_cny.first_year.p50


def test_a_salary_lowers_the_net_of_a_plan_that_hires(heavy):
    rows = {row.parameter: row for row in heavy.rows}
    for role in ("host", "live_ops"):
        tw = rows[f"salaries.tier1_monthly.{role}"].tornado
        assert tw.net_high < heavy.central_net < tw.net_low
        assert tw.steady_swing == 0  # pay changes what a hire costs, not how fast the team ramps
    tw = rows["salaries.employer_on_cost"].tornado
    assert tw.net_high < tw.net_low


# --- Sobol --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["brand", "heavy"])
def test_sobol_indices_are_sane(name, request):
    s: Sensitivity = request.getfixturevalue(name)
    assert s.sobol_n in (256, 1024) and s.sobol_evaluations == s.sobol_n * (len(s.rows) + 2)
    tol = 0.15 if s.sobol_n == 256 else 0.08
    for output in ("", "_steady"):
        first = [getattr(row, f"sobol_first{output}") for row in s.rows]
        total = [getattr(row, f"sobol_total{output}") for row in s.rows]
        assert all(np.isfinite(first)) and all(np.isfinite(total))
        assert all(f <= tt + tol for f, tt in zip(first, total, strict=True))
        assert all(-tol <= v <= 1 + tol for v in first + total)
        assert sum(first) <= 1.1
        for row in s.rows:
            for kind in ("first", "total"):
                ci = getattr(row, f"sobol_{kind}{output}_ci")
                assert ci is not None and ci[0] <= ci[1]
    # sorted by the total index of cost
    totals = [row.sobol_total for row in s.rows]
    assert totals == sorted(totals, reverse=True)


def test_the_top_cost_driver_of_a_staff_heavy_plan_is_staffing(heavy):
    """What the plan sells drives its net most; among what it costs, the people it hires come first."""
    assert heavy.rows[0].parameter.startswith("returns."), [
        (r.parameter, r.sobol_total) for r in heavy.rows[:5]
    ]
    costs = [r for r in heavy.rows if COSTS.search(r.parameter)]
    top = max(costs, key=lambda r: r.tornado.net_swing)
    assert STAFFING.search(top.parameter), [(r.parameter, r.tornado.net_swing) for r in costs[:5]]
    staffing = sum(r.tornado.net_swing for r in costs if STAFFING.search(r.parameter))
    assert staffing > 0.5 * sum(r.tornado.net_swing for r in costs)
    staffing_share = sum(r.sobol_total for r in costs if STAFFING.search(r.parameter))
    assert staffing_share > 0.5 * sum(r.sobol_total for r in costs)
    assert not [r for r in heavy.rows if r.parameter.endswith(".promotion")]  # overridden to zero: fixed


def test_weeks_to_steady_state_are_driven_by_ramps(brand):
    top = max(brand.rows, key=lambda r: r.sobol_total_steady)
    assert re.search(r"\.ramp\.|_ramp_|shortfall_ramp_elasticity", top.parameter)
    # cost-only items explain none of the weeks
    equipment = next(r for r in brand.rows if r.parameter == "modules.channels.setup.live_room_equipment")
    assert equipment.sobol_total_steady == 0 and equipment.sobol_first_steady == 0


def test_same_seed_same_json_and_seed_matters():
    profile = make_profile(staff_fte=2)
    one = sensitivity(profile, seed=7, **FAST).model_dump_json()
    two = sensitivity(profile, seed=7, **FAST).model_dump_json()
    assert one == two
    other = json.loads(sensitivity(profile, seed=8, **FAST).model_dump_json())
    assert [r["sobol_total"] for r in other["rows"]] != [r["sobol_total"] for r in json.loads(one)["rows"]]


def test_a_plan_with_nothing_new_has_no_rows():
    s = sensitivity(make_profile(existing_modules=["channels", "shop", "miniprogram", "wecom"]), **FAST)
    assert s.plan.code == "" and s.rows == [] and s.sobol_n == 0 and s.central_net == 0 and s.p50_net == 0
    assert t("sensitivity.none", "zh") in sensitivity_markdown(s)


# --- the recommendation -------------------------------------------------------------------------


def test_win_probabilities_match_recommend():
    profile = make_profile()  # a close call between several plans
    s = sensitivity(profile, seed=3, as_of=AS_OF, draws=2000, sobol_n=128)
    rec = recommend(profile, seed=3, as_of=AS_OF, draws=2000, with_counterfactuals=False)
    wins = s.plan_win_probabilities
    assert len(wins) >= 2
    assert sum(w.probability for w in wins) == pytest.approx(1.0, abs=1e-3)
    assert all(w.probability > 0 for w in wins if not w.recommended)
    assert [w.probability for w in wins] == sorted((w.probability for w in wins), reverse=True)
    (mine,) = [w for w in wins if w.recommended]
    assert mine.code == rec.plan.code == s.recommended.code == s.plan.code
    # recommend's win probability is of the module set (its phasings pooled): the plans listed here with the
    # same modules add up to it, the recommended phasing alone to no more
    modules = set(mine.code.replace(">", ",").split(","))
    same_set = [w for w in wins if set(w.code.replace(">", ",").split(",")) == modules]
    assert sum(w.probability for w in same_set) == pytest.approx(rec.win_probability, abs=1e-3)
    assert mine.probability <= rec.win_probability + 1e-4
    assert not s.forced_plan


def test_adding_staff_flips_the_plan(aset):
    """One FTE: Channels and the shop; with half a person more WeCom comes in (recommend's counterfactuals
    agree that more staff changes the plan)."""
    profile = make_profile(staff_fte=1)
    s = sensitivity(profile, as_of=AS_OF, draws=1000, sobol_n=64)
    rec = recommend(profile, as_of=AS_OF, draws=1000)
    assert any(c.field == "staff_fte" for c in rec.counterfactuals)
    (up,) = [f for f in s.flips if f.lever == "staff_fte" and f.direction == "up"]
    assert up.found and up.value > 1 and up.plan is not None and up.plan != s.recommended.code
    # re-ranked on the same random numbers: the change flips it, the step before does not
    draws = model.draw(aset, DAY, 1000, np.random.default_rng(0)).head(s.flip_draws)

    def best(staff: float) -> str:
        r = rank(MerchantProfile.model_validate({**profile, "staff_fte": staff}), aset, DAY, draws)
        return ">".join(",".join(ph) for ph in r.plans[r.chosen])

    assert best(up.value) == up.plan
    before = [1 + d for d in STAFF_STEPS if 1 + d < up.value]  # the steps tried before it
    assert all(best(v) == s.recommended.code for v in before)
    # every lever is reported in every direction it has; a lever that cannot move says so
    found = {(f.lever, f.direction) for f in s.flips}
    assert {
        ("budget_monthly_cny", "up"),
        ("private_domain", "up"),
        ("goal", "other"),
        ("weight.downside", "down"),
        ("weight.budget_overrun", "up"),
        ("weight.staff_shortfall", "up"),
    } <= found
    # staff, budget and three weights up and down; private domain and Douyin up; the goal
    assert len(found) == len(s.flips) == 13
    (down,) = [f for f in s.flips if f.lever == "staff_fte" and f.direction == "down"]
    if not down.found:  # one FTE: only 0.5 is tried below it
        assert (
            down.change == t("lever.none.up_to", "zh", change="人手 −0.5 人（1 → 0.5 人）")
            and down.plan is None
        )


def test_weight_flips_leave_the_shared_assumptions_alone(aset):
    before = {w: p.mode_at(DAY) for w, p in aset.objective.weights.items()}
    s = sensitivity(make_profile(douyin_presence="established", shelf_platforms=["taobao"]), **FAST)
    assert {w: p.mode_at(DAY) for w, p in load().objective.weights.items()} == before
    assert {w: p.mode_at(DAY) for w, p in aset.objective.weights.items()} == before
    for f in s.flips:
        if f.lever.startswith("weight.") and f.found:
            assert f.plan != s.recommended.code and f.value != f.base_value


def test_bad_options_raise_input_errors():
    with pytest.raises(InputError, match="sobol_n"):
        sensitivity(make_profile(), as_of=AS_OF, draws=500, sobol_n=100)
    with pytest.raises(InputError, match="plan"):
        sensitivity(make_profile(), as_of=AS_OF, draws=500, plan="channels,tiktok")
    with pytest.raises(InputError, match="as_of"):
        sensitivity(make_profile(), as_of="2019-01-01")


def test_markdown_in_both_languages(brand):
    md = sensitivity_markdown(brand)
    for key in ("sensitivity.tornado.title", "sensitivity.sobol.title", "sensitivity.win.title"):
        assert t(key, "en") in md
    assert "`returns.channels_share_of_current_gmv`" in md  # return parameters are inputs now
    assert "`modules.channels.monthly.promotion`" not in md  # boost spend is a decision, not a draw
    assert t("sensitivity.col.net_swing", "en") in md
    zh = sensitivity_markdown(brand.model_copy(update={"lang": "zh"}))
    assert t("sensitivity.flip.title", "zh") in zh


# --- CLI ----------------------------------------------------------------------------------------


def _cli(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "WXPLAN_DEBUG"}  # errors must be clean without it
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "sensitivity", *args],
        input=input,
        capture_output=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=120,
    )


CLI_FAST = ("--as-of", AS_OF, "--draws", "500", "--sobol-n", "128")


def test_cli_json():
    res = _cli("examples/douyin_native_brand.json", *CLI_FAST, "--seed", "4")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["rows"] and data["plan_win_probabilities"] and data["flips"]
    for row in data["rows"]:
        assert {"parameter", "sobol_first", "sobol_total", "tornado"} <= set(row)
        assert {"net_low", "net_high", "net_swing", "steady_swing"} <= set(row["tornado"])
        assert "cost_swing" not in row["tornado"]
    assert {"central_net", "p50_net"} <= set(data) and "central_cost" not in data
    assert data["seed"] == 4 and data["sobol_n"] == 128
    Sensitivity.model_validate(data)


def test_cli_markdown_and_forced_plan():
    res = _cli(
        "examples/douyin_native_brand.json", *CLI_FAST, "--plan", "channels>shop", "--format", "markdown"
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("# 什么在驱动结论：视频号 → 微信小店")
    recommended = recommend(
        json.loads((ROOT / "examples/douyin_native_brand.json").read_text(encoding="utf-8")),
        as_of=AS_OF, draws=500, with_counterfactuals=False,
    ).plan.label  # fmt: skip
    assert recommended != "视频号 → 微信小店"  # the forced plan is not the recommendation
    assert t("sensitivity.forced", "zh", plan=recommended) in res.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("examples/no_such_profile.json",), "no such file"),
        (("README.md",), "not valid JSON"),
        (("examples/douyin_native_brand.json", "--plan", "channels,tiktok"), "--plan"),
        (("examples/douyin_native_brand.json", "--sobol-n", "100"), "--sobol-n"),
        (("examples/douyin_native_brand.json", "--as-of", "2019-01-01"), "--as-of"),
        (("examples/douyin_native_brand.json", "--format", "html"), "invalid choice"),
        (("-",), "invalid profile"),
    ],
)
def test_cli_errors_exit_2_without_traceback(args, needle):
    res = _cli(*args, input='{"staff_fte": -1}')
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert needle in res.stderr
