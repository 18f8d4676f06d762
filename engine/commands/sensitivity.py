"""``wxplan sensitivity PROFILE``: what drives the answer (engine/sensitivity.py) - tornado and Sobol indices
of a plan, plan-win probabilities, flips."""

from __future__ import annotations

import argparse

from engine.commands import io, options
from engine.profile import MODULES

NAME = "sensitivity"


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME,
        help="what drives the answer: tornado and Sobol indices of a plan, plan-win probabilities, flips",
    )
    options.add_common(p, formats=("json", "markdown"))
    p.add_argument(
        "--plan",
        help=f"analyse this plan instead of the recommended one (modules from {', '.join(MODULES)}; "
        "'channels,shop' or 'channels,shop>wecom')",
    )
    p.add_argument(
        "--sobol-n",
        type=int,
        default=2048,
        metavar="N",
        help="Sobol base sample, a power of two 64-16384 (default 2048); the model runs N x (assumptions + 2) times",
    )
    return p


def run(args: argparse.Namespace) -> int:
    profile = io.read_profile(args.profile)
    from engine.render.markdown import sensitivity_markdown
    from engine.sensitivity import sensitivity  # imports scipy.stats: only once the profile is read

    result = sensitivity(
        profile,
        plan=args.plan,
        as_of=args.as_of,
        draws=args.draws,
        seed=args.seed,
        assumptions=args.assumptions,
        lang=args.lang,
        overrides=options.overrides(args.override),
        sobol_n=args.sobol_n,
    )
    io.write(result, args.format, {"markdown": sensitivity_markdown})
    return 0
