"""方案库 Scenarios: saved assessments — save the current one, list, open into Assess, rename, duplicate,
delete (after confirming), import and export. The store does the work; every error it raises is a message."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from pydantic import ValidationError
from streamlit.delta_generator import DeltaGenerator

from app import cache, packui, state
from app.i18n import t
from app.ui import language_switch, profile_summary
from engine.errors import InvalidScenario, ScenarioExists, ScenarioNotFound, StoreError
from engine.packs import check_pack
from engine.store import (
    NAME_MAX,
    Scenario,
    export_scenario,
    scenario_problems,
)

ASSESS = Path(__file__).with_name("assess.py")
# Session keys of this page. Messages are kept as (catalog key, values) and translated when shown.
FLASH = "sc_flash"  # (kind, key, values): the outcome of the last action, shown once
ERRORS = "sc_errors"  # {widget key: (key, values)}: a problem shown next to that widget
CONFLICT = "sc_conflict"  # the name a save ran into: offer to overwrite it
CONFIRM = "sc_confirm_delete"  # the scenario whose deletion waits for a confirmation
OPEN = "sc_open"  # set by "Open in Assess": switch pages on the next run
IMPORTS = "sc_import_n"  # bumped after an import, which gives a fresh (empty) file uploader

ss = st.session_state
lang = language_switch()
if ss.pop(OPEN, False):
    st.switch_page(ASSESS, query_params=state.to_query(state.active()))


def q(value: object, limit: int = 200) -> str:
    """A user-supplied value made safe for Markdown."""
    return state.safe_text(value, limit)


def say(key: str, values: dict) -> str:
    return t(key, lang, **{k: q(v, 400) for k, v in values.items()})


def problem(err: StoreError) -> tuple[str, dict]:
    if isinstance(err, ScenarioExists):
        return "scenarios.error.taken", {"name": err.name}
    if isinstance(err, ScenarioNotFound):
        return "scenarios.error.not_found", {"name": err.name}
    if isinstance(err, InvalidScenario):
        return "scenarios.error.invalid", {"problems": "; ".join(err.problems)}
    return "scenarios.error.store", {"message": str(err)}


def errors() -> dict:
    return ss.setdefault(ERRORS, {})


def show_error(key: str) -> None:
    if key in errors():
        st.error(say(*errors()[key]), icon="⚠️")


def flash(kind: str, key: str, **values: object) -> None:
    ss[FLASH] = (kind, key, values)


def new_action() -> None:
    """Every action starts afresh: a problem (or an offer to overwrite) left by an earlier one no longer
    applies, and would read as this action's."""
    ss[ERRORS] = {}
    ss.pop(CONFLICT, None)


# --- actions (button callbacks: they run before the page is drawn again) --------------------------


def save_current(overwrite: bool) -> None:
    new_action()
    name = (ss.get("sc_name") or "").strip()
    if not name:
        errors()["sc_name"] = ("scenarios.error.name_required", {})
        return
    current = state.active()
    try:
        scenario = Scenario(
            name=name,
            notes=ss.get("sc_notes") or "",
            profile=current.profile,
            overrides=current.overrides,
            as_of=current.options.as_of,
            seed=current.options.seed,
            draws=current.options.draws,
            horizon_months=current.options.horizon_months,
            plan=None,  # the Assess page never forces a plan
            assumptions=state.active_pack(),
        )
        cache.store().save(scenario, overwrite=overwrite)
    except ValidationError as err:
        errors()["sc_name"] = ("scenarios.error.invalid", {"problems": "; ".join(scenario_problems(err))})
        return
    except ScenarioExists:
        errors()["sc_name"] = ("scenarios.error.exists", {"name": name})
        ss[CONFLICT] = name
        return
    except StoreError as err:
        errors()["sc_name"] = problem(err)
        return
    flash("success", "scenarios.overwritten" if overwrite else "scenarios.saved", name=name)
    ss["sc_name"] = ""
    ss["sc_notes"] = ""


def open_in_assess(name: str) -> None:
    new_action()
    try:
        scenario = cache.store().get(name)
    except StoreError as err:
        flash("error", *problem(err))
        return
    pack = None
    if scenario.assumptions is not None:  # its assumption pack comes back with it, if it still passes
        problems = check_pack(scenario.assumptions)
        if problems:
            flash(
                "error",
                "pack.error.stored",
                message="; ".join(p.text(state.current_lang()) for p in problems),
            )
            return
        pack = state.remember_pack(scenario.assumptions)
    ss.pop(state.PACK_MISSING, None)
    ss[state.NOTES] = scenario.notes  # its notes come back as the handover report's
    ss.pop(state.NOTES_WIDGET, None)
    opened = state.AppState(
        profile=scenario.profile,
        lang=state.current_lang(),
        options=state.Options(
            as_of=scenario.as_of,
            draws=scenario.draws,
            seed=scenario.seed,
            horizon_months=scenario.horizon_months or 12,
        ),
        overrides=scenario.overrides,
        pack=pack,
    )
    state.load_widgets(opened)
    state.activate(opened)
    ss[state.URL_PROBLEMS] = ()
    ss[OPEN] = True


