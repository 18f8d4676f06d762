"""Lead lists (``engine.leads``): file-level errors, row errors, encodings, cells read generously,
neutralised output, pass-through, order, determinism, and rows equal to ``recommend``."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from conftest import AS_OF, BASE_PROFILE, ROOT, make_profile

from engine import batch, leads
from engine.errors import InputError
from engine.leads import OUTPUT_COLUMNS, LeadFileError, neutralise, parse_row
from engine.plans import plan_code, plan_label
from engine.profile import FIELD_CHOICES, MODULES, MerchantProfile
from engine.recommend import recommend

DRAWS = 100
FIELDS = tuple(MerchantProfile.model_fields)
EXAMPLE = ROOT / "examples" / "leads.csv"


@pytest.fixture(scope="module")
def opts() -> batch.Options:
    return batch.options(as_of=AS_OF, draws=DRAWS, seed=0)


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(value)
    return str(value)


def lead_row(**changes) -> list[str]:
    profile = make_profile(**changes)
    return [cell(profile.get(f)) for f in FIELDS]


def csv_text(rows: list[list[str]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(FIELDS) if header is None else header)
    writer.writerows(rows)
    return out.getvalue()


def run(data: bytes | str | Path, opts: batch.Options, **kw) -> tuple[leads.Summary, list[list[str]]]:
    """Run on CSV text, bytes or a path; return the summary and the output rows (header first)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    sink = io.StringIO(newline="")
    summary = leads.run(data, sink, opts, **kw)
    return summary, list(csv.reader(io.StringIO(sink.getvalue(), newline="")))


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def file_error(data: bytes | str | Path, opts: batch.Options) -> str:
    with pytest.raises(LeadFileError) as info:
        run(data, opts)
    message = str(info.value)
    assert message
    return message


# --- file-level errors -----------------------------------------------------------------------------


def test_no_such_file(tmp_path, opts):
    assert "no such file" in file_error(tmp_path / "missing.csv", opts)


def test_a_directory(tmp_path, opts):
    assert "is a directory" in file_error(tmp_path, opts)


def test_unreadable_file(tmp_path, opts, monkeypatch):
    path = tmp_path / "leads.csv"
    path.write_text(csv_text([lead_row()]), encoding="utf-8")
    real = Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    message = file_error(path, opts)
    assert "cannot be read" in message and "Permission denied" in message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \n", b"\xff\xfe"], ids=repr)
def test_empty_file_names_the_expected_columns(data, opts):
    message = file_error(data, opts)
    assert "empty" in message
    for name in FIELDS:
        assert name in message


def test_duplicated_header_names_the_column_and_both_positions(opts):
    header = [*FIELDS, "id", " staff_fte "]
    message = file_error(csv_text([[*lead_row(), "1", "4"]], header), opts)
    position = FIELDS.index("staff_fte") + 1
    assert f"'staff_fte' appears twice (columns {position} and {len(header)})" in message


def test_unnamed_columns_are_not_duplicates(opts):
    summary, rows = run(csv_text([[*lead_row(), "a", "b"]], [*FIELDS, "", ""]), opts)
    assert summary.scored == 1
    assert rows[1][len(FIELDS) : len(FIELDS) + 2] == ["a", "b"]


def test_missing_columns_are_all_named_with_the_field_names(opts):
    keep = [f for f in FIELDS if f not in ("staff_fte", "gross_margin", "current_monthly_gmv_cny")]
    row = [cell(BASE_PROFILE.get(f, "")) for f in keep]
    message = file_error(csv_text([row], keep), opts)
    assert "missing required column(s): staff_fte, gross_margin" in message
    for name in FIELDS:  # the message lists every field name, the optional ones included
        assert name in message


def test_a_column_titled_with_a_label_gets_a_hint(opts):
    header = ["经营类型" if f == "business_type" else f for f in FIELDS]
    message = file_error(csv_text([lead_row()], header), opts)
    assert "business_type" in message and "rename '经营类型' to 'business_type'" in message


