"""The 批量 Batch page in Streamlit's AppTest, and the scoring helpers behind it (``app.leadbatch``).

AppTest cannot drive a file uploader, so the page is exercised from a stored result (what pressing the button
puts in the session) and a stored file problem; the real upload is in tests/test_browser_batch.py."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from app import leadbatch
from app.i18n import t
from engine.assumptions import AssumptionError
from engine.i18n import LANGS
from engine.leads import OUTPUT_COLUMNS, LeadFileError
from engine.recommend import InputError
from tests.conftest import AS_OF, ROOT

PAGE = str(ROOT / "app" / "views" / "batch.py")
EXAMPLE = ROOT / "examples" / "leads.csv"
DAY = date.fromisoformat(AS_OF)


def example_rows() -> int:
    return len(list(csv.DictReader(io.StringIO(EXAMPLE.read_text(encoding="utf-8")))))


def with_bad_rows() -> bytes:
    """The example list and two rows that cannot be read."""
    text = EXAMPLE.read_text(encoding="utf-8").rstrip("\n")
    header = text.splitlines()[0].split(",")
    extra = io.StringIO()
    writer = csv.DictWriter(extra, header, lineterminator="\n")
    writer.writerow({"id": "X01", "name": "坏行一", "business_type": "外星人"})
    writer.writerow({"id": "X02", "name": "坏行二", "staff_fte": "-1"})
    return (text + "\n" + extra.getvalue()).encode("utf-8")


def score(data: bytes | None = None, lang: str = "zh", **kw) -> leadbatch.BatchResult:
    options = {"as_of": DAY, "draws": 300, "seed": 0} | kw
    return leadbatch.score(data or EXAMPLE.read_bytes(), "leads.csv", lang=lang, **options)


@pytest.fixture(scope="module")
def result() -> leadbatch.BatchResult:
    return score()


@pytest.fixture(scope="module")
def with_errors() -> leadbatch.BatchResult:
    return score(with_bad_rows())


def run(lang: str = "zh", **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if lang != "zh":
        at.query_params["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def kinds(at: AppTest) -> list[str]:
    """The page's elements in order (containers and columns flattened)."""
    out = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            out.append(child.type)
            walk(child)

    walk(at.main)
    return out


# --- the page --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_page_renders_with_its_controls_in_the_language(lang):
    at = run(lang)
    assert [x.value for x in at.title] == [t("ui.nav.batch", lang)]
    assert [b.label for b in at.get("download_button")] == [t("batchpage.template", lang)]
    assert [u.label for u in at.get("file_uploader")] == [t("batchpage.file", lang)]
    assert at.number_input(key="bt_draws").value == 1_000
    assert at.number_input(key="bt_seed").value == 0
    assert at.date_input(key="bt_as_of").value == date.today()
    assert at.button(key="bt_run").label == t("batchpage.run", lang)
    assert not at.metric and not at.dataframe and not at.error


def test_pressing_the_button_without_a_file_says_so_under_the_uploader():
    at = run()
    at.button(key="bt_run").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("batchpage.no_file", "zh")]
    order = kinds(at)
    assert order.index("file_uploader") < order.index("error") < order.index("number_input")


@pytest.mark.parametrize("lang", LANGS)
def test_a_stored_result_shows_counts_charts_table_and_download(result, lang):
    at = run(lang, bt_result=result)
    rows = example_rows()
    assert [m.value for m in at.metric] == [str(rows), str(rows), "0"]
    assert [m.label for m in at.metric] == [
        t(f"batchpage.metric.{k}", lang) for k in ("rows", "scored", "errors")
    ]
    assert len(at.get("vega_lite_chart")) == 3
    assert [b.label for b in at.get("download_button")] == [
        t("batchpage.template", lang),
        t("batchpage.download", lang),  # in the page's language
        t("batchpage.download_codes", lang),  # codes, as `wxplan batch` writes it
    ]
    table = at.dataframe[0].value
    assert len(table) == rows
    assert t("batchpage.col.error", lang) in table.columns
    # the lead, the link that opens it in Assess (issue 10), then the results
    assert list(table.columns[:4]) == [
        "id",
        "name",
        t("batchpage.col.open", lang),
        t("batchpage.col.error", lang),
    ]
    assert table[t("batchpage.col.plan_label", lang)].tolist() == leadbatch.plan_labels(result, lang)
    assert t("batchpage.results_for", lang, file="leads\\.csv", draws="300", seed=0, as_of=AS_OF) in [
        c.value for c in at.caption
    ]
    assert not at.warning and not at.error


