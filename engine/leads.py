"""Lead lists: read merchant leads from a CSV file, score every lead, write the list back with the results.

The input is a CSV file with a header row. Columns named after the profile's fields
(``MerchantProfile.model_fields``: ``business_type``, ``staff_fte`` ...) are read into a profile; every other
column (an ``id``, ``备注`` notes ...) is passed through unchanged. Cells are read generously:

- enumerated fields take the code in any letter case or the Chinese or English label (``品牌商`` is
  ``brand``; ``city_tier`` takes ``1``, ``1.0`` or ``一线城市``);
- lists (``shelf_platforms``, ``existing_modules``) are separated by ``;`` (also ``,``, ``、`` or ``；``);
- numbers may have thousands separators (``200,000``, ``200，000``), full-width digits, spaces, a ``¥``
  sign or a ``元`` suffix; ``gross_margin`` also takes a percentage (``45%``);
- ``name``, ``distributors``, ``shelf_platforms``, ``existing_modules``, ``current_monthly_gmv_cny`` and
  ``reachable_customers`` may be empty (their defaults; the two scale figures are then estimated); every
  other field is required.

The file may be UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, or GB18030 (which
covers GBK, what Excel on Chinese Windows writes). Comma-separated, or tab-separated when the header has
tabs and no comma (Excel's "Unicode text"). Lines with no content are skipped.

The output has every input row in input order: the input columns, then :data:`OUTPUT_COLUMNS`. A row that
cannot be read keeps its input cells and says why in ``error`` (each problem as ``field: reason``); it never
stops or shifts the other rows. A problem with the file itself (no header, duplicated or missing columns,
not a CSV file) raises :class:`LeadFileError` before anything is written.

Every lead is scored on the same draws (one :class:`engine.batch.Scorer` for the whole file), so a row
equals what ``wxplan recommend`` gives that profile with the same seed, draws and date.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, TextIO, get_args

from pydantic import ValidationError

from engine import batch, safe_io
from engine.errors import InputError, LeadFileError, profile_problems
from engine.i18n import LANGS, Lang, t
from engine.plans import plan_label
from engine.profile import FIELD_CHOICES, INT_CHOICE_FIELDS, LIST_FIELDS, MODULES, MerchantProfile

OUTPUT_COLUMNS: tuple[str, ...] = (
    "error",
    "plan",
    "plan_label",
    "verdict_channels",
    "verdict_shop",
    "verdict_miniprogram",
    "verdict_wecom",
    "setup_cny_p10",
    "setup_cny_p50",
    "setup_cny_p90",
    "monthly_cny_p10",
    "monthly_cny_p50",
    "monthly_cny_p90",
    "first_year_cny_p10",
    "first_year_cny_p50",
    "first_year_cny_p90",
    "net_first_year_cny_p10",
    "net_first_year_cny_p50",
    "net_first_year_cny_p90",
    "payback_months_p50",
    "payback_probability",
    "operational_weeks_p50",
    "steady_state_weeks_p50",
    "win_probability",
)
"""Columns added after the input columns. ``plan`` is the machine form (``channels,shop>wecom``, empty for no
new module), ``plan_label`` the same in words, verdicts are codes (keep, adopt_now, adopt_later,
not_recommended). An unbounded percentile is written ``inf``. A row with an ``error`` has the others empty."""

assert OUTPUT_COLUMNS[3:7] == tuple(f"verdict_{m}" for m in MODULES)

FIELDS: tuple[str, ...] = tuple(MerchantProfile.model_fields)
REQUIRED: tuple[str, ...] = tuple(n for n, f in MerchantProfile.model_fields.items() if f.is_required())
OPTIONAL: tuple[str, ...] = tuple(n for n in FIELDS if n not in REQUIRED)
ENUM_FIELDS: tuple[str, ...] = tuple(f for f in FIELD_CHOICES if f not in LIST_FIELDS)


def _numeric(annotation: object) -> type | None:
    kinds = [a for a in (get_args(annotation) or (annotation,)) if a is not type(None)]
    return kinds[0] if len(kinds) == 1 and kinds[0] in (int, float) else None


NUMBER_FIELDS: dict[str, type] = {
    n: kind for n, f in MerchantProfile.model_fields.items() if (kind := _numeric(f.annotation)) is not None
}
NAME_MAX = 120
_SHOWN = 80  # characters of a bad cell (or column name) quoted back in an error message
_LINE_LIMIT = 1 << 20
"""Longest line read, and longest record (a quoted cell may span lines), in characters. A longer line is
a row error keeping the cells before the limit (an ``id`` first stays); memory per line stays bounded
(a line of commas is a list of that many cells)."""
_PROBLEMS_PER_FIELD = 3  # problems of one field listed in a row's error; the rest are counted
_CHUNK = 1 << 16


def _file_error(key: str, **values: object) -> LeadFileError:
    return LeadFileError(t(key, "en", **values), key, values)


@dataclass(frozen=True)
class Summary:
    """What a run did: data rows read, rows scored, rows with an error, the input's encoding, and how
    often each plan (its ``plan_code``) was recommended among the scored rows."""

    rows: int
    scored: int
    errors: int
    encoding: str
    plans: Counter[str] = field(default_factory=Counter)


# --- cells -----------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_BLANK_LEAD = "\u200b\u200c\u200d\u2060\ufeff"  # invisible characters a spreadsheet may skip, besides spaces


def neutralise(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
    ``@``, tab or CR, also after leading spaces, line feeds, no-break or invisible spaces, and is not a
    plain number), as OWASP advises against CSV injection."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    bare = cell.lstrip()
    while bare[:1] and bare[0] in _BLANK_LEAD:
        bare = bare[1:].lstrip()
    if bare.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(bare):
        return "'" + cell
    return cell


def _norm(text: str) -> str:
    """Compare form of a cell: compatibility-normalised (full-width to ASCII), case-folded, spaces single."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def clip(text: str, limit: int = _SHOWN) -> str:
    """``text`` as quoted back in a message: at most ``limit`` characters, then how long it was."""
    return text if len(text) <= limit else text[:limit] + t("batch.clipped", "en", count=f"{len(text):,}")