def test_semicolon_separated_file_gets_a_hint(opts):
    message = file_error(";".join(FIELDS) + "\n" + ";".join(lead_row()) + "\n", opts)
    assert "missing required column" in message and "comma-separated" in message


@pytest.mark.parametrize("taken", ["plan", "error", "win_probability"])
def test_input_column_with_an_output_name_must_be_renamed(taken, opts):
    message = file_error(csv_text([[*lead_row(), "x"]], [*FIELDS, taken]), opts)
    assert f"'{taken}'" in message and "rename" in message


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,
        b"\x00\x01\x02\x03PK\x03\x04" + b"\x89PNG\r\n\x1a\n" * 10,
        b"business_type,category\x07\n",
    ],
    ids=["all-bytes", "zip-png", "bell"],
)
def test_binary_header_is_not_a_csv(data, opts):
    message = file_error(data, opts)
    assert "not a header" in message and "CSV" in message


def test_file_errors_write_nothing(opts):
    sink = io.StringIO()
    with pytest.raises(LeadFileError):
        leads.run(b"a,a\n1,2\n", sink, opts)
    assert sink.getvalue() == ""


def test_bad_options_are_refused(opts):
    with pytest.raises(InputError, match="lang"):
        leads.run(csv_text([lead_row()]).encode(), io.StringIO(), opts, lang="fr")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="block"):
        leads.run(csv_text([lead_row()]).encode(), io.StringIO(), opts, block=0)


# --- rows: read generously, errors that name the field and what is allowed ------------------------


def test_labels_and_codes_in_any_case(opts):
    zh = lead_row(
        business_type="品牌商",
        category="食品",
        douyin_presence="起步",
        shelf_platforms="淘宝/天猫、京东；拼多多",
        private_domain="成熟",
        existing_modules="视频号,企业微信",
        city_tier="一线城市",
        goal="两者兼顾",
        audience_age="偏中老年",
    )
    en = lead_row(
        business_type="Brand",
        category="FOOD",
        douyin_presence="Starting",
        shelf_platforms="Taobao/Tmall; JD ; Pinduoduo",
        private_domain="established",
        existing_modules="Channels (视频号);WeCom",
        city_tier="Tier-1 city",
        goal="Both",
        audience_age="Middle-aged and older",
    )
    codes = lead_row(
        douyin_presence="starting",
        shelf_platforms="pdd;jd;taobao",
        private_domain="established",
        existing_modules="wecom;channels",
        city_tier="1.0",
        audience_age="older",
    )
    want = parse_row(codes, FIELDS)
    assert isinstance(want, MerchantProfile), want
    assert want.shelf_platforms == ("taobao", "jd", "pdd")
    assert want.existing_modules == ("channels", "wecom")
    assert want.city_tier == 1
    for row in (zh, en):
        assert parse_row(row, FIELDS) == want


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", 1),
        ("2.0", 2),
        (" 3 ", 3),
        ("３", 3),
        ("一线城市", 1),
        ("新一线", 2),
        ("二线城市", 2),
        ("三线及以下", 3),
    ],
)
def test_city_tier_spellings(text, value):
    profile = parse_row(lead_row(city_tier=text), FIELDS)
    assert isinstance(profile, MerchantProfile), profile
    assert profile.city_tier == value


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("budget_setup_cny", "200,000", 200_000),
        ("budget_setup_cny", "200，000", 200_000),
        ("budget_setup_cny", "２００，０００", 200_000),
        ("budget_setup_cny", "  60000  ", 60_000),
        ("budget_setup_cny", "¥60,000", 60_000),
        ("budget_setup_cny", "60000元", 60_000),
        ("budget_monthly_cny", "1,234,567.5", 1_234_567.5),
        ("budget_monthly_cny", "5e4", 50_000),
        ("gross_margin", "45%", 0.45),
        ("gross_margin", "０.４５", 0.45),
        ("distributors", "1,200", 1200),
        ("distributors", "3.0", 3),
        ("current_monthly_gmv_cny", "2,000,000", 2_000_000),
    ],
)
def test_numbers_with_separators_and_full_width_digits(field, text, value):
    profile = parse_row(lead_row(**{field: text}), FIELDS)
    assert isinstance(profile, MerchantProfile), profile
    assert getattr(profile, field) == pytest.approx(value)


