"""One catalog of module facts: the ``traits`` of each module's YAML (``assumptions/modules/*.yaml``).

Which modules are shelves and from when Channels can sell through them, which bring traffic, what speeds a
module's ramp, what it reuses of the merchant's operation, what its seats count: facts, not branches, so that
the model and the plan search read them here and a new module is data plus its rules.
"""

from __future__ import annotations

from datetime import date

from engine.assumptions import AssumptionSet, Traits, load
from engine.profile import MODULES, Module


def _set(assumptions: AssumptionSet | None) -> AssumptionSet:
    return assumptions if assumptions is not None else load()


def traits(module: Module, assumptions: AssumptionSet | None = None) -> Traits:
    return _set(assumptions).modules[module].traits


def shelves(assumptions: AssumptionSet | None = None) -> tuple[Module, ...]:
    """Modules that are a shelf (they take orders)."""
    return tuple(m for m in MODULES if traits(m, assumptions).shelf)


def traffic(assumptions: AssumptionSet | None = None) -> tuple[Module, ...]:
    """Modules that bring their own traffic and need a shelf to sell through."""
    return tuple(m for m in MODULES if traits(m, assumptions).brings_traffic)


def channel_shelves(as_of: date, assumptions: AssumptionSet | None = None) -> frozenset[Module]:
    """Shelves a traffic module can sell through on ``as_of``."""
    return frozenset(
        m
        for m in MODULES
        if (since := traits(m, assumptions).channels_shelf_from) is not None and since <= as_of
    )
