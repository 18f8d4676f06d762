"""Chinese throughout (issue 10): the messages the engine and the app build at run time — profile validation,
link problems, lead-file and lead-row errors, the batch download, the evidence page's source texts — come
from both catalogs, and their Chinese rendering holds no English sentence.

The heuristic: after quoted values (what the user typed), field names, choice codes and a few technical
words (CSV, UTF-8 …) are taken out, no run of three or more English words is left."""

from __future__ import annotations

import csv
import io
import pickle
import re
from datetime import date

import pytest
from pydantic import ValidationError

from app import leadbatch, state
from app.i18n import catalog, t
from engine import leads
from engine.assumptions import load
from engine.errors import Message, format_profile_error, localize, profile_problems
from engine.i18n import LANGS
from engine.leads import OUTPUT_COLUMNS, LeadFileError
from engine.overrides import Overrides
from engine.presets import DEFAULT_PRESET, preset
from engine.profile import FIELD_CHOICES, MODULES, MerchantProfile
from engine.sources import SOURCES
from tests.conftest import AS_OF, ROOT

EXAMPLE = ROOT / "examples" / "leads.csv"
HEADER = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
BASE = preset(DEFAULT_PRESET).model_dump()

CODES = (
    set(MerchantProfile.model_fields)
    | {str(v) for values in FIELD_CHOICES.values() for v in values}
    | set(MODULES)
    | set(OUTPUT_COLUMNS)
    | set(LANGS)
    | {"true/false", "UTF-8", "UTF-16", "GBK", "GB18030", "CSV", "NUL", "wxplan", "YYYY-MM-DD"}
)
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|「[^」]*」|U\+[0-9A-F]{4,6} \([A-Z -]+\)")
WORDS = re.compile(r"[A-Za-z][A-Za-z'-]+(?:[\s,;:()]+[A-Za-z][A-Za-z'-]+){2,}")


def english_sentences(text: str) -> list[str]:
    """Runs of 3+ English words left after taking out quoted values, field names and codes."""
    text = QUOTED.sub(" · ", text)
    text = re.sub(r"[\w/+.-]+", lambda m: " · " if m[0] in CODES else m[0], text)
    return WORDS.findall(text)


def assert_chinese(text: str, where: str = "") -> None:
    assert re.search(r"[\u4e00-\u9fff]", text), f"{where}: no Chinese in {text!r}"
    found = english_sentences(text)
    assert not found, f"{where}: English in the Chinese text {text!r}: {found}"


def test_the_heuristic_catches_english_and_spares_codes():
    assert english_sentences("-3.0 is out of range; allowed: a number > 0")
    assert not english_sentences("staff_fte（可投入人手）：'is out of range' 超出范围；允许：taobao, jd, pdd")


# --- profile validation ------------------------------------------------------------------------

BAD_PROFILES = [
    {"staff_fte": -3.0},
    {"staff_fte": 0},
    {"staff_fte": "abc"},
    {"staff_fte": True},
    {"staff_fte": float("nan")},
    {"staff_fte": None},
    {"staff_fte": [1]},
    {"distributors": 1.5},
    {"distributors": "x"},
    {"distributors": 10**30},
    {"city_tier": 4},
    {"city_tier": 2.0},
    {"name": "a" * 200},
    {"name": "a\nb"},
    {"name": "x\u202ey"},
    {"name": 5},
    {"shelf_platforms": ["zzz", "taobao", "qqq"]},
    {"shelf_platforms": 5},
    {"existing_modules": "zzz"},
    {"zzz": 1},
    {"gross_margin": 1.5},
    {"budget_setup_cny": 1e400},
    {"category": "x; allowed: is out of range"},
    {"reachable_customers": 1.5},
    {"goal": None, "audience_age": "x"},
]
MISSING = ["staff_fte", "goal", "category"]


def _problems() -> list[tuple[str, Message]]:
    out = []
    for bad in BAD_PROFILES:
        with pytest.raises(ValidationError) as err:
            MerchantProfile.model_validate({**BASE, **bad})
        out += profile_problems(err.value)
    for name in MISSING:
        with pytest.raises(ValidationError) as err:
            MerchantProfile.model_validate({k: v for k, v in BASE.items() if k != name})
        out += profile_problems(err.value)
    return out


PROBLEMS = _problems()


