"""自有价格 Own prices: upload an assumption pack or change single items in a table; either is checked by the
one checker (engine/packs.py → engine.assumptions.check) and, once it passes, used on every page for the
session. Problems are shown under the upload or the table, in the page's language; what was typed stays."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from app import cache, packui, state
from app.i18n import t
from app.ui import language_switch
from engine.assumptions import AssumptionSet
from engine.errors import msg
from engine.packs import (
    NAME_MAX,
    Edit,
    Pack,
    PackError,
    Problem,
    check_pack,
    is_estimate,
    read_upload,
    to_zip,
)

ss = st.session_state
UPLOAD_PROBLEMS = "pk_upload_problems"  # [Problem]: shown under the upload
TABLE_PROBLEMS = "pk_table_problems"  # [Problem]: shown under the table
FLASH = "pk_flash"  # (catalog key, values): the outcome of the last action, shown once
NUMBERS = ("low", "mode", "high", "value")
DISTRIBUTIONS = ("pert", "interval90", "fixed")

lang = language_switch()
pack = state.active_pack()
aset = cache.active_assumptions()
base = cache.assumptions()
as_of = state.active().options.as_of or date.today()


def q(value: object, limit: int = 200) -> str:
    return state.safe_text(value, limit)


def name_of(default: Pack | None) -> str:
    return (ss.get("pk_name") or "").strip() or (
        default.name if default else t("packpage.name_default", lang)
    )


def use(new: Pack, where: str, ok_key: str) -> None:
    """Check ``new``; use it if it passes, else keep the problems for ``where`` (nothing else changes)."""
    problems = check_pack(new)
    if problems:
        ss[where] = problems
        return
    state.use_pack(new)
    ss[FLASH] = (ok_key, {"name": new.name})


def make_pack(where: str, **fields) -> Pack | None:
    try:
        return Pack(**fields)
    except ValidationError as err:
        ss[where] = [
            Problem("", "", msg("pack.error.name", message=str(e["msg"]).removeprefix("Value error, ")))
            for e in err.errors()
        ]
        return None


def upload() -> None:
    ss.pop(UPLOAD_PROBLEMS, None)
    files = [*(ss.get("pk_files") or []), *(ss.get("pk_folder") or [])]
    try:
        contents = read_upload([(f.name, f.getvalue()) for f in files])
    except PackError as err:
        ss[UPLOAD_PROBLEMS] = err.problems
        return
    new = make_pack(UPLOAD_PROBLEMS, name=name_of(None), files=contents)
    if new is not None:
        use(new, UPLOAD_PROBLEMS, "packpage.upload.ok")


def reset() -> None:
    ss.pop(UPLOAD_PROBLEMS, None)
    ss.pop(TABLE_PROBLEMS, None)
    state.use_pack(None)


def rows(current: AssumptionSet) -> pd.DataFrame:
    """One row per parameter: its value in force on ``as_of`` and what it rests on."""
    mine = set(packui.changed(current, base)) if pack is not None else set()
    out = []
    for path, param in current.params():
        v = param.at(as_of)
        basis = "provider" if path in mine else "estimate" if is_estimate(param) else "evidence"
        out.append(
            {
                "path": path,
                "label": param.label.zh if lang == "zh" else param.label.en,
                "unit": param.unit,
                "distribution": param.distribution,
                **{k: getattr(v, k) for k in NUMBERS},
                "basis": t(f"packpage.basis.{basis}", lang),
            }
        )
    return pd.DataFrame(out)


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)  # type: ignore[arg-type]


def table_edits(edited: pd.DataFrame, shown: pd.DataFrame) -> dict[str, Edit]:
    """The rows changed in the table, as edits (on top of the pack's own)."""
    edits = dict(pack.edits) if pack is not None else {}
    for (_, new), (_, old) in zip(edited.iterrows(), shown.iterrows(), strict=True):
        numbers = {k: _number(new[k]) for k in NUMBERS}
        if new["distribution"] == old["distribution"] and numbers == {k: _number(old[k]) for k in NUMBERS}:
            continue
        edits[old["path"]] = Edit.model_construct(distribution=new["distribution"], **numbers)
    return edits


# --- the page ------------------------------------------------------------------------------------

st.title(t("packpage.title", lang))
st.caption(t("packpage.intro", lang))
packui.missing_warning(lang)
if FLASH in ss:
    key, values = ss.pop(FLASH)
    changed_count = len(packui.changed(aset, base))
    st.success(t(key, lang, name=q(values.get("name", ""), 80), changed=changed_count))

with st.container(border=True):
    if pack is None:
        st.markdown(t("packpage.in_use_bundled", lang))
    else:
        st.markdown(
            t(
                "packpage.in_use",
                lang,
                name=q(pack.name, 80),
                digest=pack.digest[:8],
                changed=len(packui.changed(aset, base)),
            )
        )
        c1, c2 = st.columns(2)
        c1.button(t("packpage.reset", lang), key="pk_reset", on_click=reset, icon=":material/undo:")
        c2.download_button(
            t("packpage.download", lang),
            to_zip(pack),
            "wxplan-assumptions.zip",
            "application/zip",
            key="pk_download",
            on_click="ignore",
            icon=":material/download:",
        )

st.subheader(t("packpage.upload.title", lang))
c1, c2 = st.columns(2)
# No `type=` filter: a file of another kind reaches the checker, which names it in the page's language.
c1.file_uploader(
    t("packpage.upload.files", lang),
    accept_multiple_files=True,
    key="pk_files",
    help=t("packpage.upload.files_help", lang),
)
c2.file_uploader(
    t("packpage.upload.folder", lang),
    accept_multiple_files="directory",
    key="pk_folder",
    help=t("packpage.upload.folder_help", lang),
)
st.text_input(t("packpage.name", lang), key="pk_name", max_chars=NAME_MAX, help=t("packpage.name_help", lang),
              placeholder=pack.name if pack else t("packpage.name_default", lang))  # fmt: skip
st.button(
    t("packpage.upload.button", lang),
    key="pk_upload",
    type="primary",
    on_click=upload,
    icon=":material/upload:",
)


def show(problems: list[Problem] | None) -> None:
    if problems:
        lines = "\n".join(f"- {q(p.text(lang), 600)}" for p in problems[:50])
        more = f"\n- … (+{len(problems) - 50})" if len(problems) > 50 else ""
        st.error(t("packpage.problems", lang, count=len(problems)) + "\n\n" + lines + more, icon="⚠️")


show(ss.get(UPLOAD_PROBLEMS))

st.subheader(t("packpage.table.title", lang))
st.caption(t("packpage.table.intro", lang, as_of=as_of.isoformat()))
shown = rows(aset)
columns = {
    "path": st.column_config.TextColumn(t("packpage.col.path", lang), disabled=True),
    "label": st.column_config.TextColumn(t("packpage.col.label", lang), disabled=True),
    "unit": st.column_config.TextColumn(t("packpage.col.unit", lang), disabled=True),
    "distribution": st.column_config.SelectboxColumn(
        t("packpage.col.distribution", lang), options=DISTRIBUTIONS, required=True
    ),
    **{k: st.column_config.NumberColumn(t(f"packpage.col.{k}", lang), format="%g") for k in NUMBERS},
    "basis": st.column_config.TextColumn(t("packpage.col.basis", lang), disabled=True),
}
# Keyed by the pack in use: a failed check keeps what was typed; a pack put to use starts a fresh table.
edited = st.data_editor(
    shown,
    key=f"pk_table:{pack.digest if pack else 'bundled'}",
    column_config=columns,
    hide_index=True,
    num_rows="fixed",
    width="stretch",
    height=420,
)
if st.button(t("packpage.table.button", lang), key="pk_table_apply", icon=":material/check:"):
    ss.pop(TABLE_PROBLEMS, None)
    edits = table_edits(edited, shown)
    if edits == (dict(pack.edits) if pack is not None else {}):
        st.info(t("packpage.table.none", lang))
    else:
        new = make_pack(
            TABLE_PROBLEMS,
            name=name_of(pack),
            files=dict(pack.files) if pack else {},
            edits={k: v.model_dump() for k, v in edits.items()},
        )
        if new is not None:
            use(new, TABLE_PROBLEMS, "packpage.table.ok")
            if TABLE_PROBLEMS not in ss:
                st.rerun()
show(ss.get(TABLE_PROBLEMS))

st.subheader(t("packpage.changed.title", lang))
items = packui.changed_items(aset, base) if pack is not None else []
if not items:
    st.caption(t("packpage.changed.none", lang))
for path, param, old in items:
    flag = f" {t('packpage.estimate_flag', lang)}" if is_estimate(param) else ""
    st.markdown(
        "- "
        + t(
            "packpage.changed.row",
            lang,
            label=q(param.label.zh if lang == "zh" else param.label.en, 80),
            path=path,
            unit=param.unit,
            new=packui.central(param, as_of),
            old=packui.central(old, as_of) if old is not None else "—",
        )
        + flag
    )
