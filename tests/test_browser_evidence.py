"""Real browser (issue 10): a reason's citation opens to its article and the cited passage (Assess cards and
the Evidence page), a scored batch row opens in Assess with one click, module cards read in verdict order at
phone width, and the tab icon is served by the app. The article files are small fakes (never the real
articles), given to the session's server through WXPLAN_SEEDS_DIR (``app_url`` in conftest.py). Screenshots
in zh and en at 1280 and 390 px."""

from __future__ import annotations

import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest

from app.i18n import t
from engine.sources import SOURCES
from tests.conftest import ARTIFACTS, AS_OF, IDLE, ROOT
from tests.conftest import idle as _idle
from tests.conftest import open_app as _open

pytestmark = pytest.mark.browser

EXAMPLE = ROOT / "examples" / "leads.csv"
QUERY = f"as_of={AS_OF}&draws=1000"
VERDICTS = ("keep", "adopt_now", "adopt_later", "not_recommended")
RANK = {"keep": 0, "adopt_now": 0, "adopt_later": 1, "not_recommended": 2}


def _cards(page):
    return page.locator('[class*="st-key-card_"]')


def _shot_of(page, locator, name: str, width: int, margin: int = 60) -> None:
    """A screenshot of the page around ``locator``'s elements (their union, plus a margin): the window is
    made as tall as the page first, so that nothing scrolls and the boxes are page coordinates."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(600)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": int(min(max(900, height + 40), 12000))})
    page.wait_for_timeout(600)
    boxes = [b for b in (locator.nth(i).bounding_box() for i in range(locator.count())) if b]
    top = max(0, min(b["y"] for b in boxes) - margin)
    bottom = max(b["y"] + b["height"] for b in boxes) + margin
    page.screenshot(
        path=str(ARTIFACTS / f"{name}.png"),
        clip={"x": 0, "y": top, "width": width, "height": min(bottom - top, 6000)},
    )


def _verdict_of(card_text: str, lang: str) -> str:
    found = [v for v in VERDICTS if t(f"verdict.{v}", lang) in card_text]
    assert len(found) == 1, card_text[:200]
    return found[0]


def _reading_order(page) -> list[tuple[str, str]]:
    """(module, verdict) of the cards, top to bottom and left to right as laid out."""
    cards = _cards(page)
    placed = []
    for i in range(cards.count()):
        card = cards.nth(i)
        box = card.bounding_box()
        key = next(c for c in (card.get_attribute("class") or "").split() if c.startswith("st-key-card_"))
        placed.append((round(box["y"]), round(box["x"]), key.removeprefix("st-key-card_"), card.inner_text()))
    return [(module, text) for _, _, module, text in sorted(placed)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_module_cards_read_in_verdict_order_on_a_phone_and_a_desktop(page, app_url, lang):
    page.set_viewport_size({"width": 390, "height": 900})
    _open(page, f"{app_url}/?lang={lang}&{QUERY}")
    _cards(page).nth(3).wait_for(timeout=60_000)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)
        order = _reading_order(page)
        assert len(order) == 4
        ranks = [RANK[_verdict_of(text, lang)] for _, text in order]
        assert ranks == sorted(ranks), (width, [(m, _verdict_of(x, lang)) for m, x in order])
        if width == 390:  # one column: every card below the one before
            xs = {round(_cards(page).nth(i).bounding_box()["x"]) for i in range(4)}
            assert len(xs) == 1
    _shot_of(page, _cards(page), f"evidence_cards_{lang}", 1280)
    _shot_of(page, _cards(page), f"evidence_cards_{lang}_phone", 390)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_reason_opens_its_article_and_the_cited_passage(page, app_url, lang):
    page.set_viewport_size({"width": 1280, "height": 1000})
    _open(page, f"{app_url}/?lang={lang}&{QUERY}")
    first = _cards(page).first
    first.wait_for(timeout=60_000)
    first.locator('[data-testid="stExpander"] summary').click()
    button = first.locator('[data-testid="stPopover"] button').first
    button.wait_for()
    label = button.inner_text()
    button.click()
    body = page.locator('[data-testid="stPopoverBody"]').filter(has_text="FAKE")
    body.wait_for(timeout=30_000)
    text = body.inner_text()
    file = next(f for f in SOURCES if f"FAKE {f} paragraph" in text)
    source = SOURCES[file]
    line = int(text.split(f"FAKE {file} paragraph ")[1].split()[0])
    assert source.outlet in label and f"{line}" in label  # the button names outlet and line
    assert source.title in text and source.published.isoformat() in text
    assert f"{file}:{line}" in text
    link = body.locator("a").filter(has_text=t("evidence.passage.search", lang))
    href = link.get_attribute("href")
    assert (
        urlparse(href).netloc == "www.baidu.com" and source.title in parse_qs(urlparse(href).query)["wd"][0]
    )
    _shot_of(page, page.locator('[data-testid="stPopoverBody"]'), f"evidence_popover_{lang}", 1280, 200)
    assert page.locator('[data-testid="stException"]').count() == 0

    # The Evidence page: a rule's citation, chosen from the list, shows the same kind of card.
    _open(page, f"{app_url}/evidence?lang={lang}")
    page.get_by_role("tab", name=t("evidence.tab.rules", lang)).click()
    card = page.locator(".st-key-ev_passage_card")
    card.wait_for(timeout=30_000)
    assert "FAKE " in card.inner_text()
    card.locator("a").filter(has_text=t("evidence.passage.search", lang)).wait_for(timeout=30_000)
    for width in (1280, 390):
        _shot_of(page, card, f"evidence_page_{lang}" + ("_phone" if width < 500 else ""), width, 300)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_scored_batch_row_opens_in_assess_with_one_click(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 1000})
    _open(page, f"{app_url}/batch?lang=zh")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(EXAMPLE)
    page.locator('[data-testid="stFileUploader"]').get_by_text(EXAMPLE.name).wait_for(timeout=30_000)
    _idle(page)
    page.get_by_role("button", name=t("batchpage.run", "zh")).click()
    page.wait_for_timeout(300)
    _idle(page)
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.wait_for(timeout=60_000)
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    for lang in ("zh", "en"):
        if lang == "en":
            page.get_by_text("English", exact=True).click()
            page.get_by_role("heading", level=1, name=t("ui.nav.batch", "en")).wait_for(timeout=30_000)
            _idle(page)
            grid.wait_for(timeout=30_000)
        for width in (1280, 390):
            _shot_of(page, grid, f"evidence_batch_{lang}" + ("_phone" if width < 500 else ""), width, 120)
    page.set_viewport_size({"width": 1280, "height": 1000})
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)

    # The first lead's link: the grid is drawn on a canvas, so click along its first row until the link
    # cell (beside the lead's id and name) opens a tab.
    box = grid.bounding_box()
    row_y = box["y"] + 35 + 17
    opened = None
    for dx in range(120, 520, 12):
        before = len(page.context.pages)
        page.mouse.click(box["x"] + dx, row_y)
        page.wait_for_timeout(250)
        if len(page.context.pages) > before:
            opened = page.context.pages[-1]
            break
    assert opened is not None, "no link cell in the first row opened a tab"
    opened.wait_for_load_state()
    opened.wait_for_selector(IDLE, timeout=60_000)
    query = parse_qs(urlparse(opened.url).query)
    assert query["name"] == ["杭州织梦服饰"] and query["lang"] == ["en"]
    assert query["as_of"][0] and query["staff_fte"] == ["6"]
    form_name = opened.get_by_role("textbox", name=t("field.name.label", "en"), exact=True)
    form_name.wait_for(timeout=60_000)
    assert form_name.input_value() == "杭州织梦服饰"
    opened.get_by_role("heading", name=t("ui.headline.plan", "en")).first.wait_for(timeout=60_000)
    assert opened.locator('[data-testid="stException"]').count() == 0
    assert "0.0 is out of range" not in opened.locator('[data-testid="stMain"]').inner_text()
    opened.close()


def test_the_tab_icon_is_served_by_the_app(page, app_url):
    _open(page, f"{app_url}/?lang=zh&{QUERY}")
    page.wait_for_function(
        "() => [...document.querySelectorAll('link[rel~=\"icon\"]')].some(l => l.href.includes('/media/'))",
        timeout=30_000,
    )
    hrefs = page.evaluate("() => [...document.querySelectorAll('link[rel~=\"icon\"]')].map(l => l.href)")
    assert hrefs and all(urlparse(h).netloc == urlparse(app_url).netloc for h in hrefs), hrefs
    with urllib.request.urlopen(hrefs[-1], timeout=10) as resp:
        assert resp.status == 200 and resp.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plan_charts_label_what_they_show(page, app_url, lang):
    """Cost, ramp, staffing and alternatives charts: drawn, and shot at both widths to be looked at."""
    page.set_viewport_size({"width": 1280, "height": 1000})
    _open(page, f"{app_url}/?lang={lang}&{QUERY}")
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.nth(6).wait_for(timeout=60_000)
    assert charts.count() == 7
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(800)
        for i in (2, 3, 4, 5, 6):
            assert charts.nth(i).locator("canvas, svg").count() >= 1
        _shot_of(page, charts.locator("xpath=.").filter(has=page.locator("canvas, svg")),
                 f"evidence_charts_{lang}" + ("_phone" if width < 500 else ""), width)  # fmt: skip
    assert page.locator('[data-testid="stException"]').count() == 0
