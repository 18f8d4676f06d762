"""The ``wxplan`` command line, run as a subprocess: outputs, determinism and every user-error path.

User errors must exit with status 2, print ``wxplan: error: ...`` (or argparse's ``error:``) on stderr,
name the field or problem, and never show a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import AS_OF, BASE_PROFILE, ROOT, make_profile

from engine.i18n import t
from engine.profile import FIELD_CHOICES, MODULES, MerchantProfile
from engine.result import Recommendation
from engine.rules import RULES_BY_ID
from engine.sources import EARLIEST_EVIDENCE

FAST = ("--draws", "500", "--as-of", AS_OF)

# Keys a consumer of the JSON output relies on (a rename or removal must fail here).
CONTRACT_KEYS = {
    "profile",
    "as_of",
    "seed",
    "draws",
    "lang",
    "assumptions",
    "forced_plan",
    "modules",
    "plan",
    "cost_cny",
    "ramp_weeks",
    "items",
    "staffing",
    "warnings",
    "alternatives",
    "win_probability",
    "break_even_gmv_cny",
    "counterfactuals",
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("WXPLAN_DEBUG", None)  # errors must be clean without it
    return env


def run(cmd: list[str], *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*cmd, *args],
        input=input,
        capture_output=True,
        encoding="utf-8",
        cwd=ROOT,
        env=_env(),
        timeout=120,
    )


def run_bytes(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, *args], capture_output=True, cwd=ROOT, env=_env(), timeout=120)


def assert_ok(res: subprocess.CompletedProcess) -> None:
    assert res.returncode == 0, f"exit {res.returncode}\nstderr:\n{res.stderr}"
    assert "Traceback" not in res.stderr


def assert_user_error(res: subprocess.CompletedProcess, *needles: str | tuple[str, ...]) -> str:
    """Exit 2, no traceback, nothing on stdout, an error line, and every needle in the message."""
    err = res.stderr
    assert res.returncode == 2, (
        f"expected exit 2, got {res.returncode}\nstdout:\n{res.stdout[:300]}\nstderr:\n{err}"
    )
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert res.stdout == "", f"nothing should be printed on stdout on error, got:\n{res.stdout}"
    assert "error:" in err, err
    for needle in needles:
        options = needle if isinstance(needle, tuple) else (needle,)  # a tuple: any one of them
        assert any(o in err for o in options), f"{needle!r} not in stderr:\n{err}"
    return err


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(BASE_PROFILE, ensure_ascii=False), encoding="utf-8")
    return path


def write_profile(tmp_path: Path, data: object, name: str = "p.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def console_script() -> Path:
    """The installed ``wxplan`` entry point next to the running interpreter."""
    found = shutil.which("wxplan", path=str(Path(sys.executable).parent))
    path = Path(found) if found else Path(sys.executable).parent / "wxplan"
    if not path.is_file():
        pytest.fail(
            f"console script 'wxplan' is not installed next to {sys.executable}; run pip install -e ."
        )
    return path


# --- outputs ---------------------------------------------------------------------------------


def test_recommend_json_has_the_contract(wxplan_cmd, profile_file):
    res = run(wxplan_cmd, "recommend", str(profile_file), *FAST)
    assert_ok(res)
    out = json.loads(res.stdout)
    assert set(out) >= CONTRACT_KEYS, f"missing keys: {CONTRACT_KEYS - set(out)}"
    assert set(out) == set(Recommendation.model_fields)
    Recommendation.model_validate(out)  # the output round-trips through the contract model
    assert out["as_of"] == AS_OF
    assert out["draws"] == 500
    assert out["seed"] == 0
    assert out["lang"] == "zh"
    assert out["forced_plan"] is False
    assert set(out["modules"]) == set(MODULES)
    for m, res_m in out["modules"].items():
        assert res_m["module"] == m
        assert res_m["verdict"] in ("keep", "adopt_now", "adopt_later", "not_recommended")
        assert res_m["reasons"], f"module {m} has no reason"
    for band in out["cost_cny"].values():
        assert band["p10"] <= band["p50"] <= band["p90"]
    assert out["profile"]["category"] == BASE_PROFILE["category"]


def test_markdown_has_the_plan_heading(wxplan_cmd, profile_file):
    res = run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--format", "markdown")
    assert_ok(res)
    lines = res.stdout.splitlines()
    assert lines[0] == "# " + t("report.title", "zh", name=BASE_PROFILE["name"])
    assert any(line.startswith(f"- {t('report.plan', 'zh')}: **") for line in lines), res.stdout
    assert f"## {t('report.cost', 'zh')}" in lines
    with pytest.raises(json.JSONDecodeError):
        json.loads(res.stdout)


def test_lang_en_gives_english(wxplan_cmd, profile_file):
    res = run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--lang", "en")
    assert_ok(res)
    out = json.loads(res.stdout)
    assert out["lang"] == "en"
    assert out["modules"]["channels"]["name"] == t("module.channels.name", "en")
    assert out["win_probability_text"] in {
        t(f"win.{k}", "en") for k in ("very_likely", "likely", "toss_up", "unlikely")
    }
    for m in out["modules"].values():
        for reason in m["reasons"]:
            rule = RULES_BY_ID[reason["rule"]]
            assert (reason["label"], reason["text"]) == (rule.label["en"], rule.rationale["en"])

    md = run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--lang", "en", "--format", "markdown")
    assert_ok(md)
    assert md.stdout.startswith("# WeChat commerce plan: ")
    assert "Recommended plan" in md.stdout
    assert t("report.plan", "zh") not in md.stdout


def test_console_script_markdown_english(profile_file):
    script = console_script()
    res = run([str(script)], "recommend", str(profile_file), *FAST, "--format", "markdown", "--lang", "en")
    assert_ok(res)
    assert res.stdout.startswith("# " + t("report.title", "en", name=BASE_PROFILE["name"]))
    assert f"- {t('report.plan', 'en')}: **" in res.stdout


def test_console_script_reports_user_errors(tmp_path):
    script = console_script()
    res = run([str(script)], "recommend", str(tmp_path / "missing.json"), *FAST)
    assert_user_error(res, "wxplan: error:", "missing.json", "no such file")


def test_evaluate_gives_the_fixed_phases(wxplan_cmd, profile_file):
    res = run(wxplan_cmd, "evaluate", str(profile_file), *FAST, "--plan", "channels,shop>wecom")
    assert_ok(res)
    out = json.loads(res.stdout)
    assert out["forced_plan"] is True
    assert out["plan"]["code"] == "channels,shop>wecom"
    assert [p["modules"] for p in out["plan"]["phases"]] == [["channels", "shop"], ["wecom"]]
    assert [p["phase"] for p in out["plan"]["phases"]] == [1, 2]
    verdicts = {m: (r["verdict"], r["phase"]) for m, r in out["modules"].items()}
    assert verdicts == {
        "channels": ("adopt_now", 1),
        "shop": ("adopt_now", 1),
        "wecom": ("adopt_later", 2),
        "miniprogram": ("not_recommended", None),
    }
    assert "forced_plan" in {w["code"] for w in out["warnings"]}
    assert out["counterfactuals"] == []


def test_schema_is_the_profile_schema(wxplan_cmd):
    res = run(wxplan_cmd, "schema")
    assert_ok(res)
    schema = json.loads(res.stdout)
    assert set(schema["properties"]) == set(MerchantProfile.model_fields)
    assert "category" in schema["required"]
    assert schema["properties"]["category"]["enum"] == list(FIELD_CHOICES["category"])
    assert schema.get("additionalProperties") is False
    jsonschema.validate(BASE_PROFILE, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(make_profile(category="toys"), schema)


def test_assumptions_check_bundled_set_passes(wxplan_cmd):
    res = run(wxplan_cmd, "assumptions", "check", "assumptions")
    assert_ok(res)
    assert "OK" in res.stdout
    assert res.stderr == ""


@pytest.mark.parametrize(
    "args",
    [
        ("recommend", "{profile}", *FAST),
        ("recommend", "{profile}", *FAST, "--format", "markdown", "--lang", "en"),
        ("evaluate", "{profile}", *FAST, "--plan", "channels,shop>wecom"),
    ],
    ids=["json", "markdown-en", "evaluate"],
)
def test_same_arguments_give_byte_identical_output(wxplan_cmd, profile_file, args):
    argv = [a.format(profile=profile_file) for a in args]
    first = run_bytes(wxplan_cmd, *argv)
    second = run_bytes(wxplan_cmd, *argv)
    assert first.returncode == 0, first.stderr.decode("utf-8", "replace")
    assert first.stdout  # not vacuously equal
    assert first.stdout == second.stdout


def test_seed_changes_the_simulation(wxplan_cmd, profile_file):
    a = json.loads(run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--seed", "1").stdout)
    b = json.loads(run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--seed", "2").stdout)
    assert (a["seed"], b["seed"]) == (1, 2)
    assert a["cost_cny"] != b["cost_cny"]


def test_profile_from_stdin(wxplan_cmd, profile_file):
    from_stdin = run(wxplan_cmd, "recommend", "-", *FAST, input=json.dumps(BASE_PROFILE, ensure_ascii=False))
    assert_ok(from_stdin)
    from_file = run(wxplan_cmd, "recommend", str(profile_file), *FAST)
    assert from_stdin.stdout == from_file.stdout


def test_profile_from_stdin_errors_name_stdin(wxplan_cmd):
    res = run(wxplan_cmd, "recommend", "-", *FAST, input="{not json")
    assert_user_error(res, "-:", "not valid JSON", "line 1", "column")


# --- bad profile files -----------------------------------------------------------------------


def test_missing_profile_file(wxplan_cmd, tmp_path):
    path = tmp_path / "nope.json"
    assert_user_error(
        run(wxplan_cmd, "recommend", str(path), *FAST), "wxplan: error:", str(path), "no such file"
    )


def test_directory_instead_of_profile(wxplan_cmd, tmp_path):
    assert_user_error(run(wxplan_cmd, "recommend", str(tmp_path), *FAST), str(tmp_path), "directory")


def test_malformed_json_names_line_and_column(wxplan_cmd, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"name": "x",\n  "staff_fte": }\n', encoding="utf-8")
    err = assert_user_error(run(wxplan_cmd, "recommend", str(path), *FAST), str(path), "not valid JSON")
    assert "line 2" in err
    assert "column" in err


def test_json_array_instead_of_object(wxplan_cmd, tmp_path):
    path = write_profile(tmp_path, [BASE_PROFILE])
    assert_user_error(run(wxplan_cmd, "recommend", str(path), *FAST), str(path), "JSON object", "list")


def test_non_utf8_profile(wxplan_cmd, tmp_path):
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps(BASE_PROFILE, ensure_ascii=False).encode("gbk"))
    assert_user_error(run(wxplan_cmd, "recommend", str(path), *FAST), str(path), "UTF-8")


@pytest.mark.parametrize(
    ("changes", "removed", "needles"),
    [
        pytest.param(
            {"category": "toys"},
            None,
            ["category", "'toys'", *map(str, FIELD_CHOICES["category"])],
            id="unknown-enum",
        ),
        pytest.param(
            {"staff_fte": 0}, None, ["staff_fte", "out of range", ("greater than 0", "> 0")], id="staff-zero"
        ),
        pytest.param(
            {"gross_margin": 1.5},
            None,
            ["gross_margin", "1.5", "out of range", ("less than 1", "< 1")],
            id="margin-1.5",
        ),
        pytest.param({}, "goal", ["goal", "is required", "acquisition", "repeat", "both"], id="missing-goal"),
        pytest.param({}, "staff_fte", ["staff_fte", "is required"], id="missing-staff"),
        pytest.param({"colour": "red"}, None, ["colour", "not a profile field"], id="unknown-field"),
        pytest.param({"staff_fte": "many"}, None, ["staff_fte", "'many'", "number"], id="wrong-type"),
        pytest.param(
            {"shelf_platforms": ["taobao", "tmall"]},
            None,
            ["shelf_platforms", "'tmall'", "taobao, jd, pdd"],
            id="unknown-list-item",
        ),
        pytest.param({"city_tier": 4}, None, ["city_tier", "1, 2, 3"], id="city-tier-4"),
    ],
)
def test_invalid_profile_names_the_field(wxplan_cmd, tmp_path, changes, removed, needles):
    data = make_profile(**changes)
    if removed:
        del data[removed]
    path = write_profile(tmp_path, data)
    err = assert_user_error(run(wxplan_cmd, "recommend", str(path), *FAST), "invalid profile", *needles)
    assert err.startswith("wxplan: error: ")


def test_every_profile_problem_is_reported_at_once(wxplan_cmd, tmp_path):
    path = write_profile(tmp_path, make_profile(category="toys", staff_fte=0, colour="red"))
    err = assert_user_error(run(wxplan_cmd, "recommend", str(path), *FAST), "category", "staff_fte", "colour")
    assert [line.split("'")[1] for line in err.splitlines() if line.startswith("profile field '")] == [
        "category",
        "staff_fte",
        "colour",
    ]


# --- bad options -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026-13-45", "21/11/2026", "tomorrow"])
def test_bad_as_of_text(wxplan_cmd, profile_file, text):
    res = run(wxplan_cmd, "recommend", str(profile_file), "--draws", "500", "--as-of", text)
    assert_user_error(res, "--as-of", repr(text), "YYYY-MM-DD")


def test_as_of_before_the_evidence(wxplan_cmd, profile_file):
    res = run(wxplan_cmd, "recommend", str(profile_file), "--draws", "500", "--as-of", "2019-01-01")
    assert_user_error(res, "--as-of", "2019-01-01", "earliest evidence", EARLIEST_EVIDENCE.isoformat())


def test_as_of_on_the_earliest_evidence_is_accepted(wxplan_cmd, profile_file):
    res = run(
        wxplan_cmd, "recommend", str(profile_file), "--draws", "500", "--as-of", EARLIEST_EVIDENCE.isoformat()
    )
    assert_ok(res)
    assert json.loads(res.stdout)["as_of"] == EARLIEST_EVIDENCE.isoformat()


@pytest.mark.parametrize("draws", ["5", "99", "200001"])
def test_draws_out_of_range(wxplan_cmd, profile_file, draws):
    res = run(wxplan_cmd, "recommend", str(profile_file), "--draws", draws, "--as-of", AS_OF)
    assert_user_error(res, "--draws", "100", "200000", draws)


def test_draws_not_a_number(wxplan_cmd, profile_file):
    res = run(wxplan_cmd, "recommend", str(profile_file), "--draws", "abc", "--as-of", AS_OF)
    assert_user_error(res, "--draws", "invalid int value", "'abc'", "usage:")


def test_negative_seed(wxplan_cmd, profile_file):
    res = run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--seed", "-1")
    assert_user_error(res, "--seed", "non-negative")


@pytest.mark.parametrize(
    ("plan", "needles"),
    [
        pytest.param(
            "channels,tiktok", ["'tiktok'", "unknown module", ", ".join(MODULES)], id="unknown-module"
        ),
        pytest.param("", ["empty"], id="empty"),
        pytest.param("   ", ["empty"], id="blank"),
        pytest.param("channels>", ["empty"], id="empty-phase"),
        pytest.param("shop,channels>shop", ["'shop'", "more than once"], id="duplicate-across-phases"),
        pytest.param("shop,shop", ["'shop'", "more than once"], id="duplicate-in-phase"),
        pytest.param(",", ["empty"], id="only-a-comma"),
    ],
)
def test_bad_plan(wxplan_cmd, profile_file, plan, needles):
    res = run(wxplan_cmd, "evaluate", str(profile_file), *FAST, "--plan", plan)
    assert_user_error(res, "--plan", *needles)


def test_evaluate_requires_plan(wxplan_cmd, profile_file):
    assert_user_error(run(wxplan_cmd, "evaluate", str(profile_file), *FAST), "--plan", "required")


def test_bad_format_and_lang(wxplan_cmd, profile_file):
    assert_user_error(
        run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--format", "docx"), "--format", "'docx'"
    )
    assert_user_error(
        run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--lang", "fr"), "--lang", "'fr'"
    )


def test_assumptions_dir_missing(wxplan_cmd, profile_file, tmp_path):
    missing = tmp_path / "no-such-assumptions"
    res = run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--assumptions", str(missing))
    assert_user_error(res, "assumptions", str(missing), "not a directory")


def test_assumptions_broken_copy(wxplan_cmd, profile_file, tmp_path):
    broken = tmp_path / "assumptions"
    shutil.copytree(ROOT / "assumptions", broken)
    shop = broken / "modules" / "shop.yaml"
    text = shop.read_text(encoding="utf-8")
    shop.write_text(text.replace("low: 500, mode: 5000, high: 50000", "low: 60000, mode: 5000, high: 50000"))
    res = run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--assumptions", str(broken))
    assert_user_error(res, "invalid assumptions", "modules/shop.yaml", "setup.deposit", "low <= mode <= high")


def test_assumptions_copy_not_utf8(wxplan_cmd, profile_file, tmp_path):
    broken = tmp_path / "assumptions"
    shutil.copytree(ROOT / "assumptions", broken)
    salaries = broken / "salaries.yaml"
    salaries.write_bytes(salaries.read_text(encoding="utf-8").encode("gbk"))
    res = run(wxplan_cmd, "recommend", str(profile_file), *FAST, "--assumptions", str(broken))
    assert_user_error(res, "invalid assumptions", "salaries.yaml", "UTF-8")


def test_unknown_subcommand(wxplan_cmd):
    assert_user_error(run(wxplan_cmd, "frobnicate"), "invalid choice", "'frobnicate'", "recommend")


def test_no_subcommand(wxplan_cmd):
    assert_user_error(run(wxplan_cmd), "required", "COMMAND")


def test_help_exits_zero(wxplan_cmd):
    res = run(wxplan_cmd, "--help")
    assert_ok(res)
    for command in ("recommend", "evaluate", "schema", "assumptions"):
        assert command in res.stdout


def test_html_format_is_a_self_contained_report(wxplan_cmd):
    import subprocess

    from tests.conftest import ROOT

    res = subprocess.run(
        [*wxplan_cmd, "recommend", "examples/individual_seller.json", "--format", "html", "--draws", "500",
         "--as-of", "2026-11-21"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("<!DOCTYPE html>") or res.stdout.lower().startswith("<!doctype html>")
    assert "<svg" in res.stdout and "<script" not in res.stdout
