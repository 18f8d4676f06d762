"""The engine's economic model written a second time with squigglepy, one lead at a time.

This is what an analyst would write without wxplan's engine: for each lead, sample every assumption the lead's
profile reads with squigglepy (``sq.pert``, ``sq.to``, ``sq.const`` and ``sq.sample``, seeded per lead with
``sq.set_seed``), then do the arithmetic on the sample arrays with numpy:

- each module's fit per draw: the base fit plus the sizes (uncertain, ``assumptions/rules.yaml``) of the
  rules' changes that fired; it multiplies the module's sales potential;
- what the business can bring each module (current GMV, reachable customers, agents) and what each module
  earns at steady state beside the others of a set (``set_returns``);
- each module at the operating level (lean, standard, scaled) that earns most for the lead on its own;
- for each of the 16 sets of modules: the staffing, the hires the monthly budget pays for, the shortfall, how
  much it stretches every ramp, the customer service the orders need, the monthly cost and gross profit;
- for each candidate plan: when each phase starts (after its hires), when each module is operational and at
  steady state (slowed by the modules started beside it and by a rule's "belongs later"), what is spent and
  earned over the horizon (each module, in each phase, earning what it earns beside the modules running
  then), and the objective's risk-adjusted net;
- the plan ``engine.ranking.choose`` would pick (plans within two standard errors or the objective's tie
  margin of the best are a tie, won by the fewest phases), its money month by month and its payback.

It reads from the engine only data and rules: the assumption set (module traits included), which rules fire
and the central fit (``assess_fit``), the dated platform events and the candidate plans. None of
``engine.model``'s arithmetic is used, so the benchmark compares two implementations and the agreement between
their choices is a check of both. Each lead gets its own independent draws (the engine shares one set of draws
across all leads), so the two agree on most leads, not on all: where two plans (or two operating levels) are
close, sampling noise decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import squigglepy as sq

from engine.assumptions import LEVELS, AssumptionSet, Level, Param, Role
from engine.events import DAIHUOREN, LINK_REORG
from engine.fit import assess_fit
from engine.plans import Plan, candidate_plans
from engine.profile import MODULES, MerchantProfile, Module

ROLES: tuple[Role, ...] = Role.__args__
WEEKS_PER_MONTH = 52 / 12
MIN_STAFF_FTE = 0.05  # below this the merchant has, in effect, nobody
MIN_ORDER_VALUE_CNY = 1.0  # orders are GMV / order value: below a yuan an order is, in effect, a yuan


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
    recommend_lead(profile, assumptions, as_of, 1, 0, sampler=reader)
    return set(reader.samples)


def mode(assumptions: AssumptionSet, path: str, as_of: date) -> float:
    """The most likely value of a parameter (for decisions and defaults, which are not uncertain)."""
    return assumptions.param_map[path].mode_at(as_of)


@dataclass
class ModuleSim:
    """One module at one operating level for the lead: arrays of ``n`` draws."""

    level: Level
    setup: np.ndarray  # CNY, one-time
    monthly: np.ndarray  # CNY/month: fixed items, boosts and seats
    fte: dict[Role, np.ndarray]
    operational_weeks: np.ndarray
    steady_state_weeks: np.ndarray
    reach: np.ndarray  # the level's sales-potential multiplier
    bought_gmv: np.ndarray  # GMV bought with paid boosts (Channels), CNY/month
    concurrent_weight: np.ndarray  # how much it slows modules started beside it

    @property
    def total_fte(self) -> np.ndarray:
        return sum(self.fte.values(), np.zeros_like(self.setup))


@dataclass
class Demand:
    """What the lead's business can bring each module (before levels, fit and the set), CNY/month, and what it
    keeps of a yuan of GMV."""

    public: np.ndarray  # Channels' new buyers at a standard level
    channel_contacts: np.ndarray  # Channels' sales to reachable customers
    agents: np.ndarray  # active agents' GMV
    shop_organic: np.ndarray
    shop_contacts: np.ndarray
    migration: np.ndarray | float  # shelf-store buyers moved into the mall
    mall_orders: np.ndarray  # GMV per reachable customer per month
    wecom_orders: np.ndarray
    uplift: np.ndarray
    return_public: np.ndarray
    return_private: np.ndarray
    commission: np.ndarray
    capture: np.ndarray  # reachable customers added per yuan of Channels' public GMV
    overlap: np.ndarray
    daihuoren_share: np.ndarray
    via_mall: np.ndarray
    fee: dict[Module, np.ndarray]
    reach: float
    margin: float


@dataclass
class ModuleSet:
    """One set of new modules (plus what runs today, counted in staffing only)."""

    setup: np.ndarray
    monthly: np.ndarray  # the new modules' costs and the hires' pay, CNY/month
    required_fte: np.ndarray
    hired_fte: np.ndarray
    shortfall_fte: np.ndarray
    pay_per_fte: np.ndarray
    stretch: np.ndarray  # how much a staff shortfall slows every ramp
    stretch_unhired: np.ndarray  # the same if nobody were hired
    gmv: np.ndarray  # steady-state incremental GMV, CNY/month
    gross_profit: dict[Module, np.ndarray]  # each new module's steady monthly gross profit


@dataclass
class LeadResult:
    plans: list[Plan]
    scores: np.ndarray  # (plans, draws)
    chosen: int
    levels: dict[Module, Level]  # of the modules running today and the candidates
    win_probability: float  # of the chosen plan's module set, its phasings pooled
    setup: tuple[float, float, float]  # P10, P50, P90 of the chosen plan
    monthly: tuple[float, float, float]
    first_year: tuple[float, float, float]  # cost over the first 12 months
    net_first_year: tuple[float, float, float]
    payback_months: tuple[float, float, float]  # inf beyond the horizon
    p_payback_within_horizon: float
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


def order_value(profile: MerchantProfile) -> float:
    return max(profile.avg_order_value_cny, MIN_ORDER_VALUE_CNY)


def scale(profile: MerchantProfile, assumptions: AssumptionSet, as_of: date) -> tuple[float, float]:
    """Current monthly GMV and reachable customers: the lead's, or defaults in ``assumptions/scale.yaml``."""
    gmv = profile.current_monthly_gmv_cny
    if gmv is None:
        per_yuan = mode(assumptions, f"scale.current_gmv_per_budget_yuan.{profile.business_type}", as_of)
        gmv = profile.budget_monthly_cny * per_yuan
    reach = profile.reachable_customers
    if reach is None:
        reach = round(
            mode(assumptions, f"scale.reachable_customers_by_private_domain.{profile.private_domain}", as_of)
            * mode(assumptions, f"scale.reachable_customers_by_business_type.{profile.business_type}", as_of)
        )
    return float(gmv), float(reach)