def _to_new_name(action: str, name: str, done: str) -> None:
    """Rename or duplicate ``name`` to the name typed in its field; errors stay beside that field."""
    key = f"sc_{action}:{name}"
    new_action()
    new = (ss.get(key) or "").strip()
    if not new:
        errors()[key] = ("scenarios.error.name_required", {})
        return
    try:
        getattr(cache.store(), action)(name, new)
    except StoreError as err:
        errors()[key] = problem(err)
        return
    flash("success", done, old=name, new=new)


def rename(old: str) -> None:
    _to_new_name("rename", old, "scenarios.renamed")


def duplicate(name: str) -> None:
    _to_new_name("duplicate", name, "scenarios.duplicated")


def ask_delete(name: str) -> None:
    new_action()
    ss[CONFIRM] = name


def cancel_delete() -> None:
    new_action()
    ss.pop(CONFIRM, None)


def delete(name: str) -> None:
    new_action()
    ss.pop(CONFIRM, None)
    try:
        cache.store().delete(name)
    except StoreError as err:
        flash("error", *problem(err))
        return
    flash("success", "scenarios.deleted", name=name)


def import_file() -> None:
    new_action()
    upload = ss.get(f"sc_import_{ss.get(IMPORTS, 0)}")
    if upload is None:
        errors()["sc_import"] = ("scenarios.import.choose", {})
        return
    file = upload.name
    try:
        data = json.loads(upload.getvalue().decode("utf-8-sig"))
        scenario = cache.store().import_(data, overwrite=bool(ss.get("sc_import_overwrite")))
    except UnicodeDecodeError:
        errors()["sc_import"] = ("scenarios.import.not_utf8", {"file": file})
        return
    except json.JSONDecodeError as err:
        where = f"{err.msg} (line {err.lineno}, column {err.colno})"
        errors()["sc_import"] = ("scenarios.import.not_json", {"file": file, "message": where})
        return
    except InvalidScenario as err:
        errors()["sc_import"] = (
            "scenarios.import.invalid",
            {"file": file, "problems": "; ".join(err.problems)},
        )
        return
    except ScenarioExists as err:
        errors()["sc_import"] = ("scenarios.import.exists", {"name": err.name})
        return
    except StoreError as err:
        errors()["sc_import"] = problem(err)
        return
    ss[IMPORTS] = ss.get(IMPORTS, 0) + 1
    flash("success", "scenarios.imported", name=scenario.name)


# --- the page ------------------------------------------------------------------------------------

st.title(t("ui.nav.scenarios", lang))
st.caption(t("scenarios.intro", lang))
try:
    store = cache.store()
    scenarios = store.list()
except StoreError as err:
    st.error(t("scenarios.store_error", lang, message=q(err, 400)))
    st.stop()
st.caption(t("scenarios.database", lang, url=q(store.display_url, 300)))

if FLASH in ss:
    kind, key, values = ss.pop(FLASH)
    (st.success if kind == "success" else st.error)(say(key, values))

# Save the current assessment.
current = state.active()
st.subheader(t("scenarios.save.title", lang))
st.caption(
    t("scenarios.save.current", lang, summary=profile_summary(current.profile, lang))
    + "  \n"
    + t("scenarios.save.hint", lang)
)
packui.indicator(lang)  # the assumption pack in use is saved with the scenario
if "sc_notes" not in ss:  # the notes written for the handover report are the scenario's notes
    ss["sc_notes"] = ss.get(state.NOTES, "")
with st.form("sc_save_form"):
    st.text_input(
        t("scenarios.name", lang), key="sc_name", max_chars=NAME_MAX, help=t("scenarios.name_help", lang)
    )
    show_error("sc_name")
    st.text_area(t("scenarios.notes", lang), key="sc_notes", help=t("scenarios.notes_help", lang), height=80)
    st.form_submit_button(
        t("scenarios.save.button", lang), type="primary", on_click=save_current, args=(False,), key="sc_save"
    )
    if ss.get(CONFLICT):
        st.form_submit_button(
            t("scenarios.save.overwrite", lang, name=q(ss[CONFLICT], 60)),
            on_click=save_current,
            args=(True,),
            key="sc_overwrite",
        )


