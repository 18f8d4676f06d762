"""Shared test fixtures: a valid baseline profile and a fast recommend."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ("pg",)  # the store tests' fixtures: postgres_server and db_url (tests/pg.py)

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-21"

BASE_PROFILE: dict = {
    "name": "测试商家",
    "business_type": "brand",
    "category": "food",
    "douyin_presence": "none",
    "shelf_platforms": [],
    "private_domain": "basic",
    "existing_modules": [],
    "distributors": 0,
    "staff_fte": 4,
    "budget_setup_cny": 60000,
    "budget_monthly_cny": 50000,
    "city_tier": 2,
    "avg_order_value_cny": 150,
    "gross_margin": 0.45,
    "goal": "both",
    "audience_age": "mixed",
}


def make_profile(**changes) -> dict:
    """A valid profile dict with ``changes`` applied."""
    return {**BASE_PROFILE, **changes}


@pytest.fixture
def profile_dict() -> dict:
    return dict(BASE_PROFILE)


@pytest.fixture
def wxplan_cmd() -> list[str]:
    """The CLI as a subprocess command (the installed console script's module)."""
    return [sys.executable, "-m", "engine.cli"]


# --- real browser: Streamlit server + Debian Chromium driven by Playwright ---------------------

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "screenshots"  # deliberate screenshots; failures go to test-results/


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """Playwright drives Debian's Chromium (never a downloaded browser)."""
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def context(new_context, pytestconfig, request):
    """pytest-playwright's context, its trace (``--tracing retain-on-failure``) holding the actions, DOM
    snapshots, console, network and sources but no screencast: encoding a frame of every repaint took about
    a fifth of a browser test's CPU (Chromium's GPU and browser processes, the driver), on every test, for
    a trace kept only on failure. A failure still keeps its screenshot (``--screenshot only-on-failure``)."""
    context = new_context()
    if pytestconfig.getoption("--tracing") != "off":
        context.tracing.stop()
        context.tracing.start(title=request.node.nodeid, snapshots=True, screenshots=False, sources=True)
    return context


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'  # the app's script has finished a run


def idle(page) -> None:
    """Wait until the app's script has finished its run."""
    page.wait_for_selector(IDLE, timeout=60_000)


def open_app(page, url: str) -> None:
    """Open ``url`` and wait until the page has drawn (its title shown, the script idle)."""
    page.goto(url)
    idle(page)
    page.get_by_role("heading", level=1).first.wait_for()


def serve_app(folder: Path, **env: str) -> Iterator[str]:
    """Run ``streamlit run app/streamlit_app.py`` on a free loopback port, its log and scenario store (a fresh
    SQLite file, never the user's own) in ``folder`` and ``env`` added to its environment; yield its address
    once healthy, stop it after."""
    import os
    import subprocess
    import time
    import urllib.request

    port = _free_port()
    log = folder / "server.log"
    environment = {**os.environ, "WXPLAN_DATABASE_URL": f"sqlite:///{folder / 'scenarios.db'}", **env}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
                "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            ],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=environment,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            pytest.fail(f"streamlit did not become healthy:\n{log.read_text(errors='replace')}")
        time.sleep(0.25)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def fake_article(file: str) -> str:
    """A stand-in for the article ``file``: its registered number of lines, each naming file and line."""
    from engine.sources import SOURCES

    return "\n".join(f"FAKE {file} paragraph {i}" for i in range(1, SOURCES[file].lines + 1)) + "\n"


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> Iterator[str]:
    """The app for the session's browser tests (:func:`serve_app`), one per xdist worker. Its article folder
    (``WXPLAN_SEEDS_DIR``) holds fakes (:func:`fake_article`), never the real articles: a citation opens to
    a passage a test can recognise, wherever the checkout is."""
    from engine.sources import SOURCES

    root = tmp_path_factory.mktemp("streamlit")
    seeds = root / "seeds"
    seeds.mkdir()
    for file in SOURCES:
        (seeds / file).write_text(fake_article(file), encoding="utf-8")
    yield from serve_app(root, WXPLAN_SEEDS_DIR=str(seeds))