@pytest.mark.parametrize(
    ("field", "message"), PROBLEMS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(PROBLEMS)]
)
def test_every_profile_problem_reads_in_chinese(field, message):
    assert isinstance(message, Message) and str(message) == message.text("en")
    assert_chinese(message.text("zh"), field)
    # As the lead reader writes it (``field: message``, plain English), it is read back into Chinese too.
    assert_chinese(localize(f"{field}: {message}", "zh"), field)
    assert localize(f"{field}: {message}", "en") == f"{field}: {message}"


def test_the_english_wording_is_unchanged_for_the_command_line():
    with pytest.raises(ValidationError) as err:
        MerchantProfile.model_validate({**BASE, "staff_fte": -3.0, "city_tier": 4})
    assert format_profile_error(err.value).splitlines() == [
        "profile field 'staff_fte': -3.0 is out of range; allowed: a number > 0 and <= 1000",
        "profile field 'city_tier': 4 is not allowed; allowed: 1, 2, 3",
    ]


def test_a_message_survives_pickling_and_compares_as_its_english():
    message = PROBLEMS[0][1]
    back = pickle.loads(pickle.dumps(message))
    assert back == message and back.text("zh") == message.text("zh") and hash(back) == hash(str(message))


# --- links and the form ------------------------------------------------------------------------

BAD_LINKS = [
    {"lang": "fr"},
    {"zzz": "1"},
    {"name": "x" * 500},
    {"staff_fte": "-3"},
    {"staff_fte": "abc", "city_tier": "9", "category": "robots"},
    {"shelf_platforms": "taobao,zzz"},
    {"as_of": "21/11/2026"},
    {"as_of": "2001-01-01"},
    {"draws": "12abc"},
    {"seed": "-1"},
    {"salary": "0"},
    {"returns": "nan"},
]


@pytest.mark.parametrize("params", BAD_LINKS, ids=lambda p: ",".join(p))
def test_every_link_problem_reads_in_chinese(params):
    problems = state.parse_query(params).problems
    assert problems
    for param, message in problems:
        shown = t("ui.url_problem", "zh", param=param, message=message.text("zh"))
        assert_chinese(shown, param)
        assert str(message) == message.text("en")


def test_the_form_problems_of_options_and_overrides_read_in_chinese():
    with pytest.raises(ValidationError) as err:
        Overrides.model_validate({"salary": 0.05, "returns": 9})
    for e in err.value.errors():
        message = state._override_problem(e)
        assert_chinese(message.text("zh"), "override")
        assert "multiplier" in str(message)


# --- lead files and rows -----------------------------------------------------------------------

BAD_FILES = {
    "empty": b"",
    "not-text": b"\x01\x02,\x03\nx,y\n",
    "duplicates": b"id,id,name,name\n1,2,3,4\n",
    "output-name": (HEADER + ",error,plan\n").encode(),
    "missing": b"id,name\nL1,x\n",
    "labels": "id,业务类型,员工\nL1,品牌商,2\n".encode(),
    "semicolons": b"id;name;staff_fte\n1;2;3\n",
    "nul-bytes": "id,name\nL1,x\n".encode("utf-16-le"),
    "unclosed-quote": (HEADER + "\n" + 'L1,"x,品牌商\n' * 6).encode(),
}


