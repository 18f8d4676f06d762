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
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

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


class Derived:
    """Figures computed from a set of draws alone (no profile), built on first use and kept: cohorts scored on
    the same draws share them."""

    def derived(self, key: object, build: Callable[[], object]) -> object:
        cache = self.__dict__.setdefault("_derived", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]


class Draws(Derived):
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


@dataclass(frozen=True)
class Cohort:
    """What the model reads from each of ``size`` profiles, as columns of shape (size,).

    The model works on a cohort so that many profiles are scored in one vectorised pass on the same draws;
    a single profile is a cohort of one.
    """

    business_type: np.ndarray
    city_tier: np.ndarray
    douyin_presence: np.ndarray
    private_domain: np.ndarray
    has_shelf: np.ndarray  # bool: sells on another shelf platform today
    kept: np.ndarray  # int: bit mask of the modules running today
    staff: np.ndarray  # effective staff (see effective_staff)
    margin: np.ndarray
    gmv: np.ndarray  # expected monthly GMV, NaN when not given

    @classmethod
    def of(cls, profiles: list[MerchantProfile] | tuple[MerchantProfile, ...]) -> Cohort:
        def col(values: list, dtype: object = None) -> np.ndarray:
            return np.array(values, dtype=dtype)

        return cls(
            business_type=col([p.business_type for p in profiles]),
            city_tier=col([p.city_tier for p in profiles]),
            douyin_presence=col([p.douyin_presence for p in profiles]),
            private_domain=col([p.private_domain for p in profiles]),
            has_shelf=col([bool(p.shelf_platforms) for p in profiles], bool),
            kept=col([mask_of(p.existing_modules) for p in profiles], np.int64),
            staff=col([effective_staff(p) for p in profiles], float),
            margin=col([p.gross_margin for p in profiles], float),
            gmv=col([np.nan if p.monthly_gmv_cny is None else p.monthly_gmv_cny for p in profiles], float),
        )

    @property
    def size(self) -> int:
        return len(self.kept)


def pick(draws: Draws, prefix: str, keys: np.ndarray) -> np.ndarray:
    """Draws of ``{prefix}.{key}`` for each profile's key: shape (size, n), or (1, n) when all keys agree."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    rows = np.stack([draws[f"{prefix}.{key}"] for key in uniq.tolist()])
    return rows if len(uniq) == 1 else rows[inverse.reshape(-1)]


def _row(value: object, i: int) -> object:
    """Profile ``i``'s slice of a cohort array (arrays shared by every profile have a first axis of 1)."""
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return value[min(i, value.shape[0] - 1)]
    return value


def salaries(profile: MerchantProfile, draws: Draws) -> dict[Role, np.ndarray]:
    """Fully loaded monthly cost of one FTE per role in the merchant's city tier."""
    tier = draws[f"salaries.tier_multiplier.{profile.city_tier}"] * draws["salaries.employer_on_cost"]
    return {role: draws[f"salaries.tier1_monthly.{role}"] * tier for role in ROLES}


def ramp_multiplier(module: Module, cohort: Cohort, draws: Draws) -> np.ndarray:
    """How each profile speeds up or slows down a module's ramp (before any staff shortfall)."""
    if module == "channels":
        return pick(draws, "adjustments.channels_ramp_by_douyin", cohort.douyin_presence)
    if module in ("wecom", "miniprogram"):
        return pick(draws, "adjustments.private_ramp_by_private_domain", cohort.private_domain)
    shelf = draws["adjustments.shop_ramp_with_shelf_experience"]
    return np.where(cohort.has_shelf[:, None], shelf[None, :], 1.0)


def _spend(param: Param, spend: np.ndarray) -> np.ndarray | float:
    """Discretionary spend (equipment, promotion, builds) scales with the business; fixed fees do not."""
    return 1.0 if param.distribution == "fixed" else spend


