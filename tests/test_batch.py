"""The batch scorer: every lead's headline equals ``recommend`` for that profile, whatever the chunking."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import batch, model
from engine.errors import InputError
from engine.profile import FIELD_CHOICES, MODULES, MerchantProfile
from engine.recommend import recommend
from tests.conftest import AS_OF, make_profile

DRAWS = 300


def _profiles() -> list[MerchantProfile]:
    """Varied profiles: kept modules, shelves, budgets, staff and GMV all differ."""
    rng = np.random.default_rng(11)
    out = []
    for i in range(24):

        def choice(field: str):
            values = FIELD_CHOICES[field]
            return values[int(rng.integers(len(values)))]

        out.append(
            MerchantProfile.model_validate(
                make_profile(
                    name=f"lead {i}",
                    business_type=choice("business_type"),
                    category=choice("category"),
                    douyin_presence=choice("douyin_presence"),
                    private_domain=choice("private_domain"),
                    shelf_platforms=[p for p in FIELD_CHOICES["shelf_platforms"] if rng.random() < 0.3],
                    existing_modules=[m for m in MODULES if rng.random() < 0.25],
                    staff_fte=float(rng.integers(1, 12)),
                    budget_setup_cny=float(rng.integers(1, 40)) * 10_000,
                    budget_monthly_cny=float(rng.integers(1, 25)) * 10_000,
                    city_tier=choice("city_tier"),
                    gross_margin=round(float(rng.uniform(0.1, 0.7)), 2),
                    goal=choice("goal"),
                    current_monthly_gmv_cny=None if i % 2 else float(rng.integers(1, 300)) * 10_000,
                )
            )
        )
    return out


PROFILES = _profiles()


@pytest.fixture(scope="module")
def outcomes() -> list[batch.Outcome]:
    return batch.Scorer(batch.options(as_of=AS_OF, draws=DRAWS, seed=4)).score(PROFILES)


def test_each_lead_matches_recommend(outcomes):
    """Common random numbers: a lead's row is what ``recommend`` says with the same seed, draws and date."""
    for profile, out in zip(PROFILES, outcomes, strict=True):
        rec = recommend(profile, as_of=AS_OF, draws=DRAWS, seed=4, with_counterfactuals=False)
        assert out.plan_code == rec.plan.code, profile.name
        assert out.setup == rec.cost_cny.setup
        assert out.monthly == rec.cost_cny.monthly
        assert out.first_year == rec.cost_cny.first_year
        assert out.operational_p50 == rec.ramp_weeks.operational.p50
        assert out.steady_state_p50 == rec.ramp_weeks.steady_state.p50
        assert out.win_probability == rec.win_probability
        assert {m: out.verdicts[m] for m in MODULES} == {m: rec.modules[m].verdict for m in MODULES}


def test_the_sample_is_varied(outcomes):
    """The equality test above means something only if the leads get different answers."""
    assert len({o.plan_code for o in outcomes}) >= 4
    assert any(o.kept for o in outcomes)


@pytest.mark.parametrize("chunk", [1, 700, 1 << 20])
def test_chunking_does_not_change_results(outcomes, chunk):
    scorer = batch.Scorer(batch.options(as_of=AS_OF, draws=DRAWS, seed=4), chunk_elements=chunk)
    assert scorer.score(PROFILES) == outcomes


def test_order_and_repeats_do_not_change_a_lead(outcomes):
    scorer = batch.Scorer(batch.options(as_of=AS_OF, draws=DRAWS, seed=4))
    order = list(reversed(range(len(PROFILES))))
    again = scorer.score([PROFILES[i] for i in order] + PROFILES[:3])
    assert [again[k] for k in range(len(order))] == [outcomes[i] for i in order]
    assert again[len(order) :] == outcomes[:3]


def test_another_seed_gives_other_draws(outcomes):
    other = batch.Scorer(batch.options(as_of=AS_OF, draws=DRAWS, seed=5)).score(PROFILES)
    assert [o.first_year for o in other] != [o.first_year for o in outcomes]


def test_progress_counts_every_profile():
    seen: list[int] = []
    batch.Scorer(batch.options(as_of=AS_OF, draws=DRAWS), chunk_elements=DRAWS * 5).score(
        PROFILES, progress=seen.append
    )
    assert sum(seen) == len(PROFILES)
    assert len(seen) > 1


def test_empty_list():
    assert batch.Scorer(batch.options(as_of=AS_OF, draws=DRAWS)).score([]) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"draws": 5}, "draws"),
        ({"seed": -1}, "seed"),
        ({"as_of": "2020-01-01"}, "as_of"),
        ({"as_of": "x"}, "as_of"),
    ],
)
def test_bad_options_name_the_option(kwargs, field):
    with pytest.raises(InputError) as err:
        batch.options(**kwargs)
    assert err.value.field == field


def test_a_cohort_must_share_its_kept_modules():
    profiles = [PROFILES[0], PROFILES[0].model_copy(update={"existing_modules": ("wecom",)})]
    if profiles[0].existing_modules == ("wecom",):
        profiles[1] = profiles[0].model_copy(update={"existing_modules": ()})
    aset, day = batch.options().assumptions, date.fromisoformat(AS_OF)
    cohort = model.Cohort.of(profiles, aset, day)
    d = model.draw(aset, day, 100, np.random.default_rng(0))
    fit = np.full((len(profiles), 4, 1), 0.5)
    sims = model.cohort_sims(aset, cohort, d, fit, 12)
    with pytest.raises(ValueError, match="same modules"):
        model.cohort_table(aset, sims, cohort, d, fit)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(range(len(PROFILES))), min_size=1, max_size=6),
    st.integers(min_value=1, max_value=5000),
)
def test_any_subset_and_chunk_size_gives_the_same_rows(outcomes, picks, chunk):
    scorer = batch.Scorer(batch.options(as_of=AS_OF, draws=DRAWS, seed=4), chunk_elements=chunk)
    assert scorer.score([PROFILES[i] for i in picks]) == [outcomes[i] for i in picks]


def test_worker_processes_give_the_same_rows(outcomes):
    seen: list[int] = []
    opts = batch.options(as_of=AS_OF, draws=DRAWS, seed=4)
    with batch.Scorer(opts, chunk_elements=DRAWS * 4, workers=2) as scorer:
        assert scorer.score(PROFILES, progress=seen.append) == outcomes
        assert scorer.score(PROFILES[:5]) == outcomes[:5]
    assert sum(seen) == len(PROFILES)


def test_threads_give_the_same_rows(outcomes):
    seen: list[int] = []
    opts = batch.options(as_of=AS_OF, draws=DRAWS, seed=4)
    with batch.Scorer(opts, chunk_elements=DRAWS * 3, threads=2) as scorer:
        assert scorer.score(PROFILES, progress=seen.append) == outcomes
        assert isinstance(scorer._pool, ThreadPoolExecutor)  # scored on the threads, not here
        assert scorer.score(PROFILES[:5]) == outcomes[:5]
    assert sum(seen) == len(PROFILES)


@pytest.mark.parametrize("field", ["workers", "threads"])
@pytest.mark.parametrize("count", [0, -1, 1.5, True])
def test_bad_worker_count_names_the_option(field, count):
    with pytest.raises(InputError) as err:
        batch.Scorer(batch.options(draws=DRAWS), **{field: count})
    assert err.value.field == field
