"""The Monte Carlo model: distributions, per-parameter streams, and the lean scorer matching the full one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from engine import model
from engine.assumptions import load
from engine.distributions import pert, to
from engine.profile import MerchantProfile
from engine.ranking import rank
from tests.conftest import make_profile

AS_OF = date(2026, 11, 21)


def test_pert_stays_in_range_and_peaks_near_mode():
    x = pert(np.random.default_rng(1), 2.0, 3.0, 10.0, 50_000)
    assert x.min() >= 2.0 and x.max() <= 10.0
    assert abs(x.mean() - (2 + 4 * 3 + 10) / 6) < 0.05  # PERT mean


@pytest.mark.parametrize(
    "low,mode,high", [(0, 1, 10), (0, 0, 1), (0, 1, 1), (5, 5.05, 10), (-3, 0, 3), (1, 9.9, 10)]
)
def test_pert_follows_the_exact_beta(low, mode, high):
    """The tabulated inverse-CDF sampler: every quantile within 1e-4 of the span of scipy's beta, and draws whose
    empirical distribution is the beta's (Kolmogorov-Smirnov distance at sampling noise)."""
    from scipy import stats

    from engine.distributions import QUANTILE_CELLS, _beta_quantiles

    span = high - low
    a, b = 1 + 4 * (mode - low) / span, 1 + 4 * (high - mode) / span
    probs = np.linspace(0, 1, QUANTILE_CELLS + 1)[1:-1]
    assert np.max(np.abs(_beta_quantiles(a, b)[1:-1] - stats.beta(a, b).ppf(probs))) < 1e-4
    x = pert(np.random.default_rng(3), low, mode, high, 100_000)
    assert low <= x.min() and x.max() <= high
    assert stats.kstest((x - low) / span, stats.beta(a, b).cdf).statistic < 0.006
    assert np.array_equal(x, pert(np.random.default_rng(3), low, mode, high, 100_000))  # seeded


def test_pert_rejects_disordered_values():
    with pytest.raises(ValueError, match="low <= mode <= high"):
        pert(np.random.default_rng(1), 3.0, 2.0, 10.0, 10)


def test_ninety_percent_interval_covers_ninety_percent():
    x = to(np.random.default_rng(2), 10.0, 1000.0, 100_000)
    inside = np.mean((x >= 10.0) & (x <= 1000.0))
    assert 0.89 < inside < 0.91


def test_each_parameter_has_its_own_stream():
    aset = load()
    a = model.draw(aset, AS_OF, 500, np.random.default_rng(7))
    b = model.draw(aset, AS_OF, 500, np.random.default_rng(7))
    path = "salaries.tier1_monthly.host"
    _ = b["modules.channels.setup.live_room_equipment"]  # touching another parameter first changes nothing
    np.testing.assert_array_equal(a[path], b[path])
    c = model.draw(aset, AS_OF, 500, np.random.default_rng(8))
    assert not np.array_equal(a[path], c[path])


def test_head_is_a_prefix_of_the_full_draws():
    d = model.draw(load(), AS_OF, 1000, np.random.default_rng(3))
    h = d.head(100)
    path = "modules.wecom.staffing.private_domain_ops"
    np.testing.assert_array_equal(h[path], d[path][:100])


def _ranking(as_of: date = AS_OF, draws: int = 800, forced=None, levels=None, **changes):
    profile = MerchantProfile.model_validate(make_profile(**changes))
    aset = load()
    d = model.draw(aset, as_of, draws, np.random.default_rng(5))
    return rank(profile, aset, as_of, d, forced=forced, levels=levels)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"business_type": "individual", "staff_fte": 1, "budget_monthly_cny": 8000},
        {"existing_modules": ["wecom"], "private_domain": "advanced", "staff_fte": 2},
        {"shelf_platforms": ["taobao"], "goal": "repeat", "current_monthly_gmv_cny": 200000},
        {"gross_margin": 0.01},
    ],
)
def test_the_score_is_the_objective_written_out(changes):
    """The score of every plan equals the objective's formula worked by hand from its money over the horizon."""
    r = _ranking(**changes)
    o = r.objective
    for i, plan in enumerate(r.plans[:40]):
        sim = r.simulate(i)
        net = sim.gross_profit - sim.cost
        np.testing.assert_allclose(net, sim.net)
        tl = model.timeline(plan, r.sims, r.table, o, r.defer) if plan else None
        lack = model.money(plan, tl, r.table, o.horizon_weeks)[2] if plan else 0.0
        expected = (
            net
            - o.w_downside * np.maximum(-net, 0)
            - o.w_budget * np.maximum(sim.cost - o.budget, 0)
            - o.w_staff * lack
        ) / o.cost_scale
        np.testing.assert_allclose(r.scores[i], expected[0], rtol=1e-12, atol=1e-12)