def cohort_sims(assumptions: AssumptionSet, cohort: Cohort, draws: Draws) -> dict[Module, ModuleSim]:
    """What each module costs, needs and takes for every profile of the cohort: arrays of shape (size, n),
    or (1, n) for figures every profile shares."""
    scale = pick(draws, "adjustments.staffing_scale_by_business_type", cohort.business_type)
    spend = pick(draws, "adjustments.spend_scale_by_business_type", cohort.business_type)
    sims: dict[Module, ModuleSim] = {}
    for module in MODULES:
        a = assumptions.modules[module]
        p = f"modules.{module}"
        fte_by_role = {role: draws[f"{p}.staffing.{role}"] * scale for role in a.staffing}
        fte = sum(fte_by_role.values(), np.zeros((1, draws.n)))
        mult = ramp_multiplier(module, cohort, draws)
        op = draws[f"{p}.ramp.operational_weeks"] * mult
        sims[module] = ModuleSim(
            setup_items={k: draws[f"{p}.setup.{k}"] * _spend(a.setup[k], spend) for k in a.setup},
            monthly_items={k: draws[f"{p}.monthly.{k}"] * _spend(a.monthly[k], spend) for k in a.monthly},
            seat_items={k: draws[f"{p}.per_seat.{k}"] * np.maximum(fte, 1.0) for k in a.per_seat},
            gmv_share=sum((draws[f"{p}.gmv_share.{k}"] for k in a.gmv_share), np.zeros((1, draws.n))),
            fte_by_role=fte_by_role,
            operational_weeks=op,
            steady_state_weeks=op + draws[f"{p}.ramp.steady_state_extra_weeks"] * mult,
        )
    return sims


def _sim_row(sim: ModuleSim, i: int) -> ModuleSim:
    return ModuleSim(
        **{
            name: {k: _row(v, i) for k, v in value.items()} if isinstance(value, dict) else _row(value, i)
            for name, value in vars(sim).items()
        }
    )


def module_sims(
    assumptions: AssumptionSet, profile: MerchantProfile, draws: Draws
) -> dict[Module, ModuleSim]:
    """:func:`cohort_sims` for one profile: arrays of shape (n,)."""
    sims = cohort_sims(assumptions, Cohort.of([profile]), draws)
    return {m: _sim_row(sim, 0) for m, sim in sims.items()}


@dataclass(frozen=True)
class SetTable:
    """Staffing, monthly cost and break-even for each of the 16 sets of new modules, as arrays whose first
    axis is the set's bit mask (see :func:`mask_of`) and, for a cohort, whose second axis is the profile.

    The modules running today (``kept``) are folded in: they count towards staffing in every set but add
    no cost, as costs are incremental over what runs today.
    """

    kept: int
    base_roles: np.ndarray  # (16, roles, n): combined FTE per role of each set (kept excluded), unscaled
    role_scale: np.ndarray  # ([size|1,] n): the business type's staffing scale
    required_fte: np.ndarray  # (16, [size,] n): kept modules included
    staff_cost: np.ndarray  # (16, [size,] n): incremental over kept
    monthly_excl_fees: np.ndarray
    fee_rate: np.ndarray
    monthly: np.ndarray
    break_even_gmv: np.ndarray
    setup: np.ndarray
    stretch: np.ndarray  # ramp multiplier from staff shortfall when these modules (plus kept) run

    @cached_property
    def role_fte(self) -> np.ndarray:
        """(16, roles, n): combined FTE per role of each set, kept modules included (one profile's table)."""
        return self.base_roles[MASKS | self.kept] * self.role_scale

    def roles(self, mask: int) -> dict[Role, np.ndarray]:
        """Combined FTE per role for a set (kept modules included), roles with any need only."""
        fte = self.role_fte[mask]
        return {role: fte[i] for i, role in enumerate(ROLES) if np.any(fte[i] > 0)}

    def row(self, i: int) -> SetTable:
        """Profile ``i``'s table, arrays of shape (16, n)."""
        return SetTable(
            self.kept,
            self.base_roles,
            _row(self.role_scale, i),  # type: ignore[arg-type]
            *(getattr(self, f)[:, i] for f in _TABLE_ARRAYS),
        )


_TABLE_ARRAYS = (
    "required_fte",
    "staff_cost",
    "monthly_excl_fees",
    "fee_rate",
    "monthly",
    "break_even_gmv",
    "setup",
    "stretch",
)
MASKS = np.arange(16)
MEMBERS = ((MASKS[:, None] >> np.arange(len(MODULES))[None, :]) & 1).astype(float)  # (16, 4)


