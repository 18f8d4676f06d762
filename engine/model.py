"""The Monte Carlo model of what a plan costs, needs, takes and earns (vectorised numpy, randomness passed in).

Three layers, each a pure function of the one before:

1. :func:`draw` - one array of ``n`` draws per assumption parameter, independent of the profile.
   The same draws serve every plan and every counterfactual (common random numbers), so
   comparisons are not blurred by sampling noise.
2. :func:`cohort_sims` and :func:`cohort_table` - what each module costs, needs and takes for each profile at
   the operating level that earns most for it, and for every set of modules (16 sets): the staffing with the
   hires the budget pays for, the monthly cost, and the gross profit each module earns at steady state given
   the other modules of the set (a shelf sells only what reaches it; two shelves overlap; Channels feeds the
   private domain).
3. :func:`evaluate_plan` - one phased plan: when each module starts, becomes operational and reaches steady
   state, what is spent and earned over the horizon, and the objective's score, per draw.

Every array is shaped (profiles, draws): a single profile is a cohort of one.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

import numpy as np

from engine import catalog
from engine.assumptions import LEVELS, AssumptionSet, Level, Param, Role, Traits
from engine.events import DAIHUOREN, LINK_REORG
from engine.profile import MODULES, MerchantProfile, Module

ROLES: tuple[Role, ...] = Role.__args__
WEEKS_PER_MONTH = 52 / 12
MIN_STAFF_FTE = 0.05
MIN_ORDER_VALUE_CNY = 1.0  # order counts are GMV / order value: below a yuan an order is, in effect, a yuan

Plan = tuple[tuple[Module, ...], ...]  # phases, each a tuple of new modules


def bit(module: Module) -> int:
    return 1 << MODULES.index(module)


def mask_of(modules: tuple[Module, ...] | list[Module] | set[Module] | frozenset[Module]) -> int:
    out = 0
    for m in modules:
        out |= bit(m)
    return out


def modules_of(mask: int) -> tuple[Module, ...]:
    return tuple(m for m in MODULES if mask & bit(m))


def plan_mask(plan: Plan) -> int:
    return mask_of([m for phase in plan for m in phase])


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


def effective_staff(profile: MerchantProfile) -> float:
    """Staff used in ratios: below a twentieth of a person the merchant has, in effect, nobody, and the
    ratio is capped there so that a tiny positive value cannot overflow the ramp arithmetic."""
    return max(profile.staff_fte, MIN_STAFF_FTE)


# --- the merchant's scale ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """The merchant's scale as the model uses it: given in the profile, or inferred (and then shown)."""

    current_monthly_gmv_cny: float
    reachable_customers: float
    gmv_inferred: bool
    reach_inferred: bool


def merchant_scale(profile: MerchantProfile, assumptions: AssumptionSet, as_of: date) -> Scale:
    """Current monthly GMV and reachable customers: the profile's, or the defaults of ``assumptions/scale.yaml``."""
    s = assumptions.scale
    gmv = profile.current_monthly_gmv_cny
    if gmv is None:
        gmv = profile.budget_monthly_cny * s.current_gmv_per_budget_yuan[profile.business_type].mode_at(as_of)
    reach = profile.reachable_customers
    if reach is None:
        reach = round(
            s.reachable_customers_by_private_domain[profile.private_domain].mode_at(as_of)
            * s.reachable_customers_by_business_type[profile.business_type].mode_at(as_of)
        )
    return Scale(
        float(gmv),
        float(reach),
        profile.current_monthly_gmv_cny is None,
        profile.reachable_customers is None,
    )


# --- the cohort: what the model reads of each profile --------------------------------------------------

LevelChoice = dict[Module, Level]


@dataclass(frozen=True)
class Cohort:
    """What the model reads from each of ``size`` profiles, as columns of shape (size,).

    The model works on a cohort so that many profiles are scored in one vectorised pass on the same draws;
    a single profile is a cohort of one. ``levels`` holds a forced operating level per module (index into
    ``LEVELS``) or -1 where the model picks the level that earns most.
    """

    business_type: np.ndarray
    city_tier: np.ndarray
    douyin_presence: np.ndarray
    private_domain: np.ndarray
    has_shelf: np.ndarray  # bool: sells on another shelf platform today
    kept: np.ndarray  # int: bit mask of the modules running today
    staff: np.ndarray  # effective staff (see effective_staff)
    margin: np.ndarray
    aov: np.ndarray
    gmv: np.ndarray  # current monthly GMV, all channels (given or inferred)
    reach: np.ndarray  # reachable customers in WeChat (given or inferred)
    agents: np.ndarray
    budget_monthly: np.ndarray
    budget_setup: np.ndarray
    levels: np.ndarray  # (size, modules) int

    @classmethod
    def of(
        cls,
        profiles: list[MerchantProfile] | tuple[MerchantProfile, ...],
        assumptions: AssumptionSet,
        as_of: date,
        levels: list[LevelChoice | None] | None = None,
    ) -> Cohort:
        def col(values: list, dtype: object = None) -> np.ndarray:
            return np.array(values, dtype=dtype)

        scales = [merchant_scale(p, assumptions, as_of) for p in profiles]
        forced = levels or [None] * len(profiles)
        return cls(
            business_type=col([p.business_type for p in profiles]),
            city_tier=col([p.city_tier for p in profiles]),
            douyin_presence=col([p.douyin_presence for p in profiles]),
            private_domain=col([p.private_domain for p in profiles]),
            has_shelf=col([bool(p.shelf_platforms) for p in profiles], bool),
            kept=col([mask_of(p.existing_modules) for p in profiles], np.int64),
            staff=col([effective_staff(p) for p in profiles], float),
            margin=col([p.gross_margin for p in profiles], float),
            aov=col([max(p.avg_order_value_cny, MIN_ORDER_VALUE_CNY) for p in profiles], float),
            gmv=col([s.current_monthly_gmv_cny for s in scales], float),
            reach=col([s.reachable_customers for s in scales], float),
            agents=col([float(p.distributors) for p in profiles], float),
            budget_monthly=col([p.budget_monthly_cny for p in profiles], float),
            budget_setup=col([p.budget_setup_cny for p in profiles], float),
            levels=col(
                [[LEVELS.index(f[m]) if f and m in f else -1 for m in MODULES] for f in forced], np.int64
            ).reshape(len(profiles), len(MODULES)),
        )

    @property
    def size(self) -> int:
        return len(self.kept)


def pick(draws: Draws, prefix: str, keys: np.ndarray) -> np.ndarray:
    """Draws of ``{prefix}.{key}`` for each profile's key: shape (size, n), or (1, n) when all keys agree."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    rows = np.stack([draws[f"{prefix}.{key}"] for key in uniq.tolist()])
    return rows if len(uniq) == 1 else rows[inverse.reshape(-1)]


def salaries(cohort: Cohort, draws: Draws) -> dict[Role, np.ndarray]:
    """Fully loaded monthly cost of one FTE per role in each profile's city tier, (size|1, n)."""
    tier = pick(draws, "salaries.tier_multiplier", cohort.city_tier) * draws["salaries.employer_on_cost"]
    return {role: draws[f"salaries.tier1_monthly.{role}"] * tier for role in ROLES}


def ramp_multiplier(traits: Traits, cohort: Cohort, draws: Draws) -> np.ndarray:
    """How each profile speeds up or slows down a module's ramp (before any staff shortfall), by the profile
    trait the module's ramp depends on (its ``ramp_driver``)."""
    if traits.ramp_driver == "douyin_presence":
        return pick(draws, "adjustments.channels_ramp_by_douyin", cohort.douyin_presence)
    if traits.ramp_driver == "private_domain":
        return pick(draws, "adjustments.private_ramp_by_private_domain", cohort.private_domain)
    shelf = draws["adjustments.shop_ramp_with_shelf_experience"]
    return np.where(cohort.has_shelf[:, None], shelf[None, :], 1.0)


