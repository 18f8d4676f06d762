"""The app's only caching layer: assumptions loaded once per process, results cached by their inputs."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import streamlit as st
from altair.utils.schemapi import debug_mode

from app.state import AppState
from engine import model
from engine.assumptions import AssumptionSet, load
from engine.i18n import Lang
from engine.inputs import check_horizon, prepare
from engine.packs import Pack, load_pack
from engine.recommend import Analysis, analyse
from engine.recommendation import render
from engine.render import charts
from engine.render.html import to_html
from engine.render.markdown import to_markdown
from engine.result import Recommendation
from engine.sensitivity import Sensitivity, sensitivity

if TYPE_CHECKING:
    from engine.store import Scenario, ScenarioStore


@st.cache_resource(show_spinner=False)
def assumptions() -> AssumptionSet:
    """The bundled assumption set, loaded and validated once per server process."""
    return load()


class PackRegistry:
    """The assumption packs used lately in this server process, by digest (the address bar holds only the
    digest): a reload or a new tab of the same session's link finds its pack. At most ``size`` packs (each at
    most engine.packs.MAX_PACK_BYTES), the least recently used dropped first. A digest is a hash of the
    content, so only a link that names a pack can fetch it."""

    def __init__(self, size: int = 64) -> None:
        self._packs: OrderedDict[str, Pack] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def put(self, digest: str, pack: Pack) -> None:
        with self._lock:
            self._packs[digest] = pack
            self._packs.move_to_end(digest)
            while len(self._packs) > self._size:
                self._packs.popitem(last=False)

    def get(self, digest: str) -> Pack | None:
        with self._lock:
            pack = self._packs.get(digest)
            if pack is not None:
                self._packs.move_to_end(digest)
            return pack


@st.cache_resource(show_spinner=False)
def pack_registry() -> PackRegistry:
    return PackRegistry()


def assumptions_for(digest: str | None) -> AssumptionSet:
    """The assumption set of an assessment: the bundled one, or its pack's (checked and cached by content)."""
    if digest is None:
        return assumptions()
    from app.state import pack_of

    pack = pack_of(digest)
    if pack is None:  # app.state drops a pack it does not hold before anything is computed
        raise LookupError(f"assumption pack #{digest} is not held by this app")
    return load_pack(pack)


def active_assumptions() -> AssumptionSet:
    """The assumption set of the assessment on screen (for the pages that compute without an AppState key)."""
    from app.state import active

    return assumptions_for(active().pack)


def _key(state: AppState) -> str:
    """The inputs of an assessment as one hashable JSON string (plus today's date: "as of today" moves
    at midnight). The language is not an input: a result is simulated once and written in either."""
    o = state.options
    return json.dumps(
        {
            "profile": state.profile.model_dump(mode="json"),
            "as_of": o.as_of.isoformat() if o.as_of else None,
            "draws": o.draws,
            "seed": o.seed,
            "horizon": o.horizon_months,
            "overrides": state.overrides.active(),
            "pack": state.pack,
            "today": date.today().isoformat(),
        },
        sort_keys=True,
    )


@st.cache_resource(show_spinner=False)
def compiled() -> bool:
    """Load the compiled plan scorer once per server process: every assessment then scores its plans with it
    (the same figures as the array version, bit for bit, several times faster). False if it cannot load."""
    return model.load_kernel()


ANALYSES_KEPT = 6


# The simulations of the last few assessments, kept as they are (not copied: tens of MB each at 10,000 draws),
# so that writing a result in the other language, or the same inputs on another page, simulates nothing.
@st.cache_resource(show_spinner=False, max_entries=ANALYSES_KEPT)
def _analysis(key: str, plan: str | None) -> Analysis:
    compiled()
    k = json.loads(key)
    inputs = prepare(
        k["profile"],
        k["as_of"],
        k["draws"],
        k["seed"],
        plan,
        assumptions_for(k.get("pack")),
        "zh",
        k["overrides"],
    )
    return analyse(*inputs, k["draws"], k["seed"], horizon=check_horizon(k.get("horizon", 12)))


@st.cache_data(show_spinner=False, max_entries=256)
def _recommendation(key: str, plan: str | None, lang: Lang) -> Recommendation:
    return render(_analysis(key, plan), lang)


def recommendation(state: AppState) -> Recommendation:
    """The (cached) recommendation for an assessment, in its language."""
    return _recommendation(_key(state), None, state.lang)


# The Assess page's result charts, in the order drawn (the cash fan leads the page, the others follow).
RESULT_CHARTS: dict[str, Callable[[Recommendation], object]] = {
    "cashflow": charts.cashflow,
    "first_year": charts.first_year_distribution,
    "setup": lambda rec: charts.cost_breakdown(rec, "setup"),
    "monthly": lambda rec: charts.cost_breakdown(rec, "monthly"),
    "ramp": charts.ramp_timeline,
    "staffing": charts.staffing,
    "alternatives": charts.alternatives,
}


