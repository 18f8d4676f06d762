"""``recommend``: a merchant profile in, a phased plan of WeChat modules out, with every verdict explained."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from engine import levers, model
from engine.assumptions import LEVELS, AssumptionSet, Level, Param, load
from engine.errors import InputError
from engine.i18n import Lang, t
from engine.overrides import Overrides
from engine.overrides import apply as apply_overrides
from engine.plans import (
    Plan,
    candidate_plans,
    module_name,
    ordered_partitions,
    parse_plan,
    plan_code,
    plan_label,
    shelf_ready,
)
from engine.profile import MODULES, MerchantProfile, Module
from engine.result import (
    Alternative,
    Band,
    CashMonth,
    CloseCall,
    CostOut,
    Counterfactual,
    Histogram,
    Item,
    ModuleResult,
    Money,
    PhaseOut,
    PlanOut,
    RampOut,
    Reason,
    Recommendation,
    ScaleOut,
    Staffing,
    Value,
    WarningOut,
)
from engine.rules import Firing, describe_effect, fire
from engine.sources import EARLIEST_EVIDENCE
from engine.text import amount

MIN_DRAWS, MAX_DRAWS = 100, 200_000
HORIZONS = (12, 24, 36)  # months a plan can be judged over
COUNTERFACTUAL_DRAWS = levers.SEARCH_DRAWS


# --- inputs ------------------------------------------------------------------------------------


def as_of_date(value: date | str | None) -> date:
    if value is None:
        return date.today()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise InputError("as_of", f"'{value}' is not a date of the form YYYY-MM-DD") from None
    if value < EARLIEST_EVIDENCE:
        raise InputError(
            "as_of", f"{value} is before the earliest evidence ({EARLIEST_EVIDENCE}); use a later date"
        )
    return value


def check_options(draws: int, seed: int) -> None:
    if not isinstance(draws, int) or not MIN_DRAWS <= draws <= MAX_DRAWS:
        raise InputError("draws", f"must be an integer from {MIN_DRAWS} to {MAX_DRAWS}, got {draws!r}")
    if not isinstance(seed, int) or seed < 0:
        raise InputError("seed", f"must be a non-negative integer, got {seed!r}")


def assumption_set(value: AssumptionSet | str | Path | None) -> AssumptionSet:
    return value if isinstance(value, AssumptionSet) else load(value)


# --- fit ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A profile's fit per module at the central sizes of the rules' effects, with what produced it."""

    fit: dict[Module, float]
    defer: frozenset[Module]
    needs_traffic: frozenset[Module]
    firings: tuple[Firing, ...]
    moves: tuple[tuple[str, Module], ...] = ()  # (rule id, module) of every fit change that fired


def assess_fit(profile: MerchantProfile, assumptions: AssumptionSet, as_of: date) -> Fit:
    """Base fit plus the fit changes of every rule that fires (central sizes), clipped to [0, 1]."""
    firings = tuple(fire(profile, as_of))
    fit = {m: assumptions.objective.base_fit[m].mode_at(as_of) for m in MODULES}
    defer: set[Module] = set()
    needs_traffic: set[Module] = set()
    moves: list[tuple[str, Module]] = []
    for f in firings:
        for e in f.effects:
            if e.fit:
                fit[e.module] += assumptions.effect(f.rule.id, e.module).mode_at(as_of)
                moves.append((f.rule.id, e.module))
            if e.defer:
                defer.add(e.module)
            if e.needs_traffic:
                needs_traffic.add(e.module)
    clipped = {m: round(min(max(v, 0.0), 1.0), 4) for m, v in fit.items()}
    return Fit(clipped, frozenset(defer), frozenset(needs_traffic), firings, tuple(moves))


def fit_draws(fits: list[Fit], assumptions: AssumptionSet, draws: model.Draws) -> np.ndarray:
    """Each profile's fit per module on every draw, (profiles, modules, n): the rules' effect sizes are
    uncertain (``assumptions/rules.yaml``), so they are Monte Carlo inputs like every other assumption."""
    base = np.array([assumptions.objective.base_fit[m].mode_at(draws.as_of) for m in MODULES])
    out = np.broadcast_to(base[None, :, None], (len(fits), len(MODULES), draws.n)).copy()
    for j, f in enumerate(fits):
        for rule, module in f.moves:
            out[j, MODULES.index(module)] += draws[f"rules.effects.{rule}.{module}"]
    return np.clip(out, 0.0, 1.0)


# --- ranking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranking:
    """Every candidate plan scored on every draw, and the chosen one (a cohort of one profile)."""

    profile: MerchantProfile
    assumptions: AssumptionSet
    as_of: date
    draws: model.Draws
    plans: list[Plan]
    scores: np.ndarray  # (plans, draws)
    mean: np.ndarray
    chosen: int
    cohort: model.Cohort
    sims: dict[Module, model.ModuleSim]
    table: model.SetTable
    objective: model.Objective
    fit: Fit
    fit_array: np.ndarray  # (1, modules)
    defer: np.ndarray  # (1, modules) bool
    below_threshold: frozenset[Module]

    def simulate(self, index: int) -> model.PlanSim:
        return model.evaluate_plan(
            self.plans[index], self.sims, self.table, self.objective, self.defer, self.fit_array
        )

    def level(self, module: Module) -> Level:
        return LEVELS[int(self.sims[module].level[0])]

    def levels(self) -> dict[Module, Level]:
        return {m: self.level(m) for m in MODULES}