def reuse_factor(by: str, cohort: Cohort, draws: Draws) -> np.ndarray:
    """How much of a module's set-up or staffing a merchant's existing operation covers, by profile trait."""
    if by == "douyin_presence":
        return pick(draws, "adjustments.channels_reuse_by_douyin", cohort.douyin_presence)
    if by == "private_domain":
        return pick(draws, "adjustments.wecom_reuse_by_private_domain", cohort.private_domain)
    return np.where(cohort.has_shelf[:, None], draws["adjustments.shop_content_reuse_with_shelf"], 1.0)


# --- what each module costs, needs and brings, per operating level ------------------------------------


@dataclass(frozen=True)
class ModuleSim:
    """One module for every profile of a cohort, at the level chosen for it: arrays of shape (size, n)."""

    setup_items: dict[str, np.ndarray]
    monthly_items: dict[str, np.ndarray]
    seat_items: dict[str, np.ndarray]  # CNY/month for all of the module's seats
    fte_by_role: dict[Role, np.ndarray]
    operational_weeks: np.ndarray
    steady_state_weeks: np.ndarray
    reach: np.ndarray  # the level's sales-potential multiplier
    bought_gmv: np.ndarray  # GMV bought with paid boosts (Channels), CNY/month
    concurrent_weight: np.ndarray  # (n,) how much it slows modules started beside it
    level: np.ndarray  # (size,) index into LEVELS

    def take(self, rows: np.ndarray) -> ModuleSim:
        """The module for the profiles ``rows`` (an index array) only."""

        def cut(a: np.ndarray) -> np.ndarray:
            return a if a.ndim < 2 or a.shape[0] == 1 else a[rows]

        return ModuleSim(
            setup_items={k: cut(v) for k, v in self.setup_items.items()},
            monthly_items={k: cut(v) for k, v in self.monthly_items.items()},
            seat_items={k: cut(v) for k, v in self.seat_items.items()},
            fte_by_role={k: cut(v) for k, v in self.fte_by_role.items()},
            operational_weeks=cut(self.operational_weeks),
            steady_state_weeks=cut(self.steady_state_weeks),
            reach=cut(self.reach),
            bought_gmv=cut(self.bought_gmv),
            concurrent_weight=self.concurrent_weight,
            level=self.level[rows],
        )

    # Worked out once per module (the level choice and the set table read them for every set): the arrays are
    # never changed in place.
    @cached_property
    def setup(self) -> np.ndarray:
        return sum(self.setup_items.values(), np.zeros_like(self.reach))

    @cached_property
    def monthly_fixed(self) -> np.ndarray:
        zero = np.zeros_like(self.reach)
        return sum(self.monthly_items.values(), zero) + sum(self.seat_items.values(), zero)

    @cached_property
    def fte(self) -> np.ndarray:
        return sum(self.fte_by_role.values(), np.zeros_like(self.reach))


@dataclass(frozen=True)
class Demand:
    """What the merchant's business can bring each module, before levels, fit and the set: (size|1, n)."""

    public: np.ndarray  # Channels' new buyers at a standard level, CNY/month
    channel_contacts: np.ndarray  # Channels' sales to reachable customers
    agents: np.ndarray  # active agents' GMV
    shop_organic: np.ndarray
    shop_contact_orders: np.ndarray
    migration: np.ndarray  # shelf-store buyers moved into the mall
    mall_orders: np.ndarray  # per reachable customer per month
    wecom_orders: np.ndarray
    uplift: np.ndarray
    return_public: np.ndarray
    return_private: np.ndarray
    commission: np.ndarray
    capture: np.ndarray  # reachable customers added per yuan of Channels' public GMV
    overlap: np.ndarray
    daihuoren_share: np.ndarray  # share of agents' sales kept when they sell as 带货人 without Channels
    via_mall: np.ndarray  # share of Channels' sales kept when they go through a mall, not the shop
    fee: dict[Module, np.ndarray]  # platform fee on GMV through each shelf
    reach: np.ndarray  # (size, 1)
    aov: np.ndarray  # (size, 1)
    margin: np.ndarray  # (size, 1)
    daihuoren: bool
    linked: bool


def demand(assumptions: AssumptionSet, cohort: Cohort, draws: Draws) -> Demand:
    r = "returns"
    gmv, reach, aov = cohort.gmv[:, None], cohort.reach[:, None], cohort.aov[:, None]

    def fee(m: Module) -> np.ndarray:
        keys = assumptions.modules[m].gmv_share
        return sum((draws[f"modules.{m}.gmv_share.{k}"] for k in keys), np.zeros(draws.n))

    return Demand(
        public=gmv * draws[f"{r}.channels_share_of_current_gmv"] + draws[f"{r}.channels_base_gmv_cny"],
        channel_contacts=reach * draws[f"{r}.channels_contact_orders"] * aov,
        agents=cohort.agents[:, None] * draws[f"{r}.agent_monthly_gmv"] * draws[f"{r}.agent_active_share"],
        shop_organic=gmv * draws[f"{r}.shop_organic_share"],
        shop_contact_orders=reach * draws[f"{r}.shop_contact_orders"] * aov,
        migration=np.where(cohort.has_shelf[:, None], gmv * draws[f"{r}.shelf_migration_share"], 0.0),
        mall_orders=draws[f"{r}.mall_contact_orders"] * aov,
        wecom_orders=draws[f"{r}.wecom_contact_orders"] * aov,
        uplift=draws[f"{r}.private_order_value_uplift"],
        return_public=draws[f"{r}.return_rate_public"],
        return_private=draws[f"{r}.return_rate_private"],
        commission=draws[f"{r}.agent_commission"],
        capture=draws[f"{r}.capture_rate"] * draws[f"{r}.capture_months"] / aov,
        overlap=draws[f"{r}.shelf_overlap"],
        via_mall=draws[f"{r}.mall_channels_conversion"],
        daihuoren_share=draws[f"{r}.daihuoren_share_of_agent_gmv"],
        fee={m: fee(m) for m in catalog.shelves(assumptions)},
        reach=reach,
        aov=aov,
        margin=cohort.margin[:, None],
        daihuoren=draws.as_of >= DAIHUOREN,
        linked=draws.as_of >= LINK_REORG,
    )


def fit_multiplier(assumptions: AssumptionSet, fit: np.ndarray, as_of: date) -> dict[Module, np.ndarray]:
    """How the rules' fit moves each module's GMV potential: (fit / neutral fit) ^ elasticity. ``fit`` is
    (size, modules, n) - one value per draw, as the rules' effect sizes are uncertain - or (size, modules, 1)."""
    o = assumptions.objective
    neutral, power = o.neutral_fit.mode_at(as_of), o.fit_gmv_elasticity.mode_at(as_of)
    return {m: (fit[:, i] / neutral) ** power for i, m in enumerate(MODULES)}


Returns = dict[Module, tuple[np.ndarray, np.ndarray, np.ndarray]]