def _shown(text: str) -> str:
    return clip(text.strip())


def _forms(label: str) -> set[str]:
    """A label and its parts: ``淘宝/天猫`` also as ``淘宝`` and ``天猫``, ``WeCom (企业微信)`` also as both."""
    forms = {label}
    match = re.fullmatch(r"(.*?)\s*\((.+)\)\s*", label)
    if match:
        forms |= {match.group(1), match.group(2)}
    for form in list(forms):
        forms |= set(form.split("/"))
    return {_norm(f) for f in forms if f.strip()}


@cache
def _aliases(name: str) -> dict[str, object]:
    """Every accepted spelling of an enumerated field's values (compare form) and the value it means."""
    table: dict[str, object] = {}
    ambiguous: set[str] = set()
    for value in FIELD_CHOICES[name]:
        labels = [t(f"enum.{name}.{value}", lang) for lang in LANGS]
        if name == "existing_modules":
            labels += [t(f"module.{value}.name", lang) for lang in LANGS]
            if value == "shop":
                labels += [t("module.shop.name_before_2024_08", lang) for lang in LANGS]
        for label in labels:
            for form in _forms(label):
                if table.setdefault(form, value) != value:
                    ambiguous.add(form)
    for form in ambiguous:
        del table[form]
    for value in FIELD_CHOICES[name]:
        table[_norm(str(value))] = value  # a code always means itself
    return table


_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_NOTHING = {"无", "没有", "none", "no", "-"}  # an empty list, spelled out


def _number(text: str, percent: bool = False) -> float | None:
    """A number cell as a float (NaN and infinities included, to be refused by range), or None."""
    s = unicodedata.normalize("NFKC", text).strip().removeprefix("¥").removesuffix("元").strip()
    scale = 1.0
    if percent and s.endswith("%"):
        s, scale = s[:-1].strip(), 0.01
    if _GROUPED.fullmatch(s):
        s = s.replace(",", "")
    if _PLAIN_NUMBER.fullmatch(s) or _NOT_FINITE.fullmatch(s):
        return float(s) * scale
    return None


