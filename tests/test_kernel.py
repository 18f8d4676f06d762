"""The compiled plan-scoring kernel (engine/kernel.py) gives the reference objective's scores to the last bit."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from engine import batch, model
from engine.assumptions import load
from engine.fit import assess_fit, fit_arrays
from engine.plans import candidate_plans
from engine.profile import MerchantProfile
from tests.conftest import make_profile

AS_OF = date(2026, 11, 21)

VARIED = [
    {},
    {"business_type": "individual", "staff_fte": 1, "budget_monthly_cny": 3000, "category": "beauty"},
    {"douyin_presence": "leading", "staff_fte": 30, "current_monthly_gmv_cny": 3_000_000},
    {"business_type": "social_commerce", "distributors": 5000, "private_domain": "established"},
    {"staff_fte": 0.5, "budget_monthly_cny": 0, "goal": "repeat"},
    {"douyin_presence": "established", "private_domain": "none", "goal": "acquisition"},
    {"shelf_platforms": ["taobao"], "goal": "repeat", "reachable_customers": 40_000},
]


def _cohort(changes: list[dict], draws: int, as_of: date = AS_OF):
    aset = load()
    profiles = [MerchantProfile.model_validate(make_profile(**c)) for c in changes]
    d = model.draw(aset, as_of, draws, np.random.default_rng(3))
    fits = [assess_fit(p, aset, as_of) for p in profiles]
    cohort = model.Cohort.of(profiles, aset, as_of)
    fit, defer = fit_arrays(fits, aset, d)
    objective = model.Objective.for_cohort(aset, cohort, d)
    sims = model.cohort_sims(aset, cohort, d, fit, objective.horizon_months)
    table = model.cohort_table(aset, sims, cohort, d, fit)
    plans = candidate_plans(("channels", "shop", "miniprogram", "wecom"), (), as_of, aset)
    return plans, sims, table, objective, defer, fit


@pytest.mark.parametrize("as_of", [AS_OF, date(2023, 9, 1)])
def test_the_kernel_matches_the_reference_to_the_last_bit(as_of):
    plans, sims, table, objective, defer, fit = _cohort(VARIED, 257, as_of)
    reference = model.score_plans_arrays(plans, sims, table, objective, defer, fit)
    compiled = model.score_plans_compiled(plans, sims, table, objective, defer)
    assert reference.shape == compiled.shape == (len(plans), len(VARIED), 257)
    np.testing.assert_array_equal(compiled, reference)


def test_the_kernel_matches_for_one_profile_and_other_horizons():
    plans, sims, table, objective, defer, fit = _cohort([VARIED[1]], 300)
    for months in (12, 24, 36):
        o = objective.with_horizon(months)
        np.testing.assert_array_equal(
            model.score_plans_compiled(plans, sims, table, o, defer),
            model.score_plans_arrays(plans, sims, table, o, defer, fit),
        )


def test_the_money_behind_the_scores_matches_and_rescores_to_the_same_bits():
    """Both implementations write each plan's gross profit, cost and unfilled-work pay alike, and the score
    computed from that money under other weights is the score the plans get when scored afresh."""
    from dataclasses import replace

    plans, sims, table, objective, defer, fit = _cohort(VARIED, 131)
    shape = (3, len(plans), len(VARIED), 131)
    reference, compiled = np.empty(shape), np.empty(shape)
    model.score_plans_arrays(plans, sims, table, objective, defer, fit, reference)
    scores = model.score_plans_compiled(plans, sims, table, objective, defer, compiled)
    np.testing.assert_array_equal(compiled, reference)
    np.testing.assert_array_equal(model.objective_score(*compiled, objective), scores)
    other = replace(objective, w_downside=objective.w_downside * 5, w_staff=objective.w_staff / 2)
    np.testing.assert_array_equal(
        model.objective_score(*compiled, other), model.score_plans_compiled(plans, sims, table, other, defer)
    )


def test_a_deliberate_change_in_the_kernel_would_be_caught():
    """The comparison is exact: one ulp on one score is a failure."""
    plans, sims, table, objective, defer, fit = _cohort(VARIED[:2], 100)
    compiled = model.score_plans_compiled(plans, sims, table, objective, defer)
    nudged = compiled.copy()
    nudged[5, 1, 7] = np.nextafter(nudged[5, 1, 7], np.inf)
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(
            nudged, model.score_plans_arrays(plans, sims, table, objective, defer, fit)
        )


def test_the_batch_uses_the_kernel_and_still_equals_recommend(monkeypatch):
    """Leads scored by the kernel give recommend's plan for each profile (which uses numpy)."""
    from engine.recommend import recommend

    calls = []
    compiled = model.score_plans_compiled

    def spy(*args, **kwargs):
        calls.append(1)
        return compiled(*args, **kwargs)

    monkeypatch.setattr(model, "score_plans_compiled", spy)
    monkeypatch.setattr(model, "KERNEL_MIN_ELEMENTS", 1)
    profiles = [MerchantProfile.model_validate(make_profile(**c)) for c in VARIED]
    opts = batch.options(as_of=AS_OF, draws=200)
    with batch.Scorer(opts) as s:
        rows = s.score(profiles)
    assert calls
    monkeypatch.setattr(model, "KERNEL_MIN_ELEMENTS", 1 << 40)
    for p, row in zip(profiles, rows, strict=True):
        rec = recommend(p, as_of=AS_OF, draws=200, with_counterfactuals=False)
        assert row.plan_code == rec.plan.code, p.name


