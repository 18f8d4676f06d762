"""Hostile input to the scenario store (issue 11): database URLs, spoofing names, unreadable rows, read-only
and busy databases, oversized echoes, strict imports. Invariants: exit 0 or 2 and never a traceback, no
password echoed, a failed import changes nothing. Stored data is tested on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import make_profile
from test_store_cli import ok, wx

from engine.errors import InvalidJSON
from engine.store import (
    _PG_MIGRATION_LOCK,
    ENV_URL,
    InvalidScenario,
    Scenario,
    ScenarioExists,
    ScenarioNotFound,
    ScenarioStore,
    StoreError,
    UnreadableScenario,
    clip,
    export_scenario,
    make_engine,
    mask_url,
    parse_export,
    parse_json,
)

BACKENDS = ["sqlite", "postgresql"]
NFC = unicodedata.normalize("NFC", "café")
NFD = unicodedata.normalize("NFD", "café")


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scenarios.db'}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def store(db_url):
    with ScenarioStore(db_url) as s:
        yield s


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'scenarios.db'}"


def scenario(name: str = "a", **changes) -> Scenario:
    return Scenario.model_validate({"name": name, "profile": make_profile(), "draws": 200, **changes})


def export(name: str = "a", /, **changes) -> dict:
    data = export_scenario(scenario(name))
    data["scenario"].update(changes)
    return data


def insert_raw(url: str, name: str, *, created_sql: str = ":t", **columns) -> None:
    """A row written by something other than wxplan (hand edits, another tool)."""
    engine = make_engine(url)
    now = datetime(2026, 1, 2, 3, 4, 5) if engine.dialect.name == "sqlite" else datetime.now(UTC)
    values = {
        "name": name,
        "notes": "",
        "profile": json.dumps(make_profile()),
        "overrides": "{}",
        "as_of": None,
        "seed": 0,
        "draws": 200,
        "t": now,
        **columns,
    }
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO scenarios (name, notes, profile, overrides, as_of, seed, draws, created_at, "
                f"updated_at) VALUES (:name, :notes, :profile, :overrides, :as_of, :seed, :draws, {created_sql}, :t)"
            ),
            values,
        )
    engine.dispose()


# --- 4: passwords with @ or : ------------------------------------------------------------------

BAD_URLS = {
    "postgresql://wxu:p@ssw0rd!@127.0.0.1/db": ("p@ss", "ssw0rd"),
    "postgresql://wxu:p@ss:w0rd@127.0.0.1:5432/db": ("p@ss", "ss:w0rd", "w0rd"),
    "postgresql://u:p@[::1:1/wx": (":p@",),
    "postgresql://wxu:s3cr@t@127.0.0.1:99999999/db": ("s3cr", "cr@t"),
}


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_url_with_special_characters_in_the_password_is_refused_and_hidden(url):
    with pytest.raises(StoreError) as err:
        ScenarioStore(url)
    message = str(err.value)
    assert "percent-encode" in message and "%40" in message
    assert "***@" in message
    for secret in BAD_URLS[url]:
        assert secret not in message
    assert all(secret not in mask_url(url) for secret in BAD_URLS[url])


def test_mask_url_hides_passwords_also_in_the_query():
    assert mask_url("postgresql://me:hunter2@h:5/d") == "postgresql://me:***@h:5/d"
    assert "hunter2" not in mask_url("postgresql://h/d?user=me&password=hunter2")
    assert mask_url("wxu:hunter2@host/db") == "***@host/db"  # no scheme: still hidden


def test_cli_bad_urls_exit_2_and_never_echo_the_password(tmp_path):
    for url, secrets in BAD_URLS.items():
        proc = wx(tmp_path, "--database", url, "list")
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("wxplan: error: ") and "percent-encode" in proc.stderr
        assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
        assert all(secret not in proc.stderr for secret in secrets)


# --- 6: names that spoof each other -------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    ["\u202e", "\u200b", "\u200d", "\ufeff", "\u0085", "\u009b", "\u2028", "\u2029", "\u2066", "\n", "\x1b"],
)
def test_names_refuse_invisible_and_bidi_characters(char):
    with pytest.raises(ValueError) as err:
        scenario(f"invoice{char}gpj.exe")
    assert f"U+{ord(char):04X}" in str(err.value)


def test_names_are_nfc(store):
    stored = store.save(scenario(NFD))
    assert stored.name == NFC and store.names() == [NFC]
    with pytest.raises(ScenarioExists):
        store.save(scenario(NFC))
    assert store.get(NFD).name == NFC and store.exists(NFD)
    with pytest.raises(ScenarioExists):
        store.import_(export(NFD))
    store.rename(NFD, NFD + "2")
    assert store.names() == [NFC + "2"]
    store.duplicate(NFC + "2", NFD)
    assert store.names() == [NFC, NFC + "2"]
    store.delete(NFD)
    store.delete(NFD + "2")
    assert store.names() == []


def test_a_row_stored_before_the_rule_can_still_be_read_and_renamed(store, db_url):
    insert_raw(db_url, "old\u202ename", notes="line\r\nend")
    insert_raw(db_url, NFD)
    assert {s.name for s in store.list()} == {"old\u202ename", NFC}
    assert store.get(NFD).name == NFC  # found although stored as NFD
    with pytest.raises(InvalidScenario, match="U\\+202E"):
        store.rename("old\u202ename", "still\u202ebad")
    assert store.rename("old\u202ename", "fixed").notes == "line\r\nend"
    assert store.names() == [NFD, "fixed"] or store.names() == ["fixed", NFD]


def test_cli_refuses_a_spoofing_name_and_a_second_cafe(tmp_path, db):
    d = ("--database", db)
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps(make_profile()), encoding="utf-8")
    ok(wx(tmp_path, *d, "save", NFC, str(profile), "--draws", "200"))
    proc = wx(tmp_path, *d, "save", NFD, str(profile), "--draws", "200")
    assert proc.returncode == 2 and "already exists" in proc.stderr
    proc = wx(tmp_path, *d, "save", "a\u202eb", str(profile), "--draws", "200")
    assert proc.returncode == 2 and "U+202E (RIGHT-TO-LEFT OVERRIDE)" in proc.stderr
    assert "\u202e" not in proc.stderr  # echoed escaped
    assert [s["name"] for s in json.loads(ok(wx(tmp_path, *d, "list", "--format", "json")))] == [NFC]


# --- 12: timestamps, unreadable rows, the default folder ------------------------------------------


@pytest.mark.parametrize(
    "stamp", ["9999-12-31T23:59:59.999999-12:00", "0001-01-01T00:00:00+01:00", "1969-12-31T23:59:59Z"]
)
def test_import_refuses_timestamps_out_of_range(stamp, store):
    with pytest.raises(InvalidScenario, match=r"updated_at: .*out of range"):
        store.import_(export(updated_at=stamp))
    assert store.names() == []
    assert store.import_(export(updated_at="9998-12-31T23:59:59Z")).updated_at.year == 9998


def test_list_skips_an_unreadable_row_and_names_it(store, db_url):
    store.save(scenario("good"))
    insert_raw(db_url, "bad json", profile="{not json")
    insert_raw(db_url, "deep", profile="[" * 100_000 + "]" * 100_000)
    insert_raw(db_url, "huge", overrides='{"salary": ' + "9" * 5000 + "}")
    if store.engine.dialect.name == "sqlite":  # typed columns on PostgreSQL: only SQLite can hold these
        insert_raw(db_url, "bad date", created_sql="'last tuesday'")
        insert_raw(db_url, "bad as_of", as_of="soon")
    unreadable: list[UnreadableScenario] = []
    assert [s.name for s in store.list(unreadable)] == ["good"]
    names = {e.name for e in unreadable}
    assert {"bad json", "deep", "huge"} <= names
    assert all("cannot be read" in str(e) for e in unreadable)
    with pytest.raises(UnreadableScenario, match=r"scenario '.*' cannot be read"):
        store.list()
    with pytest.raises(StoreError, match="bad json"):
        store.get("bad json")
    store.delete("bad json")  # can still be removed
    assert "bad json" not in store.names()


def test_cli_list_warns_about_an_unreadable_row_and_lists_the_others(tmp_path, db):
    with ScenarioStore(db) as s:
        s.save(scenario("good"))
    insert_raw(db, "bad json", profile="{not json")
    insert_raw(db, "bad date", created_sql="'last tuesday'")
    insert_raw(db, "bad as_of", as_of="soon")
    for fmt in ("table", "json"):
        proc = wx(tmp_path, "--database", db, "list", "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        assert "good" in proc.stdout and "bad" not in proc.stdout
        warnings = [line for line in proc.stderr.splitlines() if line.startswith("wxplan: warning: ")]
        assert len(warnings) == 3 and all("cannot be read" in w for w in warnings)
        assert any("'bad json'" in w for w in warnings) and any("'bad date'" in w for w in warnings)
    proc = wx(tmp_path, "--database", db, "show", "bad json")
    assert proc.returncode == 2 and "scenario 'bad json' cannot be read" in proc.stderr


def test_an_unusable_data_folder_is_a_store_error(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_URL, raising=False)
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "file" / "below"))
    with pytest.raises(StoreError, match=r"cannot create the folder .* XDG_DATA_HOME"):
        ScenarioStore()

    def refuse(*_a, **_k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "locked"))
    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(StoreError, match="Permission denied"):
        ScenarioStore()


def test_cli_unusable_data_folder_exits_2(tmp_path):
    (tmp_path / "file").write_text("")
    proc = wx(tmp_path, "list", XDG_DATA_HOME=str(tmp_path / "file" / "below"))
    assert proc.returncode == 2 and "cannot create the folder" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


# --- 17: read-only and busy databases --------------------------------------------------------------


def _read_as_nobody(url: str, queue) -> None:
    """In a forked child: drop root (root can write any file) and read the store."""
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    try:
        with ScenarioStore(url) as s:
            listed = [x.name for x in s.list()]
            got = s.get("a").name
            try:
                s.save(scenario("b"))
                saved = "saved"
            except StoreError as err:
                saved = str(err)
        queue.put((listed, got, saved))
    except Exception as err:  # reported to the test
        queue.put(f"{type(err).__name__}: {err}")


@pytest.mark.parametrize("folder_mode", [0o777, 0o555], ids=["file read-only", "folder read-only too"])
def test_list_and_show_work_on_a_read_only_database(folder_mode):
    folder = Path(tempfile.mkdtemp(prefix="wxplan-ro-"))  # not under pytest's root-only tmp folder
    try:
        folder.chmod(0o755)
        url = f"sqlite:///{folder / 's.db'}"
        with ScenarioStore(url) as s:
            s.save(scenario("a"))
        (folder / "s.db").chmod(0o444)
        folder.chmod(folder_mode)
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_read_as_nobody, args=(url, queue))
        child.start()
        result = queue.get(timeout=60)
        child.join(timeout=60)
        assert not isinstance(result, str), result
        listed, got, saved = result
        assert listed == ["a"] and got == "a"
        assert "read-only" in saved
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_reads_do_not_take_the_write_lock_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    with ScenarioStore(url) as s:
        s.save(scenario("a"))
    holder = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, in the middle of its transaction
    holder.execute("UPDATE scenarios SET notes = 'being changed'")
    try:
        with ScenarioStore(url, busy_timeout_ms=50) as s:  # opening does not wait for the writer
            assert [x.name for x in s.list()] == ["a"] and s.get("a").notes == ""
            assert s.names() == ["a"] and s.exists("a")
            with pytest.raises(StoreError, match="locked"):
                s.save(scenario("b"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_reads_do_not_take_the_write_lock_postgresql(postgres_server):
    url = postgres_server.new_database()
    with ScenarioStore(url) as s:
        s.save(scenario("a"))
    engine = make_engine(url)
    name = engine.url.database
    with engine.connect() as admin:  # new sessions give up on a lock after 1 s instead of waiting forever
        admin.execute(sa.text(f"ALTER DATABASE \"{name}\" SET lock_timeout = '1s'"))
        admin.commit()
    holder = engine.connect()
    try:
        tx = holder.begin()
        holder.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))  # a migration running
        holder.execute(sa.text("SELECT id FROM scenarios WHERE name = 'a' FOR UPDATE"))  # a write running
        with ScenarioStore(url) as s:
            assert [x.name for x in s.list()] == ["a"] and s.get("a").name == "a"
            with pytest.raises(StoreError):
                s.update("a", lambda x: x)
        tx.rollback()
    finally:
        holder.close()
        engine.dispose()


def test_cli_reads_while_another_process_writes(tmp_path, db):
    with ScenarioStore(db) as s:
        s.save(scenario("a"))
    holder = sqlite3.connect(tmp_path / "scenarios.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE scenarios SET notes = 'being changed'")
    try:
        assert json.loads(ok(wx(tmp_path, "--database", db, "list", "--format", "json")))[0]["name"] == "a"
        assert json.loads(ok(wx(tmp_path, "--database", db, "export", "a")))["scenario"]["name"] == "a"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# --- 19: long values are not echoed whole ----------------------------------------------------------


def test_messages_clip_long_values():
    assert clip("y" * 100_000) == "y" * 80 + "…(100000 characters)"
    assert clip("a\u202eb\x00") == "a\\u202eb\\x00"
    assert len(str(ScenarioNotFound("y" * 100_000))) < 150
    assert len(str(ScenarioExists("y" * 100_000))) < 150
    with pytest.raises(InvalidScenario) as err:
        parse_export({"format": "x" * 100_000, "version": 1, "scenario": {}})
    assert len(str(err.value)) < 300


def test_cli_does_not_echo_100k_names_and_notes(tmp_path, db):
    d = ("--database", db)
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps(make_profile()), encoding="utf-8")
    long = "y" * 100_000
    runs = (
        ("save", long, str(profile)),
        ("show", long),
        ("rename", long, "x"),
        ("save", "n", str(profile), "--notes", long + "y"),
        ("save", "n", str(profile), "--notes", "\x01" + long),
        ("save", "n", str(profile), "--plan", long),
    )
    with ThreadPoolExecutor(max_workers=4) as pool:  # each fails before writing
        procs = list(pool.map(lambda args: wx(tmp_path, *d, *args), runs))
    for proc in procs:
        assert proc.returncode == 2, proc.stderr[:300]
        assert len(proc.stderr) < 1000 and "characters)" in proc.stderr, proc.stderr[:300]


# --- 20, 21, 11 and NUL: strict imports -------------------------------------------------------------


def test_parse_json_is_strict():
    with pytest.raises(InvalidJSON, match="duplicate key 'draws'"):
        parse_json('{"draws": 100, "draws": 200}')
    with pytest.raises(InvalidJSON, match="5000 digits is too large"):
        parse_json('{"seed": ' + "9" * 5000 + "}")
    with pytest.raises(InvalidJSON, match="nested too deeply"):
        parse_json("[" * 100_000 + "]" * 100_000)
    for constant in ("NaN", "Infinity", "-Infinity", "1e999"):
        with pytest.raises(InvalidJSON):
            parse_json(f'{{"x": {constant}}}')
    with pytest.raises(InvalidJSON, match="not valid JSON: Expecting"):
        parse_json("{")
    assert parse_json('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}


@pytest.mark.parametrize(
    ("changes", "top", "problem"),
    [
        ({}, {"version": True}, "'version' True is not supported"),
        ({}, {"extra": 1, "more": 2}, "unknown key(s) 'extra', 'more'"),
        ({"draws": "100"}, {}, "draws: must be an integer, got a string '100'"),
        ({"draws": True}, {}, "draws: must be an integer, got true or false True"),
        ({"seed": 1.0}, {}, "seed: must be an integer, got a number 1.0"),
        ({"created_at": 5}, {}, "created_at: must be an ISO 8601 date-time string"),
        ({"as_of": 20261121}, {}, "as_of: must be a YYYY-MM-DD string or null"),
        ({"overrides": {"salary": "1.2"}}, {}, "overrides.salary: must be a number"),
        ({"overrides": {"saas": True}}, {}, "overrides.saas: must be a number"),
        ({"name": 5}, {}, "name: must be a string"),
    ],
)
def test_import_types_are_strict(changes, top, problem, store):
    data = {**export(**changes), **top}
    with pytest.raises(InvalidScenario) as err:
        store.import_(data)
    assert problem in str(err.value)
    assert store.names() == []


@pytest.mark.parametrize("bad", ["\x00", "\x1b", "\x7f", "\x85", "\r"])
def test_notes_refuse_nul_and_control_characters(bad, store):
    with pytest.raises(ValueError, match=f"U\\+{ord(bad):04X}"):
        scenario(notes=f"a{bad}b")
    with pytest.raises(InvalidScenario, match="notes: must not contain the control character"):
        store.import_(export(notes=f"a{bad}b"))
    assert store.names() == []
    assert store.save(scenario(notes="tab\there\nnext line")).notes == "tab\there\nnext line"


def test_profile_texts_refuse_nul(store):
    data = export()
    data["scenario"]["profile"]["name"] = "a\x00b"
    with pytest.raises(InvalidScenario, match=r"profile.*name.*U\+0000"):  # or profile.py's own rule
        store.import_(data)
    assert store.names() == []


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_import_refuses_hostile_exports_and_changes_nothing(tmp_path, db):
    with ScenarioStore(db) as s:
        s.save(scenario("kept"))
    good = json.dumps(export("new"))
    cases = {
        "dup.json": (good[:-1] + ', "version": 1}', "duplicate key 'version'"),
        "bigint.json": (good.replace('"seed": 0', '"seed": ' + "9" * 5000), "5000 digits is too large"),
        "deep.json": (good[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        "nul.json": (json.dumps(export("new", notes="a\x00b")), "U+0000"),
        "strict.json": (json.dumps(export("new", draws="100")), "draws: must be an integer"),
        "version.json": (json.dumps({**export("new"), "version": True}), "'version' True"),
        "unknown.json": (json.dumps({**export("new"), "comment": "hi"}), "unknown key(s) 'comment'"),
        "stamp.json": (
            json.dumps(export("new", updated_at="9999-12-31T23:59:59.999999-12:00")),
            "out of range",
        ),
        "name.json": (json.dumps(export("new", name="x\u200by")), "U+200B (ZERO WIDTH SPACE)"),
    }
    paths = [_write(tmp_path / file, text) for file, (text, _) in cases.items()]
    with ThreadPoolExecutor(max_workers=4) as pool:  # they only read the database
        procs = list(pool.map(lambda path: wx(tmp_path, "--database", db, "import", path), paths))
    for (file, (_, message)), proc in zip(cases.items(), procs, strict=True):
        assert proc.returncode == 2, (file, proc.stderr[:500])
        assert proc.stderr.startswith("wxplan: error: ") and message in proc.stderr, (file, proc.stderr[:500])
        assert "Traceback" not in proc.stderr and len(proc.stderr) < 2000
    with ScenarioStore(db) as s:
        assert s.names() == ["kept"]
    ok(wx(tmp_path, "--database", db, "import", _write(tmp_path / "good.json", good)))
