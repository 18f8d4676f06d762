"""``wxplan``: the command line, a thin shell over the engine.

This module builds the parser from the table of commands (:data:`COMMANDS`, one module each in
:mod:`engine.commands`), runs the one asked for and turns every user error into status 2 and one clear
message per problem on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from pydantic import ValidationError

from engine.commands import (
    app,
    assumptions,
    batch,
    compare,
    evaluate,
    recommend,
    scenarios,
    schema,
    sensitivity,
)
from engine.errors import AssumptionError, InputError, Stopped, UserError, format_profile_error

EXAMPLE = """examples:
  wxplan recommend examples/douyin_native_brand.json --as-of 2026-11-21 --format markdown
  wxplan evaluate examples/douyin_native_brand.json --plan "channels,shop>wecom"
  wxplan batch examples/leads.csv -o leads_scored.csv --as-of 2026-11-21
  wxplan assumptions check assumptions/
  wxplan schema > profile.schema.json"""

# The commands in the order --help lists them.
COMMANDS = (recommend, evaluate, schema, assumptions, sensitivity, scenarios, compare, batch, app)
RUN = {command.NAME: command.run for command in COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wxplan",
        description="Recommend which WeChat commerce modules (视频号 channels, 微信小店 shop, 小程序 miniprogram, "
        "企业微信 wecom) a merchant should adopt, in what order, with cost, ramp and evidence.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def _fail(message: str, status: int = 2) -> NoReturn:
    print(f"wxplan: error: {message}", file=sys.stderr)
    raise SystemExit(status)


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
        return RUN[args.command](args)
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
