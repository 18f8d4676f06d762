"""URL and session state of the app, in one typed place.

The whole assessment lives in readable query parameters whose keys are the profile's field names
(lists comma-separated), plus ``lang``, the consultant options (``as_of``, ``draws``, ``seed``) and the
overrides (``salary``, ``saas``, ``promotion``, ``returns``). Parsing is a pure function: a bad or hostile value
becomes a visible warning and the default, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from engine.errors import profile_problems
from engine.i18n import DEFAULT_LANG, LANGS, Lang
from engine.overrides import Overrides
from engine.presets import DEFAULT_PRESET, preset
from engine.profile import FIELD_CHOICES, MerchantProfile
from engine.recommend import MAX_DRAWS, MIN_DRAWS
from engine.sources import EARLIEST_EVIDENCE
from engine.text import clip

PROFILE_KEYS: tuple[str, ...] = tuple(MerchantProfile.model_fields)
LIST_KEYS = ("shelf_platforms", "existing_modules")
OPTIONAL_KEYS: tuple[str, ...] = tuple(
    n for n, f in MerchantProfile.model_fields.items() if f.default is None
)
OVERRIDE_KEYS: tuple[str, ...] = tuple(Overrides.model_fields)
OPTION_KEYS = ("as_of", "draws", "seed")
DEFAULT_DRAWS = 10_000
MAX_PARAM_CHARS = 200
MAX_INT_DIGITS = 20  # digits of the longest whole number a link may carry (a seed has at most 10)


@dataclass(frozen=True)
class Options:
    """Consultant options: evaluation date (None = today), Monte Carlo draws and seed."""

    as_of: date | None = None
    draws: int = DEFAULT_DRAWS
    seed: int = 0


@dataclass(frozen=True)
class AppState:
    """One assessment: the profile values, language, options and overrides, and what was wrong in the URL."""

    profile: MerchantProfile
    lang: Lang = DEFAULT_LANG
    options: Options = field(default_factory=Options)
    overrides: Overrides = field(default_factory=Overrides)
    problems: tuple[tuple[str, str], ...] = ()
    from_url: bool = False  # the URL carried profile fields: render that result directly


def default_state(lang: Lang = DEFAULT_LANG) -> AppState:
    return AppState(profile=preset(DEFAULT_PRESET), lang=lang)


def safe_text(value: object, limit: int = 60) -> str:
    """A user-supplied value made safe to show inside Markdown: shortened, control and markup characters
    neutralised (Streamlit never renders raw HTML here; this also stops links and emphasis)."""
    text = str(value)
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    if len(text) > limit:
        text = text[:limit] + "…"
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$])", r"\\\1", text)


def _first(value: object) -> str:
    """The value of a parameter given once or several times (the last wins); a parameter given without
    any value is empty."""
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else str(value)


def _whole_number(raw: str) -> int | None:
    """``raw`` as a non-negative whole number written in ASCII digits, or None. ``str.isdigit`` also
    accepts superscripts such as ``²`` (which ``int`` refuses), and a 5000-digit number is not a count."""
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_INT_DIGITS:
        return int(text)
    return None


def _parse_value(key: str, raw: str) -> Any:
    """Turn one query-string value into what the profile field expects (validation comes after)."""
    if key in LIST_KEYS:
        return [part.strip() for part in raw.split(",") if part.strip()]
    if key == "city_tier":
        number = _whole_number(raw)
        return raw if number is None else number
    if key in OPTIONAL_KEYS and raw.strip() == "":
        return None
    return raw


def parse_query(params: Mapping[str, str | list[str]]) -> AppState:
    """Read an assessment from query parameters; anything invalid is reported and left at its default."""
    problems: list[tuple[str, str]] = []
    lang_raw = _first(params.get("lang", DEFAULT_LANG))
    lang: Lang = lang_raw if lang_raw in LANGS else DEFAULT_LANG  # type: ignore[assignment]
    if lang_raw not in LANGS:
        problems.append(("lang", f"'{clip(lang_raw)}' is not one of {', '.join(LANGS)}"))

    base = preset(DEFAULT_PRESET).model_dump()
    given: dict[str, Any] = {}
    for key, value in params.items():
        raw = _first(value)
        if key in ("lang", *OPTION_KEYS, *OVERRIDE_KEYS):
            continue
        if key not in PROFILE_KEYS:
            problems.append((key, "is not a parameter wxplan knows; ignored"))
            continue
        if len(raw) > MAX_PARAM_CHARS:
            problems.append((key, f"is longer than {MAX_PARAM_CHARS} characters; ignored"))
            continue
        given[key] = _parse_value(key, raw)

    values = {**base, **given}
    try:
        profile = MerchantProfile.model_validate(values)
    except ValidationError as exc:
        bad = set()
        for name, message in profile_problems(exc):
            bad.add(name)
            problems.append((name, message))
        try:
            profile = MerchantProfile.model_validate(
                {k: v for k, v in values.items() if k not in bad} | {k: base[k] for k in bad if k in base}
            )
        except ValidationError:  # a problem not tied to one field: the whole default profile
            profile = MerchantProfile.model_validate(base)

    options, option_problems = _parse_options(params)
    overrides, override_problems = _parse_overrides(params)
    return AppState(
        profile=profile,
        lang=lang,
        options=options,
        overrides=overrides,
        problems=tuple(problems + option_problems + override_problems),
        from_url=bool(given),
    )


def _parse_options(params: Mapping[str, str | list[str]]) -> tuple[Options, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    as_of = None
    if "as_of" in params and _first(params["as_of"]).strip():
        raw = _first(params["as_of"])
        try:
            as_of = date.fromisoformat(raw)
            if as_of < EARLIEST_EVIDENCE:
                problems.append(
                    ("as_of", f"is before the earliest evidence ({EARLIEST_EVIDENCE}); today is used")
                )
                as_of = None
        except ValueError:
            problems.append(("as_of", f"'{clip(raw)}' is not a date of the form YYYY-MM-DD; today is used"))
    draws = _int_param(params, "draws", DEFAULT_DRAWS, MIN_DRAWS, MAX_DRAWS, problems)
    seed = _int_param(params, "seed", 0, 0, 2**32 - 1, problems)
    return Options(as_of=as_of, draws=draws, seed=seed), problems


def _int_param(
    params: Mapping[str, str | list[str]], key: str, default: int, low: int, high: int, problems: list
) -> int:
    if key not in params:
        return default
    raw = _first(params[key]).strip()
    number = _whole_number(raw)
    if number is not None and low <= number <= high:
        return number
    problems.append((key, f"'{clip(raw)}' must be a whole number from {low} to {high}; {default} is used"))
    return default


def _parse_overrides(params: Mapping[str, str | list[str]]) -> tuple[Overrides, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    values: dict[str, float] = {}
    for key in OVERRIDE_KEYS:
        if key not in params:
            continue
        raw = _first(params[key])
        try:
            values[key] = float(raw)
            Overrides.model_validate({key: values[key]})
        except (ValueError, ValidationError):
            values.pop(key, None)
            problems.append((key, f"'{clip(raw)}' is not an allowed multiplier; 1 is used"))
    return Overrides.model_validate(values), problems


def to_query(state: AppState) -> dict[str, str]:
    """The readable query parameters of an assessment (every profile field, so a link is complete)."""
    out: dict[str, str] = {"lang": state.lang}
    for key, value in state.profile.model_dump().items():
        if key in LIST_KEYS:
            out[key] = ",".join(value)
        elif value is None:
            continue
        elif isinstance(value, float) and value.is_integer():
            out[key] = str(int(value))
        else:
            out[key] = str(value)
    if state.options.as_of is not None:
        out["as_of"] = state.options.as_of.isoformat()
    if state.options.draws != DEFAULT_DRAWS:
        out["draws"] = str(state.options.draws)
    if state.options.seed != 0:
        out["seed"] = str(state.options.seed)
    for key, value in state.overrides.active().items():
        out[key] = f"{value:g}"
    return out


# --- session (Streamlit) -------------------------------------------------------------------------
# Widget keys: "f_<field>" for profile fields ("f_<field>.<lang>" for fields chosen from a list, whose
# option labels are translated), "o_<option>" for options and overrides.

ACTIVE = "wx_active"  # the AppState the result shows
URL_PROBLEMS = "wx_url_problems"
FIELD_ERRORS = "wx_field_errors"
LANG = "wx_lang"


def _st():  # imported lazily: the pure functions above never need Streamlit
    import streamlit as st

    return st


def current_lang() -> Lang:
    """The UI language: the session's choice, else the URL's ``lang``, else Chinese."""
    st = _st()
    if LANG not in st.session_state:
        raw = st.query_params.get("lang", DEFAULT_LANG)
        st.session_state[LANG] = raw if raw in LANGS else DEFAULT_LANG
    return st.session_state[LANG]


def widget_key(field: str, lang: Lang | None = None) -> str:
    """Session key of a profile field's widget; choice widgets get one per language so that their
    translated option labels are rebuilt when the language changes."""
    if field in FIELD_CHOICES:
        return f"f_{field}.{lang or current_lang()}"
    return f"f_{field}"


def set_lang(lang: Lang) -> None:
    st = _st()
    old = current_lang()
    for name in FIELD_CHOICES:
        if widget_key(name, old) in st.session_state:
            st.session_state[widget_key(name, lang)] = st.session_state[widget_key(name, old)]
    st.session_state[LANG] = lang
    st.query_params["lang"] = lang
    if ACTIVE in st.session_state:
        st.session_state[ACTIVE] = replace_lang(st.session_state[ACTIVE], lang)


def replace_lang(state: AppState, lang: Lang) -> AppState:
    return AppState(state.profile, lang, state.options, state.overrides, state.problems, state.from_url)


def load_widgets(state: AppState) -> None:
    """Put an assessment's values into the form's widgets."""
    st = _st()
    for key, value in state.profile.model_dump().items():
        st.session_state[widget_key(key)] = list(value) if key in LIST_KEYS else value
    st.session_state["o_as_of"] = state.options.as_of
    st.session_state["o_draws"] = state.options.draws
    st.session_state["o_seed"] = state.options.seed
    for key, value in state.overrides.model_dump().items():
        st.session_state[f"o_{key}"] = value


def active() -> AppState:
    """The assessment on screen; on a session's first run it comes from the URL (problems kept for display)."""
    st = _st()
    if ACTIVE not in st.session_state:
        state = parse_query(st.query_params.to_dict())
        state = replace_lang(state, current_lang())
        st.session_state[ACTIVE] = state
        st.session_state[URL_PROBLEMS] = state.problems
        st.session_state[FIELD_ERRORS] = {}
        load_widgets(state)
    return st.session_state[ACTIVE]


