"""The zh and en catalogs: in step with each other and with every key the code asks for."""

from __future__ import annotations

import ast
import re
from datetime import date
from typing import get_args

import pytest
from conftest import AS_OF, BASE_PROFILE, ROOT

from engine.assumptions import Role, Unit, load, read_yaml
from engine.i18n import LANGS, catalog, placeholders, t
from engine.levers import levers, phrase
from engine.profile import FIELD_CHOICES, MODULES, MerchantProfile
from engine.recommend import _win_text
from engine.result import Item, Verdict
from engine.rules import RULES

LOCALES = ROOT / "engine" / "locales"
CODE_DIRS = (ROOT / "engine", ROOT / "app")
# ``t`` itself, and the one-letter alias ``L = lambda key, **kw: t(key, lang, **kw)`` in engine/render/markdown.py.
TRANSLATE = {"t", "L"}


@pytest.fixture(scope="module")
def catalogs() -> dict[str, dict[str, str]]:
    return {lang: catalog(lang) for lang in LANGS}


# --- the catalogs themselves -----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_file_is_flat_strings_without_duplicates(lang):
    raw = read_yaml(LOCALES / f"{lang}.yaml")  # the strict loader rejects duplicate keys
    assert isinstance(raw, dict) and raw
    bad = {k: v for k, v in raw.items() if not isinstance(k, str) or not isinstance(v, str)}
    assert not bad, f"non-string keys or values in {lang}.yaml: {bad}"
    empty = [k for k, v in raw.items() if not v.strip()]
    assert not empty, f"empty messages in {lang}.yaml: {empty}"


def test_same_keys_in_both_languages(catalogs):
    zh, en = set(catalogs["zh"]), set(catalogs["en"])
    assert zh - en == set(), f"only in zh: {sorted(zh - en)}"
    assert en - zh == set(), f"only in en: {sorted(en - zh)}"


def test_same_placeholders_per_key(catalogs):
    differ = {
        key: (placeholders(catalogs["zh"][key]), placeholders(catalogs["en"][key]))
        for key in catalogs["zh"]
        if key in catalogs["en"] and placeholders(catalogs["zh"][key]) != placeholders(catalogs["en"][key])
    }
    assert not differ, f"placeholders differ (zh, en): {differ}"


def test_zh_is_chinese(catalogs):
    """Chinese first: zh messages are not untranslated English (units and codes aside)."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [
        k
        for k, v in catalogs["zh"].items()
        if not k.startswith("unit.") and v == catalogs["en"][k] and not cjk.search(v)
    ]
    assert not untranslated, f"zh equals en for: {untranslated}"


def test_t_fills_placeholders():
    assert t("report.title", "en", name="ACME").endswith("ACME")
    with pytest.raises(KeyError):
        t("no.such.key", "en")
    with pytest.raises(ValueError):
        catalog("fr")  # type: ignore[arg-type]


# --- keys the code uses ----------------------------------------------------------------------


def _calls() -> list[tuple[str, int, ast.Call]]:
    out = []
    for directory in CODE_DIRS:
        for path in sorted(directory.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in TRANSLATE
                    and node.args
                ):
                    out.append((str(path.relative_to(ROOT)), node.lineno, node))
    return out


CALLS = _calls()
LITERAL_CALLS = [
    (where, line, call)
    for where, line, call in CALLS
    if isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
]


def test_the_scan_finds_the_calls():
    keys = {call.args[0].value for _, _, call in LITERAL_CALLS}
    assert len(keys) >= 30, sorted(keys)
    files = {where for where, _, _ in LITERAL_CALLS}
    assert {"engine/render/markdown.py", "engine/recommend.py", "app/streamlit_app.py"} <= files


@pytest.mark.parametrize("lang", LANGS)
def test_every_literal_key_exists(catalogs, lang):
    missing = [
        f"{where}:{line}: {call.args[0].value}"
        for where, line, call in LITERAL_CALLS
        if call.args[0].value not in catalogs[lang]
    ]
    assert not missing, f"keys missing from {lang}.yaml:\n" + "\n".join(missing)


def test_literal_calls_pass_every_placeholder(catalogs):
    """A call must pass each ``{placeholder}`` of its message (else KeyError, or raw braces in output)."""
    wrong = []
    for where, line, call in LITERAL_CALLS:
        key = call.args[0].value
        if key not in catalogs["en"] or any(kw.arg is None for kw in call.keywords):
            continue  # missing keys are reported above; **kwargs cannot be checked statically
        given = {kw.arg for kw in call.keywords}
        needed = placeholders(catalogs["en"][key])
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
    patterns = [(where, line, _pattern(call.args[0])) for where, line, call in CALLS]
    patterns = [(w, n, p) for w, n, p in patterns if p]
    assert len(patterns) >= 5
    for lang in LANGS:
        unmatched = [
            f"{w}:{n}: /{p}/" for w, n, p in patterns if not any(re.fullmatch(p, k) for k in catalogs[lang])
        ]
        assert not unmatched, f"no {lang} key matches:\n" + "\n".join(unmatched)


# --- key families ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_profile_field_has_label_and_help(catalogs, lang):
    missing = [
        f"field.{name}.{part}"
        for name in MerchantProfile.model_fields
        for part in ("label", "help")
        if f"field.{name}.{part}" not in catalogs[lang]
    ]
    assert not missing, missing


@pytest.mark.parametrize("lang", LANGS)
def test_every_enum_value_has_a_label(catalogs, lang):
    missing = [
        f"enum.{field}.{value}"
        for field, values in FIELD_CHOICES.items()
        for value in values
        if f"enum.{field}.{value}" not in catalogs[lang]
    ]
    assert not missing, missing


def test_enum_labels_have_no_stale_values(catalogs):
    known = {f"enum.{field}.{value}" for field, values in FIELD_CHOICES.items() for value in values}
    stale = [k for k in catalogs["en"] if k.startswith("enum.") and k not in known]
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
    missing = [family.format(v) for v in values if family.format(v) not in catalogs[lang]]
    assert not missing, missing


@pytest.mark.parametrize("lang", LANGS)
def test_win_texts_exist(lang):
    texts = {_win_text(p, lang) for p in (0.0, 0.29, 0.3, 0.5, 0.8, 1.0)}
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
