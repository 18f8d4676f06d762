"""``wxplan recommend PROFILE``: the phased plan for a profile, as JSON, Markdown or HTML."""

from __future__ import annotations

import argparse

from engine.commands import io, options
from engine.recommend import recommend

NAME = "recommend"


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="recommend a phased plan for a profile")
    options.add_common(p)
    options.add_economics(p)
    return p


def run(args: argparse.Namespace) -> int:
    rec = recommend(
        io.read_profile(args.profile),
        as_of=args.as_of,
        draws=args.draws,
        seed=args.seed,
        plan=getattr(args, "plan", None),
        assumptions=args.assumptions,
        lang=args.lang,
        overrides=options.overrides(args.override),
        levels=options.levels(args.level),
        horizon_months=args.horizon,
    )
    io.write_recommendation(rec, args.format, args.lang)
    return 0
