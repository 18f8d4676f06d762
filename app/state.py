"""URL and session state of the app, in one typed place.

The whole assessment lives in readable query parameters whose keys are the profile's field names
(lists comma-separated), plus ``lang``, the consultant options (``as_of``, ``draws``, ``seed``) and the
overrides (``salary``, ``saas``, ``promotion``, ``returns``). Parsing is a pure function: a bad or hostile value
becomes a visible warning and the default, never an exception.

An assumption pack (engine/packs.py) is too big for an address: the URL carries its digest (``pack``), the
session and a small process-wide registry (app/cache.py) hold the pack itself, so a reload or another page
finds it. A link naming a pack this app does not hold says so and runs on the bundled set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import ValidationError

from engine.assumptions import HORIZONS
from engine.compare import MAX_VARIANTS, Variant, parse_variant
from engine.errors import Message, VariantError, msg, profile_problems
from engine.i18n import DEFAULT_LANG, LANGS, Lang
from engine.inputs import MAX_DRAWS, MIN_DRAWS
from engine.overrides import Overrides
from engine.packs import DIGEST, Pack
from engine.presets import DEFAULT_PRESET, preset
from engine.profile import FIELD_CHOICES, INT_CHOICE_FIELDS, LIST_FIELDS, OPTIONAL_FIELDS, MerchantProfile
from engine.sources import EARLIEST_EVIDENCE
from engine.text import clip

PROFILE_KEYS: tuple[str, ...] = tuple(MerchantProfile.model_fields)
LIST_KEYS = LIST_FIELDS  # fields holding several values: "a,b" in a link
OPTIONAL_KEYS = OPTIONAL_FIELDS  # fields a link may leave empty
OVERRIDE_KEYS: tuple[str, ...] = tuple(Overrides.model_fields)
OPTION_KEYS = ("as_of", "draws", "seed", "horizon")
VARIANT_KEYS = tuple(f"v{i}" for i in range(1, MAX_VARIANTS + 1))  # the Compare page's variants, in order
PACK_KEY = "pack"  # the digest of the assumption pack in use (engine.packs.Pack.digest)
DEFAULT_DRAWS = 10_000
MAX_PARAM_CHARS = 200
MAX_INT_DIGITS = 20  # digits of the longest whole number a link may carry (a seed has at most 10)


@dataclass(frozen=True)
class Options:
    """Consultant options: evaluation date (None = today), Monte Carlo draws and seed."""

    as_of: date | None = None
    draws: int = DEFAULT_DRAWS
    seed: int = 0
    horizon_months: int = 12


@dataclass(frozen=True)
class AppState:
    """One assessment: the profile values, language, options and overrides, and what was wrong in the URL."""

    profile: MerchantProfile
    lang: Lang = DEFAULT_LANG
    options: Options = field(default_factory=Options)
    overrides: Overrides = field(default_factory=Overrides)
    problems: tuple[tuple[str, str], ...] = ()
    from_url: bool = False  # the URL carried profile fields: render that result directly
    variants: tuple[Variant, ...] = ()  # variants to compare with this assessment (engine.compare)
    pack: str | None = None  # digest of the assumption pack in use (None: the bundled set)


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
    if key in INT_CHOICE_FIELDS:
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
        problems.append(("lang", msg("error.url.lang", value=clip(lang_raw), allowed=", ".join(LANGS))))

    base = preset(DEFAULT_PRESET).model_dump()
    given: dict[str, Any] = {}
    for key, value in params.items():
        raw = _first(value)
        if key in ("lang", PACK_KEY, *OPTION_KEYS, *OVERRIDE_KEYS, *VARIANT_KEYS):
            continue
        if key not in PROFILE_KEYS:
            problems.append((key, msg("error.url.unknown")))
            continue
        if len(raw) > MAX_PARAM_CHARS:
            problems.append((key, msg("error.url.too_long", limit=MAX_PARAM_CHARS)))
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
    variants, variant_problems = _parse_variants(params)
    pack = None
    if PACK_KEY in params:
        raw = _first(params[PACK_KEY]).strip()
        if DIGEST.fullmatch(raw):
            pack = raw
        elif raw:
            problems.append((PACK_KEY, msg("error.url.pack", value=clip(raw))))
    return AppState(
        profile=profile,
        lang=lang,
        options=options,
        overrides=overrides,
        problems=tuple(problems + option_problems + override_problems + variant_problems),
        from_url=bool(given),
        variants=variants,
        pack=pack,
    )


def _parse_variants(
    params: Mapping[str, str | list[str]],
) -> tuple[tuple[Variant, ...], list[tuple[str, str]]]:
    """``v1``…``v5``: the variants to compare, each ``staff_fte+2;budget_monthly_cny*1.5`` (engine.compare);
    one that cannot be read is reported and dropped."""
    problems: list[tuple[str, str]] = []
    out: list[Variant] = []
    for key in VARIANT_KEYS:
        if key not in params:
            continue
        raw = _first(params[key])
        if len(raw) > MAX_PARAM_CHARS:
            problems.append((key, msg("error.url.too_long", limit=MAX_PARAM_CHARS)))
            continue
        try:
            out.append(parse_variant(raw))
        except VariantError as err:
            problems.append((key, err.message))
    return tuple(out), problems


def _parse_options(params: Mapping[str, str | list[str]]) -> tuple[Options, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    as_of = None
    if "as_of" in params and _first(params["as_of"]).strip():
        raw = _first(params["as_of"])
        try:
            as_of = date.fromisoformat(raw)
            if as_of < EARLIEST_EVIDENCE:
                problems.append(("as_of", msg("error.url.as_of_early", earliest=EARLIEST_EVIDENCE)))
                as_of = None
        except ValueError:
            problems.append(("as_of", msg("error.url.as_of_format", value=clip(raw))))
    draws = _int_param(params, "draws", DEFAULT_DRAWS, MIN_DRAWS, MAX_DRAWS, problems)
    seed = _int_param(params, "seed", 0, 0, 2**32 - 1, problems)
    horizon = _int_param(params, "horizon", 12, 12, 36, problems)
    if horizon not in HORIZONS:
        problems.append(("horizon", msg("error.url.horizon", value=horizon, allowed="12, 24, 36")))
        horizon = 12
    return Options(as_of=as_of, draws=draws, seed=seed, horizon_months=horizon), problems


def _int_param(
    params: Mapping[str, str | list[str]], key: str, default: int, low: int, high: int, problems: list
) -> int:
    if key not in params:
        return default
    raw = _first(params[key]).strip()
    number = _whole_number(raw)
    if number is not None and low <= number <= high:
        return number
    problems.append(
        (key, msg("error.url.whole_number", value=clip(raw), low=low, high=high, default=default))
    )
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
            problems.append((key, msg("error.url.multiplier", value=clip(raw))))
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
    if state.options.horizon_months != 12:
        out["horizon"] = str(state.options.horizon_months)
    for key, value in state.overrides.active().items():
        out[key] = f"{value:g}"
    for key, variant in zip(VARIANT_KEYS, state.variants, strict=False):
        out[key] = variant.text
    if state.pack is not None:
        out[PACK_KEY] = state.pack
    return out


# --- comparing and sharing (pure) ----------------------------------------------------------------
# The form's values by name: a profile field's name, or "o_<option>" for options and overrides. These are
# the values a page puts into its widgets; the widget keys themselves come from :func:`widget_key`.


def widget_values(state: AppState) -> dict[str, Any]:
    """The form's values for an assessment, by name (lists as lists, as the widgets hold them)."""
    values: dict[str, Any] = {
        key: list(value) if key in LIST_KEYS else value for key, value in state.profile.model_dump().items()
    }
    values["o_as_of"] = state.options.as_of
    values["o_draws"] = state.options.draws
    values["o_seed"] = state.options.seed
    values["o_horizon"] = state.options.horizon_months
    for key, value in state.overrides.model_dump().items():
        values[f"o_{key}"] = value
    return values