def eligible(
    profile: MerchantProfile, fit: Fit, assumptions: AssumptionSet, as_of: date
) -> tuple[frozenset[Module], tuple[Module, ...]]:
    """New modules whose fit is below the threshold, and the candidates: modules neither kept nor below."""
    min_fit = assumptions.objective.min_fit.mode_at(as_of)
    kept = profile.existing_modules
    below = frozenset(m for m in MODULES if m not in kept and fit.fit[m] < min_fit)
    return below, tuple(m for m in MODULES if m not in kept and m not in below)


def fit_arrays(
    fits: list[Fit], assumptions: AssumptionSet, draws: model.Draws
) -> tuple[np.ndarray, np.ndarray]:
    """Fit per draw (profiles, modules, n) and the rules' "belongs later" advice (profiles, modules), for the
    model."""
    defer = np.array([[m in f.defer for m in MODULES] for f in fits], dtype=bool)
    return fit_draws(fits, assumptions, draws), defer


def rank(
    profile: MerchantProfile,
    assumptions: AssumptionSet,
    as_of: date,
    draws: model.Draws,
    forced: tuple[tuple[Module, ...], Plan | None] | None = None,
    levels: dict[Module, Level] | None = None,
    horizon_months: int | None = None,
) -> Ranking:
    """Score every candidate plan on every draw and pick the best mean score (or the best forced plan)."""
    fit = assess_fit(profile, assumptions, as_of)
    kept = profile.existing_modules
    below, candidates = eligible(profile, fit, assumptions, as_of)
    plans = candidate_plans(candidates, kept, as_of, assumptions)
    forced_plans: list[Plan] = []
    if forced is not None:
        modules, phases = forced
        if phases is not None:
            forced_plans = [phases]
        else:
            options = list(ordered_partitions(modules))
            forced_plans = [p for p in options if shelf_ready(p, kept, as_of, assumptions)] or options
        plans += [p for p in forced_plans if p not in plans]
    cohort = model.Cohort.of([profile], assumptions, as_of, [levels])
    fit_array, defer = fit_arrays([fit], assumptions, draws)
    objective = model.Objective.for_cohort(assumptions, cohort, draws, horizon_months)
    sims = model.cohort_sims(assumptions, cohort, draws, fit_array, objective.horizon_months)
    table = model.cohort_table(assumptions, sims, cohort, draws, fit_array)
    scores = model.score_plans(plans, sims, table, objective, defer, fit_array)[:, 0]
    mean = scores.mean(axis=1)
    pool = [plans.index(p) for p in forced_plans] if forced_plans else list(range(len(plans)))
    chosen = choose(scores, mean, pool, plans, assumptions.objective.tie_margin.mode_at(as_of))
    return Ranking(
        profile,
        assumptions,
        as_of,
        draws,
        plans,
        scores,
        mean,
        chosen,
        cohort,
        sims,
        table,
        objective,
        fit,
        fit_array,
        defer,
        below,
    )


def rescore(r: Ranking, assumptions: AssumptionSet) -> Ranking:
    """:func:`rank` for the same profile and draws under other objective *weights* (``assumptions`` differs
    from ``r.assumptions`` in ``objective.weights`` only): the modules, levels and set table do not depend on
    the weights, so only the plans are scored again - the same figures as ranking from scratch."""
    objective = replace(
        r.objective,
        w_downside=assumptions.objective.weights["downside"].mode_at(r.as_of),
        w_budget=assumptions.objective.weights["budget_overrun"].mode_at(r.as_of),
        w_staff=assumptions.objective.weights["staff_shortfall"].mode_at(r.as_of),
    )
    scores = model.score_plans(r.plans, r.sims, r.table, objective, r.defer, r.fit_array)[:, 0]
    mean = scores.mean(axis=1)
    chosen = choose(
        scores, mean, list(range(len(r.plans))), r.plans, r.assumptions.objective.tie_margin.mode_at(r.as_of)
    )
    return replace(r, assumptions=assumptions, scores=scores, mean=mean, chosen=chosen, objective=objective)


def choose(
    scores: np.ndarray, mean: np.ndarray, pool: list[int], plans: list[Plan], margin: float = 0.0
) -> int:
    """The best mean score in ``pool``; among plans not distinguishable from it (the paired difference is
    within two standard errors, or below ``margin``: not worth the trouble), the one with fewest phases, being
    the simplest to run."""
    return int(choose_many(scores[:, None], mean[:, None], pool, plans, margin)[0])