def cohort_table(
    sims: dict[Module, ModuleSim], cohort: Cohort, draws: Draws, masks: list[int] | None = None
) -> SetTable:
    """The 16-set table of every profile in a cohort whose profiles run the same modules today; arrays of
    shape (16, size, n).

    Only the rows of ``masks`` (default: every set of modules not running today) are computed; the other
    rows are left unset and must not be read.
    """
    n, size = draws.n, cohort.size
    kept = int(cohort.kept[0])
    if np.any(cohort.kept != kept):
        raise ValueError("a cohort's profiles must run the same modules today")
    if masks is None:
        masks = [mask for mask in range(16) if not mask & kept]
    elasticity = draws["adjustments.shortfall_ramp_elasticity"]
    # Staffing scales every role of every module alike by business type, and salaries every role alike by
    # city tier, so the combined needs and their pay are built once on the unscaled draws.
    scale = pick(draws, "adjustments.staffing_scale_by_business_type", cohort.business_type)
    tier = pick(draws, "salaries.tier_multiplier", cohort.city_tier) * draws["salaries.employer_on_cost"]
    staffed = tuple(tuple(role in sims[m].fte_by_role for role in ROLES) for m in MODULES)
    base_roles, base_pay, base_required = draws.derived(  # type: ignore[misc]
        ("set staffing", staffed), lambda: _set_staffing(draws, staffed)
    )
    available = cohort.staff[:, None]
    margin = cohort.margin[:, None]
    given = cohort.gmv[:, None]
    no_gmv = np.isnan(given)
    scale_pay = scale * tier

    def staffing(absolute: int) -> tuple[np.ndarray, np.ndarray]:
        """Required FTE and the pay of the hires it takes, for a set that includes the kept modules."""
        required = base_required[absolute] * scale
        # The people the merchant already has are not costed again; only the FTE beyond them are hires,
        # paid at the need-weighted salary of the roles in the set.
        with np.errstate(divide="ignore"):
            hired_share = np.maximum(1.0 - available / required, 0.0)
        return np.broadcast_to(required, (size, n)), base_pay[absolute] * scale_pay * hired_share

    shape = (16, size, n)
    required_fte, staff_cost, fixed_t, fee_t, monthly, break_even, setup_t, stretch = (
        np.empty(shape) for _ in range(8)
    )
    _, gross_kept = staffing(kept)
    shelf_share = {m: sims[m].gmv_share for m in SHELVES}
    module_fixed = {m: sims[m].monthly_fixed for m in MODULES}
    module_setup = {m: sims[m].setup for m in MODULES}
    for mask in masks:
        members = [m for m in MODULES if mask & bit(m)]
        required, gross = staffing(mask | kept)
        required_fte[mask] = required
        staff = gross - gross_kept if members else np.zeros((size, n))
        staff_cost[mask] = staff
        fixed = staff + sum(module_fixed[m] for m in members)
        fixed_t[mask] = fixed
        setup_t[mask] = sum(module_setup[m] for m in members) if members else 0.0
        ratio = required / available
        out = stretch[mask]
        out.fill(1.0)
        np.power(ratio, elasticity, out=out, where=ratio > 1.0)
        if not members:
            fee_t[mask] = 0.0
            monthly[mask] = fixed
            break_even[mask] = 0.0
            continue
        # Platform fees fall on GMV through a shelf the set adds (at the mean rate of the shelves then
        # running); a set that adds no shelf sells through shelves whose fees are already paid today.
        if not any(m in SHELVES for m in members):
            fee_t[mask] = 0.0
            monthly[mask] = fixed
            break_even[mask] = np.maximum(fixed, 0.0) / margin
            continue
        running = [m for m in SHELVES if (mask | kept) & bit(m)]
        fee = sum(shelf_share[m] for m in running) / len(running)
        fee_t[mask] = fee
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            be = np.where(fixed <= 0, 0.0, np.where(margin > fee, fixed / (margin - fee), np.inf))
        break_even[mask] = be
        # Fees on the expected GMV when given, else at break-even (none when break-even is unreachable).
        gmv = given if not no_gmv.any() else be if no_gmv.all() else np.where(no_gmv, be, given)
        monthly[mask] = fixed + fee * np.where(np.isfinite(gmv), gmv, 0.0)
    return SetTable(
        kept,
        base_roles,
        scale,
        required_fte,
        staff_cost,
        fixed_t,
        fee_t,
        monthly,
        break_even,
        setup_t,
        stretch,
    )


