"""Score many merchant profiles at once: the headline of a recommendation for every lead in a list.

Every profile is scored on the same draws (common random numbers), so a lead's row is exactly what
``wxplan recommend`` gives that profile with the same seed, draws and date, and differences between leads are
differences between the leads, not sampling noise.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from engine import model
from engine.assumptions import AssumptionSet
from engine.plans import Plan, candidate_plans, plan_code
from engine.profile import MODULES, MerchantProfile, Module
from engine.recommend import (
    InputError,
    _verdicts,
    as_of_date,
    assess_fit,
    assumption_set,
    band_of,
    check_options,
    choose_many,
    eligible,
    valuation_of,
)
from engine.result import Band, Verdict

BATCH_DRAWS = 1_000
"""Default draws per lead: a first recommendation before a call, not a decision memo (the CLI's recommend
uses 10,000). The plan is the same as recommend's at equal draws and seed."""


@dataclass(frozen=True)
class Outcome:
    """The headline figures of one lead's recommendation."""

    plan: Plan
    kept: tuple[Module, ...]
    verdicts: dict[Module, Verdict]
    setup: Band
    monthly: Band
    first_year: Band
    operational_p50: float | None
    steady_state_p50: float | None
    win_probability: float

    @property
    def plan_code(self) -> str:
        return plan_code(self.plan)


@dataclass(frozen=True)
class Options:
    as_of: date
    draws: int
    seed: int
    assumptions: AssumptionSet


def options(
    *,
    as_of: date | str | None = None,
    draws: int = BATCH_DRAWS,
    seed: int = 0,
    assumptions: AssumptionSet | str | Path | None = None,
) -> Options:
    """Check the run's options (raises ``InputError`` naming the option, or ``AssumptionError``)."""
    day = as_of_date(as_of)
    check_options(draws, seed)
    return Options(day, draws, seed, assumption_set(assumptions))


CHUNK_ELEMENTS = 1 << 16
"""Profiles x draws scored in one vectorised pass. Memory per pass is a few hundred bytes per element
(every candidate plan's scores and the 16-set tables), so about 60 MB at this size, whatever the list's
length; larger passes gain little speed on a 2-core machine."""


def default_workers() -> int:
    """Worker processes for a long list: the cores this process may use, at most 4 (memory grows with each)."""
    return max(
        1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4)
    )