def choose_many(
    scores: np.ndarray, mean: np.ndarray, pool: list[int], plans: list[Plan], margin: float = 0.0
) -> np.ndarray:
    """:func:`choose` for every profile of a cohort: ``scores`` (plans, size, n), ``mean`` (plans, size)."""
    candidates = np.sort(np.asarray(pool))
    every = len(candidates) == len(scores) and bool(np.all(candidates == np.arange(len(scores))))
    phases = np.array([len(plans[i]) for i in candidates])
    size = scores.shape[1]
    best = candidates[np.argmax(mean[candidates], axis=0)]  # the first best: the lowest index on a tie
    out = np.empty(size, dtype=np.int64)
    step = max(1, CHOOSE_BLOCK_ELEMENTS // (len(candidates) * scores.shape[2]))
    for j0 in range(0, size, step):  # a few profiles at a time, so that the differences stay in cache
        rows = slice(j0, min(j0 + step, size))
        block = scores[:, rows] if every else scores[candidates, rows]
        diff = scores[best[rows], np.arange(size)[rows]][None] - block  # (candidates, block, n)
        se = diff.std(axis=2) / np.sqrt(scores.shape[2])
        close = diff.mean(axis=2) <= np.maximum(2 * se, margin)
        for k, j in enumerate(range(size)[rows]):
            keep = candidates[close[:, k]]
            out[j] = keep[np.lexsort((keep, -mean[keep, j], phases[close[:, k]]))[0]]
    return out


CHOOSE_BLOCK_ELEMENTS = 1 << 19  # 4 MB of differences at a time


# --- output helpers ----------------------------------------------------------------------------


def _band(values: np.ndarray, digits: int = 0) -> Band:
    """P10/P50/P90, with ``None`` for a percentile that is unbounded (e.g. break-even out of reach)."""
    with np.errstate(invalid="ignore"):
        return band_of(np.percentile(values, [10, 50, 90]), digits)


def band_of(quantiles: np.ndarray, digits: int = 0) -> Band:
    """A band from P10/P50/P90 already computed, rounded to ``digits`` (``None`` where unbounded)."""
    out = [round(float(v), digits) if np.isfinite(v) else None for v in quantiles]
    return Band(p10=out[0], p50=out[1], p90=out[2])


def _plan_out(plan: Plan, sim: model.PlanSim, kept: tuple[Module, ...], lang: Lang, as_of: date) -> PlanOut:
    phases = [
        PhaseOut(phase=i + 1, modules=list(phase), start_week=_band(sim.phase_starts[i][0], 1))
        for i, phase in enumerate(plan)
    ]
    return PlanOut(
        label=plan_label(plan, kept, lang, as_of),
        code=plan_code(plan),
        fit=round(float(np.mean(sim.fit)), 4),
        modules=[m for m in MODULES if m in kept or any(m in p for p in plan)],
        kept=list(kept),
        phases=phases,
    )


@dataclass(frozen=True)
class Economics:
    """A plan's money month by month for one profile: arrays (months, n), months = max(12, horizon)."""

    horizon: int
    cost: np.ndarray
    profit: np.ndarray

    @cached_property
    def cumulative(self) -> np.ndarray:
        return np.cumsum(self.profit - self.cost, axis=0)

    def total(self, values: np.ndarray, months: int) -> np.ndarray:
        return values[:months].sum(axis=0)

    @cached_property
    def payback(self) -> np.ndarray:
        """Month (1-based) the cumulative net first turns non-negative within the horizon; inf otherwise."""
        ok = self.cumulative[: self.horizon] >= 0
        spent = self.cost[: self.horizon].sum(axis=0) > 0
        first = np.argmax(ok, axis=0) + 1.0
        return np.where(ok.any(axis=0) & spent, first, np.inf)


def economics(r: Ranking, plan: Plan) -> Economics:
    horizon = round(r.objective.horizon_months)
    cost, profit = model.cashflow(plan, r.sims, r.table, r.objective, r.defer, max(12, horizon))
    return Economics(horizon, cost[:, 0], profit[:, 0])


def _value(econ: Economics, sim: model.PlanSim) -> Value:
    h = econ.horizon
    cost_fy, gp_fy = econ.total(econ.cost, 12), econ.total(econ.profit, 12)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost_fy > 0, (gp_fy - cost_fy) / cost_fy, np.nan)
    cum = econ.cumulative
    payback = econ.payback
    # every month's bands in one call: (3 series, 3 percentiles, months)
    months = np.percentile(np.stack([econ.cost[:h], econ.profit[:h], cum[:h]]), [10, 50, 90], axis=2)
    months = np.moveaxis(months, 0, 1)
    return Value(
        horizon_months=h,
        gmv_monthly_steady_cny=_band(sim.gmv_steady[0]),
        gross_profit_cny=Money(first_year=_band(gp_fy), horizon=_band(econ.total(econ.profit, h))),
        cost_cny=Money(first_year=_band(cost_fy), horizon=_band(econ.total(econ.cost, h))),
        net_cny=Money(first_year=_band(gp_fy - cost_fy), horizon=_band(cum[h - 1])),
        roi_first_year=_band(roi, 3) if sim.plan else Band(p10=None, p50=None, p90=None),
        payback_months=_band(payback, 1),
        p_payback_within_horizon=round(float(np.mean(np.isfinite(payback))), 4),
        cashflow=[
            CashMonth(
                month=k + 1,
                cost=band_of(months[0, :, k]),
                gross_profit=band_of(months[1, :, k]),
                cumulative_net=band_of(months[2, :, k]),
            )
            for k in range(h)
        ],
    )


def _cost(sim: model.PlanSim, econ: Economics) -> CostOut:
    return CostOut(
        setup=_band(sim.setup[0]), monthly=_band(sim.monthly[0]), first_year=_band(econ.total(econ.cost, 12))
    )


def _ramp(sim: model.PlanSim) -> RampOut:
    return RampOut(operational=_band(sim.operational[0], 1), steady_state=_band(sim.steady_state[0], 1))


def _effect_text(firing: Firing, module: Module, lang: Lang, assumptions: AssumptionSet, as_of: date) -> str:
    return "; ".join(
        part
        for e in firing.effects
        if e.module == module
        for part in describe_effect(e, lang, _delta(firing, e, assumptions, as_of))
    )


def _delta(firing: Firing, effect, assumptions: AssumptionSet, as_of: date) -> float | None:
    return assumptions.effect(firing.rule.id, effect.module).mode_at(as_of) if effect.fit else None


