"""The handover report in a real browser (issue 10, "For a consultant in front of a client"): the consultant's
notes survive a visit to another page and a language switch, and the PDF download is a PDF named after the
client that holds the Chinese report, its notes and the link that reopens the assessment.

Playwright drives Debian Chromium against the running app (fixtures in conftest.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from app.i18n import t
from app.state import AppState, to_query
from engine.presets import preset
from tests.conftest import ARTIFACTS
from tests.test_browser_state import _idle, _nav, _open

pytestmark = pytest.mark.browser

CLIENT = "杭州/好物:小店"  # path characters in a client's name: the file name drops them, keeps the Chinese
NOTES = "下周一前确认预算。\n先开视频号，三个月后再看企业微信。"


def _url(app_url: str, lang: str) -> str:
    profile = preset("individual_seller").model_copy(update={"name": CLIENT})
    return f"{app_url}/?{urlencode(to_query(AppState(profile=profile, lang=lang)))}"


def _type_notes(page, lang: str, text: str) -> None:
    box = page.get_by_label(t("ui.notes", lang), exact=True)
    box.fill(text)
    box.press("Tab")  # a text area hands its value to the app when it loses focus
    _idle(page)


def _notes(page, lang: str) -> str:
    return page.get_by_label(t("ui.notes", lang), exact=True).input_value()


def _pdf_text(path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def test_notes_survive_another_page_and_a_language_switch(page, app_url):
    _open(page, _url(app_url, "zh"))
    _type_notes(page, "zh", NOTES)
    _nav(page, t("ui.nav.method", "zh"), "zh")
    _nav(page, t("ui.nav.assess", "zh"), "zh")
    assert _notes(page, "zh") == NOTES
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name=t("app.title", "en")).wait_for()
    _idle(page)
    assert _notes(page, "en") == NOTES


@pytest.mark.parametrize("width", [1280, 390])
def test_pdf_download_is_the_clients_chinese_report(page, app_url, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 1600})
    _open(page, _url(app_url, "zh"))
    _type_notes(page, "zh", NOTES)
    button = page.get_by_role("button", name=t("ui.download.pdf", "zh"))
    button.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"handover_zh_{width}.png"))
    with page.expect_download(timeout=180_000) as info:  # laid out on click: seconds on a busy machine
        button.click()
    download = info.value
    name = download.suggested_filename
    assert name.endswith("-zh.pdf") and "杭州" in name and "好物" in name and "小店" in name
    assert "/" not in name and ":" not in name
    path = tmp_path / "report.pdf"
    download.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"
    text = "\n".join(_pdf_text(path))
    flat = "".join(text.split())  # the layout breaks lines where it likes
    assert t("report.plan", "zh") in flat and t("report.inputs", "zh") in flat
    assert "".join(CLIENT.split()) in flat  # the name as typed, in the report
    assert "下周一前确认预算。" in flat and "三个月后再看企业微信" in flat  # the notes
    assert f"{app_url}/?".replace("http://", "") in flat  # the link that reopens the assessment
    if width == 1280:
        import pypdfium2 as pdfium

        pdfium.PdfDocument(str(path))[0].render(scale=80 / 72).to_pil().save(
            ARTIFACTS / "handover_pdf_zh_p1.png"
        )


def test_pdf_download_in_english(page, app_url, tmp_path):
    _open(page, _url(app_url, "en"))
    _type_notes(page, "en", "Confirm the budget by Monday.")
    button = page.get_by_role("button", name=t("ui.download.pdf", "en"))
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 1600})
        _idle(page)
        button.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"handover_en_{width}.png"))
    with page.expect_download(timeout=180_000) as info:
        button.click()
    assert info.value.suggested_filename.endswith("-en.pdf")
    path = tmp_path / "report.pdf"
    info.value.save_as(path)
    flat = "".join("\n".join(_pdf_text(path)).split())
    assert "".join(t("report.inputs", "en").split()) in flat and "".join(CLIENT.split()) in flat
    assert "ConfirmthebudgetbyMonday." in flat
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    for i in (0, len(doc) - 1):
        doc[i].render(scale=80 / 72).to_pil().save(ARTIFACTS / f"handover_pdf_en_p{i + 1}.png")