def activate(state: AppState) -> None:
    """Show ``state`` and write it to the URL."""
    st = _st()
    st.session_state[ACTIVE] = state
    st.session_state[FIELD_ERRORS] = {}
    st.query_params.from_dict(to_query(state))


def apply_preset(preset_id: str) -> None:
    st = _st()
    state = AppState(profile=preset(preset_id), lang=current_lang())
    load_widgets(state)
    activate(state)
    st.session_state[URL_PROBLEMS] = ()


def submit() -> None:
    """Form callback: validate the widgets; show the result, or keep the input and mark each bad field."""
    st = _st()
    values = {key: st.session_state.get(widget_key(key)) for key in PROFILE_KEYS}
    errors: dict[str, str] = {}
    try:
        profile = MerchantProfile.model_validate(values)
    except ValidationError as exc:
        for name, message in profile_problems(exc):
            errors.setdefault(name, message)
        profile = None
    overrides = None
    try:
        overrides = Overrides.model_validate({k: st.session_state.get(f"o_{k}", 1.0) for k in OVERRIDE_KEYS})
    except ValidationError as exc:
        for err in exc.errors():
            errors.setdefault(str(err["loc"][0]), err["msg"])
    draws = st.session_state.get("o_draws") or DEFAULT_DRAWS
    seed = st.session_state.get("o_seed") or 0
    if not MIN_DRAWS <= int(draws) <= MAX_DRAWS:
        errors["draws"] = f"{MIN_DRAWS}–{MAX_DRAWS}"
    as_of = st.session_state.get("o_as_of")
    if as_of is not None and as_of < EARLIEST_EVIDENCE:
        errors["as_of"] = f">= {EARLIEST_EVIDENCE}"
    if errors or profile is None or overrides is None:
        st.session_state[FIELD_ERRORS] = errors
        return
    options = Options(as_of=as_of, draws=int(draws), seed=int(seed))
    activate(AppState(profile=profile, lang=current_lang(), options=options, overrides=overrides))
    st.session_state[URL_PROBLEMS] = ()


def field_errors() -> dict[str, str]:
    return _st().session_state.get(FIELD_ERRORS, {})


def url_problems() -> tuple[tuple[str, str], ...]:
    return _st().session_state.get(URL_PROBLEMS, ())