def _reasons(fit: Fit, module: Module, lang: Lang, assumptions: AssumptionSet, as_of: date) -> list[Reason]:
    return [
        Reason(
            rule=f.rule.id,
            label=f.rule.label[lang],
            text=f.rule.text(lang),
            effect=_effect_text(f, module, lang, assumptions, as_of),
            sources=list(f.sources),
        )
        for f in fit.firings
        if any(e.module == module for e in f.effects)
    ]


def _refs(param: Param) -> list[str]:
    return [x.seed or x.url or f"estimate: {x.estimate}" for x in param.references]  # type: ignore[misc]


def _items(r: Ranking, sim: model.PlanSim, lang: Lang) -> list[Item]:
    """Cost breakdown of a plan: one-time and monthly items per module at its level, and the pay of hires per
    role (platform fees and agents' commission are netted out of the gross profit, not listed here)."""
    rows: list[Item] = []

    def add(
        module: Module | None, kind: str, key: str, label: str, unit: str, values: np.ndarray, refs: list[str]
    ) -> None:
        p10, p50, p90 = (round(float(v), 2) for v in np.percentile(values, [10, 50, 90]))
        rows.append(
            Item(
                module=module,
                kind=kind,
                item=key,
                label=label,
                unit=unit,
                p10=p10,
                p50=p50,
                p90=p90,
                references=refs,
            )
        )

    new = model.modules_of(sim.mask)
    sections = (
        ("setup", "setup", "CNY"),
        ("monthly", "monthly", "CNY/month"),
        ("seat", "per_seat", "CNY/month"),
    )
    for m in new:
        a, s = r.assumptions.modules[m], r.sims[m]
        for kind, section, unit in sections:
            items = {"setup": s.setup_items, "monthly": s.monthly_items, "seat": s.seat_items}[kind]
            params = getattr(a, section)
            for key, values in items.items():
                add(m, kind, key, getattr(params[key].label, lang), unit, values[0], _refs(params[key]))
    if not new:
        return rows
    pay = model.salaries(r.cohort, r.draws)
    full = r.table.role_fte[sim.mask][:, 0]
    weight = {role: full[i] * pay[role][0] for i, role in enumerate(model.ROLES)}
    total = sum(weight.values(), np.zeros(r.draws.n))
    cost = r.table.staff_cost[sim.mask][0]
    salaries = r.assumptions.salaries.tier1_monthly
    with np.errstate(divide="ignore", invalid="ignore"):
        for role, w in weight.items():
            share = np.where(total > 0, w / total, 0.0) * cost
            if np.median(share) <= 0:  # a role the typical draw does not hire for
                continue
            label = t("item.staff", lang, role=t(f"role.{role}", lang))
            add(None, "staff", role, label, "CNY/month", share, _refs(salaries[role]))
    return rows


def _module_timing(module: Module, plan: Plan, sim: model.PlanSim) -> dict[str, Band]:
    """When an adopted module starts, becomes operational and reaches steady state (weeks from plan start)."""
    phase = next((i for i, ph in enumerate(plan) if module in ph), None)
    if phase is None:
        return {}
    return {
        "start_week": _band(sim.phase_starts[phase][0], 1),
        "operational_week": _band(sim.module_operational[module][0], 1),
        "steady_state_week": _band(sim.module_steady[module][0], 1),
    }


def _win_text(p: float, lang: Lang) -> str:
    key = "very_likely" if p >= 0.8 else "likely" if p >= 0.5 else "toss_up" if p >= 0.3 else "unlikely"
    return t(f"win.{key}", lang)


def _verdicts(plan: Plan, kept: tuple[Module, ...]) -> dict[Module, tuple[str, int | None]]:
    out: dict[Module, tuple[str, int | None]] = {}
    for m in MODULES:
        if m in kept:
            out[m] = ("keep", None)
            continue
        phase = next((i + 1 for i, ph in enumerate(plan) if m in ph), None)
        out[m] = (
            ("not_recommended", None)
            if phase is None
            else ("adopt_now" if phase == 1 else "adopt_later", phase)
        )
    return out


