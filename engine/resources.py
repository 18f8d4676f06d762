"""Where wxplan's data files are, from the checkout and from an installed wheel alike.

Files inside a package (``engine/locales``, ``app/content``) are read through :mod:`importlib.resources`.
``assumptions/`` and ``examples/`` stay at the top of the repository; the wheel carries them as
``engine/_bundled/assumptions`` and ``engine/_bundled/examples`` (pyproject.toml). :func:`data_dir` returns
the bundled copy when there is one (an installed wheel) and the checkout's folder otherwise (an editable
install or a plain checkout). They are real directories: the assumption loader walks and stats them.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

ENGINE = Path(str(files("engine")))  # the engine package's own folder
BUNDLED = ENGINE / "_bundled"  # present only in an installed wheel
INSTALLED = BUNDLED.is_dir()
CHECKOUT: Path | None = None if INSTALLED else ENGINE.parent  # the repository root, when run from it


def data_dir(name: Literal["assumptions", "examples"]) -> Path:
    """The folder ``name`` of the repository's top level: the wheel's copy, else the checkout's."""
    return (BUNDLED if INSTALLED else ENGINE.parent) / name


def app_script() -> Path:
    """The Streamlit entry script of the ``app`` package (installed or in the checkout)."""
    return Path(str(files("app"))) / "streamlit_app.py"
