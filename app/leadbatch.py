"""The 批量 Batch page's work, without Streamlit: score an uploaded lead list into a stored result, and read
that result back (in any UI language) for the page's metrics, table, charts and download.

The result keeps the CSV text :func:`engine.leads.run` wrote, so the page can be drawn again (another language,
other widgets changed) without scoring again. Only ``plan_label`` depends on the language the list was scored
in; it is rebuilt from ``plan`` and the kept modules for the language shown.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import pandas as pd

from app.i18n import t
from app.state import AppState, Options, share_link
from engine import batch, leads
from engine.assumptions import AssumptionSet
from engine.errors import localize
from engine.i18n import Lang
from engine.plans import Plan, plan_label
from engine.profile import MODULES, MerchantProfile, Module

NUMBER_COLUMNS = tuple(c for c in leads.OUTPUT_COLUMNS if c.endswith(("_p10", "_p50", "_p90", "probability")))
VERDICT_COLUMNS = tuple(f"verdict_{m}" for m in MODULES)
SHOWN_COLUMNS = (*(c for c in leads.OUTPUT_COLUMNS if c != "plan"), "plan")  # the code after the words


@dataclass(frozen=True, eq=False)
class BatchResult:
    """One scored lead list: the result CSV as written (in ``lang``), the run's summary and options."""

    csv_text: str
    summary: leads.Summary
    file_name: str
    as_of: date
    draws: int
    seed: int
    lang: Lang

    @cached_property
    def _records(self) -> tuple[tuple[str, ...], list[list[str]]]:
        rows = list(csv.reader(io.StringIO(self.csv_text, newline="")))
        return tuple(rows[0]), rows[1:]

    @property
    def header(self) -> tuple[str, ...]:
        return self._records[0]

    @property
    def rows(self) -> list[list[str]]:
        return self._records[1]

    @property
    def input_columns(self) -> int:
        return len(self.header) - len(leads.OUTPUT_COLUMNS)

    def column(self, name: str) -> list[str]:
        """Every row's cell of one output column."""
        i = self.input_columns + leads.OUTPUT_COLUMNS.index(name)
        return [row[i] for row in self.rows]

    def scored(self) -> list[bool]:
        return [not error for error in self.column("error")]

    @cached_property
    def profiles(self) -> tuple[MerchantProfile | None, ...]:
        """Every row's profile as the scoring read it (None for a row with an error)."""
        n = self.input_columns
        header = self.header[:n]
        return tuple(
            profile
            if ok and isinstance(profile := leads.parse_row(row[:n], header), MerchantProfile)
            else None
            for row, ok in zip(self.rows, self.scored(), strict=True)
        )


def score(
    data: bytes,
    file_name: str,
    *,
    as_of: date | None,
    draws: int,
    seed: int,
    lang: Lang,
    progress: Callable[[int, int], None] | None = None,
    assumptions: AssumptionSet | None = None,
) -> BatchResult:
    """Score every lead of a CSV file's bytes. Raises what :func:`engine.batch.options` and
    :func:`engine.leads.run` raise for the options or the file as a whole (``InputError``,
    ``AssumptionError``, ``LeadFileError``); a bad row is a row with an ``error``, never an exception."""
    opts = batch.options(as_of=as_of, draws=draws, seed=seed, assumptions=assumptions)
    sink = io.StringIO(newline="")
    # on the machine's cores, in threads: a server process must not fork worker processes
    summary = leads.run(data, sink, opts, lang=lang, progress=progress, threads=batch.default_workers())
    return BatchResult(sink.getvalue(), summary, file_name, opts.as_of, opts.draws, opts.seed, lang)


# --- reading a result back -------------------------------------------------------------------------


def plan_of(code: str) -> Plan:
    """The plan of a ``plan`` cell (``channels,shop>wecom``; empty for no new module)."""
    return tuple(tuple(m for m in phase.split(",") if m) for phase in code.split(">") if phase)  # type: ignore[misc]


def kept_of(verdicts: dict[Module, str]) -> tuple[Module, ...]:
    return tuple(m for m in MODULES if verdicts.get(m) == "keep")


def plan_labels(result: BatchResult, lang: Lang) -> list[str]:
    """Every row's ``plan_label`` in ``lang`` (empty for a row with an error)."""
    if lang == result.lang:
        return result.column("plan_label")
    verdicts = [result.column(c) for c in VERDICT_COLUMNS]
    out = []
    for i, (code, ok) in enumerate(zip(result.column("plan"), result.scored(), strict=True)):
        if not ok:
            out.append("")
            continue
        kept = kept_of({m: verdicts[j][i] for j, m in enumerate(MODULES)})
        out.append(plan_label(plan_of(code), kept, lang, result.as_of))
    return out


def download_csv(result: BatchResult, lang: Lang) -> bytes:
    """The result CSV, ``plan_label`` in ``lang``, as UTF-8 with a byte-order mark (Excel on Chinese Windows
    then reads it correctly)."""
    if lang == result.lang:
        text = result.csv_text
    else:
        i = result.input_columns + leads.OUTPUT_COLUMNS.index("plan_label")
        sink = io.StringIO(newline="")
        writer = csv.writer(sink, lineterminator="\r\n")
        writer.writerow(result.header)
        for row, label in zip(result.rows, plan_labels(result, lang), strict=True):
            writer.writerow([*row[:i], leads.neutralise(label), *row[i + 1 :]])
        text = sink.getvalue()
    return text.encode("utf-8-sig")