class Scorer:
    """Scores lists of profiles on one set of draws, made once for the run's options.

    Profiles with the same modules running today and the same eligible new modules share their candidate
    plans; they are scored together in chunks of about :data:`CHUNK_ELEMENTS` profile-draws, every array
    shaped (profiles, draws). With ``workers`` > 1 the chunks are shared out among that many worker
    processes, each with the same draws, so the results do not depend on the number of workers. Use it as a
    context manager (or call :meth:`close`) so the workers stop.
    """

    def __init__(self, opts: Options, chunk_elements: int = CHUNK_ELEMENTS, workers: int = 1):
        if not isinstance(workers, int) or workers < 1:
            raise InputError("workers", f"must be a positive integer, got {workers!r}")
        self.opts = opts
        self.draws = model.draw(opts.assumptions, opts.as_of, opts.draws, np.random.default_rng(opts.seed))
        self.chunk = max(1, chunk_elements // opts.draws)
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._plans: dict[tuple[tuple[Module, ...], tuple[Module, ...]], list[Plan]] = {}

    def __enter__(self) -> Scorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def score(
        self, profiles: Sequence[MerchantProfile], progress: Callable[[int], None] | None = None
    ) -> list[Outcome]:
        """One :class:`Outcome` per profile, in order; ``progress(k)`` is called as each ``k`` more are done."""
        opts = self.opts
        tasks: list[tuple[list[int], list[model.Valuation], list[Plan]]] = []
        groups: dict[tuple[tuple[Module, ...], tuple[Module, ...]], list[tuple[int, model.Valuation]]] = {}
        for i, p in enumerate(profiles):
            fit = assess_fit(p, opts.assumptions, opts.as_of)
            _, candidates = eligible(p, fit, opts.assumptions, opts.as_of)
            value = valuation_of(fit, opts.assumptions, opts.as_of)
            groups.setdefault((p.existing_modules, candidates), []).append((i, value))
        for key, members in groups.items():
            plans = self._plans.get(key)
            if plans is None:
                plans = self._plans[key] = candidate_plans(key[1], key[0], opts.as_of)
            for lo in range(0, len(members), self.chunk):
                part = members[lo : lo + self.chunk]
                tasks.append(([i for i, _ in part], [v for _, v in part], plans))
        out: list[Outcome | None] = [None] * len(profiles)

        def done(rows: list[int], outcomes: list[Outcome]) -> None:
            for i, outcome in zip(rows, outcomes, strict=True):
                out[i] = outcome
            if progress is not None:
                progress(len(rows))

        if self.workers > 1 and len(tasks) > 1:
            pool = self._workers()
            futures = {
                pool.submit(_score_in_worker, [profiles[i] for i in rows], values, plans): rows
                for rows, values, plans in tasks
            }
            for future in as_completed(futures):
                done(futures[future], future.result())
        else:
            for rows, values, plans in tasks:
                done(rows, self._score_chunk([profiles[i] for i in rows], values, plans))
        return out  # type: ignore[return-value]

    def _workers(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Forked workers inherit the loaded assumptions and the compiled kernel; each draws the same
            # random numbers from the seed.
            from engine import kernel  # numba, imported only where the kernel runs

            kernel.warm_up()
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(self.opts, self.chunk),
            )
        return self._pool

    def _score_chunk(
        self, profiles: list[MerchantProfile], values: list[model.Valuation], plans: list[Plan]
    ) -> list[Outcome]:
        opts, draws = self.opts, self.draws
        cohort = model.Cohort.of(profiles)
        sims = model.cohort_sims(opts.assumptions, cohort, draws)
        candidates = {m for plan in plans for phase in plan for m in phase}
        masks = [mask for mask in range(16) if set(model.modules_of(mask)) <= candidates]
        table = model.cohort_table(sims, cohort, draws, masks)
        valuation = model.CohortValuation.of(values)
        objective = model.Objective.for_cohort(opts.assumptions, profiles, opts.as_of)
        available = cohort.staff[:, None]
        scores = model.score_plans(plans, sims, table, valuation, objective, available)  # (plans, size, n)
        mean = scores.mean(axis=2)
        pool = list(range(len(plans)))
        chosen = choose_many(scores, mean, pool, plans)
        win = _wins(scores, chosen)
        del scores
        # The chosen plan's figures: each distinct plan evaluated on the chunk, each profile's rows kept.
        figures = np.empty((5, len(profiles), draws.n))
        for index in np.unique(chosen):
            plan = plans[index]
            rows = chosen == index
            full = model.mask_of(tuple(m for phase in plan for m in phase))
            tl = model.timeline(plan, sims, table, objective.horizon_weeks, rows)
            figures[0, rows] = table.setup[full][rows]
            figures[1, rows] = table.monthly[full][rows]
            figures[2, rows] = tl.first_year
            figures[3, rows] = tl.operational
            figures[4, rows] = tl.steady_state
        with np.errstate(invalid="ignore"):
            q = np.percentile(figures, [10, 50, 90], axis=2)  # (3, 5, size)
        outcomes = []
        for j, p in enumerate(profiles):
            plan = plans[chosen[j]]
            verdicts = _verdicts(plan, p.existing_modules)
            outcomes.append(
                Outcome(
                    plan=plan,
                    kept=p.existing_modules,
                    verdicts={m: verdicts[m][0] for m in MODULES},  # type: ignore[misc]
                    setup=band_of(q[:, 0, j]),
                    monthly=band_of(q[:, 1, j]),
                    first_year=band_of(q[:, 2, j]),
                    operational_p50=band_of(q[:, 3, j], 1).p50,
                    steady_state_p50=band_of(q[:, 4, j], 1).p50,
                    win_probability=round(float(win[j]), 4),
                )
            )
        return outcomes


_WORKER: Scorer | None = None


def _start_worker(opts: Options, chunk: int) -> None:
    global _WORKER
    _WORKER = Scorer(opts, chunk_elements=chunk * opts.draws)


def _score_in_worker(
    profiles: list[MerchantProfile], values: list[model.Valuation], plans: list[Plan]
) -> list[Outcome]:
    assert _WORKER is not None
    return _WORKER._score_chunk(profiles, values, plans)


def _wins(scores: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Per profile, the share of draws on which the chosen plan scores best (the first best on a tie, as
    ``argmax`` counts it). Scores have shape (plans, size, n)."""
    out = np.empty(len(chosen))
    for j, c in enumerate(chosen.tolist()):
        s = scores[:, j]
        mine = s[c]
        best = np.ones(mine.shape, dtype=bool)
        if c > 0:
            best &= mine > s[:c].max(axis=0)
        if c + 1 < len(s):
            best &= mine >= s[c + 1 :].max(axis=0)
        out[j] = best.mean()
    return out
