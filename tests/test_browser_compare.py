"""Compare in a real browser (issue 10, "Misleading"): one-click variants from Assess open Compare beside the
current assessment; a variant changes a profile field; a forced plan is labelled forced; reload keeps the
variants (they live in the URL, v1…v5).

Playwright drives Debian Chromium against the running app (fixtures in conftest.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from app.i18n import t
from app.state import AppState, to_query
from engine.compare import describe, parse_variant
from engine.presets import preset
from tests.conftest import ARTIFACTS, AS_OF

pytestmark = pytest.mark.browser

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SELLER = "individual_seller"


def _idle(page) -> None:
    page.wait_for_timeout(150)  # a click's rerun may not have started yet
    page.wait_for_selector(IDLE, timeout=90_000)


def _link(app_url: str, path: str = "", lang: str = "zh", **extra: str) -> str:
    query = to_query(AppState(profile=preset(SELLER), lang=lang)) | {"as_of": AS_OF, "draws": "2000"} | extra
    return f"{app_url}/{path}?{urlencode(query)}"


def _open(page, url: str, width: int = 1280) -> None:
    page.set_default_timeout(90_000)
    page.set_viewport_size({"width": width, "height": 1600})
    page.goto(url)
    _idle(page)
    page.get_by_role("heading", level=1).first.wait_for()


def _query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}


def _table(page):
    table = page.locator('[data-testid="stTable"]').first
    table.wait_for()
    return table


def _headers(page) -> list[str]:
    return [h.strip() for h in _table(page).locator("thead th").all_inner_texts()][1:]


def _row(page, label: str) -> list[str]:
    row = _table(page).locator("tbody tr", has_text=label).first
    return [c.strip() for c in row.locator("td, th").all_inner_texts()][1:]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_one_click_variant_from_assess_opens_compare_side_by_side(page, app_url):
    _open(page, _link(app_url))
    page.get_by_text(t("assess.variants.title", "zh"), exact=True).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "assess-variants-zh-1280.png"))
    page.get_by_role("button", name=t("quick.staff_up", "zh")).click()
    page.get_by_role("heading", level=1, name=t("ui.nav.compare", "zh"), exact=True).wait_for()
    _idle(page)
    assert _headers(page) == [t("comparepage.current", "zh"), t("quick.staff_up", "zh")]
    staff = _row(page, t("report.available", "zh"))
    assert [float(v) for v in staff] == [preset(SELLER).staff_fte, preset(SELLER).staff_fte + 2]
    page.wait_for_function("() => new URLSearchParams(location.search).get('v1') === 'staff_fte+2'")
    assert _query(page)["name"] == preset(SELLER).name  # the assessment itself is still in the address
    _shot(page, "compare-one-click-zh-1280")


def test_a_profile_field_variant_built_in_the_editor(page, app_url):
    _open(page, _link(app_url, "compare", "en"))
    page.get_by_text(t("comparepage.mode.variants", "en"), exact=True).click()
    _idle(page)
    page.get_by_role("combobox", name=t("comparepage.new.field", "en")).first.click()
    page.get_by_role("option", name=t("field.douyin_presence.label", "en"), exact=True).click()
    _idle(page)
    page.get_by_role("button", name=t("comparepage.new.add", "en")).click()
    _idle(page)
    header = describe(parse_variant("douyin_presence+1"), "en")
    assert _headers(page) == [t("comparepage.current", "en"), header]
    page.wait_for_function("() => new URLSearchParams(location.search).get('v1') === 'douyin_presence+1'")
    _shot(page, "compare-editor-en-1280")


@pytest.mark.parametrize("lang, width", [("zh", 1280), ("en", 390)])
def test_a_forced_plan_is_labelled_forced(page, app_url, lang, width):
    _open(page, _link(app_url, "compare", lang, v1="plan=wecom", v2="staff_fte+2"), width)
    kinds = _row(page, t("compare.kind", lang))
    assert kinds == [
        t("compare.kind.recommended", lang),
        t("compare.kind.forced", lang),
        t("compare.kind.recommended", lang),
    ]
    recommended = _row(page, t("compare.recommended", lang))
    assert recommended[0] == t("compare.same_plan", lang) and recommended[1] != "—"
    assert t("report.plan", lang) not in _table(page).inner_text().split("\n")[0]
    page.get_by_text(
        t("compare.kind.forced", lang) + "：" if lang == "zh" else t("compare.kind.forced", lang) + ":"
    ).first.wait_for()
    _shot(page, f"compare-forced-{lang}-{width}")


def test_reload_and_back_keep_the_variants(page, app_url):
    _open(page, _link(app_url))
    page.get_by_role("button", name=t("quick.budget_up", "zh")).click()
    page.get_by_role("heading", level=1, name=t("ui.nav.compare", "zh"), exact=True).wait_for()
    _idle(page)
    page.get_by_role("button", name=t("quick.budget_down", "zh")).click()
    _idle(page)
    want = [t("comparepage.current", "zh"), t("quick.budget_up", "zh"), t("quick.budget_down", "zh")]
    assert _headers(page) == want
    page.reload()
    _idle(page)
    assert _headers(page) == want
    assert _query(page)["v2"] == "budget_setup_cny*0.5;budget_monthly_cny*0.5"
    page.go_back()  # before "budget halved" was added
    _idle(page)
    page.wait_for_function("() => !new URLSearchParams(location.search).has('v2')")
    _idle(page)
    assert _headers(page) == want[:2]


@pytest.mark.parametrize("lang, width", [("zh", 1280), ("en", 390)])
def test_assess_explains_a_close_call_and_offers_the_variants(page, app_url, lang, width):
    query = to_query(AppState(profile=preset("shelf_repeat"), lang=lang)) | {"as_of": AS_OF, "draws": "2000"}
    _open(page, f"{app_url}/?{urlencode(query)}", width)
    heading = page.get_by_text(t("assess.variants.close_call", lang), exact=True)
    heading.wait_for()  # the page may still be drawing below the headline: wait, then look
    heading.scroll_into_view_if_needed()
    for key in ("staff_up", "staff_down", "budget_up"):
        button = page.get_by_role("button", name=t(f"quick.{key}", lang))
        button.wait_for(state="visible")
        assert button.is_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"assess-variants-{lang}-{width}.png"))
