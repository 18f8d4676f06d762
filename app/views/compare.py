"""对比 Compare: 2–6 saved scenarios, or variants of the current assessment (forced plans, overrides, as-of
dates), side by side — one table with the differing rows highlighted, the first-year cost distributions and
the ramp timelines overlaid, and the table as Markdown."""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from app import cache, charts, packui, state
from app.ui import language_switch, profile_summary
from engine.compare import MAX_ITEMS, MIN_ITEMS, Comparison, compare, to_markdown
from engine.i18n import t
from engine.result import Recommendation
from engine.sources import EARLIEST_EVIDENCE
from engine.store import Scenario, StoreError

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


def field_label(loc: tuple) -> str:
    if loc[:1] == ("overrides",) and len(loc) > 1 and loc[1] in state.OVERRIDE_KEYS:
        return t(f"ui.override.{loc[1]}", lang)
    if loc == ("as_of",):
        return t("ui.as_of", lang)
    if loc == ("plan",):
        return t("comparepage.plan", lang)
    return ".".join(str(p) for p in loc)


def defaults(i: int, base: state.AppState) -> None:
    """Start values of variant ``i``: letters as labels; the second variant forces the runner-up plan."""
    plan = ""
    if i == 1:
        alternatives = cache.recommendation(base).alternatives
        plan = alternatives[0].plan.code if alternatives else ""
    start = {"label": chr(ord("A") + i), "plan": plan, "as_of": None, "salary": 1.0, "saas": 1.0,
             "promotion": 1.0}  # fmt: skip
    for key, value in start.items():
        ss.setdefault(f"cmp_v{i}_{key}", value)


def variants() -> list[tuple[str, Recommendation]]:
    base = state.active()
    st.caption(t("comparepage.base", lang, summary=profile_summary(base.profile, lang)))
    ss.setdefault("cmp_n", MIN_ITEMS)
    count = int(
        st.number_input(
            t("comparepage.count", lang), min_value=MIN_ITEMS, max_value=MAX_ITEMS, step=1, key="cmp_n"
        )
    )
    slots = []
    with st.form("cmp_variants"):
        for i in range(count):
            defaults(i, base)
            with st.container(border=True):
                st.markdown(f"**{t('comparepage.variant', lang, n=i + 1)}**")
                c1, c2 = st.columns([1, 2])
                c1.text_input(t("comparepage.label", lang), key=f"cmp_v{i}_label", max_chars=40)
                c2.text_input(
                    t("comparepage.plan", lang),
                    key=f"cmp_v{i}_plan",
                    max_chars=120,
                    placeholder=t("comparepage.plan_placeholder", lang),
                    help=t("comparepage.plan_help", lang),
                )
                c1, *rest = st.columns(1 + len(state.OVERRIDE_KEYS))
                c1.date_input(
                    t("ui.as_of", lang),
                    key=f"cmp_v{i}_as_of",
                    min_value=EARLIEST_EVIDENCE,
                    format="YYYY-MM-DD",
                    help=t("comparepage.as_of_help", lang),
                )
                for column, key in zip(rest, state.OVERRIDE_KEYS, strict=True):
                    column.number_input(t(f"ui.override.{key}", lang), key=f"cmp_v{i}_{key}", step=0.1,
                                        format="%.2f")  # fmt: skip
                slots.append(st.container())
        st.form_submit_button(t("comparepage.submit", lang), type="primary", key="cmp_submit")

    items, seen = [], set()
    for i, slot in enumerate(slots):
        problems = []
        label = (ss.get(f"cmp_v{i}_label") or "").strip()
        if not label:
            problems.append(t("comparepage.error.label_required", lang))
        elif label in seen:
            problems.append(t("comparepage.error.label_duplicate", lang, label=q(label, 40)))
        seen.add(label)
        try:
            scenario = Scenario(
                name="variant",
                profile=base.profile,
                overrides={key: ss.get(f"cmp_v{i}_{key}") for key in state.OVERRIDE_KEYS},
                as_of=ss.get(f"cmp_v{i}_as_of") or base.options.as_of,
                seed=base.options.seed,
                draws=base.options.draws,
                plan=(ss.get(f"cmp_v{i}_plan") or "").strip() or None,
                assumptions=state.active_pack(),
            )
        except ValidationError as err:
            scenario = None
            for e in err.errors():
                message = str(e["msg"]).removeprefix("Value error, ")
                problems.append(
                    t(
                        "comparepage.error.problem",
                        lang,
                        field=field_label(tuple(e["loc"])),
                        message=q(message, 300),
                    )
                )
        if problems or scenario is None:
            slot.error("  \n".join(problems), icon="⚠️")
            continue
        rec = result(scenario, label, slot)
        if rec is not None:
            items.append((label, rec))
    if len(items) < MIN_ITEMS:
        st.info(t("comparepage.need_two_variants", lang))
    return items


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
if f"{MODE}.{lang}" not in ss:
    ss[f"{MODE}.{lang}"] = ss.get(MODE, "saved")
mode = st.radio(
    t("comparepage.mode", lang),
    ["saved", "variants"],
    key=f"{MODE}.{lang}",
    horizontal=True,
    format_func=lambda m: t(f"comparepage.mode.{m}", lang),
)
ss[MODE] = mode
items = saved() if mode == "saved" else variants()

if len(items) >= MIN_ITEMS:
    comparison = compare(items, lang)
    st.subheader(t("comparepage.table", lang))
    st.table(table(comparison), hide_index=True)
    st.caption(t("compare.legend", lang))
    st.subheader(t("comparepage.charts", lang))
    for chart in (charts.compare_first_year(comparison), charts.compare_ramp(comparison)):
        if chart is not None:
            vega = charts.spec(chart)
            st.vega_lite_chart(vega, width="stretch", height=charts.display_height(vega))
    st.download_button(
        t("comparepage.download", lang),
        to_markdown(comparison),
        f"wxplan-compare-{lang}.md",
        "text/markdown",
        key="cmp_md",
        on_click="ignore",
        icon=":material/download:",
    )