@pytest.mark.parametrize("as_of", [AS_OF, date(2023, 9, 1)])
def test_the_compiled_cash_flow_matches_the_reference_to_the_last_bit(as_of):
    """Month by month cost and gross profit, and when the plan is operational and steady, for every candidate
    plan, all profiles or some of them, at the 12- and 36-month horizons."""
    plans, sims, table, objective, defer, _ = _cohort(VARIED, 131, as_of)
    for months, rows in ((12, None), (36, np.array([5, 1, 3]))):
        for plan in plans:
            reference = model.cashflow_arrays(plan, sims, table, objective, defer, months, rows)
            (compiled,) = model.cashflows_compiled([(plan, rows)], sims, table, objective, defer, months)
            for name in ("cost", "profit", "operational", "steady_state"):
                np.testing.assert_array_equal(getattr(compiled, name), getattr(reference, name), name)
            assert compiled.cost.shape == (months, len(VARIED) if rows is None else 3, 131)


def test_the_cash_flow_reads_the_kernels_money_at_the_horizon():
    """The last month's cumulative money is what the scoring kernel counts over the horizon, to the bit."""
    plans, sims, table, objective, defer, _ = _cohort(VARIED[:3], 64)
    money = np.empty((3, len(plans), 3, 64))
    model.score_plans_compiled(plans, sims, table, objective, defer, money)
    months = round(objective.horizon_months)
    for i in (1, len(plans) // 2, len(plans) - 1):
        (flow,) = model.cashflows_compiled([(plans[i], None)], sims, table, objective, defer, months)
        np.testing.assert_allclose(flow.cost.sum(axis=0), money[1, i], rtol=1e-12)
        np.testing.assert_allclose(flow.profit.sum(axis=0), money[0, i], rtol=1e-12)


KEPT = [
    {"existing_modules": ["shop"]},
    {"existing_modules": ["shop"], "business_type": "social_commerce", "distributors": 800},
    {"existing_modules": ["shop"], "staff_fte": 0.5, "budget_monthly_cny": 0},
]
KEPT_MALL = [  # a mall running today: the shop re-serves its buyers
    {"existing_modules": ["miniprogram"], "goal": "repeat", "reachable_customers": 40_000},
    {"existing_modules": ["miniprogram"], "business_type": "social_commerce", "distributors": 3000},
]
KEPT_CHANNELS = [  # Channels running today carries the agents
    {"existing_modules": ["channels"], "business_type": "social_commerce", "distributors": 800},
    {"existing_modules": ["channels"], "shelf_platforms": ["taobao"], "current_monthly_gmv_cny": 900_000},
]


@pytest.mark.parametrize(
    ("changes", "as_of"),
    [
        (VARIED, AS_OF),
        (VARIED, date(2023, 9, 1)),  # before the mall link (2024-05) and 带货人 (2025)
        (VARIED, date(2024, 9, 1)),  # linked, no 带货人 yet
        (KEPT, AS_OF),
        (KEPT_MALL, AS_OF),
        (KEPT_CHANNELS, AS_OF),
    ],
)
def test_the_compiled_set_table_matches_the_reference_to_the_last_bit(changes, as_of):
    """Returns, staffing, hires, costs, stretch and break-even of every set, with and without modules running
    today."""
    aset = load()
    profiles = [MerchantProfile.model_validate(make_profile(**c)) for c in changes]
    d = model.draw(aset, as_of, 203, np.random.default_rng(5))
    cohort = model.Cohort.of(profiles, aset, as_of)
    fit, _ = fit_arrays([assess_fit(p, aset, as_of) for p in profiles], aset, d)
    sims = model.cohort_sims(aset, cohort, d, fit, 12.0)
    reference = model.cohort_table(aset, sims, cohort, d, fit, compiled=False)
    compiled = model.cohort_table(aset, sims, cohort, d, fit, compiled=True)
    for name in model.SetTable.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(compiled, name), getattr(reference, name), name)
    if changes is VARIED or changes is KEPT:  # the branches are exercised
        assert np.any(reference.hired_fte > 0) and np.any(reference.stretch > 1)
    assert np.any(reference.gmv > 0) and np.any(reference.gross_profit > 0)


@pytest.mark.parametrize("shape", [(1, 3, 5), (112, 4, 300), (3, 1, 1), (7, 2, 129)])
def test_the_first_best_plan_is_numpys_argmax(shape):
    """Ties go to the first plan, a NaN counts as the largest (the first NaN), infinities compare as numbers."""
    from engine import kernel

    kernel.warm_up()
    rng = np.random.default_rng(sum(shape))
    tied = rng.integers(0, 3, shape).astype(float)  # many ties
    for special in (np.nan, -np.inf, np.inf):
        tied[rng.random(shape) < 0.02] = special
    tied[:, 0, 0] = np.nan  # a column of NaN only
    for scores in (tied, rng.normal(size=shape)):
        assert np.array_equal(model.first_best(scores), np.argmax(scores, axis=0))