@st.cache_data(show_spinner=False, max_entries=64)
def _result_charts(key: str, lang: Lang) -> dict[str, dict | None]:
    rec = _recommendation(key, None, lang)
    # Altair checks every object against the schema as it is built (its debug mode), most of the build's time;
    # the finished specs are checked against the Vega-Lite schema in the tests (tests/test_charts.py).
    with debug_mode(False):
        built = {name: build(rec) for name, build in RESULT_CHARTS.items()}
    return {name: None if chart is None else charts.spec(chart) for name, chart in built.items()}


def result_charts(state: AppState) -> dict[str, dict | None]:
    """The Vega-Lite specs of the recommendation's charts (None where a chart has nothing to show), built once
    per result and language: a rerun of the page (a widget, a page left and opened again) draws them as kept."""
    return _result_charts(_key(state), state.lang)


def evaluation(state: AppState, plan: str | None) -> Recommendation:
    """The (cached) result of an assessment with a forced plan; ``None``: its recommendation. Raises the
    engine's InputError (a ValueError) for a plan it cannot evaluate."""
    return _recommendation(_key(state), plan, state.lang)


def downloads(rec: Recommendation, notes: str = "", link: str = "") -> tuple[str, str]:
    """Markdown and JSON of a result, the report with the consultant's notes and the link that reopens the
    assessment (milliseconds, so made with the page)."""
    return to_markdown(rec, notes=notes, link=link), rec.model_dump_json(indent=2)


def html_report(rec: Recommendation, notes: str = "", link: str = "") -> str:
    """The HTML report, as :func:`downloads` has the Markdown. Drawing its charts as SVG takes about half a
    second of CPU for a new result, so it is made when a download asks for it (engine.render.html keeps the
    charts it drew: the notes typed next cost milliseconds)."""
    return to_html(rec, notes=notes, link=link)


@st.cache_data(show_spinner=False, max_entries=16)
def pdf(html: str) -> bytes:
    """The HTML report laid out as PDF (seconds of work: made when the button is pressed, then cached).
    Raises ``engine.errors.PdfUnavailable`` where the machine lacks Pango or the CJK fonts."""
    from engine.render.pdf import html_to_pdf

    return html_to_pdf(html)


# --- scenario store and scenario results (the Scenarios and Compare pages) -------------------------
# engine.store (SQLAlchemy) is imported on first use only, so the Assess page never pays for it.


@st.cache_resource(show_spinner=False)
def _store(url: str) -> ScenarioStore:
    from engine.store import ScenarioStore

    return ScenarioStore(url)


def store() -> ScenarioStore:
    """The scenario store at the URL in force (``WXPLAN_DATABASE_URL``, else the default SQLite file),
    opened (and migrated) once per URL and process. Raises ``StoreError`` if it cannot be opened."""
    from engine.store import resolve_url

    return _store(resolve_url())


SCENARIO_INPUTS = {
    "profile",
    "overrides",
    "as_of",
    "seed",
    "draws",
    "plan",
    "assumptions",
    "horizon_months",
    "levels",
}


@st.cache_data(show_spinner=False, max_entries=256)
def _scenario_result(inputs_json: str, lang: str, today: str) -> Recommendation:
    from engine.store import Scenario, run

    del today  # only part of the cache key: "as of today" moves at midnight
    scenario = Scenario.model_validate({**json.loads(inputs_json), "name": "-"})
    # its own pack (engine.store.run loads it), else the bundled set loaded once per process
    bundled = assumptions() if scenario.assumptions is None else None
    return run(scenario, lang, assumptions=bundled)  # type: ignore[arg-type]


def scenario_result(scenario: Scenario, lang: str) -> Recommendation:
    """The (cached) result of a scenario, keyed by its inputs only (not its name, notes or timestamps)."""
    inputs = scenario.model_dump_json(include=SCENARIO_INPUTS)
    return _scenario_result(inputs, lang, date.today().isoformat())


@st.cache_data(show_spinner=False, max_entries=32)
def _drivers(key: str, lang: Lang) -> Sensitivity:
    k = json.loads(key)
    return sensitivity(
        k["profile"],
        as_of=k["as_of"],
        draws=k["draws"],
        seed=k["seed"],
        assumptions=assumptions_for(k.get("pack")),
        lang=lang,
        overrides=k["overrides"],
    )


def drivers(state: AppState) -> Sensitivity:
    """What drives the answer for an assessment (seconds of work, so computed on request and cached)."""
    return _drivers(_key(state), state.lang)
