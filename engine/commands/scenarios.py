"""``wxplan scenarios ACTION``: named scenarios kept in a database (engine/store.py) - save, list, show,
rename, duplicate, delete, export and import. Each action is one function of :data:`ACTIONS`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from engine.commands import io, options
from engine.errors import (
    InvalidScenario,
    ScenarioExists,
    ScenarioNotFound,
    StoreError,
    UserError,
    format_profile_error,
)
from engine.profile import MerchantProfile

NAME = "scenarios"

EXAMPLES = """examples:
  wxplan scenarios save "客户A 2026" examples/douyin_native_brand.json --as-of 2026-11-21 --notes "first pass"
  wxplan scenarios list
  wxplan scenarios show "客户A 2026" --format markdown --lang en
  wxplan scenarios export "客户A 2026" > a.json && wxplan scenarios import a.json --overwrite
  wxplan scenarios --database postgresql://USER:PASSWORD@HOST/DB list

The database: --database URL, else $WXPLAN_DATABASE_URL, else the SQLite file
$XDG_DATA_HOME/wxplan/scenarios.db (default ~/.local/share/wxplan/scenarios.db), created on first use."""

# Scenario fields as the user names them on the command line (for error messages).
_SCENARIO_OPTIONS = {
    "name": "NAME",
    "notes": "--notes",
    "as_of": "--as-of",
    "draws": "--draws",
    "seed": "--seed",
    "plan": "--plan",
    "overrides": "--override",
    "horizon_months": "--horizon",
    "levels": "--level",
}


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    db_help = "database URL (default: $WXPLAN_DATABASE_URL, else ~/.local/share/wxplan/scenarios.db)"
    grp = sub.add_parser(
        NAME,
        help="save, list, show, rename, duplicate, delete, export and import named scenarios",
        description="Named scenarios: a profile with its options, kept in a database; results are recomputed.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grp.add_argument("--database", metavar="URL", help=db_help)
    actions = grp.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".")
        p.add_argument("--database", metavar="URL", default=argparse.SUPPRESS, help=db_help)
        return p

    save = action("save", "save a profile and its options under a name")
    save.add_argument("name", help="scenario name, 1-120 characters, unique")
    save.add_argument("profile", help=options.PROFILE_HELP)
    save.add_argument("--notes", default="", help="free text kept with the scenario")
    save.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="evaluate as of this date (default: the day shown)"
    )
    save.add_argument(
        "--draws", type=int, default=10_000, metavar="N", help="Monte Carlo draws (default 10000)"
    )
    save.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    save.add_argument(
        "--plan", help="force a plan, e.g. 'channels,shop' or 'channels,shop>wecom' (default: recommend)"
    )
    save.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=FACTOR",
        help="scale key assumptions: salary, saas, promotion; e.g. --override salary=1.2",
    )
    options.add_economics(save)
    save.add_argument("--overwrite", action="store_true", help="replace a scenario of the same name")
    lst = action("list", "list the saved scenarios, the most recently changed first")
    lst.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format (default table)"
    )
    show = action("show", "recompute a scenario and print the result as 'wxplan recommend' does")
    show.add_argument("name", help="scenario name")
    show.add_argument(
        "--format", choices=("json", "markdown", "html"), default="json", help="output format (default json)"
    )
    show.add_argument("--lang", choices=options.LANGS, default="zh", help="language of texts (default zh)")
    ren = action("rename", "give a scenario another name")
    ren.add_argument("old", help="current name")
    ren.add_argument("new", help="new name")
    dup = action("duplicate", "copy a scenario under a new name")
    dup.add_argument("name", help="scenario to copy")
    dup.add_argument("new", help="name of the copy")
    dele = action("delete", "delete a scenario")
    dele.add_argument("name", help="scenario name")
    exp = action("export", "print a scenario as JSON (for 'import')")
    exp.add_argument("name", help="scenario name")
    imp = action("import", "import a scenario exported as JSON, timestamps included")
    imp.add_argument("file", help="exported JSON file ('-' reads stdin)")
    imp.add_argument("--overwrite", action="store_true", help="replace a scenario of the same name")
    return grp


def run(args: argparse.Namespace) -> int:
    from engine import store as st  # SQLAlchemy is imported only by this command

    try:
        db = st.ScenarioStore(args.database)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        ACTIONS[args.action](args, st, db)
        return 0
    except ScenarioNotFound as exc:
        raise UserError(f"{exc} in {db.display_url}; see 'wxplan scenarios list'") from None
    except ScenarioExists as exc:
        raise UserError(f"{exc} in {db.display_url}; choose another name or use --overwrite") from None
    except InvalidScenario as exc:
        raise UserError("invalid scenario\n" + "\n".join(exc.problems)) from None
    except StoreError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.close()


# Each action: (args, engine.store, the open store). engine.store is passed in, being imported lazily.
Action = Callable[[argparse.Namespace, ModuleType, Any], None]


def _save(args: argparse.Namespace, st: ModuleType, db: Any) -> None:
    raw = io.read_profile(args.profile)
    try:
        profile = MerchantProfile.model_validate(raw)
    except ValidationError as exc:
        raise UserError(f"{args.profile}: invalid profile\n{format_profile_error(exc)}") from None
    fields = {
        "name": args.name,
        "notes": args.notes,
        "profile": profile,
        "overrides": options.overrides(args.override),
        "as_of": args.as_of,
        "draws": args.draws,
        "seed": args.seed,
        "plan": args.plan,
        "horizon_months": args.horizon,
        "levels": options.levels(args.level),
    }
    try:
        scenario = st.Scenario.model_validate(fields)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            where = _SCENARIO_OPTIONS.get(loc[0], loc[0]) if loc else "scenario"
            if loc and loc[0] == "overrides" and len(loc) > 1:
                where = f"--override {loc[1]}"
            msg = err["msg"].removeprefix("Value error, ")
            given = err.get("input")
            shown = "" if str(given) in msg else f" (got {st.clip(repr(given))})"
            problems.append(f"{where}: {msg}{shown}")
        raise UserError(f"scenario '{st.clip(args.name)}': invalid\n" + "\n".join(problems)) from None
    existed = args.overwrite and db.exists(args.name)
    db.save(scenario, overwrite=args.overwrite)
    print(f"{'replaced' if existed else 'saved'} scenario '{args.name}' in {db.display_url}")


def _list(args: argparse.Namespace, st: ModuleType, db: Any) -> None:
    unreadable: list = []
    items = db.list(unreadable)  # the readable ones; each other row is named on stderr
    for problem in unreadable:
        print(f"wxplan: warning: {problem}; not listed", file=sys.stderr)
    if args.format == "json":
        out = [
            {k: v for k, v in s.model_dump(mode="json").items() if k not in ("profile", "overrides")}
            for s in items
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
    elif not items:
        if not unreadable:
            print(f"no scenarios in {db.display_url}", file=sys.stderr)
    else:
        rows = [["NAME", "UPDATED (UTC)", "AS OF", "PLAN", "NOTES"]]
        for s in items:
            note = s.notes.strip().splitlines()[0] if s.notes.strip() else ""
            rows.append(
                [
                    st.clip(s.name, st.NAME_MAX),  # a name stored by an older wxplan: escaped
                    s.updated_at.strftime("%Y-%m-%d %H:%M"),
                    s.as_of.isoformat() if s.as_of else "today",
                    s.plan or "(recommend)",
                    st.clip(note if len(note) <= 40 else note[:39] + "…", 40),
                ]
            )
        sys.stdout.write(io.table(rows))


def _show(args: argparse.Namespace, st: ModuleType, db: Any) -> None:
    io.write_recommendation(st.run(db.get(args.name), args.lang), args.format, args.lang)


def _rename(args: argparse.Namespace, st: ModuleType, db: Any) -> None:
    db.rename(args.old, args.new)
    print(f"renamed scenario '{args.old}' to '{args.new}'")


def _duplicate(args: argparse.Namespace, st: ModuleType, db: Any) -> None:
    db.duplicate(args.name, args.new)
    print(f"copied scenario '{args.name}' to '{args.new}'")


def _delete(args: argparse.Namespace, st: ModuleType, db: Any) -> None:
    db.delete(args.name)
    print(f"deleted scenario '{args.name}'")


def _export(args: argparse.Namespace, st: ModuleType, db: Any) -> None:
    sys.stdout.write(json.dumps(db.export(args.name), ensure_ascii=False, indent=2) + "\n")


def _import(args: argparse.Namespace, st: ModuleType, db: Any) -> None:
    data = io.read_export(args.file)
    try:
        scenario = st.parse_export(data)
    except InvalidScenario as exc:
        raise UserError(f"{args.file}: not a wxplan scenario export\n" + "\n".join(exc.problems)) from None
    existed = args.overwrite and db.exists(scenario.name)
    db.import_(data, overwrite=args.overwrite)
    print(f"{'replaced' if existed else 'imported'} scenario '{scenario.name}' from {args.file}")


ACTIONS: dict[str, Action] = {
    "save": _save,
    "list": _list,
    "show": _show,
    "rename": _rename,
    "duplicate": _duplicate,
    "delete": _delete,
    "export": _export,
    "import": _import,
}