def error_texts(result: BatchResult, lang: Lang) -> list[str]:
    """Every row's ``error`` in ``lang`` (the result CSV holds it in English, as the command line writes
    it; empty for a scored row)."""
    return [localize(e, lang) if e else "" for e in result.column("error")]


def file_error_text(err: object, lang: Lang) -> str:
    """Why a file (or the options) could not be scored, in ``lang``."""
    if isinstance(err, leads.LeadFileError) and err.key:
        return err.text(lang)
    return localize(str(err), lang)


def readable_csv(result: BatchResult, lang: Lang) -> bytes:
    """The result CSV for people, in ``lang``: the input columns as uploaded, then the result columns headed
    as on the page (错误, 推荐方案 …), verdicts and errors in words, numbers unformatted, and the plan's code
    kept (its column, as in the table, comes after the words). UTF-8 with a byte-order mark.

    The machine form (column codes, verdict codes, English errors: what ``wxplan batch`` writes) is
    :func:`download_csv`."""
    n = result.input_columns
    columns: list[list[str]] = []
    for column in SHOWN_COLUMNS:
        if column == "plan_label":
            values = plan_labels(result, lang)
        elif column == "error":
            values = error_texts(result, lang)
        elif column in VERDICT_COLUMNS:
            values = [t(f"verdict.{v}", lang) if v else "" for v in result.column(column)]
        else:
            values = result.column(column)
        columns.append(values)
    sink = io.StringIO(newline="")
    writer = csv.writer(sink, lineterminator="\r\n")
    header = [*result.header[:n], *(t(f"batchpage.col.{c}", lang) for c in SHOWN_COLUMNS)]
    writer.writerow([leads.neutralise(c) for c in header])
    for i, row in enumerate(result.rows):
        writer.writerow([*row[:n], *(leads.neutralise(values[i]) for values in columns)])
    return sink.getvalue().encode("utf-8-sig")


def assess_links(result: BatchResult, lang: Lang, base_url: str | None) -> list[str | None]:
    """Per row, the link that opens its lead on the Assess page: the profile, the batch's as-of date, draws
    and seed (so Assess shows what the row says), in ``lang`` — the same link the Assess page shares
    (:func:`app.state.share_link`). None for a row with an error."""
    options = Options(as_of=result.as_of, draws=result.draws, seed=result.seed)
    return [
        None
        if profile is None
        else share_link(AppState(profile=profile, lang=lang, options=options), base_url)
        for profile in result.profiles
    ]


def download_name(result: BatchResult, lang: Lang | None = None) -> str:
    """The machine CSV's file name; with ``lang``, the name of the one in that language."""
    return f"wxplan-leads-{result.as_of.isoformat()}{f'-{lang}' if lang else ''}.csv"


def first_year_p50(result: BatchResult) -> list[float]:
    """The first-year cost P50 of every scored lead (an unbounded one left out)."""
    out = []
    for cell, ok in zip(result.column("first_year_cny_p50"), result.scored(), strict=True):
        if ok and cell:
            value = float(cell)
            if math.isfinite(value):
                out.append(value)
    return out


def verdict_counts(result: BatchResult) -> dict[Module, Counter[str]]:
    """Per module, how many scored leads get each verdict (keep, adopt_now, adopt_later, not_recommended)."""
    ok = result.scored()
    return {
        m: Counter(v for v, good in zip(result.column(f"verdict_{m}"), ok, strict=True) if good and v)
        for m in MODULES
    }


def table(
    result: BatchResult, lang: Lang, *, only_errors: bool = False, links: Sequence[str | None] | None = None
) -> pd.DataFrame:
    """The result as a table to show: the lead's first column (and ``name``), then — given ``links``
    (:func:`assess_links`) — the link that opens the lead in Assess, then the results in words (headers and
    verdicts in ``lang``, numbers as numbers, the plan's code last), then the other input columns. Rows keep
    their input order and index (row 1 is the file's first data row)."""
    n = result.input_columns
    inputs = [
        (name or f"({i + 1})", [row[i] for row in result.rows]) for i, name in enumerate(result.header[:n])
    ]
    front = [i for i, (name, _) in enumerate(inputs) if i == 0 or name == "name"][:2]
    labels = plan_labels(result, lang)
    outputs = []
    for column in SHOWN_COLUMNS:
        if column == "plan_label":
            values: list = labels
        elif column == "error":
            values = error_texts(result, lang)
        elif column in VERDICT_COLUMNS:
            values = [t(f"verdict.{v}", lang) if v else "" for v in result.column(column)]
        elif column in NUMBER_COLUMNS or column.endswith("_weeks_p50"):
            values = [float(v) if v else None for v in result.column(column)]
        else:
            values = result.column(column)
        outputs.append((t(f"batchpage.col.{column}", lang), values))
    opened = [(t("batchpage.col.open", lang), list(links))] if links is not None else []
    ordered = (
        [inputs[i] for i in front] + opened + outputs + [c for i, c in enumerate(inputs) if i not in front]
    )
    columns: dict[str, list] = {}
    for name, values in ordered:
        while name in columns:  # headers that clash (an input named like a result column) stay apart
            name += "\u200b"
        columns[name] = values
    frame = pd.DataFrame(columns, index=pd.RangeIndex(1, len(result.rows) + 1))
    if only_errors:
        frame = frame[[not ok for ok in result.scored()]]
    return frame
