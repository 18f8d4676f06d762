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
pages = [
    st.Page(
        "views/assess.py",
        title=t("ui.nav.assess", lang),
        icon=":material/explore:",
        url_path="home",  # served at "/" (the default page); /assess opens it too, see _to_assess
        default=True,
    ),
    st.Page(
        "views/scenarios.py",
        title=t("ui.nav.scenarios", lang),
        icon=":material/folder_open:",
        url_path="scenarios",
    ),
    st.Page(
        "views/compare.py",
        title=t("ui.nav.compare", lang),
        icon=":material/compare_arrows:",
        url_path="compare",
    ),
    st.Page(
        "views/batch.py",
        title=t("ui.nav.batch", lang),
        icon=":material/checklist:",
        url_path="batch",
    ),
    st.Page(
        "views/assumptions.py",
        title=t("packpage.title", lang),
        icon=":material/price_change:",
        url_path="pack",
    ),
    st.Page(
        "views/evidence.py",
        title=t("ui.nav.evidence", lang),
        icon=":material/menu_book:",
        url_path="evidence",
    ),
    st.Page(
        "views/method.py", title=t("ui.nav.method", lang), icon=":material/functions:", url_path="method"
    ),
]


def _to_assess() -> None:
    """/assess, the Assess page's own name: Streamlit serves the default page at / only and would show its
    English "Page not found" box; open the page instead (the URL's assessment is kept: sync() ran)."""
    st.switch_page(pages[0], query_params=st.query_params.to_dict())


pages.append(st.Page(_to_assess, title=t("ui.nav.assess", lang), url_path="assess", visibility="hidden"))
st.navigation(pages, position="top").run()
