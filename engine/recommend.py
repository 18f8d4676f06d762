"""``recommend``: a merchant profile in, a phased plan of WeChat modules out, with every verdict explained.

The façade over the steps: :func:`engine.inputs.prepare` checks the inputs, :func:`analyse` draws, ranks
(:mod:`engine.ranking`) and searches the levers (:mod:`engine.levers`) once, and
:func:`engine.recommendation.render` writes the result in a language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from engine import levers, model
from engine.assumptions import AssumptionSet
from engine.heap import keep_heap
from engine.i18n import Lang
from engine.inputs import Levels, check_horizon, check_levels, prepare
from engine.overrides import Overrides
from engine.plans import Forced
from engine.profile import MerchantProfile, Module
from engine.ranking import Economics, Ranking, economics, rank, win_shares
from engine.recommendation import render
from engine.result import Recommendation


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
    simulation and month-by-month money, the set-level win shares and the lever search.
    :func:`engine.recommendation.render` writes it in a language without drawing or scoring anything again, so a
    language switch costs no simulation."""

    profile: MerchantProfile
    as_of: date
    overrides: Overrides
    assumptions: AssumptionSet
    forced: Forced | None
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
    forced: Forced | None,
    draws: int,
    seed: int,
    with_counterfactuals: bool = True,
    levels: Levels | None = None,
    horizon: int | None = None,
) -> Analysis:
    """The language-free part of :func:`recommend`, on inputs :func:`engine.inputs.prepare` has checked."""
    keep_heap()
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
        levers=levers.search(r) if with_counterfactuals and forced is None else None,
    )