def _enum(name: str, text: str) -> object:
    """The value an enumerated cell means, or the cell itself (validation then names the allowed values)."""
    found = _aliases(name).get(_norm(text))
    if found is not None:
        return found
    if name in INT_CHOICE_FIELDS:
        number = _number(text)
        if number is not None and number.is_integer() and abs(number) < 1e6:
            return int(number)
    return _shown(text)


def _list(name: str, text: str) -> tuple[object, ...]:
    parts = [p for p in re.split(r"[;,、]", unicodedata.normalize("NFKC", text)) if p.strip()]
    if len(parts) == 1 and _norm(parts[0]) in _NOTHING:
        return ()
    # Repeats mean nothing more (the profile drops them); a cell of a million items is not a million errors.
    return tuple(dict.fromkeys(_enum(name, p) for p in dict.fromkeys(p.strip() for p in parts)))


def _value(name: str, text: str) -> object:
    """A non-empty cell converted for the profile model (which checks it and names what is allowed)."""
    if name in LIST_FIELDS:
        return _list(name, text)
    if name in FIELD_CHOICES:
        return _enum(name, text)
    kind = NUMBER_FIELDS.get(name)
    if kind is not None:
        number = _number(text, percent=name == "gross_margin")
        if number is None:
            return _shown(text)  # not a number: the model says so and gives the range
        if kind is int and math.isfinite(number) and number.is_integer() and abs(number) < 2**63:
            return int(number)
        return number
    return text.strip()


# --- header ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    header: tuple[str, ...]
    fields: dict[str, int]  # profile field -> column index


def _columns_help() -> str:
    return f"required: {', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)}"


def _not_text(cell: str) -> bool:
    return any(
        ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\t\r\n")
        for ch in cell
    )


def _layout(raw: Sequence[str]) -> _Layout:
    """Check a header row and find the profile's columns, or raise :class:`LeadFileError`."""
    if any(_not_text(cell) for cell in raw):
        raise LeadFileError(
            "the first row is not a header of column names (it holds control characters or bytes that are "
            "not text): not a CSV file? Save the lead list as CSV (UTF-8 or GBK) with the column names in "
            f"the first row; columns: {_columns_help()}"
        )
    header = tuple(cell.replace("\ufeff", "").strip() for cell in raw)
    first: dict[str, int] = {}
    duplicates = []
    for i, name in enumerate(header):
        if not name:
            continue  # unnamed columns are passed through
        if name in first:
            duplicates.append(f"column '{clip(name)}' appears twice (columns {first[name] + 1} and {i + 1})")
        else:
            first[name] = i
    if duplicates:
        shown = duplicates[:5] + ([f"and {len(duplicates) - 5:,} more"] if len(duplicates) > 5 else [])
        raise LeadFileError("; ".join(shown) + "; column names must be unique")
    taken = [name for name in header if name in OUTPUT_COLUMNS]
    if taken:
        raise LeadFileError(
            f"input column(s) {', '.join(repr(clip(n)) for n in taken)} have the name of an output column; "
            f"rename them (output columns: {', '.join(OUTPUT_COLUMNS)})"
        )
    missing = [name for name in REQUIRED if name not in first]
    if missing:
        hints = []
        labels = {
            _norm(t(f"field.{name}.label", lang)): name for name in FIELDS for lang in LANGS
        }  # a column titled with a field's label instead of its name
        for cell in header:
            if labels.get(_norm(cell)) in missing:
                hints.append(f"rename '{clip(cell)}' to '{labels[_norm(cell)]}'")
        if len(header) == 1 and (";" in header[0] or "|" in header[0]):
            hints.append("the columns seem separated by ';' or '|': save the file comma-separated")
        raise LeadFileError(
            f"missing required column(s): {', '.join(missing)}; the columns are the profile's field names "
            f"({_columns_help()})" + (f"; {'; '.join(hints)}" if hints else "")
        )
    return _Layout(header, {name: first[name] for name in FIELDS if name in first})


# --- rows ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Broken:
    """A record the CSV reader could not read whole: why, and the cells it could read (those before a
    line's length limit; the row's first cells, often its ``id``)."""

    reason: str
    cells: tuple[str, ...] = ()


