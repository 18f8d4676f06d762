"""对比 Compare: 2–6 saved scenarios, or the current assessment beside up to five variants of it (changed
profile fields, a forced plan, overrides, an as-of date; one-click ones too), side by side — one table with the differing rows highlighted, the first-year cost distributions and
the ramp timelines overlaid, and the table as Markdown."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import streamlit as st
from pydantic import ValidationError

from app import cache, packui, state
from app.i18n import t
from app.ui import language_switch, profile_summary, variant_buttons
from engine.compare import (
    LEVEL_FIELDS,
    LIST_FIELDS,
    MAX_ITEMS,
    MAX_VARIANTS,
    MIN_ITEMS,
    NUMBER_FIELDS,
    PROFILE_FIELDS,
    Comparison,
    Variant,
    VariantError,
    apply_variant,
    change,
    compare,
    describe,
    quick_variants,
)
from engine.errors import StoreError, msg, profile_problems
from engine.errors import text as message_text
from engine.overrides import Overrides
from engine.profile import FIELD_CHOICES
from engine.render import charts
from engine.render.markdown import comparison_markdown
from engine.result import Recommendation
from engine.sources import EARLIEST_EVIDENCE
from engine.store import Scenario

ss = st.session_state
lang = language_switch()
st.title(t("ui.nav.compare", lang))
st.caption(t("comparepage.intro", lang))
packui.indicator(lang)


def q(value: object, limit: int = 200) -> str:
    return state.safe_text(value, limit)


def result(scenario: Scenario, label: str, slot) -> Recommendation | None:
    """The scenario's (cached) result, or None with the reason shown in ``slot``."""
    try:
        return cache.scenario_result(scenario, lang)
    except ValueError as err:  # the engine's InputError (e.g. a plan it cannot evaluate)
        slot.error(t("comparepage.error.compute", lang, name=q(label, 60), message=q(err, 300)), icon="⚠️")
        return None


# --- saved scenarios -----------------------------------------------------------------------------


def saved() -> list[tuple[str, Recommendation]]:
    try:
        store = cache.store()
        names = store.names()
    except StoreError as err:
        st.error(t("scenarios.store_error", lang, message=q(err, 400)))
        return []
    if not names:
        st.info(t("comparepage.no_saved", lang))
        return []
    if "cmp_pick" in ss:  # a scenario deleted meanwhile drops out of the selection
        ss["cmp_pick"] = [n for n in ss["cmp_pick"] if n in names]
    picked = st.multiselect(
        t("comparepage.pick", lang),
        names,
        key="cmp_pick",
        max_selections=MAX_ITEMS,
        placeholder=t("comparepage.pick_placeholder", lang),
    )
    items = []
    for name in picked:
        try:
            scenario = store.get(name)
        except StoreError as err:
            st.error(t("comparepage.error.compute", lang, name=q(name, 60), message=q(err, 300)), icon="⚠️")
            continue
        rec = result(scenario, name, st)
        if rec is not None:
            items.append((name, rec))
    if len(picked) < MIN_ITEMS:
        st.info(t("comparepage.need_two", lang))
    return items


# --- variants of the current assessment ----------------------------------------------------------
# The variants live in the active assessment (app/state.py), so the URL holds them (v1…v5) and reload, Back
# and a language switch keep them. Each is a list of changes (engine/compare.py): relative where it can be.

NONE = "—"
FIELDS = (*PROFILE_FIELDS, "plan", *state.OVERRIDE_KEYS, "as_of")
OPS = {"+": "op.add", "-": "op.sub", "*": "op.mul", "=": "op.set"}


def field_name(field: str) -> str:
    if field in PROFILE_FIELDS:
        return t(f"field.{field}.label", lang)
    if field in state.OVERRIDE_KEYS:
        return t(f"ui.override.{field}", lang)
    return t(f"variant.field.{field}", lang)


def ops_of(field: str) -> list[str]:
    if field in NUMBER_FIELDS:
        return ["+", "-", "*", "="]
    if field in LEVEL_FIELDS:
        return ["+", "-", "="]
    return ["="]


