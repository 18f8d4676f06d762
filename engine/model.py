"""The Monte Carlo cost, staffing and ramp model (vectorised numpy, randomness passed in).

Three layers, each a pure function of the one before:

1. :func:`draw` - one array of ``n`` draws per assumption parameter, independent of the profile.
   The same draws serve every plan and every counterfactual (common random numbers), so
   comparisons are not blurred by sampling noise.
2. :func:`module_sims` and :class:`SetTable` - what each module costs, needs and takes for this
   profile, and the staffing, monthly cost and break-even of every set of modules (16 sets).
3. :func:`evaluate_plan` - one phased plan: phase start weeks, stretched ramps, first-year cost
   and the objective's score, per draw.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np

from engine.assumptions import AssumptionSet, Param, Role
from engine.profile import MODULES, MerchantProfile, Module

ROLES: tuple[Role, ...] = Role.__args__
SHELVES: tuple[Module, ...] = ("shop", "miniprogram")
WEEKS_PER_MONTH = 52 / 12

Plan = tuple[tuple[Module, ...], ...]  # phases, each a tuple of new modules


def bit(module: Module) -> int:
    return 1 << MODULES.index(module)


def mask_of(modules: tuple[Module, ...] | list[Module] | set[Module]) -> int:
    out = 0
    for m in modules:
        out |= bit(m)
    return out


def modules_of(mask: int) -> tuple[Module, ...]:
    return tuple(m for m in MODULES if mask & bit(m))


class Draws:
    """``n`` draws of every assumption parameter, keyed by its dotted path, drawn on first use.

    Each parameter has its own random stream, derived from one root seed and a stable hash of its
    path, so the draws of a parameter do not depend on which other parameters exist or were used:
    adding an assumption, or a profile that never reads some, leaves every other draw unchanged.
    """

    def __init__(self, params: dict[str, Param], as_of: date, n: int, root: int, parent: Draws | None = None):
        self.params = params
        self.as_of = as_of
        self.n = n
        self.root = root
        self._parent = parent
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, path: str) -> np.ndarray:
        values = self._cache.get(path)
        if values is None:
            if self._parent is not None:
                values = self._parent[path][: self.n]
            else:
                stream = np.random.SeedSequence(self.root, spawn_key=(zlib.crc32(path.encode()),))
                values = self.params[path].draw(np.random.default_rng(stream), self.n, self.as_of)
                values.setflags(write=False)
            self._cache[path] = values
        return values

    def head(self, n: int) -> Draws:
        """The first ``n`` draws of every parameter (a cheaper, consistent subsample)."""
        return Draws(self.params, self.as_of, min(n, self.n), self.root, parent=self)


def draw(assumptions: AssumptionSet, as_of: date, n: int, rng: np.random.Generator) -> Draws:
    """Draws for ``n`` simulations; the generator supplies the root seed of every parameter's stream."""
    return Draws(assumptions.param_map, as_of, n, int(rng.integers(0, 2**63 - 1)))


@dataclass(frozen=True)
class ModuleSim:
    """One module for one profile: arrays of draws."""

    setup_items: dict[str, np.ndarray]
    monthly_items: dict[str, np.ndarray]
    seat_items: dict[str, np.ndarray]  # CNY/month for all of the module's seats
    gmv_share: np.ndarray
    fte_by_role: dict[Role, np.ndarray]
    operational_weeks: np.ndarray
    steady_state_weeks: np.ndarray

    @property
    def setup(self) -> np.ndarray:
        return sum(self.setup_items.values(), np.zeros_like(self.gmv_share))

    @property
    def monthly_fixed(self) -> np.ndarray:
        zero = np.zeros_like(self.gmv_share)
        return sum(self.monthly_items.values(), zero) + sum(self.seat_items.values(), zero)

    @property
    def fte(self) -> np.ndarray:
        return sum(self.fte_by_role.values(), np.zeros_like(self.gmv_share))


MIN_STAFF_FTE = 0.05


def effective_staff(profile: MerchantProfile) -> float:
    """Staff used in ratios: below a twentieth of a person the merchant has, in effect, nobody, and the
    ratio is capped there so that a tiny positive value cannot overflow the ramp arithmetic."""
    return max(profile.staff_fte, MIN_STAFF_FTE)


