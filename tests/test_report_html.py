"""The self-contained HTML report: well-formed, complete, in the report's language, safe with hostile text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from engine import recommend
from engine.i18n import LANGS, t
from engine.render.html import to_html
from engine.render.parts import cite_label
from engine.result import Recommendation
from tests.conftest import AS_OF, make_profile

DRAWS = 1000
VOID = {"meta", "br", "wbr", "img", "hr", "input", "link", "col", "area", "base", "source", "track", "embed"}
SVG_SELF_CLOSING = {"rect", "line", "path", "circle"}


class Walker(HTMLParser):
    """Walks the page: every tag, every attribute, the text, and whether the nesting balances."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID and tag not in SVG_SELF_CLOSING:
            self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def walk(page: str) -> Walker:
    w = Walker()
    w.feed(page)
    w.close()
    assert not w.problems, w.problems[:5]
    assert not w.stack, f"unclosed: {w.stack}"
    return w


def text_of(page: str) -> str:
    """The page's visible text (tags removed, entities decoded), whitespace collapsed."""
    return re.sub(r"\s+", " ", "".join(walk(page).text))


@pytest.fixture(scope="module")
def recs() -> dict[str, Recommendation]:
    profile = make_profile(douyin_presence="established", goal="acquisition", category="apparel")
    return {lang: recommend(profile, as_of=AS_OF, draws=DRAWS, lang=lang) for lang in LANGS}


@pytest.fixture(scope="module")
def pages(recs) -> dict[str, str]:
    return {lang: to_html(rec) for lang, rec in recs.items()}


# --- a well-formed, self-contained page ------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_page_parses_and_balances(pages, lang):
    w = walk(pages[lang])
    assert w.doctype.lower() == "doctype html"
    names = [tag for tag, _ in w.tags]
    assert names[:2] == ["html", "head"]
    assert names.count("body") == 1 and names.count("title") >= 1


