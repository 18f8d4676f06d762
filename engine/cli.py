"""``wxplan``: the command line, a thin shell over :func:`engine.recommend`.

Every user error exits with status 2 and one clear message per problem on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from engine import batch, leads
from engine.assumptions import DEFAULT_DIR, LEVELS, AssumptionError, check, load
from engine.batch import BATCH_DRAWS
from engine.errors import format_profile_error
from engine.overrides import TARGETS
from engine.profile import MODULES, MerchantProfile
from engine.recommend import HORIZONS, InputError, recommend
from engine.report import to_html, to_markdown

EXAMPLE = """examples:
  wxplan recommend examples/douyin_native_brand.json --as-of 2026-11-21 --format markdown
  wxplan evaluate examples/douyin_native_brand.json --plan "channels,shop>wecom"
  wxplan batch examples/leads.csv -o leads_scored.csv --as-of 2026-11-21
  wxplan assumptions check assumptions/
  wxplan schema > profile.schema.json"""


OVERRIDE_KEYS = tuple(TARGETS)


class UserError(Exception):
    """An error the user can fix; printed without a traceback, exit status 2."""


def _fail(message: str, status: int = 2) -> NoReturn:
    print(f"wxplan: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def read_profile(path: str) -> dict:
    """Read a profile JSON file (``-`` for stdin) into a dict, or raise :class:`UserError`.

    Strict (engine.text.parse_json): no key twice, no integer of more than 100 digits, no deep nesting, no
    NaN. The fields are checked as JSON (``"0.5"`` and ``true`` are not numbers): a bad one raises
    ``pydantic.ValidationError`` naming it."""
    from engine.profile import STRICT_JSON
    from engine.text import InvalidJSON, parse_json

    try:
        if path == "-":  # bytes, decoded here: a non-UTF-8 stdin is an error, not surrogate escapes
            stdin = getattr(sys.stdin, "buffer", None)
            raw = stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
            text = raw.decode("utf-8-sig")
        else:
            text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a profile JSON file") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text; save the profile as UTF-8 JSON") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = parse_json(text.removeprefix("\ufeff"))
    except InvalidJSON as exc:
        raise UserError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object of profile fields, got {type(data).__name__}")
    MerchantProfile.model_validate(data, context=STRICT_JSON)
    return data


def _add_common(
    p: argparse.ArgumentParser, formats: tuple[str, ...] = ("json", "markdown", "html", "pdf")
) -> None:
    p.add_argument("profile", help="merchant profile JSON file ('-' reads stdin); see 'wxplan schema'")
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="evaluate with the evidence and values in force then (default: today)",
    )
    p.add_argument(
        "--draws", type=int, default=10_000, metavar="N", help="Monte Carlo draws, 100-200000 (default 10000)"
    )
    p.add_argument(
        "--seed", type=int, default=0, metavar="S", help="random seed (default 0); same seed, same output"
    )
    p.add_argument(
        "--assumptions", metavar="DIR", help="use another assumptions directory (default: the bundled set)"
    )
    p.add_argument("--format", choices=formats, default="json", help="output format (default json)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of texts (default zh)")
    p.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=FACTOR",
        help="scale key assumptions: salary, saas (SaaS/development prices), promotion; e.g. --override salary=1.2",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wxplan",
        description="Recommend which WeChat commerce modules (视频号 channels, 微信小店 shop, 小程序 miniprogram, "
        "企业微信 wecom) a merchant should adopt, in what order, with cost, ramp and evidence.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rec = sub.add_parser("recommend", help="recommend a phased plan for a profile")
    _add_common(rec)
    _add_economics(rec)
    ev = sub.add_parser("evaluate", help="evaluate a given plan for a profile (same output)")
    _add_common(ev)
    _add_economics(ev)
    ev.add_argument(
        "--plan",
        required=True,
        help=f"modules from {', '.join(MODULES)}: 'channels,shop' lets wxplan phase them, "
        "'channels,shop>wecom' fixes the phases",
    )
    sub.add_parser("schema", help="print the profile's JSON schema")
    asm = sub.add_parser("assumptions", help="work with assumption sets")
    asm_sub = asm.add_subparsers(dest="action", required=True, metavar="ACTION")
    chk = asm_sub.add_parser("check", help="validate an assumptions directory and report every problem")
    chk.add_argument(
        "directory", nargs="?", default=None, help="directory to check (default: the bundled set)"
    )
    _add_sensitivity(sub)
    _add_scenarios(sub)
    _add_compare(sub)
    _add_batch(sub)
    app = sub.add_parser("app", help="start the Streamlit app (from the installed package)")
    app.add_argument("--port", type=int, default=8501, help="port to serve on (default: 8501)")
    app.add_argument(
        "--address", default=None, help="address to bind (default: Streamlit's, every interface)"
    )
    return parser


# The settings of the repository's .streamlit/config.toml, which an installed package does not carry.
APP_FLAGS = (
    "--server.headless=true",
    "--server.fileWatcherType=none",
    "--browser.gatherUsageStats=false",
    "--theme.base=light",
    "--client.toolbarMode=viewer",
    "--client.showErrorDetails=none",
)


def _run_app(args: argparse.Namespace) -> int:
    """``streamlit run`` on the installed app/streamlit_app.py, in a child process stopped with this one."""
    import subprocess

    from engine.resources import app_script

    if not 0 < args.port < 65536:
        raise UserError(f"--port: {args.port} is not a port number (1-65535)")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_script()), *APP_FLAGS]
    cmd.append(f"--server.port={args.port}")
    if args.address:
        cmd.append(f"--server.address={args.address}")
    child = subprocess.Popen(cmd)
    try:
        return child.wait()
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _add_economics(p: argparse.ArgumentParser) -> None:
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


def _levels(items: list[str]) -> dict[str, str]:
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


def _overrides(items: list[str]) -> dict[str, float]:
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


def _run(args: argparse.Namespace) -> int:
    if args.command == "sensitivity":
        return _run_sensitivity(args)
    if args.command == "compare":
        return _run_compare(args)
    if args.command == "scenarios":
        return _run_scenarios(args)
    if args.command == "batch":
        return _run_batch(args)
    if args.command == "app":
        return _run_app(args)
    if args.command == "schema":
        print(json.dumps(MerchantProfile.model_json_schema(), ensure_ascii=False, indent=2))
        return 0
    if args.command == "assumptions":
        directory = args.directory or str(DEFAULT_DIR)
        problems = check(directory)
        if problems:
            for problem in problems:
                print(
                    f"{directory}/{problem}" if not problem.startswith(directory) else problem,
                    file=sys.stderr,
                )
            print(f"wxplan: {len(problems)} problem(s) in {directory}", file=sys.stderr)
            return 2
        aset = load(directory)
        print(
            f"{directory}: OK ({len(aset.params())} parameters, every one with unit, range, date and reference)"
        )
        return 0
    profile = read_profile(args.profile)
    rec = recommend(
        profile,
        as_of=args.as_of,
        draws=args.draws,
        seed=args.seed,
        plan=getattr(args, "plan", None),
        assumptions=args.assumptions,
        lang=args.lang,
        overrides=_overrides(args.override),
        levels=_levels(args.level),
        horizon_months=args.horizon,
    )
    if args.format == "markdown":
        sys.stdout.write(to_markdown(rec))
    elif args.format == "html":
        sys.stdout.write(to_html(rec))
    elif args.format == "pdf":  # the HTML report on A4 (engine/report_pdf.py): bytes, redirect to a file
        from engine.report_pdf import PdfUnavailable, to_pdf

        try:
            sys.stdout.buffer.write(to_pdf(rec))
        except PdfUnavailable as exc:
            raise UserError(exc.message.text(args.lang)) from None
    else:
        sys.stdout.write(rec.model_dump_json(indent=2) + "\n")
    return 0


# --- sensitivity: what drives the answer (engine/sensitivity.py) ---------------------------------


def _add_sensitivity(sub: argparse._SubParsersAction) -> None:
    sen = sub.add_parser(
        "sensitivity",
        help="what drives the answer: tornado and Sobol indices of a plan, plan-win probabilities, flips",
    )
    _add_common(sen, formats=("json", "markdown"))
    sen.add_argument(
        "--plan",
        help=f"analyse this plan instead of the recommended one (modules from {', '.join(MODULES)}; "
        "'channels,shop' or 'channels,shop>wecom')",
    )
    sen.add_argument(
        "--sobol-n",
        type=int,
        default=2048,
        metavar="N",
        help="Sobol base sample, a power of two 64-16384 (default 2048); the model runs N x (assumptions + 2) times",
    )


def _run_sensitivity(args: argparse.Namespace) -> int:
    profile = read_profile(args.profile)
    from engine.sensitivity import sensitivity  # imports scipy.stats: only once the profile is read
    from engine.sensitivity import to_markdown as sensitivity_markdown

    result = sensitivity(
        profile,
        plan=args.plan,
        as_of=args.as_of,
        draws=args.draws,
        seed=args.seed,
        assumptions=args.assumptions,
        lang=args.lang,
        overrides=_overrides(args.override),
        sobol_n=args.sobol_n,
    )
    if args.format == "markdown":
        sys.stdout.write(sensitivity_markdown(result))
    else:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    return 0


# --- end of sensitivity ----------------------------------------------------------------------------


# --- scenarios: the scenario store (engine/store.py) ---------------------------------------------

SCENARIO_EXAMPLES = """examples:
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
}


