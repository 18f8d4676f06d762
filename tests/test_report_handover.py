"""The Markdown and HTML reports as a handover (issue 10): the client's inputs, the consultant's notes, the link
that reopens the assessment, a file name with the client's name, and the cosmetic faults the issue lists (a
stray ": → " line, the alternatives column headed 推荐方案, "P10–P90：0–0 周", a raw <script> name in the
heading, "微信经营方案：—" for an unnamed merchant)."""

from __future__ import annotations

import re

import pytest

from engine import recommend
from engine.i18n import LANGS, t
from engine.profile import MerchantProfile
from engine.render.html import to_html
from engine.render.markdown import markdown_block, to_markdown
from engine.render.parts import report_filename, report_title, safe_link, start_text
from engine.result import Band, Counterfactual, Recommendation
from tests.conftest import AS_OF, make_profile
from tests.test_report_html import text_of, walk

DRAWS = 500
LINK = "http://127.0.0.1:8501/?lang=zh&name=%E6%9D%AD%E5%B7%9E&staff_fte=4"


@pytest.fixture(scope="module")
def recs() -> dict[str, Recommendation]:
    return {
        lang: recommend(make_profile(name="杭州好物"), as_of=AS_OF, draws=DRAWS, lang=lang) for lang in LANGS
    }


def _section(md: str, title: str) -> str:
    """The body of the Markdown section ``## title`` (up to the next ``##`` heading)."""
    start = md.index(f"\n## {title}\n")
    end = md.find("\n## ", start + 1)
    return md[start : end if end != -1 else len(md)]


# --- the title --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_an_unnamed_merchant_gets_a_title_that_says_what_the_business_is(lang):
    rec = recommend(make_profile(name="  "), as_of=AS_OF, draws=DRAWS, lang=lang)
    title = report_title(rec)
    assert "—" not in title and title.strip()
    assert t(f"enum.business_type.{rec.profile.business_type}", lang) in title
    assert t(f"enum.category.{rec.profile.category}", lang) in title
    assert to_markdown(rec).splitlines()[0] == f"# {title}"
    assert f"<h1>{title}</h1>" in to_html(rec) and f"<title>{title}</title>" in to_html(rec)


@pytest.mark.parametrize(
    "name", ["<script>alert(1)</script>", "[click](http://x.example) *bold* `code`", "# 标题 | 列 \\ 末"]
)
def test_a_hostile_name_is_literal_text_in_the_markdown_heading(name):
    rec = recommend(make_profile(name=name), as_of=AS_OF, draws=DRAWS, lang="zh")
    heading = to_markdown(rec).splitlines()[0]
    assert heading.startswith("# ") and heading.count("#") - heading.count("\\#") == 1
    body = heading[2:]
    for ch in "<>[]*`|":  # every markup character escaped
        assert not re.search(rf"(?<!\\){re.escape(ch)}", body), (ch, body)
    unescaped = re.sub(r"\\(.)", r"\1", body)
    assert unescaped == t("report.title", "zh", name=name)  # read back, it is the name as typed
    page = to_html(rec)
    assert "<script" not in page.lower() and name in text_of(page)


# --- the plan's start, what would change it, the alternatives -----------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_start_that_does_not_vary_is_one_week(lang):
    assert "0–0" not in start_text(Band(p10=0, p50=0, p90=0), lang)
    assert start_text(Band(p10=0, p50=0, p90=0), lang) == t("report.start_now", lang)
    fixed = start_text(Band(p10=6, p50=6, p90=6), lang)
    assert "6" in fixed and "P10" not in fixed
    varying = start_text(Band(p10=4, p50=6, p90=9), lang)
    assert "4" in varying and "9" in varying


def test_no_phase_line_says_p10_p90_0_0(recs):
    for rec in recs.values():
        assert rec.plan.phases and any(ph.start_week.p90 == 0 for ph in rec.plan.phases)  # the case itself
        for text in (to_markdown(rec), text_of(to_html(rec))):
            assert not re.search(r"P10–P90[:：] ?0–0", text)


@pytest.mark.parametrize("lang", LANGS)
def test_no_stray_arrow_when_no_change_moves_the_plan(recs, lang):
    none = Counterfactual(change=t("counterfactual.none", lang), field="", value="", plan="", effects=[])
    moved = Counterfactual(change="X", field="staff_fte", value=5, plan="P", effects=[])
    rec = recs[lang].model_copy(update={"counterfactuals": [none, moved]})
    section = _section(to_markdown(rec), t("report.counterfactuals", lang))
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert lines == [f"- {none.change}", "- X → P"]
    page = text_of(to_html(rec))
    assert f"{none.change} →" not in page and "X → P" in page and "P → P" not in page


@pytest.mark.parametrize("lang", LANGS)
def test_the_alternatives_column_is_headed_plan_not_recommended_plan(recs, lang):
    section = _section(to_markdown(recs[lang]), t("report.alternatives", lang))
    header = next(line for line in section.splitlines() if line.startswith("| "))
    first = header.split("|")[1].strip()
    assert first == t("html.plan_column", lang) and first != t("report.plan", lang)


