"""Score many merchant profiles at once: the headline of a recommendation for every lead in a list.

Every profile is scored on the same draws (common random numbers), so a lead's row is exactly what
``wxplan recommend`` gives that profile with the same seed, draws and date, and differences between leads are
differences between the leads, not sampling noise.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from engine import model
from engine.assumptions import AssumptionSet
from engine.errors import InputError
from engine.fit import Fit
from engine.heap import keep_heap
from engine.inputs import as_of_date, assumption_set, check_options
from engine.plans import Plan, candidate_plans, module_verdicts, plan_code
from engine.profile import MODULES, MerchantProfile, Module
from engine.ranking import Economics, Group, group_of, rank_cohort, set_masks
from engine.result import Band, Verdict, band_of

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
    win_probability: float  # of the module set, its phasings pooled
    net_first_year: Band
    payback_months: Band  # None where beyond the horizon
    p_payback_within_horizon: float

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


CHUNK_ELEMENTS = 1 << 15
"""Profiles x draws scored in one pass. Memory per pass is a few hundred bytes per element (every candidate
plan's scores and the 16-set tables), so about 30 MB at this size, whatever the list's length. On 2 cores, 10k
leads x 1,000 draws on two threads took 21.4 s in passes of 16k elements, 18.4 s at this size and 18.2 s at
64k (fewer interpreter steps per element, so less waiting for the interpreter lock); on one thread 31.3 s and
30.9 s, and with two worker processes the same at 16k and 32k."""


MAX_WORKERS = 8
"""The most worker processes a run starts, however many are asked for (each holds its own draws)."""


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_workers() -> int:
    """Worker processes for a long list: the cores this process may use, at most 4 (memory grows with each)."""
    return max(1, min(_cpus(), 4))


def max_workers() -> int:
    """The most worker processes that help: the cores this process may use, at most :data:`MAX_WORKERS`.
    More only share the same cores and multiply the memory."""
    return max(1, min(_cpus(), MAX_WORKERS))


class Job:
    """Profiles submitted to a :class:`Scorer` (:meth:`Scorer.submit`); :meth:`result` gives their outcomes."""

    def __init__(
        self, scorer: Scorer, profiles: Sequence[MerchantProfile], progress: Callable[[int], None] | None
    ):
        self._scorer, self._profiles, self._progress = scorer, profiles, progress
        self._pool = scorer._workers() if len(profiles) > scorer.chunk and scorer.parallel else None
        self._tasks: list[tuple[list[int], list[Fit], list[Plan]]] = []
        self._futures: dict[Future[list[Outcome]], list[int]] = {}

    def add(self, rows: list[int], values: list[Fit], plans: list[Plan]) -> None:
        """A chunk of the profiles: handed to the workers at once, or kept to be scored in :meth:`result`."""
        if self._pool is None:
            self._tasks.append((rows, values, plans))
            return
        chunk = [self._profiles[i] for i in rows]
        if self._scorer.workers > 1:  # only the numbers travel to a process (predicates cannot be pickled)
            future = self._pool.submit(
                _score_in_worker, chunk, [replace(v, firings=()) for v in values], plans
            )
        else:
            future = self._pool.submit(self._scorer._score_chunk, chunk, values, plans)
        self._futures[future] = rows

    def result(self) -> list[Outcome]:
        """The outcomes in the profiles' order: waits for the workers' chunks, or scores the chunks here; the
        first failure is raised."""
        out: list[Outcome | None] = [None] * len(self._profiles)

        def done(rows: list[int], outcomes: list[Outcome]) -> None:
            for i, outcome in zip(rows, outcomes, strict=True):
                out[i] = outcome
            if self._progress is not None:
                self._progress(len(rows))

        for future in as_completed(self._futures):
            done(self._futures[future], future.result())
        for rows, values, plans in self._tasks:
            done(rows, self._scorer._score_chunk([self._profiles[i] for i in rows], values, plans))
        return out  # type: ignore[return-value]


class Scorer:
    """Scores lists of profiles on one set of draws, made once for the run's options.

    Profiles with the same modules running today and the same eligible new modules share their candidate
    plans; they are scored together in chunks of about :data:`CHUNK_ELEMENTS` profile-draws, every array
    shaped (profiles, draws). With ``workers`` > 1 the chunks are shared out among that many worker
    processes, each with the same draws; otherwise, with ``threads`` > 1, among that many threads of this
    process (the compiled passes and numpy's loops run outside the interpreter lock: 10k leads in 1.7x less
    time on two cores, about what two processes give, and nothing is forked - what a server such as the app
    can use). The results do not depend on either number; more than :func:`max_workers` are not started.
    Use it as a context manager (or call :meth:`close`) so the workers stop; leaving it with an exception
    (Ctrl-C, SIGTERM) stops them at once. A worker also exits by itself when this process dies, however it
    dies.
    """

    def __init__(
        self, opts: Options, chunk_elements: int = CHUNK_ELEMENTS, workers: int = 1, threads: int = 1
    ):
        for name, value in (("workers", workers), ("threads", threads)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(name, f"must be a positive integer, got {value!r}")
        self.opts = opts
        model.load_kernel()  # a batch's chunks are small, and it pays for the compiler many times over
        keep_heap()
        self.draws = model.draw(opts.assumptions, opts.as_of, opts.draws, np.random.default_rng(opts.seed))
        self.chunk = max(1, chunk_elements // opts.draws)
        self.workers = min(workers, max_workers())
        self.threads = min(threads, max_workers())
        self._pool: Executor | None = None
        self._plans: dict[Group, list[Plan]] = {}

    @property
    def parallel(self) -> bool:
        """Whether chunks go to worker processes or threads rather than being scored by the caller."""
        return self.workers > 1 or self.threads > 1

    def __enter__(self) -> Scorer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(now=kind is not None)

    def close(self, now: bool = False) -> None:
        """Stop the workers: after their current chunk, or ``now`` (terminated; the run is being abandoned)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not now:
            pool.shutdown(cancel_futures=True)
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())  # threads finish their chunk
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with suppress(Exception):
                process.terminate()
        for process in processes:
            with suppress(Exception):
                process.join(2)
                if process.is_alive():
                    process.kill()

    def score(
        self, profiles: Sequence[MerchantProfile], progress: Callable[[int], None] | None = None
    ) -> list[Outcome]:
        """One :class:`Outcome` per profile, in order; ``progress(k)`` is called as each ``k`` more are done."""
        return self.submit(profiles, progress).result()

    def submit(
        self, profiles: Sequence[MerchantProfile], progress: Callable[[int], None] | None = None
    ) -> Job:
        """Start scoring ``profiles``: with workers or threads, each chunk is handed to them as soon as its
        profiles are read (their chunks queue behind any submitted before), so this returns while they are
        scored and the caller can read the next profiles; without, they are scored when :meth:`Job.result`
        is asked for. The outcomes are those of :meth:`score`."""
        opts = self.opts
        job = Job(self, profiles, progress)
        filling: dict[Group, list[tuple[int, Fit]]] = {}

        def add(key: Group, members: list[tuple[int, Fit]]) -> None:
            plans = self._plans.get(key)
            if plans is None:
                plans = self._plans[key] = candidate_plans(key[1], key[0], opts.as_of, opts.assumptions)
            job.add([i for i, _ in members], [v for _, v in members], plans)

        # a group's profiles in order, cut every `chunk`: the chunks ranking the whole list at once would make
        for i, p in enumerate(profiles):
            key, fit = group_of(p, opts.assumptions, opts.as_of)
            members = filling.setdefault(key, [])
            members.append((i, fit))
            if len(members) == self.chunk:
                add(key, members)
                filling[key] = []
        for key, members in filling.items():
            if members:
                add(key, members)
        return job

    def _workers(self) -> Executor:
        if self._pool is None and self.workers == 1:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="wxplan-score")
        if self._pool is None:
            # Forked workers inherit the loaded assumptions; each draws the same random numbers from the seed.
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(self.opts, self.chunk, os.getpid()),
            )
        return self._pool

    def _score_chunk(
        self, profiles: list[MerchantProfile], values: list[Fit], plans: list[Plan]
    ) -> list[Outcome]:
        opts, draws = self.opts, self.draws
        ranked = rank_cohort(profiles, values, plans, opts.assumptions, opts.as_of, draws)
        sims, table, objective, defer = ranked.sims, ranked.table, ranked.objective, ranked.defer
        chosen = ranked.chosen
        win = _set_wins(ranked.scores, chosen, set_masks(plans))
        del ranked  # the scores of every plan: the largest arrays of the chunk
        # The chosen plan's figures: each distinct plan evaluated on the chunk, each profile's rows kept.
        horizon = round(objective.horizon_months)
        figures = np.empty((7, len(profiles), draws.n))
        wanted = [(plans[i], np.flatnonzero(chosen == i)) for i in np.unique(chosen).tolist()]
        flows = model.cashflows(wanted, sims, table, objective, defer, max(12, horizon))
        for (plan, rows), flow in zip(wanted, flows, strict=True):  # each plan for the profiles that chose it
            full = model.plan_mask(plan)
            econ = Economics(horizon, flow.cost, flow.profit)
            figures[0, rows] = table.setup[full][rows] if full else 0.0
            figures[1, rows] = table.monthly[full][rows] if full else 0.0
            figures[2, rows] = econ.total(flow.cost, 12)
            figures[3, rows] = flow.operational
            figures[4, rows] = flow.steady_state
            figures[5, rows] = econ.total(flow.profit - flow.cost, 12)
            figures[6, rows] = econ.payback
        with np.errstate(invalid="ignore"):
            q = np.percentile(figures, [10, 50, 90], axis=2)  # (3, 7, size)
        paid_back = np.isfinite(figures[6]).mean(axis=1)
        outcomes = []
        for j, p in enumerate(profiles):
            plan = plans[chosen[j]]
            verdicts = module_verdicts(plan, p.existing_modules)
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
                    net_first_year=band_of(q[:, 5, j]),
                    payback_months=band_of(q[:, 6, j], 1),
                    p_payback_within_horizon=round(float(paid_back[j]), 4) if plan else 0.0,
                )
            )
        return outcomes