def _add_scenarios(sub: argparse._SubParsersAction) -> None:
    db_help = "database URL (default: $WXPLAN_DATABASE_URL, else ~/.local/share/wxplan/scenarios.db)"
    grp = sub.add_parser(
        "scenarios",
        help="save, list, show, rename, duplicate, delete, export and import named scenarios",
        description="Named scenarios: a profile with its options, kept in a database; results are recomputed.",
        epilog=SCENARIO_EXAMPLES,
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
    save.add_argument("profile", help="merchant profile JSON file ('-' reads stdin); see 'wxplan schema'")
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
    show.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of texts (default zh)")
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


def _read_export(path: str) -> object:
    from engine.store import InvalidJSON, parse_json

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a scenario JSON file") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text; expected a scenario JSON file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    try:  # strict: no duplicate keys, no huge numbers, no deep nesting
        return parse_json(text.removeprefix("\ufeff"))
    except InvalidJSON as exc:
        raise UserError(f"{path}: {exc}") from None


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: list[list[str]]) -> str:
    widths = [max(_display_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [c + " " * (w - _display_width(c)) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _run_scenarios(args: argparse.Namespace) -> int:
    from engine import store as st  # SQLAlchemy is imported only by this command

    try:
        db = st.ScenarioStore(args.database)
    except st.StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        return _scenario_action(args, st, db)
    except st.ScenarioNotFound as exc:
        raise UserError(f"{exc} in {db.display_url}; see 'wxplan scenarios list'") from None
    except st.ScenarioExists as exc:
        raise UserError(f"{exc} in {db.display_url}; choose another name or use --overwrite") from None
    except st.InvalidScenario as exc:
        raise UserError("invalid scenario\n" + "\n".join(exc.problems)) from None
    except st.StoreError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.close()


def _scenario_action(args: argparse.Namespace, st, db) -> int:  # st: engine.store, imported lazily
    if args.action == "save":
        raw = read_profile(args.profile)
        try:
            profile = MerchantProfile.model_validate(raw)
        except ValidationError as exc:
            raise UserError(f"{args.profile}: invalid profile\n{format_profile_error(exc)}") from None
        fields = {
            "name": args.name,
            "notes": args.notes,
            "profile": profile,
            "overrides": _overrides(args.override),
            "as_of": args.as_of,
            "draws": args.draws,
            "seed": args.seed,
            "plan": args.plan,
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
    elif args.action == "list":
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
            sys.stdout.write(_table(rows))
    elif args.action == "show":
        rec = st.run(db.get(args.name), args.lang)
        if args.format == "markdown":
            sys.stdout.write(to_markdown(rec))
        elif args.format == "html":
            sys.stdout.write(to_html(rec))
        else:
            sys.stdout.write(rec.model_dump_json(indent=2) + "\n")
    elif args.action == "rename":
        db.rename(args.old, args.new)
        print(f"renamed scenario '{args.old}' to '{args.new}'")
    elif args.action == "duplicate":
        db.duplicate(args.name, args.new)
        print(f"copied scenario '{args.name}' to '{args.new}'")
    elif args.action == "delete":
        db.delete(args.name)
        print(f"deleted scenario '{args.name}'")
    elif args.action == "export":
        sys.stdout.write(json.dumps(db.export(args.name), ensure_ascii=False, indent=2) + "\n")
    elif args.action == "import":
        data = _read_export(args.file)
        try:
            scenario = st.parse_export(data)
        except st.InvalidScenario as exc:
            raise UserError(
                f"{args.file}: not a wxplan scenario export\n" + "\n".join(exc.problems)
            ) from None
        existed = args.overwrite and db.exists(scenario.name)
        db.import_(data, overwrite=args.overwrite)
        print(f"{'replaced' if existed else 'imported'} scenario '{scenario.name}' from {args.file}")
    return 0


# --- end of scenarios ------------------------------------------------------------------------------


# --- wxplan compare ------------------------------------------------------------------------------


def _add_compare(sub: argparse._SubParsersAction) -> None:
    cmp = sub.add_parser(
        "compare",
        help="compare 2-6 profiles or saved scenarios side by side",
        description="Compare 2-6 items side by side. Each ITEM is a profile JSON file (evaluated with the "
        "options below) or the name of a saved scenario (evaluated with its own saved options).",
    )
    cmp.add_argument("items", nargs="+", metavar="ITEM", help="profile JSON file or saved scenario name")
    cmp.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="for profile files: evaluation date (default today)"
    )
    cmp.add_argument(
        "--draws", type=int, default=10_000, metavar="N", help="for profile files (default 10000)"
    )
    cmp.add_argument("--seed", type=int, default=0, metavar="S", help="for profile files (default 0)")
    cmp.add_argument("--assumptions", metavar="DIR", help="assumptions directory for every item")
    cmp.add_argument(
        "--format", choices=("json", "markdown"), default="json", help="output format (default json)"
    )
    cmp.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of texts (default zh)")
    cmp.add_argument(
        "--database", metavar="URL", help="scenario database (default: WXPLAN_DATABASE_URL or the local file)"
    )


def _run_compare(args: argparse.Namespace) -> int:
    from engine.compare import MAX_ITEMS, MIN_ITEMS, compare
    from engine.compare import to_markdown as compare_markdown

    if not MIN_ITEMS <= len(args.items) <= MAX_ITEMS:
        raise UserError(f"compare needs {MIN_ITEMS} to {MAX_ITEMS} items, got {len(args.items)}")
    results = []
    db = None
    try:
        for item in args.items:
            if Path(item).is_file() or item == "-":
                try:
                    rec = recommend(
                        read_profile(item), as_of=args.as_of, draws=args.draws, seed=args.seed,
                        assumptions=args.assumptions, lang=args.lang,
                    )  # fmt: skip
                except ValidationError as exc:
                    raise UserError(f"{item}: invalid profile\n{format_profile_error(exc)}") from None
                results.append((Path(item).stem, rec))
                continue
            from engine import store as st

            try:
                db = db or st.ScenarioStore(args.database)
                scenario = db.get(item)
            except st.ScenarioNotFound:
                raise UserError(
                    f"'{item}' is neither a profile file nor a saved scenario in {db.display_url if db else 'the database'}"
                ) from None
            except st.StoreError as exc:
                raise UserError(
                    f"'{item}' is not a file, and the scenario database cannot be read: {exc}"
                ) from None
            results.append((item, st.run(scenario, args.lang, assumptions=args.assumptions)))
    finally:
        if db is not None:
            db.close()
    comparison = compare(results, args.lang)
    if args.format == "markdown":
        sys.stdout.write(compare_markdown(comparison))
    else:
        sys.stdout.write(comparison.model_dump_json(indent=2) + "\n")
    return 0


# --- wxplan batch: a lead list in, the same list with recommendations out (engine/leads.py) ------

BATCH_EXAMPLES = """examples:
  wxplan batch examples/leads.csv -o leads_scored.csv
  wxplan batch leads.csv -o scored.csv --draws 2000 --seed 7 --as-of 2026-11-21 --lang en --progress
  wxplan batch leads.csv -o - | head        # '-' or /dev/stdout: the rows to standard output

The input is a CSV file (UTF-8, UTF-16 or GBK) with a header row; columns named after the profile's fields
(see 'wxplan schema') are read, every other column is copied through. The output is UTF-8 with a byte-order
mark (Excel opens it directly): the input columns, then error, plan, plan_label, the four verdicts, cost
bands, ramp weeks and win probability. A row that cannot be read says why in 'error'; the others are scored.
An existing OUTPUT.csv is replaced only with --overwrite (keeping its permissions), and only once every row
is written; '-', a device or a FIFO is written straight."""


def _add_batch(sub: argparse._SubParsersAction) -> None:
    bat = sub.add_parser(
        "batch",
        help="recommend a plan for every lead of a CSV file",
        description="Recommend a plan for every lead of a CSV file; all leads are scored on the same draws.",
        epilog=BATCH_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bat.add_argument(
        "input", metavar="INPUT.csv", help="lead list: a CSV file with a header row ('-' reads stdin)"
    )
    bat.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUTPUT.csv",
        help="where to write the list with results ('-' writes standard output)",
    )
    bat.add_argument(
        "--overwrite", action="store_true", help="replace OUTPUT.csv if it exists (it keeps its permissions)"
    )
    bat.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="evaluate with the evidence and values in force then (default: today)",
    )
    bat.add_argument(
        "--draws",
        type=int,
        default=BATCH_DRAWS,
        metavar="N",
        help=f"Monte Carlo draws per lead, 100-200000 (default {BATCH_DRAWS})",
    )
    bat.add_argument(
        "--seed", type=int, default=0, metavar="S", help="random seed (default 0); same seed, same output"
    )
    bat.add_argument(
        "--assumptions", metavar="DIR", help="use another assumptions directory (default: the bundled set)"
    )
    bat.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="language of the plan labels (default zh)"
    )
    bat.add_argument(
        "--workers",
        type=int,
        default=batch.default_workers(),
        metavar="N",
        help=f"worker processes sharing the scoring; same output for any N (default {batch.default_workers()}: "
        f"this machine's cores, at most 4; never more than {batch.max_workers()}: its cores, at most "
        f"{batch.MAX_WORKERS})",
    )
    bat.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar on stderr even when it is not a terminal (shown on a terminal anyway)",
    )


