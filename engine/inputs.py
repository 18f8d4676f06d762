"""The inputs every entry point shares, checked: the evaluation date, draws and seed, the assumption set,
forced operating levels, the horizon and, in :func:`prepare`, all of them with the profile, language,
overrides and a forced plan. A bad value raises :class:`InputError` naming the field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import ValidationError

from engine.assumptions import HORIZONS, LEVELS, AssumptionSet, Level, load
from engine.errors import InputError
from engine.overrides import Overrides
from engine.overrides import apply as apply_overrides
from engine.plans import Forced, parse_plan
from engine.profile import MODULES, MerchantProfile, Module
from engine.sources import EARLIEST_EVIDENCE

MIN_DRAWS, MAX_DRAWS = 100, 200_000


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
) -> tuple[MerchantProfile, date, Overrides, AssumptionSet, Forced | None]:
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
