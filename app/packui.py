"""The assumption pack in use, shown on every page that computes (no computation: engine/packs.py decides
what changed and what rests on estimates; app/cache.py loads the sets)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from app import cache, state
from app.i18n import t
from engine.assumptions import AssumptionSet, Param
from engine.i18n import Lang
from engine.packs import changed, is_estimate

PAGE = "views/assumptions.py"  # the pack's own page (registered in app/streamlit_app.py)


def central(param: Param, as_of: date) -> str:
    """The central value of a parameter on a date, as people read it."""
    value = param.mode_at(as_of)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def changed_items(aset: AssumptionSet, base: AssumptionSet) -> list[tuple[str, Param, Param | None]]:
    """(path, the pack's parameter, the bundled one) for every item the pack changes."""
    return [(path, aset.param_map[path], base.param_map.get(path)) for path in changed(aset, base)]


def missing_warning(lang: Lang) -> None:
    """Say so when a link named a pack this app does not hold (its result runs on the bundled set)."""
    digest = state.missing_pack()
    if digest:
        st.warning(
            t("packpage.missing", lang, digest=state.safe_text(digest, 40)), icon=":material/link_off:"
        )


def indicator(lang: Lang) -> None:
    """One caption: the set in use, the items the provider changed, how many items rest on estimates."""
    missing_warning(lang)
    pack = state.active_pack()
    aset, base = cache.active_assumptions(), cache.assumptions()
    params = aset.params()
    estimates = sum(is_estimate(p) for _, p in params)
    page = t("packpage.title", lang)
    if pack is None:
        st.caption(t("packpage.indicator_bundled", lang, estimates=estimates, total=len(params), page=page))
        return
    items = changed_items(aset, base)
    st.caption(
        t(
            "packpage.indicator",
            lang,
            name=state.safe_text(pack.name, 80),
            digest=pack.digest[:8],
            changed=len(items),
            estimates=estimates,
            total=len(params),
            page=page,
        )
    )
    if items:
        today = state.active().options.as_of or date.today()
        shown = [
            f"{param.label.zh if lang == 'zh' else param.label.en} {central(param, today)}"
            + (f" {t('packpage.estimate_flag', lang)}" if is_estimate(param) else "")
            for _, param, _ in items[:8]
        ]
        more = f" … (+{len(items) - 8})" if len(items) > 8 else ""
        st.caption(t("packpage.changed_list", lang, items=state.safe_text("; ".join(shown), 600) + more))
