"""The Monte Carlo model: distributions, per-parameter streams, and the lean scorer matching the full one."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from engine import model
from engine.assumptions import load
from engine.distributions import pert, to
from engine.profile import MerchantProfile
from engine.recommend import rank
from tests.conftest import make_profile

AS_OF = date(2026, 11, 21)


def test_pert_stays_in_range_and_peaks_near_mode():
    x = pert(np.random.default_rng(1), 2.0, 3.0, 10.0, 50_000)
    assert x.min() >= 2.0 and x.max() <= 10.0
    assert abs(x.mean() - (2 + 4 * 3 + 10) / 6) < 0.05  # PERT mean


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


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"business_type": "individual", "staff_fte": 1, "budget_monthly_cny": 8000},
        {"existing_modules": ["wecom"], "private_domain": "advanced", "staff_fte": 2},
        {"shelf_platforms": ["taobao"], "goal": "repeat", "monthly_gmv_cny": 200000},
        {"gross_margin": 0.01},
    ],
)
def test_lean_scoring_equals_full_evaluation(changes):
    profile = MerchantProfile.model_validate(make_profile(**changes))
    aset = load()
    d = model.draw(aset, AS_OF, 800, np.random.default_rng(5))
    r = rank(profile, aset, AS_OF, d)
    full = np.stack([r.simulate(i).score for i in range(len(r.plans))])
    np.testing.assert_allclose(r.scores, full, rtol=1e-12, atol=1e-12)


def test_staff_shortfall_stretches_ramp():
    aset = load()
    d = model.draw(aset, AS_OF, 800, np.random.default_rng(5))
    plan = (("channels", "shop"),)
    ops = []
    for staff in (0.5, 2.0, 20.0):
        profile = MerchantProfile.model_validate(make_profile(staff_fte=staff))
        r = rank(profile, aset, AS_OF, d, forced=(("channels", "shop"), plan))
        ops.append(float(np.median(r.simulate(r.chosen).operational)))
    assert ops[0] > ops[1] >= ops[2]


def test_figures_derived_from_draws_are_built_once_and_read_only():
    """Cohorts scored on the same draws share the per-set staffing built from them (``Draws.derived``)."""
    m = model
    draws = m.draw(load(), date(2026, 11, 21), 50, np.random.default_rng(1))
    built = []
    first = draws.derived("k", lambda: built.append(1) or np.ones(3))
    assert draws.derived("k", lambda: built.append(1) or np.zeros(3)) is first and built == [1]
    profiles = [MerchantProfile.model_validate(make_profile(staff_fte=s)) for s in (1.0, 4.0)]
    sims = m.cohort_sims(load(), m.Cohort.of(profiles), draws)
    one = m.cohort_table(sims, m.Cohort.of(profiles), draws)
    again = m.cohort_table(sims, m.Cohort.of(profiles[::-1]), draws)
    assert one.base_roles is again.base_roles and not one.base_roles.flags.writeable
    np.testing.assert_array_equal(one.required_fte[3][0], again.required_fte[3][1])
