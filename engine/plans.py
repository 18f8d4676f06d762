"""Candidate plans: which new modules, in which phases, and which plans are feasible."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import combinations

from engine import catalog
from engine.assumptions import AssumptionSet
from engine.errors import PlanSyntaxError
from engine.events import SHOP_RENAME
from engine.i18n import Lang, t
from engine.profile import MODULES, Module

Plan = tuple[tuple[Module, ...], ...]
Forced = tuple[tuple[Module, ...], Plan | None]  # a forced plan: its module set, and its phases when given


def ordered_partitions(items: tuple[Module, ...]) -> Iterator[Plan]:
    """Every way to split ``items`` into non-empty phases, in order (75 ways for four modules)."""
    if not items:
        yield ()
        return
    for size in range(1, len(items) + 1):
        for first in combinations(items, size):
            rest = tuple(m for m in items if m not in first)
            for tail in ordered_partitions(rest):
                yield (first, *tail)


def shelf_ready(
    plan: Plan, kept: tuple[Module, ...], as_of: date, assumptions: AssumptionSet | None = None
) -> bool:
    """Every module that brings traffic (Channels) sells through a shelf running by its own phase: a shelf it
    can sell through on ``as_of`` (the shop; a mini-program once linkable) - module facts from the catalog."""
    return _shelf_ready(plan, kept, catalog.channel_shelves(as_of, assumptions), catalog.traffic(assumptions))


def _shelf_ready(
    plan: Plan, kept: tuple[Module, ...], shelves: frozenset[Module], traffic: tuple[Module, ...]
) -> bool:
    if shelves & set(kept):
        return True
    for module in traffic:
        if module in kept:
            phase_of = 0
        else:
            found = [i for i, phase in enumerate(plan) if module in phase]
            if not found:
                continue
            phase_of = found[0]
        if not any(shelves & set(phase) for phase in plan[: phase_of + 1]):
            return False
    return True


def candidate_plans(
    candidates: tuple[Module, ...],
    kept: tuple[Module, ...],
    as_of: date,
    assumptions: AssumptionSet | None = None,
) -> list[Plan]:
    """All phased plans over subsets of ``candidates`` (the empty plan first), feasible ones only."""
    shelves, traffic = catalog.channel_shelves(as_of, assumptions), catalog.traffic(assumptions)
    plans: list[Plan] = []
    for size in range(len(candidates) + 1):
        for subset in combinations(candidates, size):
            plans.extend(p for p in ordered_partitions(subset) if _shelf_ready(p, kept, shelves, traffic))
    return plans


def parse_plan(text: str, kept: tuple[Module, ...] = ()) -> Forced:
    """Read ``channels,shop`` (a module set; the engine picks the phasing) or ``channels,shop>wecom``
    (explicit phases). Kept modules are dropped from the phases. Returns (module set, phases or None)."""
    phases_text = [part for part in text.replace(" ", "").split(">")]
    if not text.strip() or any(not p for p in phases_text):
        raise PlanSyntaxError(
            f"plan: '{text}' is empty or has an empty phase; use modules from {', '.join(MODULES)}"
            " separated by ',' and phases separated by '>'"
        )
    phases: list[tuple[Module, ...]] = []
    seen: set[str] = set()
    for part in phases_text:
        names = [n for n in part.split(",") if n]
        if not names:
            raise PlanSyntaxError(
                f"plan: '{text}' has an empty phase (no module in it); allowed: {', '.join(MODULES)}"
            )
        for name in names:
            if name not in MODULES:
                raise PlanSyntaxError(f"plan: unknown module '{name}'; allowed: {', '.join(MODULES)}")
            if name in seen:
                raise PlanSyntaxError(f"plan: module '{name}' appears more than once")
            seen.add(name)
        phase = tuple(m for m in MODULES if m in names and m not in kept)
        if phase:
            phases.append(phase)
    modules = tuple(m for m in MODULES if m in seen and m not in kept)
    return modules, (tuple(phases) if ">" in text else None)


def plan_code(plan: Plan) -> str:
    """Machine form, e.g. ``channels,shop>wecom`` (empty string for no new module)."""
    return ">".join(",".join(phase) for phase in plan)


def module_name(module: Module, lang: Lang, as_of: date) -> str:
    """Display name of a module on a date (the shop was 视频号小店 before the 2024-08 rename)."""
    if module == "shop" and as_of < SHOP_RENAME:
        return t("module.shop.name_before_2024_08", lang)
    return t(f"module.{module}.name", lang)


def plan_label(plan: Plan, kept: tuple[Module, ...], lang: Lang, as_of: date) -> str:
    """Human form, e.g. ``视频号 + 微信小店 → 企业微信``; kept modules first in brackets."""
    parts = [" + ".join(module_name(m, lang, as_of) for m in phase) for phase in plan]
    text = " → ".join(parts) if parts else t("report.nothing", lang)
    if kept:
        text = f"[{t('report.kept', lang)}: {' + '.join(module_name(m, lang, as_of) for m in kept)}] {text}"
    return text


def module_verdicts(plan: Plan, kept: tuple[Module, ...]) -> dict[Module, tuple[str, int | None]]:
    """Each module's verdict under a plan, with its phase: keep (running today), adopt now (phase 1), adopt
    later (its phase) or not recommended."""
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
