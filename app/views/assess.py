"""评估 Assess: the profile form, then the recommendation with its reasons, charts and downloads."""

from __future__ import annotations

import streamlit as st

from app import cache, packui, state
from app.cards import VERDICT_COLOUR, card_order, citation_popovers
from app.i18n import t
from app.ui import fmt, language_switch, variant_buttons
from engine.compare import Variant, close_call_text, quick_variants
from engine.errors import text as message_text
from engine.presets import PRESETS
from engine.profile import (
    FIELD_CHOICES,
    FIELD_ENTRIES,
    LIST_FIELDS,
    OPTIONAL_FIELDS,
    SECTIONS,
    Entry,
    MerchantProfile,
)
from engine.render import charts, pdf
from engine.render.parts import report_filename

lang = language_switch()
active = state.active()
state.restore_form()  # the form as the user left it, also after a visit to another page
errors = state.field_errors()

st.title(t("app.title", lang))
st.caption(t("app.tagline", lang))
packui.indicator(lang)  # the assumption set in use: the provider's changes, what rests on estimates
for param, message in state.url_problems():
    st.warning(
        t(
            "ui.url_problem",
            lang,
            param=state.safe_text(param, 40),
            message=state.safe_text(message_text(message, lang), 160),
        )
    )


def label(field: str) -> str:
    return t(f"field.{field}.label", lang)


def help_(field: str) -> str:
    return t(f"field.{field}.help", lang)


def show_error(field: str) -> None:
    if field in errors:
        st.error(state.safe_text(message_text(errors[field], lang), 200), icon="⚠️")


def choice(field: str) -> None:
    options = list(FIELD_CHOICES[field])
    st.selectbox(
        label(field),
        options,
        key=state.widget_key(field),
        help=help_(field),
        format_func=lambda v: t(f"enum.{field}.{v}", lang),
        placeholder=t("ui.choose_one", lang),
    )
    show_error(field)


def choices(field: str) -> None:
    st.multiselect(
        label(field),
        list(FIELD_CHOICES[field]),
        key=state.widget_key(field),
        help=help_(field),
        format_func=lambda v: t(f"enum.{field}.{v}", lang),
        placeholder=t("ui.choose_any", lang),
    )
    show_error(field)


def number(field: str, step: float, fmt_: str = "%g", **kwargs) -> None:
    st.number_input(
        label(field), key=state.widget_key(field), help=help_(field), step=step, format=fmt_, **kwargs
    )
    show_error(field)


def entry_widget(field: str, entry: Entry) -> None:
    """The input a field's declaration asks for: a list, a choice, a number (an optional one shows that the
    engine estimates it when left empty) or text."""
    if field in LIST_FIELDS:
        choices(field)
    elif field in FIELD_CHOICES:
        choice(field)
    elif entry.step is not None:
        optional = field in OPTIONAL_FIELDS
        extra = {"placeholder": t("ui.estimated_placeholder", lang)} if optional else {}
        number(field, entry.step, entry.format or "%g", **extra)
    else:
        st.text_input(label(field), key=state.widget_key(field), help=help_(field), max_chars=120)
        show_error(field)


st.selectbox(
    t("ui.preset", lang),
    list(PRESETS),
    index=None,
    key="preset",
    placeholder=t("ui.choose_preset", lang),
    help=t("ui.preset_help", lang),
    format_func=lambda p: f"{t(f'preset.{p}.label', lang)} — {t(f'preset.{p}.help', lang)}",
    on_change=lambda: st.session_state.preset and state.apply_preset(st.session_state.preset),
)

