"""Hostile assumption packs (issue 11, items 8, 9, 10, 21 and 22): whatever ``check`` accepts, every command runs
on; whatever it refuses, it names (file and field), without crashing, hanging or hiding the other problems; the
CLI exits 2 with one line per problem and never a traceback.

Each pack is a copy of ``assumptions/`` in ``tmp_path`` with one file edited.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import AS_OF, BASE_PROFILE, ROOT

from engine.assumptions import DEFAULT_DIR, AssumptionError, check, load
from engine.recommend import recommend
from engine.sources import EARLIEST_EVIDENCE

CLI = [sys.executable, "-m", "engine.cli"]
SALARIES = "salaries.yaml"
OBJECTIVE = "objective.yaml"
RETURNS = "returns.yaml"
HOST = "low: 8000, mode: 12000, high: 22000"  # the first tier-1 salary (host)


def _pack(tmp_path: Path, edits: dict[str, Callable[[str], str]], name: str = "pack") -> Path:
    root = tmp_path / name
    shutil.copytree(DEFAULT_DIR, root)
    for rel, edit in edits.items():
        path = root / rel
        text = path.read_text(encoding="utf-8")
        new = edit(text)
        assert new != text, f"the edit of {rel} changed nothing; the test data moved"
        path.write_text(new, encoding="utf-8")
    return root


def sub(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"{old!r} not found"
        return text.replace(old, new, 1)

    return edit


def _param_values(name: str, new: str) -> Callable[[str], str]:
    """Replace the first dated value of top-level parameter ``name`` (a ``- {from: ..., ...}`` line)."""

    def edit(text: str) -> str:
        start = text.index(f"\n{name}:\n")
        line_start = text.index("    - {from:", start)
        line_end = text.index("\n", line_start)
        return text[:line_start] + f"    - {{{new}}}" + text[line_end:]

    return edit


def _hits(problems: list[str], file: str, *needles: str) -> list[str]:
    hits = [p for p in problems if p.startswith(f"{file}: ") and all(n in p for n in needles)]
    assert hits, f"no problem for {file} with {needles}; got:\n" + "\n".join(problems)
    return hits


def _run(*args: str, timeout: float = 120, stdin: str | None = None) -> subprocess.CompletedProcess:
    res = subprocess.run(
        [*CLI, *args], capture_output=True, encoding="utf-8", cwd=ROOT, timeout=timeout, input=stdin
    )
    assert "Traceback" not in res.stderr, res.stderr
    assert "internal error" not in res.stderr, res.stderr
    return res


@pytest.fixture(scope="module")
def profile_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("profile") / "profile.json"
    path.write_text(json.dumps(BASE_PROFILE, ensure_ascii=False), encoding="utf-8")
    return path


# --- item 8: what check accepts, every command runs on ------------------------------------------------

REFUSED = [
    pytest.param(
        {SALARIES: sub(HOST, "low: 8000, mode: 12000, high: .inf")},
        SALARIES,
        ["tier1_monthly.host.values.0.high", "finite"],
        id="high-inf",
    ),
    pytest.param(
        {SALARIES: sub(HOST, "low: 8000, mode: .nan, high: 22000")},
        SALARIES,
        ["tier1_monthly.host.values.0.mode", "finite"],
        id="mode-nan",
    ),
    pytest.param(
        {SALARIES: sub(HOST, "low: -.inf, mode: 12000, high: 22000")},
        SALARIES,
        ["tier1_monthly.host.values.0.low", "finite"],
        id="low-minus-inf",
    ),
    pytest.param(
        {OBJECTIVE: _param_values("horizon_months", "from: 2020-01-01, value: 0")},
        OBJECTIVE,
        ["horizon_months", "12, 24, 36", "got 0"],
        id="horizon-0",
    ),
    pytest.param(
        {OBJECTIVE: _param_values("horizon_months", "from: 2020-01-01, value: 18")},
        OBJECTIVE,
        ["horizon_months", "12, 24, 36"],
        id="horizon-18",
    ),
    pytest.param(
        {SALARIES: sub("{from: 2020-01-01, " + HOST, "{from: 2099-01-01, " + HOST)},
        SALARIES,
        ["tier1_monthly.host", str(EARLIEST_EVIDENCE), "2099-01-01"],
        id="only-a-future-value",
    ),
    pytest.param(
        {SALARIES: sub("{from: 2020-01-01, " + HOST, "{from: 2024-01-01, " + HOST)},
        SALARIES,
        ["tier1_monthly.host", str(EARLIEST_EVIDENCE), "2024-01-01"],
        id="first-value-after-the-earliest-evidence",
    ),
    pytest.param(
        {
            RETURNS: _param_values(
                "promotion_saturation_cny", "from: 2020-01-01, low: 0, mode: 10000, high: 30000"
            )
        },
        RETURNS,
        ["promotion_saturation_cny", "values[0].low", "above 0", "divides"],
        id="promotion-saturation-0",
    ),
    pytest.param(
        {RETURNS: _param_values("orders_per_service_fte", "from: 2020-01-01, low: 0, mode: 0, high: 0")},
        RETURNS,
        ["orders_per_service_fte", "above 0", "divides"],
        id="orders-per-service-fte-0",
    ),
    pytest.param(
        {RETURNS: _param_values("contacts_per_seat", "from: 2020-01-01, low: 0, mode: 0, high: 0")},
        RETURNS,
        ["contacts_per_seat", "above 0", "divides"],
        id="contacts-per-seat-0",
    ),
    pytest.param(
        {OBJECTIVE: _param_values("neutral_fit", "from: 2020-01-01, value: 0")},
        OBJECTIVE,
        ["neutral_fit", "above 0", "divides"],
        id="neutral-fit-0",
    ),
    pytest.param(
        {OBJECTIVE: _param_values("cost_scale_floor", "from: 2020-01-01, value: 0")},
        OBJECTIVE,
        ["cost_scale_floor", "above 0", "divides"],
        id="cost-scale-floor-0",
    ),
    pytest.param(
        {OBJECTIVE: _param_values("fit_gmv_elasticity", "from: 2020-01-01, value: 1000")},
        OBJECTIVE,
        ["fit_gmv_elasticity", "at most 10"],
        id="elasticity-huge",
    ),
    pytest.param(
        {OBJECTIVE: _param_values("min_fit", "from: 2020-01-01, value: 3")},
        OBJECTIVE,
        ["min_fit", "between 0 and 1"],
        id="fit-above-1",
    ),
    pytest.param(
        {RETURNS: _param_values("promotion_roas", "from: 2020-01-01, low: 0.8, mode: 1.8, high: 1.0e+200")},
        RETURNS,
        ["promotion_roas", "1e+12"],
        id="number-out-of-range",
    ),
    pytest.param(
        {
            RETURNS: _param_values(
                "private_order_value_uplift", "from: 2020-01-01, low: 1, mode: 1.1, high: 5000"
            )
        },
        RETURNS,
        ["private_order_value_uplift", "multiplier must be at most 1000"],
        id="multiplier-huge",
    ),
]


@pytest.mark.parametrize(("edits", "file", "needles"), REFUSED)
def test_check_refuses_what_would_crash_a_command(tmp_path, edits, file, needles):
    root = _pack(tmp_path, edits)
    problems = check(root)
    _hits(problems, file, *needles)
    with pytest.raises(AssumptionError) as info:
        load(root)
    assert info.value.problems == problems


@pytest.fixture(scope="module")
def crashing_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four packs of the issue in one: infinite salary, NaN mode, horizon 0, a value only from 2099."""
    edits = {
        SALARIES: lambda t: sub(HOST, "low: 8000, mode: 12000, high: .inf")(
            sub("low: 7000, mode: 10000, high: 16000", "low: 7000, mode: .nan, high: 16000")(
                sub("{from: 2020-01-01, low: 6500", "{from: 2099-01-01, low: 6500")(t)
            )
        ),
        OBJECTIVE: _param_values("horizon_months", "from: 2020-01-01, value: 0"),
    }
    return _pack(tmp_path_factory.mktemp("crashing"), edits)