def salaries(profile: MerchantProfile, draws: Draws) -> dict[Role, np.ndarray]:
    """Fully loaded monthly cost of one FTE per role in the merchant's city tier."""
    tier = draws[f"salaries.tier_multiplier.{profile.city_tier}"] * draws["salaries.employer_on_cost"]
    return {role: draws[f"salaries.tier1_monthly.{role}"] * tier for role in ROLES}


def ramp_multiplier(module: Module, profile: MerchantProfile, draws: Draws) -> np.ndarray:
    """How the profile speeds up or slows down a module's ramp (before any staff shortfall)."""
    if module == "channels":
        return draws[f"adjustments.channels_ramp_by_douyin.{profile.douyin_presence}"]
    if module in ("wecom", "miniprogram"):
        return draws[f"adjustments.private_ramp_by_private_domain.{profile.private_domain}"]
    if profile.shelf_platforms:
        return draws["adjustments.shop_ramp_with_shelf_experience"]
    return np.ones(draws.n)


def _spend(param: Param, spend: np.ndarray) -> np.ndarray | float:
    """Discretionary spend (equipment, promotion, builds) scales with the business; fixed fees do not."""
    return 1.0 if param.distribution == "fixed" else spend


def module_sims(
    assumptions: AssumptionSet, profile: MerchantProfile, draws: Draws
) -> dict[Module, ModuleSim]:
    scale = draws[f"adjustments.staffing_scale_by_business_type.{profile.business_type}"]
    spend = draws[f"adjustments.spend_scale_by_business_type.{profile.business_type}"]
    sims: dict[Module, ModuleSim] = {}
    for module in MODULES:
        a = assumptions.modules[module]
        p = f"modules.{module}"
        fte_by_role = {role: draws[f"{p}.staffing.{role}"] * scale for role in a.staffing}
        fte = sum(fte_by_role.values(), np.zeros(draws.n))
        mult = ramp_multiplier(module, profile, draws)
        op = draws[f"{p}.ramp.operational_weeks"] * mult
        sims[module] = ModuleSim(
            setup_items={k: draws[f"{p}.setup.{k}"] * _spend(a.setup[k], spend) for k in a.setup},
            monthly_items={k: draws[f"{p}.monthly.{k}"] * _spend(a.monthly[k], spend) for k in a.monthly},
            seat_items={k: draws[f"{p}.per_seat.{k}"] * np.maximum(fte, 1.0) for k in a.per_seat},
            gmv_share=sum((draws[f"{p}.gmv_share.{k}"] for k in a.gmv_share), np.zeros(draws.n)),
            fte_by_role=fte_by_role,
            operational_weeks=op,
            steady_state_weeks=op + draws[f"{p}.ramp.steady_state_extra_weeks"] * mult,
        )
    return sims


@dataclass(frozen=True)
class SetTable:
    """Staffing, monthly cost and break-even for each of the 16 sets of modules, as arrays whose first
    axis is the set's bit mask (see :func:`mask_of`).

    Kept modules count towards staffing but add no cost: costs are incremental over what runs today.
    """

    kept: int
    role_fte: np.ndarray  # (16, roles, n): combined FTE per role, kept modules included
    required_fte: np.ndarray  # (16, n): kept modules included
    staff_cost: np.ndarray  # (16, n): incremental over kept
    monthly_excl_fees: np.ndarray
    fee_rate: np.ndarray
    monthly: np.ndarray
    break_even_gmv: np.ndarray
    setup: np.ndarray
    stretch: np.ndarray  # ramp multiplier from staff shortfall when these modules (plus kept) run

    def roles(self, mask: int) -> dict[Role, np.ndarray]:
        """Combined FTE per role for a set (kept modules included), roles with any need only."""
        fte = self.role_fte[mask | self.kept]
        return {role: fte[i] for i, role in enumerate(ROLES) if np.any(fte[i] > 0)}


MASKS = np.arange(16)
MEMBERS = ((MASKS[:, None] >> np.arange(len(MODULES))[None, :]) & 1).astype(float)  # (16, 4)