class _ProgressBar:
    """A one-line text progress bar, redrawn in place at most ten times a second."""

    WIDTH = 30

    def __init__(self, stream) -> None:
        self.stream = stream
        self.drawn = ""
        self.at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.at < 0.1:
            return
        share = done / total if total else 1.0
        filled = round(self.WIDTH * share)
        text = f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%}  {done}/{total} rows"
        if text != self.drawn:
            self.stream.write(text)
            self.stream.flush()
            self.drawn, self.at = text, now

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _run_batch(args: argparse.Namespace) -> int:
    from engine import safe_io
    from engine.i18n import t

    target = Path(args.output)
    if args.output != "-":
        if target.is_dir():
            raise UserError(f"-o {args.output}: is a directory; give the output file's name")
        if not target.parent.is_dir():
            raise UserError(f"-o {args.output}: the directory {target.parent} does not exist")
    source: Path | bytes = Path(args.input)
    if (
        args.input != "-"
        and args.output != "-"
        and source.exists()
        and target.exists()
        and os.path.samefile(source, target)
    ):
        raise UserError(f"-o {args.output}: is the input file; write the results to another file")
    try:  # refused before any work (and checked again when the file is put in place)
        safe_io.plan(args.output, overwrite=args.overwrite)
    except safe_io.OutputError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"-o {args.output}: cannot be written ({exc.strerror or exc})") from None
    opts = batch.options(as_of=args.as_of, draws=args.draws, seed=args.seed, assumptions=args.assumptions)
    workers = args.workers
    if isinstance(workers, int) and workers > batch.max_workers():
        cap = batch.max_workers()
        print(
            "wxplan: " + t("batch.workers_capped", "en", asked=workers, cap=cap, max=batch.MAX_WORKERS),
            file=sys.stderr,
        )
        workers = cap
    if args.input == "-":
        source = sys.stdin.buffer.read()  # read twice (encoding and row count, then rows): kept in memory
    bar = _ProgressBar(sys.stderr) if args.progress or sys.stderr.isatty() else None
    try:
        summary = leads.run_to_file(
            source, args.output, opts, lang=args.lang, progress=bar, workers=workers, overwrite=args.overwrite
        )
    except leads.LeadFileError as exc:
        raise UserError(f"{args.input}: {exc}") from None
    except safe_io.OutputError as exc:
        raise UserError(str(exc)) from None
    except BrokenPipeError:
        raise  # the reader of '-o -' stopped reading: not an error (main returns 0)
    except OSError as exc:
        raise UserError(f"-o {args.output}: cannot be written ({exc.strerror or exc})") from None
    finally:
        if bar is not None:
            bar.close()
    print(
        f"{summary.rows} rows: {summary.scored} scored, {summary.errors} with errors → {args.output}",
        file=sys.stderr,
    )
    return 0


