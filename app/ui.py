"""Small rendering helpers shared by the pages (no computation)."""

from __future__ import annotations

import streamlit as st

from app.i18n import t
from app.state import current_lang, set_lang
from engine.i18n import LANGS, Lang
from engine.profile import MerchantProfile
from engine.sources import parse_cite
from engine.text import number

LANG_NAMES = {"zh": "中文", "en": "English"}


def language_switch() -> Lang:
    """The language switch shown at the top of every page; returns the current language."""
    lang = current_lang()
    choice = st.segmented_control(
        t("ui.lang_switch", lang),
        LANGS,
        default=lang,
        format_func=LANG_NAMES.__getitem__,
        key="lang_switch",
        label_visibility="collapsed",
    )
    if choice and choice != lang:
        set_lang(choice)
        st.rerun()
    return lang


def cite(ref: str, lang: Lang) -> str:
    """A citation for people: outlet, date and line, then the ``FILE:LINE`` it stands for."""
    source, line = parse_cite(ref)
    return (
        f"{t('ui.cite', lang, outlet=source.outlet, date=source.published.isoformat(), line=line)} · `{ref}`"
    )


fmt = number  # the engine's one number format (engine.text.number)


def profile_summary(profile: MerchantProfile, lang: Lang) -> str:
    """One line about a merchant for lists: name, type, category, team and budgets (Markdown-safe)."""
    from app.state import safe_text

    team = t(
        "scenarios.summary.team",
        lang,
        staff=f"{profile.staff_fte:g}",
        setup=fmt(profile.budget_setup_cny),
        monthly=fmt(profile.budget_monthly_cny),
    )
    parts = [
        safe_text(profile.name, 60) if profile.name else "",
        t(f"enum.business_type.{profile.business_type}", lang),
        t(f"enum.category.{profile.category}", lang),
        team,
    ]
    return " · ".join(p for p in parts if p)


def variant_buttons(
    variants: dict, lang: Lang, key: str, on_click, disabled=lambda v: False, **button
) -> None:
    """One button per one-click variant (engine.compare.quick_variants), four to a row so that a phone stacks
    them in this order; ``on_click(variant)`` runs on a click."""
    from engine.compare import describe

    for i, (name, variant) in enumerate(variants.items()):
        if i % 4 == 0:
            columns = st.columns(4)
        columns[i % 4].button(
            describe(variant, lang),
            key=f"{key}_{name}",
            on_click=on_click,
            args=(variant,),
            disabled=disabled(variant),
            width="stretch",
            **button,
        )