def test_optional_cells_may_be_empty():
    row = lead_row(
        name="", distributors="", shelf_platforms="", existing_modules="", current_monthly_gmv_cny=""
    )
    profile = parse_row(row, FIELDS)
    assert isinstance(profile, MerchantProfile), profile
    assert (profile.name, profile.distributors, profile.current_monthly_gmv_cny) == ("", 0, None)
    assert profile.shelf_platforms == profile.existing_modules == ()
    assert parse_row(lead_row(existing_modules="无"), FIELDS) == profile.model_copy(
        update={"name": BASE_PROFILE["name"]}
    )


def test_missing_cells_count_as_empty():
    header = [*FIELDS, "id"]
    short = lead_row()[: FIELDS.index("current_monthly_gmv_cny")]  # no current_monthly_gmv_cny, no id
    assert isinstance(parse_row(short, header), MerchantProfile)
    error = parse_row(lead_row()[:3], header)
    assert isinstance(error, str)
    assert "staff_fte: is required" in error and "gross_margin: is required" in error


@pytest.mark.parametrize(
    ("field", "text", "needles"),
    [
        ("business_type", "robot", ["business_type:", "'robot'", *FIELD_CHOICES["business_type"], "label"]),
        ("category", "", ["category: is required", *FIELD_CHOICES["category"]]),
        ("shelf_platforms", "taobao;amazon", ["shelf_platforms:", "'amazon'", "taobao, jd, pdd"]),
        ("existing_modules", "channels;tiktok", ["existing_modules:", "'tiktok'", ", ".join(MODULES)]),
        ("city_tier", "4", ["city_tier:", "4 is not allowed", "1, 2, 3"]),
        ("city_tier", "一线", ["city_tier:", "'一线'", "1, 2, 3"]),
        ("staff_fte", "many", ["staff_fte:", "'many'", "a number > 0 and <= 1000"]),
        ("staff_fte", "0", ["staff_fte:", "out of range", "> 0"]),
        ("staff_fte", "", ["staff_fte: is required", "a number > 0 and <= 1000"]),
        ("gross_margin", "1.2", ["gross_margin:", "out of range", "< 1"]),
        ("gross_margin", "NaN", ["gross_margin:", "nan", "a number > 0 and < 1"]),
        ("budget_setup_cny", "inf", ["budget_setup_cny:", "inf", "<= 1e+10"]),
        ("budget_setup_cny", "--inf", ["budget_setup_cny:", "'--inf'", "a number >= 0"]),
        ("budget_setup_cny", "+-1", ["budget_setup_cny:", "'+-1'", "a number >= 0"]),
        ("city_tier", "1e300", ["city_tier:", "'1e300'", "1, 2, 3"]),
        ("budget_setup_cny", "1e400", ["budget_setup_cny:", "out of range"]),
        ("budget_setup_cny", "9" * 5000, ["budget_setup_cny:", "out of range"]),
        ("budget_setup_cny", "1,5", ["budget_setup_cny:", "'1,5'", "a number >= 0"]),
        ("distributors", "2.5", ["distributors:", "fractional", "an integer >= 0"]),
        ("distributors", "9" * 400, ["distributors:", "an integer >= 0 and <= 1e+06"]),
        ("distributors", "-3", ["distributors:", "out of range", ">= 0"]),
        ("name", "名" * 121, ["name:", "121 characters", "at most 120"]),
        ("goal", "😀", ["goal:", "'😀'", "acquisition, repeat, both"]),
        ("audience_age", "=cmd|' /C calc'!A0", ["audience_age:", "young, mixed, older"]),
        ("private_domain", "x" * 10_000, ["private_domain:", "…", "none, basic, established, advanced"]),
    ],
)
def test_row_errors_name_the_field_and_what_is_allowed(field, text, needles):
    error = parse_row(lead_row(**{field: text}), FIELDS)
    assert isinstance(error, str), f"{field}={text[:20]!r} was accepted"
    for needle in needles:
        assert needle in error, f"{needle!r} not in {error!r}"
    assert len(error) < 2000, "a huge cell is not quoted back whole"