def _set_staffing(draws: Draws, staffed: tuple[tuple[bool, ...], ...]) -> tuple[np.ndarray, ...]:
    """Per set of modules: combined FTE per role, its pay and the total FTE, before the business-type scale
    and the city tier (``staffed[module][role]``: whether the module needs the role at all)."""
    n = draws.n
    overlap = draws["adjustments.role_overlap"]
    zero = np.zeros(n)
    fte = np.stack(
        [
            np.stack(
                [
                    draws[f"modules.{m}.staffing.{role}"] if staffed[i][r] else zero
                    for i, m in enumerate(MODULES)
                ]
            )
            for r, role in enumerate(ROLES)
        ]
    )  # (R, 4, n)
    # Per role, the largest single-module need and the total need of each set, built up one module at a time.
    top = np.zeros((16, len(ROLES), n))
    total = np.zeros((16, len(ROLES), n))
    for mask in range(1, 16):
        low = (mask & -mask).bit_length() - 1
        rest = mask & (mask - 1)
        top[mask] = np.maximum(top[rest], fte[:, low])
        total[mask] = total[rest] + fte[:, low]
    base_roles = top + (1.0 - overlap) * (total - top)  # (16, R, n), before the business-type scale
    pay = np.stack([draws[f"salaries.tier1_monthly.{role}"] for role in ROLES])  # (R, n), before the tier
    base_pay = (base_roles * pay[None]).sum(axis=1)  # (16, n)
    base_required = base_roles.sum(axis=1)  # (16, n)
    for shared in (base_roles, base_pay, base_required):
        shared.setflags(write=False)
    return base_roles, base_pay, base_required


def set_table(sims: dict[Module, ModuleSim], profile: MerchantProfile, draws: Draws, as_of: date) -> SetTable:
    """:func:`cohort_table` for one profile: arrays of shape (16, n)."""
    return cohort_table(sims, Cohort.of([profile]), draws).row(0)


@dataclass(frozen=True)
class Objective:
    """The objective's weights and scales for one profile (see ``assumptions/objective.yaml``)."""

    horizon_weeks: float
    w_value: float
    w_cost: float
    w_budget: float
    w_staff: float
    w_defer: float
    cost_scale: float | np.ndarray
    annual_budget: float | np.ndarray

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

    @classmethod
    def for_cohort(
        cls, assumptions: AssumptionSet, profiles: list[MerchantProfile], as_of: date
    ) -> Objective:
        """The objective of every profile: budgets and cost scales as columns of shape (size, 1)."""
        one = cls.build(assumptions, profiles[0], as_of)
        annual = np.array([p.budget_setup_cny + 12 * p.budget_monthly_cny for p in profiles])[:, None]
        floor = assumptions.objective.cost_scale_floor.mode_at(as_of)
        return replace(one, cost_scale=np.maximum(annual, floor), annual_budget=annual)


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

    def deferred(self, plan: Plan) -> int:
        return deferred_too_early(plan, self.defer)


@dataclass(frozen=True)
class CohortValuation:
    """:class:`Valuation` for every profile of a cohort: arrays of shape (size, modules)."""

    fit: np.ndarray
    defer: np.ndarray  # bool
    needs_traffic: np.ndarray  # bool
    value_without_acquisition: float

    @classmethod
    def of(cls, valuations: list[Valuation]) -> CohortValuation:
        def table(get) -> np.ndarray:
            return np.array([[get(v, m) for m in MODULES] for v in valuations])

        return cls(
            table(lambda v, m: v.fit[m]),
            table(lambda v, m: m in v.defer),
            table(lambda v, m: m in v.needs_traffic),
            valuations[0].value_without_acquisition,
        )

    def fit_for(self, plan: Plan, kept: int) -> dict[Module, np.ndarray]:
        """Each module's fit as it counts in ``plan``, per profile (columns of shape (size, 1))."""
        fit = self.fit
        if not kept & bit("channels") and not any("channels" in p for p in plan) and self.needs_traffic.any():
            fit = np.where(self.needs_traffic, fit * self.value_without_acquisition, fit)
        return {m: fit[:, i, None] for i, m in enumerate(MODULES)}

    @cached_property
    def _defer_sets(self) -> tuple[list[frozenset[Module]], np.ndarray]:
        """The distinct sets of deferred modules, and which one each profile has."""
        sets, inverse = np.unique(self.defer, axis=0, return_inverse=True)
        named = [frozenset(m for m, d in zip(MODULES, row, strict=True) if d) for row in sets]
        return named, inverse.reshape(-1)

    def deferred(self, plan: Plan) -> np.ndarray:
        """:func:`deferred_too_early` per profile, shape (size, 1): worked out once per distinct deferred set."""
        sets, inverse = self._defer_sets
        return np.array([deferred_too_early(plan, d) for d in sets])[inverse][:, None]


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


