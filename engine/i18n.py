"""Bilingual message catalogs (Chinese first, English complete).

Catalogs are flat YAML files in ``engine/locales``; keys are dotted names such as
``field.staff_fte.label`` or ``verdict.adopt_now``. ``t(key, lang, **values)`` formats one message.
They hold what the engine says (results, reports, errors, the CLI, charts); the app's own page texts are in
``app/locales``, read through ``app/i18n.py``, which falls back to these. A test keeps each pair in step
(same keys, same placeholders) and each key on the side whose code uses it.
"""

from __future__ import annotations

import string
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Literal

import yaml

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
_DIR = files("engine") / "locales"  # package data, in the checkout and in the wheel


def read_catalog(folder: Traversable, lang: Lang) -> dict[str, str]:
    """The flat catalog ``<folder>/<lang>.yaml`` (the engine's, or the app's)."""
    if lang not in LANGS:
        raise ValueError(f"lang: '{lang}' is not one of {', '.join(LANGS)}")
    data = yaml.safe_load((folder / f"{lang}.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


@cache
def catalog(lang: Lang) -> dict[str, str]:
    """The engine's flat catalog of one language (loaded once per process)."""
    return read_catalog(_DIR, lang)


def fill(text: str, values: dict[str, object]) -> str:
    """``text`` with its ``{placeholders}`` filled from ``values``."""
    return text.format(**values) if values else text


def t(key: str, lang: Lang = DEFAULT_LANG, /, **values: object) -> str:
    """Translate ``key`` into ``lang`` and fill ``{placeholders}`` from ``values``."""
    return fill(catalog(lang)[key], values)


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` used in a message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
