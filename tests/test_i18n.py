"""The catalogs, engine/locales and app/locales, zh and en: each pair in step, every key the code asks for
present, and every key on the side whose code uses it (the engine never reads an app key)."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path
from typing import get_args

import pytest
from conftest import AS_OF, BASE_PROFILE, ROOT

from app.i18n import app_catalog
from app.i18n import catalog as page_catalog
from app.i18n import t as page_t
from engine.assumptions import Role, Unit, load, read_yaml
from engine.i18n import LANGS, catalog, placeholders, t
from engine.levers import levers, phrase
from engine.profile import FIELD_CHOICES, MODULES, MerchantProfile
from engine.recommendation import win_text
from engine.result import Item, Verdict
from engine.rules import RULES

SIDES = ("engine", "app")
LOCALES = {side: ROOT / side / "locales" for side in SIDES}
READ = {"engine": catalog, "app": app_catalog}
# Code that translates with the engine's catalog: the engine (its charts too, in engine/render/charts.py).
ENGINE_CODE = sorted((ROOT / "engine").rglob("*.py"))
APP_CODE = [p for p in sorted((ROOT / "app").rglob("*.py")) if p not in ENGINE_CODE]
# ``t`` itself, and the one-letter alias ``L = lambda key, **kw: t(key, lang, **kw)`` in engine/render/markdown.py.
TRANSLATE = {"t", "L"}
# engine.errors translates what these are given, wherever they are called: their keys are the engine's.
ENGINE_MESSAGES = {"msg", "Message"}


@pytest.fixture(scope="module")
def catalogs() -> dict[str, dict[str, dict[str, str]]]:
    """side -> lang -> catalog."""
    return {side: {lang: READ[side](lang) for lang in LANGS} for side in SIDES}


# --- the catalogs themselves -----------------------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("lang", LANGS)
def test_catalog_file_is_flat_strings_without_duplicates(side, lang):
    raw = read_yaml(LOCALES[side] / f"{lang}.yaml")  # the strict loader rejects duplicate keys
    assert isinstance(raw, dict) and raw
    bad = {k: v for k, v in raw.items() if not isinstance(k, str) or not isinstance(v, str)}
    assert not bad, f"non-string keys or values in {side}/locales/{lang}.yaml: {bad}"
    empty = [k for k, v in raw.items() if not v.strip()]
    assert not empty, f"empty messages in {side}/locales/{lang}.yaml: {empty}"


@pytest.mark.parametrize("side", SIDES)
def test_same_keys_in_both_languages(catalogs, side):
    zh, en = set(catalogs[side]["zh"]), set(catalogs[side]["en"])
    assert zh - en == set(), f"only in {side} zh: {sorted(zh - en)}"
    assert en - zh == set(), f"only in {side} en: {sorted(en - zh)}"


@pytest.mark.parametrize("side", SIDES)
def test_same_placeholders_per_key(catalogs, side):
    zh, en = catalogs[side]["zh"], catalogs[side]["en"]
    differ = {
        key: (placeholders(zh[key]), placeholders(en[key]))
        for key in zh
        if key in en and placeholders(zh[key]) != placeholders(en[key])
    }
    assert not differ, f"placeholders differ in {side} (zh, en): {differ}"


@pytest.mark.parametrize("side", SIDES)
def test_zh_is_chinese(catalogs, side):
    """Chinese first: zh messages are not untranslated English (units and codes aside)."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    zh, en = catalogs[side]["zh"], catalogs[side]["en"]
    untranslated = [
        k for k, v in zh.items() if not k.startswith("unit.") and v == en[k] and not cjk.search(v)
    ]
    assert not untranslated, f"zh equals en in {side} for: {untranslated}"


def test_t_fills_placeholders():
    assert t("report.title", "en", name="ACME").endswith("ACME")
    with pytest.raises(KeyError):
        t("no.such.key", "en")
    with pytest.raises(ValueError):
        catalog("fr")  # type: ignore[arg-type]


def test_the_app_translates_its_own_keys_and_the_engines():
    assert page_t("ui.nav.assess", "en") == app_catalog("en")["ui.nav.assess"]
    assert page_t("report.title", "en", name="ACME") == t("report.title", "en", name="ACME")
    assert set(page_catalog("zh")) == set(catalog("zh")) | set(app_catalog("zh"))
    with pytest.raises(KeyError):
        t("ui.nav.assess", "en")  # the engine never reads an app key
    with pytest.raises(ValueError):
        app_catalog("fr")  # type: ignore[arg-type]


# --- keys the code uses ----------------------------------------------------------------------


def _trees(paths: list[Path]) -> list[tuple[str, ast.Module]]:
    return [
        (str(p.relative_to(ROOT)), ast.parse(p.read_text(encoding="utf-8"), filename=str(p))) for p in paths
    ]


ENGINE_TREES, APP_TREES = _trees(ENGINE_CODE), _trees(APP_CODE)


def _engine_t(tree: ast.Module) -> bool:
    """Whether this file's ``t`` is the engine's (``from engine.i18n import t``), which reads the engine
    catalog only; the app's (app/i18n.py) reads both."""
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "engine.i18n"
        and any(a.name == "t" for a in node.names)
        for node in ast.walk(tree)
    )