@dataclass(frozen=True)
class Timeline:
    """When a plan's phases start, when its modules become operational and steady, and its first-year cost."""

    phase_starts: tuple[np.ndarray, ...]
    spans: tuple[np.ndarray, ...]  # weeks of the horizon each phase runs before the next starts
    module_operational: dict[Module, np.ndarray]
    module_steady: dict[Module, np.ndarray]
    operational: np.ndarray
    steady_state: np.ndarray
    first_year: np.ndarray


def timeline(
    plan: Plan, sims: dict[Module, ModuleSim], table: SetTable, horizon: float, rows: np.ndarray | None = None
) -> Timeline:
    """The plan's :class:`Timeline`; for a cohort, ``rows`` (a boolean mask) picks the profiles to follow."""

    def sel(values: np.ndarray) -> np.ndarray:
        return values[rows] if rows is not None and values.ndim == 2 and values.shape[0] > 1 else values

    n = sel(table.required_fte[0]).shape
    start = np.zeros(n)
    prefix = 0
    first_year = np.zeros(n)
    operational = np.zeros(n)
    steady = np.zeros(n)
    starts: list[np.ndarray] = []
    module_op: dict[Module, np.ndarray] = {}
    module_steady: dict[Module, np.ndarray] = {}
    for phase in plan:
        prefix |= mask_of(phase)
        stretch = sel(table.stretch[prefix])
        starts.append(start)
        phase_len = np.zeros(n)
        for m in phase:
            op = sel(sims[m].operational_weeks) * stretch
            end = start + op
            module_op[m] = end
            operational = np.maximum(operational, end)
            module_steady[m] = start + sel(sims[m].steady_state_weeks) * stretch
            steady = np.maximum(steady, module_steady[m])
            phase_len = np.maximum(phase_len, op)
        first_year += np.where(start < horizon, sel(table.setup[mask_of(phase)]), 0.0)
        start = start + phase_len
    # Monthly costs run from each phase's start, for the modules started by then.
    prefix = 0
    spans = []
    for k, phase in enumerate(plan):
        prefix |= mask_of(phase)
        begin = np.minimum(starts[k], horizon)
        end = np.minimum(starts[k + 1], horizon) if k + 1 < len(plan) else np.full(n, horizon)
        spans.append(end - begin)
        first_year += sel(table.monthly[prefix]) * spans[-1] / WEEKS_PER_MONTH
    return Timeline(tuple(starts), tuple(spans), module_op, module_steady, operational, steady, first_year)


def evaluate_plan(
    plan: Plan,
    sims: dict[Module, ModuleSim],
    table: SetTable,
    valuation: Valuation,
    objective: Objective,
    available_fte: float,
) -> PlanSim:
    """Per-draw figures and score of one phased plan (kept modules run throughout and are not listed).

    Arrays have the table's shape per set: (n,) for one profile, (size, n) for a cohort."""
    n = table.required_fte[0].shape
    horizon = objective.horizon_weeks
    fit = valuation.fit_for(plan, table.kept)  # type: ignore[arg-type]
    tl = timeline(plan, sims, table, horizon)
    value = np.zeros(n)
    for phase in plan:
        for m in phase:
            value += fit[m] * np.clip((horizon - tl.module_operational[m]) / horizon, 0.0, 1.0)
    # Staff shortfall runs from each phase's start, for the modules started by then.
    prefix = 0
    shortfall_weeks = (
        np.maximum(table.required_fte[0] - available_fte, 0.0) * horizon if not plan else np.zeros(n)
    )
    for phase, span in zip(plan, tl.spans, strict=True):
        prefix |= mask_of(phase)
        shortfall_weeks += np.maximum(table.required_fte[prefix] - available_fte, 0.0) * span
    full = mask_of(tuple(m for phase in plan for m in phase))
    required = table.required_fte[full]
    shortfall = np.maximum(required - available_fte, 0.0)
    n_deferred = valuation.deferred(plan)
    first_year = tl.first_year
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
        operational=tl.operational,
        steady_state=tl.steady_state,
        phase_starts=tl.phase_starts,
        module_operational=tl.module_operational,
        module_steady=tl.module_steady,
        fit=_mean_fit([fit[m] for phase in plan for m in phase]),
        required_fte=required,
        shortfall_fte=shortfall,
        break_even_gmv=table.break_even_gmv[full],
        mask=full,
    )