def demand(
    profile: MerchantProfile, assumptions: AssumptionSet, gmv: float, reach: float, s: Sampler
) -> Demand:
    r, aov = "returns", order_value(profile)
    shelf = bool(profile.shelf_platforms)
    fees = {  # a shelf (the module's traits say which are) charges a share of the GMV sold through it
        m: sum((s(f"modules.{m}.gmv_share.{k}") for k in spec.gmv_share), np.zeros(s.n))
        for m, spec in assumptions.modules.items()
        if spec.traits.shelf
    }
    return Demand(
        public=gmv * s(f"{r}.channels_share_of_current_gmv") + s(f"{r}.channels_base_gmv_cny"),
        channel_contacts=reach * s(f"{r}.channels_contact_orders") * aov,
        agents=profile.distributors * s(f"{r}.agent_monthly_gmv") * s(f"{r}.agent_active_share"),
        shop_organic=gmv * s(f"{r}.shop_organic_share"),
        shop_contacts=reach * s(f"{r}.shop_contact_orders") * aov,
        migration=gmv * s(f"{r}.shelf_migration_share") if shelf else 0.0,
        mall_orders=s(f"{r}.mall_contact_orders") * aov,
        wecom_orders=s(f"{r}.wecom_contact_orders") * aov,
        uplift=s(f"{r}.private_order_value_uplift"),
        return_public=s(f"{r}.return_rate_public"),
        return_private=s(f"{r}.return_rate_private"),
        commission=s(f"{r}.agent_commission"),
        capture=s(f"{r}.capture_rate") * s(f"{r}.capture_months") / aov,
        overlap=s(f"{r}.shelf_overlap"),
        daihuoren_share=s(f"{r}.daihuoren_share_of_agent_gmv"),
        via_mall=s(f"{r}.mall_channels_conversion"),
        fee=fees,
        reach=reach,
        margin=profile.gross_margin,
    )


