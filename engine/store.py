"""The scenario store: named assessments (profile, overrides, options) kept in SQLite or PostgreSQL.

A :class:`Scenario` holds the *inputs* of an assessment; its result is recomputed with :func:`run`
and never stored. :class:`ScenarioStore` keeps scenarios in a database reached through SQLAlchemy Core:

- the URL is the ``url`` argument, else ``WXPLAN_DATABASE_URL``, else an SQLite file at
  ``$XDG_DATA_HOME/wxplan/scenarios.db`` (``~/.local/share/wxplan/scenarios.db``), created with its folder
  on first use (:func:`default_url`);
- the schema is versioned: ``schema_version`` records the migrations applied, and opening a store applies
  the missing ones from :data:`MIGRATIONS` in one transaction;
- every write runs in one transaction; SQLite runs in WAL mode with a 30 s busy timeout and takes the write
  lock at the start of a write (``BEGIN IMMEDIATE``), PostgreSQL locks the row it changes, so concurrent
  writers from several processes lose nothing;
- names are unique (a database constraint): :class:`ScenarioExists` on a conflict,
  :class:`ScenarioNotFound` for an unknown name, :class:`StoreError` for everything else that goes wrong
  with the database, its message naming the URL with any password masked.

Profile and overrides are stored as JSON text, so the same schema works on both databases.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from engine.assumptions import AssumptionSet
from engine.i18n import Lang
from engine.overrides import Overrides
from engine.plans import parse_plan
from engine.profile import MerchantProfile
from engine.recommend import MAX_DRAWS, MIN_DRAWS, recommend
from engine.result import Recommendation
from engine.sources import EARLIEST_EVIDENCE

ENV_URL = "WXPLAN_DATABASE_URL"
EXPORT_FORMAT = "wxplan-scenario"
EXPORT_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
NAME_MAX = 120


# --- errors ------------------------------------------------------------------------------------


class StoreError(Exception):
    """The database cannot be opened or used (bad URL, unreachable, unreadable data, newer schema)."""


class ScenarioNotFound(StoreError, LookupError):
    """No scenario has this name."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"scenario '{name}' not found")


class ScenarioExists(StoreError):
    """A scenario with this name already exists (names are unique)."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"scenario '{name}' already exists")


class InvalidScenario(StoreError, ValueError):
    """Data that is not a valid scenario or scenario export; ``problems`` lists each problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("not a valid wxplan scenario: " + "; ".join(problems))


# --- the scenario ------------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC)


class Scenario(BaseModel):
    """A named assessment: everything :func:`run` needs to recompute its result, and when it changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX, description="unique name, 1-120 characters")
    notes: str = Field("", max_length=100_000)
    profile: MerchantProfile
    overrides: Overrides = Field(default_factory=Overrides)
    as_of: date | None = Field(None, description="evaluate as of this date (None: the day it is run)")
    seed: int = Field(0, ge=0, le=2**63 - 1)
    draws: int = Field(10_000, ge=MIN_DRAWS, le=MAX_DRAWS)
    plan: str | None = Field(None, description="forced plan, e.g. 'channels,shop>wecom' (None: recommend)")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("must not start or end with spaces")
        if any(ch < " " or ch == "\x7f" for ch in value):
            raise ValueError("must not contain control characters (newlines, tabs)")
        return value

    @field_validator("plan")
    @classmethod
    def _plan(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_plan(value)
            except ValueError as exc:  # names the modules allowed
                raise ValueError(str(exc).removeprefix("plan: ")) from None
        return value

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, value: date | None) -> date | None:
        if value is not None and value < EARLIEST_EVIDENCE:
            raise ValueError(f"{value} is before the earliest evidence ({EARLIEST_EVIDENCE})")
        return value

    @field_validator("created_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        """Timestamps are UTC; a naive one is taken as UTC."""
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def run(
    scenario: Scenario, lang: Lang = "zh", *, assumptions: AssumptionSet | str | Path | None = None
) -> Recommendation:
    """Recompute a scenario's result: :func:`engine.recommend` on its inputs."""
    return recommend(
        scenario.profile,
        as_of=scenario.as_of,
        draws=scenario.draws,
        seed=scenario.seed,
        plan=scenario.plan,
        assumptions=assumptions,
        lang=lang,
        overrides=scenario.overrides,
    )


def scenario_problems(err: ValidationError) -> list[str]:
    """One line per problem: ``field.path: message``."""
    out = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "scenario"
        out.append(f"{where}: {e['msg'].removeprefix('Value error, ')}")
    return out


# --- schema and migrations ---------------------------------------------------------------------


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps it as naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