def _warnings(r: Ranking, sim: model.PlanSim, econ: Economics, forced: bool, lang: Lang) -> list[WarningOut]:
    p = r.profile
    out: list[WarningOut] = []
    if forced:
        out.append(WarningOut(code="forced_plan", text=t("warning.forced_plan", lang)))
        low = [m for m in model.modules_of(sim.mask) if m in r.below_threshold]
        if low:
            names = ", ".join(module_name(m, lang, r.as_of) for m in low)
            out.append(
                WarningOut(
                    code="module_below_threshold",
                    text=t("warning.module_below_threshold", lang, modules=names),
                )
            )
    if not sim.plan:
        out.append(WarningOut(code="nothing_new", text=t("warning.nothing_new", lang)))
    scale = model.merchant_scale(p, r.assumptions, r.as_of)
    if scale.gmv_inferred or scale.reach_inferred:
        out.append(
            WarningOut(
                code="scale_inferred",
                text=t(
                    "warning.scale_inferred",
                    lang,
                    gmv=amount(scale.current_monthly_gmv_cny, lang),
                    reach=amount(scale.reachable_customers, lang),
                ),
            )
        )
    required = float(np.median(sim.required_fte))
    shortfall = float(np.median(sim.shortfall_fte))
    hires = float(np.median(sim.hired_fte))
    if hires > 0.05:
        out.append(
            WarningOut(
                code="hires_needed",
                text=t("warning.hires_needed", lang, hires=f"{hires:.1f}", available=f"{p.staff_fte:g}"),
            )
        )
    if shortfall > 0.05:
        out.append(
            WarningOut(
                code="staffing_shortfall",
                text=t(
                    "warning.staffing_shortfall",
                    lang,
                    required=f"{required:.1f}",
                    available=f"{p.staff_fte:g}",
                    shortfall=f"{shortfall:.1f}",
                ),
            )
        )
    setup, monthly = float(np.median(sim.setup)), float(np.median(sim.monthly))
    if sim.plan and setup > p.budget_setup_cny:
        out.append(
            WarningOut(
                code="budget_setup_overrun",
                text=t(
                    "warning.budget_setup_overrun",
                    lang,
                    cost=amount(setup, lang),
                    budget=amount(p.budget_setup_cny, lang),
                ),
            )
        )
    if sim.plan and monthly > p.budget_monthly_cny:
        out.append(
            WarningOut(
                code="budget_monthly_overrun",
                text=t(
                    "warning.budget_monthly_overrun",
                    lang,
                    cost=amount(monthly, lang),
                    budget=amount(p.budget_monthly_cny, lang),
                ),
            )
        )
    if sim.plan and not np.isfinite(np.median(sim.break_even_gmv)):
        out.append(
            WarningOut(
                code="margin_below_fees",
                text=t("warning.margin_below_fees", lang, margin=f"{p.gross_margin:g}"),
            )
        )
    if sim.plan:
        share = float(np.mean(np.isfinite(econ.payback)))
        if share < 0.5:
            out.append(
                WarningOut(
                    code="payback_unlikely",
                    text=t("warning.payback_unlikely", lang, share=f"{share:.0%}", months=econ.horizon),
                )
            )
    running = set(model.modules_of(sim.mask)) | set(p.existing_modules)
    for f in r.fit.firings:
        if f.rule.warning and any(e.module in running for e in f.effects):
            out.append(
                WarningOut(
                    code=f.rule.id,
                    text=t("warning.rule", lang, label=f.rule.label[lang], text=f.rule.text(lang)),
                    sources=list(f.sources),
                )
            )
    return out


def _decision(m: Module, verdict: str, phase: int | None, r: Ranking, forced: bool, lang: Lang) -> str:
    fit = f"{r.fit.fit[m]:.2f}"
    if verdict == "keep":
        return t("decision.keep", lang)
    if phase is not None:
        return t("decision.in_plan", lang, fit=fit, phase=phase, level=t(f"level.{r.level(m)}", lang))
    if forced:
        return t("decision.forced_out", lang)
    if m in r.below_threshold:
        threshold = f"{r.assumptions.objective.min_fit.mode_at(r.as_of):.2f}"
        return t("decision.below_threshold", lang, fit=fit, threshold=threshold)
    return t("decision.not_chosen", lang, fit=fit)


def set_masks(plans: list[Plan]) -> np.ndarray:
    return np.array([model.plan_mask(p) for p in plans])


def win_shares(scores: np.ndarray, plans: list[Plan]) -> tuple[np.ndarray, np.ndarray]:
    """Per plan: the share of draws its module set ranks first (phasings pooled), and the share of draws it is
    the best phasing of its own set."""
    masks = set_masks(plans)
    winners = masks[np.argmax(scores, axis=0)]
    set_win = {int(mask): float(np.mean(winners == mask)) for mask in np.unique(masks)}
    phasing = np.empty(len(plans))
    for mask in np.unique(masks):
        idx = np.flatnonzero(masks == mask)
        best = idx[np.argmax(scores[idx], axis=0)]
        for i in idx:
            phasing[i] = np.mean(best == i)
    return np.array([set_win[int(m)] for m in masks]), phasing


def _alternatives(
    r: Ranking, set_win: np.ndarray, phasing: np.ndarray, lang: Lang, limit: int = 5
) -> list[Alternative]:
    """The best phasing of each other module set, best first."""
    order = np.argsort(-r.mean, kind="stable")
    masks = set_masks(r.plans)
    seen = {int(masks[r.chosen])}
    out: list[Alternative] = []
    for i in order:
        mask = int(masks[i])
        if mask in seen:
            continue
        seen.add(mask)
        sim = r.simulate(int(i))
        econ = economics(r, r.plans[i])
        out.append(
            Alternative(
                plan=_plan_out(r.plans[i], sim, r.profile.existing_modules, lang, r.as_of),
                mean_score=round(float(r.mean[i]), 4),
                win_probability=round(float(set_win[i]), 4),
                phasing_probability=round(float(phasing[i]), 4),
                cost_cny=_cost(sim, econ),
                ramp_weeks=_ramp(sim),
                shortfall_fte=round(float(np.median(sim.shortfall_fte)), 2),
                net_cny_first_year=_band(econ.total(econ.profit - econ.cost, 12)),
                payback_months=_band(econ.payback, 1),
                p_payback_within_horizon=round(float(np.mean(np.isfinite(econ.payback))), 4),
            )
        )
        if len(out) == limit:
            break
    return out