def change_row(j: int, base: state.AppState):
    """One change of the variant being built: the field, how it changes, and by how much (widgets redrawn
    for the field chosen). Returns (field, op, value) or None."""
    c1, c2, c3 = st.columns([2, 1, 2])
    field = c1.selectbox(
        t("comparepage.new.field", lang),
        FIELDS,
        index=None,
        key=f"cmp_new{j}_field",
        placeholder=t("comparepage.new.field_placeholder", lang),
        format_func=field_name,
    )
    if field is None:
        return None
    ops = ops_of(field)
    op = c2.selectbox(
        t("comparepage.new.op", lang),
        ops,
        key=f"cmp_new{j}_op.{field}",
        format_func=lambda o: t(
            f"comparepage.{OPS[o]}" + (".levels" if field in LEVEL_FIELDS and o != "=" else ""), lang
        ),
    )
    key = f"cmp_new{j}_value.{field}.{op}"
    current = getattr(base.profile, field, None)
    label = t("comparepage.new.value", lang)
    if field in LEVEL_FIELDS and op != "=":
        return field, op, c3.number_input(label, min_value=1, max_value=3, value=1, step=1, key=key)
    if field in NUMBER_FIELDS:
        start = {"*": 1.5, "=": current if current is not None else 0.0}.get(op, 1.0)
        return field, op, c3.number_input(label, value=float(start), step=1.0 if op != "*" else 0.1, key=key)
    if field in LIST_FIELDS:
        value = c3.multiselect(label, list(FIELD_CHOICES[field]), default=list(current), key=key,
                               format_func=lambda v: t(f"enum.{field}.{v}", lang))  # fmt: skip
        return field, op, ",".join(value)
    if field in FIELD_CHOICES:
        options = list(FIELD_CHOICES[field])
        value = c3.selectbox(label, options, index=options.index(current), key=key,
                             format_func=lambda v: t(f"enum.{field}.{v}", lang))  # fmt: skip
        return field, op, value
    if field in state.OVERRIDE_KEYS:
        return field, op, c3.number_input(label, value=1.0, min_value=0.0, step=0.1, format="%.2f", key=key)
    if field == "as_of":
        value = c3.date_input(label, value=None, min_value=EARLIEST_EVIDENCE, format="YYYY-MM-DD", key=key)
        return field, op, value.isoformat() if value else ""
    alternatives = [a.plan.code for a in cache.recommendation(base).alternatives]
    return (
        field,
        op,
        c3.text_input(
            label,
            key=key,
            max_chars=120,
            placeholder=alternatives[0] if alternatives else "channels,shop>wecom",
            help=t("comparepage.plan_help", lang),
        ),
    )


def row_value(j: int) -> tuple[str, str, object] | None:
    """Change ``j`` of the editor, read from its widgets (a callback runs before they are drawn again)."""
    field = ss.get(f"cmp_new{j}_field")
    if field is None:
        return None
    op = ss.get(f"cmp_new{j}_op.{field}") or ops_of(field)[0]
    value = ss.get(f"cmp_new{j}_value.{field}.{op}")
    if isinstance(value, list | tuple):
        value = ",".join(value)
    elif isinstance(value, date):
        value = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    return field, op, "" if value is None else value


def add_built() -> None:
    """The "add" button's callback: the variant built in the editor joins the set, or the reason it cannot
    is shown next to the editor; the editor is cleared for the next one."""
    base = state.active()
    try:
        changes = [change(*row) for row in map(row_value, range(3)) if row is not None]
        text = (ss.get("cmp_new_label") or "").strip().replace(";", ",")
        if text:
            changes.append(change("label", "=", text))
        if not changes:
            raise VariantError(msg("error.variant.empty"))
        variant = Variant(changes=tuple(changes))
        apply_variant(variant, base.profile, base.overrides.active(), base.options.as_of)
    except VariantError as err:
        ss["cmp_new_error"] = message_text(err.message, lang)
        return
    except ValidationError as err:
        ss["cmp_new_error"] = "  \n".join(
            f"{t(f'field.{name}.label', lang)}: {message_text(m, lang)}" for name, m in profile_problems(err)
        )
        return
    if not state.add_variant(variant):
        ss["cmp_new_error"] = t("comparepage.full", lang, limit=MAX_VARIANTS)
        return
    ss.pop("cmp_new_error", None)
    for key in [k for k in ss if str(k).startswith("cmp_new")]:
        del ss[key]


def remove(index: int) -> None:
    variants = list(state.active().variants)
    if 0 <= index < len(variants):
        del variants[index]
        state.set_variants(variants)


def editor(base: state.AppState) -> None:
    """Add variants: one click for the usual ones, or built from changes to the assessment's fields."""
    st.markdown(f"**{t('comparepage.quick', lang)}**")
    variant_buttons(
        quick_variants(cache.recommendation(base)),
        lang,
        "cmp_quick",
        state.add_variant,
        disabled=lambda v: v in base.variants or len(base.variants) >= MAX_VARIANTS,
    )
    with st.expander(t("comparepage.new", lang), expanded=not base.variants):
        st.caption(t("comparepage.new.help", lang))
        st.text_input(
            t("comparepage.label", lang),
            key="cmp_new_label",
            max_chars=40,
            placeholder=t("comparepage.new.label_placeholder", lang),
        )
        for j in range(3):
            change_row(j, base)
        st.button(t("comparepage.new.add", lang), key="cmp_new_add", on_click=add_built, type="primary",
                  disabled=len(base.variants) >= MAX_VARIANTS)  # fmt: skip
        if ss.get("cmp_new_error"):
            st.error(ss["cmp_new_error"], icon="⚠️")