# The current shape of the scenarios table (what MIGRATIONS build, in order); queries use it.
scenarios = sa.Table(
    "scenarios",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(NAME_MAX), nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("profile", sa.Text, nullable=False),  # MerchantProfile as JSON
    sa.Column("overrides", sa.Text, nullable=False),  # Overrides as JSON
    sa.Column("as_of", sa.Date, nullable=True),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("draws", sa.Integer, nullable=False),
    sa.Column("plan", sa.String(200), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("name", name="uq_scenarios_name"),
)
sa.Index("ix_scenarios_updated_at", scenarios.c.updated_at)


# Migrations spell out their own DDL (not the current table above), so each stays as it was when released.


def _v1_scenarios(conn: Connection) -> None:
    """Version 1: the scenarios table with its unique names."""
    sa.Table(
        "scenarios",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("overrides", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date, nullable=True),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("draws", sa.Integer, nullable=False),
        sa.Column("plan", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_scenarios_name"),
    ).create(conn)


def _v2_updated_index(conn: Connection) -> None:
    """Version 2: index on updated_at (the list shows the most recently changed first)."""
    table = sa.Table("scenarios", sa.MetaData(), sa.Column("updated_at", UTCDateTime))
    sa.Index("ix_scenarios_updated_at", table.c.updated_at).create(conn)


# Ordered: version N is MIGRATIONS[N - 1]. Append new ones; never change or reorder applied ones.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1_scenarios, _v2_updated_index)
SCHEMA_VERSION = len(MIGRATIONS)

# Any constant: serialises concurrent migrations on PostgreSQL (DDL there is transactional).
_PG_MIGRATION_LOCK = 0x77_78_70_6C_61_6E  # "wxplan"


def current_version(conn: Connection) -> int:
    """The schema version of the database (0 if it has no schema yet)."""
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0


def migrate(conn: Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to ``target`` inside the caller's (write) transaction.

    Returns the version reached. Raises :class:`StoreError` if the database is newer than this wxplan.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
    schema_version.create(conn, checkfirst=True)
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database has schema version {version}, newer than this wxplan knows ({SCHEMA_VERSION}); "
            "upgrade wxplan"
        )
    for number in range(version + 1, target + 1):
        MIGRATIONS[number - 1](conn)
        conn.execute(schema_version.insert().values(version=number, applied_at=utcnow()))
    return max(version, target)


# --- URLs and engines --------------------------------------------------------------------------


def default_path() -> Path:
    """Where the SQLite file lives by default: ``$XDG_DATA_HOME/wxplan/scenarios.db``."""
    base = os.environ.get("XDG_DATA_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "wxplan" / "scenarios.db"


def default_url() -> str:
    return f"sqlite:///{default_path()}"


def resolve_url(url: str | None = None) -> str:
    """The database URL in force: the argument, else ``WXPLAN_DATABASE_URL``, else :func:`default_url`."""
    return url or os.environ.get(ENV_URL) or default_url()


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***`` (also for a URL SQLAlchemy cannot parse)."""
    try:
        return (url if isinstance(url, URL) else make_url(url)).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise StoreError(
            f"'{mask_url(url)}' is not a database URL; use sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):  # the driver wxplan installs
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    """Every SQLite connection: wait for locks, WAL journal, foreign keys; wxplan emits BEGIN itself."""
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _switch_to_wal(cur)
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _switch_to_wal(cur: Any, timeout_s: float = BUSY_TIMEOUT_MS / 1000) -> None:
    """``PRAGMA journal_mode = WAL``, retried: while another process is switching the same new file to WAL,
    SQLite can answer "database is locked" at once, without waiting out the busy timeout (seen with several
    processes opening a fresh database together)."""
    deadline = time.monotonic() + timeout_s
    pause = 0.002
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            busy = "locked" in str(err) or "busy" in str(err)
            if not busy or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _sqlite_begin(conn: Connection) -> None:
    """Writes take the write lock at once (no deadlock upgrading a read lock); reads see a snapshot."""
    write = conn.get_execution_options().get("wxplan_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> Engine:
    """An SQLAlchemy engine for ``url`` with wxplan's connection settings (no connection made yet)."""
    parsed = _parse(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        elif parsed.get_backend_name() == "postgresql":
            engine = sa.create_engine(parsed, connect_args={"connect_timeout": 10}, pool_pre_ping=True)
        else:
            engine = sa.create_engine(parsed)
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as err:
        raise StoreError(
            f"cannot use database URL '{mask_url(parsed)}': {err}; wxplan supports sqlite:///PATH and "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None
    return engine


def _reason(err: BaseException) -> str:
    """The first line of the driver's message (no SQL, no parameters)."""
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


# --- the store ---------------------------------------------------------------------------------


def _to_row(s: Scenario) -> dict[str, Any]:
    return {
        "name": s.name,
        "notes": s.notes,
        "profile": json.dumps(s.profile.model_dump(mode="json"), ensure_ascii=False, sort_keys=True),
        "overrides": json.dumps(s.overrides.model_dump(mode="json"), sort_keys=True),
        "as_of": s.as_of,
        "seed": s.seed,
        "draws": s.draws,
        "plan": s.plan,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    }


def _from_row(row: sa.Row) -> Scenario:
    m = row._mapping
    try:
        return Scenario(
            name=m["name"],
            notes=m["notes"],
            profile=json.loads(m["profile"]),
            overrides=json.loads(m["overrides"]),
            as_of=m["as_of"],
            seed=m["seed"],
            draws=m["draws"],
            plan=m["plan"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
        )
    except (ValidationError, json.JSONDecodeError) as err:
        detail = "; ".join(scenario_problems(err)) if isinstance(err, ValidationError) else str(err)
        raise StoreError(f"scenario '{m['name']}' cannot be read: {detail}") from None


_COLUMNS = [c for c in scenarios.c if c.name != "id"]


class ScenarioStore:
    """Scenarios in a database; see the module docstring. Opening applies pending migrations."""

    def __init__(self, url: str | None = None):
        self.url = resolve_url(url)
        self.display_url = mask_url(self.url)
        if url is None and not os.environ.get(ENV_URL):
            default_path().parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(self.url)
        self._what = "cannot open database"
        with self._write() as conn:
            self.schema_version = migrate(conn)
        self._what = "database"

    # -- plumbing --

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ScenarioStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ScenarioStore({self.display_url!r})"

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                if write:
                    conn.execution_options(wxplan_write=True)
                with conn.begin():
                    yield conn
        except StoreError:
            raise
        except exc.IntegrityError:
            raise  # callers turn a unique-name violation into ScenarioExists
        except exc.SQLAlchemyError as err:
            raise StoreError(f"{self._what} {self.display_url}: {_reason(err)}") from None

    def _write(self) -> Any:
        return self._transaction(write=True)

    def _read(self) -> Any:
        return self._transaction(write=False)

    def _row(self, conn: Connection, name: str, *, lock: bool = False) -> sa.Row | None:
        query = sa.select(scenarios).where(scenarios.c.name == name)
        if lock:
            query = query.with_for_update()  # PostgreSQL row lock; SQLite already holds the write lock
        return conn.execute(query).first()

    def _retry(self, fn: Callable[[], Scenario], name: str) -> Scenario:
        """Run an upsert; retry when another writer inserted the same name between our check and insert."""
        for attempt in range(5):
            try:
                return fn()
            except exc.IntegrityError:
                if attempt == 4:
                    raise ScenarioExists(name) from None
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reading --

    def get(self, name: str) -> Scenario:
        with self._read() as conn:
            row = self._row(conn, name)
        if row is None:
            raise ScenarioNotFound(name)
        return _from_row(row)

    def exists(self, name: str) -> bool:
        with self._read() as conn:
            return self._row(conn, name) is not None

    def list(self) -> list[Scenario]:
        """Every scenario, the most recently changed first (then by name)."""
        query = sa.select(scenarios).order_by(scenarios.c.updated_at.desc(), scenarios.c.name)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_from_row(r) for r in rows]

    def names(self) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(sa.select(scenarios.c.name).order_by(scenarios.c.name)).scalars())

    # -- writing --

    def save(self, scenario: Scenario, *, overwrite: bool = False) -> Scenario:
        """Save a scenario under its name and return it as stored.

        A new name gets ``created_at`` = ``updated_at`` = now. With ``overwrite`` an existing scenario of that
        name is replaced, keeping its ``created_at``; without, an existing name raises :class:`ScenarioExists`.
        """

        def attempt() -> Scenario:
            now = utcnow()
            with self._write() as conn:
                row = self._row(conn, scenario.name, lock=True)
                if row is not None and not overwrite:
                    raise ScenarioExists(scenario.name)
                created = row._mapping["created_at"] if row is not None else now
                stored = scenario.model_copy(update={"created_at": created, "updated_at": now})
                if row is None:
                    conn.execute(scenarios.insert().values(**_to_row(stored)))
                else:
                    conn.execute(scenarios.update().where(scenarios.c.id == row.id).values(**_to_row(stored)))
                return stored

        return self._retry(attempt, scenario.name)

    def update(self, name: str, change: Callable[[Scenario], Scenario]) -> Scenario:
        """Read-modify-write in one locked transaction: ``change`` gets the stored scenario and returns the
        new one (its name may change). Concurrent updates are serialised, so none is lost."""
        new_name = name
        try:
            with self._write() as conn:
                row = self._row(conn, name, lock=True)
                if row is None:
                    raise ScenarioNotFound(name)
                old = _from_row(row)
                changed = change(old)
                new_name = changed.name
                new = Scenario.model_validate(
                    {**changed.model_dump(), "created_at": old.created_at, "updated_at": utcnow()}
                )
                conn.execute(scenarios.update().where(scenarios.c.id == row.id).values(**_to_row(new)))
                return new
        except exc.IntegrityError:
            raise ScenarioExists(new_name) from None
        except ValidationError as err:
            raise InvalidScenario(scenario_problems(err)) from None

    def rename(self, old: str, new: str) -> Scenario:
        """Give a scenario another name (its ``updated_at`` becomes now)."""
        if old == new:
            return self.get(old)
        try:
            with self._write() as conn:
                row = self._row(conn, old, lock=True)
                if row is None:
                    raise ScenarioNotFound(old)
                if self._row(conn, new) is not None:
                    raise ScenarioExists(new)
                renamed = _from_row(row).model_copy(update={"name": new, "updated_at": utcnow()})
                Scenario.model_validate(renamed.model_dump())  # the new name must be valid too
                conn.execute(
                    scenarios.update()
                    .where(scenarios.c.id == row.id)
                    .values(name=new, updated_at=renamed.updated_at)
                )
                return renamed
        except exc.IntegrityError:
            raise ScenarioExists(new) from None
        except ValidationError as err:
            raise InvalidScenario(scenario_problems(err)) from None

    def duplicate(self, name: str, new: str) -> Scenario:
        """Copy a scenario under a new name (new timestamps)."""
        try:
            with self._write() as conn:
                row = self._row(conn, name)
                if row is None:
                    raise ScenarioNotFound(name)
                if self._row(conn, new) is not None:
                    raise ScenarioExists(new)
                now = utcnow()
                copy = Scenario.model_validate(
                    {**_from_row(row).model_dump(), "name": new, "created_at": now, "updated_at": now}
                )
                conn.execute(scenarios.insert().values(**_to_row(copy)))
                return copy
        except exc.IntegrityError:
            raise ScenarioExists(new) from None
        except ValidationError as err:
            raise InvalidScenario(scenario_problems(err)) from None

    def delete(self, name: str) -> None:
        with self._write() as conn:
            if conn.execute(scenarios.delete().where(scenarios.c.name == name)).rowcount == 0:
                raise ScenarioNotFound(name)

    # -- export / import --

    def export(self, name: str) -> dict[str, Any]:
        """The scenario as a JSON-able dict (format name and version included); see :meth:`import_`."""
        return export_scenario(self.get(name))

    def import_(self, data: dict[str, Any], *, overwrite: bool = False) -> Scenario:
        """Store an exported scenario exactly as exported (timestamps included)."""
        scenario = parse_export(data)

        def attempt() -> Scenario:
            with self._write() as conn:
                row = self._row(conn, scenario.name, lock=True)
                if row is not None and not overwrite:
                    raise ScenarioExists(scenario.name)
                if row is None:
                    conn.execute(scenarios.insert().values(**_to_row(scenario)))
                else:
                    conn.execute(
                        scenarios.update().where(scenarios.c.id == row.id).values(**_to_row(scenario))
                    )
            return scenario

        return self._retry(attempt, scenario.name)


def export_scenario(scenario: Scenario) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "scenario": scenario.model_dump(mode="json"),
    }


def parse_export(data: Any) -> Scenario:
    """The scenario in an export (as made by :func:`export_scenario`), or :class:`InvalidScenario`."""
    if not isinstance(data, dict):
        raise InvalidScenario([f"expected a JSON object, got {type(data).__name__}"])
    if data.get("format") != EXPORT_FORMAT:
        raise InvalidScenario([f"'format' must be '{EXPORT_FORMAT}', got {data.get('format')!r}"])
    if data.get("version") != EXPORT_VERSION:
        raise InvalidScenario(
            [f"'version' {data.get('version')!r} is not supported (this wxplan reads {EXPORT_VERSION})"]
        )
    if not isinstance(data.get("scenario"), dict):
        raise InvalidScenario(["'scenario' must be a JSON object"])
    try:
        return Scenario.model_validate(data["scenario"])
    except ValidationError as err:
        raise InvalidScenario(scenario_problems(err)) from None