def test_every_problem_of_a_row_in_one_cell():
    row = lead_row(business_type="robot", staff_fte="-1", goal="", gross_margin="abc")
    error = parse_row(row, FIELDS)
    assert isinstance(error, str)
    problems = error.split("; ")
    starts = [p.split(":")[0] for p in problems if p.split(":")[0] in FIELDS]
    assert starts == ["business_type", "staff_fte", "gross_margin", "goal"]


def test_emoji_and_chinese_are_fine_where_text_is_free(opts):
    row = lead_row(name="😀 小王 🍜 店")
    summary, rows = run(csv_text([[*row, "备注：好客户 👍"]], [*FIELDS, "备注"]), opts)
    assert summary.scored == 1
    out = as_dicts(rows)[0]
    assert out["error"] == "" and out["name"] == "😀 小王 🍜 店" and out["备注"] == "备注：好客户 👍"


def test_too_many_cells_is_an_error_that_keeps_the_first_cells(opts):
    header = [*FIELDS, "id"]
    summary, rows = run(csv_text([[*lead_row(), "7", "spill", "over"]], header), opts)
    assert (summary.rows, summary.errors) == (1, 1)
    out = rows[1]
    assert len(out) == len(header) + len(OUTPUT_COLUMNS)
    assert out[: len(header)] == [*lead_row(), "7"]
    error = out[len(header)]
    assert f"has {len(header) + 2} cells but the header has {len(header)} columns" in error
    assert "2 extra" in error


def test_trailing_empty_cells_are_harmless(opts):
    summary, _ = run(csv_text([[*lead_row(), "", ""]]), opts)
    assert summary.scored == 1


def test_nul_bytes_make_a_row_error_not_a_crash(opts):
    header = [*FIELDS, "id"]
    rows = [[*lead_row(name="a\x00b"), "1"], [*lead_row(), "x\x00"], [*lead_row(), "3"]]
    summary, out = run(csv_text(rows, header), opts)
    assert (summary.rows, summary.scored, summary.errors) == (3, 1, 2)
    got = as_dicts(out)
    assert "name: contains a NUL character" in got[0]["error"]
    assert "id: contains a NUL character" in got[1]["error"]
    assert got[2]["error"] == ""


def test_undecodable_bytes_are_a_row_error(opts):
    good = csv_text([lead_row(name="张三")]).encode("utf-8")
    bad = b",".join(c.encode() for c in lead_row(name="x")).replace(b"x", b"\xff\xfe\xfd", 1) + b"\r\n"
    summary, out = run(good + bad + good.split(b"\r\n", 1)[1], opts)
    assert (summary.rows, summary.scored, summary.errors, summary.encoding) == (3, 2, 1, "utf-8")
    assert "name: has bytes that are not utf-8 text" in as_dicts(out)[1]["error"]


def test_quoted_newlines_crlf_and_blank_lines(opts):
    header = [*FIELDS, "备注"]
    text = csv_text([[*lead_row(), "第一行\n第二行"], [*lead_row(), "x\r\ny"]], header)
    text = text.replace("\r\n", "\r\n\r\n", 1) + "\r\n,,,\r\n"  # a blank line, and a row of empty cells
    summary, rows = run(text, opts)
    assert summary.rows == 2
    assert [r["备注"] for r in as_dicts(rows)] == ["第一行\n第二行", "x\r\ny"]


# --- encodings -------------------------------------------------------------------------------------

