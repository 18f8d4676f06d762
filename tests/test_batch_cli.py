"""``wxplan batch``, run as a subprocess: the happy path on the example lead list, the progress bar, and
every user-error path (exit 2, ``wxplan: error: ...``, no traceback, no output file)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path

import pytest
from conftest import AS_OF, ROOT

from engine.leads import OUTPUT_COLUMNS
from engine.profile import MerchantProfile

EXAMPLE = ROOT / "examples" / "leads.csv"
FAST = ("--draws", "100", "--as-of", AS_OF)
FIELDS = tuple(MerchantProfile.model_fields)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("WXPLAN_DEBUG", None)  # errors must be clean without it
    return env


def batch(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*cmd, "batch", *args], capture_output=True, encoding="utf-8", cwd=ROOT, env=_env(), timeout=120
    )


def read_output(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "the output is UTF-8 with a byte-order mark"
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def assert_ok(res: subprocess.CompletedProcess) -> None:
    assert res.returncode == 0, f"exit {res.returncode}\nstderr:\n{res.stderr}"
    assert "Traceback" not in res.stderr


def assert_user_error(res: subprocess.CompletedProcess, *needles: str) -> None:
    assert res.returncode == 2, f"expected exit 2, got {res.returncode}\nstderr:\n{res.stderr}"
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res.stderr
    assert res.stdout == ""
    assert "error:" in res.stderr
    for needle in needles:
        assert needle in res.stderr, f"{needle!r} not in stderr:\n{res.stderr}"


# --- the happy path --------------------------------------------------------------------------------


def test_example_lead_list(wxplan_cmd, tmp_path):
    out = tmp_path / "scored.csv"
    res = batch(wxplan_cmd, str(EXAMPLE), "-o", str(out), *FAST)
    assert_ok(res)
    assert res.stdout == ""
    assert f"30 rows: 30 scored, 0 with errors → {out}" in res.stderr
    assert "[" not in res.stderr, "no progress bar when stderr is not a terminal"
    rows = read_output(out)
    given = list(csv.DictReader(EXAMPLE.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == [g["id"] for g in given]
    assert [r["备注"] for r in rows] == [g["备注"] for g in given]
    assert list(rows[0]) == [*given[0], *OUTPUT_COLUMNS]
    assert all(r["error"] == "" and r["verdict_shop"] for r in rows)
    assert [p.name for p in tmp_path.iterdir()] == ["scored.csv"], "no temporary file left behind"


def test_same_seed_same_file_and_english_labels(wxplan_cmd, tmp_path):
    a, b, en = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "en.csv"
    for path, extra in ((a, ()), (b, ()), (en, ("--lang", "en"))):
        assert_ok(batch(wxplan_cmd, str(EXAMPLE), "-o", str(path), *FAST, "--seed", "5", *extra))
    assert a.read_bytes() == b.read_bytes()
    zh_rows, en_rows = read_output(a), read_output(en)
    assert [r["plan"] for r in zh_rows] == [r["plan"] for r in en_rows]
    assert any("WeChat Shop" in r["plan_label"] for r in en_rows)
    assert not any("WeChat Shop" in r["plan_label"] for r in zh_rows)


def test_input_from_stdin(wxplan_cmd, tmp_path):
    out = tmp_path / "o.csv"
    res = subprocess.run(
        [*wxplan_cmd, "batch", "-", "-o", str(out), *FAST],
        input=EXAMPLE.read_text(encoding="utf-8").encode("gbk"), capture_output=True, cwd=ROOT, env=_env(),
        timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr.decode()
    assert [r["name"] for r in read_output(out)][:2] == ["杭州织梦服饰", "老王家卤味"]


def test_rows_with_errors_still_exit_0(wxplan_cmd, tmp_path):
    source = tmp_path / "leads.csv"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("个体商户", "机器人")
    source.write_text("\n".join(lines[:6]) + "\n", encoding="gbk")
    out = tmp_path / "out.csv"
    res = batch(wxplan_cmd, str(source), "-o", str(out), *FAST)
    assert_ok(res)
    assert "5 rows: 4 scored, 1 with errors" in res.stderr
    rows = read_output(out)
    assert rows[1]["error"].startswith("business_type: '机器人' is not allowed; allowed: brand")
    assert rows[1]["name"] == "老王家卤味"


def test_progress_bar(wxplan_cmd, tmp_path):
    res = subprocess.run(
        [*wxplan_cmd, "batch", str(EXAMPLE), "-o", str(tmp_path / "o.csv"), *FAST, "--progress"],
        capture_output=True, cwd=ROOT, env=_env(), timeout=120,
    )  # fmt: skip
    err = res.stderr.decode("utf-8")
    assert res.returncode == 0 and "Traceback" not in err, err
    assert "\r[" + "#" * 30 + "] 100%  30/30 rows\n30 rows: 30 scored, 0 with errors" in err
    assert err.count("\n") == 2, "the bar is redrawn in place on one line"


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal(wxplan_cmd, tmp_path):
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [*wxplan_cmd, "batch", str(EXAMPLE), "-o", str(tmp_path / "o.csv"), *FAST],
            stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env=_env(), timeout=120,
        )  # fmt: skip
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal is closed once everything is read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert b"100%  30/30 rows" in seen and b"30 rows: 30 scored" in seen


def test_overwrites_an_existing_output_only_with_overwrite(wxplan_cmd, tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("old", encoding="utf-8")
    assert_user_error(batch(wxplan_cmd, str(EXAMPLE), "-o", str(out), *FAST), "already exists", "--overwrite")
    assert out.read_text(encoding="utf-8") == "old"
    assert_ok(batch(wxplan_cmd, str(EXAMPLE), "-o", str(out), *FAST, "--overwrite"))
    assert len(read_output(out)) == 30


# --- user errors -----------------------------------------------------------------------------------


def _write(tmp_path: Path, content: bytes | str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


HEADER = ",".join(FIELDS)
ROW = "测试,brand,food,none,,basic,,0,4,60000,50000,2,150,0.45,both,mixed,"


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        (b"", ["empty", "business_type", "current_monthly_gmv_cny"]),
        (
            f"{HEADER},id,id\n{ROW},1,2\n",
            ["'id' appears twice", f"columns {len(FIELDS) + 1} and {len(FIELDS) + 2}"],
        ),
        ("name,category\n测试,food\n", ["missing required column(s): business_type", "staff_fte"]),
        (f"{HEADER},plan\n{ROW},x\n", ["'plan'", "output column", "rename"]),
        (bytes(range(256)), ["not a header", "CSV"]),
    ],
    ids=["empty", "duplicate", "missing", "output-name", "binary"],
)
def test_file_errors(wxplan_cmd, tmp_path, content, needles):
    source = _write(tmp_path, content)
    out = tmp_path / "out.csv"
    res = batch(wxplan_cmd, str(source), "-o", str(out), *FAST)
    assert_user_error(res, f"wxplan: error: {source}: ", *needles)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.csv"], "no temporary file left behind"


def test_a_failed_run_keeps_the_old_output(wxplan_cmd, tmp_path):
    source = _write(tmp_path, "a,a\n")
    out = tmp_path / "out.csv"
    out.write_text("old", encoding="utf-8")
    assert_user_error(batch(wxplan_cmd, str(source), "-o", str(out), *FAST, "--overwrite"), "appears twice")
    assert out.read_text(encoding="utf-8") == "old"


def test_worker_processes_write_the_same_file(wxplan_cmd, tmp_path):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert_ok(batch(wxplan_cmd, str(EXAMPLE), "-o", str(one), *FAST, "--workers", "1"))
    assert_ok(batch(wxplan_cmd, str(EXAMPLE), "-o", str(two), *FAST, "--workers", "2"))
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["{missing}", "-o", "{out}"], ["missing.csv: no such file"]),
        (["{dir}", "-o", "{out}"], ["is a directory"]),
        (["{example}", "-o", "{dir}"], ["-o", "is a directory"]),
        (["{example}", "-o", "{nodir}"], ["-o", "does not exist"]),
        (["{copy}", "-o", "{copy}"], ["-o", "is the input file"]),
        (["{example}", "-o", "{out}", "--draws", "5"], ["--draws", "100 to 200000"]),
        (["{example}", "-o", "{out}", "--seed", "-1"], ["--seed", "non-negative"]),
        (["{example}", "-o", "{out}", "--as-of", "21/11/2026"], ["--as-of", "YYYY-MM-DD"]),
        (["{example}", "-o", "{out}", "--as-of", "2001-01-01"], ["--as-of", "earliest evidence"]),
        (
            ["{example}", "-o", "{out}", "--assumptions", "{nodir}"],
            ["invalid assumptions", "not a directory"],
        ),
        (["{example}", "-o", "{out}", "--lang", "fr"], ["--lang", "invalid choice"]),
        (["{example}", "-o", "{out}", "--draws", "many"], ["--draws", "invalid int value"]),
        (["{example}", "-o", "{out}", "--workers", "0"], ["--workers", "positive integer"]),
        (["{example}"], ["-o/--output", "required"]),
        ([], ["INPUT.csv", "required"]),
    ],
    ids=[
        "no-input",
        "input-dir",
        "output-dir",
        "output-nodir",
        "output-is-input",
        "draws",
        "seed",
        "as-of-form",
        "as-of-early",
        "assumptions",
        "lang",
        "draws-type",
        "workers",
        "no-output",
        "nothing",
    ],
)
def test_user_errors(wxplan_cmd, tmp_path, args, needles):
    copy = tmp_path / "copy.csv"
    copy.write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "dir").mkdir()
    names = {
        "missing": tmp_path / "missing.csv",
        "dir": tmp_path / "dir",
        "example": EXAMPLE,
        "out": tmp_path / "out.csv",
        "nodir": tmp_path / "nowhere" / "out.csv",
        "copy": copy,
    }
    res = batch(wxplan_cmd, *(a.format(**names) for a in args), *(() if "--draws" in args else FAST[:2]))
    assert_user_error(res, *needles)
    assert not (tmp_path / "out.csv").exists()
    assert copy.read_bytes() == EXAMPLE.read_bytes()
