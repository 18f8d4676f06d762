"""假设与来源 Assumptions & evidence: every parameter, rule and article behind the numbers.

Render only: the assumption set (cached), the rules and the article registry are shown as they are;
the search boxes and filters only choose which rows to show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.cache import assumptions
from app.cards import published_text, short_cite, show_evidence
from app.i18n import catalog, t
from app.ui import cite, language_switch
from engine.assumptions import DatedValue, Param, Reference
from engine.profile import MODULES, Module
from engine.rules import RULES, Cite, Effect, Rule, describe_effect
from engine.sources import EARLIEST_EVIDENCE, SOURCES, parse_cite

lang = language_switch()
today = date.today()

st.title(t("ui.nav.evidence", lang))
st.caption(t("evidence.intro", lang))

GROUPS = (*(f"modules.{m}" for m in MODULES), "salaries", "adjustments", "objective")
REF_KINDS = ("seed", "url", "estimate")


def matches(query: str, *texts: str) -> bool:
    """Case-insensitive: every word of ``query`` occurs somewhere in ``texts``."""
    hay = " ".join(texts).casefold()
    return all(word in hay for word in query.casefold().split())


def search_box(key: str, hint: str) -> str:
    """The words a table's rows must contain (see :func:`matches`)."""
    return st.text_input(t("evidence.search", lang), key=key, placeholder=t(hint, lang))


def filter_box(
    label: str,
    options: tuple[str, ...],
    key: str,
    format_func: Callable[[str], str],
    where: DeltaGenerator | None = None,
) -> list[str]:
    """The values a table's rows must have in one column (in ``where``, a column, else the page); none chosen
    shows every row."""
    return (st if where is None else where).multiselect(
        t(label, lang), options, key=key, format_func=format_func, placeholder=t("evidence.all", lang)
    )


# --- parameters ------------------------------------------------------------------------------


def group_of(path: str) -> str:
    parts = path.split(".")
    return ".".join(parts[:2]) if parts[0] == "modules" else parts[0]


def group_label(group: str) -> str:
    file = "assumptions/" + group.replace(".", "/") + ".yaml"
    if group.startswith("modules."):
        module = group.split(".")[1]
        return f"{t(f'module.{module}.name', lang)} · {file}"
    return f"{t(f'evidence.group.{group}', lang)} · {file}"


def num(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.6g}"


def value_text(param: Param, v: DatedValue) -> str:
    if param.distribution == "fixed":
        return num(v.value)
    if param.distribution == "pert":
        return " / ".join(num(x) for x in (v.low, v.mode, v.high))
    return f"{num(v.low)} – {num(v.high)}"


def in_force(param: Param) -> str:
    try:
        return value_text(param, param.at(today))
    except ValueError:
        return "—"


def short_url(url: str) -> str:
    """``host/…/last-part`` for a long address (the link itself keeps the full URL)."""
    rest = url.split("://", 1)[-1].rstrip("/")
    parts = rest.split("/")
    return rest if len(rest) <= 40 or len(parts) < 3 else f"{parts[0]}/…/{parts[-1]}"


# Estimate reasons and notes are written in English in assumptions/*.yaml. The most frequent ones have
# catalog translations (evidence.text.*, found by their exact English); the others are shown as written,
# marked as the English source note in the Chinese UI.
TRANSLATED = {v: k for k, v in catalog("en").items() if k.startswith("evidence.text.")}


def source_text(text: str) -> str:
    """An English text from the assumption files, in the UI language where the catalog has it."""
    text = text.strip()
    if lang == "en" or not text:
        return text
    if text in TRANSLATED:
        return t(TRANSLATED[text], lang)
    return t("evidence.english_note", lang, text=text)


def reference_text(ref: Reference) -> str:
    if ref.seed:
        text = cite(ref.seed, lang)
    elif ref.url:
        link = f"[{ref.title or short_url(ref.url)}]({ref.url})"
        text = t(
            "evidence.ref.url", lang, link=link, accessed=ref.accessed.isoformat() if ref.accessed else "?"
        )
    else:
        text = t("evidence.ref.estimate", lang, reason=source_text(ref.estimate or ""))
    return f"{text} — {source_text(ref.note)}" if ref.note else text


