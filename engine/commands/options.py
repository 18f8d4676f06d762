"""The options shared by the commands that evaluate a profile (recommend, evaluate, sensitivity, scenarios
save), and how their values are read."""

from __future__ import annotations

import argparse

from engine.assumptions import HORIZONS, LEVELS
from engine.errors import UserError
from engine.overrides import TARGETS
from engine.profile import MODULES

OVERRIDE_KEYS = tuple(TARGETS)
LANGS = ("zh", "en")
PROFILE_HELP = "merchant profile JSON file ('-' reads stdin); see 'wxplan schema'"


def add_as_of(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="evaluate with the evidence and values in force then (default: today)",
    )


def add_seed(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seed", type=int, default=0, metavar="S", help="random seed (default 0); same seed, same output"
    )


def add_assumptions(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--assumptions", metavar="DIR", help="use another assumptions directory (default: the bundled set)"
    )


def add_common(
    p: argparse.ArgumentParser, formats: tuple[str, ...] = ("json", "markdown", "html", "pdf")
) -> None:
    """The options of a command that evaluates one profile and prints the result."""
    p.add_argument("profile", help=PROFILE_HELP)
    add_as_of(p)
    p.add_argument(
        "--draws", type=int, default=10_000, metavar="N", help="Monte Carlo draws, 100-200000 (default 10000)"
    )
    add_seed(p)
    add_assumptions(p)
    p.add_argument("--format", choices=formats, default="json", help="output format (default json)")
    p.add_argument("--lang", choices=LANGS, default="zh", help="language of texts (default zh)")
    p.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=FACTOR",
        help="scale key assumptions: salary, saas (SaaS/development prices), promotion; e.g. --override salary=1.2",
    )


def add_economics(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--horizon",
        type=int,
        choices=HORIZONS,
        default=None,
        metavar="MONTHS",
        help="months the plan is judged over: 12, 24 or 36 (default: the assumption set's, 12)",
    )
    p.add_argument(
        "--level",
        action="append",
        default=[],
        metavar="MODULE=LEVEL",
        help=f"force a module's operating level ({', '.join(LEVELS)}); e.g. --level channels=lean",
    )


def levels(items: list[str]) -> dict[str, str]:
    """``--level MODULE=LEVEL`` values as {module: level}."""
    out: dict[str, str] = {}
    for item in items:
        module, sep, level = item.partition("=")
        if not sep or module not in MODULES or level not in LEVELS:
            raise UserError(
                f"--level: '{item}' must be MODULE=LEVEL with MODULE one of {', '.join(MODULES)}"
                f" and LEVEL one of {', '.join(LEVELS)}"
            )
        out[module] = level
    return out


def overrides(items: list[str]) -> dict[str, float]:
    """``--override KEY=FACTOR`` values as {key: factor}."""
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in OVERRIDE_KEYS:
            raise UserError(
                f"--override: '{item}' must be KEY=FACTOR with KEY one of {', '.join(OVERRIDE_KEYS)}"
            )
        try:
            out[key] = float(value)
        except ValueError:
            raise UserError(f"--override: '{value}' is not a number (in '{item}')") from None
    return out