def set_returns(
    new: int, kept: int, d: Demand, sims: dict[Module, ModuleSim], fitmult: dict[Module, np.ndarray]
) -> Returns:
    """Steady-state monthly GMV, gross profit and the GMV the merchant's own service handles (agents serve
    their own buyers) of each new module of a set, given everything that runs.

    - Channels brings new buyers (in proportion to the business), sells to reachable customers, carries the
      agents' streams (matrix selling) and the GMV its boosts buy; it sells through the shop, or the mall.
    - The shop sells organically in WeChat and to contacts (from the 2024-08 rename) and, without Channels,
      carries agents as 带货人 (from 2025); with a mall already running it mostly re-serves the mall's buyers.
    - The mall and WeCom sell again to the customers the merchant can reach, plus those Channels adds (the mall
      only once Channels links to it, 2024-05); a mall beside the shop re-serves the shop's traffic.
    Gross profit keeps the margin on GMV net of returns and the shelf's fee, less agents' commission.
    """
    run = new | kept
    has = {m: bool(run & bit(m)) for m in MODULES}
    out: Returns = {}
    public = d.public * sims["channels"].reach * fitmult["channels"] + sims["channels"].bought_gmv
    agents_to = "channels" if has["channels"] else "shop" if has["shop"] and d.daihuoren else None
    agents = d.agents * fitmult[agents_to] if agents_to else 0.0
    if agents_to == "shop":
        agents = agents * d.daihuoren_share
    shelf_fee = d.fee["shop"] if has["shop"] else d.fee["miniprogram"]
    if not has["shop"]:  # Channels sells through a mall: some buyers are lost on the way
        public = public * d.via_mall
    captured = public * d.capture if has["channels"] else 0.0  # buyers who bought join the private domain

    def gross(
        gmv: np.ndarray, returns: np.ndarray, fee: np.ndarray, commissioned: object = 0.0
    ) -> np.ndarray:
        return gmv * (1.0 - returns) * (d.margin - fee) - d.commission * commissioned

    if new & bit("channels"):
        contacts = d.channel_contacts * sims["channels"].reach * fitmult["channels"]
        if not has["shop"]:
            contacts = contacts * d.via_mall
        mine = agents if agents_to == "channels" else 0.0
        gmv = public + contacts + mine
        out["channels"] = (gmv, gross(gmv, d.return_public, shelf_fee, mine), gmv - mine)
    if new & bit("shop"):
        lift = sims["shop"].reach * fitmult["shop"] * (1.0 - d.overlap if kept & bit("miniprogram") else 1.0)
        organic = d.shop_organic * lift
        contacts = d.shop_contact_orders * lift
        mine = agents if agents_to == "shop" else 0.0
        gmv = organic + contacts + mine
        profit = gross(organic + mine, d.return_public, d.fee["shop"], mine)
        out["shop"] = (gmv, profit + gross(contacts, d.return_private, d.fee["shop"]), gmv - mine)
    if new & bit("miniprogram"):
        members = d.reach + (captured if d.linked else 0.0)
        lift = sims["miniprogram"].reach * fitmult["miniprogram"]
        shared = (
            1.0 - d.overlap if has["shop"] else 1.0
        )  # contacts the shop already serves; migrated members are the mall's own
        gmv = (members * d.mall_orders * d.uplift * shared + d.migration) * lift
        out["miniprogram"] = (gmv, gross(gmv, d.return_private, d.fee["miniprogram"]), gmv)
    if new & bit("wecom"):
        contacts = d.reach + captured
        gmv = contacts * d.wecom_orders * d.uplift * sims["wecom"].reach * fitmult["wecom"]
        fee = d.fee["shop"] if has["shop"] and not has["miniprogram"] else d.fee["miniprogram"]
        out["wecom"] = (gmv, gross(gmv, d.return_private, fee), gmv)
    return out


_DEMAND = (
    "public", "channel_contacts", "agents", "shop_organic", "shop_contact_orders", "migration", "mall_orders",
    "wecom_orders", "uplift", "return_public", "return_private", "commission", "capture", "overlap",
    "daihuoren_share", "via_mall",
)  # fmt: skip


def returns_compiled(
    masks: list[int],
    kept: int,
    d: Demand,
    sims: dict[Module, ModuleSim],
    fitmult: dict[Module, np.ndarray],
    gmv: np.ndarray,
    served: np.ndarray,
    keep: np.ndarray,
    gross_profit: np.ndarray,
) -> None:
    """:func:`set_returns` of every set in ``masks``, added up per set as :func:`cohort_table` does, by the
    compiled twin (:func:`engine.kernel.returns`; the same bits, ``tests/test_kernel.py``): into ``gmv``,
    ``served``, ``keep`` (16, size, n) and ``gross_profit`` (16, modules, size, n)."""
    from engine import kernel

    shape = gmv.shape[1:]
    arrays = [getattr(d, k) for k in _DEMAND] + [d.fee["shop"], d.fee["miniprogram"], d.margin, d.reach]
    stacked = np.empty((len(arrays), *shape))
    for i, a in enumerate(arrays):
        stacked[i] = a
    per_module = np.empty((2, len(MODULES), *shape))
    for i, m in enumerate(MODULES):
        per_module[0, i], per_module[1, i] = sims[m].reach, fitmult[m]
    kernel.returns(
        np.asarray(masks, dtype=np.int64), kept, d.daihuoren, d.linked, stacked, per_module[0], per_module[1],
        np.ascontiguousarray(np.broadcast_to(sims["channels"].bought_gmv, shape)), gmv, served, keep, gross_profit,
    )  # fmt: skip


def _is_fixed(param: Param) -> bool:
    """Fixed fees (verification) do not scale with the operating level or what is reused."""
    return param.distribution == "fixed"


def _level_sim(
    assumptions: AssumptionSet,
    module: Module,
    level: Level,
    cohort: Cohort,
    draws: Draws,
    promo: np.ndarray,
    profile_terms: tuple[np.ndarray | float, np.ndarray] | None = None,
) -> ModuleSim:
    """A module at one operating level for every profile: (size|1, n) arrays. ``profile_terms``: the module's
    :func:`_profile_terms`, the same at every level (worked out here if not given)."""
    a = assumptions.modules[module]
    p = f"modules.{module}"
    lv = f"{p}.levels.{level}"
    spend, staff_mult, reach = draws[f"{lv}.spend"], draws[f"{lv}.staffing"], draws[f"{lv}.reach"]
    pace = draws[f"{lv}.ramp"]
    size, n = cohort.size, draws.n
    zero = np.zeros((size, n))
    reuse = a.traits.reuse
    lent, ramp = profile_terms or _profile_terms(assumptions, module, cohort, draws)
    reuse_staff = {role: lent for role in reuse.roles} if reuse else {}
    setup = {}
    for k, param in a.setup.items():
        scale = 1.0 if _is_fixed(param) else spend
        if reuse and (reuse.setup or k in reuse.setup_items) and not _is_fixed(param):
            scale = scale * lent
        setup[k] = zero + draws[f"{p}.setup.{k}"] * scale
    monthly = {}
    for k, param in a.monthly.items():
        if module == "channels" and k == "promotion":
            monthly[k] = zero + promo[:, None]
        else:
            monthly[k] = zero + draws[f"{p}.monthly.{k}"] * (1.0 if _is_fixed(param) else spend)
    fte_by_role = {
        role: zero + draws[f"{p}.staffing.{role}"] * staff_mult * reuse_staff.get(role, 1.0)
        for role in a.staffing
    }
    fte = sum(fte_by_role.values(), zero)
    seats = np.maximum(fte, 1.0)
    if a.traits.seats_hold_contacts:
        contacts = cohort.reach[:, None] / draws["returns.contacts_per_seat"]
        seats = np.maximum(seats, contacts + cohort.agents[:, None] * draws["returns.agent_seat_share"])
    mult = ramp * pace
    op = zero + draws[f"{p}.ramp.operational_weeks"] * mult
    bought = zero
    if module == "channels":
        roas, sat = draws["returns.promotion_roas"], draws["returns.promotion_saturation_cny"]
        with np.errstate(invalid="ignore", divide="ignore"):
            bought = zero + np.where(promo[:, None] > 0, roas * sat * np.log1p(promo[:, None] / sat), 0.0)
    return ModuleSim(
        setup_items=setup,
        monthly_items=monthly,
        seat_items={k: seats * draws[f"{p}.per_seat.{k}"] for k in a.per_seat},
        fte_by_role=fte_by_role,
        operational_weeks=op,
        steady_state_weeks=op + draws[f"{p}.ramp.steady_state_extra_weeks"] * mult,
        reach=zero + reach,
        bought_gmv=bought,
        concurrent_weight=draws[f"{p}.ramp.concurrent_weight"],
        level=np.full(size, LEVELS.index(level)),
    )


