"""Bilingual message catalogs (Chinese first, English complete).

Catalogs are flat YAML files in ``engine/locales``; keys are dotted names such as
``field.staff_fte.label`` or ``verdict.adopt_now``. ``t(key, lang, **values)`` formats one message.
A test keeps both catalogs in step (same keys, same placeholders).
"""

from __future__ import annotations

import string
from functools import cache
from importlib.resources import files
from typing import Literal

import yaml

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
_DIR = files("engine") / "locales"  # package data, in the checkout and in the wheel


@cache
def catalog(lang: Lang) -> dict[str, str]:
    """The flat catalog of one language (loaded once per process)."""
    if lang not in LANGS:
        raise ValueError(f"lang: '{lang}' is not one of {', '.join(LANGS)}")
    data = yaml.safe_load((_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def t(key: str, lang: Lang = DEFAULT_LANG, /, **values: object) -> str:
    """Translate ``key`` into ``lang`` and fill ``{placeholders}`` from ``values``."""
    text = catalog(lang)[key]
    return text.format(**values) if values else text


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` used in a message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