def variant_state(base: state.AppState, variant: Variant) -> tuple[state.AppState, str | None]:
    """The assessment a variant describes, and its forced plan (None: recommend)."""
    inputs = apply_variant(variant, base.profile, base.overrides.active(), base.options.as_of)
    options = replace(base.options, as_of=inputs.as_of)
    return (
        replace(base, profile=inputs.profile, options=options, overrides=Overrides(**inputs.overrides),
                variants=(), problems=()),
        inputs.plan,
    )  # fmt: skip


def variants() -> tuple[list[tuple[str, Recommendation]], list[Recommendation | None]]:
    base = state.active()
    st.caption(t("comparepage.base", lang, summary=profile_summary(base.profile, lang)))
    editor(base)
    items = [(t("comparepage.current", lang), cache.recommendation(base))]
    references: list[Recommendation | None] = [None]
    if base.variants:
        st.markdown(f"**{t('comparepage.variants', lang)}**")
    for i, variant in enumerate(base.variants):
        label = describe(variant, lang)
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        code = re.sub(r"[`\x00-\x1f\x7f]", "'", variant.text)[:160]  # inside a code span: only ` counts
        c1.markdown(f"{i + 1}. **{q(label, 80)}** · `{code}`")
        c2.button(t("comparepage.remove", lang), key=f"cmp_remove_{i}", on_click=remove, args=(i,),
                  icon=":material/close:", width="stretch")  # fmt: skip
        try:
            vstate, plan = variant_state(base, variant)
        except VariantError as err:
            st.error(t("comparepage.error.compute", lang, name=q(label, 60),
                       message=q(message_text(err.message, lang), 300)), icon="⚠️")  # fmt: skip
            continue
        except ValidationError as err:
            problems = "; ".join(
                f"{t(f'field.{name}.label', lang)}: {message_text(m, lang)}"
                for name, m in profile_problems(err)
            )
            st.error(
                t("comparepage.error.compute", lang, name=q(label, 60), message=q(problems, 300)), icon="⚠️"
            )
            continue
        try:
            rec = cache.evaluation(vstate, plan)
            reference = cache.evaluation(vstate, None) if plan else None
        except ValueError as err:  # the engine's InputError: a plan it cannot evaluate
            st.error(t("comparepage.error.compute", lang, name=q(label, 60), message=q(err, 300)), icon="⚠️")
            continue
        items.append((label, rec))
        references.append(reference)
    if len(items) < MIN_ITEMS:
        st.info(t("comparepage.need_variant", lang))
    return items, references


# --- the comparison ------------------------------------------------------------------------------


def table(comparison: Comparison) -> list[dict[str, str]]:
    """Rows for ``st.table`` (cells are Markdown): a differing row is marked ◆, bold and shaded."""
    headers: list[str] = []
    for label in comparison.labels:
        header = q(label, 40)
        while header in headers or header == t("comparepage.col.row", lang):
            header += "\u200b"  # two labels cut to the same text stay two columns
        headers.append(header)
    rows = []
    for r in comparison.rows:
        mark = "◆ " if r.differs else ""
        row = {t("comparepage.col.row", lang): f"**{mark}{q(r.label)}**" if r.differs else q(r.label)}
        for header, value in zip(headers, r.values, strict=True):
            row[header] = f":orange-background[**{q(value)}**]" if r.differs else q(value)
        rows.append(row)
    return rows


# The mode's widget is keyed per language (its translated option labels are redrawn on a switch); the
# choice itself carries over in MODE.
MODE = "cmp_mode"
if f"{MODE}.{lang}" not in ss:  # a link or reload carrying variants opens on them
    ss[f"{MODE}.{lang}"] = ss.get(MODE, "variants" if state.active().variants else "saved")
mode = st.radio(
    t("comparepage.mode", lang),
    ["saved", "variants"],
    key=f"{MODE}.{lang}",
    horizontal=True,
    format_func=lambda m: t(f"comparepage.mode.{m}", lang),
)
ss[MODE] = mode
if mode == "saved":
    items, references = saved(), None
else:
    items, references = variants()

if len(items) >= MIN_ITEMS:
    comparison = compare(items, lang, references)
    st.subheader(t("comparepage.table", lang))
    st.table(table(comparison), hide_index=True)
    st.caption(t("compare.legend", lang))
    if any(comparison.notes):
        st.subheader(t("compare.notes", lang))
        for label, notes in zip(comparison.labels, comparison.notes, strict=True):
            for note in notes:
                st.markdown(f"- **{q(label, 60)}**: {q(note, 600)}")
    st.subheader(t("comparepage.charts", lang))
    for chart in (charts.compare_first_year(comparison), charts.compare_ramp(comparison)):
        if chart is not None:
            vega = charts.spec(chart)
            st.vega_lite_chart(vega, width="stretch", height=charts.display_height(vega))
    st.download_button(
        t("comparepage.download", lang),
        comparison_markdown(comparison),
        f"wxplan-compare-{lang}.md",
        "text/markdown",
        key="cmp_md",
        on_click="ignore",
        icon=":material/download:",
    )