def test_rows_with_errors_are_counted_noted_and_can_be_shown_alone(with_errors):
    at = run(bt_result=with_errors)
    rows = example_rows()
    assert [m.value for m in at.metric] == [str(rows + 2), str(rows), "2"]
    assert [w.value for w in at.warning] == [t("batchpage.errors_note", "zh", count="2")]
    assert len(at.dataframe[0].value) == rows + 2
    at.toggle(key="bt_only_errors").set_value(True).run()
    assert not at.exception
    only = at.dataframe[0].value
    assert only["id"].tolist() == ["X01", "X02"]
    assert all(only[t("batchpage.col.error", "zh")].str.len() > 0)


def test_a_language_switch_redraws_the_stored_result_without_scoring(result):
    at = run(bt_result=result)
    at.get("button_group")[0].set_value("en").run()
    assert not at.exception
    assert at.session_state["bt_result"] is result  # the same object: nothing was scored again
    assert at.title[0].value == t("ui.nav.batch", "en")
    table = at.dataframe[0].value
    assert table[t("batchpage.col.plan_label", "en")].tolist() == leadbatch.plan_labels(result, "en")
    assert "Channels (视频号) + WeChat Shop (微信小店)" in table[t("batchpage.col.plan_label", "en")].tolist()


def test_a_file_problem_is_shown_in_its_own_words_under_the_uploader():
    header = b"id,name,business_type\nL1,x,brand\n"
    with pytest.raises(LeadFileError) as err:
        score(header)
    at = run(bt_error=("batchpage.error.file", str(err.value)))
    assert len(at.error) == 1
    text = at.error[0].value
    assert text.startswith(t("batchpage.error.file", "zh", message=""))
    assert "缺少必填列" in text and "staff\\_fte" in text  # in Chinese; Markdown-escaped, not italic
    assert "missing required column" in str(err.value)  # the command line's English is unchanged
    order = kinds(at)
    assert order.index("file_uploader") < order.index("error") < order.index("number_input")
    assert not at.metric


def test_an_empty_list_says_there_are_no_rows():
    empty = score(EXAMPLE.read_text(encoding="utf-8").splitlines()[0].encode() + b"\n")
    at = run("en", bt_result=empty)
    assert [m.value for m in at.metric] == ["0", "0", "0"]
    assert [i.value for i in at.info] == [t("batchpage.no_rows", "en")]
    assert not at.dataframe and not at.get("vega_lite_chart")


# --- scoring and reading back (no Streamlit) ------------------------------------------------------


def test_score_reports_progress_to_the_end_and_keeps_the_options(result):
    seen = []
    again = score(progress=lambda done, total: seen.append((done, total)))
    rows = example_rows()
    assert seen and seen[-1] == (rows, rows) and all(d <= tot for d, tot in seen)
    assert again.csv_text == result.csv_text  # same seed, draws and date: the same rows
    assert (result.as_of, result.draws, result.seed, result.lang) == (DAY, 300, 0, "zh")
    assert result.summary.rows == result.summary.scored == rows
    assert result.header[-len(OUTPUT_COLUMNS) :] == OUTPUT_COLUMNS


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"draws": 5}, InputError),
        ({"as_of": date(2001, 1, 1)}, InputError),
    ],
)
def test_score_raises_for_bad_options(kwargs, error):
    with pytest.raises(error):
        score(**kwargs)
    assert issubclass(AssumptionError, ValueError)  # the page catches it with InputError