def _comparable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_comparable(v) for v in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return value.strip()
    return value


def same_inputs(values: Mapping[str, Any], state: AppState) -> bool:
    """Whether a form holding ``values`` (by name, as :func:`widget_values`) describes ``state``: an
    unsubmitted edit or a failed submit leaves the result on screen belonging to other inputs."""
    wanted = widget_values(state)
    return all(_comparable(values.get(name)) == _comparable(value) for name, value in wanted.items())


def same_assessment(a: AppState, b: AppState) -> bool:
    """The same assessment (the warnings about how a link was read do not count)."""
    return (a.profile, a.lang, a.options, a.overrides, a.variants, a.pack) == (
        b.profile,
        b.lang,
        b.options,
        b.overrides,
        b.variants,
        b.pack,
    )


def carries_assessment(params: Mapping[str, object]) -> bool:
    """Whether query parameters describe an assessment (not only, or not even, the language)."""
    return any(key != "lang" for key in params)


def share_link(state: AppState, base_url: str | None) -> str:
    """A complete link that reopens ``state``: the app's address, then every parameter, percent-encoded."""
    query = urlencode(to_query(state), quote_via=quote, safe=",")
    return f"{(base_url or '').rstrip('/')}/?{query}"


# --- session (Streamlit) -------------------------------------------------------------------------
# Widget keys: "f_<field>" for profile fields ("f_<field>.<lang>" for fields chosen from a list, whose
# option labels are translated), "o_<option>" for options and overrides. Streamlit forgets a widget's
# value on a run that does not draw it (any other page), so the form's values also live in DRAFT, by name,
# and the Assess page puts them back into its widgets (restore_form). The URL always holds the active
# assessment: sync(), called by the entry script on every run of every page, writes it there, and reads it
# back when the address changed under the session (browser Back/Forward).