_WORKER: Scorer | None = None


_PR_SET_PDEATHSIG = 1  # prctl(2) option: the signal a process gets when its parent dies (Linux)


def _die_with_parent(parent: int) -> None:
    """Make this worker exit when the process that started it dies, even by SIGKILL: the kernel sends it
    SIGKILL then (Linux); elsewhere, and as a backstop, a thread checks for a new parent every second."""
    if sys.platform.startswith("linux"):
        with suppress(Exception):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before that took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="wxplan-parent-watch", daemon=True).start()


def _start_worker(opts: Options, chunk: int, parent: int) -> None:
    global _WORKER
    # Ctrl-C reaches the whole process group: the parent stops the run (and its workers); a worker does
    # not print a traceback of its own. SIGTERM ends a worker at once (the parent's handler is not kept).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    _WORKER = Scorer(opts, chunk_elements=chunk * opts.draws)


def _score_in_worker(profiles: list[MerchantProfile], values: list[Fit], plans: list[Plan]) -> list[Outcome]:
    assert _WORKER is not None
    return _WORKER._score_chunk(profiles, values, plans)


def _set_wins(scores: np.ndarray, chosen: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per profile, the share of draws on which the chosen plan's module set ranks first, its phasings pooled
    (the first best on a tie, as ``argmax`` counts it). Scores have shape (plans, size, n)."""
    winners = masks[model.first_best(scores)]  # (size, n): the module set ranked first on each draw
    return np.mean(winners == masks[chosen][:, None], axis=1)
