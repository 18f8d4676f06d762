"""The PDF report (engine/render/pdf.py): the HTML report on A4, its Chinese drawn with an embedded CJK font.

The PDF is read back with pypdfium2: its text, the fonts of its text objects and a page as an image.
"""

from __future__ import annotations

import ctypes
import re

import pytest

from engine import recommend
from engine.errors import PdfUnavailable, msg
from engine.errors import text as message_text
from engine.i18n import t
from engine.render import pdf as report_pdf
from engine.render.parts import report_title
from engine.render.pdf import html_to_pdf, to_pdf
from tests.conftest import ARTIFACTS, AS_OF, make_profile

pdfium = pytest.importorskip("pypdfium2")
pdfium_c = pytest.importorskip("pypdfium2.raw")

CJK = re.compile(r"[\u4e00-\u9fff]")
NOTES = "下周一前确认预算。\n先开视频号。"
LINK = "http://localhost:8501/?lang=zh&name=%E6%9D%AD%E5%B7%9E"


@pytest.fixture(scope="module")
def zh_pdf() -> bytes:
    rec = recommend(make_profile(name="杭州好物"), as_of=AS_OF, draws=500, lang="zh")
    return to_pdf(rec, notes=NOTES, link=LINK)


def _text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    return "".join("".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc)))


def _fonts(data: bytes) -> list[tuple[str, bool, str]]:
    """(base font name, embedded?, text) for every text object of every page."""
    doc = pdfium.PdfDocument(data)
    out = []
    for i in range(len(doc)):
        page = doc[i]
        textpage = page.get_textpage()
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
            font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
            size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
            buf = ctypes.create_string_buffer(size)
            pdfium_c.FPDFFont_GetBaseFontName(font, buf, size)
            n = pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
            tbuf = ctypes.create_string_buffer(n)
            pdfium_c.FPDFTextObj_GetText(
                obj.raw, textpage.raw, ctypes.cast(tbuf, ctypes.POINTER(ctypes.c_ushort)), n
            )
            text = tbuf.raw.decode("utf-16-le", errors="replace").rstrip("\x00")
            out.append((buf.value.decode(), bool(pdfium_c.FPDFFont_GetIsEmbedded(font)), text))
    return out


def test_the_machine_can_make_pdfs():
    """make pdf-deps installs Pango and fonts-noto-cjk for the tests: here nothing is missing."""
    assert report_pdf.problem() is None


def test_a_pdf_of_a4_pages(zh_pdf):
    assert zh_pdf[:5] == b"%PDF-"
    doc = pdfium.PdfDocument(zh_pdf)
    assert len(doc) >= 3
    width, height = doc[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points, from the report's print stylesheet


def test_it_holds_the_report_notes_inputs_and_link(zh_pdf):
    text = _text(zh_pdf)
    for key in (
        "report.plan",
        "report.value",
        "report.modules",
        "report.notes",
        "report.inputs",
        "report.reopen",
    ):
        assert "".join(t(key, "zh").split()) in text, key
    assert "微信经营方案：杭州好物" in text
    assert "下周一前确认预算。" in text and "先开视频号。" in text
    assert LINK.replace("http://", "") in text


def test_chinese_is_drawn_with_an_embedded_cjk_font(zh_pdf):
    fonts = _fonts(zh_pdf)
    chinese = [(name, embedded) for name, embedded, text in fonts if CJK.search(text)]
    assert chinese, "no text object holds Chinese"
    assert all(embedded for _, embedded in chinese), "a font is not embedded"
    assert all("CJK" in name for name, _ in chinese), {name for name, _ in chinese}
    assert all(embedded for _, embedded, _ in fonts)  # Latin text too: the file needs no font of the reader's


def test_the_first_page_renders_with_ink(zh_pdf):
    """The page as an image (also kept for a person to look at): the title row is not blank."""
    image = pdfium.PdfDocument(zh_pdf)[0].render(scale=80 / 72).to_pil().convert("L")
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "report_pdf_zh_p1.png")
    title_row = image.crop((0, 30, image.width, 80))
    dark = sum(1 for v in title_row.get_flattened_data() if v < 128)
    assert dark > 500


