"""``wxplan assumptions check [DIR]``: validate an assumption set and report every problem at once."""

from __future__ import annotations

import argparse
import sys

from engine.assumptions import DEFAULT_DIR, check, load

NAME = "assumptions"


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="work with assumption sets")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    chk = actions.add_parser("check", help="validate an assumptions directory and report every problem")
    chk.add_argument(
        "directory", nargs="?", default=None, help="directory to check (default: the bundled set)"
    )
    return p


def run(args: argparse.Namespace) -> int:
    directory = args.directory or str(DEFAULT_DIR)
    problems = check(directory)
    if problems:
        for problem in problems:
            print(f"{directory}/{problem}" if not problem.startswith(directory) else problem, file=sys.stderr)
        print(f"wxplan: {len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 2
    aset = load(directory)
    print(
        f"{directory}: OK ({len(aset.params())} parameters, every one with unit, range, date and reference)"
    )
    return 0
