"""批量 Batch: a service provider uploads a lead list (CSV) and gets a first recommendation for every lead —
counts, charts over the list, the table lead by lead and the result CSV. The work is in ``app.leadbatch``;
the scored result stays in the session, so redrawing the page (another language, a widget changed) never
scores again: only the button does."""

from __future__ import annotations

import streamlit as st

from app import cache, leadbatch, packui
from app.i18n import t
from app.state import safe_text
from app.ui import language_switch
from engine.batch import BATCH_DRAWS
from engine.errors import AssumptionError, InputError, LeadFileError
from engine.inputs import MAX_DRAWS, MIN_DRAWS
from engine.leads import OUTPUT_COLUMNS
from engine.render import charts
from engine.resources import data_dir
from engine.sources import EARLIEST_EVIDENCE

EXAMPLE = data_dir("examples") / "leads.csv"
RESULT = "bt_result"  # the last scored list (leadbatch.BatchResult)
ERROR = "bt_error"  # (catalog key, message): why the last press of the button gave no result
STYLED_ROWS = 5_000  # up to this many rows, rows with an error are shaded red in the table
NUMBER_FORMATS = {c: "{:,.0f}" for c in OUTPUT_COLUMNS if "_cny_" in c} | {
    "operational_weeks_p50": "{:.1f}",
    "steady_state_weeks_p50": "{:.1f}",
    "win_probability": "{:.1%}",
    "payback_months_p50": "{:.0f}",
    "payback_probability": "{:.1%}",
}

ss = st.session_state
lang = language_switch()
st.title(t("ui.nav.batch", lang))
st.caption(t("batchpage.intro", lang))
packui.indicator(lang)  # the batch is scored on the assumption set in use

st.download_button(
    t("batchpage.template", lang),
    EXAMPLE.read_bytes(),
    EXAMPLE.name,
    "text/csv",
    key="bt_template",
    help=t("batchpage.template_help", lang),
    on_click="ignore",
    icon=":material/download:",
)
st.file_uploader(
    t("batchpage.file", lang),
    type=["csv", "tsv", "txt"],
    key="bt_file",
    help=t("batchpage.file_help", lang),
    on_change=lambda: ss.pop(ERROR, None),  # a message about another file would mislead
)
problem = st.container()  # file-level problems, right under the uploader
c1, c2, c3 = st.columns(3)
c1.number_input(t("ui.draws", lang), min_value=MIN_DRAWS, max_value=MAX_DRAWS, value=BATCH_DRAWS, step=500,
                key="bt_draws", help=t("ui.draws_help", lang))  # fmt: skip
c2.number_input(t("ui.seed", lang), min_value=0, max_value=2**32 - 1, value=0, step=1, key="bt_seed",
                help=t("ui.seed_help", lang))  # fmt: skip
c3.date_input(t("ui.as_of", lang), value="today", min_value=EARLIEST_EVIDENCE, key="bt_as_of",
              format="YYYY-MM-DD", help=t("ui.as_of_help", lang))  # fmt: skip


def score() -> None:
    """Score the uploaded file with the options shown; the result or the reason there is none goes to the
    session."""
    ss.pop(ERROR, None)
    upload = ss.get("bt_file")
    if upload is None:
        ss[ERROR] = ("batchpage.no_file", "")
        return
    bar = st.progress(0.0, text=t("batchpage.progress", lang, done=0, total="…"))

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0) if total else 1.0,
                     text=t("batchpage.progress", lang, done=f"{done:,}", total=f"{total:,}"))  # fmt: skip

    try:
        ss[RESULT] = leadbatch.score(
            upload.getvalue(),
            upload.name,
            as_of=ss.get("bt_as_of"),
            draws=int(ss.get("bt_draws") or BATCH_DRAWS),
            seed=int(ss.get("bt_seed") or 0),
            lang=lang,
            progress=progress,
            assumptions=cache.active_assumptions(),
        )
    except LeadFileError as err:
        fail("batchpage.error.file", err)
    except (InputError, AssumptionError) as err:
        fail("batchpage.error.options", err)
    except Exception as err:  # never a traceback: say what went wrong
        fail("batchpage.error.failed", f"{type(err).__name__}: {err}")
    finally:
        bar.empty()


def fail(key: str, message: object) -> None:
    ss[ERROR] = (key, message)  # shown in the language of the page drawn (leadbatch.file_error_text)
    ss.pop(RESULT, None)  # the results of an earlier file would read as this file's


if st.button(t("batchpage.run", lang), type="primary", key="bt_run", icon=":material/play_arrow:"):
    score()
if ERROR in ss:
    key, message = ss[ERROR]
    detail = leadbatch.file_error_text(message, lang) if message else ""
    text = t(key, lang, message=safe_text(detail, 1200)) if detail else t(key, lang)
    problem.error(text, icon="⚠️")


