"""The report as PDF: the HTML report (:mod:`engine.render.html`) laid out on A4 by WeasyPrint.

Why WeasyPrint: it is a Python package (``pip install`` brings it with the rest of wxplan) that draws HTML and
inline SVG through Pango, which Debian ships (``libpango-1.0-0``, ``libpangoft2-1.0-0``; the Makefile's
``pdf-deps`` installs them for ``make run`` and ``make test``), and it embeds the subset of each font a
document uses, so the Chinese of a report travels with the file. A headless browser would print the same
HTML, but Chromium is installed only for the browser tests: someone running the app need not have it.

The page is the HTML report's own print stylesheet (``@media print``: A4, cards that may break across
pages, rows and charts that do not). Chinese needs a CJK font on the machine (Debian ``fonts-noto-cjk``):
without one the text would print as empty boxes, so :func:`problem` says so rather than making such a file.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

from engine.errors import Message, PdfUnavailable, msg
from engine.result import Recommendation

CJK_FAMILY = "Noto Sans CJK SC"  # the first CJK family of the report's stylesheet that Debian ships


@cache
def _cjk_font_present() -> bool:
    """Whether fontconfig knows a Noto Sans CJK font (``fc-list`` comes with fontconfig, which Pango needs)."""
    if shutil.which("fc-list") is None:
        return False
    try:
        out = subprocess.run(
            ["fc-list", f":family={CJK_FAMILY}", "family"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.strip())


@cache
def problem() -> Message | None:
    """Why no PDF can be made here (the layout library or the Chinese font is missing), or None."""
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi: OSError when the library is missing)
    except (ImportError, OSError):
        return msg("pdf.unavailable", reason=msg("pdf.no_library"))
    if not _cjk_font_present():
        return msg("pdf.unavailable", reason=msg("pdf.no_cjk_font"))
    return None


def to_pdf(rec: Recommendation, *, notes: str = "", link: str = "") -> bytes:
    """The report as PDF (the same content as :func:`engine.render.html.to_html`, with the same ``notes`` and
    ``link``); raises :class:`PdfUnavailable`."""
    from engine.render.html import to_html

    return html_to_pdf(to_html(rec, notes=notes, link=link))


def html_to_pdf(html: str) -> bytes:
    """Lay out a self-contained HTML page (no external resources) as PDF; raises :class:`PdfUnavailable`."""
    reason = problem()
    if reason is not None:
        raise PdfUnavailable(reason)
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # The report refers to nothing outside itself; a fetcher that allows no protocol keeps it that way
    # (no file of the server's, no address on its network).
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