def options_line(scenario: Scenario) -> str:
    as_of = scenario.as_of.isoformat() if scenario.as_of else t("scenarios.as_of_today", lang)
    lines = [
        profile_summary(scenario.profile, lang),
        t(
            "scenarios.options",
            lang,
            as_of=as_of,
            draws=f"{scenario.draws:,}",
            seed=scenario.seed,
            horizon=scenario.horizon_months or 12,
        ),
    ]
    if scenario.levels:
        listed = ", ".join(
            f"{t(f'module.{m}.name', lang)} {t('level.' + level, lang)}"
            for m, level in scenario.levels.items()
        )
        lines.append(t("scenarios.forced_levels", lang, levels=listed))
    if active := scenario.overrides.active():
        listed = ", ".join(f"{t(f'ui.override.{k}', lang)} ×{v:g}" for k, v in active.items())
        lines.append(t("scenarios.overrides", lang, overrides=q(listed, 300)))
    if scenario.plan:
        lines.append(t("scenarios.forced_plan", lang, plan=q(scenario.plan, 200)))
    if scenario.assumptions is not None:
        pack = scenario.assumptions
        lines.append(t("scenarios.pack", lang, name=q(pack.name, 80), digest=pack.digest[:8]))
    return "  \n".join(lines)


def act(
    label: str,
    key: str,
    on_click: Callable[[str], None],
    name: str,
    where: DeltaGenerator | None = None,
    **options: Any,
) -> None:
    """A button (in ``where``, a column, else the page) that runs ``on_click(name)`` on the scenario ``name``;
    its widget key is ``<key>:<name>``."""
    (st if where is None else where).button(
        t(label, lang), key=f"{key}:{name}", on_click=on_click, args=(name,), **options
    )


def file_name(name: str) -> str:
    stem = re.sub(r"[^\w\-]+", "_", name).strip("_") or "scenario"
    return f"wxplan-{stem[:60]}.json"


# The list, most recently changed first.
st.subheader(t("scenarios.list.title", lang, count=len(scenarios)))
if not scenarios:
    st.info(t("scenarios.list.empty", lang))
for scenario in scenarios:
    name = scenario.name
    with st.container(border=True):
        st.markdown(f"#### {q(name)}")
        st.caption(
            t(
                "scenarios.updated",
                lang,
                updated=scenario.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
                created=scenario.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        )
        if scenario.notes:
            st.markdown(q(scenario.notes, 600))
        st.caption(options_line(scenario))
        c1, c2, c3 = st.columns(3)
        act("scenarios.open", "sc_open", open_in_assess, name, c1, type="primary", icon=":material/open_in_new:",
            width="stretch")  # fmt: skip
        c2.download_button(
            t("scenarios.export", lang),
            json.dumps(export_scenario(scenario), ensure_ascii=False, indent=2),
            file_name(name),
            "application/json",
            key=f"sc_export:{name}",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )
        act("scenarios.delete.button", "sc_delete", ask_delete, name, c3, icon=":material/delete:",
            width="stretch")  # fmt: skip
        if ss.get(CONFIRM) == name:
            st.warning(t("scenarios.delete.confirm", lang, name=q(name)))
            d1, d2 = st.columns(2)
            act("scenarios.delete.yes", "sc_delete_yes", delete, name, d1, type="primary", width="stretch")
            d2.button(
                t("scenarios.delete.cancel", lang), key=f"sc_delete_no:{name}", on_click=cancel_delete,
                width="stretch",
            )  # fmt: skip
        renaming, duplicating = f"sc_rename:{name}", f"sc_duplicate:{name}"
        with st.expander(
            t("scenarios.manage", lang), expanded=renaming in errors() or duplicating in errors()
        ):
            st.text_input(t("scenarios.rename.new", lang), value=name, key=renaming, max_chars=NAME_MAX)
            show_error(renaming)
            act("scenarios.rename.button", "sc_rename_btn", rename, name)
            st.text_input(
                t("scenarios.duplicate.new", lang),
                value=t("scenarios.duplicate.default", lang, name=name)[:NAME_MAX],
                key=duplicating,
                max_chars=NAME_MAX,
            )
            show_error(duplicating)
            act("scenarios.duplicate.button", "sc_duplicate_btn", duplicate, name)

# Import an exported scenario.
st.subheader(t("scenarios.import.title", lang))
st.file_uploader(
    t("scenarios.import.file", lang),
    type=["json"],
    key=f"sc_import_{ss.get(IMPORTS, 0)}",
    help=t("scenarios.import.help", lang),
)
st.checkbox(t("scenarios.import.overwrite", lang), key="sc_import_overwrite")
st.button(t("scenarios.import.button", lang), key="sc_import", on_click=import_file, icon=":material/upload:")
show_error("sc_import")