def set_returns(
    new: int, kept: int, d: Demand, sims: dict[Module, ModuleSim], lift: dict[Module, np.ndarray], as_of: date
) -> dict[Module, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Steady monthly GMV, gross profit and the GMV the merchant's own service handles (agents serve their own
    buyers) of each new module of a set, beside everything that runs.

    Channels sells to new buyers and contacts, carries the agents' streams and what its boosts buy, through
    the shop or (losing some buyers) a mall; without Channels the shop carries agents as 带货人 (from 2025);
    the mall and WeCom sell again to reachable customers and the buyers Channels adds, those who bought (the
    mall once linkable, 2024-05); two shelves overlap. Gross profit: the margin on GMV net of returns and the
    shelf's fee, less commission.
    """
    run = new | kept
    has = {m: bool(run & bits([m])) for m in MODULES}
    out = {}
    through_mall = not has["shop"]
    public: np.ndarray | float = 0.0
    captured: np.ndarray | float = 0.0
    if has["channels"]:
        public = d.public * sims["channels"].reach * lift["channels"] + sims["channels"].bought_gmv
        if through_mall:  # Channels sells through a mall: some buyers are lost on the way
            public = public * d.via_mall
        captured = public * d.capture  # only buyers who bought join the private domain
    agents_to = "channels" if has["channels"] else "shop" if has["shop"] and as_of >= DAIHUOREN else None
    agents: np.ndarray | float = d.agents * lift[agents_to] if agents_to else 0.0
    if agents_to == "shop":
        agents = agents * d.daihuoren_share
    shelf_fee = d.fee["miniprogram"] if through_mall else d.fee["shop"]

    def gross(gmv, returns, fee, commissioned=0.0) -> np.ndarray:
        return gmv * (1.0 - returns) * (d.margin - fee) - d.commission * commissioned

    if new & bits(["channels"]):
        ch = sims["channels"]
        contacts = d.channel_contacts * ch.reach * lift["channels"]
        if through_mall:
            contacts = contacts * d.via_mall
        mine = agents if agents_to == "channels" else 0.0
        gmv = public + contacts + mine
        out["channels"] = (gmv, gross(gmv, d.return_public, shelf_fee, mine), gmv - mine)
    if new & bits(["shop"]):
        shared = 1.0 - d.overlap if kept & bits(["miniprogram"]) else 1.0  # a mall running today
        level = sims["shop"].reach * lift["shop"] * shared
        organic, contacts = d.shop_organic * level, d.shop_contacts * level
        mine = agents if agents_to == "shop" else 0.0
        gmv = organic + contacts + mine
        profit = gross(organic + mine, d.return_public, d.fee["shop"], mine)
        profit = profit + gross(contacts, d.return_private, d.fee["shop"])
        out["shop"] = (gmv, profit, gmv - mine)
    if new & bits(["miniprogram"]):
        customers = d.reach + (captured if as_of >= LINK_REORG else 0.0)
        shared = 1.0 - d.overlap if has["shop"] else 1.0  # the shop already serves the contacts
        level = sims["miniprogram"].reach * lift["miniprogram"]
        gmv = (customers * d.mall_orders * d.uplift * shared + d.migration) * level
        out["miniprogram"] = (gmv, gross(gmv, d.return_private, d.fee["miniprogram"]), gmv)
    if new & bits(["wecom"]):
        contacts = d.reach + captured
        gmv = contacts * d.wecom_orders * d.uplift * sims["wecom"].reach * lift["wecom"]
        fee = d.fee["shop"] if has["shop"] and not has["miniprogram"] else d.fee["miniprogram"]
        out["wecom"] = (gmv, gross(gmv, d.return_private, fee), gmv)
    return out


def promotion(profile: MerchantProfile, assumptions: AssumptionSet, as_of: date, level: Level) -> float:
    """Monthly boost spend, a decision: where the next yuan's expected gross profit falls below a yuan, capped
    by the level's usual budget and a share of the monthly budget."""
    roas = mode(assumptions, "returns.promotion_roas", as_of)
    saturation = mode(assumptions, "returns.promotion_saturation_cny", as_of)
    fee = sum(p.mode_at(as_of) for p in assumptions.modules["shop"].gmv_share.values())
    keep = (1.0 - mode(assumptions, "returns.return_rate_public", as_of)) * (profile.gross_margin - fee)
    best = max(saturation * (roas * keep - 1.0), 0.0)
    usual = mode(assumptions, "modules.channels.monthly.promotion", as_of) * mode(
        assumptions, f"modules.channels.levels.{level}.spend", as_of
    )
    cap = mode(assumptions, "returns.promotion_budget_share", as_of) * profile.budget_monthly_cny
    return min(best, usual, cap)