def _calls() -> list[tuple[str, int, ast.Call, bool]]:
    """Every ``t(...)``/``L(...)`` call: where, line, the call, and whether it reads the engine catalog only."""
    out = []
    for where, tree in ENGINE_TREES + APP_TREES:
        engine_only = (where, tree) in ENGINE_TREES or _engine_t(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in TRANSLATE
                and node.args
            ):
                out.append((where, node.lineno, node, engine_only))
    return out


CALLS = _calls()
LITERAL_CALLS = [
    (where, line, call, engine_only)
    for where, line, call, engine_only in CALLS
    if isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
]


def _shown(catalogs, lang: str, engine_only: bool) -> dict[str, str]:
    """The catalog a call reads: the engine's, or (the app's ``t``) both."""
    return catalogs["engine"][lang] if engine_only else catalogs["engine"][lang] | catalogs["app"][lang]


def test_the_scan_finds_the_calls():
    keys = {call.args[0].value for _, _, call, _ in LITERAL_CALLS}
    assert len(keys) >= 30, sorted(keys)
    files = {where for where, _, _, _ in LITERAL_CALLS}
    assert {"engine/render/markdown.py", "engine/recommendation.py", "app/streamlit_app.py"} <= files
    engine_only = {where for where, _, _, only in CALLS if only}
    assert "engine/render/markdown.py" in engine_only and "app/views/assess.py" not in engine_only


@pytest.mark.parametrize("lang", LANGS)
def test_every_literal_key_exists(catalogs, lang):
    missing = [
        f"{where}:{line}: {call.args[0].value}"
        for where, line, call, engine_only in LITERAL_CALLS
        if call.args[0].value not in _shown(catalogs, lang, engine_only)
    ]
    assert not missing, f"keys missing from the {lang} catalogs:\n" + "\n".join(missing)


def test_literal_calls_pass_every_placeholder(catalogs):
    """A call must pass each ``{placeholder}`` of its message (else KeyError, or raw braces in output)."""
    wrong = []
    shown = catalogs["engine"]["en"] | catalogs["app"]["en"]
    for where, line, call, _ in LITERAL_CALLS:
        key = call.args[0].value
        if key not in shown or any(kw.arg is None for kw in call.keywords):
            continue  # missing keys are reported above; **kwargs cannot be checked statically
        given = {kw.arg for kw in call.keywords}
        needed = placeholders(shown[key])
        if needed - given:
            wrong.append(f"{where}:{line}: {key} needs {sorted(needed)}, given {sorted(given)}")
    assert not wrong, "\n".join(wrong)


def _pattern(node: ast.expr) -> str | None:
    """A regex for the keys an f-string or ``'prefix.' + x`` key can produce (None if not a key)."""
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(re.escape(str(value.value)))
            else:
                parts.append(r"[^.]+")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _pattern(node.left) if not isinstance(node.left, ast.Constant) else re.escape(node.left.value)
        return None if left is None else left + r".+"
    return None


def test_computed_keys_match_some_catalog_key(catalogs):
    patterns = [(where, line, _pattern(call.args[0]), only) for where, line, call, only in CALLS]
    patterns = [(w, n, p, only) for w, n, p, only in patterns if p]
    assert len(patterns) >= 5
    for lang in LANGS:
        unmatched = [
            f"{w}:{n}: /{p}/"
            for w, n, p, only in patterns
            if not any(re.fullmatch(p, k) for k in _shown(catalogs, lang, only))
        ]
        assert not unmatched, f"no {lang} key matches:\n" + "\n".join(unmatched)


# --- each key on its side --------------------------------------------------------------------
# What code can reach a key: a string equal to it; an f-string or ``"prefix." + x`` that can build it (a
# placeholder may stand for anything, dots included); a prefix ending in "." that code matches keys against
# (engine.errors reads back every ``error.`` message). Keys the app hands to engine.errors (``msg``,
# ``Message``) are the engine's: the engine translates them.


def _template(node: ast.expr) -> str | None:
    """The regex of the keys an f-string or a ``+`` of strings can build, if it starts with text."""
    if isinstance(node, ast.JoinedStr):
        pattern = "".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in node.values)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        sides = [
            re.escape(n.value)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            else _template(n) or ".+"
            for n in (node.left, node.right)
        ]
        pattern = "".join(sides)
    else:
        return None
    return None if pattern.startswith(".+") else pattern


def _reach(trees: list[tuple[str, ast.Module]]) -> tuple[set[str], set[str], set[str]]:
    """(strings, key patterns, strings given to engine.errors) in these files."""
    strings: set[str] = set()
    patterns: set[str] = set()
    given: set[str] = set()
    for _, tree in trees:
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
                strings.add(node.value)
                if node.value.endswith(".") and len(node.value) > 2:
                    patterns.add(re.escape(node.value) + ".+")
            elif (pattern := _template(node)) is not None:
                patterns.add(pattern)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ENGINE_MESSAGES
            ):
                given |= {
                    n.value
                    for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                }
    return strings, patterns, given


