"""``wxplan batch INPUT.csv -o OUTPUT.csv``: a lead list in, the same list with recommendations out
(engine/leads.py)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from engine import batch, leads, safe_io
from engine.batch import BATCH_DRAWS
from engine.commands import options
from engine.errors import LeadFileError, OutputError, UserError

NAME = "batch"

EXAMPLES = """examples:
  wxplan batch examples/leads.csv -o leads_scored.csv
  wxplan batch leads.csv -o scored.csv --draws 2000 --seed 7 --as-of 2026-11-21 --lang en --progress
  wxplan batch leads.csv -o - | head        # '-' or /dev/stdout: the rows to standard output

The input is a CSV file (UTF-8, UTF-16 or GBK) with a header row; columns named after the profile's fields
(see 'wxplan schema') are read, every other column is copied through. The output is UTF-8 with a byte-order
mark (Excel opens it directly): the input columns, then error, plan, plan_label, the four verdicts, cost
bands, ramp weeks and win probability. A row that cannot be read says why in 'error'; the others are scored.
An existing OUTPUT.csv is replaced only with --overwrite (keeping its permissions), and only once every row
is written; '-', a device or a FIFO is written straight."""


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME,
        help="recommend a plan for every lead of a CSV file",
        description="Recommend a plan for every lead of a CSV file; all leads are scored on the same draws.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "input", metavar="INPUT.csv", help="lead list: a CSV file with a header row ('-' reads stdin)"
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUTPUT.csv",
        help="where to write the list with results ('-' writes standard output)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace OUTPUT.csv if it exists (it keeps its permissions)"
    )
    options.add_as_of(p)
    p.add_argument(
        "--draws",
        type=int,
        default=BATCH_DRAWS,
        metavar="N",
        help=f"Monte Carlo draws per lead, 100-200000 (default {BATCH_DRAWS})",
    )
    options.add_seed(p)
    options.add_assumptions(p)
    p.add_argument(
        "--lang", choices=options.LANGS, default="zh", help="language of the plan labels (default zh)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=batch.default_workers(),
        metavar="N",
        help=f"worker processes sharing the scoring; same output for any N (default {batch.default_workers()}: "
        f"this machine's cores, at most 4; never more than {batch.max_workers()}: its cores, at most "
        f"{batch.MAX_WORKERS})",
    )
    p.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar on stderr even when it is not a terminal (shown on a terminal anyway)",
    )
    return p


class ProgressBar:
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


def run(args: argparse.Namespace) -> int:
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
    except OutputError as exc:
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
    bar = ProgressBar(sys.stderr) if args.progress or sys.stderr.isatty() else None
    try:
        summary = leads.run_to_file(
            source, args.output, opts, lang=args.lang, progress=bar, workers=workers, overwrite=args.overwrite
        )
    except LeadFileError as exc:
        raise UserError(f"{args.input}: {exc}") from None
    except OutputError as exc:
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
