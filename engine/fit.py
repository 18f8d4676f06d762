"""A profile's fit per module: the base fit plus the cited rules that fire on it, at the central sizes of their
effects (:func:`assess_fit`) or on every draw (:func:`fit_draws`), and which new modules pass the fit threshold
(:func:`eligible`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from engine import model
from engine.assumptions import AssumptionSet
from engine.profile import MODULES, MerchantProfile, Module
from engine.rules import Firing, fire


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
