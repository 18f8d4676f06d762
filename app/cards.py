"""The module cards' order and the evidence behind a reason, one click away (Assess and Evidence pages).

A citation ``FILE:LINE`` opens to the article's title, outlet and date, a link to find the article, and —
where the article files are at hand (``WXPLAN_SEEDS_DIR``, see :func:`engine.sources.passage`) — the cited
paragraph itself. Without the files it says where the passage is. Rendering only: the text comes from the
source registry and the article files as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from app.i18n import catalog, t
from app.state import safe_text
from engine.i18n import Lang
from engine.result import ModuleResult
from engine.sources import Source, parse_cite, passage

# Cards read in this order: what to do now (or keep doing), then later, then what not to do.
VERDICT_RANK = {"keep": 0, "adopt_now": 0, "adopt_later": 1, "not_recommended": 2}
VERDICT_COLOUR = {"keep": "blue", "adopt_now": "green", "adopt_later": "orange", "not_recommended": "gray"}


def card_order(modules: Iterable[ModuleResult]) -> list[ModuleResult]:
    """Modules by verdict (keep and adopt now first, then adopt later, then not recommended), then phase;
    the engine's order otherwise (a stable sort)."""
    return sorted(modules, key=lambda m: (VERDICT_RANK[m.verdict], m.phase or 0))


def published_text(source: Source, lang: Lang) -> str:
    """The article's date, with the note when the article gives no exact day."""
    published = source.published.isoformat()
    if source.published_note:
        key = f"source.note.{source.file}"
        note = t(key, lang) if key in catalog(lang) else source.published_note
        published = f"{published} ({note})"
    return published


def short_cite(ref: str, lang: Lang) -> str:
    """A citation's button label: outlet, date and line."""
    source, line = parse_cite(ref)
    return t("ui.cite", lang, outlet=source.outlet, date=source.published.isoformat(), line=line)


def show_evidence(ref: str, lang: Lang) -> None:
    """Everything about one citation, in the current container: article, where to find it, the passage."""
    source, line = parse_cite(ref)
    st.markdown(f"**{safe_text(source.title, 120)}**")
    st.caption(t("evidence.passage.meta", lang, outlet=source.outlet, date=published_text(source, lang)))
    found = passage(ref)
    if found is not None:
        st.markdown("> " + safe_text(found.text, len(found.text)))
        st.caption(t("evidence.passage.where", lang, line=line, ref=ref))
    else:
        st.info(
            t("evidence.passage.missing", lang, line=line, ref=ref, title=source.title),
            icon=":material/description:",
        )
    key = "evidence.passage.open" if source.url else "evidence.passage.search"
    st.link_button(t(key, lang), source.link, icon=":material/open_in_new:")


def citation_popovers(refs: Iterable[str], lang: Lang) -> None:
    """One small button per citation, side by side (wrapping); each opens the article and the passage."""
    with st.container(horizontal=True, gap="small"):
        for ref in refs:
            with st.popover(short_cite(ref, lang), icon=":material/format_quote:"):
                show_evidence(ref, lang)