# --- end of batch ----------------------------------------------------------------------------------


class Stopped(BaseException):
    """SIGTERM (or SIGHUP) arrived: unwinds like Ctrl-C's KeyboardInterrupt, so that temporary files are
    removed and workers stopped, without being caught by ``except Exception``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> NoReturn:
    raise Stopped(signum)


def _stopped(name: str, status: int) -> int:
    from engine.i18n import t

    try:
        sys.stderr.write(f"wxplan: {t('cli.stopped', 'en', signal=name)}\n")
        sys.stderr.flush()
    except Exception:  # stderr gone too: the status still says it
        pass
    return status


def main(argv: list[str] | None = None) -> int:
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) == signal.SIG_DFL:
            signal.signal(getattr(signal, name), _stop)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return _stopped("SIGINT (Ctrl-C)", 130)
    except Stopped as exc:
        return _stopped(signal.Signals(exc.signum).name, 128 + exc.signum)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except UserError as exc:
        _fail(str(exc))
    except ValidationError as exc:
        _fail(f"{args.profile}: invalid profile\n{format_profile_error(exc)}")
    except InputError as exc:
        _fail(f"--{exc.field.replace('_', '-')}: {str(exc).split(': ', 1)[1]}")
    except AssumptionError as exc:
        _fail("invalid assumptions\n" + "\n".join(exc.problems))
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("WXPLAN_DEBUG"):
            raise
        _fail(
            f"internal error ({type(exc).__name__}: {exc}); rerun with WXPLAN_DEBUG=1 for details", status=1
        )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