CHINESE = [
    [*lead_row(name="张记食品", business_type="品牌商", category="食品"), "甲-001", "老客户，复购好"],
    [*lead_row(name="李氏茶行", goal="复购", city_tier="三线及以下"), "甲-002", "想做视频号"],
]
HEADER = [*FIELDS, "编号", "备注"]


@pytest.mark.parametrize(
    ("encoding", "bom", "reported"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("gbk", b"", "gb18030"),
        ("gb18030", b"", "gb18030"),
        ("utf-16-le", b"\xff\xfe", "utf-16"),
        ("utf-16-be", b"\xfe\xff", "utf-16"),
    ],
)
def test_encodings_give_the_same_output(encoding, bom, reported, opts):
    text = csv_text(CHINESE, HEADER)
    reference = run(text, opts)[1]
    summary, rows = run(bom + text.encode(encoding), opts)
    assert summary.encoding == reported
    assert (summary.rows, summary.scored) == (2, 2)
    assert rows == reference
    assert [r["编号"] for r in as_dicts(rows)] == ["甲-001", "甲-002"]


def test_excel_unicode_text_is_utf16_tab_separated(opts):
    text = "\r\n".join("\t".join(r) for r in [HEADER, *CHINESE]) + "\r\n"
    summary, rows = run(b"\xff\xfe" + text.encode("utf-16-le"), opts)
    assert (summary.encoding, summary.scored) == ("utf-16", 2)
    assert rows == run(csv_text(CHINESE, HEADER), opts)[1]


def test_bom_and_spaces_are_stripped_from_header_cells(opts):
    header = ["\ufeff id ", *(f" {f}\t" for f in FIELDS)]
    summary, rows = run(csv_text([["1", *lead_row()]], header), opts)
    assert summary.scored == 1
    assert rows[0][: len(FIELDS) + 1] == ["id", *FIELDS]


def test_a_file_path_works_like_its_bytes(tmp_path, opts):
    data = csv_text(CHINESE, HEADER).encode("gbk")
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    assert run(path, opts) == run(data, opts)
    sink = io.StringIO(newline="")
    leads.run(str(path), sink, opts)  # a str is a path
    assert list(csv.reader(io.StringIO(sink.getvalue(), newline=""))) == run(data, opts)[1]


def test_a_bom_that_lies_is_caught_at_the_header(opts):
    data = b"\xef\xbb\xbf" + csv_text(CHINESE, HEADER).encode("gbk")  # says UTF-8, is GBK
    assert "not text" in file_error(data, opts)


# --- output ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138 0000 0000", "'+86 138 0000 0000"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-5", "-5"),
        ("+3.5", "+3.5"),
        ("-1e5", "-1e5"),
        ("a=b", "a=b"),
        ("", ""),
        ("普通文本", "普通文本"),
    ],
)
def test_neutralise(given, written):
    assert neutralise(given) == written


def test_formula_cells_are_neutralised_in_pass_through_header_and_errors(opts):
    header = [*FIELDS, "=HEADER()", "备注"]
    rows = [
        [*lead_row(name='=HYPERLINK("http://x")'), "1", "@cmd"],
        [*lead_row(business_type="=2+2"), "-2", "+note"],
    ]
    summary, out = run(csv_text(rows, header), opts)
    assert (summary.scored, summary.errors) == (1, 1)
    assert out[0][len(FIELDS)] == "'=HEADER()"
    first, second = as_dicts(out)
    assert first["name"] == '\'=HYPERLINK("http://x")' and first["备注"] == "'@cmd"
    assert second["'=HEADER()"] == "-2" and second["备注"] == "'+note"
    assert second["business_type"] == "'=2+2"
    assert second["error"].startswith("business_type: ") and "'=2+2'" in second["error"]
    for row in out:
        for value in row:
            assert not value.startswith(("=", "+", "@", "\t", "\r")) or value in ("-2",)