def show(result: leadbatch.BatchResult) -> None:
    summary = result.summary
    st.divider()
    st.subheader(t("batchpage.results", lang))
    st.caption(
        t("batchpage.results_for", lang, file=safe_text(result.file_name, 80), draws=f"{result.draws:,}",
          seed=result.seed, as_of=result.as_of.isoformat())
    )  # fmt: skip
    c1, c2, c3 = st.columns(3)
    c1.metric(t("batchpage.metric.rows", lang), f"{summary.rows:,}")
    c2.metric(t("batchpage.metric.scored", lang), f"{summary.scored:,}")
    c3.metric(t("batchpage.metric.errors", lang), f"{summary.errors:,}")
    if summary.rows == 0:
        st.info(t("batchpage.no_rows", lang))
        return
    if summary.errors:
        st.warning(t("batchpage.errors_note", lang, count=f"{summary.errors:,}"))
    # Two files: one for people, in the page's language (headers, verdicts and errors in words), and the
    # machine form with codes, exactly as `wxplan batch` writes it, for scripts and for reading back.
    c1, c2 = st.columns(2)
    c1.download_button(
        t("batchpage.download", lang),
        leadbatch.readable_csv(result, lang),
        leadbatch.download_name(result, lang),
        "text/csv",
        key="bt_download",
        help=t("batchpage.download_help", lang),
        on_click="ignore",
        icon=":material/download:",
        type="primary",
    )
    c2.download_button(
        t("batchpage.download_codes", lang),
        leadbatch.download_csv(result, lang),
        leadbatch.download_name(result),
        "text/csv",
        key="bt_download_codes",
        help=t("batchpage.download_codes_help", lang),
        on_click="ignore",
        icon=":material/data_object:",
    )

    st.subheader(t("batchpage.charts", lang))
    plans = {leadbatch.plan_of(code): n for code, n in summary.plans.items()}
    for chart in (
        charts.batch_plans(plans, summary.errors, lang, result.as_of),
        charts.batch_first_year(leadbatch.first_year_p50(result), lang),
        charts.batch_adoption(leadbatch.verdict_counts(result), lang, result.as_of),
    ):
        if chart is not None:
            vega = charts.spec(chart)
            st.vega_lite_chart(vega, width="stretch", height=charts.display_height(vega))

    st.subheader(t("batchpage.table", lang))
    only_errors = summary.errors > 0 and st.toggle(t("batchpage.only_errors", lang), key="bt_only_errors")
    links = leadbatch.assess_links(result, lang, app_address())
    frame = leadbatch.table(result, lang, only_errors=only_errors, links=links)
    bad = {i + 1 for i, ok in enumerate(result.scored()) if not ok}
    data = frame
    if bad and len(frame) <= STYLED_ROWS:  # a Styler's text replaces the column formats: give the same
        formats = {name: fmt for column, fmt in NUMBER_FORMATS.items()
                   if (name := t(f"batchpage.col.{column}", lang)) in frame.columns}  # fmt: skip
        data = frame.style.apply(
            lambda row: ["background-color: #fde2e1" if row.name in bad else ""] * len(row), axis=1
        ).format(formats, na_rep="")
    st.dataframe(
        data, width="stretch", column_config=column_config(frame, wide_errors=bool(bad)), placeholder="—"
    )


def app_address() -> str | None:
    """The app's own address (this page's, without its ``/batch``): where the Assess page is."""
    url = st.context.url
    if not url:
        return None
    url = url.split("?", 1)[0].rstrip("/")
    return url.removesuffix("/batch")


def column_config(frame, wide_errors: bool) -> dict:
    """Numbers as numbers (CNY with separators, weeks to a tenth, the win chance in %), the error column
    wide when there are errors, the lead's first column pinned while scrolling sideways."""
    number = st.column_config.NumberColumn
    formats = {
        "win_probability": number(format="percent"),
        "payback_probability": number(format="percent"),
        "error": st.column_config.TextColumn(width="large" if wide_errors else "small"),
    }
    config = {
        t("batchpage.col.open", lang): st.column_config.LinkColumn(
            display_text=t("batchpage.open_text", lang), help=t("batchpage.open_help", lang)
        )
    }
    for column in OUTPUT_COLUMNS:
        name = t(f"batchpage.col.{column}", lang)
        if "_cny_" in column:
            config[name] = number(format="localized")
        elif column.endswith("_weeks_p50"):
            config[name] = number(format="%.1f")
        elif column in formats:
            config[name] = formats[column]
    if len(frame.columns):
        config[frame.columns[0]] = st.column_config.Column(pinned=True)
    return config


if RESULT in ss:
    show(ss[RESULT])
