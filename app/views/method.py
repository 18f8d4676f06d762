"""方法 Method: how wxplan reaches a plan, in plain words (app/content/method.{zh,en}.md).

The objective's weights and thresholds are read from the cached assumption set and shown as a table
at the ``<!-- objective-table -->`` marker, so the page never disagrees with the data. The section around
the marker (how a plan is chosen) is written from the catalog's ``method.objective.*`` messages: the objective
is money over the horizon (net, downside, budget overrun, unfillable work), and its words live beside the
other messages so that both languages change together.
"""

from __future__ import annotations

from datetime import date
from importlib.resources import files

import streamlit as st

from app.cache import assumptions
from app.i18n import t
from app.ui import language_switch
from engine.assumptions import Param

CONTENT = files("app") / "content"  # package data, in the checkout and in the wheel
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


OBJECTIVE_TERMS = ("net", "downside", "budget_overrun", "staff_shortfall")


def objective_section() -> None:
    """How a plan is chosen: the objective in plain words, the table of weights, what the weights mean."""
    st.markdown(
        f"### {t('method.objective.heading', lang)}\n\n{t('method.objective.plans', lang)}\n\n"
        f"{t('method.objective.sizing', lang)}"
    )
    bullets = "\n".join(f"- {t(f'method.objective.term.{term}', lang)}" for term in OBJECTIVE_TERMS)
    st.markdown(
        f"{t('method.objective.score', lang)}\n\n{bullets}\n\n{t('method.objective.table_intro', lang)}"
    )
    objective_table()
    st.markdown(f"{t('method.objective.weights', lang)}\n\n{t('method.objective.probabilities', lang)}")


def split_objective(text: str) -> tuple[str, str]:
    """The page's Markdown before and after the section that holds the objective table (that section, from its
    ``###`` heading to the next one, is replaced by :func:`objective_section`)."""
    before, marker, after = text.partition(MARKER)
    if not marker:
        return text, ""
    head = before.rfind("\n### ")
    tail = after.find("\n### ")
    return before[: head + 1 if head >= 0 else len(before)], after[tail + 1 :] if tail >= 0 else ""


text = (CONTENT / f"method.{lang}.md").read_text(encoding="utf-8")
before, after = split_objective(text)
st.markdown(before)
objective_section()
if after:
    st.markdown(after)

# What drives the answer: when one-at-a-time swings and variance-based indices disagree.
st.markdown((CONTENT / f"sensitivity.{lang}.md").read_text(encoding="utf-8"))
