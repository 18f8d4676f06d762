"""A throwaway PostgreSQL server for the tests (Debian's ``postgresql``, which ``make test`` installs).

``initdb`` into a temporary directory, ``pg_ctl start`` on 127.0.0.1 at a free port with its socket in that
directory, and ``pg_ctl stop`` afterwards. PostgreSQL refuses to run as root, so as root every server
command runs as the ``postgres`` system user (``runuser``) on a directory that user owns; as a normal user
it runs as that user. Missing binaries fail the tests that need the server (CI installs them), never skip.

A plugin of every test module (``pytest_plugins`` in tests/conftest.py): ask for the ``postgres_server`` fixture,
then ``postgres_server.new_database()``, or for ``db_url`` (each test on SQLite and on PostgreSQL). The store
tests share the rest: ``make_scenario`` (a small scenario to save) and ``old_store`` (a database left at an
older schema version).
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

USER = "wxplan"  # the server's superuser (trust authentication on loopback only)
HINT = (
    "install Debian's postgresql package ('make system-deps' or 'make test' does: apt-get install postgresql)"
)


def pg_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: Debian's /usr/lib/postgresql/<ver>/bin, else PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda d: [int(p) if p.isdigit() else 0 for p in Path(d).parent.name.split(".")],
        reverse=True,
    )
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    for d in candidates:
        if (Path(d) / "initdb").is_file() and (Path(d) / "pg_ctl").is_file():
            return Path(d)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One PostgreSQL server in a temporary directory; :meth:`new_database` gives a fresh database's URL."""

    def __init__(self) -> None:
        self.bindir = pg_bindir()
        if self.bindir is None:
            raise RuntimeError(f"PostgreSQL's initdb and pg_ctl were not found; {HINT}")
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    f"running as root but there is no 'postgres' system user to run the server; {HINT}"
                ) from None
        self.dir = Path(tempfile.mkdtemp(prefix="wxplan-pg-"))
        if self.as_root:
            os.chown(self.dir, self.owner.pw_uid, self.owner.pw_gid)
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = 0
        self.running = False
        self._count = 0

    # -- commands, as the postgres user when root --

    def _cmd(self, *args: str) -> subprocess.CompletedProcess:
        argv = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            if shutil.which("runuser"):
                argv = ["runuser", "-u", "postgres", "--", *argv]
            else:
                argv = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(argv)]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        return subprocess.run(argv, cwd=self.dir, env=env, capture_output=True, text=True, timeout=120)

    def _check(self, what: str, proc: subprocess.CompletedProcess) -> None:
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{what} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}".rstrip()
            )

    def start(self) -> PgServer:
        self._check(
            "initdb",
            self._cmd("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8",
                      "--no-locale", "--no-sync"),
        )  # fmt: skip
        for attempt in range(3):  # a free port can be taken between choosing it and binding it
            self.port = _free_port()
            options = (
                f"-h 127.0.0.1 -p {self.port} -k {self.dir} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            proc = self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                             "-w", "-t", "60", "start")  # fmt: skip
            if proc.returncode == 0:
                self.running = True
                atexit.register(self.stop)
                return self
            if attempt == 2:
                self._check("pg_ctl start", proc)
        return self  # pragma: no cover

    def stop(self) -> None:
        if self.running:
            self.running = False
            self._cmd("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- databases --

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        self._count += 1
        name = f"{prefix}_{os.getpid()}_{self._count}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server():
    """A running throwaway PostgreSQL server for the whole session (fails, never skips, when absent)."""
    server = None
    try:
        server = PgServer()
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
        if server is not None:
            server.stop()
        pytest.fail(f"cannot start a PostgreSQL server for the tests: {err}", pytrace=False)
    yield server
    server.stop()


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """An empty database: an SQLite file, or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scenarios.db'}"
    return request.getfixturevalue("postgres_server").new_database()


def make_scenario(name: str = "客户A", **changes):
    """A scenario to save: an established Douyin seller on the test date at 300 draws, with ``changes``."""
    from conftest import AS_OF, make_profile

    from engine.store import Scenario

    fields = {
        "name": name,
        "profile": make_profile(douyin_presence="established"),
        "as_of": AS_OF,
        "draws": 300,
    }
    return Scenario.model_validate({**fields, **changes})


def old_store(url: str, version: int, name: str, profile_json: str) -> None:
    """A scenario database left at schema ``version`` (as an older wxplan wrote it) holding one scenario
    ``name``: the columns that version had, the rest never written."""
    import sqlalchemy as sa

    from engine.store import make_engine, migrate

    engine = make_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")
        assert migrate(conn, target=version) == version
        conn.execute(
            sa.text(
                "INSERT INTO scenarios (name, notes, profile, overrides, as_of, seed, draws, plan, created_at, "
                "updated_at) VALUES (:name, '', :profile, '{}', NULL, 0, 300, NULL, :now, :now)"
            ),
            {"name": name, "profile": profile_json, "now": "2026-01-02 03:04:05"},
        )
    engine.dispose()