# No st.form: every edit reaches the session, so it survives page and language switches, and a result
# that no longer matches the form can say so. The result changes only when 评估 is pressed.
with st.container(key="profile"):
    if errors:
        st.error(t("ui.form_has_errors", lang))
    # Every profile field, in its section and column, as its declaration says (engine.profile.Entry).
    for section in SECTIONS:
        st.subheader(t(f"ui.section.{section}", lang))
        columns = st.columns(2)
        for field, entry in FIELD_ENTRIES.items():
            if entry.section == section:
                with columns[entry.column]:
                    entry_widget(field, entry)
    with st.expander(t("ui.consultant", lang), expanded=False):
        c1, c2, c3 = st.columns(3)
        with c1:
            st.date_input(
                t("ui.as_of", lang), key="o_as_of", help=t("ui.as_of_help", lang), format="YYYY-MM-DD"
            )
            show_error("as_of")
        with c2:
            st.number_input(t("ui.draws", lang), key="o_draws", step=1000, help=t("ui.draws_help", lang))
            show_error("draws")
        with c3:
            st.number_input(
                t("ui.seed", lang), key="o_seed", step=1, min_value=0, help=t("ui.seed_help", lang)
            )
        st.selectbox(
            t("ui.horizon", lang),
            state.HORIZONS,
            key="o_horizon",
            help=t("ui.horizon_help", lang),
            format_func=lambda m: t("ui.horizon_months", lang, months=m),
        )
        for column, key in zip(st.columns(len(state.OVERRIDE_KEYS)), state.OVERRIDE_KEYS, strict=True):
            with column:
                st.number_input(
                    t(f"ui.override.{key}", lang), key=f"o_{key}", step=0.1, format="%.2f",
                    help=t(f"ui.override.{key}_help", lang),
                )  # fmt: skip
                show_error(key)
    st.button(t("ui.submit", lang), type="primary", on_click=state.submit, key="submit")

rec = cache.recommendation(active)
profile: MerchantProfile = rec.profile

# --- headline: the money first ------------------------------------------------------------------
st.divider()
if not state.form_is_current():
    st.warning(t("ui.stale_result", lang), icon=":material/history:")
st.subheader(f"{t('ui.headline.plan', lang)}: {state.safe_text(rec.plan.label, 200)}")
v = rec.value
c1, c2, c3 = st.columns(3)
net = v.net_cny.first_year
c1.metric(t("ui.headline.net", lang), f"¥{fmt(net.p50)}")
c1.caption(t("ui.headline.money_range", lang, p10=fmt(net.p10), p90=fmt(net.p90)))
pb = v.payback_months
beyond = t("report.beyond_horizon", lang, months=v.horizon_months)
c2.metric(
    t("ui.headline.payback", lang),
    t("ui.headline.month", lang, month=fmt(pb.p50)) if pb.p50 is not None else beyond,
)
c2.caption(
    t(
        "ui.headline.payback_range",
        lang,
        p10=fmt(pb.p10) if pb.p10 is not None else beyond,
        p90=fmt(pb.p90) if pb.p90 is not None else beyond,
    )
)
c3.metric(t("ui.headline.p_payback", lang, months=v.horizon_months), f"{v.p_payback_within_horizon:.0%}")
c3.caption(t("ui.headline.gmv", lang, gmv=fmt(v.gmv_monthly_steady_cny.p50)))
c1, c2, c3 = st.columns(3)
fy, op = rec.cost_cny.first_year, rec.ramp_weeks.operational
c1.metric(t("ui.headline.first_year", lang), f"¥{fmt(fy.p50)}")
c1.caption(t("ui.headline.first_year_range", lang, p10=fmt(fy.p10), p90=fmt(fy.p90)))
c2.metric(t("ui.headline.operational", lang), t("ui.headline.weeks", lang, p50=fmt(op.p50, 1)))
c2.caption(t("ui.headline.weeks_range", lang, p10=fmt(op.p10, 1), p90=fmt(op.p90, 1)))
c3.metric(t("ui.headline.win", lang), f"{rec.win_probability:.0%}")
c3.caption(rec.win_probability_text)
m, s = rec.cost_cny.monthly, rec.cost_cny.setup
st.write(t("ui.headline.monthly", lang, p50=fmt(m.p50), p10=fmt(m.p10), p90=fmt(m.p90), setup=fmt(s.p50)))
sc = rec.scale
st.caption(
    t(
        "ui.headline.scale",
        lang,
        gmv=fmt(sc.current_monthly_gmv_cny),
        gmv_note=t("ui.estimated", lang) if sc.gmv_inferred else "",
        reach=fmt(sc.reachable_customers),
        reach_note=t("ui.estimated", lang) if sc.reach_inferred else "",
    )
)
st.caption(t("report.estimates_note", lang))
specs = cache.result_charts(active)
if specs["cashflow"] is not None:
    st.vega_lite_chart(specs["cashflow"], width="stretch", height=charts.display_height(specs["cashflow"]))
