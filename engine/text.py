"""User text, shared by every entry point: naming and echoing characters, escaping Markdown, reading JSON.

- :func:`invisible`, :func:`first_invisible` and :func:`code_point`: characters that are invisible,
  reorder the text around them or control a terminal, and how a message names one
  (``U+202E (RIGHT-TO-LEFT OVERRIDE)``);
- :func:`clip`: a user's value as a message echoes it (invisible characters escaped, long values cut);
- :func:`markdown_text`: a user's text made inert inside a line of Markdown;
- :func:`parse_json`: JSON read strictly (:class:`InvalidJSON`): no key twice, no number beyond range,
  no nesting deeper than the decoder can follow.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

ECHO_MAX = 80  # characters of a user's value echoed in a message; the rest is counted, not shown
JSON_INT_DIGITS = 100  # digits of the longest integer a JSON input may hold (seeds have at most 19)

# --- invisible characters ------------------------------------------------------------------------

# Characters that are invisible, reorder the text around them or control the terminal: Cc (C0 and C1
# controls), Cf (format: bidi overrides, zero-width characters, BOM), Cs (lone surrogates) and the
# line and paragraph separators.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def invisible(ch: str) -> bool:
    return unicodedata.category(ch) in INVISIBLE_CATEGORIES


def first_invisible(text: str) -> str | None:
    """The first invisible, text-direction or control character of ``text``, or None."""
    return next((ch for ch in text if invisible(ch)), None)


# Control characters have no Unicode name, only aliases; the ones a user meets most.
_CONTROL_NAMES = {
    "\x00": "NUL",
    "\x07": "BELL",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
    "\x9b": "CONTROL SEQUENCE INTRODUCER",
}


def code_point(ch: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: how a message names a character."""
    name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _visible(ch: str) -> str:
    if not invisible(ch):
        return ch
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def clip(value: object, limit: int = ECHO_MAX) -> str:
    """A user's value as a message echoes it: invisible characters as ``\\uXXXX`` escapes, at most
    ``limit`` characters, then how long the value really is: ``'xxx…(100000 characters)'``."""
    text = value if isinstance(value, str) else repr(value)
    out = "".join(_visible(ch) for ch in text[:limit])
    return out if len(text) <= limit else f"{out}…({len(text)} characters)"


# --- Markdown ------------------------------------------------------------------------------------

# Characters with a meaning inside a line of Markdown (emphasis, code, links, images, raw HTML, entities,
# tables, headings' closing marks, strikethrough, maths); a backslash makes each one literal.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&!$])")


def markdown_text(value: object) -> str:
    """``value`` as literal text inside one line of Markdown: line breaks become spaces, other invisible
    and control characters become visible ``\\x1b`` escapes, and markup characters are backslash-escaped
    (so a name cannot add a heading, a link, raw HTML or a terminal escape to a report)."""
    text = value if isinstance(value, str) else str(value)
    text = re.sub(r"[\r\n\t\u2028\u2029\x85]+", " ", text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", "".join(_visible(ch) for ch in text))


# --- strict JSON ---------------------------------------------------------------------------------


class InvalidJSON(ValueError):
    """Text that is not JSON wxplan reads: malformed, a key twice in one object, a number out of range,
    or nested too deeply."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidJSON(f"duplicate key '{clip(key)}': an object names it twice")
        out[key] = value
    return out


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > JSON_INT_DIGITS:
        raise InvalidJSON(f"an integer of {digits} digits is too large (at most {JSON_INT_DIGITS} digits)")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJSON(f"the number {clip(text)} is out of range")
    return value


def _constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not a JSON number")


def parse_json(text: str) -> Any:
    """Parse JSON strictly (see :class:`InvalidJSON`): a key given twice is an error, not last-wins."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as err:
        raise InvalidJSON(f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    except RecursionError:
        raise InvalidJSON("nested too deeply (arrays or objects more than about 1000 levels deep)") from None
    except InvalidJSON:
        raise
    except ValueError as err:  # anything else the decoder refuses
        raise InvalidJSON(f"not valid JSON: {clip(str(err), 200)}") from None


# --- numbers for people ----------------------------------------------------------------------------
# The one way every surface (app, reports, comparison, CLI tables) writes a figure: thousands separated,
# ``digits`` decimals; a figure that does not exist (None) as ``missing``.


def number(value: float | None, digits: int = 0, missing: str = "—") -> str:
    """``12,345`` / ``1.5``; ``missing`` for None (a percentile out of reach, a field not given)."""
    return missing if value is None else f"{value:,.{digits}f}"


def amount(value: float | None, lang: str, digits: int = 0) -> str:
    """:func:`number` in a report's language, where None is unbounded (a payback beyond the horizon): "∞"."""
    from engine.i18n import t

    return number(value, digits, t("report.infinite", lang))  # type: ignore[arg-type]
