"""Properties of ``recommend`` over any valid profile (hypothesis)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
from conftest import AS_OF, BASE_PROFILE
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from engine.assumptions import load
from engine.model import draw
from engine.plans import parse_plan, shelf_ready
from engine.profile import (
    DOUYIN_LEVELS,
    FIELD_CHOICES,
    MODULES,
    PRIVATE_DOMAIN_LEVELS,
    MerchantProfile,
)
from engine.ranking import rank
from engine.recommend import recommend
from engine.result import Recommendation

DRAWS = 400
TOL = 1e-9

# Derandomized so a run is reproducible; no shrinking, so a failure is reported in seconds (the
# failing example is printed as generated).
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)


def _floats(lo: float, hi: float, *, exclude_lo: bool = False, exclude_hi: bool = False):
    return st.floats(
        min_value=lo,
        max_value=hi,
        exclude_min=exclude_lo,
        exclude_max=exclude_hi,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
    )


def _subset(choices):
    return st.lists(st.sampled_from(choices), unique=True).map(list)


profiles = st.fixed_dictionaries(
    {
        "name": st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), max_size=20),
        "business_type": st.sampled_from(FIELD_CHOICES["business_type"]),
        "category": st.sampled_from(FIELD_CHOICES["category"]),
        "douyin_presence": st.sampled_from(DOUYIN_LEVELS),
        "shelf_platforms": _subset(FIELD_CHOICES["shelf_platforms"]),
        "private_domain": st.sampled_from(PRIVATE_DOMAIN_LEVELS),
        "existing_modules": _subset(MODULES),
        "distributors": st.integers(0, 1_000_000),
        "staff_fte": _floats(0, 1000, exclude_lo=True),
        "budget_setup_cny": _floats(0, 1e10),
        "budget_monthly_cny": _floats(0, 1e9),
        "city_tier": st.sampled_from((1, 2, 3)),
        "avg_order_value_cny": _floats(0, 1e6, exclude_lo=True),
        "gross_margin": _floats(0, 1, exclude_lo=True, exclude_hi=True),
        "goal": st.sampled_from(FIELD_CHOICES["goal"]),
        "audience_age": st.sampled_from(FIELD_CHOICES["audience_age"]),
        "current_monthly_gmv_cny": st.none() | _floats(0, 1e11),
        "reachable_customers": st.none() | st.integers(0, 1_000_000_000),
    }
)

# Realistic team sizes for the ramp property, so that both sides of a shortfall are reached.
staff = _floats(0.2, 40)


@st.composite
def forced_plans(draw, last: str | None = None) -> str:
    """An explicit phasing (``a,b>c``) or a single module, so the engine cannot re-phase it.

    With ``last``, that module is in the last phase (alone or with others).
    """
    pool = [m for m in MODULES if m != last]
    modules = draw(st.lists(st.sampled_from(pool), min_size=0 if last else 1, unique=True))
    phases: list[list[str]] = []
    if modules:
        cuts = draw(st.lists(st.integers(1, len(modules)), unique=True)) if len(modules) > 1 else []
        start = 0
        for cut in sorted({*cuts, len(modules)}):
            phases.append(modules[start:cut])
            start = cut
    if last is not None:
        if phases and draw(st.booleans()):
            phases[-1].append(last)
        else:
            phases.append([last])
    if len(phases) == 1 and len(phases[0]) > 1:
        # One phase of several modules would be a module set the engine may re-phase: split it.
        phases = [phases[0][:-1], phases[0][-1:]]
    return ">".join(",".join(ph) for ph in phases)


def _shelf_ready(plan: str, kept: list[str]) -> bool:
    modules, phases = parse_plan(plan, tuple(kept))
    return shelf_ready(phases if phases is not None else (modules,), tuple(kept), date.fromisoformat(AS_OF))


def _ordered(band, name: str) -> None:
    values = [v for v in (band.p10, band.p50, band.p90) if v is not None]
    assert values == sorted(values), f"{name}: {band}"


@SETTINGS
@given(profile=profiles)
def test_every_module_explained_and_bands_ordered(profile):
    rec = recommend(profile, as_of=AS_OF, draws=DRAWS, seed=1)
    assert set(rec.modules) == set(MODULES)
    for m, mod in rec.modules.items():
        assert mod.reasons, f"{m} has no reason"
        for reason in mod.reasons:
            assert reason.sources, f"{m}: {reason.rule} cites nothing"
    for name in ("setup", "monthly", "first_year"):
        band = getattr(rec.cost_cny, name)
        assert None not in (band.p10, band.p50, band.p90), name
        _ordered(band, name)
    for name in ("operational", "steady_state"):
        band = getattr(rec.ramp_weeks, name)
        assert None not in (band.p10, band.p50, band.p90), name
        _ordered(band, name)
    _ordered(rec.break_even_gmv_cny, "break_even_gmv")
    for ph in rec.plan.phases:
        _ordered(ph.start_week, f"phase {ph.phase} start")
    assert 0 <= rec.win_probability <= 1
    kept = set(rec.profile.existing_modules)
    for m in MODULES:
        assert (rec.modules[m].verdict == "keep") == (m in kept)
    # The JSON output is valid against its own contract (no NaN/inf turned into null).
    assert Recommendation.model_validate_json(rec.model_dump_json()) == rec


def test_smallest_valid_staff_keeps_figures_finite():
    """staff_fte only has to be > 0; the tiniest positive value must not overflow ramps or scores."""
    profile = {**BASE_PROFILE, "staff_fte": 2.2250738585072014e-308, "existing_modules": ["channels"]}
    rec = recommend(profile, as_of=AS_OF, draws=DRAWS, seed=0)
    for name in ("operational", "steady_state"):
        band = getattr(rec.ramp_weeks, name)
        assert None not in (band.p10, band.p50, band.p90), (name, band)
    assert math.isfinite(rec.mean_score)
    assert Recommendation.model_validate_json(rec.model_dump_json()) == rec


@SETTINGS
@given(profile=profiles, plan=forced_plans(), s=staff, extra=_floats(0.1, 20))
def test_more_staff_never_lengthens_the_ramp(profile, plan, s, extra):
    few = recommend({**profile, "staff_fte": s}, as_of=AS_OF, draws=DRAWS, seed=3, plan=plan)
    more = recommend({**profile, "staff_fte": s + extra}, as_of=AS_OF, draws=DRAWS, seed=3, plan=plan)
    assert few.plan.code == more.plan.code
    for name in ("operational", "steady_state"):
        a, b = getattr(few.ramp_weeks, name), getattr(more.ramp_weeks, name)
        assert b.p50 <= a.p50 + TOL, (name, a, b)
        assert b.p90 <= a.p90 + TOL, (name, a, b)
    assert more.staffing.shortfall_fte <= few.staffing.shortfall_fte + TOL


@st.composite
def keep_cases(draw):
    module = draw(st.sampled_from(MODULES))
    profile = draw(profiles)
    others = [m for m in profile["existing_modules"] if m != module]
    plan = draw(forced_plans(last=module))
    return profile, module, others, plan


@SETTINGS
@given(case=keep_cases())
def test_keeping_a_module_never_costs_more_than_setting_it_up(case):
    """Same forced plan with ``module`` running already vs set up new: a kept module has no set-up and no cost
    line of its own. (First-year cost as a whole may rise: a kept shop lets Channels sell more, and serving the
    extra orders takes people - the return is why.)"""
    profile, module, others, plan = case
    assume(_shelf_ready(plan, others))
    new = recommend({**profile, "existing_modules": others}, as_of=AS_OF, draws=DRAWS, seed=5, plan=plan)
    kept = recommend(
        {**profile, "existing_modules": [*others, module]}, as_of=AS_OF, draws=DRAWS, seed=5, plan=plan
    )
    assert kept.modules[module].verdict == "keep"
    assert kept.cost_cny.setup.p50 <= new.cost_cny.setup.p50 + TOL
    assert not [i for i in kept.items if i.module == module]
    assert kept.modules[module].gmv_monthly_steady_cny is None


@SETTINGS
@given(profile=profiles, seed=st.integers(0, 2**32 - 1))
def test_same_seed_same_output(profile, seed):
    a = recommend(profile, as_of=AS_OF, draws=DRAWS, seed=seed)
    b = recommend(profile, as_of=AS_OF, draws=DRAWS, seed=seed)
    assert a.model_dump_json() == b.model_dump_json()


@SETTINGS
@given(profile=profiles, seeds=st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=2, unique=True))
def test_different_seeds_different_numbers(profile, seeds):
    new = [m for m in MODULES if m not in profile["existing_modules"]]
    assume(new)
    plan = ",".join(new)
    a, b = (recommend(profile, as_of=AS_OF, draws=DRAWS, seed=s, plan=plan) for s in seeds)
    assert a.cost_cny.setup.model_dump() != b.cost_cny.setup.model_dump()
    assert a.first_year_histogram != b.first_year_histogram


# --- the money, sized to the merchant ----------------------------------------------------------------

smes = st.fixed_dictionaries(
    {
        "business_type": st.sampled_from(FIELD_CHOICES["business_type"]),
        "category": st.sampled_from(FIELD_CHOICES["category"]),
        "douyin_presence": st.sampled_from(DOUYIN_LEVELS),
        "private_domain": st.sampled_from(PRIVATE_DOMAIN_LEVELS),
        "distributors": st.sampled_from((0, 0, 50, 2000)),
        "staff_fte": _floats(0.5, 20),
        "budget_setup_cny": _floats(0, 300_000),
        "budget_monthly_cny": _floats(0, 200_000),
        "avg_order_value_cny": _floats(20, 2000),
        "gross_margin": _floats(0.1, 0.8),
        "goal": st.sampled_from(FIELD_CHOICES["goal"]),
        "current_monthly_gmv_cny": st.none() | _floats(0, 5_000_000),
    }
)


def _chosen_mean_net(profile: dict, seed: int = 11) -> tuple[float, float]:
    """The chosen plan's expected risk-adjusted net in CNY: its mean score times the cost scale (net less the
    downside weight on losses, less the unfilled work and budget overrun charged in money); and the tie margin
    in CNY (a plan with fewer phases within it of the best is chosen instead)."""
    p = MerchantProfile.model_validate({**BASE_PROFILE, **profile})
    aset = load()
    day = date.fromisoformat(AS_OF)
    r = rank(p, aset, day, draw(aset, day, DRAWS, np.random.default_rng(seed)))
    scale = float(r.objective.cost_scale[0, 0])
    return float(r.mean[r.chosen] * scale), aset.objective.tie_margin.mode_at(day) * scale


@SETTINGS
@given(profile=smes, factor=_floats(1.2, 5))
def test_more_budget_never_lowers_the_chosen_plans_expected_net(profile, factor):
    """More budget can only pay for more (hires instead of unfilled work, less overrun), so the plan chosen with
    it is worth at least as much, risk-adjusted - up to the tie margin, within which a plan with fewer phases is
    preferred (the margin grows with the budget). (Raw net may dip by the pay of hires that replace unfilled
    work: the objective charges that work at its pay, so hiring is never worse for the plan.)"""
    richer = {
        **profile,
        "budget_setup_cny": profile["budget_setup_cny"] * factor,
        "budget_monthly_cny": profile["budget_monthly_cny"] * factor,
    }
    (base, _), (more, tie) = _chosen_mean_net(profile), _chosen_mean_net(richer)
    assert more >= base - tie - 1e-6 * (1 + abs(base)), (base, more, tie)


@SETTINGS
@given(profile=smes, plan=forced_plans())
def test_ten_times_the_gmv_never_gives_a_smaller_team_for_the_same_plan(profile, plan):
    gmv = profile["current_monthly_gmv_cny"] or 100_000.0
    small = recommend(
        {**BASE_PROFILE, **profile, "current_monthly_gmv_cny": gmv}, as_of=AS_OF, draws=DRAWS, plan=plan
    )
    large = recommend(
        {**BASE_PROFILE, **profile, "current_monthly_gmv_cny": 10 * gmv}, as_of=AS_OF, draws=DRAWS, plan=plan
    )
    assert small.plan.code == large.plan.code
    assert large.staffing.required_fte >= small.staffing.required_fte - TOL


@SETTINGS
@given(
    monthly=_floats(1000, 20_000),
    setup=_floats(0, 30_000),
    category=st.sampled_from(FIELD_CHOICES["category"]),
    business=st.sampled_from(("individual", "brand")),
)
def test_a_lean_plan_for_a_one_person_merchant_stays_within_its_budget_or_says_why(
    monthly, setup, category, business
):
    profile = {**BASE_PROFILE, "business_type": business, "category": category, "staff_fte": 1,
               "budget_setup_cny": setup, "budget_monthly_cny": monthly}  # fmt: skip
    lean = {m: "lean" for m in MODULES}
    rec = recommend(profile, as_of=AS_OF, draws=DRAWS, plan="channels,shop", levels=lean)
    annual = setup + 12 * monthly
    codes = {w.code for w in rec.warnings}
    assert rec.cost_cny.first_year.p50 <= annual or codes & {"budget_setup_overrun", "budget_monthly_overrun"}
    assert rec.staffing.required_fte <= 1.5  # a founder on a phone, not a studio team


@SETTINGS
@given(profile=smes)
def test_a_shelf_without_traffic_earns_less_than_with_channels(profile):
    base = {**BASE_PROFILE, **profile, "existing_modules": []}
    levels = {m: "standard" for m in MODULES}
    alone = recommend(base, as_of=AS_OF, draws=DRAWS, plan="miniprogram", levels=levels)
    fed = recommend(base, as_of=AS_OF, draws=DRAWS, plan="channels,miniprogram", levels=levels)
    g_alone = alone.modules["miniprogram"].gmv_monthly_steady_cny
    g_fed = fed.modules["miniprogram"].gmv_monthly_steady_cny
    assert g_fed.p50 >= g_alone.p50 - TOL