def set_table(sims: dict[Module, ModuleSim], profile: MerchantProfile, draws: Draws, as_of: date) -> SetTable:
    n = draws.n
    overlap = draws["adjustments.role_overlap"]
    elasticity = draws["adjustments.shortfall_ramp_elasticity"]
    pay = salaries(profile, draws)
    kept = mask_of(profile.existing_modules)
    available = effective_staff(profile)
    zero = np.zeros(n)

    # Per role, the largest single-module need and the total need of each set, built up one module at a time.
    fte = np.stack(
        [np.stack([sims[m].fte_by_role.get(role, zero) for m in MODULES]) for role in ROLES]
    )  # (R, 4, n)
    top = np.zeros((16, len(ROLES), n))
    total = np.zeros((16, len(ROLES), n))
    for mask in range(1, 16):
        low = (mask & -mask).bit_length() - 1
        rest = mask & (mask - 1)
        top[mask] = np.maximum(top[rest], fte[:, low])
        total[mask] = total[rest] + fte[:, low]
    role_fte = top + (1.0 - overlap) * (total - top)
    required = role_fte.sum(axis=1)
    pay_matrix = np.stack([pay[role] for role in ROLES])  # (R, n)
    # The people the merchant already has are not costed again; only the FTE beyond them are hires,
    # paid at the need-weighted salary of the roles in the set.
    with np.errstate(divide="ignore", invalid="ignore"):
        hired_share = np.where(required > available, 1.0 - available / required, 0.0)
    gross_staff = (role_fte * pay_matrix[None]).sum(axis=1) * hired_share

    both = MASKS | kept
    new = MEMBERS * (1 - MEMBERS[kept])[None, :]  # (16, 4): modules each set adds to what runs
    staff_cost = gross_staff[both] - gross_staff[kept]
    staff_cost[new.sum(axis=1) == 0] = 0.0
    fixed = new @ np.stack([sims[m].monthly_fixed for m in MODULES]) + staff_cost
    # Platform fees fall on GMV through a shelf the set adds (at the mean rate of the shelves then running);
    # a set that adds no shelf sells through shelves whose fees are already part of today's business.
    shelf_cols = [MODULES.index(m) for m in SHELVES]
    shelf_in = MEMBERS[both][:, shelf_cols]  # (16, shelves)
    shelf_share = np.stack([sims[MODULES[c]].gmv_share for c in shelf_cols])
    count = shelf_in.sum(axis=1, keepdims=True)
    adds_shelf = new[:, shelf_cols].sum(axis=1, keepdims=True) > 0
    fee = np.divide(shelf_in @ shelf_share, count, out=np.zeros((16, n)), where=(count > 0) & adds_shelf)
    margin = profile.gross_margin
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        be = np.where(fixed <= 0, 0.0, np.where(margin > fee, fixed / (margin - fee), np.inf))
    # Fees on the expected GMV when given, else at break-even (none when break-even is unreachable).
    gmv = np.full((16, n), profile.monthly_gmv_cny) if profile.monthly_gmv_cny is not None else be
    adds = new.sum(axis=1) > 0
    fees = np.where(adds[:, None], fee * np.where(np.isfinite(gmv), gmv, 0.0), 0.0)
    be = np.where(adds[:, None], be, 0.0)
    ratio = required[both] / available
    stretch = np.where(ratio > 1.0, ratio**elasticity, 1.0)
    setup = new @ np.stack([sims[m].setup for m in MODULES])
    return SetTable(kept, role_fte, required, staff_cost, fixed, fee, fixed + fees, be, setup, stretch)


@dataclass(frozen=True)
class Objective:
    """The objective's weights and scales for one profile (see ``assumptions/objective.yaml``)."""

    horizon_weeks: float
    w_value: float
    w_cost: float
    w_budget: float
    w_staff: float
    w_defer: float
    cost_scale: float
    annual_budget: float

    @classmethod
    def build(cls, assumptions: AssumptionSet, profile: MerchantProfile, as_of: date) -> Objective:
        o = assumptions.objective
        annual = profile.budget_setup_cny + 12 * profile.budget_monthly_cny
        return cls(
            horizon_weeks=o.horizon_weeks.mode_at(as_of),
            w_value=o.weights["value"].mode_at(as_of),
            w_cost=o.weights["cost"].mode_at(as_of),
            w_budget=o.weights["budget_overrun"].mode_at(as_of),
            w_staff=o.weights["staff_shortfall"].mode_at(as_of),
            w_defer=o.weights["defer"].mode_at(as_of),
            cost_scale=max(annual, o.cost_scale_floor.mode_at(as_of)),
            annual_budget=annual,
        )