def _mean_fit(values: list) -> float | np.ndarray:
    if not values:
        return 0.0
    if isinstance(values[0], np.ndarray):
        return np.mean(values, axis=0)
    return float(np.mean(values))


KERNEL_MIN_ELEMENTS = 1 << 14  # profiles × draws from which the compiled kernel pays for its start-up


def score_plans(
    plans: list[Plan],
    sims: dict[Module, ModuleSim],
    table: SetTable,
    valuation: Valuation | CohortValuation,
    objective: Objective,
    available_fte: float | np.ndarray,
) -> np.ndarray:
    """The objective for every plan on every draw, shape (plans, n) for one profile or (plans, size, n)
    for a cohort (``available_fte`` then a column of shape (size, 1)).

    Two implementations give the same figures to the last bit (``tests/test_kernel.py``):
    :func:`score_plans_arrays`, numpy, which states the arithmetic, and :func:`score_plans_compiled`, which runs
    it as one compiled pass. Small problems (one profile) take the first, which needs no compiler; cohorts
    of at least ``KERNEL_MIN_ELEMENTS`` profile-draws take the second, about three times faster."""
    if table.required_fte[0].size >= KERNEL_MIN_ELEMENTS:
        return score_plans_compiled(plans, sims, table, valuation, objective, available_fte)
    return score_plans_arrays(plans, sims, table, valuation, objective, available_fte)


def score_plans_arrays(
    plans: list[Plan],
    sims: dict[Module, ModuleSim],
    table: SetTable,
    valuation: Valuation | CohortValuation,
    objective: Objective,
    available_fte: float | np.ndarray,
) -> np.ndarray:
    """:func:`score_plans` in numpy: the same figures as :func:`evaluate_plan`'s score, lean for the hot path: plans that start with the
    same phases share the state reached after them, stretched ramps and phase lengths are computed once
    per (modules, modules started by then), and the objective's weights are folded into per-week rates.
    """
    n = table.required_fte[0].shape
    horizon = objective.horizon_weeks
    kept = table.kept
    # Per profile: the objective's weight on a yuan of first-year cost, on a yuan over budget, and on
    # a week of staff shortfall.
    per_cost = objective.w_cost / objective.cost_scale
    per_overrun = objective.w_budget / objective.cost_scale
    per_short_week = objective.w_staff / horizon / available_fte
    budget = objective.annual_budget
    op_cache: dict[tuple[Module, int], tuple[np.ndarray, np.ndarray]] = {}
    len_cache: dict[tuple[int, int], np.ndarray] = {}
    running_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def running(prefix: int) -> tuple[np.ndarray, np.ndarray]:
        """Cost per week, and weighted staff shortfall per week, while the modules of ``prefix`` run."""
        if prefix not in running_cache:
            running_cache[prefix] = (
                table.monthly[prefix] / WEEKS_PER_MONTH,
                np.maximum(table.required_fte[prefix] - available_fte, 0.0) * per_short_week,
            )
        return running_cache[prefix]

    def ramp(m: Module, prefix: int) -> tuple[np.ndarray, np.ndarray]:
        """A module's stretched weeks to operational, and its share of the horizon left if started at 0."""
        key = (m, prefix)
        if key not in op_cache:
            op = sims[m].operational_weeks * table.stretch[prefix]
            op_cache[key] = (op, np.clip(1.0 - op / horizon, 0.0, 1.0))
        return op_cache[key]

    # A state is what the phases so far leave for the next: (start week, modules started, value, first-year
    # cost, weighted shortfall, whether the start is within the horizon, weeks from the start to the horizon).
    closed: dict[tuple[Plan, bool], tuple] = {}
    initial = (0.0, 0, 0.0, 0.0, 0.0, True, horizon)

    def open_phase(state: tuple, phase: tuple[Module, ...], fit: dict) -> tuple:
        """Start ``phase`` from ``state``: its modules' value and set-up cost, and the phase's length."""
        start, prefix, value, first_year, shortfall, within, _ = state
        pm = mask_of(phase)
        prefix |= pm
        lengths = []
        for m in phase:
            op, left = ramp(m, prefix)
            if state is initial:
                value = value + fit[m] * left
            else:
                value = value + fit[m] * np.clip(1.0 - (start + op) / horizon, 0.0, 1.0)
            lengths.append(op)
        phase_len = len_cache.get((pm, prefix))
        if phase_len is None:
            phase_len = len_cache[(pm, prefix)] = np.max(lengths, axis=0) if len(lengths) > 1 else lengths[0]
        first_year = first_year + (
            table.setup[pm] if within is True else np.where(within, table.setup[pm], 0.0)
        )
        return prefix, value, first_year, shortfall, phase_len

    def after(phases: Plan, with_channels: bool, fit: dict) -> tuple:
        """The state once ``phases`` have run their course and the next phase starts."""
        state = initial
        for k in range(1, len(phases) + 1):
            key = (phases[:k], with_channels)
            reached = closed.get(key)
            if reached is None:
                prefix, value, first_year, shortfall, phase_len = open_phase(state, phases[k - 1], fit)
                end = state[0] + phase_len
                to_end = horizon - np.minimum(end, horizon)
                span = state[6] - to_end
                cost, short = running(prefix)
                reached = closed[key] = (
                    end,
                    prefix,
                    value,
                    first_year + cost * span,
                    shortfall + short * span,
                    end < horizon,
                    to_end,
                )
            state = reached
        return state

    out = np.empty((len(plans), *n))
    for i, plan in enumerate(plans):
        if not plan:
            out[i] = -running(0)[1] * horizon
            continue
        fit = {m: objective.w_value * f for m, f in valuation.fit_for(plan, kept).items()}  # type: ignore[arg-type]
        state = after(plan[:-1], any("channels" in phase for phase in plan), fit)
        prefix, value, first_year, shortfall, _ = open_phase(state, plan[-1], fit)
        span = state[6]
        cost, short = running(prefix)
        first_year = first_year + cost * span
        score = value - per_cost * first_year
        score -= per_overrun * np.maximum(first_year - budget, 0.0)
        score -= shortfall + short * span
        n_deferred = valuation.deferred(plan)
        if np.any(n_deferred):
            score -= objective.w_defer * n_deferred
        out[i] = score
    return out