ACTIVE = "wx_active"  # the AppState the result shows
DRAFT = "wx_draft"  # the form's values by name (see widget_values), kept across pages
URL_PROBLEMS = "wx_url_problems"
# The consultant's notes for the handover report (Assess) and a saved scenario (Scenarios): the session's, not
# the link's. NOTES_WIDGET is the Assess text area, which Streamlit forgets while another page is shown.
NOTES, NOTES_WIDGET = "wx_notes", "handover_notes"
FIELD_ERRORS = "wx_field_errors"
LANG = "wx_lang"
LANG_SWITCH = "lang_switch"  # the language switch's widget key (app/ui.py)
PRESET = "preset"  # the Assess page's archetype picker


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
    """Session key of a form value's widget (a profile field, or "o_<option>"); choice widgets get one per
    language so that their translated option labels are rebuilt when the language changes."""
    if field.startswith("o_"):
        return field
    if field in FIELD_CHOICES:
        return f"f_{field}.{lang or current_lang()}"
    return f"f_{field}"


def set_lang(lang: Lang) -> None:
    st = _st()
    old = current_lang()
    draft = st.session_state.setdefault(DRAFT, {})
    for name in FIELD_CHOICES:
        if widget_key(name, old) in st.session_state:
            draft[name] = st.session_state[widget_key(name, old)]
            st.session_state[widget_key(name, lang)] = st.session_state[widget_key(name, old)]
    st.session_state[LANG] = lang
    st.query_params["lang"] = lang
    if ACTIVE in st.session_state:
        st.session_state[ACTIVE] = replace_lang(st.session_state[ACTIVE], lang)


def replace_lang(state: AppState, lang: Lang) -> AppState:
    return replace(state, lang=lang)


def add_variant(variant: Variant) -> bool:
    """Add a variant to compare (not twice, at most ``MAX_VARIANTS``); False if there was no room."""
    current = active().variants
    if variant in current:
        return True
    if len(current) >= MAX_VARIANTS:
        return False
    set_variants((*current, variant))
    return True


