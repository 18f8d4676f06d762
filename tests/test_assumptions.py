"""The assumptions: the bundled set is complete and sourced, the loader is strict, and a swapped-in set is used.

Broken copies are made by copying ``assumptions/`` into ``tmp_path`` and editing the text; each must yield
a problem ``'file: field: message'`` that names the file and the field.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import get_args

import pytest
import yaml
from conftest import AS_OF, BASE_PROFILE, ROOT

from engine.assumptions import (
    DEFAULT_DIR,
    LEVELS,
    AssumptionError,
    Param,
    Unit,
    check,
    load,
    read_yaml,
)
from engine.recommend import recommend
from engine.sources import EARLIEST_EVIDENCE, SOURCES, parse_cite

SHOP = "modules/shop.yaml"
PLAN = "channels,shop>wecom"  # a fixed plan, so cost differences come from the assumptions alone


# --- the bundled set -------------------------------------------------------------------------

PARAMS: list[tuple[str, Param]] = load().params()


def test_bundled_set_checks_clean():
    assert check(DEFAULT_DIR) == []
    assert len(PARAMS) > 50  # the walk reaches every file and section


def test_params_cover_every_file():
    roots = {path.split(".")[0] for path, _ in PARAMS}
    assert roots == {"modules", "salaries", "adjustments", "returns", "scale", "objective", "rules"}
    modules = {path.split(".")[1] for path, _ in PARAMS if path.startswith("modules.")}
    assert modules == {"channels", "shop", "miniprogram", "wecom"}
    # every module has every operating level, each with its four factors
    for m in modules:
        for level in LEVELS:
            for factor in ("spend", "staffing", "reach", "ramp"):
                assert f"modules.{m}.levels.{level}.{factor}" in dict(PARAMS), (m, level, factor)


@pytest.mark.parametrize(("path", "param"), PARAMS, ids=[p for p, _ in PARAMS])
def test_bundled_param_is_complete(path, param):
    assert param.unit in get_args(Unit), f"{path}: unit {param.unit!r}"
    assert param.label.zh.strip(), f"{path}: empty zh label"
    assert param.label.en.strip(), f"{path}: empty en label"
    assert len(param.references) >= 1, f"{path}: no reference"
    assert param.values, f"{path}: no values"
    dates = [v.from_ for v in param.values]
    assert all(isinstance(d, date) for d in dates), f"{path}: undated value"
    assert dates == sorted(set(dates)), f"{path}: dates not increasing"
    # A value must be in force for every date recommend accepts.
    assert dates[0] <= EARLIEST_EVIDENCE, f"{path}: first value only from {dates[0]}"
    for v in param.values:
        if param.distribution == "fixed":
            assert v.value is not None, f"{path}: fixed without value"
            continue
        low, high = v.low, v.high
        assert low is not None and high is not None, f"{path}: {param.distribution} without low/high"
        if param.distribution == "pert":
            assert v.mode is not None, f"{path}: pert without mode"
            assert low <= v.mode <= high, f"{path}: {low} <= {v.mode} <= {high} fails"
        assert low <= high, f"{path}: low {low} > high {high}"


@pytest.mark.parametrize(("path", "param"), PARAMS, ids=[p for p, _ in PARAMS])
def test_bundled_references_are_well_formed(path, param):
    for ref in param.references:
        kinds = [k for k in ("seed", "url", "estimate") if getattr(ref, k)]
        assert len(kinds) == 1, f"{path}: reference with kinds {kinds}"
        if ref.seed:
            source, line = parse_cite(ref.seed)
            assert source.file in SOURCES
            assert 1 <= line <= source.lines
        if ref.url:
            assert ref.url.startswith(("https://", "http://")), f"{path}: {ref.url}"
            assert isinstance(ref.accessed, date), f"{path}: url {ref.url} without accessed"
            assert ref.accessed <= date.today(), f"{path}: accessed in the future"
        if ref.estimate is not None:
            assert len(ref.estimate.strip()) >= 10, f"{path}: estimate without a reason"


def test_bundled_set_uses_every_reference_kind():
    kinds = {ref.kind for _, p in PARAMS for ref in p.references}
    assert kinds == {"seed", "url", "estimate"}


# --- dated values and scaling ----------------------------------------------------------------


def _fee() -> Param:
    return load().modules["shop"].gmv_share["technical_service_fee"]


def test_param_at_picks_the_value_in_force():
    fee = _fee()
    before, after = fee.at(date(2022, 12, 31)), fee.at(date(2023, 1, 1))
    assert before.from_ == date(2020, 1, 1)
    assert after.from_ == date(2023, 1, 1)
    assert fee.mode_at(date(2022, 12, 31)) == pytest.approx(0.006)
    assert fee.mode_at(date(2023, 1, 1)) == pytest.approx(0.03)
    assert fee.at(date.fromisoformat(AS_OF)) == after
    assert after.mode > before.mode


def test_param_at_before_the_first_value_raises():
    with pytest.raises(ValueError, match="no value in force"):
        _fee().at(date(2019, 12, 31))


def test_param_scaled_returns_a_new_object():
    fee = _fee()
    originals = [(v.low, v.mode, v.high) for v in fee.values]
    note = fee.note
    doubled = fee.scaled(2)
    assert doubled is not fee
    assert [(v.low, v.mode, v.high) for v in doubled.values] == [
        (2 * lo, 2 * mo, 2 * hi) for lo, mo, hi in originals
    ]
    assert [v.from_ for v in doubled.values] == [v.from_ for v in fee.values]
    assert "scaled" in (doubled.note or "")
    # the original is untouched
    assert [(v.low, v.mode, v.high) for v in fee.values] == originals
    assert fee.note == note
    assert _fee().mode_at(date(2024, 1, 1)) == pytest.approx(0.03)


# --- broken copies ---------------------------------------------------------------------------


@pytest.fixture
def copy_set(tmp_path: Path) -> Callable[..., Path]:
    """Copy the bundled set and apply text edits: ``copy_set({"file.yaml": fn_or_None})``."""

    def make(edits: dict[str, Callable[[str], str] | None], name: str = "assumptions") -> Path:
        root = tmp_path / name
        shutil.copytree(DEFAULT_DIR, root)
        for rel, edit in edits.items():
            path = root / rel
            if edit is None:
                path.unlink()
                continue
            text = path.read_text(encoding="utf-8")
            new = edit(text)
            assert new != text, f"the edit of {rel} changed nothing; the test data moved"
            path.write_text(new, encoding="utf-8")
        return root

    return make


def replace_once(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"{old!r} not found"
        return text.replace(old, new, 1)

    return edit


def problems_for(problems: list[str], file: str, *needles: str) -> list[str]:
    """Problems of ``file`` that contain every needle; fails with the full list when there is none."""
    hits = [p for p in problems if p.startswith(f"{file}: ") and all(n in p for n in needles)]
    assert hits, f"no problem for {file} with {needles}; got:\n" + "\n".join(problems)
    return hits


DEPOSIT = "low: 500, mode: 5000, high: 50000"
LISTING_REF = '    references:\n      - estimate: "Photography'


@pytest.mark.parametrize(
    ("edits", "file", "needles"),
    [
        pytest.param(
            {
                "salaries.yaml": replace_once(
                    "    unit: CNY/month/FTE\n", "    unit: CNY/month/FTE\n    unit: CNY\n"
                )
            },
            "salaries.yaml",
            ["duplicate key 'unit'", "line"],
            id="duplicate-key",
        ),
        pytest.param(
            {SHOP: replace_once("module: shop\n", "module: shop\nmodule: shop\n")},
            SHOP,
            ["duplicate key 'module'"],
            id="duplicate-top-level-key",
        ),
        pytest.param(
            {SHOP: replace_once("    unit: CNY\n", "    unit: CNY\n    colour: red\n")},
            SHOP,
            ["setup.deposit.colour"],
            id="unknown-key",
        ),
        pytest.param(
            {"objective.yaml": lambda t: t + "\nbonus_weights: {}\n"},
            "objective.yaml",
            ["bonus_weights"],
            id="unknown-top-level-key",
        ),
        pytest.param(
            {SHOP: replace_once(DEPOSIT, "low: 60000, mode: 5000, high: 50000")},
            SHOP,
            ["setup.deposit", "values[0]", "low <= mode <= high"],
            id="low-above-high",
        ),
        pytest.param(
            {SHOP: replace_once(DEPOSIT, "low: 500, mode: 90000, high: 50000")},
            SHOP,
            ["setup.deposit", "values[0]"],
            id="mode-above-high",
        ),
        pytest.param(
            {SHOP: replace_once("    unit: CNY\n", "")},
            SHOP,
            ["setup.deposit.unit", "required"],
            id="missing-unit",
        ),
        pytest.param(
            {SHOP: lambda t: re.sub(r'    references:\n      - estimate: "Photography[^\n]*\n', "", t)},
            SHOP,
            ["setup.listing_setup.references", "required"],
            id="missing-references",
        ),
        pytest.param(
            {SHOP: lambda t: re.sub(r'\n      - estimate: "Photography[^\n]*', " []", t)},
            SHOP,
            ["setup.listing_setup.references"],
            id="empty-references",
        ),
        pytest.param(
            {SHOP: replace_once("    unit: CNY\n", "    unit: CNY/month\n")},
            SHOP,
            ["setup.deposit", "unit must be 'CNY'", "CNY/month"],
            id="setup-item-in-CNY-per-month",
        ),
        pytest.param(
            {"salaries.yaml": replace_once("unit: CNY/month/FTE", "unit: CNY/month")},
            "salaries.yaml",
            ["tier1_monthly.host", "CNY/month/FTE"],
            id="salary-in-CNY-per-month",
        ),
        pytest.param(
            {SHOP: replace_once("    unit: FTE\n", "    unit: weeks\n")},
            SHOP,
            ["staffing.shop_ops", "unit must be 'FTE'"],
            id="staffing-in-weeks",
        ),
        pytest.param(
            {SHOP: replace_once("        accessed: 2026-11-01\n", "")},
            SHOP,
            ["setup.deposit.references.0", "accessed"],
            id="url-without-accessed",
        ),
        pytest.param(
            {
                SHOP: replace_once(
                    '      - estimate: "Photography',
                    '      - seed: "004_35d598e55dff0a4a.txt:52"\n        estimate: "Photography',
                )
            },
            SHOP,
            ["setup.listing_setup.references.0", "exactly one"],
            id="reference-with-two-kinds",
        ),
        pytest.param(
            {SHOP: replace_once("004_35d598e55dff0a4a.txt:52", "004_35d598e55dff0a4a.txt:999")},
            SHOP,
            ["staffing.customer_service.references.0", "004_35d598e55dff0a4a.txt:999", "59 lines"],
            id="seed-line-past-the-end",
        ),
        pytest.param(
            {SHOP: replace_once("004_35d598e55dff0a4a.txt:52", "004_35d598e55dff0a4a.txt:0")},
            SHOP,
            ["staffing.customer_service.references.0", "FILE:LINE"],
            id="seed-line-zero",
        ),
        pytest.param(
            {SHOP: replace_once("004_35d598e55dff0a4a.txt:52", "999_0000000000000000.txt:5")},
            SHOP,
            ["staffing.customer_service.references.0", "unknown article"],
            id="seed-unknown-article",
        ),
        pytest.param(
            {SHOP: replace_once('estimate: "Chat and after-sales for shop orders."', 'estimate: "n/a"')},
            SHOP,
            ["staffing.customer_service.references.1", "reason"],
            id="estimate-without-reason",
        ),
        pytest.param(
            {SHOP: replace_once("module: shop\n", "module: wecom\n")},
            SHOP,
            ["module", "shop"],
            id="module-name-mismatch",
        ),
        pytest.param(
            {"objective.yaml": None},
            "objective.yaml",
            ["file is missing"],
            id="missing-file",
        ),
        pytest.param(
            {"modules/wecom.yaml": None},
            "modules/wecom.yaml",
            ["file is missing"],
            id="missing-module-file",
        ),
        pytest.param(
            {"salaries.yaml": replace_once("tier1_monthly:\n", "tier1_monthly: [\n")},
            "salaries.yaml",
            ["line"],
            id="invalid-yaml-syntax",
        ),
        pytest.param(
            {"objective.yaml": lambda t: ""},
            "objective.yaml",
            ["mapping"],
            id="empty-file",
        ),
    ],
)
def test_broken_copy_names_file_and_field(copy_set, edits, file, needles):
    root = copy_set(edits)
    problems = check(root)
    problems_for(problems, file, *needles)
    with pytest.raises(AssumptionError) as info:
        load(root)
    assert info.value.problems == problems


@pytest.mark.parametrize("extra", ["extra.yaml", "modules/tiktok.yaml", "notes.yml"])
def test_unexpected_yaml_file(copy_set, extra):
    root = copy_set({})
    (root / extra).write_text("a: 1\n", encoding="utf-8")
    problems = check(root)
    assert problems == problems_for(problems, extra, "unexpected file")


def test_non_utf8_file_is_a_problem_not_a_crash(copy_set):
    root = copy_set({})
    path = root / "salaries.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))  # a Chinese-Windows editor's save
    problems = check(root)
    problems_for(problems, "salaries.yaml", "UTF-8")


def test_unhashable_key_is_a_problem_not_a_crash(copy_set):
    root = copy_set({"objective.yaml": lambda t: t + "\n? [a, b]\n: 1\n"})
    problems = check(root)
    problems_for(problems, "objective.yaml")


def test_check_reports_several_problems_at_once(copy_set):
    root = copy_set(
        {
            SHOP: replace_once("    unit: CNY\n", "    unit: CNY/month\n"),
            "objective.yaml": None,
            "salaries.yaml": replace_once(
                "    unit: CNY/month/FTE\n", "    unit: CNY/month/FTE\n    unit: CNY\n"
            ),
        }
    )
    (root / "extra.yaml").write_text("a: 1\n", encoding="utf-8")
    problems = check(root)
    assert len(problems) >= 4
    problems_for(problems, SHOP, "setup.deposit")
    problems_for(problems, "objective.yaml", "missing")
    problems_for(problems, "salaries.yaml", "duplicate key")
    problems_for(problems, "extra.yaml", "unexpected")


def test_check_of_a_missing_directory(tmp_path):
    missing = tmp_path / "nowhere"
    problems = check(missing)
    assert len(problems) == 1
    assert str(missing) in problems[0]
    with pytest.raises(AssumptionError):
        load(missing)


def test_cli_check_lists_every_problem(copy_set, wxplan_cmd):
    root = copy_set(
        {
            SHOP: replace_once(DEPOSIT, "low: 60000, mode: 5000, high: 50000"),
            "objective.yaml": None,
        }
    )
    problems = check(root)
    assert len(problems) >= 2
    res = subprocess.run(
        [*wxplan_cmd, "assumptions", "check", str(root)],
        capture_output=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""
    for problem in problems:
        assert problem in res.stderr
    assert f"{len(problems)} problem(s)" in res.stderr
    assert str(root) in res.stderr


# --- a swapped-in set is really used ---------------------------------------------------------


@pytest.fixture
def richer_salaries(tmp_path: Path) -> Path:
    """A valid copy with every tier-1 salary doubled."""
    root = tmp_path / "double_salaries"
    shutil.copytree(DEFAULT_DIR, root)
    path = root / "salaries.yaml"
    data = read_yaml(path)
    for param in data["tier1_monthly"].values():
        for value in param["values"]:
            for key in ("low", "mode", "high", "value"):
                if key in value:
                    value[key] *= 2
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert check(root) == []
    return root


# Only hires are paid (the team the merchant has is a sunk cost), so salaries show in the cost of a merchant
# who must hire and whose budget pays every hire (else the budget caps the cost); the levels are forced so
# that the level search cannot absorb the change.
SHORT_STAFFED = {**BASE_PROFILE, "staff_fte": 1, "budget_monthly_cny": 200_000}
LEVELS_FIXED = {"channels": "standard", "shop": "standard", "wecom": "standard"}


def _monthly_p50(**kwargs) -> float:
    rec = recommend(
        SHORT_STAFFED,
        as_of=AS_OF,
        draws=500,
        plan=PLAN,
        levels=LEVELS_FIXED,
        with_counterfactuals=False,
        **kwargs,
    )
    assert rec.plan.code == PLAN
    return rec.cost_cny.monthly.p50


def test_recommend_uses_the_given_assumptions(richer_salaries):
    base = _monthly_p50()
    richer = _monthly_p50(assumptions=richer_salaries)
    assert richer > base * 1.2
    rec = recommend(
        SHORT_STAFFED,
        as_of=AS_OF,
        draws=500,
        plan=PLAN,
        levels=LEVELS_FIXED,
        assumptions=str(richer_salaries),
    )
    assert Path(rec.assumptions).resolve() == richer_salaries.resolve()
    assert rec.cost_cny.monthly.p50 == richer
    staff = [i for i in rec.items if i.kind == "staff"]
    assert staff and sum(i.p50 for i in staff) > 0


def test_cli_assumptions_option_is_used(richer_salaries, wxplan_cmd, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(SHORT_STAFFED, ensure_ascii=False), encoding="utf-8")
    levels = [arg for m, level in LEVELS_FIXED.items() for arg in ("--level", f"{m}={level}")]
    args = [
        *wxplan_cmd,
        "evaluate",
        str(profile),
        "--draws",
        "500",
        "--as-of",
        AS_OF,
        "--plan",
        PLAN,
        *levels,
    ]

    def monthly(*extra: str) -> tuple[float, str]:
        res = subprocess.run([*args, *extra], capture_output=True, encoding="utf-8", cwd=ROOT, timeout=120)
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout)
        return out["cost_cny"]["monthly"]["p50"], out["assumptions"]

    base, base_source = monthly()
    richer, source = monthly("--assumptions", str(richer_salaries))
    assert richer > base * 1.2
    assert Path(source).resolve() == richer_salaries.resolve()
    assert base_source != source