if rec.staffing.hires_fte > 0 or rec.staffing.shortfall_fte > 0:
    st.write(
        t(
            "ui.headline.staffing",
            lang,
            required=fmt(rec.staffing.required_fte, 1),
            available=fmt(rec.staffing.available_fte, 1),
            hires=fmt(rec.staffing.hires_fte, 1),
            shortfall=fmt(rec.staffing.shortfall_fte, 1),
        )
    )

if rec.warnings:
    st.subheader(t("ui.warnings", lang))
    for w in rec.warnings:
        st.warning(w.text)

# --- module cards --------------------------------------------------------------------------------
# Cards in verdict order, two to a row: a phone stacks each row's two columns, so it reads the same order.
st.subheader(t("ui.modules", lang))
ordered = card_order(rec.modules.values())
for row in range(0, len(ordered), 2):
    for column, module in zip(st.columns(2), ordered[row : row + 2], strict=False):
        with column, st.container(border=True, key=f"card_{module.module}"):
            phase = (
                f" · {t('report.phase', lang, phase=module.phase)} · {t('report.level', lang, level=t('level.' + module.operating_level, lang))}"
                if module.phase
                else ""
            )
            st.markdown(f"#### {module.name}")
            st.badge(t(f"verdict.{module.verdict}", lang) + phase, color=VERDICT_COLOUR[module.verdict])
            st.progress(module.fit, text=t("ui.fit", lang, fit=f"{module.fit:.2f}"))
            st.write(module.decision)
            if module.gmv_monthly_steady_cny is not None:
                g = module.gmv_monthly_steady_cny
                st.caption(t("ui.module_gmv", lang, p50=fmt(g.p50), p10=fmt(g.p10), p90=fmt(g.p90)))
            if module.operational_week is not None and module.start_week is not None:
                ow = module.operational_week
                st.caption(
                    t("ui.timing", lang, start=fmt(module.start_week.p50, 1), operational=fmt(ow.p50, 1),
                      lo=fmt(ow.p10, 1), hi=fmt(ow.p90, 1))
                )  # fmt: skip
            with st.expander(t("ui.reasons", lang, count=len(module.reasons))):
                for reason in module.reasons:
                    effect = f" *({reason.effect})*" if reason.effect else ""
                    st.markdown(f"**{reason.label}**{effect}  \n{reason.text}")
                    citation_popovers(reason.sources, lang)  # article, link and the passage, one click away

# --- what would change this, alternatives --------------------------------------------------------
st.subheader(t("ui.counterfactuals", lang))
for c in rec.counterfactuals:
    detail = "; ".join(c.effects)
    st.markdown(f"- **{c.change}**" + (f": {detail} → {c.plan}" if detail else ""))
for note in dict.fromkeys(c.note for c in rec.counterfactuals if c.note):
    st.info(note, icon=":material/balance:")

if rec.alternatives:
    st.subheader(t("ui.alternatives", lang))
    st.table(
        [
            {
                t("ui.alt.plan", lang): a.plan.label,
                t("ui.alt.net", lang): fmt(a.net_cny_first_year.p50),
                t("ui.alt.payback", lang): fmt(a.payback_months.p50)
                if a.payback_months.p50 is not None
                else "—",
                t("ui.alt.first_year", lang): fmt(a.cost_cny.first_year.p50),
                t("ui.alt.operational", lang): fmt(a.ramp_weeks.operational.p50, 1),
                t("ui.alt.shortfall", lang): f"{a.shortfall_fte:.1f}",
                t("ui.alt.win", lang): f"{a.win_probability:.0%}",
            }
            for a in rec.alternatives
        ]
    )

# --- variants: why it is close, and one click to compare (engine/compare.py) --------------------
if rec.close_calls:
    st.markdown(f"**{t('assess.variants.close_call', lang)}**")
    for call in rec.close_calls:
        st.markdown(f"- {state.safe_text(close_call_text(call, rec, lang), 600)}")
st.markdown(f"**{t('assess.variants.title', lang)}**")
st.caption(t("assess.variants.help", lang))


def _open_compare(variant: Variant) -> None:
    state.add_variant(variant)
    for key in [k for k in st.session_state if str(k).startswith("cmp_mode")]:
        del st.session_state[key]
    st.session_state["cmp_mode"] = "variants"
    st.session_state["cmp_open"] = True