def promotion_spend(assumptions: AssumptionSet, cohort: Cohort, level: Level, as_of: date) -> np.ndarray:
    """Monthly boost spend per profile: a decision, not a draw. Spend stops where the expected gross profit of
    the next yuan falls below a yuan (bought GMV has diminishing returns), at the level's usual budget and at
    a share of the monthly budget - so more budget never buys a boost that loses money."""
    r = assumptions.returns
    roas, sat = r.promotion_roas.mode_at(as_of), r.promotion_saturation_cny.mode_at(as_of)
    keep = (1.0 - r.return_rate_public.mode_at(as_of)) * (
        cohort.margin - sum(p.mode_at(as_of) for p in assumptions.modules["shop"].gmv_share.values())
    )
    best = np.maximum(sat * (roas * keep - 1.0), 0.0)
    usual = assumptions.modules["channels"].monthly["promotion"].mode_at(as_of) * assumptions.modules[
        "channels"
    ].levels[level].spend.mode_at(as_of)
    cap = r.promotion_budget_share.mode_at(as_of) * cohort.budget_monthly
    return np.minimum(best, np.minimum(usual, cap))


def _profile_terms(
    assumptions: AssumptionSet, module: Module, cohort: Cohort, draws: Draws
) -> tuple[np.ndarray | float, np.ndarray]:
    """What a module borrows from what the merchant has (the reuse factor) and how the profile moves its ramp."""
    traits = assumptions.modules[module].traits
    lent = reuse_factor(traits.reuse.by, cohort, draws) if traits.reuse else 1.0
    return lent, ramp_multiplier(traits, cohort, draws)


def cohort_sims(
    assumptions: AssumptionSet,
    cohort: Cohort,
    draws: Draws,
    fit: np.ndarray,
    horizon_months: float,
) -> dict[Module, ModuleSim]:
    """Each module at the operating level that earns most for each profile (or the forced one).

    ``fit`` is (size, modules, n): the rules' fit per draw, which multiplies a module's GMV potential.
    A level is judged on the module alone (with the modules running today and, for Channels, a shop to sell
    through) over the horizon: gross profit from the middle of its ramp on, less monthly costs, the pay of any
    hires and the set-up, averaged over the draws; a smaller level within the tie margin of the best is kept.
    """
    d = demand(assumptions, cohort, draws)
    fitmult = fit_multiplier(assumptions, fit, draws.as_of)
    pay = salaries(cohort, draws)
    per_level: dict[Module, list[ModuleSim]] = {m: [] for m in MODULES}
    terms = {m: _profile_terms(assumptions, m, cohort, draws) for m in MODULES}
    for level in LEVELS:
        promo = promotion_spend(assumptions, cohort, level, draws.as_of)
        for m in MODULES:
            per_level[m].append(_level_sim(assumptions, m, level, cohort, draws, promo, terms[m]))
    o = assumptions.objective
    horizon_budget = cohort.budget_setup + horizon_months * cohort.budget_monthly
    margin = o.tie_margin.mode_at(draws.as_of) * np.maximum(
        horizon_budget, o.cost_scale_floor.mode_at(draws.as_of)
    )
    kept = int(cohort.kept[0])
    sims: dict[Module, ModuleSim] = {}
    for i, m in enumerate(MODULES):
        if kept & bit(m):  # what runs today is counted at a standard level unless the user says otherwise
            sims[m] = _select(per_level[m], np.where(cohort.levels[:, i] >= 0, cohort.levels[:, i], 1))
    standard = {m: sims.get(m, per_level[m][LEVELS.index("standard")]) for m in MODULES}
    kept_fte = sum((sims[m].fte for m in modules_of(kept)), np.zeros(1))
    available = np.maximum(cohort.staff[:, None] - kept_fte, 0.0)  # the team left after what runs today
    per_order = draws["returns.orders_per_service_fte"]
    for i, m in enumerate(MODULES):
        if kept & bit(m):
            continue
        scores = []
        for sim in per_level[m]:
            trial = {**standard, m: sim}
            helper = bit("shop") if m == "channels" else 0
            _, gp, served = set_returns(bit(m), kept | helper, d, trial, fitmult)[m]
            # service grows with orders beyond the module's own need, as in the set table
            own = sim.fte_by_role.get("customer_service", 0.0)
            fte = sim.fte - own + np.maximum(own, served / cohort.aov[:, None] / per_order)
            hires = np.maximum(fte - available, 0.0)
            wage = sum((sim.fte_by_role[r] * pay[r] for r in sim.fte_by_role), 0.0) / np.maximum(
                sim.fte, 1e-9
            )
            earning = np.clip(
                horizon_months - (sim.operational_weeks + sim.steady_state_weeks) / 2 / WEEKS_PER_MONTH,
                0,
                None,
            )
            net = gp * earning - (sim.monthly_fixed + hires * wage) * horizon_months - sim.setup
            scores.append(net.mean(axis=1))
        # Levels whose nets are within the tie margin of the best are a tie, and the smaller one runs: fewer
        # people and less spend for about the same money, and a choice that does not flip with the seed.
        nets = np.stack(scores)
        ok = nets >= nets.max(axis=0) - margin
        best = np.argmax(ok, axis=0)
        chosen = np.where(cohort.levels[:, i] >= 0, cohort.levels[:, i], best)
        sims[m] = _select(per_level[m], chosen)
    return sims


def _select(options: list[ModuleSim], chosen: np.ndarray) -> ModuleSim:
    """Profile ``j``'s row from ``options[chosen[j]]``, for every array of the module."""
    if np.all(chosen == chosen[0]):
        return options[int(chosen[0])]
    picks = [(k, np.flatnonzero(chosen == k)) for k in range(len(options))]

    def take(arrays: list[np.ndarray]) -> np.ndarray:
        out = np.empty(np.broadcast_shapes((len(chosen), 1), *(a.shape for a in arrays)))
        for k, rows in picks:
            if len(rows):
                a = arrays[k]
                out[rows] = a if a.shape[0] == 1 else a[rows]
        return out

    first = options[0]
    return ModuleSim(
        setup_items={k: take([o.setup_items[k] for o in options]) for k in first.setup_items},
        monthly_items={k: take([o.monthly_items[k] for o in options]) for k in first.monthly_items},
        seat_items={k: take([o.seat_items[k] for o in options]) for k in first.seat_items},
        fte_by_role={k: take([o.fte_by_role[k] for o in options]) for k in first.fte_by_role},
        operational_weeks=take([o.operational_weeks for o in options]),
        steady_state_weeks=take([o.steady_state_weeks for o in options]),
        reach=take([o.reach for o in options]),
        bought_gmv=take([o.bought_gmv for o in options]),
        concurrent_weight=first.concurrent_weight,
        level=chosen.astype(np.int64),
    )


# --- every set of modules ------------------------------------------------------------------------------

SETS = 1 << len(MODULES)  # every set of modules, as a bit mask (16 for four modules)
MASKS = np.arange(SETS)