def reference_search_text(ref: Reference) -> str:
    parts = [ref.seed or "", ref.url or "", ref.title or "", ref.estimate or "", ref.note or ""]
    if ref.seed:
        parts.append(parse_cite(ref.seed)[0].outlet)
    return " ".join(parts)


def bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines) if len(lines) > 1 else (lines[0] if lines else "—")


params = assumptions().params()
n_estimate_only = sum(all(r.kind == "estimate" for r in p.references) for _, p in params)
n_ref = {k: sum(r.kind == k for _, p in params for r in p.references) for k in REF_KINDS}

tab_params, tab_rules, tab_articles = st.tabs(
    [t("evidence.tab.assumptions", lang), t("evidence.tab.rules", lang), t("evidence.tab.articles", lang)]
)

with tab_params:
    st.markdown(
        t(
            "evidence.params.count",
            lang,
            total=len(params),
            estimate_only=n_estimate_only,
            seed=n_ref["seed"],
            url=n_ref["url"],
        )
    )
    st.caption(t("evidence.params.explain", lang))
    query = search_box("ev_param_q", "evidence.params.search_hint")
    col_group, col_kind = st.columns(2)
    groups = filter_box("evidence.params.group", GROUPS, "ev_param_group", group_label, col_group)
    kinds = filter_box(
        "evidence.params.ref_kind",
        REF_KINDS,
        "ev_param_kind",
        lambda k: t(f"evidence.ref_kind.{k}", lang),
        col_kind,
    )
    any_note = any(p.note for _, p in params)  # the column is shown only when some parameter has a note
    rows = []
    for path, param in params:
        if groups and group_of(path) not in groups:
            continue
        if kinds and not any(r.kind in kinds for r in param.references):
            continue
        if query and not matches(
            query,
            path,
            param.label.zh,
            param.label.en,
            param.note or "",
            *(reference_search_text(r) for r in param.references),
        ):
            continue
        dated = [
            t("evidence.value_from", lang, date=v.from_.isoformat(), value=value_text(param, v))
            for v in param.values
        ]
        rows.append(
            {
                t("evidence.col.parameter", lang): f"**{getattr(param.label, lang)}**  \n`{path}`",
                t("evidence.col.unit", lang): t(f"unit.{param.unit}", lang),
                t("evidence.col.distribution", lang): t(f"evidence.dist.{param.distribution}", lang),
                t("evidence.col.today", lang): in_force(param),
                t("evidence.col.values", lang): bullets(dated),
                t("evidence.col.references", lang): bullets([reference_text(r) for r in param.references]),
            }
        )
        if any_note:
            rows[-1][t("evidence.col.note", lang)] = source_text(param.note) if param.note else "—"
    st.caption(t("evidence.showing", lang, shown=len(rows), total=len(params)))
    if rows:
        st.table(rows, hide_index=True)
    else:
        st.info(t("evidence.no_match", lang))


# --- rules -----------------------------------------------------------------------------------


def effect_text(rule: Rule, e: Effect) -> str:
    delta = assumptions().effect(rule.id, e.module).mode_at(today) if e.fit else None
    parts = describe_effect(e, lang, delta)
    if not parts:
        parts.append(t("evidence.effect.describes", lang))
    module = t(f"module.{e.module}.name", lang)
    return t("evidence.effect_line", lang, module=module, effects=t("evidence.list_sep", lang).join(parts))


def holds_text(rule: Rule) -> str:
    start = rule.valid_from if rule.valid_from > EARLIEST_EVIDENCE else None
    end = rule.valid_until
    if start and end:
        return t("evidence.holds.between", lang, start=start.isoformat(), end=end.isoformat())
    if start:
        return t("evidence.holds.from", lang, start=start.isoformat())
    if end:
        return t("evidence.holds.until", lang, end=end.isoformat())
    return t("evidence.holds.always", lang)


