"""Robustness of ``engine.leads.run`` over generated lead files (hypothesis).

Files mix valid rows with wrong types, missing and extra cells, huge numbers, NaN, Chinese and emoji text,
formula-looking text, random extra columns, duplicated and missing headers, in UTF-8, UTF-8 with BOM, GBK
and UTF-16; also empty files, header-only files and binary garbage. The property: ``run`` raises
``LeadFileError`` exactly when the header is unusable, else writes one output row per input data row, in
order, the input cells passed through (neutralised), and ``error`` empty exactly when the results are filled.
Nothing else is ever raised.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import AS_OF
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from engine import batch, leads
from engine.i18n import t
from engine.leads import OUTPUT_COLUMNS, LeadFileError
from engine.profile import FIELD_CHOICES, MerchantProfile

FIELDS = tuple(MerchantProfile.model_fields)
REQUIRED = tuple(n for n, f in MerchantProfile.model_fields.items() if f.is_required())
OPTS = batch.options(as_of=AS_OF, draws=100, seed=3)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- cells -----------------------------------------------------------------------------------------

NUMBER_RANGES = {
    "distributors": (0, 5000),
    "staff_fte": (0.5, 50),
    "budget_setup_cny": (0, 2_000_000),
    "budget_monthly_cny": (0, 500_000),
    "avg_order_value_cny": (1, 10_000),
    "gross_margin": (0.05, 0.9),
    "current_monthly_gmv_cny": (0, 10_000_000),
    "reachable_customers": (0, 100_000),
}


def _label(field: str, value: object, lang: str) -> str:
    return t(f"enum.{field}.{value}", lang)


@st.composite
def _number_text(draw, field: str) -> str:
    lo, hi = NUMBER_RANGES[field]
    if field in ("distributors", "reachable_customers"):  # whole numbers
        value: float = draw(st.integers(lo, hi))
    else:
        value = draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
    style = draw(st.sampled_from(["plain", "grouped", "full-width", "spaced", "percent"]))
    if style == "percent" and field == "gross_margin":
        return f"{value * 100:.4f}%"
    if style == "grouped" and float(value).is_integer():
        return f"{int(value):,}" if draw(st.booleans()) else f"{int(value):,}".replace(",", "，")
    text = str(value)
    if style == "full-width":
        return text.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})
    if style == "spaced":
        return f"  {text} "
    return text


def valid_cell(field: str) -> st.SearchStrategy[str]:
    """Cells that must be read as a valid value of ``field``."""
    if field == "name":
        return st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), max_size=20)
    if field in ("shelf_platforms", "existing_modules"):
        items = st.lists(
            st.sampled_from(FIELD_CHOICES[field]).flatmap(
                lambda v: st.sampled_from([v, v.upper(), _label(field, v, "zh"), _label(field, v, "en")])
            ),
            max_size=3,
        )
        return st.tuples(items, st.sampled_from([";", ",", "、", "；", " ; "])).map(lambda p: p[1].join(p[0]))
    if field in FIELD_CHOICES:
        return st.sampled_from(FIELD_CHOICES[field]).flatmap(
            lambda v: st.sampled_from(
                [str(v), str(v).upper(), f" {v} ", _label(field, v, "zh"), _label(field, v, "en")]
            )
        )
    return _number_text(field)


GARBAGE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "1e400",
            "9" * 400,
            "-1",
            "0",
            "1,5",
            "200,000",
            "１２",
            "=1+1",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "\r\n",
            "a\nb",
            "😀",
            "品牌商",
            "没有",
            "\x00",
            "a\x00b",
            '"',
            "'",
            '=HYPERLINK("http://x","y")',
            "１,０００",
            "1e-320",
            "0.999999999",
        ]
    ),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),  # any text a file can hold
    st.integers(-(10**30), 10**30).map(str),
    st.from_regex(r"[+\-]{0,2}[0-9０-９,，.eE%¥元 ]{0,12}(nan|inf)?", fullmatch=True),  # number-like
    st.floats().map(str),
)

NAME = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn"), exclude_characters="\t\r\n\x85\u2028\u2029"),
    max_size=12,
)
EXTRA_NAMES = st.one_of(
    st.sampled_from(["id", "备注", "客户经理", "", " 电话 ", "=cmd()", "@who", "Plan", "-note"]),
    NAME,
)
CLASHING_NAMES = st.sampled_from(["plan", "error", "name", "staff_fte"])  # an output column, or a duplicate

# --- files -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadCase:
    data: bytes
    text: str = ""  # what was encoded
    rows: tuple[tuple[str, ...], ...] = ()  # the data rows written
    clean: frozenset[int] = frozenset()  # positions in ``rows`` of rows that must be scored


@st.composite
def lead_files(draw) -> LeadCase:
    kind = draw(st.sampled_from(["normal"] * 14 + ["empty", "binary"]))
    if kind == "empty":
        return LeadCase(draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\r\n", b"\xff\xfe"])))
    if kind == "binary":
        return LeadCase(draw(st.binary(min_size=1, max_size=200)))
    fields = list(FIELDS)
    if draw(st.integers(0, 9)) == 0:  # now and then a column goes missing
        fields = draw(st.lists(st.sampled_from(FIELDS), unique=True, min_size=1))
    extras = draw(st.lists(EXTRA_NAMES, max_size=3, unique_by=str.strip))
    if draw(st.integers(0, 9)) == 0:
        extras.append(draw(CLASHING_NAMES))
    header = draw(st.permutations([*fields, *extras]))
    if draw(st.integers(0, 14)) == 0 and header:  # a duplicated column
        header = [*header, draw(st.sampled_from(header))]
    header = [f" {h} " if h and draw(st.integers(0, 9)) == 0 else h for h in header]

    rows: list[list[str]] = []
    clean: set[int] = set()
    for i in range(draw(st.integers(0, 8))):
        valid = draw(st.booleans())
        row = []
        for name in header:
            key = name.strip()
            if key in FIELDS and (valid or draw(st.booleans())):
                row.append(draw(valid_cell(key)))
            elif key in FIELDS or not valid:
                row.append(draw(GARBAGE))
            else:
                row.append(draw(NAME))  # pass-through text, never a NUL
        change = draw(st.sampled_from([0, 0, 0, 0, -1, -2, 1, 2]))
        if change < 0:
            row = row[: max(len(row) + change, 0)]
            valid = False
        elif change > 0:
            row += [draw(GARBAGE) for _ in range(change)]
            valid = False
        if valid:
            clean.add(i)
        rows.append(row)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # emoji and rare characters are not in GBK
        data = text.encode("gb18030")
    return LeadCase(data, text, tuple(map(tuple, rows)), frozenset(clean))


# --- the oracle: what the file holds, read as documented -------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def expected_neutral(cell: str) -> str:
    return (
        "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(cell) else cell
    )


def decode(data: bytes) -> str | None:
    """The text of a file: a byte-order mark decides, else UTF-8, else GB18030 (None: neither)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return None


