"""``wxplan evaluate PROFILE --plan ...``: ``recommend``'s output for a plan the user gives."""

from __future__ import annotations

import argparse

from engine.commands import options, recommend
from engine.profile import MODULES

NAME = "evaluate"


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="evaluate a given plan for a profile (same output)")
    options.add_common(p)
    options.add_economics(p)
    p.add_argument(
        "--plan",
        required=True,
        help=f"modules from {', '.join(MODULES)}: 'channels,shop' lets wxplan phase them, "
        "'channels,shop>wecom' fixes the phases",
    )
    return p


run = recommend.run  # the same run: --plan is what tells them apart
