"""The wheel is complete: built from a copy of the sources, installed into a fresh virtualenv and run from a
directory that is not the checkout (engine/resources.py, pyproject.toml's [tool.setuptools] tables).

The fresh venv gets the wheel and nothing else (``pip --python VENV install --no-deps``); its dependencies
come from the test's own environment through a ``.pth`` file that lists that environment's site-packages
folders (a path line in a ``.pth`` file does not run the ``.pth`` files it points at, so the checkout's
editable install stays out). Nothing is downloaded but the build backend, which pip fetches (or takes from
its cache) for the isolated build.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import site
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "engine", "app", "assumptions", "examples")  # what a build needs
AS_OF = "2026-11-21"


class Installed:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.venv = base / "venv"
        self.bin = self.venv / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / "python"
        self.wxplan = self.bin / "wxplan"
        self.site = Path(
            sysconfig.get_path("purelib", vars={"base": str(self.venv), "platbase": str(self.venv)})
        )
        self.cwd = base / "elsewhere"  # neither the checkout nor anything under it
        self.cwd.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "WXPLAN_"))}
        env["PATH"] = os.pathsep.join([str(self.bin), env.get("PATH", "")])
        env["PYTHONNOUSERSITE"] = "1"
        self.env = env

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )


def _sh(*args: str | Path, cwd: Path) -> None:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"  # a copy, so that the build's build/ and *.egg-info never touch the checkout
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info", "_bundled")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=junk)
        else:
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    _sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist", src, cwd=base)
    (wheel,) = (base / "dist").glob("wxplan-*.whl")
    out = Installed(base)
    _sh(sys.executable, "-m", "venv", "--without-pip", out.venv, cwd=base)
    _sh(sys.executable, "-m", "pip", "--python", out.python, "install", "--no-deps", "-q", wheel, cwd=base)
    deps = [
        p for p in dict.fromkeys([*site.getsitepackages(), sysconfig.get_path("platlib")]) if Path(p).is_dir()
    ]
    assert all(Path(p).resolve() != ROOT for p in deps)
    (out.site / "_wxplan_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    return out


PROBE = r"""
import json, sys
import engine, app
from engine import presets, resources
from engine.assumptions import DEFAULT_DIR, load
from engine.i18n import LANGS, catalog
from app.i18n import app_catalog
from streamlit.testing.v1 import AppTest

pages = {}
for page in ("method", "batch", "evidence"):
    at = AppTest.from_file(str(resources.app_script().parent / "views" / f"{page}.py"), default_timeout=30)
    at.query_params["lang"] = "en"
    at.run()
    pages[page] = [str(e.value) for e in at.exception]
print(json.dumps({
    "engine": engine.__file__, "app": app.__file__, "sys_path": sys.path,
    "finders": [type(f).__module__ + "." + type(f).__name__ for f in sys.meta_path],
    "installed": resources.INSTALLED, "assumptions": str(DEFAULT_DIR), "params": len(load().params()),
    "presets": [presets.preset(p).name for p in presets.PRESETS],
    "catalogs": {lang: len(catalog(lang)) for lang in LANGS},
    "app_catalogs": {lang: len(app_catalog(lang)) for lang in LANGS},
    "views": sorted(p.name for p in (resources.app_script().parent / "views").glob("*.py")),
    "pages": pages,
}))
"""


def test_the_wheel_carries_code_and_data_and_runs_without_the_checkout(installed):
    done = installed.run(str(installed.python), "-c", PROBE)
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.splitlines()[-1])
    site_dir = installed.site.resolve()
    for name in ("engine", "app"):
        assert Path(probe[name]).resolve().is_relative_to(site_dir), probe[name]
    assert all((installed.cwd / p).resolve() != ROOT for p in probe["sys_path"]), probe["sys_path"]
    assert not any("editable" in f for f in probe["finders"]), probe["finders"]
    assert probe["installed"] is True
    assert Path(probe["assumptions"]).is_relative_to(site_dir / "engine" / "_bundled")
    assert probe["params"] > 100
    assert len(probe["presets"]) == 5
    assert min(probe["catalogs"].values()) > 100
    assert min(probe["app_catalogs"].values()) > 100  # app/locales ships as package data too
    assert probe["views"] == sorted(p.name for p in (ROOT / "app" / "views").glob("*.py"))
    assert probe["pages"] == {"method": [], "batch": [], "evidence": []}


def test_recommend_on_an_installed_example_matches_the_checkout(installed):
    example = installed.site / "engine" / "_bundled" / "examples" / "douyin_native_brand.json"
    args = ("recommend", str(example), "--draws", "200", "--as-of", AS_OF)
    done = installed.run(str(installed.wxplan), *args)
    assert done.returncode == 0, done.stderr
    from_wheel = json.loads(done.stdout)
    checkout = subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert checkout.returncode == 0, checkout.stderr
    assert from_wheel == json.loads(checkout.stdout)


def test_assumptions_check_passes_on_the_bundled_set(installed):
    done = installed.run(str(installed.wxplan), "assumptions", "check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(installed.site.resolve() / "engine" / "_bundled" / "assumptions"))
    assert ": OK (" in done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wxplan_app_serves_the_installed_app(installed):
    port = _free_port()
    log = installed.base / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(installed.wxplan), "app", "--port", str(port), "--address", "127.0.0.1"],
            cwd=installed.cwd,
            env=installed.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 40
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    status = r.status
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        assert status == 200, f"no health answer (exit {proc.poll()}):\n{log.read_text()}"
        proc.send_signal(signal.SIGTERM)  # wxplan stops its streamlit child and exits
        proc.wait(timeout=20)
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, "the app still answers after wxplan stopped"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