def counterfactuals(
    r: Ranking, lang: Lang, draws: int = COUNTERFACTUAL_DRAWS, found: levers.Search | None = None
) -> list[Counterfactual]:
    """What would change this: every lever whose smallest step (:func:`engine.levers.search`, the same search
    as the sensitivity flips table; ``found`` if it has run) changes the recommended plan, with how the
    modules move."""
    if found is None:
        found = levers.search(r, draws)
    kept = r.profile.existing_modules
    old = _verdicts(found.base, kept)
    notes = {code: n for n in found.notes if n.kind == "same" for code in n.levers}
    out: list[Counterfactual] = []
    for o in found.outcomes:
        if o.step is None or o.plan is None:
            continue
        new = _verdicts(o.plan, kept)
        effects = []
        for m in MODULES:
            p_old, p_new = old[m][1], new[m][1]
            if p_old == p_new:
                continue
            name = module_name(m, lang, r.as_of)
            if p_old is None:
                effects.append(t("counterfactual.change_adopt", lang, module=name, new=p_new))
            elif p_new is None:
                effects.append(t("counterfactual.change_drop", lang, module=name))
            else:
                effects.append(t("counterfactual.change_phase", lang, module=name, old=p_old, new=p_new))
        label = plan_label(o.plan, kept, lang, r.as_of)
        note = notes.get(o.lever.code)
        out.append(
            Counterfactual(
                change=levers.phrase(o.lever, o.step.value, lang),
                field=o.lever.code,
                value=o.step.value,
                plan=label,
                effects=effects,
                direction=o.lever.direction,
                base_value=o.lever.base,
                plan_code=plan_code(o.plan),
                note=levers.note_text(note, lang, label, r.assumptions)
                if note is not None and o.lever.direction == "down"
                else "",
            )
        )
    if not out:
        out.append(
            Counterfactual(change=t("counterfactual.none", lang), field="", value="", plan="", effects=[])
        )
    return out


# --- close calls: why the ranking went the way it did -------------------------------------------


def close_calls(
    r: Ranking, set_win: np.ndarray, phasing: np.ndarray, whatifs: list[Counterfactual], lang: Lang
) -> list[CloseCall]:
    """The reasons a close call went the way it did, as codes and figures (texts: ``closecall.<code>``).

    - ``simpler_within_margin``: another plan has the higher mean score, but the difference is within two
      standard errors or the tie margin (:func:`choose`), and the recommended plan has fewer phases.
    - ``more_draws_elsewhere``: another module set ranks first in more draws, yet the recommended plan has the
      higher mean score: head to head, it is ahead by more when it is ahead than it is behind when behind.
    - ``phasings_pooled``: the set's win share counts all its phasings; this order is the set's best in
      fewer than half of the draws.
    - ``same_both_ways`` / ``..._noise``: a larger and a smaller team (or budget) give the same other plan;
      ``_noise`` when the unchanged merchant already gets it on the draws the what-ifs re-rank on.

    Money is risk-adjusted net in CNY (the score times the objective's cost scale, assumptions/objective.yaml)."""
    scale = float(np.asarray(r.objective.cost_scale).reshape(-1)[0])
    i = r.chosen
    masks = set_masks(r.plans)
    out: list[CloseCall] = []
    best = int(np.argmax(r.mean))
    if best != i:
        diff = r.scores[best] - r.scores[i]
        se = float(diff.std() / np.sqrt(diff.size))
        margin = max(2 * se, r.assumptions.objective.tie_margin.mode_at(r.as_of))
        out.append(
            CloseCall(
                code="simpler_within_margin",
                plan=plan_code(r.plans[best]),
                figures={
                    "gap_cny": round(float(diff.mean()) * scale),
                    "margin_cny": round(margin * scale),
                    "phases": len(r.plans[i]),
                    "other_phases": len(r.plans[best]),
                },
            )
        )
    else:
        rival = None  # the other set that ranks first most often, by its best phasing
        for j in np.argsort(-r.mean, kind="stable"):
            if (
                masks[j] != masks[i]
                and set_win[j] > set_win[i]
                and (rival is None or set_win[j] > set_win[rival])
            ):
                rival = int(j)
        if rival is not None:
            d = (r.scores[i] - r.scores[rival]) * scale
            behind, ahead = d < 0, d > 0
            out.append(
                CloseCall(
                    code="more_draws_elsewhere",
                    plan=plan_code(r.plans[rival]),
                    figures={
                        "win": round(float(set_win[i]), 4),
                        "other_win": round(float(set_win[rival]), 4),
                        "mean_cny": round(float(r.mean[i]) * scale),
                        "other_mean_cny": round(float(r.mean[rival]) * scale),
                        "share_behind": round(float(behind.mean()), 4),
                        "behind_by_cny": round(float(-d[behind].mean())) if behind.any() else 0,
                        "ahead_by_cny": round(float(d[ahead].mean())) if ahead.any() else 0,
                    },
                )
            )
    if r.plans[i] and int(np.sum(masks == masks[i])) > 1 and phasing[i] < 0.5:
        out.append(
            CloseCall(
                code="phasings_pooled",
                figures={"win": round(float(set_win[i]), 4), "phasing": round(float(phasing[i]), 4)},
            )
        )
    out += _both_ways(r, whatifs, lang)
    return out


