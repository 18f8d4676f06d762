"""``wxplan``: the command line, a thin shell over :func:`engine.recommend`.

Every user error exits with status 2 and one clear message per problem on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from engine.assumptions import AssumptionError, check, load
from engine.errors import format_profile_error
from engine.overrides import TARGETS
from engine.profile import MODULES, MerchantProfile
from engine.recommend import InputError, recommend
from engine.report import to_html, to_markdown

EXAMPLE = """examples:
  wxplan recommend examples/douyin_native_brand.json --as-of 2026-11-21 --format markdown
  wxplan evaluate examples/douyin_native_brand.json --plan "channels,shop>wecom"
  wxplan assumptions check assumptions/
  wxplan schema > profile.schema.json"""


OVERRIDE_KEYS = tuple(TARGETS)


class UserError(Exception):
    """An error the user can fix; printed without a traceback, exit status 2."""


def _fail(message: str, status: int = 2) -> NoReturn:
    print(f"wxplan: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def read_profile(path: str) -> dict:
    """Read a profile JSON file (``-`` for stdin) into a dict, or raise :class:`UserError`."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a profile JSON file") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text; save the profile as UTF-8 JSON") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object of profile fields, got {type(data).__name__}")
    return data


def _add_common(p: argparse.ArgumentParser) -> None:
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
    p.add_argument(
        "--format", choices=("json", "markdown", "html"), default="json", help="output format (default json)"
    )
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
    ev = sub.add_parser("evaluate", help="evaluate a given plan for a profile (same output)")
    _add_common(ev)
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
    return parser


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
    if args.command == "schema":
        print(json.dumps(MerchantProfile.model_json_schema(), ensure_ascii=False, indent=2))
        return 0
    if args.command == "assumptions":
        directory = args.directory or str(Path(__file__).resolve().parents[1] / "assumptions")
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
    )
    if args.format == "markdown":
        sys.stdout.write(to_markdown(rec))
    elif args.format == "html":
        sys.stdout.write(to_html(rec))
    else:
        sys.stdout.write(rec.model_dump_json(indent=2) + "\n")
    return 0


# --- sensitivity: what drives the answer (engine/sensitivity.py) ---------------------------------


def _add_sensitivity(sub: argparse._SubParsersAction) -> None:
    sen = sub.add_parser(
        "sensitivity",
        help="what drives the answer: tornado and Sobol indices of a plan, plan-win probabilities, flips",
    )
    sen.add_argument("profile", help="merchant profile JSON file ('-' reads stdin); see 'wxplan schema'")
    sen.add_argument(
        "--plan",
        help=f"analyse this plan instead of the recommended one (modules from {', '.join(MODULES)}; "
        "'channels,shop' or 'channels,shop>wecom')",
    )
    sen.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="evaluate with the evidence and values in force then (default: today)",
    )
    sen.add_argument(
        "--draws", type=int, default=10_000, metavar="N", help="Monte Carlo draws, 100-200000 (default 10000)"
    )
    sen.add_argument(
        "--seed", type=int, default=0, metavar="S", help="random seed (default 0); same seed, same output"
    )
    sen.add_argument(
        "--sobol-n",
        type=int,
        default=2048,
        metavar="N",
        help="Sobol base sample, a power of two 64-16384 (default 2048); the model runs N x (assumptions + 2) times",
    )
    sen.add_argument(
        "--assumptions", metavar="DIR", help="use another assumptions directory (default: the bundled set)"
    )
    sen.add_argument(
        "--format", choices=("json", "markdown"), default="json", help="output format (default json)"
    )
    sen.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of texts (default zh)")
    sen.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=FACTOR",
        help="scale key assumptions: salary, saas, promotion; e.g. --override salary=1.2",
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


def main(argv: list[str] | None = None) -> int:
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
