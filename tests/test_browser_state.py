"""The current assessment in a real browser (issue 10, "Broken"): it survives page switches, Back/Forward,
reload and a language switch, and the address bar always holds it.

Playwright drives Debian Chromium against the running app (fixtures in conftest.py). Each test gets a
fresh browser context (pytest-playwright's ``page``), so sessions never leak from one test into the next.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from app.i18n import t
from app.state import AppState, to_query
from engine.presets import preset
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SELLER, VETERAN = "individual_seller", "private_domain_veteran"


def _idle(page) -> None:
    page.wait_for_timeout(150)  # a click's rerun may not have started yet
    page.wait_for_selector(IDLE, timeout=60_000)


def _open(page, url: str) -> None:
    page.set_default_timeout(60_000)
    if page.viewport_size["width"] != 390:
        page.set_viewport_size({"width": 1280, "height": 1600})
    page.goto(url)
    _idle(page)
    page.get_by_role("heading", level=1).first.wait_for()


def _query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def _expected(preset_id: str, lang: str) -> dict[str, str]:
    return to_query(AppState(profile=preset(preset_id), lang=lang))


def _pick_preset(page, preset_id: str, lang: str) -> None:
    page.get_by_role("combobox", name=t("ui.preset", lang)).click()
    page.get_by_role("option", name=re.compile("^" + re.escape(t(f"preset.{preset_id}.label", lang)))).click()
    name = _expected(preset_id, lang)["name"]
    page.wait_for_function("name => new URLSearchParams(location.search).get('name') === name", arg=name)
    _idle(page)


def _nav(page, title: str, lang: str) -> None:
    """Click a page in the top navigation (on a phone, in the side menu it collapses into); wait for it."""
    top = page.locator('[data-testid="stTopNavLink"]', has_text=title).first
    side = page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first
    if top.is_visible():
        top.click()
    else:
        expand = page.get_by_test_id("stExpandSidebarButton")
        if expand.is_visible():
            expand.click()
            page.wait_for_timeout(500)  # the side menu slides in
        side.click()
    heading = t("app.title", lang) if title == t("ui.nav.assess", lang) else title
    page.get_by_role("heading", level=1, name=heading, exact=True).wait_for()
    _idle(page)


def _headline(page, lang: str) -> str:
    return page.get_by_role("heading", name=re.compile(t("ui.headline.plan", lang))).first.inner_text()


def _form(page, lang: str) -> dict[str, str]:
    """What the form shows: the name, some numbers, and the label shown in some choice boxes."""
    shown = {
        "name": page.get_by_label(t("field.name.label", lang), exact=True).input_value(),
        "staff_fte": page.get_by_label(t("field.staff_fte.label", lang), exact=True).input_value(),
        "budget_monthly_cny": page.get_by_label(
            t("field.budget_monthly_cny.label", lang), exact=True
        ).input_value(),
    }
    for field in ("business_type", "category"):
        shown[field] = page.get_by_role("combobox", name=t(f"field.{field}.label", lang)).input_value()
    return shown


def _form_of(preset_id: str, lang: str) -> dict[str, str]:
    p = preset(preset_id)
    return {
        "name": p.name,
        "staff_fte": f"{p.staff_fte:g}",
        "budget_monthly_cny": f"{p.budget_monthly_cny:.0f}",
        "business_type": t(f"enum.business_type.{p.business_type}", lang),
        "category": t(f"enum.category.{p.category}", lang),
    }


def _assert_form(page, preset_id: str, lang: str) -> None:
    shown, want = _form(page, lang), _form_of(preset_id, lang)
    for key in ("name", "budget_monthly_cny"):
        assert shown[key] == want[key], (key, shown, want)
    assert float(shown["staff_fte"]) == float(want["staff_fte"]), shown
    for key in ("business_type", "category"):
        assert shown[key] == want[key], (key, shown, want)


def _assert_url(page, preset_id: str, lang: str) -> None:
    query = _query(page)
    for key, value in _expected(preset_id, lang).items():
        assert query.get(key) == value, (key, query)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(800)  # charts draw shortly after the script goes idle
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_leaving_assess_and_coming_back_keeps_the_form_the_result_and_the_url(page, app_url):
    _open(page, f"{app_url}/?lang=zh")
    _pick_preset(page, SELLER, "zh")
    headline = _headline(page, "zh")
    _assert_form(page, SELLER, "zh")
    _nav(page, t("ui.nav.method", "zh"), "zh")
    assert page.get_by_role("heading", level=1).first.inner_text() == t("ui.nav.method", "zh")
    _assert_url(page, SELLER, "zh")  # every page's address holds the assessment
    _nav(page, t("ui.nav.assess", "zh"), "zh")
    page.get_by_role("heading", name=re.compile(t("ui.headline.plan", "zh"))).first.wait_for()
    _assert_form(page, SELLER, "zh")
    _assert_url(page, SELLER, "zh")
    assert _headline(page, "zh") == headline
    assert t("ui.stale_result", "zh") not in page.content()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_round_trip_screenshots(page, app_url, lang):
    """Assess after a visit to Scenarios (on a phone through the side menu), at 390 and 1280 px."""
    page.set_viewport_size({"width": 390, "height": 2400})
    _open(page, f"{app_url}/?lang={lang}")
    _pick_preset(page, SELLER, lang)
    _nav(page, t("ui.nav.scenarios", lang), lang)
    _nav(page, t("ui.nav.assess", lang), lang)
    collapse = page.get_by_test_id("stSidebarCollapseButton").locator("button")
    if collapse.is_visible():
        collapse.click()
        page.wait_for_timeout(500)
    _assert_form(page, SELLER, lang)
    _assert_url(page, SELLER, lang)
    _shot(page, f"state_round_trip_{lang}_390")
    page.set_viewport_size({"width": 1280, "height": 2400})
    _assert_form(page, SELLER, lang)
    _shot(page, f"state_round_trip_{lang}_1280")


def test_back_and_forward_bring_the_form_and_result_of_that_address(page, app_url):
    _open(page, f"{app_url}/?lang=zh")
    _pick_preset(page, SELLER, "zh")
    seller = _headline(page, "zh")
    _pick_preset(page, VETERAN, "zh")
    _assert_form(page, VETERAN, "zh")
    veteran = _headline(page, "zh")
    page.go_back()
    page.wait_for_function("() => new URLSearchParams(location.search).get('staff_fte') === '1'")
    _idle(page)
    _assert_url(page, SELLER, "zh")
    _assert_form(page, SELLER, "zh")
    assert _headline(page, "zh") == seller
    page.go_forward()
    page.wait_for_function("() => new URLSearchParams(location.search).get('staff_fte') === '6'")
    _idle(page)
    _assert_url(page, VETERAN, "zh")
    _assert_form(page, VETERAN, "zh")
    assert _headline(page, "zh") == veteran


def test_reloading_scenarios_keeps_the_assessment_and_the_language(page, app_url):
    _open(page, f"{app_url}/?lang=en")
    _pick_preset(page, SELLER, "en")
    _nav(page, t("ui.nav.scenarios", "en"), "en")
    assert urlparse(page.url).path.endswith("/scenarios")
    _assert_url(page, SELLER, "en")
    for _ in range(2):  # a reload, then the same address in a new tab
        page.reload()
        _idle(page)
        page.get_by_role("heading", level=1, name=t("ui.nav.scenarios", "en")).wait_for()
        assert page.get_by_text(preset(SELLER).name).first.is_visible()  # "Current assessment: …"
        _assert_url(page, SELLER, "en")
        fresh = page.context.new_page()
        fresh.goto(page.url)
        _idle(fresh)
        fresh.get_by_role("heading", level=1, name=t("ui.nav.scenarios", "en")).wait_for()
        assert fresh.get_by_text(preset(SELLER).name).first.is_visible()
        fresh.close()


def test_a_language_switch_keeps_unsaved_choices_and_numbers_together(page, app_url):
    _open(page, f"{app_url}/?lang=zh")
    label = t("field.category.label", "zh")
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=t("enum.category.jewelry", "zh"), exact=True).click()
    _idle(page)
    staff = page.get_by_label(t("field.staff_fte.label", "zh"), exact=True)
    staff.fill("7")
    staff.press("Tab")
    _idle(page)
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name=t("app.title", "en")).wait_for()
    _idle(page)
    shown = _form(page, "en")
    assert shown["category"] == t("enum.category.jewelry", "en"), shown
    assert float(shown["staff_fte"]) == 7, shown
    # the result still belongs to the submitted inputs, and says so
    assert page.get_by_text(t("ui.stale_result", "en")).first.is_visible()
