"""The scenario store: named assessments (profile, overrides, options) kept in SQLite or PostgreSQL.

A :class:`Scenario` holds the *inputs* of an assessment; its result is recomputed with :func:`run`
and never stored. :class:`ScenarioStore` keeps scenarios in a database reached through SQLAlchemy Core:

- the URL is the ``url`` argument, else ``WXPLAN_DATABASE_URL``, else an SQLite file at
  ``$XDG_DATA_HOME/wxplan/scenarios.db`` (``~/.local/share/wxplan/scenarios.db``), created with its folder
  on first use (:func:`default_url`);
- the schema is versioned: ``schema_version`` records the migrations applied; opening a store reads the
  version without taking any lock and, only if migrations are missing, applies them from
  :data:`MIGRATIONS` in one write transaction. Reading never takes the write lock, so ``list`` and ``show``
  work on a read-only database (an SQLite file this process cannot write is opened read-only) and while
  another process is writing;
- every write runs in one transaction; SQLite runs in WAL mode with a 30 s busy timeout and takes the write
  lock at the start of a write (``BEGIN IMMEDIATE``), PostgreSQL locks the row it changes, so concurrent
  writers from several processes lose nothing;
- names are unique (a database constraint) and kept in Unicode NFC, without control, invisible or
  text-direction characters, so no two names look alike; notes hold no NUL or other control character
  (beside tab and newline), so every scenario can move between SQLite and PostgreSQL;
- :class:`ScenarioExists` on a name conflict, :class:`ScenarioNotFound` for an unknown name,
  :class:`UnreadableScenario` for a stored row that is not a valid scenario, :class:`StoreError` for
  everything else that goes wrong with the database; messages name the URL with its password (the whole
  user name and password, for a URL that cannot be parsed) masked, and clip long values (:func:`clip`);
- exports are read strictly (:func:`parse_json`, :func:`parse_export`): no key twice, no number beyond
  range, no type a user could not mean (``true`` for 1, ``"100"`` for 100), no unknown key.

Profile, overrides and the assumption pack (:class:`engine.packs.Pack`, if the scenario has one) are stored
as JSON text, so the same schema works on both databases. Schema version 3 added the pack's column; rows
written before hold none and load as scenarios on the bundled assumptions; version 4 added the horizon and the
forced operating levels (older rows: the default horizon, levels chosen). An export carries format version 2
when the scenario has a pack, a horizon or forced levels, and version 1 (as before) when it has none; both are
read.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from engine.assumptions import HORIZONS, AssumptionSet, Level
from engine.errors import InvalidScenario, ScenarioExists, ScenarioNotFound, StoreError, UnreadableScenario
from engine.i18n import Lang
from engine.inputs import MAX_DRAWS, MIN_DRAWS
from engine.overrides import Overrides
from engine.packs import Pack, load_pack
from engine.plans import parse_plan
from engine.profile import STRICT_JSON, MerchantProfile, Module
from engine.recommend import recommend
from engine.result import Recommendation
from engine.sources import EARLIEST_EVIDENCE
from engine.text import ECHO_MAX as ECHO_MAX  # re-exported: the helpers moved to engine.text, shared
from engine.text import JSON_INT_DIGITS as JSON_INT_DIGITS
from engine.text import clip, code_point
from engine.text import invisible as _invisible
from engine.text import parse_json as parse_json

ENV_URL = "WXPLAN_DATABASE_URL"
EXPORT_FORMAT = "wxplan-scenario"
EXPORT_VERSION = (
    2  # 2: the scenario may carry an assumption pack, horizon, forced levels; 1 (none) is read too
)
EXPORT_VERSIONS = (1, 2)
BUSY_TIMEOUT_MS = 30_000
NAME_MAX = 120
NOTES_MAX = 100_000
# Timestamps a scenario can carry: any of them stays a valid date in every time zone of either database.
TIMESTAMP_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TIMESTAMP_MAX = datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


# --- the scenario ------------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalize_name(name: str) -> str:
    """A scenario name as stored and looked up: Unicode NFC, so "café" typed either way is one name."""
    return unicodedata.normalize("NFC", name) if isinstance(name, str) else name


def _stored(info: ValidationInfo) -> bool:
    """Validating a row read back from the database (older wxplan versions checked less): the character
    rules added since are not applied to its field (unless the context's ``check`` names the field), so
    such a row can still be read, exported and renamed."""
    context = info.context or {}
    return bool(context.get("stored")) and info.field_name not in context.get("check", ())


class Scenario(BaseModel):
    """A named assessment: everything :func:`run` needs to recompute its result, and when it changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX, description="unique name, 1-120 characters")
    notes: str = Field("", max_length=NOTES_MAX)
    profile: MerchantProfile
    overrides: Overrides = Field(default_factory=Overrides)
    as_of: date | None = Field(None, description="evaluate as of this date (None: the day it is run)")
    seed: int = Field(0, ge=0, le=2**63 - 1)
    draws: int = Field(10_000, ge=MIN_DRAWS, le=MAX_DRAWS)
    plan: str | None = Field(None, description="forced plan, e.g. 'channels,shop>wecom' (None: recommend)")
    assumptions: Pack | None = Field(
        None, description="the provider's assumption pack (None: the bundled set)"
    )
    horizon_months: int | None = Field(
        None, description="months the plan is judged over, 12, 24 or 36 (None: the assumption set's default)"
    )
    levels: dict[Module, Level] = Field(
        default_factory=dict, description="forced operating levels, e.g. {'channels': 'lean'} (empty: chosen)"
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @field_validator("name", mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        return normalize_name(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str, info: ValidationInfo) -> str:
        if value != value.strip():
            raise ValueError("must not start or end with spaces")
        # C0 controls and DEL were always refused; the other invisible characters only since names are
        # checked for spoofing (a row stored before may hold them, see _stored).
        bad = next((ch for ch in value if ch < " " or ch == "\x7f"), None)
        if bad is None and not _stored(info):
            bad = next((ch for ch in value if _invisible(ch)), None)
        if bad is not None:
            raise ValueError(
                f"must not contain {code_point(bad)}: no control characters (newlines, tabs), invisible or "
                "text-direction characters (they make one name look like another)"
            )
        return value

    @field_validator("notes")
    @classmethod
    def _notes(cls, value: str, info: ValidationInfo) -> str:
        """Notes are text: tabs and newlines, but no NUL (PostgreSQL cannot store it, so such a scenario
        could not move between the databases) nor any other control character."""
        bad = next((ch for ch in value if unicodedata.category(ch) == "Cc" and ch not in "\t\n"), None)
        if bad is not None and not _stored(info):
            at = value.index(bad)
            raise ValueError(
                f"must not contain the control character {code_point(bad)} (at character {at + 1}); "
                "notes may hold text, tabs and newlines"
            )
        return value

    @field_validator("profile")
    @classmethod
    def _profile_text(cls, value: MerchantProfile, info: ValidationInfo) -> MerchantProfile:
        """No NUL in the profile's texts either (the same scenario on SQLite and PostgreSQL)."""
        if not _stored(info):
            for field, text in value.model_dump().items():
                if isinstance(text, str) and "\x00" in text:
                    raise ValueError(f"{field}: must not contain {code_point(chr(0))}")
        return value

    @field_validator("plan")
    @classmethod
    def _plan(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_plan(value)
            except ValueError as exc:  # names the modules allowed
                raise ValueError(clip(str(exc).removeprefix("plan: "), 300)) from None
        return value

    @field_validator("horizon_months")
    @classmethod
    def _horizon(cls, value: int | None) -> int | None:
        if value is not None and value not in HORIZONS:
            raise ValueError(f"{value} is not allowed; allowed: {', '.join(map(str, HORIZONS))}")
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
        """Timestamps are UTC (a naive one is taken as UTC), between 1970 and 9998."""
        try:
            utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00 is in the year 10000 in UTC
            utc = None
        if utc is None or not TIMESTAMP_MIN <= utc <= TIMESTAMP_MAX:
            raise ValueError(
                f"{value.isoformat()} is out of range; a timestamp must be between "
                f"{TIMESTAMP_MIN:%Y-%m-%d} and {TIMESTAMP_MAX:%Y-%m-%d} (UTC)"
            )
        return utc


def run(
    scenario: Scenario, lang: Lang = "zh", *, assumptions: AssumptionSet | str | Path | None = None
) -> Recommendation:
    """Recompute a scenario's result: :func:`engine.recommend` on its inputs, on its own assumption pack unless
    ``assumptions`` says otherwise (``PackError`` if the pack no longer passes the checks)."""
    if assumptions is None and scenario.assumptions is not None:
        assumptions = load_pack(scenario.assumptions)
    return recommend(
        scenario.profile,
        as_of=scenario.as_of,
        draws=scenario.draws,
        seed=scenario.seed,
        plan=scenario.plan,
        assumptions=assumptions,
        lang=lang,
        overrides=scenario.overrides,
        levels=dict(scenario.levels) or None,
        horizon_months=scenario.horizon_months,
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

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _lenient(lambda text: self.process_result_value(datetime.fromisoformat(text), dialect))


class StoredDate(sa.TypeDecorator):
    """A date; on SQLite a stored text that is not a date is returned as it is (see :func:`_lenient`)."""

    impl = sa.Date
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _lenient(date.fromisoformat)


def _lenient(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    """SQLite keeps dates as text and any column can hold anything: a value that does not parse is passed
    on as it is, so that the scenario's validation reports that one row (instead of one bad row making
    every query that reads the column fail)."""

    def process(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse(value)
        except (ValueError, OverflowError):
            return value

    return process


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
    sa.Column("as_of", StoredDate, nullable=True),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("draws", sa.Integer, nullable=False),
    sa.Column("plan", sa.String(200), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("assumptions", sa.Text, nullable=True),  # Pack as JSON (version 3; NULL: the bundled set)
    sa.Column("horizon_months", sa.Integer, nullable=True),  # version 4; NULL: the assumption set's default
    sa.Column("levels", sa.Text, nullable=True),  # forced levels as JSON (version 4; NULL: none forced)
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


def _v3_assumptions(conn: Connection) -> None:
    """Version 3: the scenario's assumption pack as JSON (NULL: the bundled set, as every older row)."""
    conn.execute(sa.text("ALTER TABLE scenarios ADD COLUMN assumptions TEXT"))


def _v4_horizon_levels(conn: Connection) -> None:
    """Version 4: the horizon the plan is judged over and the forced operating levels (NULL on every older row:
    the default horizon, levels chosen by the engine - what those rows were run with)."""
    conn.execute(sa.text("ALTER TABLE scenarios ADD COLUMN horizon_months INTEGER"))
    conn.execute(sa.text("ALTER TABLE scenarios ADD COLUMN levels TEXT"))


# Ordered: version N is MIGRATIONS[N - 1]. Append new ones; never change or reorder applied ones.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    _v1_scenarios,
    _v2_updated_index,
    _v3_assumptions,
    _v4_horizon_levels,
)
SCHEMA_VERSION = len(MIGRATIONS)

# Any constant: serialises concurrent migrations on PostgreSQL (DDL there is transactional).
_PG_MIGRATION_LOCK = 0x77_78_70_6C_61_6E  # "wxplan"


def current_version(conn: Connection) -> int:
    """The schema version of the database (0 if it has no schema yet)."""
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0


def _newer(version: int) -> str:
    return (
        f"the database has schema version {version}, newer than this wxplan knows ({SCHEMA_VERSION}); "
        "upgrade wxplan"
    )


def migrate(conn: Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to ``target`` inside the caller's (write) transaction.

    Returns the version reached. Raises :class:`StoreError` if the database is newer than this wxplan.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
    schema_version.create(conn, checkfirst=True)
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(_newer(version))
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


_URL_FORMS = "use sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
_PERCENT_ENCODE = (
    "if the user name or password contains @, :, /, ?, #, [ or ], percent-encode them "
    "(@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, [ as %5B, ] as %5D)"
)


def _well_formed(url: str | URL) -> URL | None:
    """The parsed URL, or None if it cannot be parsed without guessing (SQLAlchemy ends the password at
    the first ``@``, so ``u:p@ss@host`` would connect to the host ``ss@host`` with the password ``p``)."""
    if isinstance(url, URL):
        return url
    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError, TypeError):  # ValueError: a port that is not a number, "[::1"
        return None
    return None if "@" in (parsed.host or "") else parsed


def _hide_userinfo(url: str) -> str:
    """Everything before the last ``@`` of the URL (after its scheme) as ``***``: a URL that cannot be
    parsed may have its password anywhere in there."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" not in rest:
        return url
    return f"{scheme}{sep}***@{rest.rpartition('@')[2]}"


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``; for a URL that cannot be parsed unambiguously, the
    whole user name and password (everything up to the last ``@``)."""
    parsed = _well_formed(url)
    if parsed is None:
        return _hide_userinfo(str(url))
    shown = parsed.render_as_string(hide_password=True)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", shown, flags=re.IGNORECASE)


def _parse(url: str) -> URL:
    parsed = _well_formed(url)
    if parsed is None:
        shown = clip(mask_url(url), 200)
        try:
            make_url(url)
        except exc.ArgumentError:
            raise StoreError(f"'{shown}' is not a database URL; {_URL_FORMS}") from None
        except (ValueError, TypeError):
            pass
        raise StoreError(f"'{shown}' is not a valid database URL; {_PERCENT_ENCODE}") from None
    if parsed.drivername in ("postgresql", "postgres"):  # the driver wxplan installs
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_connect(busy_timeout_ms: int, read_only: bool) -> Callable[[Any, Any], None]:
    """Every SQLite connection: wait for locks, WAL journal, foreign keys; wxplan emits BEGIN itself."""

    def connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if not read_only:
            try:
                _switch_to_wal(cur, busy_timeout_ms / 1000)
            except sqlite3.OperationalError as err:
                if "readonly" not in str(err):  # a read-only file keeps its journal mode; reads work
                    raise
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    return connect


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


def _read_only_sqlite(parsed: URL) -> URL | None:
    """For an SQLite file this process may read but not write (the file or its folder is read-only): the
    URL that opens it read-only, ``immutable`` if SQLite could not create the WAL index beside it. None
    for a file that can be written, does not exist, or is already given with SQLite URI parameters."""
    path = parsed.database
    if not path or path == ":memory:" or path.startswith("file:") or parsed.query:
        return None
    file = Path(path)
    folder = file.parent
    if not file.is_file() or (os.access(file, os.W_OK) and os.access(folder, os.W_OK)):
        return None
    params = "mode=ro&uri=true"
    if not os.access(folder, os.W_OK) and not Path(f"{path}-shm").exists():
        params += "&immutable=1"  # nobody can write it here either: read it as it is
    return make_url(f"sqlite:///file:{quote(str(file.absolute()))}?{params}")


def make_engine(url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    """An SQLAlchemy engine for ``url`` with wxplan's connection settings (no connection made yet)."""
    parsed = _parse(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            read_only = _read_only_sqlite(parsed)
            engine = sa.create_engine(read_only or parsed, connect_args={"timeout": busy_timeout_ms / 1000})
            event.listen(engine, "connect", _sqlite_connect(busy_timeout_ms, read_only is not None))
            event.listen(engine, "begin", _sqlite_begin)
        elif parsed.get_backend_name() == "postgresql":
            engine = sa.create_engine(parsed, connect_args={"connect_timeout": 10}, pool_pre_ping=True)
        else:
            engine = sa.create_engine(parsed)
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError, ValueError, TypeError) as err:
        raise StoreError(
            f"cannot use database URL '{clip(mask_url(parsed), 200)}': {clip(str(err), 200)}; "
            "wxplan supports sqlite:///PATH and postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None
    return engine


def _reason(err: BaseException, secret: str | None = None) -> str:
    """The first line of the driver's message (no SQL, no parameters, never the password)."""
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip().splitlines()
    reason = text[0] if text else type(orig).__name__
    if secret and len(secret) >= 3:
        reason = reason.replace(secret, "***")
    return clip(reason, 300)


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
        "assumptions": s.assumptions.model_dump_json() if s.assumptions is not None else None,
        "horizon_months": s.horizon_months,
        "levels": json.dumps(s.levels, sort_keys=True) if s.levels else None,
    }


def _from_row(row: sa.Row) -> Scenario:
    m = row._mapping
    try:
        return Scenario.model_validate(
            {
                "name": m["name"],
                "notes": m["notes"],
                "profile": json.loads(m["profile"]),
                "overrides": json.loads(m["overrides"]),
                "as_of": m["as_of"],
                "seed": m["seed"],
                "draws": m["draws"],
                "plan": m["plan"],
                "created_at": m["created_at"],
                "updated_at": m["updated_at"],
                "assumptions": json.loads(m["assumptions"]) if m["assumptions"] is not None else None,
                "horizon_months": m["horizon_months"],
                "levels": json.loads(m["levels"]) if m["levels"] is not None else {},
            },
            context={"stored": True},
        )
    except ValidationError as err:
        raise UnreadableScenario(m["name"], "; ".join(scenario_problems(err))) from None
    except json.JSONDecodeError as err:
        raise UnreadableScenario(
            m["name"], f"its profile, overrides or assumptions are not valid JSON ({err})"
        ) from None
    except (ValueError, TypeError, RecursionError) as err:  # huge integers, deep nesting, not text
        detail = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise UnreadableScenario(m["name"], f"its profile or overrides cannot be read ({detail})") from None


_COLUMNS = [c for c in scenarios.c if c.name != "id"]


class ScenarioStore:
    """Scenarios in a database; see the module docstring. Opening applies pending migrations, if any.

    ``busy_timeout_ms``: how long an SQLite write waits for another writer's lock.
    """

    def __init__(self, url: str | None = None, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS):
        self.url = resolve_url(url)
        self.display_url = mask_url(self.url)
        if url is None and not os.environ.get(ENV_URL):
            folder = default_path().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(
                    f"cannot create the folder {clip(str(folder), 200)} for the scenario database "
                    f"({err.strerror or err}); set XDG_DATA_HOME to a folder you can write, or give "
                    f"another database with --database or {ENV_URL}"
                ) from None
        self.engine = make_engine(self.url, busy_timeout_ms=busy_timeout_ms)
        self._secret = self.engine.url.password
        self._what = "cannot open database"
        # Check the schema version without the write lock (read-only use, or another writer busy);
        # migrate, under the write lock, only if the database needs it.
        with self._read() as conn:
            version = current_version(conn)
        if version > SCHEMA_VERSION:
            raise StoreError(_newer(version))
        if version < SCHEMA_VERSION:
            with self._write() as conn:
                version = migrate(conn)
        self.schema_version = version
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
            reason = _reason(err, self._secret)
            if "readonly" in reason:
                reason += " (the database is read-only here: it can be listed and shown, not changed)"
            raise StoreError(f"{self._what} {self.display_url}: {reason}") from None

    def _write(self) -> Any:
        return self._transaction(write=True)

    def _read(self) -> Any:
        return self._transaction(write=False)

    def _row(self, conn: Connection, name: str, *, lock: bool = False) -> sa.Row | None:
        """The row of this name (in NFC; else exactly as given, for a row stored before names were
        normalised)."""
        row = None
        for candidate in dict.fromkeys((normalize_name(name), name)):
            query = sa.select(scenarios).where(scenarios.c.name == candidate)
            if lock:
                query = query.with_for_update()  # PostgreSQL row lock; SQLite already holds the write lock
            row = conn.execute(query).first()
            if row is not None:
                break
        return row

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

    def list(self, unreadable: list[UnreadableScenario] | None = None) -> list[Scenario]:
        """Every scenario, the most recently changed first (then by name).

        A row that is not a valid scenario raises :class:`UnreadableScenario`; given a list ``unreadable``,
        such rows are skipped instead and their errors appended to it, so the others can still be listed.
        """
        query = sa.select(scenarios).order_by(scenarios.c.updated_at.desc(), scenarios.c.name)
        with self._read() as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            try:
                out.append(_from_row(row))
            except UnreadableScenario as err:
                if unreadable is None:
                    raise
                unreadable.append(err)
        return out

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
                if not isinstance(created, datetime):  # an unreadable stored value: the row starts anew
                    created = now
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
                renamed = Scenario.model_validate(  # the new name must be valid too
                    {**_from_row(row).model_dump(), "name": new, "updated_at": utcnow()},
                    context={"stored": True, "check": {"name"}},
                )
                if self._row(conn, renamed.name) is not None:
                    raise ScenarioExists(renamed.name)
                conn.execute(
                    scenarios.update()
                    .where(scenarios.c.id == row.id)
                    .values(name=renamed.name, updated_at=renamed.updated_at)
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
                now = utcnow()
                copy = Scenario.model_validate(
                    {**_from_row(row).model_dump(), "name": new, "created_at": now, "updated_at": now}
                )
                if self._row(conn, copy.name) is not None:
                    raise ScenarioExists(copy.name)
                conn.execute(scenarios.insert().values(**_to_row(copy)))
                return copy
        except exc.IntegrityError:
            raise ScenarioExists(new) from None
        except ValidationError as err:
            raise InvalidScenario(scenario_problems(err)) from None

    def delete(self, name: str) -> None:
        with self._write() as conn:
            row = self._row(conn, name, lock=True)
            if row is None:
                raise ScenarioNotFound(name)
            conn.execute(scenarios.delete().where(scenarios.c.id == row.id))

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


# Fields an export of version 1 does not have: a scenario that uses none of them is exported as version 1,
# which older wxplan versions read.
_V2_FIELDS = {"assumptions": "assumption pack", "horizon_months": "horizon", "levels": "forced levels"}


def export_scenario(scenario: Scenario) -> dict[str, Any]:
    """The export of a scenario: version 2 with its assumption pack, horizon or forced levels, version 1
    (readable by older wxplan) when it has none of them."""
    if scenario.assumptions is None and scenario.horizon_months is None and not scenario.levels:
        return {
            "format": EXPORT_FORMAT,
            "version": 1,
            "scenario": scenario.model_dump(mode="json", exclude=set(_V2_FIELDS)),
        }
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "scenario": scenario.model_dump(mode="json")}


_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "true or false",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return _JSON_TYPES.get(type(value), type(value).__name__)


# The JSON types of the fields of an exported scenario: what export_scenario writes, nothing it does not
# (no number given as a string, no true for 1, no timestamp as a number of seconds).
_EXPORT_FIELDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "name": ("a string", (str,)),
    "notes": ("a string", (str,)),
    "profile": ("an object", (dict,)),
    "overrides": ("an object", (dict,)),
    "as_of": ("a YYYY-MM-DD string or null", (str, type(None))),
    "seed": ("an integer", (int,)),
    "draws": ("an integer", (int,)),
    "plan": ("a string or null", (str, type(None))),
    "created_at": ("an ISO 8601 date-time string", (str,)),
    "updated_at": ("an ISO 8601 date-time string", (str,)),
    "assumptions": ("an object (an assumption pack) or null", (dict, type(None))),
    "horizon_months": ("an integer or null", (int, type(None))),
    "levels": ("an object", (dict,)),
}
_EXPORT_KEYS = ("format", "version", "scenario")


def _export_type_problems(scenario: dict[str, Any]) -> list[str]:
    problems = []
    for key, (wanted, types) in _EXPORT_FIELDS.items():
        if key not in scenario:
            continue
        value = scenario[key]
        if isinstance(value, bool) or not isinstance(value, types):  # no field takes true or false
            problems.append(f"{key}: must be {wanted}, got {_json_type(value)} {clip(repr(value))}")
    overrides = scenario.get("overrides")
    if isinstance(overrides, dict):
        for key, value in overrides.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(
                    f"overrides.{clip(key)}: must be a number, got {_json_type(value)} {clip(repr(value))}"
                )
    return problems


def parse_export(data: Any) -> Scenario:
    """The scenario in an export (as made by :func:`export_scenario`), or :class:`InvalidScenario`.

    Strict: no keys beside format, version and scenario; the scenario's fields of the JSON types an
    export has (see :data:`_EXPORT_FIELDS`)."""
    if not isinstance(data, dict):
        raise InvalidScenario([f"expected a JSON object, got {type(data).__name__}"])
    unknown = [k for k in data if k not in _EXPORT_KEYS]
    if unknown:
        names = ", ".join(f"'{clip(k)}'" for k in unknown[:10]) + (" …" if len(unknown) > 10 else "")
        raise InvalidScenario([f"unknown key(s) {names}; an export has only {', '.join(_EXPORT_KEYS)}"])
    if data.get("format") != EXPORT_FORMAT:
        raise InvalidScenario([f"'format' must be '{EXPORT_FORMAT}', got {clip(repr(data.get('format')))}"])
    version = data.get("version")
    if type(version) is not int or version not in EXPORT_VERSIONS:
        raise InvalidScenario(
            [
                f"'version' {clip(repr(version))} is not supported "
                f"(this wxplan reads {', '.join(map(str, EXPORT_VERSIONS))})"
            ]
        )
    if not isinstance(data.get("scenario"), dict):
        raise InvalidScenario(["'scenario' must be a JSON object"])
    if version == 1:
        late = [key for key in _V2_FIELDS if key in data["scenario"]]
        if late:
            raise InvalidScenario(
                [f"{key}: a version 1 export has no {_V2_FIELDS[key]} (version 2 has)" for key in late]
            )
    problems = _export_type_problems(data["scenario"])
    if problems:
        raise InvalidScenario(problems)
    try:
        # an export is JSON: its profile's numbers must be JSON numbers, as in a profile file
        return Scenario.model_validate(data["scenario"], context=STRICT_JSON)
    except ValidationError as err:
        raise InvalidScenario(scenario_problems(err)) from None
