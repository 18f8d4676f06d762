"""wxplan Streamlit entry: page config, the session and URL kept in step (app/state.sync), navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.i18n import t
from app.state import current_lang, sync

# The tab icon is a file served by the app itself: a Material icon name would be fetched from a font CDN
# that browsers in mainland China often cannot reach.
ICON = Path(__file__).with_name("content") / "favicon.png"
st.set_page_config(page_title="wxplan", page_icon=str(ICON), layout="wide")
sync()  # every page: the URL holds the active assessment; Back/Forward bring back the one in the URL
lang = current_lang()
# The menu, in order: (script, title, icon, URL path). The first is the default page, served at "/"; /assess
# opens it too, see _to_assess.
MENU = [
    ("views/assess.py", "ui.nav.assess", ":material/explore:", "home"),
    ("views/scenarios.py", "ui.nav.scenarios", ":material/folder_open:", "scenarios"),
    ("views/compare.py", "ui.nav.compare", ":material/compare_arrows:", "compare"),
    ("views/batch.py", "ui.nav.batch", ":material/checklist:", "batch"),
    ("views/assumptions.py", "packpage.title", ":material/price_change:", "pack"),
    ("views/evidence.py", "ui.nav.evidence", ":material/menu_book:", "evidence"),
    ("views/method.py", "ui.nav.method", ":material/functions:", "method"),
]
pages = [
    st.Page(script, title=t(title, lang), icon=icon, url_path=path, default=i == 0)
    for i, (script, title, icon, path) in enumerate(MENU)
]


def _to_assess() -> None:
    """/assess, the Assess page's own name: Streamlit serves the default page at / only and would show its
    English "Page not found" box; open the page instead (the URL's assessment is kept: sync() ran)."""
    st.switch_page(pages[0], query_params=st.query_params.to_dict())


pages.append(st.Page(_to_assess, title=t("ui.nav.assess", lang), url_path="assess", visibility="hidden"))
st.navigation(pages, position="top").run()