def _both_ways(r: Ranking, whatifs: list[Counterfactual], lang: Lang) -> list[CloseCall]:
    """A what-if up and the same what-if down (more and fewer staff, a larger and a halved budget) giving the
    same plan: see :func:`close_calls`. The plan is named by the what-ifs themselves (``field`` and the
    ``up``/``down`` values lead to them), so ``plan`` stays empty."""
    p = r.profile
    centre = {"staff_fte": p.staff_fte, "budget_monthly_cny": 1.0}  # staff as a count, budget as a factor
    out: list[CloseCall] = []
    unchanged: str | None = None
    for field, mid in centre.items():
        up = [c for c in whatifs if c.field == field and float(c.value) > mid]
        down = [c for c in whatifs if c.field == field and float(c.value) < mid]
        same = next(((u, d) for u in up for d in down if u.plan == d.plan), None)
        if same is None:
            continue
        if unchanged is None:
            sub = r.draws.head(COUNTERFACTUAL_DRAWS)
            rr = rank(p, r.assumptions, r.as_of, sub, horizon_months=int(r.objective.horizon_months))
            unchanged = plan_label(rr.plans[rr.chosen], p.existing_modules, lang, r.as_of)
        u, d = same
        out.append(
            CloseCall(
                code="same_both_ways_noise" if unchanged == u.plan else "same_both_ways",
                field=field,
                figures={"up": float(u.value), "down": float(d.value), "draws": COUNTERFACTUAL_DRAWS},
            )
        )
    return out