@pytest.mark.parametrize("lang", LANGS)
def test_self_contained_without_scripts(pages, lang):
    page = pages[lang]
    w = walk(page)
    assert "<script" not in page.lower()
    for tag, attrs in w.tags:
        assert tag not in {"script", "link", "iframe", "object", "embed", "img"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"
            if name in {"src", "href", "srcset", "action", "poster", "xlink:href"}:
                assert not re.match(r"\s*(https?:)?//", value or ""), f"<{tag} {name}={value}>"
                assert (value or "").startswith("#"), f"<{tag} {name}={value}>: only in-page links"
    assert "@import" not in page and "url(" not in page  # no fonts or images pulled in by the CSS


@pytest.mark.parametrize("lang", LANGS)
def test_head_language_charset_and_fonts(pages, lang):
    page = pages[lang]
    assert page.startswith("<!DOCTYPE html>")
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
    assert '<meta charset="utf-8">' in page
    assert 'name="viewport"' in page
    for font in ('"Noto Sans CJK SC"', '"PingFang SC"', '"Microsoft YaHei"', "sans-serif"):
        assert font in page
    assert "@media print" in page and "size:A4" in page and "break-inside:avoid" in page
    assert "max-width:960px" in page and "overflow-x:auto" in page


CHARTS = ("fig-first-year", "fig-ramp", "fig-monthly", "fig-setup")  # in the page's order


def svgs_of(page: str) -> dict[str, str]:
    """Every inline SVG of the page by its id."""
    return {m.group(1): m.group(0) for m in re.finditer(r'<svg id="([^"]+)".*?</svg>', page, re.S)}


def drawn_text(svg: str) -> str:
    """The text an SVG draws (not its <title>), whitespace removed: a label wrapped onto lines reads as one."""
    return "".join(text_of(re.sub(r"<title>.*?</title>", "", svg, flags=re.S)).split())


@pytest.mark.parametrize("lang", LANGS)
def test_charts_are_accessible_inline_svg(pages, lang):
    page = pages[lang]
    w = walk(page)
    svgs = [attrs for tag, attrs in w.tags if tag == "svg"]
    assert [a["id"] for a in svgs] == list(CHARTS)  # one SVG per chart
    for attrs in svgs:
        assert attrs.get("role") == "img"
        assert (attrs.get("aria-label") or "").strip()
        assert "viewbox" in attrs
    for opening in re.findall(r"<svg[^>]*>(?:<title>[^<]+</title>)?", page):
        assert opening.endswith("</title>"), f"no <title> first in {opening}"


def test_the_charts_are_the_apps_charts_in_chinese(recs, pages):
    """The report draws the app's charts (engine/render/charts.py): their titles, axis titles and the
    module names of their legends and rows, in Chinese."""
    rec, svgs = recs["zh"], svgs_of(pages["zh"])
    titles = {
        "fig-first-year": ("chart.first_year.title", "chart.axis.first_year_cny", "chart.axis.draws"),
        "fig-ramp": ("chart.ramp.title", "chart.axis.weeks", "chart.ramp.to_operational", "chart.ramp.to_steady"),
        "fig-monthly": ("chart.cost_breakdown.monthly_title", "chart.axis.cny_month", "chart.axis.module"),
        "fig-setup": ("chart.cost_breakdown.setup_title", "chart.axis.cny", "chart.axis.module"),
    }  # fmt: skip
    for fig, keys in titles.items():
        text = drawn_text(svgs[fig])
        assert re.search(r"[\u4e00-\u9fff]", text), fig
        for key in keys:
            assert "".join(t(key, "zh").split()) in text, (fig, key)
    for fig in ("fig-monthly", "fig-setup"):  # the legend names every module, in the app's colours
        for m in rec.modules.values():
            assert m.name in drawn_text(svgs[fig]), (fig, m.name)
        assert t("chart.shared", "zh") in drawn_text(svgs[fig])
        assert 'fill="#e4572e"' in svgs[fig]  # Channels' colour (engine.render.charts.PALETTE)
    for m in rec.modules.values():
        if m.operational_week is not None:
            assert f"{t('report.phase', 'zh', phase=m.phase)}·{m.name}".replace(" ", "") in drawn_text(
                svgs["fig-ramp"]
            )
    for item in rec.items:
        assert "".join(item.label.split()) in drawn_text(
            svgs["fig-setup" if item.kind == "setup" else "fig-monthly"]
        )
    for name in ("P10", "P50", "P90"):
        assert name in drawn_text(svgs["fig-first-year"])


# --- the content of the Markdown report, in the report's language -----------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_contains_plan_verdicts_reasons_and_citations(recs, pages, lang):
    rec, page = recs[lang], pages[lang]
    assert html.escape(rec.plan.label) in page
    assert html.escape(t("report.title", lang, name=rec.profile.name)) in page
    assert rec.as_of.isoformat() in page
    for ph in rec.plan.phases:
        assert html.escape(t("report.phase", lang, phase=ph.phase)) in page
    assert f"{rec.win_probability:.0%}" in page and html.escape(rec.win_probability_text) in page
    for m in rec.modules.values():
        assert html.escape(m.name) in page
        assert html.escape(t("verdict." + m.verdict, lang)) in page
        assert html.escape(m.decision) in page
        for reason in m.reasons:
            assert html.escape(reason.label) in page
            assert html.escape(reason.text) in page
            if reason.effect:
                assert html.escape(reason.effect) in page
            for cite in reason.sources:
                assert html.escape(cite_label(cite)) in page


@pytest.mark.parametrize("lang", LANGS)
def test_contains_costs_ramp_staffing_warnings_and_the_rest(recs, pages, lang):
    rec, page = recs[lang], pages[lang]
    text = text_of(page)
    assert f"{rec.cost_cny.first_year.p50:,.0f}" in text
    for band in (rec.cost_cny.setup, rec.cost_cny.monthly, rec.cost_cny.first_year, rec.break_even_gmv_cny):
        assert f"{band.p10:,.0f}–{band.p90:,.0f}" in text
    assert f"{rec.break_even_orders_per_month.p50:,.0f}" in text
    for key in ("report.cost", "report.setup", "report.monthly", "report.first_year", "report.break_even",
                "report.ramp", "report.operational", "report.steady_state", "report.staffing",
                "report.required", "report.available", "report.shortfall", "report.modules",
                "report.items", "unit.CNY", "unit.CNY/month"):  # fmt: skip
        assert t(key, lang) in text, key
    assert f"{rec.ramp_weeks.operational.p50:,.1f}" in text
    assert f"{rec.staffing.shortfall_fte:.1f}" in text
    assert rec.warnings
    for w in rec.warnings:
        assert html.escape(w.text) in page
        for cite in w.sources:
            assert html.escape(cite_label(cite)) in page
    assert rec.counterfactuals
    for c in rec.counterfactuals:
        assert html.escape(c.change) in page
    assert t("report.alternatives", lang) in text
    for a in rec.alternatives:
        assert html.escape(a.plan.label) in page
    for item in rec.items:
        assert html.escape(item.label) in page
        assert f"{item.p90:,.0f}" in text
    assert t("report.method", lang, draws=rec.draws, seed=rec.seed) in text
    assert t("html.assumptions", lang) in text and t("html.assumptions.bundled", lang) in text
    assert t("html.overrides.none", lang) in text


def test_each_language_uses_its_own_catalog(pages):
    zh, en = text_of(pages["zh"]), text_of(pages["en"])
    assert t("report.plan", "zh") == "推荐方案" and t("report.plan", "en") == "Recommended plan"
    assert "推荐方案" in zh and "Recommended plan" not in zh
    assert "Recommended plan" in en and "推荐方案" not in en
    for key in ("report.cost", "chart.first_year.title", "chart.axis.weeks", "report.counterfactuals"):
        assert t(key, "zh") in zh and t(key, "en") not in zh, key
        assert t(key, "en") in en and t(key, "zh") not in en, key
    assert "第一年成本（元）" in zh and "First-year cost (CNY)" in en  # chart axis titles


def test_sections_follow_the_markdown_order(pages):
    text = text_of(pages["en"])
    order = ["report.plan", "report.cost", "report.ramp", "report.staffing", "report.warnings",
             "report.modules", "report.counterfactuals", "report.alternatives", "report.items", "report.method"]  # fmt: skip
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", pages["en"])
    positions = [headings.index(html.escape(t(k, "en"))) for k in order[:-1]]
    assert positions == sorted(positions)
    assert text.rindex(t("report.method", "en", draws=DRAWS, seed=0)) > text.rindex(t("report.items", "en"))


def test_overrides_and_assumptions_are_shown():
    rec = recommend(make_profile(), as_of=AS_OF, draws=DRAWS, lang="en", overrides={"salary": 1.2})
    text = text_of(to_html(rec))
    assert f"{t('html.override.salary', 'en')} ×1.2" in text
    assert t("html.overrides.none", "en") not in text


# --- safety, determinism, edge cases ---------------------------------------------------------


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_hostile_merchant_name_is_text(name):
    rec = recommend(make_profile(name=name), as_of=AS_OF, draws=DRAWS, lang="zh")
    page = to_html(rec)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    w = walk(page)
    assert all(tag != "img" for tag, _ in w.tags)
    assert all(not a.startswith("on") for _, attrs in w.tags for a in attrs)
    assert html.escape(name) in page
    assert name in text_of(page)  # shown to the reader exactly as typed


def test_deterministic(recs):
    assert to_html(recs["zh"]) == to_html(recs["zh"])
    again = recommend(
        make_profile(douyin_presence="established", goal="acquisition", category="apparel"),
        as_of=AS_OF,
        draws=DRAWS,
        lang="zh",
    )
    assert to_html(again) == to_html(recs["zh"])


@pytest.mark.parametrize("lang", LANGS)
def test_nothing_new_to_adopt(lang):
    everything = ["channels", "shop", "miniprogram", "wecom"]
    rec = recommend(make_profile(existing_modules=everything), as_of=AS_OF, draws=DRAWS, lang=lang)
    assert not rec.plan.phases and max(rec.first_year_histogram.counts) == DRAWS  # degenerate histogram
    page = to_html(rec)
    text = text_of(page)
    assert html.escape(rec.plan.label) in page
    assert t("verdict.keep", lang) in text
    assert t("html.ramp.none", lang) in text
    assert t("html.first_year.degenerate", lang, value="0", unit=t("unit.CNY", lang)) in text
    assert 'id="fig-ramp"' not in page
    for w in rec.warnings:
        assert html.escape(w.text) in page


@pytest.mark.parametrize("lang", LANGS)
def test_forced_plan_with_staff_shortfall_draws_a_ramp_row_per_module(lang):
    rec = recommend(
        make_profile(staff_fte=1, budget_monthly_cny=0),
        as_of=AS_OF,
        draws=DRAWS,
        lang=lang,
        plan="channels,shop>wecom",
    )
    assert rec.forced_plan and rec.staffing.shortfall_fte > 0
    page = to_html(rec)
    text = text_of(page)
    assert t("warning.forced_plan", lang) in text
    assert f"{rec.staffing.shortfall_fte:.1f}" in text
    ramp = svgs_of(page)["fig-ramp"]
    adopted = [m for m in rec.modules.values() if m.operational_week is not None]
    assert {m.module for m in adopted} == {"channels", "shop", "wecom"}
    for m in adopted:  # a row per module, its label as the app draws it ("Phase 2 · WeCom (企业微信)")
        row = f"{t('report.phase', lang, phase=m.phase)} · {m.name}"
        assert "".join(row.split()) in drawn_text(ramp)
    bars = re.search(r'<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', ramp, re.S)
    assert bars and bars.group(1).count("<path") == 2 * len(adopted)  # to operational, then to steady state
    for key in ("chart.ramp.to_operational", "chart.ramp.to_steady"):
        assert "".join(t(key, lang).split()) in drawn_text(ramp)


def test_svg_text_is_escaped():
    rec = recommend(make_profile(name="A&B <shop>"), as_of=AS_OF, draws=DRAWS, lang="en")
    page = to_html(rec)
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        walk(svg)  # well-formed on its own
        assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", svg)
    assert "A&amp;B &lt;shop&gt;" in page
