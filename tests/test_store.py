"""The scenario store on SQLite and on a real PostgreSQL server: CRUD, unique names, errors, export/import,
migrations, recomputation and concurrent writers in several processes."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import sys
import threading
import time
import types
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from conftest import AS_OF, BASE_PROFILE, make_profile
from pg import BACKENDS

from engine.profile import MerchantProfile
from engine.recommend import recommend
from engine.store import (
    ENV_URL,
    MIGRATIONS,
    SCHEMA_VERSION,
    InvalidScenario,
    Scenario,
    ScenarioExists,
    ScenarioNotFound,
    ScenarioStore,
    StoreError,
    _switch_to_wal,
    default_path,
    make_engine,
    migrate,
    parse_export,
    run,
    schema_version,
)


@pytest.fixture
def store(db_url):
    with ScenarioStore(db_url) as s:
        yield s


def scenario(name: str = "客户A 2026", **changes) -> Scenario:
    fields = {
        "name": name,
        "notes": "第一次评估\nfirst pass",
        "profile": make_profile(douyin_presence="established", staff_fte=6),
        "overrides": {"salary": 1.2, "promotion": 0.5},
        "as_of": AS_OF,
        "seed": 7,
        "draws": 300,
        "plan": None,
    }
    return Scenario.model_validate({**fields, **changes})


# --- the model ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": " padded"}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"plan": "channels,tiktok"}, "plan"),
        ({"draws": 5}, "draws"),
        ({"seed": -1}, "seed"),
        ({"as_of": "2001-01-01"}, "as_of"),
        ({"overrides": {"salary": 0}}, "overrides"),
        ({"profile": {**BASE_PROFILE, "category": "toys"}}, "profile"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_scenario_rejects_bad_fields(changes, field):
    with pytest.raises(ValueError) as err:
        scenario(**changes)
    assert field in str(err.value)


def test_scenario_is_frozen_and_timestamps_are_utc():
    s = scenario(created_at="2026-01-02T03:04:05.123456+08:00")
    assert s.created_at == datetime(2026, 1, 1, 19, 4, 5, 123456, tzinfo=UTC)
    assert s.created_at.tzinfo is UTC and s.updated_at.tzinfo is UTC
    with pytest.raises(ValueError):
        s.name = "other"  # type: ignore[misc]
    assert scenario(name="x" * 120).name == "x" * 120


def test_run_recomputes_like_recommend():
    s = scenario(plan="channels,shop>wecom")
    expected = recommend(
        s.profile, as_of=AS_OF, draws=300, seed=7, plan="channels,shop>wecom", lang="en",
        overrides={"salary": 1.2, "promotion": 0.5},
    )  # fmt: skip
    assert run(s, "en").model_dump_json() == expected.model_dump_json()
    assert (
        run(scenario()).plan
        == recommend(s.profile, as_of=AS_OF, draws=300, seed=7, overrides=s.overrides).plan
    )


# --- CRUD on both databases --------------------------------------------------------------------


def test_save_get_list(store):
    a = store.save(scenario("a"))
    b = store.save(scenario("b", plan="channels,shop", as_of=None))
    assert a.created_at == a.updated_at and a.created_at.tzinfo is UTC
    assert store.get("a") == a
    assert store.get("b") == b and store.get("b").as_of is None and store.get("b").plan == "channels,shop"
    assert [s.name for s in store.list()] == ["b", "a"]  # most recently changed first
    assert store.names() == ["a", "b"]
    assert store.exists("a") and not store.exists("c")
    got = store.get("a")
    assert (
        got.profile == scenario().profile and got.overrides.salary == 1.2 and got.notes.endswith("first pass")
    )


def test_names_are_unique(store, db_url):
    first = store.save(scenario("dup"))
    with pytest.raises(ScenarioExists, match="scenario 'dup' already exists"):
        store.save(scenario("dup", notes="second"))
    assert store.get("dup").notes == first.notes
    replaced = store.save(scenario("dup", notes="second"), overwrite=True)
    assert replaced.created_at == first.created_at and replaced.updated_at > first.updated_at
    assert store.get("dup") == replaced and len(store.list()) == 1
    # The database itself refuses a second row of the same name (a constraint, not only a check).
    engine = make_engine(db_url)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO scenarios (name, notes, profile, overrides, seed, draws, created_at, updated_at) "
                "VALUES ('dup', '', '{}', '{}', 0, 100, :t, :t)"
            ),
            {"t": datetime(2026, 1, 1)},
        )
    engine.dispose()


def test_unknown_names(store):
    store.save(scenario("there"))
    for call in (
        lambda: store.get("missing"),
        lambda: store.rename("missing", "x"),
        lambda: store.duplicate("missing", "x"),
        lambda: store.delete("missing"),
        lambda: store.export("missing"),
        lambda: store.update("missing", lambda s: s),
    ):
        with pytest.raises(ScenarioNotFound, match="scenario 'missing' not found") as err:
            call()
        assert err.value.name == "missing"
    assert store.names() == ["there"]


def test_rename(store):
    old = store.save(scenario("old"))
    store.save(scenario("taken"))
    renamed = store.rename("old", "new name")
    assert renamed.name == "new name" and renamed.created_at == old.created_at
    assert store.get("new name").profile == old.profile
    with pytest.raises(ScenarioNotFound):
        store.get("old")
    with pytest.raises(ScenarioExists, match="'taken'"):
        store.rename("new name", "taken")
    with pytest.raises(InvalidScenario, match="name"):
        store.rename("new name", "")
    assert store.rename("taken", "taken").name == "taken"
    assert store.names() == ["new name", "taken"]


def test_duplicate_and_delete(store):
    original = store.save(scenario("orig", plan="wecom"))
    copy = store.duplicate("orig", "copy")
    assert copy.name == "copy" and copy.created_at >= original.updated_at
    same = ("notes", "profile", "overrides", "as_of", "seed", "draws", "plan")
    assert {f: getattr(copy, f) for f in same} == {f: getattr(original, f) for f in same}
    assert store.get("copy") == copy and store.get("orig") == original
    with pytest.raises(ScenarioExists, match="'orig'"):
        store.duplicate("copy", "orig")
    store.delete("orig")
    assert store.names() == ["copy"]
    with pytest.raises(ScenarioNotFound):
        store.delete("orig")


def test_update_is_read_modify_write(store):
    store.save(scenario("u", notes=""))
    created = store.get("u").created_at
    store.update("u", lambda s: s.model_copy(update={"notes": s.notes + "x"}))
    updated = store.update("u", lambda s: s.model_copy(update={"notes": s.notes + "y", "seed": 9}))
    assert updated.notes == "xy" and updated.seed == 9 and updated.created_at == created
    assert store.get("u") == updated
    store.save(scenario("other"))
    with pytest.raises(ScenarioExists):
        store.update("u", lambda s: s.model_copy(update={"name": "other"}))
    with pytest.raises(InvalidScenario):
        store.update("u", lambda s: s.model_copy(update={"draws": 1}))
    assert store.get("u") == updated


# --- export / import ---------------------------------------------------------------------------


def test_export_delete_import_round_trips_exactly(store):
    store.save(scenario("rt", plan="channels,shop>wecom", notes='备注 «quoted» \\ "x"\n'))
    stored = store.get("rt")
    exported = store.export("rt")
    assert exported["format"] == "wxplan-scenario" and exported["version"] == 1
    text = json.dumps(exported, ensure_ascii=False)
    store.delete("rt")
    imported = store.import_(json.loads(text))
    assert imported == stored
    assert store.get("rt") == stored
    assert store.get("rt").created_at == stored.created_at and store.get("rt").updated_at == stored.updated_at
    assert store.export("rt") == exported
    with pytest.raises(ScenarioExists, match="'rt'"):
        store.import_(exported)
    changed = json.loads(text)
    changed["scenario"]["notes"] = "replaced"
    assert store.import_(changed, overwrite=True).notes == "replaced"
    assert store.get("rt").notes == "replaced" and store.get("rt").created_at == stored.created_at


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "expected a JSON object"),
        ({"format": "other", "version": 1, "scenario": {}}, "'format'"),
        ({"format": "wxplan-scenario", "version": 99, "scenario": {}}, "'version' 99"),
        ({"format": "wxplan-scenario", "version": 1}, "'scenario'"),
        ({"format": "wxplan-scenario", "version": 1, "scenario": {"name": "x"}}, "profile: Field required"),
        (
            {"format": "wxplan-scenario", "version": 1,
             "scenario": {"name": "x", "profile": {**BASE_PROFILE, "staff_fte": -1}}},
            "profile.staff_fte",
        ),
    ],
)  # fmt: skip
def test_import_rejects_bad_data(data, problem, tmp_path):
    with pytest.raises(InvalidScenario, match="not a valid wxplan scenario") as err:
        parse_export(data)
    assert problem in str(err.value)
    with ScenarioStore(f"sqlite:///{tmp_path / 's.db'}") as store, pytest.raises(InvalidScenario):
        store.import_(data)


# --- schema versions ---------------------------------------------------------------------------


def test_opening_an_old_database_upgrades_it(db_url):
    engine = make_engine(db_url)
    with engine.begin() as conn:  # a database as wxplan's schema version 1 left it, with a scenario in it
        assert migrate(conn, target=1) == 1
        conn.execute(
            sa.text(
                "INSERT INTO scenarios (name, notes, profile, overrides, as_of, seed, draws, plan, created_at, "
                "updated_at) VALUES ('old', 'kept', :profile, '{}', :as_of, 3, 200, NULL, :t, :t)"
            ),
            {
                # a version-1 profile: it still had the expected WeChat GMV the return model replaced
                "profile": json.dumps({**BASE_PROFILE, "monthly_gmv_cny": 200_000}),
                "as_of": date(2026, 11, 21),
                "t": datetime(2026, 1, 2, 3, 4, 5) if engine.dialect.name == "sqlite"
                else datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            },
        )  # fmt: skip
    with engine.connect() as conn:
        assert "ix_scenarios_updated_at" not in {
            ix["name"] for ix in sa.inspect(conn).get_indexes("scenarios")
        }
    with ScenarioStore(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS) >= 2
        old = store.get("old")
        assert (
            old.notes == "kept"
            and old.seed == 3
            and old.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        )
        expected = MerchantProfile.model_validate(BASE_PROFILE).model_dump(mode="json")  # defaults filled in
        assert old.profile.model_dump(mode="json") == expected
        assert old.profile.current_monthly_gmv_cny is None  # v1's expected WeChat GMV is not current sales
        from engine.store import run

        assert run(old, "en").scale.gmv_inferred  # it still runs, on an estimated scale (and says so)
        store.save(scenario("new"))
    with engine.connect() as conn:
        assert "ix_scenarios_updated_at" in {ix["name"] for ix in sa.inspect(conn).get_indexes("scenarios")}
        versions = conn.execute(sa.select(schema_version.c.version).order_by(schema_version.c.version))
        assert list(versions.scalars()) == list(range(1, SCHEMA_VERSION + 1))
    with ScenarioStore(db_url) as again:  # reopening applies nothing more
        assert again.names() == ["new", "old"]
    with engine.begin() as conn:  # a database from a newer wxplan is refused, not damaged
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION + 1, applied_at=datetime.now(UTC)))
    engine.dispose()
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, newer"):
        ScenarioStore(db_url)


# --- connection settings, URLs, default location -----------------------------------------------


def test_sqlite_connection_settings(tmp_path):
    path = tmp_path / "s.db"
    with ScenarioStore(f"sqlite:///{path}") as store:
        with store.engine.connect() as conn:
            pragma = {
                p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("busy_timeout", "foreign_keys")
            }
            assert pragma == {"busy_timeout": 30_000, "foreign_keys": 1}
        store.save(scenario("x"))
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_bad_urls_name_the_url_and_hide_the_password(tmp_path):
    cases = {
        "not a url": "'not a url' is not a database URL",
        "nosuchdb://u:hunter2@h/d": "cannot use database URL 'nosuchdb://u:***@h/d'",
        f"sqlite:///{tmp_path}/missing/dir/s.db": f"cannot open database sqlite:///{tmp_path}/missing/dir/s.db",
        # a closed loopback port: refused at once
        "postgresql://scott:hunter2@127.0.0.1:9/x": "cannot open database postgresql://scott:***@127.0.0.1:9/x",
    }
    for url, message in cases.items():
        with pytest.raises(StoreError) as err:
            ScenarioStore(url)
        assert message in str(err.value)
        assert "hunter2" not in str(err.value)


def test_default_location_and_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_URL, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "wxplan" / "scenarios.db"
    with ScenarioStore() as store:
        store.save(scenario("here"))
    assert (tmp_path / "xdg" / "wxplan" / "scenarios.db").is_file()
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".local" / "share" / "wxplan" / "scenarios.db"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # not absolute: ignored, as the XDG spec says
    assert default_path() == tmp_path / "home" / ".local" / "share" / "wxplan" / "scenarios.db"
    monkeypatch.setenv(ENV_URL, f"sqlite:///{tmp_path / 'env.db'}")
    with ScenarioStore() as store:
        assert store.names() == []
    assert (tmp_path / "env.db").is_file() and not (tmp_path / "home" / ".local").exists()
    with ScenarioStore(f"sqlite:///{tmp_path / 'xdg' / 'wxplan' / 'scenarios.db'}") as store:
        assert store.names() == ["here"]


# --- several processes writing at once ---------------------------------------------------------

WORKERS, EACH = 4, 25


def _writer(url: str, fresh_url: str, worker: int, barrier) -> None:
    """One process: open a fresh database (all at once), then save EACH scenarios of its own and update the
    shared ones after every save."""
    barrier.wait()
    ScenarioStore(fresh_url).close()
    with ScenarioStore(url) as store:
        barrier.wait()
        for j in range(EACH):
            store.save(scenario(f"w{worker}-{j:02d}", seed=worker * 1000 + j))
            store.update(
                "shared", lambda s, j=j: s.model_copy(update={"notes": s.notes + f"w{worker}-{j}\n"})
            )
            store.save(scenario("upserted", notes=f"w{worker}-{j}"), overwrite=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_writers_lose_nothing(backend, tmp_path, request, monkeypatch):
    # A spawned process re-runs the parent's __main__ script; after an AppTest that is an app page, which
    # must not run outside Streamlit. The writers need only this module, so they start from a bare __main__.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    if backend == "sqlite":
        url, fresh = (f"sqlite:///{tmp_path / n}" for n in ("s.db", "fresh.db"))
    else:
        server = request.getfixturevalue("postgres_server")
        url, fresh = server.new_database(), server.new_database()
    with ScenarioStore(url) as store:
        store.save(scenario("shared", notes=""))
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_writer, args=(url, fresh, w, barrier)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
        if p.is_alive():
            p.kill()
    assert [p.exitcode for p in procs] == [0] * WORKERS
    with ScenarioStore(url) as store:
        names = store.names()
        expected = {f"w{w}-{j:02d}" for w in range(WORKERS) for j in range(EACH)}
        assert set(names) == expected | {"shared", "upserted"} and len(names) == WORKERS * EACH + 2
        assert all(
            store.get(f"w{w}-{j:02d}").seed == w * 1000 + j for w in range(WORKERS) for j in range(EACH)
        )
        lines = store.get("shared").notes.splitlines()
        assert sorted(lines) == sorted(f"w{w}-{j}" for w in range(WORKERS) for j in range(EACH))
    with ScenarioStore(fresh) as store, store.engine.connect() as conn:
        assert store.names() == []
        versions = conn.execute(sa.select(schema_version.c.version)).scalars().all()
        assert sorted(versions) == list(range(1, SCHEMA_VERSION + 1))  # migrated exactly once


def test_missing_postgres_binaries_fail_with_a_clear_message(monkeypatch):
    import pg

    monkeypatch.setattr(pg, "pg_bindir", lambda: None)
    with pytest.raises(RuntimeError, match="initdb and pg_ctl were not found; install Debian's postgresql"):
        pg.PgServer()


# --- a fresh SQLite file opened while another process writes to it -----------------------------


def test_opening_waits_while_another_connection_writes_to_a_new_file(tmp_path):
    """Switching a file to WAL fails at once with "database is locked", without waiting out the busy timeout,
    while another connection holds the write lock of a not-yet-WAL file, as happens when several processes
    open a new database together; opening retries the switch until the writer is done."""
    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO other VALUES (1)")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    try:
        with ScenarioStore(f"sqlite:///{path}") as store:
            assert store.names() == []
            waited = time.monotonic() - started
    finally:
        release.join()
        holder.close()
    assert waited >= 0.25
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


class _Cursor:
    """Answers "database is locked" to the first ``busy`` journal-mode switches."""

    def __init__(self, busy: int, message: str = "database is locked"):
        self.busy, self.message, self.calls = busy, message, 0

    def execute(self, sql: str) -> None:
        assert sql == "PRAGMA journal_mode = WAL"
        self.calls += 1
        if self.calls <= self.busy:
            raise sqlite3.OperationalError(self.message)


def test_the_wal_switch_retries_while_locked_and_gives_up_at_the_timeout():
    cur = _Cursor(busy=3)
    _switch_to_wal(cur)
    assert cur.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _switch_to_wal(_Cursor(busy=10**6), timeout_s=0.05)
    other = _Cursor(busy=1, message="disk I/O error")  # not a lock: no retry
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        _switch_to_wal(other)
    assert other.calls == 1