def set_variants(variants: tuple[Variant, ...] | list[Variant]) -> None:
    """Compare these variants with the active assessment (at most ``MAX_VARIANTS``); the URL holds them."""
    activate(replace(active(), variants=tuple(variants)[:MAX_VARIANTS], problems=()))


def load_widgets(state: AppState) -> None:
    """Put an assessment's values into the form (its widgets, and the draft kept across pages)."""
    st = _st()
    values = widget_values(state)
    for name, value in values.items():
        st.session_state[widget_key(name)] = value
    st.session_state[DRAFT] = dict(values)


def restore_form() -> dict[str, Any]:
    """Called by the Assess page before it draws the form: a widget Streamlit forgot while another page was
    shown gets its value back from the draft; the draft follows every widget that is still there."""
    st = _st()
    ss = st.session_state
    start = widget_values(active())
    draft = ss.setdefault(DRAFT, dict(start))
    for name, value in start.items():
        key = widget_key(name)
        if key in ss:
            draft[name] = ss[key]
        else:
            ss[key] = draft.get(name, value)
    return draft


def form_is_current() -> bool:
    """Whether the form shows exactly the assessment whose result is on screen."""
    st = _st()
    return same_inputs(st.session_state.get(DRAFT, {}), active())


def active() -> AppState:
    """The assessment on screen; on a session's first run it comes from the URL (problems kept for display)."""
    st = _st()
    if ACTIVE not in st.session_state:
        state = _with_known_pack(parse_query(st.query_params.to_dict()))
        state = replace_lang(state, current_lang())
        _adopt(state)
    return st.session_state[ACTIVE]


def _adopt(state: AppState) -> None:
    st = _st()
    ss = st.session_state
    ss[LANG] = state.lang
    ss[ACTIVE] = state
    ss[URL_PROBLEMS] = state.problems
    ss[FIELD_ERRORS] = {}
    load_widgets(state)


def sync() -> AppState:
    """Keep the session and the address bar in step; the entry script calls this first on every run.

    The address changed under the session (browser Back or Forward, an edited link): the assessment it
    describes becomes the active one, form included. A page switch left the address without parameters:
    they are written again. Either way the URL ends up holding the whole active assessment and ``lang``."""
    st = _st()
    ss = st.session_state
    url = st.query_params.to_dict()
    if ACTIVE not in ss:
        current = active()
    else:
        current = ss[ACTIVE]
        incoming = _with_known_pack(parse_query(url))
        if carries_assessment(url) and not same_assessment(incoming, current):
            _adopt(incoming)
            ss[LANG_SWITCH] = incoming.lang
            ss[PRESET] = None  # the archetype picker showed where the old assessment came from
            current = incoming
        elif url.get("lang") in LANGS and url["lang"] != current.lang:
            ss[LANG] = url["lang"]
            ss[LANG_SWITCH] = url["lang"]
            current = replace_lang(current, url["lang"])
            ss[ACTIVE] = current
    wanted = to_query(current)
    if url != wanted:
        st.query_params.from_dict(wanted)
    return current


def activate(state: AppState) -> None:
    """Show ``state`` and write it to the URL."""
    st = _st()
    st.session_state[ACTIVE] = state
    st.session_state[FIELD_ERRORS] = {}
    st.query_params.from_dict(to_query(state))


def apply_preset(preset_id: str) -> None:
    st = _st()
    state = AppState(
        profile=preset(preset_id), lang=current_lang(), variants=active().variants, pack=active().pack
    )
    load_widgets(state)
    activate(state)
    st.session_state[URL_PROBLEMS] = ()