@pytest.mark.parametrize("data", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_every_file_problem_reads_in_chinese(data):
    with pytest.raises(LeadFileError) as err:
        leads.open_leads(data)
    zh = leadbatch.file_error_text(err.value, "zh")
    assert_chinese(t("batchpage.error.file", "zh", message=zh), str(err.value))
    assert leadbatch.file_error_text(err.value, "en") == err.value.text("en")


def _bad_rows() -> bytes:
    names = HEADER.split(",")
    good = dict(zip(names, EXAMPLE.read_text(encoding="utf-8").splitlines()[1].split(","), strict=False))
    good = next(csv.DictReader(io.StringIO(EXAMPLE.read_text(encoding="utf-8"))))
    rows = [
        {"business_type": "机器人"},
        {"staff_fte": "0", "gross_margin": "1.2"},
        {"staff_fte": "", "category": ""},
        {"city_tier": "4", "distributors": "1.5"},
        {"name": "名" * 130},
        {"name": "坏\x07名"},
        {"shelf_platforms": "a;b;c;d;e;taobao"},
        {"budget_setup_cny": "9" * 500},
        {"staff_fte": "abc", "avg_order_value_cny": "¥-5"},
        {"id": "NUL\x00"},
    ]
    sink = io.StringIO()
    writer = csv.DictWriter(sink, names, lineterminator="\n")
    writer.writeheader()
    for i, change in enumerate(rows):
        writer.writerow(good | {"id": f"X{i}"} | change)
    text = sink.getvalue() + "X98," + ",".join(["1"] * (len(names) + 3)) + "\n"
    return text.encode()


@pytest.fixture(scope="module")
def bad_result() -> leadbatch.BatchResult:
    return leadbatch.score(
        _bad_rows(), "bad.csv", as_of=date.fromisoformat(AS_OF), draws=300, seed=0, lang="zh"
    )


def test_every_row_error_reads_in_chinese_and_the_machine_csv_keeps_english(bad_result):
    english = bad_result.column("error")
    assert all(english) and len(english) == 11
    for en, zh in zip(english, leadbatch.error_texts(bad_result, "zh"), strict=True):
        assert_chinese(zh, en)
    assert leadbatch.error_texts(bad_result, "en") == english
    table = leadbatch.table(bad_result, "zh")
    assert table[t("batchpage.col.error", "zh")].tolist() == leadbatch.error_texts(bad_result, "zh")
    machine = leadbatch.download_csv(bad_result, "zh").decode("utf-8-sig")
    assert machine == bad_result.csv_text  # codes and English errors, as `wxplan batch` writes them


def test_the_readable_download_is_in_the_language_shown():
    result = leadbatch.score(EXAMPLE.read_bytes(), "leads.csv", as_of=date.fromisoformat(AS_OF), draws=300,
                             seed=0, lang="zh")  # fmt: skip
    inputs = list(csv.DictReader(io.StringIO(EXAMPLE.read_text(encoding="utf-8"))))
    for lang in LANGS:
        data = leadbatch.readable_csv(result, lang)
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert [r["id"] for r in rows] == [r["id"] for r in inputs] and rows[0]["备注"] == inputs[0]["备注"]
        verdict = t("batchpage.col.verdict_wecom", lang)
        assert {r[verdict] for r in rows} <= {t(f"verdict.{v}", lang) for v in ("keep", "adopt_now",
                                                                              "adopt_later", "not_recommended")}  # fmt: skip
        assert [r[t("batchpage.col.plan", lang)] for r in rows] == result.column("plan")  # the code kept
        assert [r[t("batchpage.col.plan_label", lang)] for r in rows] == leadbatch.plan_labels(result, lang)
    header = next(csv.reader(io.StringIO(leadbatch.readable_csv(result, "zh").decode("utf-8-sig"))))
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in header[len(inputs[0]) :]), header
    assert leadbatch.download_name(result, "zh").endswith("-zh.csv")


# --- the evidence page and the footer -----------------------------------------------------------


def test_translated_source_texts_are_still_in_the_assumption_files():
    """The evidence page finds a translation by the exact English of an estimate reason; a stale one
    would silently stop translating."""
    refs = [r for _, p in load().params() for r in p.references]
    texts = {(r.estimate or "").strip() for r in refs} | {(r.note or "").strip() for r in refs}
    keys = [k for k in catalog("en") if k.startswith("evidence.text.")]
    assert len(keys) >= 10
    stale = [k for k in keys if catalog("en")[k] not in texts]
    assert not stale, stale
    for key in keys:
        assert_chinese(t(key, "zh"), key)
    assert t("evidence.english_note", "zh", text="x").startswith("x") and "英文" in t(
        "evidence.english_note", "zh", text="x"
    )


def test_every_article_date_note_is_translated():
    for source in SOURCES.values():
        if source.published_note:
            key = f"source.note.{source.file}"
            assert catalog("en")[key] == source.published_note
            assert_chinese(t(key, "zh"), key)
    assert_chinese(
        t(
            "ui.method_line",
            "zh",
            draws=1,
            seed=0,
            as_of=AS_OF,
            assumptions=t("html.assumptions.bundled", "zh"),
        )
    )


# --- in a real browser --------------------------------------------------------------------------


@pytest.mark.browser
def test_assess_by_its_own_name_opens_without_an_english_page_not_found_box(page, app_url):
    """/assess is the Assess page's name; Streamlit serves the default page at / only and showed its
    English "Page not found" box there. The page opens instead, the link's assessment kept."""
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"{app_url}/assess?lang=zh&staff_fte=3&name=ACME")
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    page.get_by_role("heading", level=1, name=t("app.title", "zh")).wait_for(timeout=30_000)
    text = page.locator("body").inner_text()
    assert "Page not found" not in text and "not found" not in text.lower()
    assert page.get_by_role("dialog").count() == 0
    page.wait_for_function("() => location.search.includes('staff_fte=3')", timeout=30_000)
    assert "name=ACME" in page.url and "lang=zh" in page.url