def score_plans_compiled(
    plans: list[Plan],
    sims: dict[Module, ModuleSim],
    table: SetTable,
    valuation: Valuation | CohortValuation,
    objective: Objective,
    available_fte: float | np.ndarray,
) -> np.ndarray:
    """:func:`score_plans`, run by the compiled kernel (``engine/kernel.py``): the same figures, bit for bit."""
    from engine import kernel

    single = table.required_fte.ndim == 2
    n = table.required_fte.shape[-1]
    size = 1 if single else table.required_fte.shape[1]

    def cube(values: np.ndarray) -> np.ndarray:  # (16, size, n)
        return values[:, None, :] if single else values

    def column(value: float | np.ndarray) -> np.ndarray:  # (size,)
        return np.array(np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (size,)))  # writable

    horizon = objective.horizon_weeks
    operational = np.empty((len(MODULES), size, n))
    for i, m in enumerate(MODULES):
        operational[i] = sims[m].operational_weeks
    fit = np.empty((2, size, len(MODULES)))
    for v, plan in enumerate(((("channels",),), ())):
        for i, f in enumerate(valuation.fit_for(plan, table.kept).values()):  # type: ignore[arg-type]
            fit[v, :, i] = column(objective.w_value * f)
    deferred = np.zeros((len(plans), size))
    for i, plan in enumerate(plans):
        if plan:
            deferred[i] = column(valuation.deferred(plan))
    program = kernel.compile_plans(tuple(plans))
    out = np.empty((len(plans), size, n))
    kernel.run(
        *program.args(),
        operational,
        cube(table.stretch),
        cube(table.setup),
        cube(table.monthly),
        cube(table.required_fte),
        column(available_fte),
        column(objective.w_staff / horizon / np.asarray(available_fte)),
        column(objective.w_cost / objective.cost_scale),
        column(objective.w_budget / objective.cost_scale),
        column(objective.annual_budget),
        fit,
        deferred,
        float(objective.w_defer),
        float(horizon),
        WEEKS_PER_MONTH,
        out,
    )
    return out[:, 0] if single else out