# --- the handover: inputs, notes, link ------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_report_lists_every_input_of_the_client(lang):
    profile = make_profile(name="杭州好物", shelf_platforms=["taobao", "jd"], current_monthly_gmv_cny=300000)
    rec = recommend(profile, as_of=AS_OF, draws=DRAWS, lang=lang, overrides={"salary": 1.2})
    md = _section(to_markdown(rec), t("report.inputs", lang))
    page = to_html(rec)
    inputs = page[page.index('id="inputs"') :]
    for field in MerchantProfile.model_fields:
        label = t(f"field.{field}.label", lang)
        assert f"| {label} |" in md.replace("\\", ""), field
        assert label in inputs, field
    for expected in (
        t("enum.shelf_platforms.taobao", lang),
        t("enum.shelf_platforms.jd", lang),
        t(f"enum.category.{rec.profile.category}", lang),
        "300,000",  # the GMV given
        t(
            "report.inputs.estimated", lang, value=f"{rec.scale.reachable_customers:,.0f}"
        ),  # the one estimated
        AS_OF,
        f"{t('html.override.salary', lang)} ×1.2",
        t("html.assumptions.bundled", lang),  # in the language of the report, not "bundled + overrides (…)"
    ):
        assert expected in md and expected in inputs, expected
    assert "bundled +" not in md and "overrides (" not in md


@pytest.mark.parametrize("lang", LANGS)
def test_notes_and_link_go_into_both_reports(recs, lang):
    notes = "第一点\n第二点：预算\n\n另起一段"
    md = to_markdown(recs[lang], notes=notes, link=LINK)
    page = to_html(recs[lang], notes=notes, link=LINK)
    section = _section(md, t("report.notes", lang))
    assert "第一点  \n第二点：预算\n\n另起一段" in section  # its lines and paragraphs kept
    assert md.index(t("report.notes", lang)) < md.index(t("report.value", lang))
    assert f"<{LINK}>" in md
    walk(page)
    assert "<p>第一点<br>第二点：预算</p><p>另起一段</p>" in page
    assert f'<a class="url" href="{LINK.replace("&", "&amp;")}">' in page
    bare = to_markdown(recs[lang])
    assert t("report.notes", lang) not in bare and t("report.reopen", lang) not in bare


def test_hostile_notes_are_inert_text():
    notes = "# 标题\n- 列表\n1. 编号\n> 引用\n<script>alert(1)</script>\n[x](javascript:alert(1))\n| a | b |"
    lines = markdown_block(notes)
    assert lines[0] == "\\# 标题  "
    assert lines[1].startswith("\\- ") and lines[2].startswith("1\\. ") and lines[3].startswith("\\>")
    for line in lines:
        assert not re.match(r"\s*([#>*+-]|\d+[.)]|<|\|)", line), line
    rec = recommend(make_profile(), as_of=AS_OF, draws=DRAWS, lang="zh")
    page = to_html(rec, notes=notes)
    assert "<script" not in page.lower() and 'href="javascript' not in page
    assert "<script>alert(1)</script>" in text_of(page)


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", 'http://x/"><script>', "http://a b", "data:text/html,x", "", "/?lang=zh"]
)
def test_only_a_plain_http_link_is_printed(link):
    assert safe_link(link) is None
    rec = recommend(make_profile(), as_of=AS_OF, draws=DRAWS, lang="en")
    assert t("report.reopen", "en") not in to_markdown(rec, link=link)
    assert t("report.reopen", "en") not in to_html(rec, link=link)


def test_a_share_link_is_a_plain_http_link():
    from app.state import AppState, share_link

    profile = MerchantProfile.model_validate(make_profile(name='杭州 "好物" <店>'))
    link = share_link(AppState(profile=profile, lang="zh"), "http://127.0.0.1:8501")
    assert safe_link(link) == link


# --- the file name --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("杭州好物", f"wxplan-杭州好物-{AS_OF}-zh.pdf"),
        ("", f"wxplan-{AS_OF}-zh.pdf"),
        ("../../etc/passwd", f"wxplan-etc_passwd-{AS_OF}-zh.pdf"),
        ('a\\b:c*d?e"f<g>h|i', f"wxplan-a_b_c_d_e_f_g_h_i-{AS_OF}-zh.pdf"),
        ("  杭州  好物 小店 ", f"wxplan-杭州_好物_小店-{AS_OF}-zh.pdf"),
        ("...", f"wxplan-{AS_OF}-zh.pdf"),
    ],
)
def test_the_file_name_carries_the_clients_name_made_safe(name, expected):
    rec = recommend(make_profile(name=name), as_of=AS_OF, draws=DRAWS, lang="zh")
    assert report_filename(rec, "pdf") == expected


def test_a_long_name_is_clipped():
    rec = recommend(make_profile(name="好" * 120), as_of=AS_OF, draws=DRAWS, lang="en")
    assert report_filename(rec, "md") == f"wxplan-{'好' * 60}-{AS_OF}-en.md"
