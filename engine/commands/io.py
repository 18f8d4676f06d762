"""The commands' input and output: one strict JSON reader for profiles and scenario exports, and one writer
of results in the format asked for."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine.errors import InvalidJSON, UserError
from engine.text import parse_json


@dataclass(frozen=True)
class JsonFile:
    """What a command reads, as its messages name it."""

    directory: str  # the message for a directory given where the file belongs
    not_utf8: str  # the message for bytes that are not UTF-8


PROFILE = JsonFile(
    directory="is a directory, expected a profile JSON file",
    not_utf8="not UTF-8 text; save the profile as UTF-8 JSON",
)
EXPORT = JsonFile(
    directory="is a directory, expected a scenario JSON file",
    not_utf8="not UTF-8 text; expected a scenario JSON file",
)


def read_json(path: str, kind: JsonFile) -> Any:
    """A JSON file (``-`` for stdin) read strictly (engine.text.parse_json: no key twice, no integer of more
    than 100 digits, no deep nesting, no NaN), or :class:`UserError` saying what is wrong with it."""
    try:
        if path == "-":  # bytes, decoded here: a non-UTF-8 stdin is an error, not surrogate escapes
            stdin = getattr(sys.stdin, "buffer", None)
            raw = stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
            text = raw.decode("utf-8-sig")
        else:
            text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: {kind.directory}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: {kind.not_utf8}") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return parse_json(text.removeprefix("\ufeff"))
    except InvalidJSON as exc:
        raise UserError(f"{path}: {exc}") from None


def read_profile(path: str) -> dict:
    """Read a profile JSON file (``-`` for stdin) into a dict, or raise :class:`UserError`.

    The fields are checked as JSON (``"0.5"`` and ``true`` are not numbers): a bad one raises
    ``pydantic.ValidationError`` naming it."""
    from engine.profile import STRICT_JSON, MerchantProfile

    data = read_json(path, PROFILE)
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object of profile fields, got {type(data).__name__}")
    MerchantProfile.model_validate(data, context=STRICT_JSON)
    return data


def read_export(path: str) -> object:
    """A scenario export (``-`` for stdin) as JSON, for :func:`engine.store.parse_export` to check."""
    return read_json(path, EXPORT)


def write(result: BaseModel, fmt: str, renderers: dict[str, Callable[[Any], str]]) -> None:
    """A result on standard output: as JSON, or rendered by ``renderers[fmt]``."""
    sys.stdout.write(renderers[fmt](result) if fmt in renderers else result.model_dump_json(indent=2) + "\n")


def write_recommendation(rec: BaseModel, fmt: str, lang: str) -> None:
    """A recommendation as ``wxplan recommend`` prints it: JSON, Markdown, HTML or PDF."""
    from engine.render.html import to_html
    from engine.render.markdown import to_markdown

    if fmt == "pdf":  # the HTML report on A4 (engine/render/pdf.py): bytes, redirect to a file
        from engine.errors import PdfUnavailable
        from engine.render.pdf import to_pdf

        try:
            sys.stdout.buffer.write(to_pdf(rec))
        except PdfUnavailable as exc:
            raise UserError(exc.message.text(lang)) from None
        return
    write(rec, fmt, {"markdown": to_markdown, "html": to_html})


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: list[list[str]]) -> str:
    """Rows as aligned columns (a Chinese character is two columns wide), the first row the header."""
    widths = [max(_display_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [c + " " * (w - _display_width(c)) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