@dataclass(frozen=True)
class SetTable:
    """Per set of new modules (first axis: the set's bit mask, see :func:`mask_of`), arrays (16, size, n).

    The modules running today (``kept``) are folded in: they count towards staffing in every set but add no
    cost and no return, as both are incremental over what runs today. Rows of sets not computed are unset.
    """

    kept: int
    required_fte: np.ndarray  # kept modules included
    hired_fte: np.ndarray  # hires the monthly budget pays for
    shortfall_fte: np.ndarray  # what can be neither done by the team nor hired
    pay_per_fte: np.ndarray  # need-weighted monthly pay of the set's roles
    staff_cost: np.ndarray  # pay of the hires, CNY/month
    monthly: np.ndarray  # every monthly cost of the set, CNY/month
    setup: np.ndarray
    stretch: np.ndarray  # ramp multiplier from the staff shortfall when these modules (plus kept) run
    stretch_unhired: np.ndarray  # the same if nobody were hired
    gmv: np.ndarray  # steady-state incremental GMV, CNY/month
    gross_profit: np.ndarray  # (16, modules, size, n): each new module's steady monthly gross profit
    role_fte: np.ndarray  # (16, roles, size, n): combined need per role, kept modules included
    break_even_gmv: np.ndarray
    hiring_lag: np.ndarray  # (size|1, n) weeks

    def take(self, rows: np.ndarray, within: int | None = None) -> SetTable:
        """The table of the profiles ``rows`` (an index array) only; with ``within`` (a set's mask), only the
        rows of the sets inside it (all a plan of that set reads), the others left unset."""
        masks = [m for m in range(SETS) if within is None or not m & ~within]

        def cut(a: np.ndarray, axis: int) -> np.ndarray:
            if a.shape[axis] == 1:
                return a
            out = np.empty((*a.shape[:axis], len(rows), *a.shape[axis + 1 :]))
            for m in masks:
                out[m] = a[m][(slice(None),) * (axis - 1) + (rows,)]
            return out

        return SetTable(
            self.kept,
            *(cut(getattr(self, f), 1) for f in _TABLE_ARRAYS),
            cut(self.gross_profit, 2),
            cut(self.role_fte, 2),
            cut(self.break_even_gmv, 1),
            self.hiring_lag,
        )

    def roles(self, mask: int, i: int = 0) -> dict[Role, np.ndarray]:
        """Combined FTE per role for a set (kept modules included) for profile ``i``, roles with any need."""
        fte = self.role_fte[mask][:, min(i, self.role_fte.shape[2] - 1)]
        return {role: fte[k] for k, role in enumerate(ROLES) if np.any(fte[k] > 0)}


_TABLE_ARRAYS = (
    "required_fte",
    "hired_fte",
    "shortfall_fte",
    "pay_per_fte",
    "staff_cost",
    "monthly",
    "setup",
    "stretch",
    "stretch_unhired",
    "gmv",
)


def cohort_table(
    assumptions: AssumptionSet,
    sims: dict[Module, ModuleSim],
    cohort: Cohort,
    draws: Draws,
    fit: np.ndarray,
    masks: list[int] | None = None,
    compiled: bool | None = None,
) -> SetTable:
    """The 16-set table of every profile in a cohort whose profiles run the same modules today.

    Only the rows of ``masks`` (default: every set of modules not running today) are computed. Each set's
    returns come from :func:`set_returns` (or its compiled twin :func:`returns_compiled`); its staffing,
    hires, costs, ramp stretch and break-even from :func:`table_arrays` (the reference, numpy) or its compiled
    twin :func:`table_compiled`. The twins give the same bits (``tests/test_kernel.py``); which runs follows
    :func:`score_plans` unless ``compiled`` says.
    """
    n, size = draws.n, cohort.size
    kept = int(cohort.kept[0])
    if np.any(cohort.kept != kept):
        raise ValueError("a cohort's profiles must run the same modules today")
    if masks is None:
        masks = [mask for mask in range(SETS) if not mask & kept]
    d = demand(assumptions, cohort, draws)
    fitmult = fit_multiplier(assumptions, fit, draws.as_of)
    zero = np.zeros((size, n))
    gmv, served, keep = (np.zeros((SETS, size, n)) for _ in range(3))
    gross_profit = np.zeros((SETS, len(MODULES), size, n))
    if compiled is None:
        compiled = use_kernel(size * n)
    if compiled:
        returns_compiled(masks, kept, d, sims, fitmult, gmv, served, keep, gross_profit)
    else:
        for mask in masks:
            returns = set_returns(mask, kept, d, sims, fitmult)
            gmv[mask] = sum((g for g, _, _ in returns.values()), zero)
            served[mask] = sum((s for _, _, s in returns.values()), zero)
            keep[mask] = sum((gp for _, gp, _ in returns.values()), zero)
            for m, (_, gp, _) in returns.items():
                gross_profit[mask, MODULES.index(m)] = gp
    staffing = Staffing(
        masks, kept, sims, salaries(cohort, draws), draws["adjustments.role_overlap"],
        draws["adjustments.shortfall_ramp_elasticity"], draws["returns.orders_per_service_fte"],
        cohort.staff, cohort.budget_monthly, cohort.aov, served, gmv, keep,
    )  # fmt: skip
    arrays = table_compiled(staffing) if compiled else table_arrays(staffing)
    lag = draws["adjustments.hiring_lag_weeks"][None, :]
    return SetTable(kept, *arrays[:9], gmv, gross_profit, arrays[9], arrays[10], lag)


@dataclass(frozen=True)
class Staffing:
    """What the set table's staffing and costs are worked out from, for :func:`table_arrays`."""

    masks: list[int]
    kept: int
    sims: dict[Module, ModuleSim]
    pay: dict[Role, np.ndarray]  # (size|1, n)
    overlap: np.ndarray  # (n,)
    elasticity: np.ndarray  # (n,)
    per_order: np.ndarray  # (n,)
    staff: np.ndarray  # (size,)
    budget: np.ndarray  # (size,)
    aov: np.ndarray  # (size,)
    served: np.ndarray  # (16, size, n)
    gmv: np.ndarray  # (16, size, n)
    keep: np.ndarray  # (16, size, n)


def table_arrays(w: Staffing) -> tuple[np.ndarray, ...]:
    """Per set of ``w.masks``: required, hired and short FTE, pay per FTE, staff cost, monthly cost, set-up,
    stretch with and without hires, the combined need per role and the break-even GMV (the reference)."""
    sims, kept, pay = w.sims, w.kept, w.pay
    size, n = w.served.shape[1:]
    overlap, elasticity, per_order = w.overlap, w.elasticity, w.per_order
    available, budget, aov = w.staff[:, None], w.budget[:, None], w.aov[:, None]
    zero = np.zeros((size, n))

    def roles_of(run: int) -> np.ndarray:
        """(roles, size, n): combined need per role of the modules of ``run``; part of a role two modules share
        is covered by the same people."""
        out = np.empty((len(ROLES), size, n))
        for k, role in enumerate(ROLES):
            needs = [sims[m].fte_by_role[role] for m in modules_of(run) if role in sims[m].fte_by_role]
            if not needs:
                out[k] = 0.0
                continue
            total = sum(needs, zero)
            top = np.maximum.reduce([np.broadcast_to(x, (size, n)) for x in needs])
            out[k] = top + (1.0 - overlap) * (total - top)
        return out

    kept_roles = roles_of(kept)
    base = np.maximum(available, kept_roles.sum(axis=0))
    shape = (SETS, size, n)
    required, hired, short, pay_fte, staff_cost, monthly, setup, stretch, alone, be = (
        np.zeros(shape) for _ in range(10)
    )
    role_fte = np.zeros((SETS, len(ROLES), size, n))
    cs = ROLES.index("customer_service")
    for mask in w.masks:
        rf = roles_of(mask | kept)
        # Customer service grows with the orders the merchant serves beyond the modules' base need.
        rf[cs] = np.maximum(rf[cs], kept_roles[cs] + w.served[mask] / aov / per_order)
        role_fte[mask] = rf
        req = rf.sum(axis=0)
        wage = sum((rf[k] * pay[role] for k, role in enumerate(ROLES)), zero) / np.maximum(req, 1e-9)
        fixed = sum((sims[m].monthly_fixed for m in modules_of(mask)), zero)
        need = np.maximum(req - base, 0.0)
        # The monthly budget left after the modules' own costs pays for hires; only the rest is shortfall.
        fundable = np.maximum(budget - fixed, 0.0) / np.maximum(wage, 1e-9)
        take = np.minimum(need, fundable)
        required[mask], hired[mask], short[mask], pay_fte[mask] = req, take, need - take, wage
        staff_cost[mask] = take * wage
        monthly[mask] = fixed + take * wage
        setup[mask] = sum((sims[m].setup for m in modules_of(mask)), zero)
        for ratio, out in ((req / (base + take), stretch[mask]), (req / base, alone[mask])):
            out.fill(1.0)
            np.power(ratio, elasticity, out=out, where=ratio > 1.0)
        new_gmv = w.gmv[mask]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(new_gmv > 0, w.keep[mask] / new_gmv, 0.0)
            be[mask] = np.where(monthly[mask] <= 0, 0.0, np.where(rate > 0, monthly[mask] / rate, np.inf))
    return required, hired, short, pay_fte, staff_cost, monthly, setup, stretch, alone, role_fte, be