def driver(profile: MerchantProfile, s: Sampler, what: str, by: str) -> np.ndarray:
    """How the lead's existing operation speeds a module's ramp (``what="ramp"``) or covers part of its set-up
    and staffing (``"reuse"``), by the profile trait the module's traits name."""
    if by == "douyin_presence":
        name = "channels_ramp_by_douyin" if what == "ramp" else "channels_reuse_by_douyin"
        return s(f"adjustments.{name}.{profile.douyin_presence}")
    if by == "private_domain":
        name = "private_ramp_by_private_domain" if what == "ramp" else "wecom_reuse_by_private_domain"
        return s(f"adjustments.{name}.{profile.private_domain}")
    if not profile.shelf_platforms:  # shelf experience: only with a store on Taobao, JD or Pinduoduo
        return np.ones(s.n)
    return s(
        "adjustments.shop_ramp_with_shelf_experience"
        if what == "ramp"
        else "adjustments.shop_content_reuse_with_shelf"
    )


def module_at(
    profile: MerchantProfile,
    assumptions: AssumptionSet,
    s: Sampler,
    module: Module,
    level: Level,
    reach: float,
    promo: float,
) -> ModuleSim:
    """What a module costs, needs and takes at one operating level for the lead."""
    spec, p = assumptions.modules[module], f"modules.{module}"
    lv = f"{p}.levels.{level}"
    spend, staffing, potential, pace = (
        s(f"{lv}.spend"),
        s(f"{lv}.staffing"),
        s(f"{lv}.reach"),
        s(f"{lv}.ramp"),
    )
    n = s.n
    # What the merchant already has (a Douyin team, a private-domain team, shelf listings) is reused: the
    # module's traits say by which profile trait, for which set-up items and which roles.
    reuse = spec.traits.reuse
    lent = driver(profile, s, "reuse", reuse.by) if reuse else 1.0
    setup, monthly = np.zeros(n), np.zeros(n)
    # Discretionary spend (equipment, builds, content) scales with the level; fixed fees do not.
    for key, param in spec.setup.items():
        value = s(f"{p}.setup.{key}")
        if param.distribution != "fixed":
            value = value * spend
            if reuse and (reuse.setup or key in reuse.setup_items):
                value = value * lent
        setup += value
    for key, param in spec.monthly.items():
        if module == "channels" and key == "promotion":
            monthly += promo  # a decision, not a draw
        else:
            monthly += s(f"{p}.monthly.{key}") * (1.0 if param.distribution == "fixed" else spend)
    shared = reuse.roles if reuse else ()
    fte = {
        role: s(f"{p}.staffing.{role}") * staffing * (lent if role in shared else 1.0)
        for role in spec.staffing
    }
    seats = np.maximum(sum(fte.values(), np.zeros(n)), 1.0)
    if spec.traits.seats_hold_contacts:  # WeCom: seats for the customers held, and for agents
        held = reach / s("returns.contacts_per_seat") + profile.distributors * s("returns.agent_seat_share")
        seats = np.maximum(seats, held)
    for key in spec.per_seat:
        monthly += seats * s(f"{p}.per_seat.{key}")
    speed = driver(profile, s, "ramp", spec.traits.ramp_driver) * pace
    operational = s(f"{p}.ramp.operational_weeks") * speed
    bought = np.zeros(n)
    if module == "channels" and promo > 0:
        roas, saturation = s("returns.promotion_roas"), s("returns.promotion_saturation_cny")
        bought = roas * saturation * np.log1p(promo / saturation)  # diminishing returns
    return ModuleSim(
        level=level,
        setup=setup,
        monthly=monthly,
        fte=fte,
        operational_weeks=operational,
        steady_state_weeks=operational + s(f"{p}.ramp.steady_state_extra_weeks") * speed,
        reach=potential,
        bought_gmv=bought,
        concurrent_weight=s(f"{p}.ramp.concurrent_weight"),
    )