def test_check_lists_each_crashing_value(crashing_pack):
    problems = check(crashing_pack)
    _hits(problems, SALARIES, "tier1_monthly.host.values.0.high", "finite")
    _hits(problems, SALARIES, "tier1_monthly.live_ops.values.0.mode", "finite")
    _hits(problems, SALARIES, "tier1_monthly.shop_ops", "2099-01-01")
    _hits(problems, OBJECTIVE, "horizon_months")
    assert len(problems) == 4, problems
    res = _run("assumptions", "check", str(crashing_pack))
    assert res.returncode == 2
    for problem in problems:
        assert problem in res.stderr


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["recommend", "{profile}", "--draws", "200"], id="recommend"),
        pytest.param(["sensitivity", "{profile}", "--draws", "200", "--sobol-n", "64"], id="sensitivity"),
        pytest.param(
            ["batch", str(ROOT / "examples" / "leads.csv"), "-o", "-", "--draws", "200"], id="batch"
        ),
    ],
)
def test_commands_refuse_the_pack_check_refuses(crashing_pack, profile_file, command):
    args = [a.replace("{profile}", str(profile_file)) for a in command]
    res = _run(*args, "--as-of", AS_OF, "--assumptions", str(crashing_pack))
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    for problem in check(crashing_pack):
        assert problem in lines, res.stderr  # one line per problem