def table_compiled(w: Staffing) -> tuple[np.ndarray, ...]:
    """:func:`table_arrays`, run by the compiled kernel (``engine/kernel.py``): the same figures, bit for bit."""
    from engine import kernel

    size, n = w.served.shape[1:]
    fte = np.zeros((len(MODULES), len(ROLES), size, n))
    has = np.zeros((len(MODULES), len(ROLES)), dtype=np.bool_)
    fixed, setup_m = np.zeros((len(MODULES), size, n)), np.zeros((len(MODULES), size, n))
    for i, m in enumerate(MODULES):
        sim = w.sims[m]
        for k, role in enumerate(ROLES):
            if role in sim.fte_by_role:
                fte[i, k], has[i, k] = sim.fte_by_role[role], True
        fixed[i], setup_m[i] = sim.monthly_fixed, sim.setup
    pay = np.empty((len(ROLES), size, n))
    for k, role in enumerate(ROLES):
        pay[k] = w.pay[role]
    shape = (SETS, size, n)
    out = [np.empty(shape) for _ in range(9)]
    be, role_fte = np.empty(shape), np.empty((SETS, len(ROLES), size, n))
    computed = set(w.masks)
    unset = [mask for mask in range(SETS) if mask not in computed]
    for a in (*out, be, role_fte):  # the pass writes every row of the sets it computes; the others are zero
        a[unset] = 0.0

    kernel.table(
        np.asarray(w.masks, dtype=np.int64), w.kept, fte, has, fixed, setup_m, pay, w.served, w.gmv, w.keep,
        _vector(w.overlap, n), _vector(w.per_order, n), _vector(w.staff, size), _vector(w.budget, size),
        _vector(w.aov, size),
        ROLES.index("customer_service"), *out, be, role_fte,
    )  # fmt: skip
    stretch, alone = out[7], out[8]
    for mask in w.masks:  # raised to the elasticity as table_arrays does: numpy's power, the same call
        for values in (stretch[mask], alone[mask]):
            ratio = values.copy()
            values.fill(1.0)
            np.power(ratio, w.elasticity, out=values, where=ratio > 1.0)
    return (*out, role_fte, be)


# --- the objective ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    """The objective's weights and scales (see ``assumptions/objective.yaml``); budgets are columns (size, 1)."""

    horizon_months: float
    w_downside: float
    w_budget: float
    w_staff: float
    cost_scale: np.ndarray
    budget: np.ndarray  # over the horizon: one-time budget + monthly budget x months
    drag: np.ndarray  # (n,) ramp drag per other module started in the same phase
    defer_stretch: np.ndarray  # (n,)

    @property
    def horizon_weeks(self) -> float:
        return self.horizon_months * WEEKS_PER_MONTH

    @classmethod
    def for_cohort(
        cls,
        assumptions: AssumptionSet,
        cohort: Cohort,
        draws: Draws,
        horizon_months: float | None = None,
    ) -> Objective:
        o = assumptions.objective
        as_of = draws.as_of
        months = horizon_months if horizon_months is not None else o.horizon_months.mode_at(as_of)
        budget = (cohort.budget_setup + months * cohort.budget_monthly)[:, None]
        return cls(
            horizon_months=float(months),
            w_downside=o.weights["downside"].mode_at(as_of),
            w_budget=o.weights["budget_overrun"].mode_at(as_of),
            w_staff=o.weights["staff_shortfall"].mode_at(as_of),
            cost_scale=np.maximum(budget, o.cost_scale_floor.mode_at(as_of)),
            budget=budget,
            drag=draws["adjustments.concurrent_ramp_drag"],
            defer_stretch=draws["adjustments.defer_ramp_stretch"],
        )

    def with_horizon(self, months: float) -> Objective:
        return replace(self, horizon_months=float(months))

    def take(self, rows: np.ndarray) -> Objective:
        """The objective of the profiles ``rows`` (an index array) only."""
        return replace(self, cost_scale=self.cost_scale[rows], budget=self.budget[rows])


