"""The 假设与来源 Assumptions & evidence and 方法 Method pages, run headless with Streamlit's AppTest."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from app.cache import assumptions
from app.i18n import t
from engine.assumptions import read_yaml
from engine.i18n import LANGS
from engine.rules import RULES
from engine.sources import SOURCES

PAGES = {"evidence": ROOT / "app" / "views" / "evidence.py", "method": ROOT / "app" / "views" / "method.py"}
CONTENT = ROOT / "app" / "content"


def run(page: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(PAGES[page]), default_timeout=30)
    if lang != "zh":
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    return at


def table(at: AppTest, column: str) -> list[dict[str, str]]:
    """The rows of the one table that has ``column`` (as a list of dicts of cell text)."""
    found = [tb.value for tb in at.table if column in tb.value.columns]
    assert len(found) == 1, f"expected one table with column {column!r}, found {len(found)}"
    return found[0].to_dict("records")


def cells(rows: list[dict[str, str]]) -> str:
    return "\n".join(str(v) for row in rows for v in row.values())


@pytest.fixture(scope="module")
def evidence_zh() -> AppTest:
    return run("evidence")


# --- both pages, both languages ----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_renders_with_its_title_in_the_language(page, lang):
    at = run(page, lang)
    assert [title.value for title in at.title] == [t(f"ui.nav.{page}", lang)]
    other = next(x for x in LANGS if x != lang)
    assert t(f"ui.nav.{page}", other) not in [title.value for title in at.title]


# --- evidence ----------------------------------------------------------------------------------


def test_evidence_lists_every_parameter_and_counts_them(evidence_zh):
    params = assumptions().params()
    rows = table(evidence_zh, t("evidence.col.parameter", "zh"))
    assert len(rows) == len(params)
    text = cells(rows)
    assert all(f"`{path}`" in text for path, _ in params)
    count = next(md.value for md in evidence_zh.markdown if md.value.startswith(f"**{len(params)} "))
    estimates = sum(all(r.kind == "estimate" for r in p.references) for _, p in params)
    assert str(estimates) in count


def test_evidence_lists_every_rule_and_article(evidence_zh):
    rules = cells(table(evidence_zh, t("evidence.col.rule", "zh")))
    missing = [rule.id for rule in RULES if f"`{rule.id}`" not in rules]
    assert not missing, missing
    articles = table(evidence_zh, t("evidence.col.outlet", "zh"))
    assert {row[t("evidence.col.outlet", "zh")] for row in articles} == {s.outlet for s in SOURCES.values()}
    citing = {
        re.search(r"`([^`]+)`", row[t("evidence.col.title", "zh")])[1]: int(
            row[t("evidence.col.rules_citing", "zh")]
        )
        for row in articles
    }
    assert citing == {f: sum(any(c.ref.startswith(f) for c in r.sources) for r in RULES) for f in SOURCES}


def test_evidence_shows_citations_with_outlet_date_and_line(evidence_zh):
    rules = cells(table(evidence_zh, t("evidence.col.rule", "zh")))
    ref = RULES[0].sources[0].ref
    source = SOURCES[ref.split(":")[0]]
    assert f"{source.outlet}，{source.published.isoformat()}，第 {ref.split(':')[1]} 行 · `{ref}`" in rules


def test_parameter_search_narrows_the_table_and_keeps_the_match():
    at = run("evidence", "en")
    column = t("evidence.col.parameter", "en")
    total = len(table(at, column))
    at.text_input(key="ev_param_q").input("technical_service_fee").run()
    assert not at.exception
    rows = table(at, column)
    assert 0 < len(rows) < total
    assert "modules.shop.gmv_share.technical_service_fee" in cells(rows)
    at.text_input(key="ev_param_q").input("no such parameter xyz").run()
    assert not [tb for tb in at.table if column in tb.value.columns]
    assert at.info and at.info[0].value == t("evidence.no_match", "en")


def test_parameter_filters_by_file_and_reference_kind():
    at = run("evidence", "en")
    column = t("evidence.col.parameter", "en")
    at.multiselect(key="ev_param_group").select("objective").run()
    paths = [re.search(r"`([^`]+)`", row[column])[1] for row in table(at, column)]
    assert paths and all(p.startswith("objective.") for p in paths)
    at.multiselect(key="ev_param_group").unselect("objective")
    at.multiselect(key="ev_param_kind").select("url").run()
    expected = [path for path, p in assumptions().params() if any(r.kind == "url" for r in p.references)]
    assert len(table(at, column)) == len(expected)


def test_rule_search_and_module_filter():
    at = run("evidence", "en")
    column = t("evidence.col.rule", "en")
    at.text_input(key="ev_rule_q").input("people_not_fees").run()
    rows = table(at, column)
    assert 0 < len(rows) < len(RULES)
    assert "`people_not_fees`" in cells(rows)
    at.text_input(key="ev_rule_q").set_value("").run()
    at.multiselect(key="ev_rule_module").select("wecom").run()
    rows = table(at, column)
    expected = [r.id for r in RULES if any(e.module == "wecom" for e in r.effects)]
    assert len(rows) == len(expected) < len(RULES)
    wecom = t("module.wecom.name", "en")
    assert all(wecom in row[t("evidence.col.effects", "en")] for row in rows)


# --- method ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_method_shows_the_objective_weights_from_the_data(lang):
    at = run("method", lang)
    rows = table(at, t("method.col.parameter", lang))
    by_path = {row[t("method.col.path", lang)].strip("`"): row for row in rows}
    objective = read_yaml(ROOT / "assumptions" / "objective.yaml")
    for name, spec in objective["weights"].items():
        row = by_path[f"objective.weights.{name}"]
        assert row[t("method.col.value", lang)] == f"{spec['values'][-1]['value']:g}"
        assert row[t("method.col.parameter", lang)] == spec["label"][lang]
    assert (
        by_path["objective.min_fit"][t("method.col.value", lang)]
        == f"{objective['min_fit']['values'][-1]['value']:g}"
    )
    # the text around the table is the page's own Markdown, in the page's language
    body = "\n".join(md.value for md in at.markdown)
    assert "001_acabd65be3e14a85.txt:17" in body
    assert ("人手" in body) == (lang == "zh")


@pytest.mark.parametrize("lang", LANGS)
def test_method_describes_the_objective_in_money(lang):
    """How a plan is chosen: net over the horizon less the downside, budget-overrun and unfillable-work terms,
    fit multiplying GMV potential, operating levels and hires; none of the old objective's terms."""
    at = run("method", lang)
    body = "\n".join(md.value for md in at.markdown)
    for key in (
        "heading",
        "sizing",
        "term.net",
        "term.downside",
        "term.budget_overrun",
        "term.staff_shortfall",
        "weights",
        "probabilities",
    ):
        assert t(f"method.objective.{key}", lang) in body, key
    words = {
        "zh": ("净收益", "亏损权重", "超预算", "无人可做的工作", "匹配度放大销售潜力", "运营档位", "招聘"),
        "en": ("net over the horizon", "downside weight", "budget overrun", "unfillable work",
               "Fit multiplies GMV potential", "operating level", "hires"),
    }[lang]  # fmt: skip
    for word in words:
        assert word in body, word
    # the section is written once: the old Markdown of that section (value, cost and "too early") is gone
    assert body.count(t("method.objective.heading", lang)) == 1
    for gone in ("value_without_acquisition", "weights.value", "weights.cost", "weights.defer"):
        assert gone not in body
    old = {"zh": "开通过早", "en": "minus *too early*"}[lang]
    assert old not in body
    # the weights table lists exactly the objective's weights today
    rows = table(at, t("method.col.parameter", lang))
    weights = {
        row[t("method.col.path", lang)].strip("`")
        for row in rows
        if row[t("method.col.path", lang)].startswith("`objective.weights.")
    }
    assert weights == {f"objective.weights.{w}" for w in ("downside", "budget_overrun", "staff_shortfall")}
    # the sections after the table are still the page's own
    assert body.index(t("method.objective.probabilities", lang)) < body.index(
        {"zh": "### 有多大把握", "en": "### How sure"}[lang]
    )


def test_method_texts_have_the_same_structure():
    zh, en = ((CONTENT / f"method.{lang}.md").read_text(encoding="utf-8") for lang in LANGS)
    heading = re.compile(r"^#+ ", re.M)
    assert len(heading.findall(zh)) == len(heading.findall(en)) >= 10
    assert zh.count("<!-- objective-table -->") == en.count("<!-- objective-table -->") == 1
    cites = re.compile(r"\d{3}_[0-9a-f]{16}\.txt:\d+")
    assert sorted(cites.findall(zh)) == sorted(cites.findall(en))
    assert "$" not in zh + en  # Streamlit would read it as LaTeX
