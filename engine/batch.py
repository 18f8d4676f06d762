"""Score many merchant profiles at once: the headline of a recommendation for every lead in a list.

Every profile is scored on the same draws (common random numbers), so a lead's row is exactly what
``wxplan recommend`` gives that profile with the same seed, draws and date, and differences between leads are
differences between the leads, not sampling noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from engine import model
from engine.assumptions import AssumptionSet, load
from engine.plans import Plan, plan_code
from engine.profile import MODULES, MerchantProfile, Module
from engine.recommend import _band, _verdicts, as_of_date, check_options, rank
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
    aset = assumptions if isinstance(assumptions, AssumptionSet) else load(assumptions)
    return Options(day, draws, seed, aset)


class Scorer:
    """Scores lists of profiles on one set of draws, made once (lazily) for the run's options."""

    def __init__(self, opts: Options):
        self.opts = opts
        self.draws = model.draw(opts.assumptions, opts.as_of, opts.draws, np.random.default_rng(opts.seed))

    def score(
        self, profiles: Sequence[MerchantProfile], progress: Callable[[int], None] | None = None
    ) -> list[Outcome]:
        """One :class:`Outcome` per profile, in order; ``progress(k)`` is called as each ``k`` more are done."""
        opts = self.opts
        out: list[Outcome] = []
        for profile in profiles:
            r = rank(profile, opts.assumptions, opts.as_of, self.draws)
            sim = r.simulate(r.chosen)
            winners = np.argmax(r.scores, axis=0)
            plan = r.plans[r.chosen]
            verdicts = _verdicts(plan, profile.existing_modules)
            out.append(
                Outcome(
                    plan=plan,
                    kept=profile.existing_modules,
                    verdicts={m: verdicts[m][0] for m in MODULES},  # type: ignore[misc]
                    setup=_band(sim.setup),
                    monthly=_band(sim.monthly),
                    first_year=_band(sim.first_year),
                    operational_p50=_band(sim.operational, 1).p50,
                    steady_state_p50=_band(sim.steady_state, 1).p50,
                    win_probability=round(float(np.mean(winners == r.chosen)), 4),
                )
            )
            if progress is not None:
                progress(1)
        return out