def _reached(keys, strings: set[str], patterns: set[str]) -> set[str]:
    compiled = re.compile("|".join(f"(?:{p})" for p in sorted(patterns)))
    return {k for k in keys if k in strings or compiled.fullmatch(k)}


@pytest.fixture(scope="module")
def reached(catalogs) -> dict[str, set[str]]:
    """side -> the catalog keys that side's code can reach."""
    keys = set(catalogs["engine"]["en"]) | set(catalogs["app"]["en"])
    engine_strings, engine_patterns, _ = _reach(ENGINE_TREES)
    app_strings, app_patterns, app_given = _reach(APP_TREES)
    return {
        "engine": _reached(keys, engine_strings | app_given, engine_patterns),
        "app": _reached(keys, app_strings, app_patterns),
    }


def test_the_side_scan_follows_dynamic_keys(reached):
    """Literal keys, f-strings, read-back prefixes and keys handed to engine.errors are all seen."""
    assert {"report.title", "enum.goal.repeat", "error.url.pack", "pack.error.name"} <= reached["engine"]
    assert {"ui.nav.assess", "ui.section.team", "evidence.text.neutral_start"} <= reached["app"]
    assert "ui.nav.assess" not in reached["engine"] and "no.such.key" not in reached["app"]


def test_no_key_is_in_both_catalogs(catalogs):
    both = set(catalogs["engine"]["en"]) & set(catalogs["app"]["en"])
    assert not both, f"in engine/locales and app/locales: {sorted(both)}"


def test_every_engine_key_is_reachable_from_engine_code(catalogs, reached):
    """engine/locales holds what the engine (or the charts) can say; a key only the app uses belongs in
    app/locales, and a key nothing uses is dead."""
    stray = sorted(set(catalogs["engine"]["en"]) - reached["engine"])
    assert not stray, f"engine/locales keys no engine code can build: {stray}"


def test_every_app_key_is_used_by_app_code_and_not_by_the_engine(catalogs, reached):
    app = set(catalogs["app"]["en"])
    unused = sorted(app - reached["app"])
    assert not unused, f"app/locales keys no app code uses: {unused}"
    engine = sorted(app & reached["engine"])
    assert not engine, f"app/locales keys the engine can build (they belong in engine/locales): {engine}"


# --- key families ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_profile_field_has_label_and_help(catalogs, lang):
    missing = [
        f"field.{name}.{part}"
        for name in MerchantProfile.model_fields
        for part in ("label", "help")
        if f"field.{name}.{part}" not in catalogs["engine"][lang]
    ]
    assert not missing, missing


@pytest.mark.parametrize("lang", LANGS)
def test_every_enum_value_has_a_label(catalogs, lang):
    missing = [
        f"enum.{field}.{value}"
        for field, values in FIELD_CHOICES.items()
        for value in values
        if f"enum.{field}.{value}" not in catalogs["engine"][lang]
    ]
    assert not missing, missing


def test_enum_labels_have_no_stale_values(catalogs):
    known = {f"enum.{field}.{value}" for field, values in FIELD_CHOICES.items() for value in values}
    stale = [k for k in catalogs["engine"]["en"] if k.startswith("enum.") and k not in known]
    assert not stale, stale


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("family", "values"),
    [
        ("module.{}.name", MODULES),
        ("verdict.{}", get_args(Verdict)),
        ("role.{}", get_args(Role)),
        ("kind.{}", get_args(Item.model_fields["kind"].annotation)),
        ("unit.{}", get_args(Unit)),
    ],
    ids=["module", "verdict", "role", "kind", "unit"],
)
def test_every_value_of_a_family_has_a_message(catalogs, lang, family, values):
    assert values
    missing = [family.format(v) for v in values if family.format(v) not in catalogs["engine"][lang]]
    assert not missing, missing


@pytest.mark.parametrize("lang", LANGS)
def test_win_texts_exist(lang):
    texts = {win_text(p, lang) for p in (0.0, 0.29, 0.3, 0.5, 0.8, 1.0)}
    assert len(texts) == 4


@pytest.mark.parametrize("lang", LANGS)
def test_every_lever_step_reads_in_both_languages(lang):
    """Every step of every lever (engine/levers.py) has its phrase: a missing key raises KeyError."""
    aset = load()
    profile = MerchantProfile.model_validate(
        {**BASE_PROFILE, "private_domain": "none", "douyin_presence": "none"}
    )
    found = levers(profile, aset, date.fromisoformat(AS_OF))
    assert {lv.code for lv in found} >= {"staff_fte", "budget_monthly_cny", "private_domain", "goal"}
    for lever in found:
        assert lever.steps, lever.code
        for step in lever.steps:
            assert phrase(lever, step.value, lang).strip()


def test_rules_are_bilingual():
    for rule in RULES:
        for lang in LANGS:
            assert rule.label.get(lang, "").strip(), f"{rule.id}: no {lang} label"
            assert rule.rationale.get(lang, "").strip(), f"{rule.id}: no {lang} rationale"