def ramp_area(operational: np.ndarray, steady: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Weeks of full steady-state earning accrued by week ``t``: nothing before operational, a straight ramp up
    to steady state, then full."""
    span = np.maximum(steady - operational, 1e-9)
    into = np.clip(t - operational, 0.0, None)
    ramping = np.minimum(into, span)
    return ramping * ramping / (2 * span) + np.maximum(t - steady, 0.0)


@dataclass(frozen=True)
class PlanSim:
    """One phased plan, per draw, arrays (size, n); money over the objective's horizon."""

    plan: Plan
    mask: int
    score: np.ndarray  # the objective, divided by the cost scale
    net: np.ndarray  # gross profit - cost over the horizon
    cost: np.ndarray  # every cost over the horizon
    gross_profit: np.ndarray
    lack: np.ndarray  # pay of the work nobody does (the staff shortfall) over the horizon
    setup: np.ndarray
    monthly: np.ndarray  # when every module runs
    gmv_steady: np.ndarray
    operational: np.ndarray
    steady_state: np.ndarray
    phase_starts: tuple[np.ndarray, ...]
    module_operational: dict[Module, np.ndarray]
    module_steady: dict[Module, np.ndarray]
    required_fte: np.ndarray
    hired_fte: np.ndarray
    shortfall_fte: np.ndarray
    break_even_gmv: np.ndarray
    fit: float | np.ndarray  # mean fit of the new modules (0 for no new module)


@dataclass(frozen=True)
class Timeline:
    """When a plan's phases start and run, and when its modules become operational and steady."""

    phase_starts: tuple[np.ndarray, ...]
    phase_ends: tuple[np.ndarray, ...]  # the next phase's start, or the horizon (not capped)
    prefixes: tuple[int, ...]
    module_operational: dict[Module, np.ndarray]
    module_steady: dict[Module, np.ndarray]
    operational: np.ndarray
    steady_state: np.ndarray


def timeline(
    plan: Plan,
    sims: dict[Module, ModuleSim],
    table: SetTable,
    objective: Objective,
    defer: np.ndarray,
) -> Timeline:
    """The plan's :class:`Timeline`. ``defer`` is (size, modules) bool: modules a rule says belong later, whose
    ramp stretches when they start in the first phase. Modules started together slow each other down (the
    concurrent-ramp drag), a short team slows every ramp (the stretch), and a phase that needs hires waits for
    them (the hiring lag)."""
    shape = table.required_fte[0].shape
    start = np.zeros(shape)
    prev = 0
    starts, ends, prefixes = [], [], []
    module_op: dict[Module, np.ndarray] = {}
    module_steady: dict[Module, np.ndarray] = {}
    operational = np.zeros(shape)
    steady = np.zeros(shape)
    for k, phase in enumerate(plan):
        prefix = prev | mask_of(phase)
        stretch = table.stretch[prefix]
        weight = {m: sims[m].concurrent_weight for m in phase}
        factor: dict[Module, np.ndarray] = {}
        for m in phase:
            others = sum((w for o, w in weight.items() if o != m), 0.0)
            factor[m] = 1.0 + objective.drag * others
            if k == 0:
                factor[m] = factor[m] * np.where(
                    defer[:, MODULES.index(m), None], objective.defer_stretch, 1.0
                )
        # A phase that hires waits for its hires, but never longer than going ahead short-handed would lose.
        wait = table.hiring_lag * np.clip(table.hired_fte[prefix] - table.hired_fte[prev], 0.0, 1.0)
        saved = np.max(
            [
                sims[m].steady_state_weeks * factor[m] * (table.stretch_unhired[prefix] - stretch)
                for m in phase
            ],
            axis=0,
        )
        begin = start + np.minimum(wait, saved)
        length = np.zeros(shape)
        for m in phase:
            f = stretch * factor[m]
            module_op[m] = begin + sims[m].operational_weeks * f
            module_steady[m] = begin + sims[m].steady_state_weeks * f
            operational = np.maximum(operational, module_op[m])
            steady = np.maximum(steady, module_steady[m])
            length = np.maximum(length, module_op[m] - start)
        starts.append(start)
        prefixes.append(prefix)
        start = start + length
        ends.append(start)
        prev = prefix
    if ends:
        ends[-1] = np.full(shape, np.inf)
    return Timeline(
        tuple(starts), tuple(ends), tuple(prefixes), module_op, module_steady, operational, steady
    )


def money(
    plan: Plan, tl: Timeline, table: SetTable, t: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost, gross profit and the pay of the missing work accrued by week ``t`` (a scalar, or an array that
    broadcasts against (size, n) such as (weeks, 1, 1))."""
    cost = 0.0
    lack = 0.0
    for k, prefix in enumerate(tl.prefixes):
        begin, end = tl.phase_starts[k], tl.phase_ends[k]
        cost = cost + np.where(begin <= t, table.setup[mask_of(plan[k])], 0.0)
        span = np.clip(np.minimum(end, t) - begin, 0.0, None) / WEEKS_PER_MONTH
        cost = cost + table.monthly[prefix] * span
        lack = lack + table.shortfall_fte[prefix] * table.pay_per_fte[prefix] * span
    # Each module earns, in each phase, what it earns beside the modules running then (a shop sells through
    # agents until Channels takes them; WeCom counts Channels' buyers only once Channels runs).
    profit = 0.0
    for k, prefix in enumerate(tl.prefixes):
        begin, end = tl.phase_starts[k], tl.phase_ends[k]
        lo, hi = np.minimum(begin, t), np.minimum(end, t)
        for m in modules_of(prefix):
            gp = table.gross_profit[prefix, MODULES.index(m)]
            op, ss = tl.module_operational[m], tl.module_steady[m]
            profit = profit + gp * (ramp_area(op, ss, hi) - ramp_area(op, ss, lo)) / WEEKS_PER_MONTH
    return np.asarray(cost), np.asarray(profit), np.asarray(lack)


def objective_score(
    profit: np.ndarray, cost: np.ndarray, lack: np.ndarray, objective: Objective
) -> np.ndarray:
    """The objective of a plan from its money over the horizon (see :func:`evaluate_plan`); the same
    floating-point steps as the kernel's, so a plan re-scored from its money under other weights has the
    score that scoring it afresh gives."""
    net = profit - cost
    return (
        net
        - objective.w_downside * np.maximum(-net, 0.0)
        - objective.w_budget * np.maximum(cost - objective.budget, 0.0)
        - objective.w_staff * lack
    ) / objective.cost_scale


def evaluate_plan(
    plan: Plan,
    sims: dict[Module, ModuleSim],
    table: SetTable,
    objective: Objective,
    defer: np.ndarray,
    fit: np.ndarray,
) -> PlanSim:
    """Per-draw figures and score of one phased plan (kept modules run throughout and are not listed).

    This is the objective's reference form::

        net   = gross profit - cost, both over the horizon
        score = (net - downside x max(0, -net) - budget_overrun x max(0, cost - budget)
                 - staff_shortfall x pay of the missing work) / cost scale
    """
    shape = table.required_fte[0].shape
    full = plan_mask(plan)
    if not plan:
        zero = np.zeros(shape)
        return PlanSim(
            plan, 0, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, (), {}, {},
            table.required_fte[0], zero, zero, zero, 0.0,
        )  # fmt: skip
    tl = timeline(plan, sims, table, objective, defer)
    cost, profit, lack = money(plan, tl, table, objective.horizon_weeks)
    net = profit - cost
    score = objective_score(profit, cost, lack, objective)
    idx = [MODULES.index(m) for m in modules_of(full)]
    return PlanSim(
        plan=plan,
        mask=full,
        score=score,
        net=net,
        cost=cost,
        gross_profit=profit,
        lack=lack,
        setup=table.setup[full],
        monthly=table.monthly[full],
        gmv_steady=table.gmv[full],
        operational=tl.operational,
        steady_state=tl.steady_state,
        phase_starts=tl.phase_starts,
        module_operational=tl.module_operational,
        module_steady=tl.module_steady,
        required_fte=table.required_fte[full],
        hired_fte=table.hired_fte[full],
        shortfall_fte=table.shortfall_fte[full],
        break_even_gmv=table.break_even_gmv[full],
        fit=fit[:, idx].mean(axis=(1, 2)) if idx else 0.0,
    )


KERNEL_MIN_ELEMENTS = 1 << 14  # profiles x draws from which the compiled kernel pays for its start-up


def use_kernel(elements: int) -> bool:
    """Whether a problem of ``elements`` profile-draws runs the compiled passes: once they are loaded in this
    process (the app and the batch load them, :func:`load_kernel`), or when it is large enough to pay for
    loading them; a one-off small problem (one ``wxplan recommend``) never imports the compiler."""
    return elements >= KERNEL_MIN_ELEMENTS or "engine.kernel" in sys.modules


def load_kernel() -> bool:
    """Load the compiled passes now (compiled, or read from numba's cache), e.g. before forking workers that
    would each compile them. False if they cannot load: the array versions give the same figures."""
    try:
        from engine import kernel

        kernel.warm_up()
    except Exception:  # no compiler on this machine
        return False
    return True


def first_best(scores: np.ndarray) -> np.ndarray:
    """Per profile and draw, the index of the best-scoring plan of ``scores`` (plans, size, n): the first on a
    tie, as ``np.argmax(scores, axis=0)``, which the compiled twin matches exactly."""
    if not use_kernel(scores[0].size):
        return np.argmax(scores, axis=0)
    from engine import kernel

    out = np.empty(scores[0].size, dtype=np.int64)
    kernel.first_best(np.ascontiguousarray(scores).reshape(len(scores), -1), out)
    return out.reshape(scores.shape[1:])


def score_plans(
    plans: list[Plan],
    sims: dict[Module, ModuleSim],
    table: SetTable,
    objective: Objective,
    defer: np.ndarray,
    fit: np.ndarray,
    money: np.ndarray | None = None,
) -> np.ndarray:
    """The objective of every plan on every draw, shape (plans, size, n): :func:`evaluate_plan`'s score.
    With ``money`` (an array (3, plans, size, n)), each plan's gross profit, cost and pay of the unfilled work
    over the horizon are written into it, from which :func:`objective_score` gives the score under other
    weights without scoring the plans again.

    Two implementations give the same figures to the last bit (``tests/test_kernel.py``):
    :func:`score_plans_arrays`, which calls the reference :func:`evaluate_plan` per plan, and
    :func:`score_plans_compiled`, the compiled twin in ``engine/kernel.py``. Cohorts of at least
    ``KERNEL_MIN_ELEMENTS`` profile-draws, and every problem once the kernel is loaded, take the second; a one-off
    small problem (one ``wxplan recommend``) takes the first and never imports the compiler."""
    # The two give the same bits, so which runs is a matter of speed only: the kernel once a process has loaded
    # it (the app warms it up; the batch loads it for its cohorts), numpy for a one-off command.
    if use_kernel(table.required_fte[0].size):
        return score_plans_compiled(plans, sims, table, objective, defer, money)
    return score_plans_arrays(plans, sims, table, objective, defer, fit, money)


def score_plans_arrays(
    plans: list[Plan],
    sims: dict[Module, ModuleSim],
    table: SetTable,
    objective: Objective,
    defer: np.ndarray,
    fit: np.ndarray,
    money: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`score_plans` in numpy: the reference objective, plan by plan."""
    shape = table.required_fte[0].shape
    out = np.empty((len(plans), *shape))
    for i, plan in enumerate(plans):
        sim = evaluate_plan(plan, sims, table, objective, defer, fit)
        out[i] = sim.score
        if money is not None:
            money[:, i] = sim.gross_profit, sim.cost, sim.lack
    return out


def _vector(value: np.ndarray | float, length: int) -> np.ndarray:
    """A kernel's 1-d input: a writable float copy of ``length`` values, so every call has the types the
    kernel was compiled for (numba compiles read-only arrays apart)."""
    return np.array(np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (length,)))


def _kernel_inputs(
    sims: dict[Module, ModuleSim], table: SetTable, objective: Objective, defer: np.ndarray
) -> tuple:
    """What both compiled passes read of a cohort's modules, set table and objective, as contiguous arrays."""
    size, n = table.required_fte[0].shape

    def per_module(name: str) -> np.ndarray:
        return np.ascontiguousarray(
            np.stack([np.broadcast_to(getattr(sims[m], name), (size, n)) for m in MODULES])
        )

    weight = np.stack([np.broadcast_to(sims[m].concurrent_weight, (n,)) for m in MODULES])
    return (
        per_module("operational_weeks"),
        per_module("steady_state_weeks"),
        np.ascontiguousarray(weight),
        np.ascontiguousarray(defer, dtype=float),
        _vector(objective.defer_stretch, n),
        _vector(objective.drag, n),
        _vector(np.broadcast_to(table.hiring_lag, (1, n))[0], n),
        table.stretch,
        table.stretch_unhired,
        table.hired_fte,
        table.setup,
        table.monthly,
        table.shortfall_fte,
        table.pay_per_fte,
        table.gross_profit,
    )


def score_plans_compiled(
    plans: list[Plan],
    sims: dict[Module, ModuleSim],
    table: SetTable,
    objective: Objective,
    defer: np.ndarray,
    money: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`score_plans`, run by the compiled kernel (``engine/kernel.py``): the same figures, bit for bit."""
    from engine import kernel  # numba, imported only where the kernel runs

    size, n = table.required_fte[0].shape

    out = np.empty((len(plans), size, n))
    kernel.run(
        *kernel.compile_plans(tuple(plans)),
        *_kernel_inputs(sims, table, objective, defer),
        _vector(objective.budget, size),
        _vector(objective.cost_scale, size),
        float(objective.w_downside),
        float(objective.w_budget),
        float(objective.w_staff),
        float(objective.horizon_weeks),
        WEEKS_PER_MONTH,
        out,
        np.empty((0, 1, 1, 1)) if money is None else money,
    )
    return out


@dataclass(frozen=True)
class Cashflow:
    """A plan's money month by month and its timing, for some profiles of a cohort: arrays (months, rows, n)
    and (rows, n)."""

    cost: np.ndarray  # paid in each month 1..months (set-up paid at week 0 belongs to month 1)
    profit: np.ndarray  # gross profit earned in each month
    operational: np.ndarray  # week the plan's last module is operational
    steady_state: np.ndarray  # week its last module reaches steady state

    @classmethod
    def nothing(cls, months: int, shape: tuple[int, ...]) -> Cashflow:
        """The flow of the empty plan: nothing paid, earned or started."""
        zero = np.zeros((months, *shape))
        return cls(zero, zero, np.zeros(shape), np.zeros(shape))


def cashflow(
    plan: Plan,
    sims: dict[Module, ModuleSim],
    table: SetTable,
    objective: Objective,
    defer: np.ndarray,
    months: int,
    rows: np.ndarray | None = None,
) -> Cashflow:
    """Cost and gross profit of each month 1..``months`` of the profiles ``rows`` (default all).

    Two implementations give the same figures to the last bit (``tests/test_kernel.py``): the reference
    :func:`cashflow_arrays` (the plan's :func:`timeline` and :func:`money` read at every month's end) and
    :func:`cashflows_compiled`; which runs follows :func:`score_plans`."""
    return cashflows([(plan, rows)], sims, table, objective, defer, months)[0]


def cashflows(
    wanted: Sequence[tuple[Plan, np.ndarray | None]],
    sims: dict[Module, ModuleSim],
    table: SetTable,
    objective: Objective,
    defer: np.ndarray,
    months: int,
) -> list[Cashflow]:
    """:func:`cashflow` of several plans, each for its own profiles (``(plan, rows)`` pairs)."""
    size, n = table.required_fte[0].shape
    elements = sum(size if rows is None else len(rows) for _, rows in wanted) * n
    if use_kernel(elements):
        return cashflows_compiled(wanted, sims, table, objective, defer, months)
    return [cashflow_arrays(plan, sims, table, objective, defer, months, rows) for plan, rows in wanted]


def cashflow_arrays(
    plan: Plan,
    sims: dict[Module, ModuleSim],
    table: SetTable,
    objective: Objective,
    defer: np.ndarray,
    months: int,
    rows: np.ndarray | None = None,
) -> Cashflow:
    """:func:`cashflow` in numpy: the reference."""
    if rows is not None:
        sims = {m: sim.take(rows) for m, sim in sims.items()}
        table, objective, defer = table.take(rows, plan_mask(plan)), objective.take(rows), defer[rows]
    shape = table.required_fte[0].shape
    if not plan:
        return Cashflow.nothing(months, shape)
    tl = timeline(plan, sims, table, objective, defer)
    weeks = (np.arange(months + 1) * WEEKS_PER_MONTH)[:, None, None]
    cost, profit, _ = money(plan, tl, table, weeks)
    return Cashflow(*_by_month(cost, profit, shape), tl.operational, tl.steady_state)


def _by_month(cost: np.ndarray, profit: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Money accrued by the end of months 0..M as money paid and earned in months 1..M."""
    cost = np.broadcast_to(cost, (len(cost), *shape))
    profit = np.broadcast_to(profit, (len(profit), *shape))
    by_month = np.diff(cost, axis=0)
    by_month[0] += cost[0]  # set-up paid at week 0 belongs to month 1
    return by_month, np.diff(profit, axis=0)


def cashflows_compiled(
    wanted: Sequence[tuple[Plan, np.ndarray | None]],
    sims: dict[Module, ModuleSim],
    table: SetTable,
    objective: Objective,
    defer: np.ndarray,
    months: int,
) -> list[Cashflow]:
    """:func:`cashflows`, run by the compiled kernel: the same figures as :func:`cashflow_arrays`, bit for bit."""
    from engine import kernel

    size, n = table.required_fte[0].shape
    inputs = _kernel_inputs(sims, table, objective, defer)
    times = np.arange(months + 1) * WEEKS_PER_MONTH
    out = []
    for plan, rows in wanted:
        rows = np.arange(size) if rows is None else np.asarray(rows, dtype=np.int64)
        shape = (len(rows), n)
        if not plan:
            out.append(Cashflow.nothing(months, shape))
            continue
        parent, count, mods, *_ = kernel.compile_plans((plan,))
        cost, profit = np.empty((months + 1, *shape)), np.empty((months + 1, *shape))
        operational, steady = np.empty(shape), np.empty(shape)
        kernel.cash(
            parent, count, mods, rows, *inputs, times, WEEKS_PER_MONTH, cost, profit, operational, steady
        )
        out.append(Cashflow(*_by_month(cost, profit, shape), operational, steady))
    return out
