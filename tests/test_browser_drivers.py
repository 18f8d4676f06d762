"""Real browser: "what drives the answer" and "what would change this" speak the user's language, the tornado
says where its lines sit, the timeline has its own drivers chart, and the Sobol bars carry their brackets."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app.i18n import t
from tests.conftest import ARTIFACTS, AS_OF

pytestmark = pytest.mark.browser

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stVegaLiteChart"]'
ROOT = Path(__file__).resolve().parents[1]
PROFILE = json.loads((ROOT / "examples" / "douyin_native_brand.json").read_text(encoding="utf-8"))


def _query(lang: str) -> str:
    q = {"lang": lang, "as_of": AS_OF, "draws": 2000}
    q.update({k: ",".join(v) if isinstance(v, list) else v for k, v in PROFILE.items()})
    return urlencode(q)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_drivers_and_changes_read_as_the_user_says_them(page, app_url, lang, width):
    page.set_viewport_size({"width": width, "height": 1800})
    page.goto(f"{app_url}/?{_query(lang)}")
    page.wait_for_selector(IDLE, timeout=120_000)
    page.get_by_role("heading", level=1).first.wait_for()
    # what would change this: the changes in plain words, never an internal factor
    block = page.get_by_role("heading", name=t("ui.counterfactuals", lang)).first
    block.wait_for(timeout=60_000)
    assert "÷" not in page.inner_text("body")
    page.get_by_text(t("drivers.title", lang), exact=True).click()
    page.get_by_role("button", name=t("drivers.run", lang)).click()
    page.get_by_text(t("drivers.flips", lang), exact=True).wait_for(timeout=180_000)
    page.wait_for_selector(IDLE, timeout=180_000)
    page.locator(CHART).nth(10).wait_for(timeout=60_000)
    assert page.locator(CHART).count() == 11  # seven on the result, four driver charts
    body = page.inner_text("body")
    assert t("drivers.tornado.caption", lang) in body
    assert "÷" not in body and "weight." not in body
    # the flips table lists every lever, the budget in yuan
    table = page.locator('[data-testid="stTable"]').last.inner_text()
    assert "¥" in table and t("lever.staff_fte", lang) in table
    assert t("lever.budget_monthly_cny", lang) in table
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 7000})  # the app scrolls inside: show it all at once
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(1500)  # charts draw shortly after the script goes idle
    drivers = page.locator('[data-testid="stExpander"]').filter(has_text=t("drivers.run", lang)).last
    drivers.screenshot(path=str(ARTIFACTS / f"drivers_{lang}_{width}.png"))
    page.get_by_role("heading", name=t("ui.counterfactuals", lang)).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"assess_changes_{lang}_{width}.png"))