def _near(pixel: tuple[int, int, int], colour: str, tolerance: int = 16) -> bool:
    return all(
        abs(a - int(colour[i : i + 2], 16)) <= tolerance for a, i in zip(pixel, (1, 3, 5), strict=True)
    )


def test_the_charts_are_drawn_with_their_chinese_text(zh_pdf):
    """The HTML report's charts (the app's, as SVG) on the page: their Chinese words are text in the PDF, and
    the page holding the ramp timeline, as an image (kept for a person to look at), shows its two coloured
    stages."""
    doc = pdfium.PdfDocument(zh_pdf)
    pages = ["".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc))]
    for key in ("chart.first_year.title", "chart.axis.first_year_cny", "chart.ramp.title", "chart.ramp.to_steady",
                "chart.cost_breakdown.monthly_title", "chart.cost_breakdown.setup_title", "chart.shared"):  # fmt: skip
        assert any("".join(t(key, "zh").split()) in text for text in pages), key
    ramp = next(i for i, text in enumerate(pages) if "".join(t("chart.ramp.title", "zh").split()) in text)
    image = doc[ramp].render(scale=100 / 72).to_pil().convert("RGB")
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "report_pdf_zh_ramp.png")
    pixels = image.get_flattened_data()
    for stage in ("#4c78a8", "#f58518"):  # Vega's first two colours: to operational, to steady state
        assert sum(1 for px in pixels if _near(px, stage)) > 300, stage


def test_english_report(zh_pdf):
    rec = recommend(make_profile(name=""), as_of=AS_OF, draws=500, lang="en")
    text = _text(to_pdf(rec))
    assert "".join(report_title(rec).split()) in text  # no name: the title says what the business is
    assert "".join(t("report.inputs", "en").split()) in text
    assert "".join(t("report.notes", "en").split()) not in text  # no notes, no notes section


def test_a_missing_library_or_font_is_said_in_both_languages(monkeypatch):
    report_pdf.problem.cache_clear()
    monkeypatch.setattr(report_pdf, "_cjk_font_present", lambda: False)
    try:
        reason = report_pdf.problem()
        assert reason is not None
        assert "fonts-noto-cjk" in message_text(reason, "zh") and CJK.search(message_text(reason, "zh"))
        assert "fonts-noto-cjk" in message_text(reason, "en") and not CJK.search(message_text(reason, "en"))
        with pytest.raises(PdfUnavailable) as err:
            html_to_pdf("<p>x</p>")
        assert err.value.message == reason
    finally:
        report_pdf.problem.cache_clear()
    assert msg("pdf.no_library").text("zh") != msg("pdf.no_library").text("en")


def test_nothing_outside_the_page_is_fetched(tmp_path):
    """The report is self-contained; a page that refers to a file anyway gets no image from it."""
    from PIL import Image

    picture = tmp_path / "local.png"
    Image.new("RGB", (40, 40), "red").save(picture)
    data = html_to_pdf(f'<p>甲</p><img src="{picture.as_uri()}" width="40" height="40">')
    page = pdfium.PdfDocument(data)[0]
    assert _text(data) == "甲"
    assert not list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))


# --- the Assess page without the means to make a PDF ----------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_assess_page_says_why_there_is_no_pdf(monkeypatch, lang):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    reason = msg("pdf.unavailable", reason=msg("pdf.no_library"))
    monkeypatch.setattr(report_pdf, "problem", lambda: reason)
    at = AppTest.from_file(str(ROOT / "app" / "views" / "assess.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert [b.key for b in at.get("download_button")] == ["dl_html", "dl_md", "dl_json"]
    assert reason.text(lang) in [c.value for c in at.caption]


def test_the_command_line_writes_the_pdf(wxplan_cmd, tmp_path):
    import subprocess

    from tests.conftest import ROOT

    out = tmp_path / "report.pdf"
    with out.open("wb") as f:
        subprocess.run(
            [*wxplan_cmd, "recommend", str(ROOT / "examples" / "douyin_native_brand.json"), "--as-of", AS_OF,
             "--draws", "500", "--format", "pdf"],
            stdout=f, check=True, cwd=tmp_path,
        )  # fmt: skip
    data = out.read_bytes()
    assert data[:5] == b"%PDF-" and "抖音服饰品牌" in _text(data)
