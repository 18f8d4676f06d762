"""wxplan Streamlit entry: page config and a first, plain page (the full assessment app comes next)."""

from __future__ import annotations

import streamlit as st

from engine.i18n import LANGS, t

st.set_page_config(page_title="wxplan", page_icon="📊", layout="wide")

lang = st.query_params.get("lang", "zh")
if lang not in LANGS:
    lang = "zh"
choice = st.radio(
    "语言 / Language",
    LANGS,
    index=LANGS.index(lang),
    horizontal=True,
    format_func=lambda code: {"zh": "中文", "en": "English"}[code],
)
if choice != lang:
    st.query_params["lang"] = choice
    lang = choice

st.title(t("app.title", lang))
st.write(t("app.tagline", lang))
st.info(t("app.placeholder", lang))
st.code("wxplan recommend examples/douyin_native_brand.json --format markdown", language="bash")
