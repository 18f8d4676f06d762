"""Real-browser tests: Playwright drives Debian Chromium against the running Streamlit app."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=30_000)


def test_plain_page_renders_in_chinese_and_switches_to_english(page, app_url):
    _open(page, app_url)
    heading = page.get_by_role("heading", name="wxplan · 微信经营方案评估")
    heading.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "plain_page_zh.png"), full_page=True)
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="wxplan · WeChat commerce planner").wait_for(timeout=15_000)
    page.wait_for_selector(IDLE)
    assert "lang=en" in page.url
    page.screenshot(path=str(ARTIFACTS / "plain_page_en.png"), full_page=True)


def test_english_link_opens_in_english(page, app_url):
    _open(page, f"{app_url}/?lang=en")
    page.get_by_role("heading", name="wxplan · WeChat commerce planner").wait_for()
    assert page.get_by_text("wxplan recommend").count() >= 1
