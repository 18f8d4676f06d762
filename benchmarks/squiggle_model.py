"""The engine's cost, staffing and ramp model written a second time with squigglepy, one lead at a time.

This is what an analyst would write without wxplan's engine: for each lead, sample every assumption the lead's
profile reads with squigglepy (``sq.pert``, ``sq.to``, ``sq.const`` and ``sq.sample``, seeded per lead with
``sq.set_seed``), then do the arithmetic on the sample arrays with numpy: what each module costs and needs,
the staffing, monthly cost and break-even of each of the 16 sets of modules, the score of every candidate plan,
and the plan ``engine.recommend.choose`` would pick.

It reads from the engine only data and rules: the assumption set, the rules' fit (``assess_fit``) and the
candidate plans. None of ``engine.model``'s arithmetic is used, so the benchmark compares two implementations
and the agreement between their choices is a check of both. Each lead gets its own independent draws (the
engine shares one set of draws across all leads), so the two agree on most leads, not on all: where two plans
are close, sampling noise decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import squigglepy as sq

from engine.assumptions import AssumptionSet, Param, Role
from engine.plans import Plan, candidate_plans
from engine.profile import MODULES, MerchantProfile, Module
from engine.recommend import assess_fit

ROLES: tuple[Role, ...] = Role.__args__
SHELVES: tuple[Module, ...] = ("shop", "miniprogram")  # modules that sell, and charge a share of GMV
WEEKS_PER_MONTH = 52 / 12
MIN_STAFF_FTE = 0.05  # below this the merchant has, in effect, nobody


def distribution(param: Param, as_of: date) -> sq.BaseDistribution:
    """The squigglepy distribution of a parameter's value in force on ``as_of``.

    ``pert`` is squigglepy's PERT with the default lam=4 (a beta on [low, high]), ``interval90`` is ``sq.to``
    (lognormal over a 90 % interval when low > 0, else normal), ``fixed`` is a constant. A range of zero
    width is a constant too (squigglepy's PERT needs low < high).
    """
    v = param.at(as_of)
    if param.distribution == "fixed":
        return sq.const(float(v.value))
    if param.distribution == "pert":
        return sq.pert(v.low, v.mode, v.high) if v.low < v.high else sq.const(float(v.mode))
    return sq.to(v.low, v.high) if v.low < v.high else sq.const(float(v.low))


class Sampler:
    """Samples of the lead's assumptions by dotted path, ``n`` each, drawn once: a quantity used twice
    (the private-domain ramp speed of WeCom and the mini-program) is one uncertain quantity."""

    def __init__(self, assumptions: AssumptionSet, as_of: date, n: int):
        self.params = assumptions.param_map
        self.as_of = as_of
        self.n = n
        self.samples: dict[str, np.ndarray] = {}

    def __call__(self, path: str) -> np.ndarray:
        if path not in self.samples:
            dist = distribution(self.params[path], self.as_of)
            self.samples[path] = np.asarray(sq.sample(dist, n=self.n), dtype=float).reshape(self.n)
        return self.samples[path]


class _Reader(Sampler):
    """Notes which parameters are read, without sampling them."""

    def __call__(self, path: str) -> np.ndarray:
        self.samples[path] = np.ones(self.n)
        return self.samples[path]


def parameters_read(profile: MerchantProfile, assumptions: AssumptionSet, as_of: date) -> set[str]:
    """The dotted paths of the assumptions one lead's simulation samples."""
    reader = _Reader(assumptions, as_of, 1)
    module_sets(profile, module_costs(profile, assumptions, reader), reader)
    return set(reader.samples)


@dataclass
class ModuleCost:
    setup: np.ndarray  # CNY, one-time
    monthly: np.ndarray  # CNY/month: fixed items and seats
    fee_rate: np.ndarray  # share of GMV sold through the module
    fte: dict[Role, np.ndarray]
    operational_weeks: np.ndarray
    steady_state_weeks: np.ndarray


@dataclass
class ModuleSet:
    """One of the 16 sets of modules, with what the merchant already runs counted in staffing."""

    setup: np.ndarray
    monthly: np.ndarray  # incremental: new modules, new hires and new platform fees
    break_even_gmv: np.ndarray
    required_fte: np.ndarray
    shortfall_fte: np.ndarray
    stretch: np.ndarray  # how much a staff shortfall slows every ramp


@dataclass
class LeadResult:
    plans: list[Plan]
    scores: np.ndarray  # (plans, draws)
    chosen: int
    win_probability: float
    setup: tuple[float, float, float]  # P10, P50, P90 of the chosen plan
    monthly: tuple[float, float, float]
    first_year: tuple[float, float, float]
    operational_p50: float  # weeks until every new module is operational
    steady_state_p50: float  # weeks until every new module reaches steady state
    parameters_read: int

    @property
    def plan(self) -> Plan:
        return self.plans[self.chosen]

    @property
    def plan_code(self) -> str:
        return ">".join(",".join(phase) for phase in self.plan)


def bits(modules) -> int:
    return sum(1 << MODULES.index(m) for m in set(modules))


def members(mask: int) -> tuple[Module, ...]:
    return tuple(m for i, m in enumerate(MODULES) if mask >> i & 1)


def module_costs(
    profile: MerchantProfile, assumptions: AssumptionSet, s: Sampler
) -> dict[Module, ModuleCost]:
    n = s.n
    staff_scale = s(f"adjustments.staffing_scale_by_business_type.{profile.business_type}")
    spend_scale = s(f"adjustments.spend_scale_by_business_type.{profile.business_type}")
    private_speed = s(f"adjustments.private_ramp_by_private_domain.{profile.private_domain}")
    ramp_speed = {
        "channels": s(f"adjustments.channels_ramp_by_douyin.{profile.douyin_presence}"),
        "shop": s("adjustments.shop_ramp_with_shelf_experience") if profile.shelf_platforms else np.ones(n),
        "miniprogram": private_speed,
        "wecom": private_speed,
    }
    out = {}
    for m in MODULES:
        spec, p = assumptions.modules[m], f"modules.{m}"
        fte = {role: s(f"{p}.staffing.{role}") * staff_scale for role in spec.staffing}
        seats = np.maximum(sum(fte.values()), 1.0)
        setup, monthly, fee_rate = np.zeros(n), np.zeros(n), np.zeros(n)
        # Discretionary spend (equipment, promotion, builds) scales with the business; fixed fees do not.
        for key, param in spec.setup.items():
            setup += s(f"{p}.setup.{key}") * (1.0 if param.distribution == "fixed" else spend_scale)
        for key, param in spec.monthly.items():
            monthly += s(f"{p}.monthly.{key}") * (1.0 if param.distribution == "fixed" else spend_scale)
        for key in spec.per_seat:
            monthly += s(f"{p}.per_seat.{key}") * seats
        for key in spec.gmv_share:
            fee_rate += s(f"{p}.gmv_share.{key}")
        operational = s(f"{p}.ramp.operational_weeks") * ramp_speed[m]
        steady = operational + s(f"{p}.ramp.steady_state_extra_weeks") * ramp_speed[m]
        out[m] = ModuleCost(setup, monthly, fee_rate, fte, operational, steady)
    return out


def module_sets(profile: MerchantProfile, costs: dict[Module, ModuleCost], s: Sampler) -> list[ModuleSet]:
    """Staffing, incremental monthly cost and break-even GMV of every set of modules (index = bit mask)."""
    n = s.n
    # Share of the smaller needs for a role, across modules, that the people filling the largest one cover.
    overlap = s("adjustments.role_overlap")
    elasticity = s("adjustments.shortfall_ramp_elasticity")
    tier = s(f"salaries.tier_multiplier.{profile.city_tier}") * s("salaries.employer_on_cost")
    pay = {role: s(f"salaries.tier1_monthly.{role}") * tier for role in ROLES}
    available = max(profile.staff_fte, MIN_STAFF_FTE)
    kept = bits(profile.existing_modules)

    required, gross_staff = [], []
    for mask in range(16):
        need, payroll = np.zeros(n), np.zeros(n)
        for role in ROLES:
            needs = [costs[m].fte[role] for m in members(mask) if role in costs[m].fte]
            if not needs:
                continue
            largest, total = np.max(needs, axis=0), np.sum(needs, axis=0)
            role_fte = largest + (1 - overlap) * (total - largest)
            need += role_fte
            payroll += role_fte * pay[role]
        # The merchant's current staff are not costed again; only the FTE beyond them are hired.
        with np.errstate(divide="ignore", invalid="ignore"):
            hired_share = np.where(need > available, 1 - available / need, 0.0)
        required.append(need)
        gross_staff.append(payroll * hired_share)

    sets = []
    for mask in range(16):
        both = mask | kept
        new = members(mask & ~kept)
        staff_cost = gross_staff[both] - gross_staff[kept] if new else np.zeros(n)
        fixed = sum((costs[m].monthly for m in new), np.zeros(n)) + staff_cost
        # Fees fall on GMV through a shelf the set adds, at the mean rate of the shelves then running.
        running = [shelf for shelf in SHELVES if shelf in members(both)]
        if running and any(shelf in new for shelf in SHELVES):
            fee = sum(costs[shelf].fee_rate for shelf in running) / len(running)
        else:
            fee = np.zeros(n)
        margin = profile.gross_margin
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            break_even = np.where(fixed <= 0, 0.0, np.where(margin > fee, fixed / (margin - fee), np.inf))
        gmv = np.full(n, profile.monthly_gmv_cny) if profile.monthly_gmv_cny is not None else break_even
        fees = fee * np.where(np.isfinite(gmv), gmv, 0.0) if new else np.zeros(n)
        ratio = required[both] / available
        sets.append(
            ModuleSet(
                setup=sum((costs[m].setup for m in new), np.zeros(n)),
                monthly=fixed + fees,
                break_even_gmv=break_even if new else np.zeros(n),
                required_fte=required[both],
                shortfall_fte=np.maximum(required[both] - available, 0.0),
                stretch=np.where(ratio > 1, ratio**elasticity, 1.0),
            )
        )
    return sets


def deferred_too_early(plan: Plan, defer: frozenset[Module]) -> int:
    """Modules a rule says belong later that start no later than the last phase with a module not deferred."""
    last_core = max((k for k, phase in enumerate(plan) if any(m not in defer for m in phase)), default=0)
    return sum(1 for k, phase in enumerate(plan) for m in phase if m in defer and k <= last_core)


def choose(scores: np.ndarray, plans: list[Plan]) -> int:
    """The best mean score; among plans within two standard errors of it (paired), the fewest phases."""
    mean = scores.mean(axis=1)
    best = max(range(len(plans)), key=lambda i: (mean[i], -i))
    diff = scores[best] - scores
    se = diff.std(axis=1) / np.sqrt(scores.shape[1])
    close = [i for i in range(len(plans)) if diff[i].mean() <= 2 * se[i]]
    return min(close, key=lambda i: (len(plans[i]), -mean[i], i))


def recommend_lead(
    profile: MerchantProfile,
    assumptions: AssumptionSet,
    as_of: date,
    draws: int,
    seed: int | tuple[int, ...],
    sampler: Sampler | None = None,
) -> LeadResult:
    """Sample the lead's assumptions (seeded by ``seed``), score every candidate plan, pick one.

    ``sampler`` replaces squigglepy's samples (tests pass the engine's own draws to check the arithmetic).
    """
    if sampler is None:
        sq.set_seed(seed)
    s = sampler or Sampler(assumptions, as_of, draws)
    o = assumptions.objective
    mode = {name: param.mode_at(as_of) for name, param in o.weights.items()}
    horizon = o.horizon_weeks.mode_at(as_of)
    annual_budget = profile.budget_setup_cny + 12 * profile.budget_monthly_cny
    cost_scale = max(annual_budget, o.cost_scale_floor.mode_at(as_of))
    available = max(profile.staff_fte, MIN_STAFF_FTE)

    # Which modules are worth considering: the rules' fit, the threshold, the feasible phasings.
    fit = assess_fit(profile, assumptions, as_of)
    kept = profile.existing_modules
    min_fit = o.min_fit.mode_at(as_of)
    candidates = tuple(m for m in MODULES if m not in kept and fit.fit[m] >= min_fit)
    plans = candidate_plans(candidates, kept, as_of)
    share_without_acquisition = o.value_without_acquisition.mode_at(as_of)

    costs = module_costs(profile, assumptions, s)
    sets = module_sets(profile, costs, s)
    kept_mask = bits(kept)

    def evaluate(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Score and first-year cost per draw; and the weeks to operational and to steady state."""
        worth = dict(fit.fit)
        if fit.needs_traffic and "channels" not in kept and not any("channels" in ph for ph in plan):
            for m in fit.needs_traffic:
                worth[m] *= share_without_acquisition
        start = np.zeros(draws)
        value, first_year = np.zeros(draws), np.zeros(draws)
        operational, steady = np.zeros(draws), np.zeros(draws)
        shortfall_weeks = sets[0].shortfall_fte * horizon if not plan else np.zeros(draws)
        prefix = 0
        for k, phase in enumerate(plan):
            prefix |= bits(phase)
            running = sets[prefix]  # modules started so far (kept ones count in staffing)
            ramps = [costs[m].operational_weeks * running.stretch for m in phase]
            for m, ramp in zip(phase, ramps, strict=True):
                value += worth[m] * np.clip(1 - (start + ramp) / horizon, 0.0, 1.0)
                operational = np.maximum(operational, start + ramp)
                steady = np.maximum(steady, start + costs[m].steady_state_weeks * running.stretch)
            end = start + np.max(ramps, axis=0)
            first_year += np.where(start < horizon, sets[bits(phase)].setup, 0.0)
            until = horizon if k == len(plan) - 1 else np.minimum(end, horizon)
            weeks = until - np.minimum(start, horizon)
            first_year += running.monthly / WEEKS_PER_MONTH * weeks
            shortfall_weeks += running.shortfall_fte * weeks
            start = end
        score = (
            mode["value"] * value
            - mode["cost"] * first_year / cost_scale
            - mode["budget_overrun"] * np.maximum(first_year - annual_budget, 0.0) / cost_scale
            - mode["staff_shortfall"] * shortfall_weeks / horizon / available
            - mode["defer"] * deferred_too_early(plan, fit.defer)
        )
        return score, first_year, operational, steady

    evaluated = [evaluate(plan) for plan in plans]
    scores = np.stack([e[0] for e in evaluated])
    chosen = choose(scores, plans)
    full = bits(m for phase in plans[chosen] for m in phase) & ~kept_mask
    winners = np.argmax(scores, axis=0)

    def band(values: np.ndarray) -> tuple[float, float, float]:
        p10, p50, p90 = np.percentile(values, [10, 50, 90])
        return float(p10), float(p50), float(p90)

    _, first_year, operational, steady = evaluated[chosen]

    return LeadResult(
        plans=plans,
        scores=scores,
        chosen=chosen,
        win_probability=float(np.mean(winners == chosen)),
        setup=band(sets[full].setup),
        monthly=band(sets[full].monthly),
        first_year=band(first_year),
        operational_p50=float(np.median(operational)),
        steady_state_p50=float(np.median(steady)),
        parameters_read=len(s.samples),
    )
