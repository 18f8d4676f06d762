"""The app's own messages (Chinese first, English complete), over the engine's.

``app/locales`` holds what only the app says: page titles, form labels, buttons, captions, the Evidence
page's texts. ``engine/locales`` holds what the engine says in results, reports, errors, charts and the CLI.
Pages translate through :func:`t`, which looks a key up here first and then in the engine catalog, so a page
uses both; the engine never reads an app key (tests/test_i18n.py keeps every key on the side that uses it).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from engine import i18n
from engine.i18n import DEFAULT_LANG, Lang, fill, read_catalog

_DIR = files("app") / "locales"  # package data, in the checkout and in the wheel


@cache
def app_catalog(lang: Lang) -> dict[str, str]:
    """The app's own flat catalog of one language (loaded once per process)."""
    return read_catalog(_DIR, lang)


@cache
def catalog(lang: Lang) -> dict[str, str]:
    """Every message a page can show: the engine's and the app's (no key is in both)."""
    return {**i18n.catalog(lang), **app_catalog(lang)}


def t(key: str, lang: Lang = DEFAULT_LANG, /, **values: object) -> str:
    """Translate ``key`` (an app or an engine key) into ``lang`` and fill ``{placeholders}`` from ``values``."""
    return fill(catalog(lang)[key], values)
