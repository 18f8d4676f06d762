"""Real browser (issue 10, "the provider's own prices"): upload an assumption pack on 自有价格, see its price
change the result on 评估, save the scenario, reload, go back to the bundled set and reopen the scenario —
its pack comes back. A hostile upload is refused beside the uploader and what was typed stays. Screenshots of
the page in zh and en at desktop and phone width."""

from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import expect

from app.i18n import t
from engine.assumptions import DEFAULT_DIR
from tests.test_browser_scenarios import _idle, _nav, _open, _save, _shot

pytestmark = pytest.mark.browser

HOST = "low: 8000, mode: 12000, high: 22000"
PACK_NAME = "浏览器价目"
METRIC = '[data-testid="stMetricValue"]'


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _upload(page, name: str, data: bytes) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        files=[{"name": name, "mimeType": "application/zip", "buffer": data}]
    )
    page.get_by_text(name).first.wait_for(timeout=30_000)
    _idle(page)


def _metrics(page) -> list[str]:
    """The headline's six figures, once all are drawn (read earlier, a list can be cut short mid-render)."""
    _idle(page)
    page.locator(METRIC).nth(5).wait_for(timeout=30_000)
    return page.locator(METRIC).all_inner_texts()


def test_upload_a_pack_see_it_change_the_result_save_reload_and_reopen(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 1000})
    _open(page, f"{app_url}/?lang=zh&draws=500")
    bundled = _metrics(page)
    assert t("packpage.indicator_bundled", "zh", estimates="", total="", page="").split("（")[
        0
    ] in page.inner_text('[data-testid="stMain"]')

    _nav(page, t("packpage.title", "zh"))
    page.get_by_role("textbox", name=t("packpage.name", "zh")).fill(PACK_NAME)
    # The provider's pack: the live host's salary three times the bundled one.
    salaries = (DEFAULT_DIR / "salaries.yaml").read_text(encoding="utf-8")
    assert HOST in salaries
    good = _zip({"assumptions/salaries.yaml": salaries.replace(HOST, "low: 24000, mode: 36000, high: 66000")})
    _upload(page, "provider.zip", good)
    page.get_by_role("button", name=t("packpage.upload.button", "zh"), exact=True).click()
    page.get_by_text(t("packpage.upload.ok", "zh", name=PACK_NAME, changed=1)).wait_for(timeout=60_000)
    _idle(page)
    assert "salaries.tier1_monthly.host" in page.inner_text('[data-testid="stMain"]')
    assert "pack=" in page.url
    _shot(page, "pack_zh", 1280)
    _shot(page, "pack_zh_phone", 390)
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", level=1, name=t("packpage.title", "en")).wait_for(timeout=30_000)
    _idle(page)
    _shot(page, "pack_en", 1280)
    _shot(page, "pack_en_phone", 390)
    page.get_by_text("中文", exact=True).click()
    page.get_by_role("heading", level=1, name=t("packpage.title", "zh")).wait_for(timeout=30_000)
    _idle(page)
    page.set_viewport_size({"width": 1280, "height": 1000})

    # Assess runs on it: another result, the pack named with the item it changes.
    _nav(page, t("ui.nav.assess", "zh"))
    with_pack = _metrics(page)
    assert with_pack != bundled
    main = page.inner_text('[data-testid="stMain"]')
    assert PACK_NAME in main and "主播月薪" in main
    _shot(page, "pack_assess_zh", 1280)
    page.set_viewport_size({"width": 1280, "height": 1000})

    # Saved with the scenario; a reload keeps the pack (the address holds its digest).
    _nav(page, t("ui.nav.scenarios", "zh"))
    _save(page, "带假设包的方案")
    assert t("scenarios.pack", "zh", name=PACK_NAME, digest="").split("（")[0] in page.inner_text(
        '[data-testid="stMain"]'
    )
    page.reload()
    _idle(page)
    page.get_by_role("heading", name="带假设包的方案", exact=True).wait_for(timeout=30_000)
    assert PACK_NAME in page.inner_text('[data-testid="stMain"]')

    # Back to the bundled set, then reopen the scenario: its pack and its result come back.
    _nav(page, t("packpage.title", "zh"))
    page.get_by_role("button", name=t("packpage.reset", "zh")).click()
    page.get_by_text(t("packpage.in_use_bundled", "zh")).wait_for(timeout=30_000)
    _idle(page)
    assert "pack=" not in page.url
    _nav(page, t("ui.nav.assess", "zh"))
    assert _metrics(page) == bundled
    _nav(page, t("ui.nav.scenarios", "zh"))
    card = page.locator('[data-testid="stVerticalBlock"]').filter(
        has=page.get_by_role("heading", name="带假设包的方案", exact=True)
    )
    card.last.get_by_role("button", name=t("scenarios.open", "zh")).click()
    page.get_by_role("heading", level=1, name=t("app.title", "zh")).wait_for(timeout=30_000)
    _idle(page)
    assert "pack=" in page.url
    assert _metrics(page) == with_pack
    assert PACK_NAME in page.inner_text('[data-testid="stMain"]')


def test_a_link_to_a_pack_this_app_does_not_hold_says_so(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 1000})
    digest = "0123456789abcdef01234567"
    _open(page, f"{app_url}/?lang=en&draws=500&pack={digest}")
    page.get_by_text(t("packpage.missing", "en", digest=digest)[:60]).wait_for(timeout=30_000)
    assert "pack=" not in page.url


def test_a_hostile_upload_is_refused_beside_the_uploader_and_the_name_typed_stays(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 1000})
    _open(page, f"{app_url}/pack?lang=zh&draws=500")
    # A hostile zip first: refused beside the uploader, the pack name typed stays, nothing is used.
    name_box = page.get_by_role("textbox", name=t("packpage.name", "zh"))
    name_box.fill(PACK_NAME)
    _upload(page, "evil.zip", _zip({"../salaries.yaml": "a: 1", "notes.txt": "x"}))
    page.get_by_role("button", name=t("packpage.upload.button", "zh"), exact=True).click()
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="跳出包外")
    alert.wait_for(timeout=30_000)
    assert "evil.zip/notes.txt" in alert.inner_text()
    expect(name_box).to_have_value(PACK_NAME)
    assert t("packpage.in_use_bundled", "zh") in page.inner_text('[data-testid="stMain"]')
    _shot(page, "pack_error_zh", 1280)
    _shot(page, "pack_error_zh_phone", 390)
