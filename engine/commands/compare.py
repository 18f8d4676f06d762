"""``wxplan compare ITEM ITEM ...``: 2-6 profiles or saved scenarios side by side (engine/compare.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import ValidationError

from engine.commands import io, options
from engine.errors import UserError, format_profile_error
from engine.recommend import recommend

NAME = "compare"


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME,
        help="compare 2-6 profiles or saved scenarios side by side",
        description="Compare 2-6 items side by side. Each ITEM is a profile JSON file (evaluated with the "
        "options below) or the name of a saved scenario (evaluated with its own saved options).",
    )
    p.add_argument("items", nargs="+", metavar="ITEM", help="profile JSON file or saved scenario name")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="for profile files: evaluation date (default today)")
    p.add_argument("--draws", type=int, default=10_000, metavar="N", help="for profile files (default 10000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="for profile files (default 0)")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions directory for every item")
    p.add_argument(
        "--format", choices=("json", "markdown"), default="json", help="output format (default json)"
    )
    p.add_argument("--lang", choices=options.LANGS, default="zh", help="language of texts (default zh)")
    p.add_argument(
        "--database", metavar="URL", help="scenario database (default: WXPLAN_DATABASE_URL or the local file)"
    )
    return p


def run(args: argparse.Namespace) -> int:
    from engine.compare import MAX_ITEMS, MIN_ITEMS, compare
    from engine.render.markdown import comparison_markdown

    if not MIN_ITEMS <= len(args.items) <= MAX_ITEMS:
        raise UserError(f"compare needs {MIN_ITEMS} to {MAX_ITEMS} items, got {len(args.items)}")
    results = []
    db = None
    try:
        for item in args.items:
            if Path(item).is_file() or item == "-":
                try:
                    rec = recommend(
                        io.read_profile(item), as_of=args.as_of, draws=args.draws, seed=args.seed,
                        assumptions=args.assumptions, lang=args.lang,
                    )  # fmt: skip
                except ValidationError as exc:
                    raise UserError(f"{item}: invalid profile\n{format_profile_error(exc)}") from None
                results.append((Path(item).stem, rec))
                continue
            from engine import store as st  # SQLAlchemy is imported only for a scenario name
            from engine.errors import ScenarioNotFound, StoreError

            try:
                db = db or st.ScenarioStore(args.database)
                scenario = db.get(item)
            except ScenarioNotFound:
                raise UserError(
                    f"'{item}' is neither a profile file nor a saved scenario in {db.display_url if db else 'the database'}"
                ) from None
            except StoreError as exc:
                raise UserError(
                    f"'{item}' is not a file, and the scenario database cannot be read: {exc}"
                ) from None
            results.append((item, st.run(scenario, args.lang, assumptions=args.assumptions)))
    finally:
        if db is not None:
            db.close()
    io.write(compare(results, args.lang), args.format, {"markdown": comparison_markdown})
    return 0