def _parse(cells: Sequence[str], layout: _Layout, replaced: str | None = None) -> MerchantProfile | str:
    n = len(layout.header)
    problems: list[tuple[str, str]] = []
    if len(cells) > n and any(c.strip() for c in cells[n:]):
        problems.append(
            (
                "row",
                f"has {len(cells)} cells but the header has {n} columns; the {len(cells) - n} extra cell(s) "
                "were not read (a cell with ',' but without quotes?)",
            )
        )
    cells = [*cells[:n], *[""] * (n - len(cells))]
    for i, cell in enumerate(cells):
        where = layout.header[i] or f"column {i + 1}"
        if "\x00" in cell:
            problems.append((where, "contains a NUL character (binary data?)"))
        elif replaced and "\ufffd" in cell:
            problems.append((where, f"has bytes that are not {replaced} text; save the file as UTF-8"))
    bad = {where for where, _ in problems}
    data: dict[str, object] = {}
    for name, i in layout.fields.items():
        text = cells[i]
        if name in bad or not text.strip():
            continue  # an empty cell: the default, or 'is required'
        if name == "name" and len(text.strip()) > NAME_MAX:
            problems.append((name, f"has {len(text.strip())} characters; allowed: at most {NAME_MAX}"))
            bad.add(name)
            continue
        data[name] = _value(name, text)
    try:
        profile = MerchantProfile.model_validate(data)
    except ValidationError as exc:
        profile = None
        for name, message in profile_problems(exc):
            if name in bad:
                continue
            if name in FIELD_CHOICES and "allowed:" in message:
                message += " (or the Chinese or English label)"
            problems.append((name, message))
    if problems:
        return _problems_text(problems)
    assert profile is not None
    return profile


def _problems_text(problems: list[tuple[str, str]]) -> str:
    """``field: reason; ...``, at most :data:`_PROBLEMS_PER_FIELD` per field (a list cell of a million
    wrong items is one line of error, not a million)."""
    seen: Counter[str] = Counter(where for where, _ in problems)
    listed: Counter[str] = Counter()
    out = []
    for where, message in problems:
        listed[where] += 1
        if listed[where] <= _PROBLEMS_PER_FIELD:
            out.append(f"{where}: {message}")
        elif listed[where] == _PROBLEMS_PER_FIELD + 1:
            out.append(
                t(
                    "batch.row.more_problems",
                    "en",
                    field=where,
                    count=f"{seen[where] - _PROBLEMS_PER_FIELD:,}",
                )
            )
    return "; ".join(out)


def parse_row(cells: Sequence[str], header: Sequence[str]) -> MerchantProfile | str:
    """A data row as a profile, or a text naming every problem (``field: reason``, joined by ``"; "``).

    ``header`` is the file's header row; raises :class:`LeadFileError` if it is not a valid one.
    """
    return _parse(cells, _layout(header))


# --- reading ---------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16's: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEAD = 4096  # bytes looked at to tell UTF-16 or UTF-32 without a byte-order mark


@dataclass(frozen=True)
class _Source:
    opener: Callable[[], IO[bytes]]

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        try:
            stream = self.opener()
        except OSError as exc:
            raise LeadFileError(f"cannot be read ({exc.strerror or exc})") from None
        with stream:
            yield stream

    def head(self) -> bytes:
        with self.open() as stream:
            return stream.read(_HEAD)


