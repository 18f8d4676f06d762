"""Ranking: every candidate plan scored on every draw and the one chosen (the best mean score, ties to fewer
phases), the share of draws each module set ranks first, and a plan's money month by month."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

import numpy as np

from engine import model
from engine.assumptions import LEVELS, AssumptionSet, Level
from engine.fit import Fit, assess_fit, eligible, fit_arrays
from engine.plans import Forced, Plan, candidate_plans, ordered_partitions, shelf_ready
from engine.profile import MODULES, MerchantProfile, Module


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
    money: np.ndarray | None = (
        None  # (3, plans, 1, draws): gross profit, cost, unfilled-work pay (rank(money=))
    )

    def simulate(self, index: int) -> model.PlanSim:
        return model.evaluate_plan(
            self.plans[index], self.sims, self.table, self.objective, self.defer, self.fit_array
        )

    def level(self, module: Module) -> Level:
        return LEVELS[int(self.sims[module].level[0])]

    def levels(self) -> dict[Module, Level]:
        return {m: self.level(m) for m in MODULES}


def rank(
    profile: MerchantProfile,
    assumptions: AssumptionSet,
    as_of: date,
    draws: model.Draws,
    forced: Forced | None = None,
    levels: dict[Module, Level] | None = None,
    horizon_months: int | None = None,
    money: bool = False,
) -> Ranking:
    """Score every candidate plan on every draw and pick the best mean score (or the best forced plan). With
    ``money``, keep each plan's money over the horizon, so :func:`rescore` need not score the plans again."""
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
    pool = [plans.index(p) for p in forced_plans] if forced_plans else None
    c = rank_cohort(
        [profile], [fit], plans, assumptions, as_of, draws, horizon_months, [levels], pool, money
    )  # fmt: skip
    scores = c.scores[:, 0]
    return Ranking(
        profile,
        assumptions,
        as_of,
        draws,
        plans,
        scores,
        scores.mean(axis=1),
        int(c.chosen[0]),
        c.cohort,
        c.sims,
        c.table,
        c.objective,
        fit,
        c.fit,
        c.defer,
        below,
        c.money,
    )


Group = tuple[tuple[Module, ...], tuple[Module, ...]]  # modules running today, candidate new modules


def groups(
    profiles: Sequence[MerchantProfile], assumptions: AssumptionSet, as_of: date
) -> dict[Group, list[tuple[int, Fit]]]:
    """The profiles (index and fit) by what they run today and their candidate modules: each group shares its
    candidate plans, so it is ranked as one cohort."""
    out: dict[Group, list[tuple[int, Fit]]] = {}
    for i, p in enumerate(profiles):
        key, fit = group_of(p, assumptions, as_of)
        out.setdefault(key, []).append((i, fit))
    return out


def group_of(profile: MerchantProfile, assumptions: AssumptionSet, as_of: date) -> tuple[Group, Fit]:
    """A profile's group (what it runs today, its candidate modules) and its fit."""
    fit = assess_fit(profile, assumptions, as_of)
    _, candidates = eligible(profile, fit, assumptions, as_of)
    return (profile.existing_modules, candidates), fit


@dataclass(frozen=True)
class CohortRanking:
    """Every candidate plan scored for every profile of a cohort, and the plan each profile is advised."""

    cohort: model.Cohort
    fit: np.ndarray  # (size, modules, n)
    defer: np.ndarray  # (size, modules)
    objective: model.Objective
    sims: dict[Module, model.ModuleSim]
    table: model.SetTable
    scores: np.ndarray  # (plans, size, n)
    chosen: np.ndarray  # (size,) index into the plans
    money: np.ndarray | None  # (3, plans, size, n): gross profit, cost, unfilled-work pay, if asked for


def rank_cohort(
    profiles: Sequence[MerchantProfile],
    fits: Sequence[Fit],
    plans: list[Plan],
    assumptions: AssumptionSet,
    as_of: date,
    draws: model.Draws,
    horizon_months: int | None = None,
    levels: list[dict[Module, Level] | None] | None = None,
    pool: list[int] | None = None,
    money: bool = False,
) -> CohortRanking:
    """Rank ``plans`` for profiles that run the same modules today, on shared draws: each profile's scores and
    choice are what ranking it alone gives (every step works row by row). ``levels``: forced operating levels
    per profile; ``pool``: the plans that may be chosen (default all); ``money``: keep each plan's money."""
    cohort = model.Cohort.of(list(profiles), assumptions, as_of, levels)
    fit, defer = fit_arrays(list(fits), assumptions, draws)
    objective = model.Objective.for_cohort(assumptions, cohort, draws, horizon_months)
    sims = model.cohort_sims(assumptions, cohort, draws, fit, objective.horizon_months)
    candidates = {m for plan in plans for phase in plan for m in phase}
    masks = [mask for mask in range(model.SETS) if set(model.modules_of(mask)) <= candidates]
    table = model.cohort_table(assumptions, sims, cohort, draws, fit, masks)
    parts = np.empty((3, len(plans), *table.required_fte[0].shape)) if money else None
    scores = model.score_plans(plans, sims, table, objective, defer, fit, parts)  # (plans, size, n)
    margin = assumptions.objective.tie_margin.mode_at(as_of)
    chosen = choose_many(
        scores, scores.mean(axis=2), list(range(len(plans))) if pool is None else pool, plans, margin
    )
    return CohortRanking(cohort, fit, defer, objective, sims, table, scores, chosen, parts)


def chosen_plans(
    profiles: Sequence[MerchantProfile],
    assumptions: AssumptionSet,
    as_of: date,
    draws: model.Draws,
    horizon_months: int | None = None,
) -> list[Plan]:
    """The plan advised to each profile on ``draws`` (what ranking each alone picks), the profiles ranked a
    cohort at a time: many merchants cost little more than one."""
    out: list[Plan] = [()] * len(profiles)
    for (kept, candidates), members in groups(profiles, assumptions, as_of).items():
        plans = candidate_plans(candidates, kept, as_of, assumptions)
        ranked = rank_cohort(
            [profiles[i] for i, _ in members], [f for _, f in members], plans, assumptions, as_of, draws,
            horizon_months,
        )  # fmt: skip
        for (i, _), c in zip(members, ranked.chosen.tolist(), strict=True):
            out[i] = plans[c]
    return out


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
    if r.money is not None:  # the same bits as scoring afresh (tests/test_kernel.py)
        scores = model.objective_score(*r.money, objective)[:, 0]
    else:
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
    flow = model.cashflow(plan, r.sims, r.table, r.objective, r.defer, max(12, horizon))
    return Economics(horizon, flow.cost[:, 0], flow.profit[:, 0])


def set_masks(plans: list[Plan]) -> np.ndarray:
    return np.array([model.plan_mask(p) for p in plans])


def win_shares(scores: np.ndarray, plans: list[Plan]) -> tuple[np.ndarray, np.ndarray]:
    """Per plan: the share of draws its module set ranks first (phasings pooled), and the share of draws it is
    the best phasing of its own set."""
    masks = set_masks(plans)
    winners = masks[model.first_best(scores)]
    set_win = {int(mask): float(np.mean(winners == mask)) for mask in np.unique(masks)}
    phasing = np.empty(len(plans))
    for mask in np.unique(masks):
        idx = np.flatnonzero(masks == mask)
        best = idx[np.argmax(scores[idx], axis=0)]
        for i in idx:
            phasing[i] = np.mean(best == i)
    return np.array([set_win[int(m)] for m in masks]), phasing