def records(text: str) -> list[list[str]]:
    lines = io.StringIO(text, newline="")
    first = next((line for line in lines if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return [
        r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(c.strip() for c in r)
    ]


def header_problem(raw: list[str]) -> bool:
    names = [h.replace("\ufeff", "").strip() for h in raw]
    named = [n for n in names if n]
    return (
        len(set(named)) != len(named)
        or any(n in OUTPUT_COLUMNS for n in names)
        or any(f not in names for f in REQUIRED)
    )


def run(data: bytes) -> tuple[leads.Summary, list[list[str]]]:
    sink = io.StringIO(newline="")
    summary = leads.run(data, sink, OPTS, block=4)
    return summary, list(csv.reader(io.StringIO(sink.getvalue(), newline="")))


@SETTINGS
@given(case=lead_files())
def test_run_is_robust(case: LeadCase):
    text = decode(case.data)
    try:
        summary, out = run(case.data)
    except LeadFileError as exc:
        event("file refused")
        assert str(exc).strip()
        if text is not None and "\x00" not in text:
            recs = records(text)
            assert (
                not recs
                or header_problem(recs[0])
                or any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]", c) for c in recs[0])
            ), f"refused a usable file: {exc}"
        return
    if text is None:  # binary garbage that happened to pass the header check: weaker property
        assert out and all(len(r) == len(out[0]) for r in out)
        return
    recs = records(text)
    assert recs, "an empty file must be refused"
    event(f"read: {summary.scored} scored, {summary.errors} errors")
    raw_header, data_rows = recs[0], recs[1:]
    assert not header_problem(raw_header), "a bad header must be refused"
    header = [h.replace("\ufeff", "").strip() for h in raw_header]
    n = len(header)
    assert out[0] == [expected_neutral(c) for c in (*header, *OUTPUT_COLUMNS)]
    assert len(out) - 1 == len(data_rows) == summary.rows
    assert summary.scored + summary.errors == summary.rows
    assert summary.scored == sum(summary.plans.values())
    for given_row, written in zip(data_rows, out[1:], strict=True):
        assert len(written) == n + len(OUTPUT_COLUMNS)
        padded = [*given_row[:n], *[""] * (n - len(given_row))]
        assert written[:n] == [expected_neutral(c) for c in padded]
        result = dict(zip(OUTPUT_COLUMNS, written[n:], strict=True))
        filled = [result[c] for c in OUTPUT_COLUMNS if c not in ("error", "plan")]
        if result["error"]:
            assert not any(filled) and not result["plan"]
            assert "could not be scored" not in result["error"], result["error"]
        else:
            assert all(filled), result
            assert 0 <= float(result["win_probability"]) <= 1
    kept = [i for i, r in enumerate(case.rows) if any(c.strip() for c in r)]  # blank rows are skipped
    if text == case.text and data_rows == [list(case.rows[i]) for i in kept]:
        # the file reads back as it was written (a lone CR unquoted under LF line ends does not): rows
        # generated valid are scored
        for position, i in enumerate(kept):
            if i in case.clean:
                assert not out[1 + position][n], f"valid row {case.rows[i]} got: {out[1 + position][n]}"


@pytest.mark.parametrize("rows", [0, 1])
def test_header_only_and_one_row(rows):
    header = ",".join(FIELDS)
    row = "测试,brand,food,none,,basic,,0,4,60000,50000,2,150,0.45,both,mixed,"
    summary, out = run(("\r\n".join([header, row][: rows + 1]) + "\r\n").encode("gbk"))
    assert summary.rows == len(out) - 1 == rows


EXAMPLE = (Path(__file__).resolve().parents[1] / "examples" / "leads.csv").read_bytes()[:1500]


@st.composite
def mutated(draw) -> bytes:
    """The start of the example lead list with bytes flipped, cut out or spliced in."""
    data = bytearray(EXAMPLE if draw(st.booleans()) else EXAMPLE.decode("utf-8").encode("gbk"))
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and where < len(data):
            data[where] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[where : where + draw(st.integers(1, 40))]
        else:
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@settings(SETTINGS, max_examples=40)
@given(data=mutated())
def test_damaged_files_fail_cleanly(data: bytes):
    try:
        summary, out = run(data)
    except LeadFileError as exc:
        assert str(exc).strip()
        return
    assert len(out) == summary.rows + 1
    assert all(len(r) == len(out[0]) for r in out)
    for row in out[1:]:
        error = row[len(out[0]) - len(OUTPUT_COLUMNS)]
        assert "could not be scored" not in error