def submit() -> None:
    """Submit callback: validate the widgets; show the result, or keep the input and mark each bad field."""
    st = _st()
    values = {key: st.session_state.get(widget_key(key)) for key in PROFILE_KEYS}
    errors: dict[str, Message] = {}
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
            errors.setdefault(str(err["loc"][0]), _override_problem(err))
    draws = st.session_state.get("o_draws") or DEFAULT_DRAWS
    seed = st.session_state.get("o_seed") or 0
    if not MIN_DRAWS <= int(draws) <= MAX_DRAWS:
        errors["draws"] = msg("error.draws", low=MIN_DRAWS, high=MAX_DRAWS)
    as_of = st.session_state.get("o_as_of")
    if as_of is not None and as_of < EARLIEST_EVIDENCE:
        errors["as_of"] = msg("error.as_of_early", earliest=EARLIEST_EVIDENCE)
    if errors or profile is None or overrides is None:
        st.session_state[FIELD_ERRORS] = errors
        return
    horizon = st.session_state.get("o_horizon") or 12
    options = Options(as_of=as_of, draws=int(draws), seed=int(seed), horizon_months=int(horizon))
    state = AppState(
        profile=profile,
        lang=current_lang(),
        options=options,
        overrides=overrides,
        variants=active().variants,  # relative changes ("+2 staff") carry over to the new assessment
        pack=active().pack,
    )
    load_widgets(state)  # the form shows the values as the model reads them (a name without outer spaces)
    activate(state)
    st.session_state[URL_PROBLEMS] = ()


def _override_problem(err: dict) -> Message:
    """An override's problem: what was given and the multipliers allowed."""
    name = str(err["loc"][0])
    info = Overrides.model_fields.get(name)
    bounds = [
        f"{sym} {getattr(m, attr):g}"
        for m in (info.metadata if info else ())
        for attr, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))
        if getattr(m, attr, None) is not None
    ]
    parts: list = [("error.multiplier", {"given": repr(err.get("input"))})]
    if bounds:
        allowed = msg("error.range.multiplier", bounds=Message(bounds, sep="error.and"))
        parts.append(("error.allowed", {"allowed": allowed}))
    return Message(parts)


def field_errors() -> dict[str, Message]:
    return _st().session_state.get(FIELD_ERRORS, {})


def url_problems() -> tuple[tuple[str, str], ...]:
    return _st().session_state.get(URL_PROBLEMS, ())


# --- the assumption pack (session and registry) ----------------------------------------------------

PACKS = "wx_packs"  # {digest: Pack}: the packs this session used
PACK_MISSING = "wx_pack_missing"  # the digest a link named that this app does not hold


def remember_pack(pack: Pack) -> str:
    """Keep a pack for this session and for a reload (the process-wide registry); returns its digest."""
    from app import cache

    digest = pack.digest
    _st().session_state.setdefault(PACKS, {})[digest] = pack
    cache.pack_registry().put(digest, pack)
    return digest


def pack_of(digest: str | None) -> Pack | None:
    """The pack of a digest, from this session or the registry (None if neither holds it)."""
    if digest is None:
        return None
    from app import cache

    ss = _st().session_state
    pack = ss.get(PACKS, {}).get(digest) or cache.pack_registry().get(digest)
    if pack is not None:
        ss.setdefault(PACKS, {})[digest] = pack
    return pack


def active_pack() -> Pack | None:
    """The assumption pack of the assessment on screen (None: the bundled set)."""
    return pack_of(active().pack)


def _with_known_pack(state: AppState) -> AppState:
    """``state`` with its pack if this app holds it; else on the bundled set, the missing digest noted."""
    if state.pack is None or pack_of(state.pack) is not None:
        return state
    _st().session_state[PACK_MISSING] = state.pack
    return replace(state, pack=None)


def missing_pack() -> str | None:
    """The digest of a pack a link named that this app does not hold (until another pack is used)."""
    return _st().session_state.get(PACK_MISSING)


def use_pack(pack: Pack | None) -> None:
    """Make ``pack`` (None: the bundled set) the assumptions of the active assessment, on every page."""
    st = _st()
    digest = remember_pack(pack) if pack is not None else None
    st.session_state.pop(PACK_MISSING, None)
    activate(replace(active(), pack=digest, problems=()))