def test_pass_through_and_order_with_errors_in_between(opts):
    header = ["id", *FIELDS, "备注"]
    rows = [
        [str(i), *lead_row(staff_fte=("x" if i % 3 == 1 else str(i + 1))), f"备注 {i}"] for i in range(12)
    ]
    summary, out = run(csv_text(rows, header), opts, block=5)
    assert (summary.rows, summary.scored, summary.errors) == (12, 8, 4)
    assert out[0] == [*header, *OUTPUT_COLUMNS]
    for given, written in zip(rows, out[1:], strict=True):
        assert written[: len(header)] == given
        result = dict(zip(OUTPUT_COLUMNS, written[len(header) :], strict=True))
        if int(given[0]) % 3 == 1:
            assert result["error"].startswith("staff_fte: 'x'")
            assert all(v == "" for k, v in result.items() if k != "error")
        else:
            assert result["error"] == ""
            assert all(result[f"verdict_{m}"] for m in MODULES)
            assert (
                float(result["setup_cny_p10"])
                <= float(result["setup_cny_p50"])
                <= float(result["setup_cny_p90"])
            )
            assert 0 <= float(result["win_probability"]) <= 1


def test_summary_counts_plans(opts):
    summary, rows = run(EXAMPLE, opts)
    assert (summary.rows, summary.scored, summary.errors) == (30, 30, 0)
    assert summary.plans == Counter(r["plan"] for r in as_dicts(rows))
    assert sum(summary.plans.values()) == 30


def test_plan_label_language(opts):
    zh = as_dicts(run(csv_text([lead_row()]), opts)[1])[0]
    en = as_dicts(run(csv_text([lead_row()]), opts, lang="en")[1])[0]
    assert zh["plan"] == en["plan"] and zh["plan_label"] != en["plan_label"]
    assert "+" in en["plan_label"] or "→" in en["plan_label"] or "No new module" in en["plan_label"]


def test_the_example_lead_list_is_valid_and_varied(opts):
    summary, rows = run(EXAMPLE, opts)
    got = as_dicts(rows)
    assert summary.encoding == "utf-8" and summary.errors == 0, [r["error"] for r in got if r["error"]]
    assert 25 <= len(got) <= 40
    assert {"id", "备注"} <= set(rows[0])
    assert len({r["id"] for r in got}) == len(got)
    assert any(not r["current_monthly_gmv_cny"] for r in got) and any(
        r["current_monthly_gmv_cny"] for r in got
    )
    assert any(r["business_type"] == "品牌商" for r in got) and any(
        r["business_type"] == "brand" for r in got
    )
    assert any(";" in r["shelf_platforms"] for r in got)
    assert len(summary.plans) >= 4


# --- determinism and agreement with recommend ------------------------------------------------------


def test_same_seed_same_bytes_and_shared_draws(opts, monkeypatch):
    text = EXAMPLE.read_bytes()
    first = io.StringIO(newline="")
    leads.run(text, first, opts, block=7)
    made = []
    real = batch.Scorer

    def counting(o, **kwargs):
        made.append(o)
        return real(o, **kwargs)

    monkeypatch.setattr(batch, "Scorer", counting)
    second = io.StringIO(newline="")
    leads.run(text, second, opts, block=3)
    assert first.getvalue() == second.getvalue()
    assert len(made) == 1, "one scorer (one set of draws) for the whole file"


PROFILES = [
    make_profile(),
    make_profile(
        business_type="chain_store", existing_modules=["wecom"], distributors=40, private_domain="established"
    ),
    make_profile(
        business_type="individual", staff_fte=1, budget_setup_cny=5000, budget_monthly_cny=2000, city_tier=3
    ),
    make_profile(
        douyin_presence="leading", shelf_platforms=["taobao", "jd"], current_monthly_gmv_cny=3_000_000
    ),
]


