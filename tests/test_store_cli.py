"""``wxplan scenarios ...`` as a subprocess on an SQLite file: every command, and every user error exits 2
with ``wxplan: error:`` naming the scenario or file, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import AS_OF, ROOT, make_profile

from engine.store import Scenario, ScenarioStore, run

EXAMPLE = str(ROOT / "examples" / "douyin_native_brand.json")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WXPLAN_DEBUG", "WXPLAN_DATABASE_URL")}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")  # never the real default file
    return {**env, **extra}


def wx(tmp_path: Path, *args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "scenarios", *args],
        input=input,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(tmp_path, **env),
        timeout=120,
    )


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'scenarios.db'}"


def test_every_command(tmp_path, db):
    d = ("--database", db)
    out = ok(
        wx(tmp_path, *d, "save", "客户A 2026", EXAMPLE, "--notes", "first pass\nmore", "--as-of", AS_OF,
           "--draws", "300", "--seed", "3", "--override", "salary=1.2", "--override", "promotion=0.5")
    )  # fmt: skip
    assert "saved scenario '客户A 2026'" in out
    ok(wx(tmp_path, *d, "save", "forced", "-", "--plan", "channels,shop>wecom", "--draws", "200",
          input=Path(EXAMPLE).read_text(encoding="utf-8")))  # fmt: skip

    table = ok(wx(tmp_path, *d, "list")).splitlines()
    assert table[0].split()[:2] == ["NAME", "UPDATED"]
    assert table[1].startswith("forced ") and "channels,shop>wecom" in table[1]
    assert table[2].startswith("客户A 2026 ") and AS_OF in table[2] and "first pass" in table[2]
    listed = json.loads(ok(wx(tmp_path, "list", "--format", "json", *d)))  # --database after the action
    assert [s["name"] for s in listed] == ["forced", "客户A 2026"]

    with ScenarioStore(db) as store:
        saved = store.get("客户A 2026")
    assert saved.overrides.salary == 1.2 and saved.seed == 3 and saved.draws == 300
    shown = json.loads(ok(wx(tmp_path, *d, "show", "客户A 2026", "--lang", "en")))
    assert shown == json.loads(run(saved, "en").model_dump_json())
    markdown = ok(wx(tmp_path, *d, "show", "forced", "--format", "markdown", "--lang", "en"))
    assert markdown.startswith("# WeChat commerce plan") and "WeCom" in markdown

    assert "renamed scenario 'forced' to 'plan B'" in ok(wx(tmp_path, *d, "rename", "forced", "plan B"))
    assert "copied scenario 'plan B' to 'plan C'" in ok(wx(tmp_path, *d, "duplicate", "plan B", "plan C"))
    assert "deleted scenario 'plan C'" in ok(wx(tmp_path, *d, "delete", "plan C"))

    exported = ok(wx(tmp_path, *d, "export", "客户A 2026"))
    data = json.loads(exported)
    assert data["format"] == "wxplan-scenario" and data["scenario"]["name"] == "客户A 2026"
    (tmp_path / "a.json").write_text(exported, encoding="utf-8")
    ok(wx(tmp_path, *d, "delete", "客户A 2026"))
    assert "imported scenario '客户A 2026'" in ok(wx(tmp_path, *d, "import", str(tmp_path / "a.json")))
    assert ok(wx(tmp_path, *d, "export", "客户A 2026")) == exported  # exactly, timestamps included
    assert "replaced scenario '客户A 2026'" in ok(
        wx(tmp_path, *d, "import", "-", "--overwrite", input=exported)
    )
    with ScenarioStore(db) as store:
        assert store.get("客户A 2026") == saved and store.names() == ["plan B", "客户A 2026"]

    # Without --database: WXPLAN_DATABASE_URL, else the default file under XDG_DATA_HOME.
    assert json.loads(ok(wx(tmp_path, "list", "--format", "json", WXPLAN_DATABASE_URL=db)))[0]["name"]
    ok(wx(tmp_path, "save", "default", EXAMPLE))
    assert (tmp_path / "xdg" / "wxplan" / "scenarios.db").is_file()
    assert "default" in ok(wx(tmp_path, "list"))


def test_empty_list_says_so(tmp_path, db):
    proc = wx(tmp_path, "--database", db, "list")
    assert ok(proc) == "" and "no scenarios in sqlite:///" in proc.stderr


ERRORS = [
    (("show", "nope"), "scenario 'nope' not found in sqlite:///"),
    (("rename", "nope", "x"), "scenario 'nope' not found"),
    (("rename", "a", "b"), "scenario 'b' already exists"),
    (("rename", "a", ""), "name"),
    (("duplicate", "nope", "x"), "scenario 'nope' not found"),
    (("duplicate", "a", "b"), "scenario 'b' already exists"),
    (("delete", "nope"), "scenario 'nope' not found"),
    (("export", "nope"), "scenario 'nope' not found"),
    (("save", "a", "{profile}"), "scenario 'a' already exists"),
    (("save", "new", "{missing}"), "missing.json: no such file"),
    (("save", "new", "{bad}"), "bad.json: not valid JSON"),
    (("save", "new", "{badprofile}"), "badprofile.json: invalid profile\nprofile field 'category'"),
    (("save", "new", "{profile}", "--plan", "channels,tiktok"), "--plan: unknown module 'tiktok'"),
    (("save", "new", "{profile}", "--draws", "5"), "--draws: Input should be greater than or equal to 100"),
    (("save", "new", "{profile}", "--as-of", "2026-13-01"), "--as-of: Input should be a valid date"),
    (("save", "new", "{profile}", "--override", "salary=0"), "--override salary"),
    (("save", "new", "{profile}", "--override", "tax=2"), "--override: 'tax=2' must be KEY=FACTOR"),
    (("save", "x" * 121, "{profile}"), "NAME: String should have at most 120 characters"),
    (("import", "{missing}"), "missing.json: no such file"),
    (("import", "{dir}"), "dir: is a directory"),
    (("import", "{bad}"), "bad.json: not valid JSON"),
    (("import", "{latin1}"), "latin1.json: not UTF-8 text"),
    (("import", "{list}"), "list.json: not a wxplan scenario export\nexpected a JSON object, got list"),
    (("import", "{old}"), "old.json: not a wxplan scenario export\n'version' 99 is not supported"),
    (("import", "{noprofile}"), "noprofile.json: not a wxplan scenario export\nprofile: Field required"),
    (("import", "{exported_a}"), "scenario 'a' already exists"),
    (("--database", "postgresql://me:hunter2@127.0.0.1:9/x", "list"), "postgresql://me:***@127.0.0.1:9/x"),
    (("--database", "not a url", "list"), "'not a url' is not a database URL"),
    (
        ("list", "--database", "sqlite:////nonexistent/dir/s.db"),
        "cannot open database sqlite:////nonexistent",
    ),
]


def _files(tmp: Path) -> dict[str, str]:
    (tmp / "bad.json").write_text("{not json", encoding="utf-8")
    (tmp / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp / "profile.json").write_text(json.dumps(make_profile()), encoding="utf-8")
    (tmp / "badprofile.json").write_text(json.dumps(make_profile(category="toys")), encoding="utf-8")
    (tmp / "latin1.json").write_bytes(b'{"name": "caf\xe9"}')
    (tmp / "old.json").write_text(
        json.dumps({"format": "wxplan-scenario", "version": 99, "scenario": {}}), encoding="utf-8"
    )
    (tmp / "noprofile.json").write_text(
        json.dumps({"format": "wxplan-scenario", "version": 1, "scenario": {"name": "x"}}), encoding="utf-8"
    )
    (tmp / "dir").mkdir()
    files = {p.stem: str(p) for p in tmp.iterdir()}
    return {**files, "missing": str(tmp / "missing.json"), "exported_a": str(tmp / "exported_a.json")}


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory) -> tuple[str, Path, list[subprocess.CompletedProcess]]:
    """Every case of ERRORS run against one database holding 'a' and 'b' (4 at a time: they only read)."""
    tmp = tmp_path_factory.mktemp("cli_errors")
    db = f"sqlite:///{tmp / 'scenarios.db'}"
    files = _files(tmp)
    with ScenarioStore(db) as store:
        for name in ("a", "b"):
            store.save(Scenario(name=name, profile=make_profile(), draws=200))
        Path(files["exported_a"]).write_text(json.dumps(store.export("a")), encoding="utf-8")

    def one(args: tuple[str, ...]) -> subprocess.CompletedProcess:
        argv = [a.format(**files) if a.startswith("{") else a for a in args]
        return wx(tmp, *(argv if "--database" in argv else ["--database", db, *argv]))

    with ThreadPoolExecutor(max_workers=4) as pool:
        return db, tmp, list(pool.map(one, [args for args, _ in ERRORS]))


@pytest.mark.parametrize("case", range(len(ERRORS)), ids=[" ".join(a)[:40] for a, _ in ERRORS])
def test_user_errors_exit_2_without_traceback(error_runs, case):
    message = ERRORS[case][1]
    proc = error_runs[2][case]
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("wxplan: error: ")
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and "hunter2" not in proc.stderr


def test_user_errors_change_nothing(error_runs):
    db, tmp, _ = error_runs
    with ScenarioStore(db) as store:
        assert store.names() == ["a", "b"]
    assert not (tmp / "xdg").exists()  # every case used the database it was given


def test_save_keeps_the_horizon_and_forced_levels_and_show_runs_with_them(tmp_path, db):
    d = ("--database", db)
    out = ok(wx(tmp_path, *d, "save", "三年", EXAMPLE, "--draws", "300", "--as-of", AS_OF, "--horizon", "36",
                "--level", "channels=lean"))  # fmt: skip
    assert "saved scenario '三年'" in out
    with ScenarioStore(db) as store:
        saved = store.get("三年")
    assert saved.horizon_months == 36 and saved.levels == {"channels": "lean"}
    shown = json.loads(ok(wx(tmp_path, *d, "show", "三年", "--lang", "en")))
    assert (
        shown["value"]["horizon_months"] == 36 and shown["modules"]["channels"]["operating_level"] == "lean"
    )
    bad = wx(tmp_path, *d, "save", "坏", EXAMPLE, "--horizon", "18")
    assert bad.returncode == 2 and "--horizon" in bad.stderr and "12, 24, 36" in bad.stderr
    assert "Traceback" not in bad.stderr