def test_a_file_with_a_missing_column_raises_a_lead_file_error():
    text = EXAMPLE.read_text(encoding="utf-8").replace("staff_fte", "staff", 1)
    with pytest.raises(LeadFileError, match="staff_fte"):
        score(text.encode())


def test_plan_labels_in_another_language_equal_a_run_in_that_language(result):
    english = score(lang="en")
    assert leadbatch.plan_labels(result, "en") == english.column("plan_label")
    assert leadbatch.plan_labels(english, "zh") == result.column("plan_label")


def test_download_is_utf8_with_bom_one_row_per_lead_in_the_language_shown(result):
    data = leadbatch.download_csv(result, "zh")
    assert data.startswith(b"\xef\xbb\xbf") and data[3:].decode("utf-8") == result.csv_text
    rows = list(csv.DictReader(io.StringIO(leadbatch.download_csv(result, "en").decode("utf-8-sig"))))
    leads = list(csv.DictReader(io.StringIO(EXAMPLE.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == [r["id"] for r in leads]
    assert rows[0]["备注"] == leads[0]["备注"]
    assert [r["plan_label"] for r in rows] == leadbatch.plan_labels(result, "en")
    assert leadbatch.download_name(result) == f"wxplan-leads-{AS_OF}.csv"


def test_table_marks_errors_and_keeps_numbers_as_numbers(with_errors):
    frame = leadbatch.table(with_errors, "en")
    error = t("batchpage.col.error", "en")
    bad = frame[frame[error] != ""]
    assert bad["id"].tolist() == ["X01", "X02"]
    assert "business_type" in bad[error].iloc[0] and "staff_fte" in bad[error].iloc[1]
    assert bad.index.tolist() == [example_rows() + 1, example_rows() + 2]  # row numbers of the file
    p50 = frame[t("batchpage.col.first_year_cny_p50", "en")]
    assert p50.dtype.kind == "f" and p50.isna().sum() == 2
    assert set(frame[t("batchpage.col.verdict_wecom", "en")]) <= {t(f"verdict.{v}", "en") for v in
                                                                  ("keep", "adopt_now", "adopt_later", "not_recommended")} | {""}  # fmt: skip
    assert list(frame.columns).index(t("batchpage.col.plan", "en")) > list(frame.columns).index(
        t("batchpage.col.win_probability", "en")
    )
    assert len(leadbatch.table(with_errors, "en", only_errors=True)) == 2


def test_table_names_blank_and_clashing_input_columns_apart():
    text = EXAMPLE.read_text(encoding="utf-8").splitlines()
    header = text[0].replace("备注", "错误")  # an input column named like a translated result column
    lines = [header + ",", *(line + ",extra" for line in text[1:3])]  # and a column without a name
    frame = leadbatch.table(score("\n".join(lines).encode()), "zh")
    assert len(set(frame.columns)) == len(frame.columns)
    assert "(20)" in frame.columns and frame["(20)"].tolist() == ["extra", "extra"]
    errors = [c for c in frame.columns if c.startswith("错误")]
    assert len(errors) == 2


def test_chart_inputs_count_the_scored_leads(with_errors):
    p50 = leadbatch.first_year_p50(with_errors)
    assert len(p50) == with_errors.summary.scored
    counts = leadbatch.verdict_counts(with_errors)
    assert all(sum(c.values()) == with_errors.summary.scored for c in counts.values())
    assert {leadbatch.plan_of(code) for code in with_errors.summary.plans} >= {(("shop",),)}
    assert leadbatch.plan_of("") == () and leadbatch.plan_of("channels,shop>wecom") == (
        ("channels", "shop"),
        ("wecom",),
    )
