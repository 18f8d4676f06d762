"""方法 Method: how wxplan reaches a plan, in plain words (app/content/method.{zh,en}.md).

The objective's weights and thresholds are read from the cached assumption set and shown as a table
at the ``<!-- objective-table -->`` marker, so the page never disagrees with the data.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from app.cache import assumptions
from app.ui import language_switch
from engine.assumptions import Param
from engine.i18n import t

CONTENT = Path(__file__).resolve().parents[1] / "content"
MARKER = "<!-- objective-table -->"
# Shown in the table, in this order: everything in objective.yaml (weights first), then the elasticity by
# which a staff shortfall stretches the ramp.
TABLE_ORDER = (
    "objective.weights.",
    "objective.min_fit",
    "objective.base_fit.",
    "objective.",
    "adjustments.shortfall_ramp_elasticity",
)

lang = language_switch()
st.title(t("ui.nav.method", lang))


def num(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.6g}"


def value_today(param: Param) -> str:
    try:
        v = param.at(date.today())
    except ValueError:
        return "—"
    if param.distribution == "fixed":
        return num(v.value)
    if param.distribution == "pert":
        return t("method.pert_value", lang, low=num(v.low), mode=num(v.mode), high=num(v.high))
    return f"{num(v.low)} – {num(v.high)}"


def objective_table() -> None:
    shown = [(path, param) for path, param in assumptions().params() if path.startswith(TABLE_ORDER)]
    shown.sort(key=lambda item: next(i for i, prefix in enumerate(TABLE_ORDER) if item[0].startswith(prefix)))
    rows = [
        {
            t("method.col.parameter", lang): getattr(param.label, lang),
            t("method.col.value", lang): value_today(param),
            t("method.col.unit", lang): t(f"unit.{param.unit}", lang),
            t("method.col.path", lang): f"`{path}`",
        }
        for path, param in shown
    ]
    st.table(rows, hide_index=True)
    st.caption(t("method.table_caption", lang, source=assumptions().source, date=date.today().isoformat()))


text = (CONTENT / f"method.{lang}.md").read_text(encoding="utf-8")
before, marker, after = text.partition(MARKER)
st.markdown(before)
if marker:
    objective_table()
    st.markdown(after)

# What drives the answer: when one-at-a-time swings and variance-based indices disagree.
st.markdown((CONTENT / f"sensitivity.{lang}.md").read_text(encoding="utf-8"))