def _source(source: Path | str | bytes) -> _Source:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return _Source(lambda: io.BytesIO(data))
    path = Path(source)
    try:
        with path.open("rb"):
            pass
    except FileNotFoundError:
        raise LeadFileError("no such file") from None
    except IsADirectoryError:
        raise LeadFileError("is a directory, expected a CSV file of leads") from None
    except OSError as exc:
        raise LeadFileError(f"cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise LeadFileError("is not a regular file, expected a CSV file of leads")
    return _Source(lambda: path.open("rb"))


def _clean_until(src: _Source, encoding: str) -> int | None:
    """None if the whole input decodes in ``encoding``, else about how many bytes decode before it fails."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    done = 0
    with src.open() as stream:
        while chunk := stream.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return done + max(exc.start, 0)
            done += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return done
    return None


def _wide(head: bytes) -> str | None:
    """UTF-32 or UTF-16 without a byte-order mark, told by where the NUL bytes fall: the header's column
    names are ASCII, one byte of text then three (or one) NUL bytes each, or the other way round."""
    for size in (4, 2):
        units = [head[i : i + size] for i in range(0, len(head) - size + 1, size)]
        if len(units) < 4:
            continue
        little = sum(u[0] != 0 and not any(u[1:]) for u in units)
        big = sum(u[-1] != 0 and not any(u[:-1]) for u in units)
        if max(little, big) * 2 >= len(units):
            return f"utf-{size * 8}-{'le' if little >= big else 'be'}"
    return None


def _encoding(src: _Source) -> tuple[str, str]:
    """(encoding, error handler): a byte-order mark decides; else the NUL bytes of UTF-16 or UTF-32; else
    UTF-8, else GB18030. Text that decodes in neither is read in the one that goes further, undecodable
    bytes replaced (those rows get an error)."""
    head = src.head()
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, "strict" if _clean_until(src, encoding) is None else "replace"
    wide = _wide(head)
    if wide is not None:
        return wide, "strict" if _clean_until(src, wide) is None else "replace"
    reached = {}
    for encoding in ("utf-8", "gb18030"):
        until = _clean_until(src, encoding)
        if until is None:
            return encoding, "strict"
        reached[encoding] = until
    return max(reached, key=lambda e: reached[e]), "replace"


@contextmanager
def _field_limit() -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, _LINE_LIMIT + 2))  # a record never gets there: _Lines stops it first
    try:
        yield
    finally:
        csv.field_size_limit(old)


class _LongLine(Exception):
    """A physical line longer than the limit (the rest of it has been skipped)."""

    def __init__(self, line: int, size: int, prefix: str, inside: bool):
        super().__init__(line)
        self.line, self.size, self.prefix, self.inside = line, size, prefix, inside


class _LongRecord(Exception):
    """A record (a quoted cell over several lines) longer than the limit."""


class _Lines:
    """The physical lines of a text, for the CSV reader: counted, the current record's kept (to say
    where a quote opened), and never more than ``limit`` characters of one line or record in memory."""

    def __init__(self, text: TextIO, limit: int):
        self.text = text
        self.limit = limit
        self.number = 0  # lines read
        self.record: list[str] = []  # lines of the record being read
        self.size = 0
        self.first = 1  # the line number of the record's first line

    def __iter__(self) -> _Lines:
        return self

    def start(self) -> None:
        """A new record begins with the next line."""
        self.record = []
        self.size = 0
        self.first = self.number + 1

    def __next__(self) -> str:
        line = self.text.readline(self.limit + 2)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > self.limit and len(line.rstrip("\r\n")) > self.limit:
            prefix, size = line[: self.limit], len(line)
            while not line.endswith(("\n", "\r")):
                line = self.text.readline(_CHUNK)
                if not line:
                    break
                size += len(line)
            raise _LongLine(self.number, size, prefix, inside=bool(self.record))
        self.record.append(line)
        self.size += len(line)
        if len(self.record) > 1 and self.size > self.limit:
            raise _LongRecord()
        return line


def _quote_opened(lines: Sequence[str], delimiter: str) -> int:
    """Which of a record's ``lines`` opened the quoted cell that the first line break inside quotes is in
    (the CSV reader's rules: a quote opens a cell only at its start; ``""`` inside is a quote)."""
    quoted, at_start, opened = False, True, 0
    for i, line in enumerate(lines):
        j, n = 0, len(line)
        while j < n:
            ch = line[j]
            if quoted:
                if ch == '"':
                    if j + 1 < n and line[j + 1] == '"':
                        j += 2
                        continue
                    quoted = False
            elif ch == '"' and at_start:
                quoted, opened = True, i
            elif ch == delimiter:
                at_start = True
                j += 1
                continue
            at_start = False
            j += 1
        if quoted:
            return opened
        at_start = True
    return max(len(lines) - 2, 0)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _swallows(row: Sequence[str], width: int, delimiter: str) -> bool:
    """Whether a record read over several lines looks like rows swallowed by a stray quote (whose cell
    then closed, by chance, before a delimiter): a cell holds a later line that is a whole row of cells,
    or the record has not the header's number of cells and a cell holds a line with many delimiters (the
    rest of the row the quote opened in). A quoted cell with line breaks in a well-formed file has
    neither."""
    if width < 3:
        return False
    whole, many = width - 1, max(2, (width - 1) // 2)
    off = len(row) < width or any(c.strip() for c in row[width:])
    for cell in row:
        if "\n" in cell or "\r" in cell:
            parts = _LINE_BREAK.split(cell)
            if any(p.count(delimiter) >= whole for p in parts[1:]):
                return True
            if off and any(p.count(delimiter) >= many for p in parts):
                return True
    return False


def _leading_cells(prefix: str, delimiter: str) -> tuple[str, ...]:
    """The whole cells at the start of a line cut at the limit (the last one is cut, so left out)."""
    try:
        cells = next(csv.reader([prefix], delimiter=delimiter), [])
    except csv.Error:
        return ()
    return tuple(cells[:-1])


@dataclass(frozen=True)
class _Reader:
    src: _Source
    encoding: str
    errors: str

    @contextmanager
    def text(self) -> Iterator[TextIO]:
        with self.src.open() as stream:
            text = io.TextIOWrapper(stream, encoding=self.encoding, errors=self.errors, newline="")
            try:
                yield text
            finally:
                text.detach()

    def delimiter(self) -> str:
        """Tab when the first line with content has a tab and no comma, else comma."""
        with self.text() as text:
            while line := text.readline(_LINE_LIMIT):
                if line.strip():
                    return "\t" if "\t" in line and "," not in line else ","
        return ","

    def records(self, delimiter: str) -> Iterator[list[str] | _Broken]:
        """Every record with some content, in order (the header first).

        A line over :data:`_LINE_LIMIT` characters is a :class:`_Broken` record with the cells before the
        limit. A quote that runs a cell over several lines where it should have closed (it would swallow
        those lines' rows) raises :class:`LeadFileError` saying on which line it opened."""
        with self.text() as text, _field_limit():
            lines = _Lines(text, _LINE_LIMIT)
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            width = 0  # the header's cells, once read
            while True:
                lines.start()
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except _LongLine as exc:
                    if exc.inside:
                        raise self._unclosed(lines, delimiter, "batch.error.quoted_too_long") from None
                    reader = csv.reader(lines, delimiter=delimiter, strict=True)  # afresh on the next line
                    reason = t(
                        "batch.row.line_too_long", "en",
                        line=exc.line, size=f"{exc.size:,}", limit=f"{_LINE_LIMIT:,}",
                    )  # fmt: skip
                    yield _Broken(reason, _leading_cells(exc.prefix, delimiter))
                    continue
                except _LongRecord:
                    raise self._unclosed(lines, delimiter, "batch.error.quoted_too_long") from None
                except csv.Error:
                    if len(lines.record) > 1:
                        raise self._unclosed(lines, delimiter) from None
                    # A problem within one line (text after a closing quote): read it as it stands.
                    row = next(csv.reader(lines.record, delimiter=delimiter), [])
                except UnicodeDecodeError:
                    raise LeadFileError("changed while being read; run again") from None
                except OSError as exc:
                    raise LeadFileError(f"cannot be read ({exc.strerror or exc})") from None
                if len(lines.record) > 1 and width and _swallows(row, width, delimiter):
                    raise self._unclosed(lines, delimiter)
                if any(cell.strip() for cell in row):
                    width = width or len(row)
                    yield row

    @staticmethod
    def _unclosed(lines: _Lines, delimiter: str, key: str = "batch.error.unclosed_quote") -> LeadFileError:
        opened = lines.first + _quote_opened(lines.record, delimiter)
        last = lines.number
        return _file_error(key, line=opened, count=max(last - opened, 1), last=last, limit=f"{_LINE_LIMIT:,}")


@dataclass(frozen=True)
class LeadFile:
    """A lead file checked and ready to read: its header, encoding and number of data rows."""

    reader: _Reader
    delimiter: str
    layout: _Layout
    rows: int

    @property
    def header(self) -> tuple[str, ...]:
        return self.layout.header

    @property
    def encoding(self) -> str:
        return self.reader.encoding

    def records(self) -> Iterator[list[str] | _Broken]:
        it = self.reader.records(self.delimiter)
        next(it, None)  # the header
        yield from it


def open_leads(source: Path | str | bytes) -> LeadFile:
    """Check a lead file (a path, or its bytes): encoding, header and the number of data rows.

    Reads the file twice with constant memory, and raises :class:`LeadFileError` for a file-level problem.
    """
    src = _source(source)
    encoding, errors = _encoding(src)
    reader = _Reader(src, encoding, errors)
    delimiter = reader.delimiter()
    records = reader.records(delimiter)
    first = next(records, None)
    if first is None:
        raise LeadFileError(
            "the file is empty: expected a header row with the profile's field names as columns "
            f"({_columns_help()})"
        )
    if isinstance(first, _Broken):
        raise LeadFileError(f"the header {first.reason}")
    try:
        layout = _layout(first)
    except LeadFileError:
        head = src.head()
        if len(head) >= 8 and head.count(0) * 8 >= len(head):
            raise _file_error("batch.error.nul_bytes", encoding=encoding) from None
        raise
    rows = sum(1 for _ in records)
    return LeadFile(reader, delimiter, layout, rows)


# --- writing ---------------------------------------------------------------------------------------


def _num(value: float | None) -> str:
    if value is None or math.isinf(value):
        return "inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _result_cells(outcome: batch.Outcome, lang: Lang, opts: batch.Options) -> list[str]:
    bands = (outcome.setup, outcome.monthly, outcome.first_year)
    return [
        "",
        outcome.plan_code,
        plan_label(outcome.plan, outcome.kept, lang, opts.as_of),
        *(outcome.verdicts[m] for m in MODULES),
        *(_num(v) for band in bands for v in (band.p10, band.p50, band.p90)),
        *(
            _num(v)
            for v in (outcome.net_first_year.p10, outcome.net_first_year.p50, outcome.net_first_year.p90)
        ),
        _num(outcome.payback_months.p50),
        _num(outcome.p_payback_within_horizon),
        _num(outcome.operational_p50),
        _num(outcome.steady_state_p50),
        _num(outcome.win_probability),
    ]


def _submit(
    scorer: batch.Scorer, profiles: list[MerchantProfile], tick: Callable[[int], None]
) -> batch.Job | Exception:
    """Start scoring a block (see :func:`_collect`); a failure to start is kept for :func:`_collect`."""
    try:
        return scorer.submit(profiles, tick)
    except Exception as exc:
        return exc


def _collect(
    scorer: batch.Scorer, profiles: list[MerchantProfile], job: batch.Job | Exception
) -> list[batch.Outcome | str]:
    """The block's outcomes in order. If scoring the block fails, each profile is scored alone, and a profile
    that fails alone gets an error text; when every one fails the first failure is raised (not a lead's fault)."""
    if not profiles:
        return []
    if not isinstance(job, Exception):
        try:
            return list(job.result())
        except Exception:
            pass
    out: list[batch.Outcome | str] = []
    first: Exception | None = None
    for profile in profiles:
        try:
            out.extend(scorer.score([profile]))
        except Exception as exc:
            first = first or exc
            out.append(f"row: could not be scored ({type(exc).__name__}: {exc})")
    if first is not None and all(isinstance(o, str) for o in out):
        raise first
    return out


@dataclass
class _Ticker:
    """Reports progress while a block is scored, a profile at a time, never beyond the block's end."""

    progress: Callable[[int, int], None] | None
    done: int
    end: int
    total: int

    def __call__(self, k: int) -> None:
        self.done = min(self.done + k, self.end)
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.end))


