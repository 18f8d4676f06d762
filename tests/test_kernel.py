"""The compiled plan-scoring kernel gives the numpy version's scores to the last bit, on every path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import batch, kernel, model
from engine.plans import candidate_plans
from engine.recommend import recommend
from tests.conftest import AS_OF
from tests.test_batch import PROFILES

DRAWS = 300


@pytest.fixture
def both(monkeypatch):
    """Every scoring call runs both implementations and checks they agree exactly; returns the calls seen."""
    seen: list[tuple[int, ...]] = []
    arrays, compiled = model.score_plans_arrays, model.score_plans_compiled

    def check(*args):
        expected = arrays(*args)
        got = compiled(*args)
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        seen.append(expected.shape)
        return got

    monkeypatch.setattr(model, "score_plans", check)
    return seen


def test_the_kernel_matches_numpy_on_varied_cohorts(both):
    """24 varied leads (kept modules, shelves, budgets, staff, GMV) in every grouping the batch makes, with
    draws that are not a multiple of the kernel's block and chunks of one lead up to all of a group."""
    for draws, chunk in ((DRAWS, 1), (DRAWS, 5), (kernel.BLOCK + 3, 64), (2 * kernel.BLOCK, 64)):
        batch.Scorer(batch.options(as_of=AS_OF, draws=draws, seed=9), chunk_elements=chunk * draws).score(
            PROFILES
        )
    assert len(both) > 20
    assert any(shape[1] > 1 for shape in both) and any(shape[1] == 1 for shape in both)


def test_the_kernel_matches_numpy_for_one_profile(both):
    """A single profile's arrays have no cohort axis; the kernel takes them too."""
    for profile in PROFILES[:8]:
        recommend(profile, as_of=AS_OF, draws=DRAWS, seed=3, with_counterfactuals=False)
    assert both and all(len(shape) == 2 for shape in both)


def test_the_batch_uses_the_kernel_past_the_threshold(monkeypatch):
    """Leads scored by the kernel still equal ``recommend`` for each profile (which uses numpy)."""
    calls = []
    compiled = model.score_plans_compiled

    def spy(*args):
        calls.append(1)
        return compiled(*args)

    monkeypatch.setattr(model, "score_plans_compiled", spy)
    monkeypatch.setattr(model, "KERNEL_MIN_ELEMENTS", 1)
    outcomes = batch.Scorer(batch.options(as_of=AS_OF, draws=DRAWS, seed=4)).score(PROFILES)
    assert calls
    monkeypatch.undo()
    for profile, out in zip(PROFILES, outcomes, strict=True):
        rec = recommend(profile, as_of=AS_OF, draws=DRAWS, seed=4, with_counterfactuals=False)
        assert (out.plan_code, out.win_probability) == (rec.plan.code, rec.win_probability), profile.name


def test_small_problems_stay_in_numpy(monkeypatch):
    """One profile at the default draws does not start the compiler."""

    def fail(*_args):
        raise AssertionError("the kernel ran for one profile")

    monkeypatch.setattr(model, "score_plans_compiled", fail)
    recommend(PROFILES[0], as_of=AS_OF, draws=1000, seed=1, with_counterfactuals=False)


def test_compiled_plans_share_leading_phases():
    plans = candidate_plans(("channels", "shop", "wecom"), (), AS_OF_DATE)
    program = kernel.compile_plans(tuple(plans))
    ends = len(program.parent) - program.nodes
    assert ends == sum(1 for p in plans if p)
    assert [s for s in program.plan_step if s >= 0] == list(range(program.nodes, len(program.parent)))
    assert all(program.step_plan[s] == i for i, s in enumerate(program.plan_step) if s >= 0)
    assert all(program.step_plan[s] == -1 for s in range(program.nodes))
    # every state is opened by one phase from an earlier state, and is shared: fewer states than prefixes
    assert all(p < s for s, p in enumerate(program.parent[: program.nodes]))
    assert program.nodes < sum(len(p) - 1 for p in plans if p)
    # a step's modules started so far are its parent's plus its own phase
    for s, p in enumerate(program.parent):
        before = program.prefix[p] if p >= 0 else 0
        assert program.prefix[s] == before | program.phase[s]
        mods = program.mods[program.mod_ptr[s] : program.mod_ptr[s + 1]]
        assert program.phase[s] == sum(1 << int(m) for m in mods)


AS_OF_DATE = batch.options(as_of=AS_OF, draws=100).as_of


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    picks=st.lists(st.integers(0, len(PROFILES) - 1), min_size=1, max_size=12),
    draws=st.integers(100, 700),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_cohort_any_draws(picks, draws, seed, both):
    batch.Scorer(batch.options(as_of=AS_OF, draws=draws, seed=seed), chunk_elements=len(picks) * draws).score(
        [PROFILES[i] for i in picks]
    )