def citation_text(c: Cite) -> str:
    text = cite(c.ref, lang)
    dates = []
    if c.holds_from:
        dates.append(t("evidence.cite.from", lang, date=c.holds_from.isoformat()))
    if c.holds_until:
        dates.append(t("evidence.cite.until", lang, date=c.holds_until.isoformat()))
    return f"{text} ({t('evidence.list_sep', lang).join(dates)})" if dates else text


def rule_modules(rule: Rule) -> set[Module]:
    return {e.module for e in rule.effects}


with tab_rules:
    n_warnings = sum(r.warning for r in RULES)
    st.markdown(t("evidence.rules.count", lang, total=len(RULES), warnings=n_warnings))
    st.caption(t("evidence.rules.explain", lang))
    rule_query = search_box("ev_rule_q", "evidence.rules.search_hint")
    module_filter = filter_box(
        "evidence.rules.module", MODULES, "ev_rule_module", lambda m: t(f"module.{m}.name", lang)
    )
    rule_rows, shown_rules = [], []
    for rule in RULES:
        if module_filter and not rule_modules(rule) & set(module_filter):
            continue
        if rule_query and not matches(
            rule_query,
            rule.id,
            *rule.label.values(),
            *rule.rationale.values(),
            *(c.ref for c in rule.sources),
            *(parse_cite(c.ref)[0].outlet for c in rule.sources),
        ):
            continue
        shown_rules.append(rule)
        badge = f" {t('evidence.warning_yes', lang)}" if rule.warning else ""
        rule_rows.append(
            {
                t(
                    "evidence.col.rule", lang
                ): f"**{rule.label[lang]}**{badge}  \n`{rule.id}`\n\n{rule.rationale[lang]}",
                t("evidence.col.effects", lang): bullets([effect_text(rule, e) for e in rule.effects]),
                t("evidence.col.holds", lang): holds_text(rule),
                t("evidence.col.citations", lang): bullets([citation_text(c) for c in rule.sources]),
            }
        )
    st.caption(t("evidence.showing", lang, shown=len(rule_rows), total=len(RULES)))
    if rule_rows:
        st.table(rule_rows, hide_index=True)
    else:
        st.info(t("evidence.no_match", lang))
    # The passage behind any citation of the rules shown: article, where to find it, the text itself.
    shown_cites = {c.ref: rule for rule in shown_rules for c in rule.sources}
    if shown_cites:
        st.subheader(t("evidence.passage.title", lang))
        picked = st.selectbox(
            t("evidence.passage.pick", lang),
            list(shown_cites),
            key="ev_passage",
            format_func=lambda ref: f"{shown_cites[ref].label[lang]} — {short_cite(ref, lang)}",
            help=t("evidence.passage.pick_help", lang),
        )
        if picked:
            with st.container(border=True, key="ev_passage_card"):
                show_evidence(picked, lang)


# --- articles --------------------------------------------------------------------------------

with tab_articles:
    st.markdown(t("evidence.articles.count", lang, total=len(SOURCES)))
    st.caption(t("evidence.articles.explain", lang))
    article_rows = []
    for source in sorted(SOURCES.values(), key=lambda s: s.published):
        n_rules = sum(any(parse_cite(c.ref)[0].file == source.file for c in r.sources) for r in RULES)
        n_params = sum(
            any(ref.seed and parse_cite(ref.seed)[0].file == source.file for ref in p.references)
            for _, p in params
        )
        article_rows.append(
            {
                t("evidence.col.title", lang): f"**{source.title}**  \n`{source.file}`",
                t("evidence.col.outlet", lang): source.outlet,
                t("evidence.col.published", lang): published_text(source, lang),
                t("evidence.col.rules_citing", lang): str(n_rules),
                t("evidence.col.params_citing", lang): str(n_params),
                t("evidence.col.lines", lang): str(source.lines),
                t("evidence.col.link", lang): t(
                    "evidence.link.open" if source.url else "evidence.link.search", lang, url=source.link
                ),
            }
        )
    st.table(article_rows, hide_index=True)