@dataclass(frozen=True)
class Valuation:
    """What each new module is worth per week operational: its fit, and the rules' phase and traffic advice."""

    fit: dict[Module, float]
    defer: frozenset[Module]
    needs_traffic: frozenset[Module]
    value_without_acquisition: float

    def fit_for(self, plan: Plan, kept: int) -> dict[Module, float]:
        """Fit as it counts in ``plan``: modules that need traffic count less in a plan without Channels."""
        if not self.needs_traffic or kept & bit("channels") or any("channels" in phase for phase in plan):
            return self.fit
        share = self.value_without_acquisition
        return {m: f * share if m in self.needs_traffic else f for m, f in self.fit.items()}


def deferred_too_early(plan: Plan, defer: frozenset[Module]) -> int:
    """How many modules a rule says belong later sit in the first phase or alongside (or before) the
    last phase that starts a module no rule defers."""
    last_core = max((k for k, phase in enumerate(plan) if any(m not in defer for m in phase)), default=0)
    return sum(1 for k, phase in enumerate(plan) for m in phase if m in defer and k <= last_core)


@dataclass(frozen=True)
class PlanSim:
    plan: Plan
    score: np.ndarray
    setup: np.ndarray
    monthly: np.ndarray
    first_year: np.ndarray
    operational: np.ndarray
    steady_state: np.ndarray
    phase_starts: tuple[np.ndarray, ...]
    module_operational: dict[Module, np.ndarray]  # week each new module becomes operational
    module_steady: dict[Module, np.ndarray]  # week each new module reaches steady state
    fit: float  # mean fit of the new modules as the objective counts them (0 for no new module)
    required_fte: np.ndarray
    shortfall_fte: np.ndarray
    break_even_gmv: np.ndarray
    mask: int


def evaluate_plan(
    plan: Plan,
    sims: dict[Module, ModuleSim],
    table: SetTable,
    valuation: Valuation,
    objective: Objective,
    available_fte: float,
) -> PlanSim:
    """Per-draw figures and score of one phased plan (kept modules run throughout and are not listed)."""
    n = table.required_fte[0].shape[0]
    horizon = objective.horizon_weeks
    kept = table.kept
    fit = valuation.fit_for(plan, kept)
    start = np.zeros(n)
    prefix = 0
    value = np.zeros(n)
    first_year = np.zeros(n)
    operational = np.zeros(n)
    steady = np.zeros(n)
    starts: list[np.ndarray] = []
    module_op: dict[Module, np.ndarray] = {}
    module_steady: dict[Module, np.ndarray] = {}
    for phase in plan:
        prefix |= mask_of(phase)
        stretch = table.stretch[prefix | kept]
        starts.append(start)
        phase_len = np.zeros(n)
        for m in phase:
            op = sims[m].operational_weeks * stretch
            end = start + op
            module_op[m] = end
            value += fit[m] * np.clip((horizon - end) / horizon, 0.0, 1.0)
            operational = np.maximum(operational, end)
            module_steady[m] = start + sims[m].steady_state_weeks * stretch
            steady = np.maximum(steady, module_steady[m])
            phase_len = np.maximum(phase_len, op)
        first_year += np.where(start < horizon, table.setup[mask_of(phase)], 0.0)
        start = start + phase_len
    # Monthly cost and staff shortfall run from each phase's start, for the modules started by then.
    prefix = 0
    shortfall_weeks = (
        np.maximum(table.required_fte[kept] - available_fte, 0.0) * horizon if not plan else np.zeros(n)
    )
    for k, phase in enumerate(plan):
        prefix |= mask_of(phase)
        begin = np.minimum(starts[k], horizon)
        end = np.minimum(starts[k + 1], horizon) if k + 1 < len(plan) else np.full(n, horizon)
        first_year += table.monthly[prefix] * (end - begin) / WEEKS_PER_MONTH
        shortfall_weeks += np.maximum(table.required_fte[prefix | kept] - available_fte, 0.0) * (end - begin)
    full = mask_of(tuple(m for phase in plan for m in phase))
    required = table.required_fte[full | kept]
    shortfall = np.maximum(required - available_fte, 0.0)
    n_deferred = deferred_too_early(plan, valuation.defer)
    score = (
        objective.w_value * value
        - objective.w_cost * first_year / objective.cost_scale
        - objective.w_budget * np.maximum(first_year - objective.annual_budget, 0.0) / objective.cost_scale
        - objective.w_staff * shortfall_weeks / horizon / available_fte
        - objective.w_defer * n_deferred
    )
    return PlanSim(
        plan=plan,
        score=score,
        setup=table.setup[full],
        monthly=table.monthly[full],
        first_year=first_year,
        operational=operational,
        steady_state=steady,
        phase_starts=tuple(starts),
        module_operational=module_op,
        module_steady=module_steady,
        fit=float(np.mean([fit[m] for phase in plan for m in phase])) if plan else 0.0,
        required_fte=required,
        shortfall_fte=shortfall,
        break_even_gmv=table.break_even_gmv[full],
        mask=full,
    )