def test_rows_equal_recommend(opts):
    rows = [lead_row(**p) for p in PROFILES]
    got = as_dicts(run(csv_text(rows), opts, block=2)[1])
    for profile, row in zip(PROFILES, got, strict=True):
        rec = recommend(profile, as_of=AS_OF, draws=DRAWS, seed=0, with_counterfactuals=False, lang="zh")
        assert row["error"] == ""
        assert row["plan"] == rec.plan.code == plan_code(tuple(tuple(p.modules) for p in rec.plan.phases))
        kept = MerchantProfile.model_validate(profile).existing_modules
        phases = tuple(tuple(p.modules) for p in rec.plan.phases)
        assert row["plan_label"] == plan_label(phases, kept, "zh", opts.as_of)
        for m in MODULES:
            assert row[f"verdict_{m}"] == rec.modules[m].verdict
        for kind in ("setup", "monthly", "first_year"):
            band = getattr(rec.cost_cny, kind)
            for q in ("p10", "p50", "p90"):
                assert float(row[f"{kind}_cny_{q}"]) == getattr(band, q)
        assert float(row["operational_weeks_p50"]) == rec.ramp_weeks.operational.p50
        assert float(row["steady_state_weeks_p50"]) == rec.ramp_weeks.steady_state.p50
        assert float(row["win_probability"]) == rec.win_probability


class _Rows(io.StringIO):
    """A sink that notes when each data row is written."""

    def __init__(self, events: list[str]):
        super().__init__(newline="")
        self.events = events

    def write(self, text: str) -> int:
        if self.tell() > 0:  # after the header
            self.events.append("row")
        return super().write(text)


def test_the_next_block_is_submitted_before_the_last_one_is_written(opts, monkeypatch):
    events: list[str] = []
    real = batch.Scorer.submit

    def submit(self, profiles, progress=None):
        events.append(f"submit {len(profiles)}")
        return real(self, profiles, progress)

    monkeypatch.setattr(batch.Scorer, "submit", submit)
    rows = [lead_row(staff_fte=str(1 + i)) for i in range(5)]
    sink = _Rows(events)
    leads.run(csv_text(rows).encode(), sink, opts, block=2)
    # block 2 is read and submitted before block 1's rows are written, block 3 before block 2's
    assert events == ["submit 2", "submit 2", "row", "row", "submit 1", "row", "row", "row"]
    alone = io.StringIO(newline="")
    leads.run(csv_text(rows).encode(), alone, opts, block=5)
    assert sink.getvalue() == alone.getvalue()


def test_workers_and_blocks_do_not_change_the_rows(opts):
    text = EXAMPLE.read_bytes()
    alone = io.StringIO(newline="")
    leads.run(text, alone, opts)
    shared = io.StringIO(newline="")
    leads.run(text, shared, opts, block=3, workers=2)
    assert shared.getvalue() == alone.getvalue()


def test_progress_is_reported_up_to_the_total(opts):
    calls: list[tuple[int, int]] = []
    header = [*FIELDS]
    rows = [lead_row(staff_fte="x" if i == 4 else "3") for i in range(11)]
    leads.run(
        csv_text(rows, header).encode(),
        io.StringIO(),
        opts,
        block=4,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[-1] == (11, 11)
    assert all(total == 11 for _, total in calls)
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert {4, 8, 11} <= set(done)  # after each block at least


# --- to a file -------------------------------------------------------------------------------------


def test_run_to_file_writes_utf8_with_bom(tmp_path, opts):
    target = tmp_path / "out.csv"
    summary = leads.run_to_file(EXAMPLE, target, opts)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    assert summary.rows == 30
    text = data[3:].decode("utf-8")
    assert list(csv.reader(io.StringIO(text, newline=""))) == run(EXAMPLE, opts)[1]
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_run_to_file_leaves_nothing_on_a_file_error(tmp_path, opts):
    source = tmp_path / "in.csv"
    source.write_text("a,a\n", encoding="utf-8")
    target = tmp_path / "out.csv"
    with pytest.raises(LeadFileError):
        leads.run_to_file(source, target, opts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    target.write_text("old", encoding="utf-8")
    with pytest.raises(LeadFileError):
        leads.run_to_file(source, target, opts)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]
