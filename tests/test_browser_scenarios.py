"""Real browser: save assessments on the 方案库 Scenarios page, compare them on the 对比 Compare page, open one
into Assess; screenshots of both pages in zh and en at desktop and phone width."""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from app.i18n import t
from tests.conftest import ARTIFACTS
from tests.conftest import idle as _idle
from tests.conftest import open_app as _open

pytestmark = pytest.mark.browser

CHART = '[data-testid="stVegaLiteChart"]'
SECOND = {"lang": "zh", "staff_fte": "2", "goal": "repeat", "category": "beauty", "draws": "500"}


def _nav(page, title: str) -> None:
    page.locator('[data-testid="stMain"], header').get_by_role("link", name=title).first.click()
    page.get_by_role("heading", level=1, name=title).wait_for(timeout=30_000)
    _idle(page)


def _save(page, name: str) -> None:
    page.get_by_role("textbox", name=t("scenarios.name", "zh"), exact=True).fill(name)
    page.get_by_role("button", name=t("scenarios.save.button", "zh"), exact=True).click()
    page.get_by_text(t("scenarios.saved", "zh", name=name)).wait_for(timeout=30_000)
    _idle(page)
    page.get_by_role("heading", name=name, exact=True).wait_for()


def _no_horizontal_scroll(page) -> None:
    fits = """() => [document.documentElement, document.querySelector('[data-testid="stMain"]')]
                     .every(e => e.scrollWidth <= window.innerWidth)"""
    # Charts re-lay themselves out a moment after the window narrows; if they never fit, the assertion
    # below reports the widths.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(fits, timeout=5_000)
    widths = page.evaluate(
        """() => [document.documentElement.scrollWidth,
                  document.querySelector('[data-testid="stMain"]').scrollWidth, window.innerWidth]"""
    )
    assert widths[0] <= widths[2] and widths[1] <= widths[2], widths


def _shot(page, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(500)  # charts draw (and re-layout) shortly after the script goes idle
    if width < 500:
        _no_horizontal_scroll(page)
    # The app scrolls inside its main block: make the window as tall as the content to capture it all.
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(900, height + 40), 8000)})
    page.wait_for_timeout(200)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_save_list_compare_and_open(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 1000})
    # The current assessment (here the default one, as a fresh session has it) saved from the Scenarios page.
    _open(page, f"{app_url}/scenarios?lang=zh&draws=500")
    _save(page, "浏览器方案一")
    # A second one: an assessment given by a link, saved the same way.
    _open(page, f"{app_url}/scenarios?{urlencode(SECOND)}")
    _save(page, "浏览器方案二")
    assert page.locator('[data-testid="stException"]').count() == 0
    _shot(page, "scenarios_zh", 1280)
    _shot(page, "scenarios_zh_phone", 390)
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", level=1, name=t("ui.nav.scenarios", "en")).wait_for(timeout=30_000)
    _idle(page)
    _shot(page, "scenarios_en", 1280)

    # Compare the two.
    page.get_by_text("中文", exact=True).click()
    page.get_by_role("heading", level=1, name=t("ui.nav.scenarios", "zh")).wait_for(timeout=30_000)
    _idle(page)
    _nav(page, t("ui.nav.compare", "zh"))
    for name in ("浏览器方案一", "浏览器方案二"):
        page.get_by_role("combobox", name=t("comparepage.pick", "zh")).click()
        page.get_by_role("option", name=name, exact=True).click()
        _idle(page)
    page.keyboard.press("Escape")
    table = page.locator('[data-testid="stTable"]')
    table.wait_for(timeout=30_000)
    assert "◆" in table.inner_text() and "浏览器方案二" in table.inner_text()
    page.locator(CHART).nth(1).wait_for(timeout=30_000)
    assert page.locator(CHART).count() == 2
    _shot(page, "compare_zh", 1280)
    _shot(page, "compare_zh_phone", 390)
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", level=1, name=t("ui.nav.compare", "en")).wait_for(timeout=30_000)
    _idle(page)
    page.locator(CHART).nth(1).wait_for(timeout=30_000)
    assert t("comparepage.table", "en") in page.locator('[data-testid="stMain"]').inner_text()
    _shot(page, "compare_en", 1280)
    _shot(page, "compare_en_phone", 390)

    # Open the second into Assess: its values fill the form and the link.
    page.set_viewport_size({"width": 1280, "height": 1000})
    _nav(page, t("ui.nav.scenarios", "en"))
    card = page.locator(
        '[data-testid="stVerticalBlockBorderWrapper"], [data-testid="stVerticalBlock"]'
    ).filter(has=page.get_by_role("heading", name="浏览器方案二", exact=True))
    card.last.get_by_role("button", name=t("scenarios.open", "en")).click()
    page.get_by_role("heading", level=1, name=t("app.title", "en")).wait_for(timeout=30_000)
    _idle(page)
    assert "staff_fte=2" in page.url and "goal=repeat" in page.url and "draws=500" in page.url
    # The form is drawn a moment after the page switch: wait for its value rather than read it at once.
    expect(page.get_by_role("spinbutton", name=t("field.staff_fte.label", "en"))).to_have_value(
        "2", timeout=15_000
    )