def _histogram(values: np.ndarray, bins: int = 30) -> Histogram:
    """Counts over the full range of the draws (no clipping, so the end bins hold no artificial spike)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    return Histogram(edges=[round(float(e), 2) for e in edges], counts=[int(c) for c in counts])


Levels = dict[Module, Level]


def check_levels(levels: dict | None) -> Levels | None:
    """Forced operating levels, ``{"channels": "lean"}``; an unknown module or level names what is allowed."""
    if not levels:
        return None
    out: Levels = {}
    for module, level in levels.items():
        if module not in MODULES:
            raise InputError("level", f"unknown module '{module}'; allowed: {', '.join(MODULES)}")
        if level not in LEVELS:
            raise InputError(f"level {module}", f"'{level}' is not allowed; allowed: {', '.join(LEVELS)}")
        out[module] = level  # type: ignore[assignment]
    return out


def check_horizon(months: int | None) -> int | None:
    if months is None:
        return None
    if isinstance(months, bool) or months not in HORIZONS:
        raise InputError(
            "horizon_months", f"{months!r} is not allowed; allowed: {', '.join(map(str, HORIZONS))}"
        )
    return int(months)


def prepare(
    profile: MerchantProfile | dict,
    as_of: date | str | None,
    draws: int,
    seed: int,
    plan: str | list[Module] | tuple[Module, ...] | None,
    assumptions: AssumptionSet | str | Path | None,
    lang: str,
    overrides: Overrides | dict | None,
) -> tuple[MerchantProfile, date, Overrides, AssumptionSet, tuple[tuple[Module, ...], Plan | None] | None]:
    """Validate the inputs every entry point shares: profile, date, options, language, overrides and a
    forced plan. Returns the profile, date, overrides, assumption set (overrides applied) and forced plan."""
    p = profile if isinstance(profile, MerchantProfile) else MerchantProfile.model_validate(profile)
    day = as_of_date(as_of)
    check_options(draws, seed)
    if lang not in ("zh", "en"):
        raise InputError("lang", f"'{lang}' is not one of zh, en")
    try:
        ov = overrides if isinstance(overrides, Overrides) else Overrides.model_validate(overrides or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"override {err['loc'][0]}", err["msg"]) from None
    aset = apply_overrides(assumption_set(assumptions), ov)
    forced = None
    if plan is not None:
        text = plan if isinstance(plan, str) else ",".join(plan)
        try:
            forced = parse_plan(text, p.existing_modules)
        except ValueError as exc:
            raise InputError("plan", str(exc).removeprefix("plan: ")) from None
    return p, day, ov, aset, forced


# --- the entry point ---------------------------------------------------------------------------


def recommend(
    profile: MerchantProfile | dict,
    *,
    as_of: date | str | None = None,
    draws: int = 10_000,
    seed: int = 0,
    plan: str | list[Module] | tuple[Module, ...] | None = None,
    assumptions: AssumptionSet | str | Path | None = None,
    lang: Lang = "zh",
    overrides: Overrides | dict | None = None,
    with_counterfactuals: bool = True,
    levels: dict | None = None,
    horizon_months: int | None = None,
) -> Recommendation:
    """Recommend (or, with ``plan``, evaluate) a phased plan of WeChat modules for a merchant.

    ``levels`` forces operating levels (``{"channels": "lean"}``); ``horizon_months`` (12, 24 or 36) sets the
    horizon the plan is judged over (default: ``assumptions/objective.yaml``). Same inputs and ``seed`` give
    byte-identical output. Raises ``pydantic.ValidationError`` for a bad profile, :class:`InputError` for a bad
    option and ``AssumptionError`` for a bad assumptions set.
    """
    p, day, ov, aset, forced = prepare(profile, as_of, draws, seed, plan, assumptions, lang, overrides)
    a = analyse(p, day, ov, aset, forced, draws, seed, with_counterfactuals, check_levels(levels),
                check_horizon(horizon_months))  # fmt: skip
    return render(a, lang)


@dataclass(frozen=True)
class Analysis:
    """What the Monte Carlo decides for one assessment, before any text: the ranking, the chosen plan's
    simulation and month-by-month money, the set-level win shares and the lever search. :func:`render` writes
    it in a language without drawing or scoring anything again, so a language switch costs no simulation."""

    profile: MerchantProfile
    as_of: date
    overrides: Overrides
    assumptions: AssumptionSet
    forced: tuple[tuple[Module, ...], Plan | None] | None
    draws: int
    seed: int
    ranking: Ranking
    sim: model.PlanSim
    econ: Economics
    set_win: np.ndarray
    phasing: np.ndarray
    levers: levers.Search | None  # None: no counterfactuals asked for (or a forced plan)


def analyse(
    p: MerchantProfile,
    day: date,
    ov: Overrides,
    aset: AssumptionSet,
    forced: tuple[tuple[Module, ...], Plan | None] | None,
    draws: int,
    seed: int,
    with_counterfactuals: bool = True,
    levels: Levels | None = None,
    horizon: int | None = None,
) -> Analysis:
    """The language-free part of :func:`recommend`, on inputs :func:`prepare` has checked."""
    d = model.draw(aset, day, draws, np.random.default_rng(seed))
    r = rank(p, aset, day, d, forced, levels, horizon)
    set_win, phasing = win_shares(r.scores, r.plans)
    return Analysis(
        profile=p,
        as_of=day,
        overrides=ov,
        assumptions=aset,
        forced=forced,
        draws=draws,
        seed=seed,
        ranking=r,
        sim=r.simulate(r.chosen),
        econ=economics(r, r.plans[r.chosen]),
        set_win=set_win,
        phasing=phasing,
        levers=levers.search(r, COUNTERFACTUAL_DRAWS) if with_counterfactuals and forced is None else None,
    )


def render(a: Analysis, lang: Lang) -> Recommendation:
    """The :class:`Recommendation` of an analysis, in ``lang`` (``prepare`` has checked the language)."""
    p, day, ov, aset, forced, r = a.profile, a.as_of, a.overrides, a.assumptions, a.forced, a.ranking
    sim, econ, set_win, phasing = a.sim, a.econ, a.set_win, a.phasing
    chosen_plan = r.plans[r.chosen]
    win = float(set_win[r.chosen])

    verdicts = _verdicts(chosen_plan, p.existing_modules)
    gmv_by_module = {m: _band(g) for m, g in _module_gmv(r, sim.mask).items()}
    modules = {
        m: ModuleResult(
            module=m,
            name=module_name(m, lang, day),
            verdict=verdicts[m][0],  # type: ignore[arg-type]
            phase=verdicts[m][1],
            fit=r.fit.fit[m],
            defer=m in r.fit.defer,
            decision=_decision(m, verdicts[m][0], verdicts[m][1], r, forced is not None, lang),
            reasons=_reasons(r.fit, m, lang, r.assumptions, r.as_of),
            operating_level=r.level(m),
            gmv_monthly_steady_cny=gmv_by_module.get(m),
            **_module_timing(m, chosen_plan, sim),
        )
        for m in MODULES
    }
    warnings = _warnings(r, sim, econ, forced is not None, lang)
    if forced is None and win < 0.5 and chosen_plan:
        warnings.append(WarningOut(code="close_call", text=t("warning.close_call", lang, share=f"{win:.0%}")))
    role_fte = r.table.roles(sim.mask)
    be = sim.break_even_gmv[0]
    with np.errstate(over="ignore"):
        orders = be / p.avg_order_value_cny
    scale = model.merchant_scale(p, aset, day)
    whatifs = counterfactuals(r, lang, found=a.levers) if a.levers is not None else []
    return Recommendation(
        profile=p,
        as_of=day,
        seed=a.seed,
        draws=a.draws,
        lang=lang,
        assumptions=aset.source,
        overrides=ov.active(),
        forced_plan=forced is not None,
        modules=modules,
        plan=_plan_out(chosen_plan, sim, p.existing_modules, lang, day),
        scale=ScaleOut(
            current_monthly_gmv_cny=scale.current_monthly_gmv_cny,
            reachable_customers=scale.reachable_customers,
            gmv_inferred=scale.gmv_inferred,
            reach_inferred=scale.reach_inferred,
        ),
        value=_value(econ, sim),
        cost_cny=_cost(sim, econ),
        ramp_weeks=_ramp(sim),
        items=_items(r, sim, lang),
        staffing=Staffing(
            required_fte=round(float(np.median(sim.required_fte)), 2),
            available_fte=p.staff_fte,
            hires_fte=round(float(np.median(sim.hired_fte)), 2),
            shortfall_fte=round(float(np.median(sim.shortfall_fte)), 2),
            required_band=_band(sim.required_fte[0], 2),
            hires_band=_band(sim.hired_fte[0], 2),
            by_role={role: round(float(np.median(v)), 2) for role, v in role_fte.items()},
        ),
        warnings=warnings,
        alternatives=_alternatives(r, set_win, phasing, lang),
        win_probability=round(win, 4),
        win_probability_text=_win_text(win, lang),
        phasing_probability=round(float(phasing[r.chosen]), 4),
        mean_score=round(float(r.mean[r.chosen]), 4),
        break_even_gmv_cny=_band(be),
        break_even_orders_per_month=_band(orders, 1),
        counterfactuals=whatifs,
        close_calls=close_calls(r, set_win, phasing, whatifs, lang) if forced is None else [],
        first_year_histogram=_histogram(econ.total(econ.cost, 12)),
        net_histogram=_histogram(econ.total(econ.profit - econ.cost, 12)),
        candidates_evaluated=len(r.plans),
    )


def _module_gmv(r: Ranking, mask: int) -> dict[Module, np.ndarray]:
    """Each new module's own steady-state incremental GMV within the plan's set of modules."""
    returns = model.set_returns(
        mask,
        r.table.kept,
        model.demand(r.assumptions, r.cohort, r.draws),
        r.sims,
        model.fit_multiplier(r.assumptions, r.fit_array, r.as_of),
    )
    return {m: gmv[0] for m, (gmv, _, _) in returns.items()}