def test_edge_values_check_accepts_run(tmp_path):
    """Values at the bounds check allows (zeros where nothing divides, a 36-month horizon, the first value on
    the earliest-evidence date itself) give a recommendation, not a crash."""
    day = EARLIEST_EVIDENCE.isoformat()
    root = _pack(
        tmp_path,
        {
            OBJECTIVE: _param_values("horizon_months", f"from: {day}, value: 36"),
            SALARIES: sub("{from: 2020-01-01, " + HOST, "{from: " + day + ", low: 0, mode: 0, high: 0"),
            RETURNS: _param_values("capture_months", "from: 2020-01-01, low: 0, mode: 0, high: 0"),
        },
    )
    assert check(root) == []
    for profile in (BASE_PROFILE, {**BASE_PROFILE, "staff_fte": 0.01, "budget_monthly_cny": 0}):
        rec = recommend(profile, as_of=day, draws=200, assumptions=root)
        assert rec.value.horizon_months == 36


# --- item 9: check never crashes, and reports the rest ------------------------------------------------

UNREADABLE = [
    pytest.param(
        "{from: 2020-13-01, " + HOST, ["values.0.from", "2020-13-01", "not a valid date"], id="month-13"
    ),
    pytest.param(
        "{from: 2020-02-30, " + HOST, ["values.0.from", "2020-02-30", "not a valid date"], id="feb-30"
    ),
    pytest.param(
        "{from: 2020-01-01, low: 8000, mode: 12000, high: " + "9" * 5000,
        ["values.0.high", "5000 digits"],
        id="5000-digit-integer",
    ),
    pytest.param(
        "{from: 2020-01-01, low: 8000, mode: 12000, high: " + "[" * 5000 + "]" * 5000,
        ["nested more than", "levels deep"],
        id="5000-deep-list",
    ),
]


@pytest.mark.parametrize(("value", "needles"), UNREADABLE)
def test_check_reports_unreadable_values_and_the_other_problems(tmp_path, value, needles):
    root = _pack(
        tmp_path,
        {
            SALARIES: sub("{from: 2020-01-01, " + HOST, value),
            OBJECTIVE: _param_values("horizon_months", "from: 2020-01-01, value: 0"),
        },
    )
    (root / "extra.yaml").write_text("a: 1\n", encoding="utf-8")
    problems = check(root)
    _hits(problems, SALARIES, "tier1_monthly.host", *needles)
    _hits(problems, OBJECTIVE, "horizon_months")  # the other problems are still reported
    _hits(problems, "extra.yaml", "unexpected")


def test_cli_check_reports_every_unreadable_value(tmp_path):
    """All four in one pack (one per file): exit 2, one line each, no traceback."""
    values = [p.values[0] for p in UNREADABLE]
    edits = {
        SALARIES: sub("{from: 2020-01-01, " + HOST, values[0]),
        "modules/shop.yaml": sub("{from: 2020-01-01, low: 500,", "{from: 2020-02-30, low: 500,"),
        RETURNS: _param_values(
            "promotion_roas", "from: 2020-01-01, low: 0.8, mode: 1.8, high: " + "9" * 5000
        ),
        OBJECTIVE: lambda t: t + "\ndeep: " + "[" * 5000 + "]" * 5000 + "\n",
    }
    root = _pack(tmp_path, edits)
    problems = check(root)
    _hits(problems, SALARIES, "tier1_monthly.host.values.0.from", "2020-13-01")
    _hits(problems, "modules/shop.yaml", "setup.deposit.values.0.from", "2020-02-30")
    _hits(problems, RETURNS, "promotion_roas.values.0.high", "5000 digits")
    _hits(problems, OBJECTIVE, "deep", "nested more than")
    res = _run("assumptions", "check", str(root))
    assert res.returncode == 2
    assert f"{len(problems)} problem(s)" in res.stderr
    lines = res.stderr.splitlines()
    for problem in problems:
        assert f"{root}/{problem}" in lines


def test_deep_nesting_elsewhere_in_a_file_is_named(tmp_path):
    root = _pack(tmp_path, {OBJECTIVE: lambda t: t + "\ndeep: " + "[" * 100_000 + "]" * 100_000 + "\n"})
    problems = check(root)
    _hits(problems, OBJECTIVE, "deep", "nested more than", "line")


def test_other_scalars_of_a_valid_file_stay_checked(tmp_path):
    """An invalid date in one parameter does not hide a bad number in another of the same file."""
    root = _pack(
        tmp_path,
        {
            SALARIES: lambda t: sub("{from: 2020-01-01, " + HOST, "{from: 2020-13-01, " + HOST)(
                sub("low: 7000, mode: 10000, high: 16000", "low: 7000, mode: .nan, high: 16000")(t)
            )
        },
    )
    problems = check(root)
    _hits(problems, SALARIES, "tier1_monthly.host.values.0.from", "2020-13-01")
    _hits(problems, SALARIES, "tier1_monthly.live_ops.values.0.mode", "finite")