def choose_levels(
    profile: MerchantProfile,
    assumptions: AssumptionSet,
    s: Sampler,
    candidates: tuple[Module, ...],
    reach: float,
    d: Demand,
    lift: dict[Module, np.ndarray],
    pay: dict[Role, np.ndarray],
    horizon: float,
) -> dict[Module, ModuleSim]:
    """The modules running today at a standard level; each candidate at the level that earns most for the lead
    on its own (with what runs today and, for Channels, a shop to sell through) over the horizon: gross profit
    from the middle of its ramp on, less monthly costs, the pay of any hires (its customer service growing
    with the orders it serves) and the set-up, on average; the smallest level within the tie margin of the best."""
    as_of, aov = s.as_of, order_value(profile)
    kept = bits(profile.existing_modules)
    sims = {
        m: module_at(
            profile, assumptions, s, m, "standard", reach, promotion(profile, assumptions, as_of, "standard")
        )
        for m in members(kept)
    }
    team = max(profile.staff_fte, MIN_STAFF_FTE) - sum((sims[m].total_fte for m in sims), np.zeros(s.n))
    available = np.maximum(team, 0.0)  # the team left after what runs today
    per_order = s("returns.orders_per_service_fte")
    for m in candidates:
        options = [
            module_at(profile, assumptions, s, m, lv, reach, promotion(profile, assumptions, as_of, lv))
            for lv in LEVELS
        ]
        means = []
        for sim in options:
            helper = bits(["shop"]) if m == "channels" else 0
            _, profit, served = set_returns(bits([m]), kept | helper, d, {**sims, m: sim}, lift, as_of)[m]
            # Customer service as in the set table: the module's own need or the orders it serves, the larger.
            own = sim.fte.get("customer_service", 0.0)
            need = sim.total_fte - own + np.maximum(own, served / aov / per_order)
            hires = np.maximum(need - available, 0.0)
            wage = sum((sim.fte[r] * pay[r] for r in sim.fte), 0.0) / np.maximum(sim.total_fte, 1e-9)
            ramp = (sim.operational_weeks + sim.steady_state_weeks) / 2 / WEEKS_PER_MONTH
            earning = np.clip(horizon - ramp, 0, None)
            net = profit * earning - (sim.monthly + hires * wage) * horizon - sim.setup
            means.append(net.mean())
        # The smallest level within the tie margin of the best (the engine's rule).
        o = assumptions.objective
        floor = o.cost_scale_floor.mode_at(as_of)
        budget = profile.budget_setup_cny + horizon * profile.budget_monthly_cny
        margin = o.tie_margin.mode_at(as_of) * max(budget, floor)
        top = max(means)
        sims[m] = options[next(i for i, v in enumerate(means) if v >= top - margin)]
    return sims