def run(
    source: Path | str | bytes | LeadFile,
    sink: TextIO,
    opts: batch.Options,
    *,
    lang: Lang = "zh",
    block: int = 2048,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
    threads: int = 1,
) -> Summary:
    """Score every lead of ``source`` (a CSV path, its bytes, or what :func:`open_leads` made of one) and
    write the list with results to ``sink``.

    ``sink`` receives CSV text (open it with ``newline=""``); rows end with CRLF. Rows are read, scored and
    written ``block`` at a time (the next block is read while the workers score one), so memory stays flat
    however long the list. ``progress(done, total)`` is called as rows are done (after each block at least;
    ``total`` is the file's data rows). ``workers`` > 1 shares the scoring out among worker processes, or else
    ``threads`` > 1 among threads of this process (:class:`engine.batch.Scorer`); the output is the same.
    Raises :class:`LeadFileError` before writing anything if the file as a whole is unusable.
    """
    if lang not in LANGS:
        raise InputError("lang", f"'{lang}' is not one of {', '.join(LANGS)}")
    if not isinstance(block, int) or block < 1:
        raise InputError("block", f"must be a positive integer, got {block!r}")
    leads = source if isinstance(source, LeadFile) else open_leads(source)
    replaced = leads.encoding if leads.reader.errors == "replace" else None
    with batch.Scorer(opts, workers=workers, threads=threads) as scorer:
        writer = csv.writer(sink, lineterminator="\r\n")
        n = len(leads.header)
        writer.writerow([neutralise(c) for c in (*leads.header, *OUTPUT_COLUMNS)])
        done = scored = errors = read = 0
        plans: Counter[str] = Counter()
        total = leads.rows
        records = leads.records()

        def start(chunk: list) -> tuple:
            """Parse a block and submit its profiles for scoring."""
            nonlocal read
            cells = [
                [*c[:n], *[""] * (n - len(c))]
                for c in (r.cells if isinstance(r, _Broken) else r for r in chunk)
            ]
            parsed = [
                f"row: {r.reason}" if isinstance(r, _Broken) else _parse(r, leads.layout, replaced)
                for r in chunk
            ]
            tick = _Ticker(progress, read + sum(isinstance(p, str) for p in parsed), read + len(chunk), total)
            profiles = [p for p in parsed if not isinstance(p, str)]
            read += len(chunk)
            return cells, parsed, profiles, _submit(scorer, profiles, tick)

        def finish(started: tuple) -> None:
            """Write a started block's rows with their results."""
            nonlocal done, scored, errors
            cells, parsed, profiles, job = started
            outcomes = iter(_collect(scorer, profiles, job))
            for row, item in zip(cells, parsed, strict=True):
                outcome = item if isinstance(item, str) else next(outcomes)
                if isinstance(outcome, str):
                    errors += 1
                    out = [outcome, *[""] * (len(OUTPUT_COLUMNS) - 1)]
                else:
                    scored += 1
                    plans[outcome.plan_code] += 1
                    out = _result_cells(outcome, lang, opts)
                writer.writerow([neutralise(c) for c in (*row, *out)])
            done += len(cells)
            if progress is not None:
                progress(done, max(total, done))

        # The next block is read and submitted before the one before it is written, so the workers scoring
        # that one never wait for the reading.
        pending: tuple | None = None
        while True:
            try:
                chunk = [r for _, r in zip(range(block), records, strict=False)]
            except LeadFileError:  # the file changed while being read: what was scored is written first
                if pending is not None:
                    finish(pending)
                raise
            ahead = start(chunk) if chunk else None
            if pending is not None:
                finish(pending)
            if ahead is None:
                break
            pending = ahead
    return Summary(rows=done, scored=scored, errors=errors, encoding=leads.encoding, plans=plans)


def run_to_file(
    source: Path | str | bytes,
    target: Path | str,
    opts: batch.Options,
    *,
    lang: Lang = "zh",
    block: int = 2048,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
    threads: int = 1,
    overwrite: bool = False,
) -> Summary:
    """:func:`run` into ``target``, written as UTF-8 with a byte-order mark so that Excel on Chinese
    Windows opens it correctly.

    The input is checked first, so a file-level problem writes nothing. A regular file is written through
    a temporary file beside it, renamed over it only when every row is written: a failed or interrupted
    run leaves no half-written file. An existing file is replaced only with ``overwrite`` (keeping its
    permissions); ``-``, ``/dev/stdout``, a device or a FIFO is written straight, never replaced (see
    :mod:`engine.safe_io`). Raises :class:`LeadFileError` for the input, :class:`engine.safe_io.OutputError`
    for a target that must not be written, ``OSError`` if it cannot be.
    """
    leads = open_leads(source)
    with safe_io.open_output(target, overwrite=overwrite, encoding="utf-8-sig", newline="") as sink:
        return run(
            leads, sink, opts, lang=lang, block=block, progress=progress, workers=workers, threads=threads
        )