# --- item 10: links that lead nowhere ------------------------------------------------------------------


def _dangling(root: Path, rel: str) -> None:
    (root / rel).unlink(missing_ok=True)
    (root / rel).symlink_to(root / "nowhere.txt")


def _loop(root: Path, rel: str) -> None:
    (root / rel).unlink(missing_ok=True)
    (root / rel).symlink_to(root / rel)


LINKS = [
    pytest.param(_dangling, "extra.yaml", "dangling symlink", id="dangling-extra"),
    pytest.param(_loop, "extra.yaml", "symlink loop", id="loop-extra"),
    pytest.param(_dangling, SALARIES, "dangling symlink", id="dangling-salaries"),
    pytest.param(_loop, SALARIES, "symlink loop", id="loop-salaries"),
    pytest.param(_loop, "modules/shop.yaml", "symlink loop", id="loop-module"),
]


@pytest.mark.parametrize(("make", "rel", "needle"), LINKS)
def test_broken_links_are_reported(tmp_path, make, rel, needle):
    root = _pack(tmp_path, {})
    make(root, rel)
    problems = check(root)
    _hits(problems, rel, needle)
    assert len([p for p in problems if p.startswith(f"{rel}: ")]) == 1, problems
    with pytest.raises(AssumptionError) as info:
        load(root)
    assert info.value.problems == problems


def test_cli_reports_broken_links(tmp_path, profile_file):
    """``check`` and ``recommend --assumptions`` exit 2 (not 1), one line naming each link."""
    root = _pack(tmp_path, {})
    _dangling(root, "extra.yaml")
    _loop(root, SALARIES)
    _dangling(root, "modules/wecom.yaml")
    for args in (
        ["assumptions", "check", str(root)],
        ["recommend", str(profile_file), "--draws", "200", "--as-of", AS_OF, "--assumptions", str(root)],
    ):
        res = _run(*args)
        assert res.returncode == 2, res.stderr
        for rel, needle in (
            ("extra.yaml", "dangling symlink"),
            (SALARIES, "symlink loop"),
            ("modules/wecom.yaml", "dangling symlink"),
        ):
            [line] = [line for line in res.stderr.splitlines() if f"{rel}: " in line]
            assert needle in line, res.stderr


# --- item 22: something else where a file belongs --------------------------------------------------------


def _directory(path: Path) -> None:
    path.mkdir()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


NON_FILES = [
    (SALARIES, _directory, "is a directory"),
    (RETURNS, _fifo, "not a regular file"),
    (OBJECTIVE, _dev_zero, "not a regular file"),
]


def test_a_non_file_where_a_file_belongs_is_named_without_reading_it(tmp_path, profile_file):
    root = _pack(tmp_path, {})
    for rel, make, _ in NON_FILES:
        (root / rel).unlink()
        make(root / rel)
    # subprocesses with a timeout: a FIFO opened for reading, or /dev/zero read to the end, would hang
    for args in (
        ["assumptions", "check", str(root)],
        ["recommend", str(profile_file), "--draws", "200", "--as-of", AS_OF, "--assumptions", str(root)],
    ):
        res = _run(*args, timeout=60)
        assert res.returncode == 2, res.stderr
        for rel, _, needle in NON_FILES:
            [line] = [line for line in res.stderr.splitlines() if f"{rel}: " in line]
            assert needle in line and "missing" not in line, res.stderr
    problems = check(root)  # in-process too, once the subprocess showed it does not hang
    assert len(problems) == len(NON_FILES), problems


# --- item 21: strict numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field", "needle"),
    [
        pytest.param("low: true, mode: 12000, high: 22000", "low", "boolean", id="low-true"),
        pytest.param("low: 8000, mode: yes, high: 22000", "mode", "boolean", id="mode-yes"),
        pytest.param('low: 8000, mode: "12000", high: 22000', "mode", "text", id="mode-quoted"),
        pytest.param("low: 8000, mode: 12000, high: 1e5", "high", "text", id="high-1e5-is-text-in-yaml"),
    ],
)
def test_pack_numbers_are_strict(tmp_path, value, field, needle):
    root = _pack(tmp_path, {SALARIES: sub(HOST, value)})
    problems = check(root)
    _hits(problems, SALARIES, f"tier1_monthly.host.values.0.{field}", "must be a number", needle)


def test_dates_are_strict(tmp_path):
    root = _pack(tmp_path, {SALARIES: sub("{from: 2020-01-01, " + HOST, "{from: 1577836800, " + HOST)})
    _hits(check(root), SALARIES, "tier1_monthly.host.values.0.from", "YYYY-MM-DD")