def test_monthly_cash_flow_adds_up_to_the_horizon_totals():
    r = _ranking()
    for i in (1, len(r.plans) // 2, len(r.plans) - 1):
        plan, sim = r.plans[i], r.simulate(i)
        flow = model.cashflow(plan, r.sims, r.table, r.objective, r.defer, 12)
        cost, profit = flow.cost, flow.profit
        np.testing.assert_allclose(cost.sum(axis=0), sim.cost, rtol=1e-9)
        np.testing.assert_allclose(profit.sum(axis=0), sim.gross_profit, rtol=1e-9)
        assert np.all(profit >= -1e-9) or np.any(r.table.gross_profit < 0)


def test_ramp_area_is_nothing_then_a_ramp_then_full():
    op, ss = np.array([4.0]), np.array([12.0])
    assert model.ramp_area(op, ss, 4.0)[0] == 0
    assert model.ramp_area(op, ss, 8.0)[0] == pytest.approx(4 * 4 / (2 * 8))
    assert model.ramp_area(op, ss, 12.0)[0] == pytest.approx(4.0)
    assert model.ramp_area(op, ss, 20.0)[0] == pytest.approx(12.0)


def test_the_budget_hires_and_only_the_rest_is_shortfall():
    plan = (("channels", "shop"),)
    funded = _ranking(forced=(("channels", "shop"), plan), staff_fte=0.5, budget_monthly_cny=80_000)
    unfunded = _ranking(forced=(("channels", "shop"), plan), staff_fte=0.5, budget_monthly_cny=0)
    a, b = funded.simulate(funded.chosen), unfunded.simulate(unfunded.chosen)
    assert np.median(a.hired_fte) > 0.3 and np.median(a.shortfall_fte) < 0.05
    assert np.median(b.hired_fte) == 0 and np.median(b.shortfall_fte) > 0.3
    # only the work nobody can do stretches the ramp
    assert np.median(b.operational) > np.median(a.operational)


def test_staff_shortfall_stretches_ramp():
    plan = (("channels", "shop"),)
    ops = []
    for staff in (0.5, 2.0, 20.0):
        r = _ranking(forced=(("channels", "shop"), plan), staff_fte=staff, budget_monthly_cny=0)
        ops.append(float(np.median(r.simulate(r.chosen).operational)))
    assert ops[0] > ops[1] >= ops[2]


def test_levels_fit_the_merchant_and_can_be_forced():
    small = _ranking(business_type="individual", staff_fte=1, budget_setup_cny=5000, budget_monthly_cny=3000)
    large = _ranking(staff_fte=30, budget_monthly_cny=300_000, current_monthly_gmv_cny=3_000_000)
    assert small.level("channels") == "lean"
    assert large.level("channels") in ("standard", "scaled")
    forced = _ranking(levels={"channels": "scaled"}, business_type="individual", staff_fte=1)
    assert forced.level("channels") == "scaled"


def test_customer_service_grows_with_orders():
    plan = (("channels", "shop"),)
    cs = []
    for gmv in (100_000, 1_000_000, 10_000_000):
        r = _ranking(forced=(("channels", "shop"), plan), levels={"channels": "standard", "shop": "standard"},
                     current_monthly_gmv_cny=gmv)  # fmt: skip
        cs.append(float(np.median(r.table.roles(r.simulate(r.chosen).mask)["customer_service"])))
    assert cs[0] < cs[1] < cs[2]


def _module_gp(r, new: tuple, module: str) -> float:
    d = model.demand(r.assumptions, r.cohort, r.draws)
    fm = model.fit_multiplier(r.assumptions, r.fit_array, r.as_of)
    return float(np.mean(model.set_returns(model.mask_of(new), r.table.kept, d, r.sims, fm)[module][1]))


def test_a_shelf_with_no_traffic_earns_less_than_with_channels():
    r = _ranking(private_domain="basic")
    assert _module_gp(r, ("miniprogram",), "miniprogram") < _module_gp(
        r, ("channels", "miniprogram"), "miniprogram"
    )
    assert _module_gp(r, ("wecom",), "wecom") < _module_gp(r, ("channels", "wecom"), "wecom")


def test_two_shelves_overlap():
    r = _ranking(private_domain="established")
    assert _module_gp(r, ("shop", "miniprogram"), "miniprogram") < _module_gp(
        r, ("miniprogram",), "miniprogram"
    )


def test_before_the_rename_the_shop_sells_only_through_channels():
    r = _ranking(as_of=date(2024, 3, 1))
    assert _module_gp(r, ("shop",), "shop") == 0
    assert _module_gp(r, ("channels", "shop"), "channels") > 0


def test_agents_sell_through_channels_without_payroll():
    std = {"channels": "standard"}
    plain, network = _ranking(levels=std), _ranking(distributors=2000, levels=std)
    assert _module_gp(network, ("channels", "shop"), "channels") > 2 * _module_gp(
        plain, ("channels", "shop"), "channels"
    )
    assert network.sims["channels"].fte.mean() == pytest.approx(plain.sims["channels"].fte.mean())


def test_douyin_experience_lowers_channels_setup_and_staffing():
    a = _ranking(douyin_presence="none", levels={"channels": "standard"})
    b = _ranking(douyin_presence="leading", levels={"channels": "standard"})
    assert b.sims["channels"].setup.mean() < a.sims["channels"].setup.mean()
    assert b.sims["channels"].fte.mean() < a.sims["channels"].fte.mean()


def test_module_facts_are_data_read_by_one_catalog(tmp_path):
    """Which modules Channels can sell through, and from when, comes from the modules' YAML traits."""
    import shutil

    from engine import catalog
    from engine.plans import shelf_ready

    aset = load()
    assert catalog.shelves(aset) == ("shop", "miniprogram")
    assert catalog.channel_shelves(date(2024, 5, 27), aset) == {"shop"}
    assert catalog.channel_shelves(date(2024, 5, 28), aset) == {"shop", "miniprogram"}
    assert not shelf_ready((("channels", "wecom"),), (), AS_OF, aset)
    pack = tmp_path / "pack"
    shutil.copytree(Path(__file__).resolve().parents[1] / "assumptions", pack)
    wecom = pack / "modules" / "wecom.yaml"
    text = wecom.read_text(encoding="utf-8").replace(
        "  shelf: false\n", "  shelf: true\n  channels_shelf_from: 2020-01-01\n", 1
    )
    wecom.write_text(text, encoding="utf-8")
    other = load(pack)
    assert "wecom" in catalog.channel_shelves(AS_OF, other)
    assert shelf_ready((("channels", "wecom"),), (), AS_OF, other)