def module_sets(
    profile: MerchantProfile,
    s: Sampler,
    sims: dict[Module, ModuleSim],
    d: Demand,
    lift: dict[Module, np.ndarray],
    pay: dict[Role, np.ndarray],
    masks: list[int],
) -> dict[int, ModuleSet]:
    """Staffing, hires, shortfall, ramp stretch, monthly cost and steady returns of every set in ``masks``."""
    n = s.n
    # Share of the smaller needs for a role, across modules, that the people filling the largest one cover.
    overlap = s("adjustments.role_overlap")
    elasticity = s("adjustments.shortfall_ramp_elasticity")
    per_order = s("returns.orders_per_service_fte")
    available = max(profile.staff_fte, MIN_STAFF_FTE)
    kept = bits(profile.existing_modules)

    def roles(run: int) -> dict[Role, np.ndarray]:
        out = {}
        for role in ROLES:
            needs = [sims[m].fte[role] for m in members(run) if role in sims[m].fte]
            if not needs:
                out[role] = np.zeros(n)
                continue
            largest, total = np.max(needs, axis=0), np.sum(needs, axis=0)
            out[role] = largest + (1 - overlap) * (total - largest)
        return out

    today = roles(kept)
    team = np.maximum(available, sum(today.values(), np.zeros(n)))  # nobody running today is let go
    sets = {}
    for mask in masks:
        new = members(mask)
        need = roles(mask | kept)
        returns = set_returns(mask, kept, d, sims, lift, s.as_of)
        gmv = sum((g for g, _, _ in returns.values()), np.zeros(n))
        served = sum((x for _, _, x in returns.values()), np.zeros(n))
        # Customer service grows with the orders the merchant serves, beyond what the modules need anyway.
        need["customer_service"] = np.maximum(
            need["customer_service"],
            today["customer_service"] + served / order_value(profile) / per_order,
        )
        required = sum(need.values(), np.zeros(n))
        wage = sum((need[r] * pay[r] for r in ROLES), np.zeros(n)) / np.maximum(required, 1e-9)
        fixed = sum((sims[m].monthly for m in new), np.zeros(n))
        missing = np.maximum(required - team, 0.0)
        # The monthly budget left after the modules' own costs pays for hires; only the rest is a shortfall.
        affordable = np.maximum(profile.budget_monthly_cny - fixed, 0.0) / np.maximum(wage, 1e-9)
        hired = np.minimum(missing, affordable)
        ratio = required / (team + hired)
        sets[mask] = ModuleSet(
            setup=sum((sims[m].setup for m in new), np.zeros(n)),
            monthly=fixed + hired * wage,
            required_fte=required,
            hired_fte=hired,
            shortfall_fte=missing - hired,
            pay_per_fte=wage,
            stretch=np.where(ratio > 1, ratio**elasticity, 1.0),
            stretch_unhired=np.where(required > team, (required / team) ** elasticity, 1.0),
            gmv=gmv,
            gross_profit={m: gp for m, (_, gp, _) in returns.items()},
        )
    return sets


