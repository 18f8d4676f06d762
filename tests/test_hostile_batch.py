"""``wxplan batch`` against hostile files, targets and interruptions (issue 11).

The invariants: exit 0 or 2, never a traceback; no input row lost or reordered; no existing file or device
clobbered; no huge value echoed back; Ctrl-C, SIGTERM and SIGKILL leave no partial file behind (the next
run sweeps what SIGKILL left) and no worker running.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import AS_OF, ROOT

from engine import batch, leads, safe_io
from engine.leads import OUTPUT_COLUMNS, LeadFileError, neutralise

EXAMPLE = ROOT / "examples" / "leads.csv"
FAST = ("--draws", "100", "--as-of", AS_OF)
OPTS = batch.options(as_of=AS_OF, draws=100, seed=0)
csv.field_size_limit(1 << 30)  # the tests read back outputs with huge cells


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("WXPLAN_DEBUG", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def wxplan(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    """``wxplan ARGS`` run from ``cwd`` (a temporary directory: a wrong file name lands there)."""
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        capture_output=True, cwd=cwd, env=_env(), timeout=120, **kw,
    )  # fmt: skip


def popen(*args: str, cwd: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=_env(), **kw,
    )  # fmt: skip


def err(res: subprocess.CompletedProcess) -> str:
    return res.stderr.decode("utf-8", "replace")


def assert_ok(res: subprocess.CompletedProcess) -> None:
    assert res.returncode == 0, err(res)
    assert "Traceback" not in err(res)


def assert_user_error(res: subprocess.CompletedProcess, *needles: str) -> None:
    text = err(res)
    assert res.returncode == 2, f"exit {res.returncode}: {text}"
    assert "Traceback" not in text and "internal error" not in text, text
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


def lines() -> list[str]:
    return EXAMPLE.read_text(encoding="utf-8").splitlines()


def rows_of(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def big_list(tmp_path: Path, copies: int) -> Path:
    """The example leads ``copies`` times over: a list that takes a while to score."""
    header, *body = lines()
    path = tmp_path / "big.csv"
    path.write_text("\n".join([header, *body * copies]) + "\n", encoding="utf-8")
    return path


def wait_for(predicate, what: str, limit: float = 60.0) -> None:
    """Poll until ``predicate()`` (a guard against hanging, not a timing assertion)."""
    end = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.05)


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


# --- 1. special files are written straight, never replaced ------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="making a character device needs root")
def test_a_character_device_is_written_not_replaced(tmp_path):
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    assert_ok(wxplan("batch", str(EXAMPLE), "-o", str(null), *FAST, cwd=tmp_path))
    assert stat.S_ISCHR(os.lstat(null).st_mode), "the device is still a device"
    assert os.lstat(null).st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_fifo_is_streamed_not_replaced(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    res = wxplan("batch", str(EXAMPLE), "-o", str(fifo), *FAST, cwd=tmp_path)
    reader.join(30)
    if reader.is_alive():  # the old code never opened the FIFO: unblock the reader
        with open(fifo, "wb"):
            pass
        reader.join(5)
    assert_ok(res)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO is still a FIFO"
    assert got and len(rows_of(got[0])) == len(lines())


# Not the real /dev/stdout: run against a wxplan with the bug, that would replace the system's link. A link
# of our own to /proc/self/fd/1 takes the same path (test_plan_says_how_each_target_is_written checks
# that /dev/stdout is recognised).
@pytest.mark.parametrize("how", ["-", "link"])
def test_standard_output_is_streamed(tmp_path, how):
    link = tmp_path / "out"
    link.symlink_to("/proc/self/fd/1")
    target = str(link) if how == "link" else how
    res = wxplan("batch", str(EXAMPLE), "-o", target, *FAST, cwd=tmp_path)
    assert_ok(res)
    rows = rows_of(res.stdout)
    assert [r[0] for r in rows] == [line.split(",")[0] for line in lines()]
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1", "the link is still a link"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no file named '-' or the like"


def test_a_symlink_to_a_file_is_followed_not_replaced(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real.name)
    assert_ok(wxplan("batch", str(EXAMPLE), "-o", str(link), *FAST, "--overwrite", cwd=tmp_path))
    assert link.is_symlink(), "the link is kept"
    assert len(rows_of(real.read_bytes())) == len(lines()), "the file it points to is written"


def test_plan_says_how_each_target_is_written(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    assert safe_io.plan("-").kind == "fd"
    assert safe_io.plan("/dev/stdout").kind == "fd"
    assert safe_io.plan("/dev/null").kind == "stream"
    assert safe_io.plan(tmp_path / "fifo").kind == "stream"
    assert safe_io.plan(tmp_path / "new.csv").kind == "file"
    with pytest.raises(safe_io.OutputError, match="is a directory"):
        safe_io.plan(tmp_path)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(safe_io.OutputError, match="does not exist"):
        safe_io.plan(tmp_path / "dangling")


# --- 2. a stray quote never swallows rows silently ------------------------------------------------


def _with_quote_before_name(line_number: int) -> bytes:
    text = lines()
    first, rest = text[line_number - 1].split(",", 1)
    text[line_number - 1] = f'{first},"{rest}'
    return ("\n".join(text) + "\n").encode("utf-8")


def test_a_stray_quote_fails_the_run_naming_its_line(tmp_path):
    source = tmp_path / "leads.csv"
    source.write_bytes(_with_quote_before_name(3))  # the issue's repro: a quote before L002's name
    out = tmp_path / "out.csv"
    res = wxplan("batch", str(source), "-o", str(out), *FAST, cwd=tmp_path)
    assert_user_error(res, "line 3:", 'a quote (")', "line(s), to line", "stray quote")
    assert not out.exists()


@pytest.mark.parametrize("line_number", range(2, len(lines()) + 1))
def test_a_stray_quote_anywhere_loses_no_lead(line_number):
    data = _with_quote_before_name(line_number)
    try:
        found = leads.open_leads(data)
    except LeadFileError as exc:
        assert f"line {line_number}:" in str(exc)
        assert exc.key == "batch.error.unclosed_quote" and exc.text("zh").startswith(f"第 {line_number} 行")
        return
    assert found.rows == len(lines()) - 1, "one output row per data line"


def test_quote_swallowing_to_the_end_of_the_file_is_caught():
    text = [line.replace('"', "") for line in lines()]  # no other quote to close it
    text[4] = text[4].replace(",", ',"', 1)
    with pytest.raises(LeadFileError) as info:
        leads.open_leads(("\n".join(text) + "\n").encode("utf-8"))
    assert "line 5:" in str(info.value) and f"to line {len(text)}" in str(info.value)


def test_a_quote_that_closes_at_a_comma_lines_later_is_caught():
    text = [line.replace('"', "") for line in lines()]
    text[3] = text[3].replace(",", ',"', 1)
    text[8] = text[8].replace(",", '",', 1)  # closes, then the rest of line 9's cells
    with pytest.raises(LeadFileError, match="line 4: "):
        leads.open_leads(("\n".join(text) + "\n").encode("utf-8"))


def test_quoted_line_breaks_are_still_fine():
    text = lines()
    text[3] = text[3].rsplit(",", 1)[0] + ',"第一行\n第二行, 还有逗号"'
    summary, rows = _run(("\n".join(text) + "\n").encode("utf-8"))
    assert summary.rows == len(lines()) - 1 and summary.errors == 0
    assert rows[3][len(rows[0]) - len(OUTPUT_COLUMNS) - 1] == "第一行\n第二行, 还有逗号"


# --- 3. an existing output is kept unless --overwrite, and keeps its mode ---------------------------


def test_an_existing_output_is_refused_without_overwrite(tmp_path):
    out = tmp_path / "e.csv"
    out.write_text("x\n", encoding="utf-8")
    out.chmod(0o600)
    res = wxplan("batch", str(EXAMPLE), "-o", str(out), *FAST, cwd=tmp_path)
    assert_user_error(res, str(out), "already exists", "--overwrite")
    assert out.read_text(encoding="utf-8") == "x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.csv"]


def test_overwrite_keeps_the_files_mode(tmp_path):
    out = tmp_path / "e.csv"
    out.write_text("x\n", encoding="utf-8")
    out.chmod(0o600)
    assert_ok(wxplan("batch", str(EXAMPLE), "-o", str(out), *FAST, "--overwrite", cwd=tmp_path))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(rows_of(out.read_bytes())) == len(lines())


def test_a_file_that_appears_during_the_run_is_not_clobbered(tmp_path):
    out = tmp_path / "o.csv"

    def progress(done: int, total: int) -> None:
        if not out.exists():
            out.write_text("someone else's", encoding="utf-8")

    with pytest.raises(safe_io.OutputExists):
        leads.run_to_file(EXAMPLE, out, OPTS, progress=progress)
    assert out.read_text(encoding="utf-8") == "someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anything")
def test_a_read_only_file_is_not_replaced(tmp_path):
    out = tmp_path / "ro.csv"
    out.write_text("keep", encoding="utf-8")
    out.chmod(0o444)
    res = wxplan("batch", str(EXAMPLE), "-o", str(out), *FAST, "--overwrite", cwd=tmp_path)
    assert_user_error(res, "read-only")
    assert out.read_text(encoding="utf-8") == "keep"


# --- 13. signals: one line, the right status, nothing left behind; stale files swept -----------------


@pytest.mark.parametrize(
    ("signum", "status", "name"), [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")]
)
def test_a_signal_stops_the_run_cleanly(tmp_path, signum, status, name):
    source = big_list(tmp_path, 2000)
    out = tmp_path / "o.csv"
    proc = popen(
        "batch", str(source), "-o", str(out), *FAST, "--workers", "1", cwd=tmp_path, start_new_session=True
    )
    try:
        wait_for(lambda: _partial(tmp_path), "rows in the temporary file")  # scoring is under way
        os.killpg(proc.pid, signum)  # as a terminal's Ctrl-C does: the whole process group
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = stderr.decode("utf-8", "replace")
    assert proc.returncode == status, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert text.strip().splitlines() == [
        f"wxplan: stopped by {name}" + (" (Ctrl-C)" if signum == signal.SIGINT else "")
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"], "no partial or temporary file"


def _partial(directory: Path) -> bool:
    """Whether a temporary output file with rows in it is there."""
    for path in directory.iterdir():
        if path.name.endswith(".tmp"):
            try:
                return path.stat().st_size > 0
            except OSError:
                return False
    return False


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(proc.stdout)


def test_stale_temporary_files_are_swept_by_the_next_run(tmp_path):
    dead = _dead_pid()
    stale = [tmp_path / f".wxplan-{dead}-0123abcd.tmp", tmp_path / f".o.csv.{dead}.89abcdef.tmp"]
    live = tmp_path / f".wxplan-{os.getpid()}-deadbeef.tmp"  # a running process's: not touched
    other = tmp_path / f".notes.{dead}.01234567.tmp"  # the old form, but for another file
    for path in (*stale, live, other):
        path.write_text("partial", encoding="utf-8")
    assert_ok(wxplan("batch", str(EXAMPLE), "-o", str(tmp_path / "o.csv"), *FAST, cwd=tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["o.csv", live.name, other.name])


def test_a_killed_run_leaves_a_file_the_next_run_sweeps(tmp_path):
    source = big_list(tmp_path, 2000)
    proc = popen("batch", str(source), "-o", str(tmp_path / "o.csv"), *FAST, "--workers", "1", cwd=tmp_path)
    try:
        wait_for(lambda: any(p.name.endswith(".tmp") for p in tmp_path.iterdir()), "the temporary file")
    finally:
        proc.kill()
        proc.communicate()
    assert any(p.name.startswith(".wxplan-") for p in tmp_path.iterdir())
    assert_ok(wxplan("batch", str(EXAMPLE), "-o", str(tmp_path / "o.csv"), *FAST, cwd=tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", "o.csv"]


# --- 14. workers die with their parent ------------------------------------------------------------


@pytest.mark.skipif(batch.max_workers() < 2, reason="needs two CPUs for two workers")
def test_workers_exit_when_the_parent_is_killed(tmp_path):
    source = big_list(tmp_path, 2000)
    proc = popen("batch", str(source), "-o", str(tmp_path / "o.csv"), *FAST, "--workers", "2", cwd=tmp_path)
    workers: list[int] = []
    try:

        def started() -> bool:
            workers[:] = children(proc.pid)
            return len(workers) >= 2 or proc.poll() is not None

        wait_for(started, "two workers")
        assert len(workers) >= 2, err_text(proc)
    finally:
        proc.kill()
        proc.communicate()
    try:
        wait_for(lambda: not any(alive(w) for w in workers), "the workers to exit", limit=20)
    finally:
        for w in workers:
            if alive(w):
                os.kill(w, signal.SIGKILL)


def err_text(proc: subprocess.Popen) -> str:
    proc.kill()
    return proc.communicate()[1].decode("utf-8", "replace")


# --- 15. --workers is capped, and says so ---------------------------------------------------------


def test_workers_are_capped_with_a_notice(tmp_path):
    res = wxplan("batch", str(EXAMPLE), "-o", str(tmp_path / "o.csv"), *FAST, "--workers", "32", cwd=tmp_path)
    assert_ok(res)
    cap = batch.max_workers()
    assert cap <= batch.MAX_WORKERS == 8
    notes = [line for line in err(res).splitlines() if "--workers" in line]
    assert notes == [
        f"wxplan: note: --workers 32 is more than the {cap} this machine can use (its CPUs, at most 8); using {cap}"
    ]
    helptext = wxplan("batch", "--help", cwd=tmp_path).stdout.decode()
    assert f"never more than {cap}" in " ".join(helptext.split())
    with batch.Scorer(OPTS, workers=32) as scorer:
        assert scorer.workers == cap


# --- 16 and 18. bounded memory per line; a huge cell keeps the row's id; long output names -----------


def _peak_rss_mb(*args: str, cwd: Path) -> float:
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        cwd=cwd, env=_env(),
    )  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss / 1024


def test_a_line_of_commas_is_rejected_with_bounded_memory(tmp_path):
    header, first, second, *_ = lines()
    source = tmp_path / "commas.csv"
    source.write_text("\n".join([header, first + "," * 20_000_000, second]) + "\n", encoding="utf-8")
    small = tmp_path / "small.csv"
    small.write_text("\n".join([header, first, second]) + "\n", encoding="utf-8")
    base = _peak_rss_mb(
        "batch", str(small), "-o", str(tmp_path / "s.csv"), *FAST, "--workers", "1", cwd=tmp_path
    )
    peak = _peak_rss_mb(
        "batch", str(source), "-o", str(tmp_path / "c.csv"), *FAST, "--workers", "1", cwd=tmp_path
    )
    assert peak < base + 100, f"{peak:.0f} MB for a 20 MB line (a small list: {base:.0f} MB)"
    rows = rows_of((tmp_path / "c.csv").read_bytes())
    error = rows[1][len(rows[0]) - len(OUTPUT_COLUMNS)]
    assert rows[1][0] == first.split(",")[0], "the row keeps its id"
    assert "line 2 has 20,000," in error and "characters" in error and len(error) < 300
    assert rows[2][len(rows[0]) - len(OUTPUT_COLUMNS)] == "", "the next row is scored"


def test_a_cell_over_16_mb_is_a_row_error_that_keeps_the_id(tmp_path):
    header, first, second, third, *_ = lines()
    rows_in = next(csv.reader([second]))
    rows_in[1] = "N" * (16 * 1024 * 1024 + 10)
    out_text = io.StringIO()
    csv.writer(out_text, lineterminator="\n").writerow(rows_in)
    source = tmp_path / "huge.csv"
    source.write_text(
        "\n".join([header, first]) + "\n" + out_text.getvalue() + third + "\n", encoding="utf-8"
    )
    out = tmp_path / "o.csv"
    res = wxplan("batch", str(source), "-o", str(out), *FAST, cwd=tmp_path)
    assert_ok(res)
    assert "3 rows: 2 scored, 1 with errors" in err(res)
    rows = rows_of(out.read_bytes())
    assert [r[0] for r in rows[1:]] == [first.split(",")[0], rows_in[0], third.split(",")[0]]
    assert "characters" in rows[2][len(rows[0]) - len(OUTPUT_COLUMNS)]


def test_the_line_limit_keeps_the_cells_before_it(monkeypatch):
    monkeypatch.setattr(leads, "_LINE_LIMIT", 500)
    header, first, second, *_ = lines()
    summary, rows = _run(("\n".join([header, first + ",x" * 400, second]) + "\n").encode("utf-8"))
    assert (summary.rows, summary.errors) == (2, 1)
    n = len(rows[0]) - len(OUTPUT_COLUMNS)
    assert rows[1][:n] == next(csv.reader([first]))[:n], "every input cell before the limit is kept"


def test_a_quoted_cell_over_the_limit_is_a_file_error(monkeypatch):
    monkeypatch.setattr(leads, "_LINE_LIMIT", 500)
    text = [line.replace('"', "") for line in lines()]
    text[2] = text[2].replace(",", ',"', 1)
    with pytest.raises(LeadFileError, match="line 3: a cell opened with a quote"):
        leads.open_leads(("\n".join(text) + "\n").encode("utf-8"))


@pytest.mark.parametrize("length", [231, 255])
def test_long_output_names_work(tmp_path, length):
    out = tmp_path / ("o" * (length - 4) + ".csv")
    assert_ok(wxplan("batch", str(EXAMPLE), "-o", str(out), *FAST, cwd=tmp_path))
    assert len(rows_of(out.read_bytes())) == len(lines())
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


# --- 19. huge values are not echoed whole ---------------------------------------------------------


def test_a_huge_column_name_is_not_echoed_whole(tmp_path):
    header, first, *_ = lines()
    huge = "名" * 400_000  # twice: under the line limit, so the header is read
    source = tmp_path / "dup.csv"
    source.write_text(f"{header},{huge},{huge}\n{first},a,b\n", encoding="utf-8")
    res = wxplan("batch", str(source), "-o", str(tmp_path / "o.csv"), *FAST, cwd=tmp_path)
    assert_user_error(res, "appears twice", "…(400,000 characters)")
    assert len(res.stderr) < 2000


def test_a_list_cell_of_many_bad_items_gives_a_short_error():
    header, first, *_ = lines()
    cells = next(csv.reader([first]))
    names = next(csv.reader([header]))
    cells[names.index("shelf_platforms")] = ";".join(f"shop{i}" for i in range(50_000))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([names, cells])
    summary, rows = _run(out.getvalue().encode("utf-8"))
    error = rows[1][len(names)]
    assert summary.errors == 1 and "shelf_platforms" in error
    assert "49,997 more" in error and len(error) < 1500


def test_a_bad_cell_is_quoted_back_clipped():
    error = leads.parse_row(
        ["x" * 10_000 if f == "business_type" else "" for f in leads.FIELDS], leads.FIELDS
    )
    assert isinstance(error, str) and "…(10,000 characters)" in error and len(error) < 2000


# --- 22. UTF-16 and UTF-32 without a byte-order mark ---------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-32"])
def test_wide_encodings_without_bom_are_read(encoding):
    reference = _run(EXAMPLE.read_bytes())
    summary, rows = _run(EXAMPLE.read_text(encoding="utf-8").encode(encoding))
    assert (summary.rows, summary.scored) == (len(lines()) - 1, len(lines()) - 1)
    assert summary.encoding == encoding
    assert rows == reference[1]


def test_utf16_without_bom_on_the_command_line(tmp_path):
    source = tmp_path / "wide.csv"
    source.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("utf-16-le"))
    res = wxplan("batch", str(source), "-o", str(tmp_path / "o.csv"), *FAST, cwd=tmp_path)
    assert_ok(res)
    assert f"{len(lines()) - 1} rows: {len(lines()) - 1} scored" in err(res)


def test_nul_filled_bytes_that_are_not_wide_text_say_so():
    with pytest.raises(LeadFileError) as info:
        leads.open_leads(b"\x00\x00\x01\x02" * 300)
    assert "NUL bytes" in str(info.value) and "UTF-16" in str(info.value)


# --- formula injection after leading blanks --------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("\n=1+1", "'\n=1+1"),
        (" =cmd|' /C calc'!A0", "' =cmd|' /C calc'!A0"),
        ("\u00a0@SUM(A1)", "'\u00a0@SUM(A1)"),
        ("  \n +cmd", "'  \n +cmd"),
        ("\u200b=x", "'\u200b=x"),
        (" -5", " -5"),
        ("\n3", "\n3"),
        (" note", " note"),
    ],
)
def test_formulas_after_leading_blanks_are_neutralised(given, written):
    assert neutralise(given) == written


def test_blank_led_formulas_are_neutralised_in_the_output():
    header, first, *_ = lines()
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [[*next(csv.reader([header]))], [*next(csv.reader([first]))[:-1], "\n=HYPERLINK(1)"]]
    )
    _, rows = _run(out.getvalue().encode("utf-8"))
    assert "'\n=HYPERLINK(1)" in rows[1]


def _run(data: bytes) -> tuple[leads.Summary, list[list[str]]]:
    sink = io.StringIO(newline="")
    summary = leads.run(data, sink, OPTS)
    return summary, list(csv.reader(io.StringIO(sink.getvalue(), newline="")))