def score_plans(
    plans: list[Plan],
    sims: dict[Module, ModuleSim],
    table: SetTable,
    valuation: Valuation,
    objective: Objective,
    available_fte: float,
) -> np.ndarray:
    """The objective for every plan on every draw, shape (plans, draws).

    The same arithmetic as :func:`evaluate_plan`, lean for the hot path: stretched ramps and phase
    lengths are computed once per (modules, modules started by then) and shared between plans.
    """
    n = table.required_fte[0].shape[0]
    horizon = objective.horizon_weeks
    kept = table.kept
    op_cache: dict[tuple[Module, int], np.ndarray] = {}
    len_cache: dict[tuple[int, int], np.ndarray] = {}
    rate = [m / WEEKS_PER_MONTH for m in table.monthly]
    short = [np.maximum(table.required_fte[mask | kept] - available_fte, 0.0) for mask in range(16)]
    out = np.empty((len(plans), n))
    for i, plan in enumerate(plans):
        if not plan:
            out[i] = -objective.w_staff * short[0] / available_fte
            continue
        fit = valuation.fit_for(plan, kept)
        start: np.ndarray | float = 0.0
        prefix = 0
        value = np.zeros(n)
        first_year = np.zeros(n)
        shortfall_weeks = np.zeros(n)
        last = len(plan) - 1
        for k, phase in enumerate(plan):
            pm = mask_of(phase)
            prefix |= pm
            lengths = []
            for m in phase:
                key = (m, prefix)
                op = op_cache.get(key)
                if op is None:
                    op = op_cache[key] = sims[m].operational_weeks * table.stretch[prefix | kept]
                value += fit[m] * np.clip(1.0 - (start + op) / horizon, 0.0, 1.0)
                lengths.append(op)
            phase_len = len_cache.get((pm, prefix))
            if phase_len is None:
                phase_len = len_cache[(pm, prefix)] = (
                    np.max(lengths, axis=0) if len(lengths) > 1 else lengths[0]
                )
            if k == 0:
                first_year += table.setup[pm]
            else:
                first_year += np.where(start < horizon, table.setup[pm], 0.0)
            end = start + phase_len
            span = (
                (horizon - np.minimum(start, horizon))
                if k == last
                else np.minimum(end, horizon) - np.minimum(start, horizon)
            )
            first_year += rate[prefix] * span
            shortfall_weeks += short[prefix] * span
            start = end
        n_deferred = deferred_too_early(plan, valuation.defer)
        out[i] = (
            objective.w_value * value
            - objective.w_cost * first_year / objective.cost_scale
            - objective.w_budget
            * np.maximum(first_year - objective.annual_budget, 0.0)
            / objective.cost_scale
            - objective.w_staff * shortfall_weeks / horizon / available_fte
            - objective.w_defer * n_deferred
        )
    return out