def ramp_area(operational: np.ndarray, steady: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Weeks of full earning accrued by week ``t``: none before operational, a straight ramp up to steady."""
    span = np.maximum(steady - operational, 1e-9)
    ramping = np.minimum(np.clip(t - operational, 0.0, None), span)
    return ramping * ramping / (2 * span) + np.maximum(t - steady, 0.0)


def choose(scores: np.ndarray, plans: list[Plan], margin: float = 0.0) -> int:
    """The best mean score; among plans tied with it (the paired mean difference within two standard errors,
    or at most ``margin``: not worth the trouble), the fewest phases."""
    mean = scores.mean(axis=1)
    best = max(range(len(plans)), key=lambda i: (mean[i], -i))
    diff = scores[best] - scores
    se = diff.std(axis=1) / np.sqrt(scores.shape[1])
    close = [i for i in range(len(plans)) if diff[i].mean() <= max(2 * se[i], margin)]
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
    n = s.n
    o = assumptions.objective
    weight = {name: param.mode_at(as_of) for name, param in o.weights.items()}
    horizon = o.horizon_months.mode_at(as_of)  # months
    budget = profile.budget_setup_cny + horizon * profile.budget_monthly_cny
    cost_scale = max(budget, o.cost_scale_floor.mode_at(as_of))

    # Which modules are worth considering: the rules' fit, the threshold, the feasible phasings.
    fit = assess_fit(profile, assumptions, as_of)
    kept = profile.existing_modules
    min_fit = o.min_fit.mode_at(as_of)
    candidates = tuple(m for m in MODULES if m not in kept and fit.fit[m] >= min_fit)
    plans = candidate_plans(candidates, kept, as_of, assumptions)
    # The rules act through the return: (fit / neutral fit) ^ elasticity multiplies a module's GMV potential.
    # Their effect sizes are uncertain (assumptions/rules.yaml), so the fit is drawn: base fit plus the size
    # of every change that fired, clipped to [0, 1]. (Which modules are candidates goes by the central fit.)
    neutral, power = o.neutral_fit.mode_at(as_of), o.fit_gmv_elasticity.mode_at(as_of)
    lift = {}
    for m in MODULES:
        drawn = np.full(n, o.base_fit[m].mode_at(as_of))
        for rule, module in fit.moves:
            if module == m:
                drawn += s(f"rules.effects.{rule}.{m}")
        lift[m] = (np.clip(drawn, 0.0, 1.0) / neutral) ** power

    gmv, reach = scale(profile, assumptions, as_of)
    d = demand(profile, assumptions, gmv, reach, s)
    tier = s(f"salaries.tier_multiplier.{profile.city_tier}") * s("salaries.employer_on_cost")
    pay = {role: s(f"salaries.tier1_monthly.{role}") * tier for role in ROLES}
    sims = choose_levels(profile, assumptions, s, candidates, reach, d, lift, pay, horizon)
    masks = [mask for mask in range(16) if not mask & ~bits(candidates)]
    sets = module_sets(profile, s, sims, d, lift, pay, masks)

    def timeline(plan: Plan):
        """Each phase's start, end (the next phase's start; the last runs on) and modules so far, and each
        module's weeks to operational and to steady state."""
        drag, lag = s("adjustments.concurrent_ramp_drag"), s("adjustments.hiring_lag_weeks")
        start, before = np.zeros(n), 0
        phases, operational, steady = [], {}, {}
        for k, phase in enumerate(plan):
            so_far = before | bits(phase)
            table = sets[so_far]
            slow = {}  # modules started together slow each other; a rule's "belongs later" slows phase 1
            for m in phase:
                others = sum(sims[other].concurrent_weight for other in phase if other != m)
                slow[m] = 1.0 + drag * others
                if k == 0 and m in fit.defer:
                    slow[m] = slow[m] * s("adjustments.defer_ramp_stretch")
            # A phase that hires waits for its hires, but never longer than going ahead short-handed would
            # lose: the steady-state weeks the hires save.
            wait = lag * np.clip(table.hired_fte - sets[before].hired_fte, 0.0, 1.0)
            saved = np.max(
                [
                    sims[m].steady_state_weeks * slow[m] * (table.stretch_unhired - table.stretch)
                    for m in phase
                ],
                axis=0,
            )
            begin = start + np.minimum(wait, saved)
            length = np.zeros(n)
            for m in phase:  # a short team slows every ramp
                operational[m] = begin + sims[m].operational_weeks * (table.stretch * slow[m])
                steady[m] = begin + sims[m].steady_state_weeks * (table.stretch * slow[m])
                length = np.maximum(length, operational[m] - start)
            phases.append([start, start + length, so_far])
            start, before = start + length, so_far
        phases[-1][1] = np.full(n, np.inf)
        return phases, operational, steady

    def money(plan: Plan, phases, operational, steady, t: float):
        """Cost, gross profit and the pay of the missing work accrued by week ``t``."""
        cost, lack, profit = np.zeros(n), np.zeros(n), np.zeros(n)
        for phase, (begin, end, so_far) in zip(plan, phases, strict=True):
            cost += np.where(begin <= t, sets[bits(phase)].setup, 0.0)
            span = np.clip(np.minimum(end, t) - begin, 0.0, None) / WEEKS_PER_MONTH  # months run by t
            cost += sets[so_far].monthly * span
            lack += sets[so_far].shortfall_fte * sets[so_far].pay_per_fte * span
        # Each module earns, in each phase, what it earns beside the modules running then (a shop sells
        # through agents until Channels takes them; WeCom counts Channels' buyers only once Channels runs).
        for begin, end, so_far in phases:
            lo, hi = np.minimum(begin, t), np.minimum(end, t)
            for m, gp in sets[so_far].gross_profit.items():
                earned = ramp_area(operational[m], steady[m], hi) - ramp_area(operational[m], steady[m], lo)
                profit += gp * earned / WEEKS_PER_MONTH
        return cost, profit, lack

    def score(plan: Plan) -> np.ndarray:
        if not plan:
            return np.zeros(n)
        cost, profit, lack = money(plan, *timeline(plan), horizon * WEEKS_PER_MONTH)
        net = profit - cost
        return (
            net
            - weight["downside"] * np.maximum(-net, 0.0)
            - weight["budget_overrun"] * np.maximum(cost - budget, 0.0)
            - weight["staff_shortfall"] * lack
        ) / cost_scale

    scores = np.stack([score(plan) for plan in plans])
    chosen = choose(scores, plans, o.tie_margin.mode_at(as_of))
    plan = plans[chosen]
    full = bits(m for phase in plan for m in phase)
    set_of = np.array([bits(m for phase in p for m in phase) for p in plans])
    winners = set_of[np.argmax(scores, axis=0)]

    # The chosen plan's money month by month: cumulative cost and gross profit at each month's end.
    months = max(12, round(horizon))
    if plan:
        phases, operational, steady = timeline(plan)
        cum = [money(plan, phases, operational, steady, k * WEEKS_PER_MONTH)[:2] for k in range(months + 1)]
        cost, profit = np.array([c for c, _ in cum]), np.array([p for _, p in cum])
        done = np.max(np.stack(list(operational.values())), axis=0)
        stable = np.max(np.stack(list(steady.values())), axis=0)
    else:
        cost = profit = np.zeros((months + 1, n))
        done = stable = np.zeros(n)
    net = profit[1:] - cost[1:]  # cumulative net at the end of months 1, 2, ...
    paid = net[: round(horizon)] >= 0
    spent = cost[round(horizon)] > 0
    payback = np.where(paid.any(axis=0) & spent, np.argmax(paid, axis=0) + 1.0, np.inf)

    def band(values: np.ndarray) -> tuple[float, float, float]:
        with np.errstate(invalid="ignore"):  # between two infinite draws numpy gives nan: unbounded
            p10, p50, p90 = np.nan_to_num(np.percentile(values, [10, 50, 90]), nan=np.inf)
        return float(p10), float(p50), float(p90)

    return LeadResult(
        plans=plans,
        scores=scores,
        chosen=chosen,
        levels={m: sims[m].level for m in sims},
        win_probability=float(np.mean(winners == full)),
        setup=band(sets[full].setup),
        monthly=band(sets[full].monthly),
        first_year=band(cost[12]),
        net_first_year=band(net[11]),
        payback_months=band(payback),
        p_payback_within_horizon=float(np.mean(np.isfinite(payback))),
        operational_p50=float(np.median(done)),
        steady_state_p50=float(np.median(stable)),
        parameters_read=len(s.samples),
    )