variant_buttons(quick_variants(rec), lang, "assess_variant", _open_compare, icon=":material/compare_arrows:")
if st.session_state.pop("cmp_open", False):
    st.switch_page("views/compare.py")

# --- charts --------------------------------------------------------------------------------------
st.subheader(t("ui.charts", lang))
for name, vega in specs.items():
    if name != "cashflow" and vega is not None:  # the cash fan leads the page, above
        st.vega_lite_chart(vega, width="stretch", height=charts.display_height(vega))

# --- what drives the answer (on request: a few seconds of work) ---------------------------------
with st.expander(t("drivers.title", lang)):
    st.caption(t("drivers.intro", lang))
    if st.button(t("drivers.run", lang), key="drivers_run") or st.session_state.get("drivers_for") == active:
        st.session_state["drivers_for"] = active
        sens = cache.drivers(active)
        for chart, caption in (
            (charts.tornado(sens), t("drivers.tornado.caption", lang)),
            (charts.timeline_drivers(sens), None),
            (charts.sobol(sens), None),
            (charts.plan_wins(sens), None),
        ):
            if chart is not None:
                vega = charts.spec(chart)
                st.vega_lite_chart(vega, width="stretch", height=charts.display_height(vega))
                if caption:
                    st.caption(caption)
        st.markdown(f"**{t('drivers.flips', lang)}**")
        st.table(
            [
                {
                    t("drivers.flip.lever", lang): f.label,
                    t("drivers.flip.change", lang): f.change,
                    t("drivers.flip.plan", lang): f.plan_label or "—",
                }
                for f in sens.flips
            ]
        )
        if sens.flip_notes:
            st.markdown(f"**{t('drivers.flip.why', lang)}**")
            for n in sens.flip_notes:
                st.markdown(f"- {n.text}")
        st.caption(t("drivers.method", lang))

# --- downloads and sharing: the handover report -------------------------------------------------
st.subheader(t("ui.downloads", lang))
st.caption(t("ui.handover_help", lang))
# The notes are the consultant's, not part of the assessment's inputs: kept in the session (across pages and
# languages, as the form is) and never in the link. Streamlit forgets a widget's value while another page is
# shown, so the text also lives under NOTES and comes back from there; a scenario saves them as its notes.
NOTES, NOTES_WIDGET = state.NOTES, state.NOTES_WIDGET
if NOTES_WIDGET not in st.session_state:
    st.session_state[NOTES_WIDGET] = st.session_state.get(NOTES, "")
notes = st.text_area(
    t("ui.notes", lang), key=NOTES_WIDGET, help=t("ui.notes_help", lang), max_chars=4000, height=120
)
st.session_state[NOTES] = notes
link = state.share_link(active, st.context.url)
markdown, json_text = cache.downloads(rec, notes, link)
html = lambda: cache.html_report(rec, notes, link)  # noqa: E731 - its charts take half a second: made on click
# One button per format: (format, data, MIME type, help). The PDF and the HTML are made on click, in the
# download's own thread; where the PDF cannot be made, its column says why instead.
pdf_problem = pdf.problem()
formats = [
    ("pdf", lambda: cache.pdf(html()), "application/pdf", t("ui.download.pdf_help", lang)),
    ("html", html, "text/html", None),
    ("md", markdown, "text/markdown", None),
    ("json", json_text, "application/json", None),
]
for column, (ext, data, mime, help_text) in zip(st.columns(len(formats)), formats, strict=True):
    if ext == "pdf" and pdf_problem is not None:
        column.caption(message_text(pdf_problem, lang))
        continue
    column.download_button(
        t(f"ui.download.{ext}", lang),
        data,
        report_filename(rec, ext),
        mime,
        key=f"dl_{ext}",
        on_click="ignore",
        help=help_text,
    )
st.caption(t("ui.share", lang))
st.code(link, language=None, wrap_lines=True)
st.caption(
    t(
        "ui.method_line",
        lang,
        draws=rec.draws,
        seed=rec.seed,
        as_of=rec.as_of.isoformat(),
        assumptions=t("html.assumptions.bundled", lang) if rec.assumptions == "bundled" else rec.assumptions,
    )
)
