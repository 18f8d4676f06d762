"""wxplan's errors: every exception class the engine and the CLI raise, and the messages they carry.

The exception classes come first, one section, so a caller finds here what it may have to catch. Two kinds
of exception stay beside the code that raises and catches them, because they never leave their module: the
YAML loader's ``TooDeep`` and ``FileProblem`` (:mod:`engine.assumptions`) and the CSV reader's line-length
signals (:mod:`engine.leads`). :class:`InvalidJSON` is defined by the strict JSON reader in
:mod:`engine.text`, the one module below this one (it is what this module and :mod:`engine.profile` read
with), and imported from here like the others.

Validation errors become one clear line per problem: the field, what was given, what is allowed.
Messages are built from the catalogs (``error.*`` keys) as :class:`Message`: a ``str`` holding the English
text (what the CLI prints and the tests read), which also keeps its keys and values so that the UI can show
it in Chinese (:meth:`Message.text`). Text that reaches the UI as a plain English string (the row errors and
file errors :mod:`engine.leads` writes) is translated by :func:`localize`, which reads it back against the
English catalog messages it was written from.
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import TYPE_CHECKING

from pydantic import ValidationError

from engine.i18n import LANGS, Lang, catalog, placeholders, t
from engine.profile import FIELD_CHOICES, MerchantProfile
from engine.text import ECHO_MAX, clip
from engine.text import InvalidJSON as InvalidJSON

if TYPE_CHECKING:
    from engine.packs import Problem

# --- exceptions ----------------------------------------------------------------------------------


class UserError(Exception):
    """A command-line error the user can fix; printed without a traceback, exit status 2."""


class Stopped(BaseException):
    """SIGTERM (or SIGHUP) arrived: unwinds like Ctrl-C's KeyboardInterrupt, so that temporary files are
    removed and workers stopped, without being caught by ``except Exception``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class InputError(ValueError):
    """Bad input other than the profile itself; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class PlanSyntaxError(ValueError):
    """A ``--plan`` string that cannot be read."""


class AssumptionError(ValueError):
    """Problems found in an assumptions directory; ``problems`` lists each as 'file: field: message'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class LeadFileError(ValueError):
    """A problem with the lead file as a whole: the message says what is wrong and what is expected.

    A message from the catalogs also has its ``key`` and ``values`` (:meth:`text` gives it in a
    language); ``str()`` is the English one."""

    def __init__(self, message: str, key: str | None = None, values: dict[str, object] | None = None):
        super().__init__(message)
        self.key = key
        self.values = values or {}

    def text(self, lang: Lang) -> str:
        return t(self.key, lang, **self.values) if self.key else str(self)


class OutputError(OSError):
    """A target that must not be written as asked: ``key`` and ``values`` give the message in any
    language (``str()`` is the English one)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(t(key, "en", **values))
        self.key = key
        self.values = values

    def __str__(self) -> str:
        return str(self.args[0])

    def text(self, lang: Lang) -> str:
        return t(self.key, lang, **self.values)


class OutputExists(OutputError, FileExistsError):
    """The target is an existing file and ``overwrite`` was not given."""


class StoreError(Exception):
    """The database cannot be opened or used (bad URL, unreachable, unreadable data, newer schema)."""


class ScenarioNotFound(StoreError, LookupError):
    """No scenario has this name."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"scenario '{clip(name)}' not found")


class ScenarioExists(StoreError):
    """A scenario with this name already exists (names are unique)."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"scenario '{clip(name)}' already exists")


class InvalidScenario(StoreError, ValueError):
    """Data that is not a valid scenario or scenario export; ``problems`` lists each problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("not a valid wxplan scenario: " + "; ".join(problems))


class VariantError(ValueError):
    """A comparison variant's change that cannot be read or applied; ``message`` renders in either language."""

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


class PackError(ValueError):
    """A pack that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


class PdfUnavailable(RuntimeError):
    """The PDF cannot be made on this machine; ``message`` says why and what to install (zh and en)."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


class UnreadableScenario(StoreError):
    """A stored row that is not a valid scenario (edited by hand, or written by something else)."""

    def __init__(self, name: object, detail: str):
        self.name = name
        super().__init__(f"scenario '{clip(name)}' cannot be read: {clip(detail, 300)}")


# --- messages ------------------------------------------------------------------------------------

Part = str | tuple[str, dict[str, object]]


class Message(str):
    """An English message that can also be rendered in another language.

    ``parts`` are catalog keys with their values (a value may itself be a :class:`Message`) or literal
    text, joined by the catalog's ``sep`` message (``"; "`` in English)."""

    parts: tuple[Part, ...]
    sep: str

    def __new__(cls, parts: tuple[Part, ...] | list[Part], sep: str = "error.sep") -> Message:
        parts = tuple(parts)
        obj = super().__new__(cls, _render(parts, sep, "en"))
        obj.parts = parts
        obj.sep = sep
        return obj

    def __getnewargs__(self) -> tuple:  # pickling and copying rebuild it from its parts
        return (self.parts, self.sep)

    def text(self, lang: Lang) -> str:
        return _render(self.parts, self.sep, lang)


def _render(parts: tuple[Part, ...], sep: str, lang: Lang) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part.text(lang) if isinstance(part, Message) else part)
        else:
            key, values = part
            out.append(t(key, lang, **{k: _value(v, lang) for k, v in values.items()}))
    return t(sep, lang).join(out)


def _value(value: object, lang: Lang) -> object:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, str) and lang != "en" and "characters)" in value:  # a clipped value's length
        return _CLIPPED.sub(lambda c: t("batch.clipped", lang, count=c["count"]), value)
    return value


def _given(value: object) -> str:
    """A bad value as a message quotes it: as Python writes it, a long one clipped (a 10 MB name is not
    echoed whole), a string still in quotes."""
    if isinstance(value, str):  # already clipped by the lead reader: as it is
        return repr(value) if len(value) <= ECHO_MAX or _CLIPPED.search(value) else f"'{clip(value)}'"
    return clip(repr(value))


def msg(key: str, **values: object) -> Message:
    """One catalog message as a :class:`Message`."""
    return Message(((key, values),))


def text(message: object, lang: Lang) -> str:
    """Any message in ``lang``: a :class:`Message` rendered, a plain (English) string localized."""
    if isinstance(message, Message):
        return message.text(lang)
    return localize(str(message), lang)


# --- profile problems ----------------------------------------------------------------------------


def _allowed(field: str) -> str | None:
    choices = FIELD_CHOICES.get(field)
    return ", ".join(str(c) for c in choices) if choices else None


def _range(field: str) -> Message | None:
    """'a number > 0 and <= 1000' from the field's constraints, or None."""
    info = MerchantProfile.model_fields.get(field)
    if info is None:
        return None
    bounds: list[Part] = []
    for meta in info.metadata:
        for attr, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(meta, attr, None)
            if value is not None:
                bounds.append(f"{sym} {value:g}")
    if not bounds:
        return None
    kind = "error.range.integer" if info.annotation is int else "error.range.number"
    return msg(kind, bounds=Message(bounds, sep="error.and"))


def _detail(err: dict) -> Part:
    """Pydantic's English message for an error, as a catalog message when the catalog has its type."""
    english = err["msg"].removeprefix("Value error, ")
    kind = err["type"]
    candidates: list[Message] = []
    if kind == "number_type":
        candidates = [
            msg("error.type.number_type_bool"),
            Message((("error.type.number_type_string", {}), ("error.type.number_without_quotes", {}))),
        ]
    elif kind == "name_character":
        ctx = err.get("ctx") or {}
        candidates = [
            Message(
                (
                    ("error.type.name_character", {"character": ctx.get("character"), "at": ctx.get("at")}),
                    ("error.type.name_one_line", {}),
                )
            )
        ]
    elif f"error.type.{kind}" in catalog("en"):
        key = f"error.type.{kind}"
        ctx = err.get("ctx") or {}
        try:
            candidates = [msg(key, **{name: ctx[name] for name in placeholders(catalog("en")[key])})]
        except KeyError:
            candidates = []
    for candidate in candidates:
        if str(candidate) == english:  # the catalog says what pydantic says: translatable
            return candidate
    return english


def profile_problems(exc: ValidationError) -> list[tuple[str, Message]]:
    """(field, message) for each problem in a profile; the message names the allowed values or range.

    Each message is a :class:`Message`: English as ``str``, any language through ``.text(lang)``."""
    out: list[tuple[str, Message]] = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        field = loc[0] if loc else "profile"
        kind = err["type"]
        given = _given(err.get("input"))
        parts: list[Part]
        if kind == "missing":
            parts = [("error.required", {})]
            allowed = _allowed(field)
            if allowed:
                parts.append(("error.allowed", {"allowed": allowed}))
            elif _range(field):
                parts.append(_range(field))  # type: ignore[arg-type]
        elif kind == "extra_forbidden":
            parts = [
                ("error.extra", {}),
                ("error.allowed_fields", {"fields": ", ".join(MerchantProfile.model_fields)}),
            ]
        elif kind == "literal_error":
            parts = [
                ("error.not_allowed", {"given": given}),
                ("error.allowed", {"allowed": _allowed(field) or err["ctx"].get("expected")}),
            ]
        elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
            parts = [
                ("error.out_of_range", {"given": given}),
                ("error.allowed", {"allowed": _range(field) or err["msg"].lower()}),
            ]
        else:
            parts = [("error.invalid", {"given": given, "detail": _detail(err)})]
            allowed = _allowed(field) or _range(field)
            if allowed and kind not in ("string_too_long",):
                parts.append(("error.allowed", {"allowed": allowed}))
        if len(loc) > 1 and kind != "extra_forbidden":
            parts = [("error.item", {"index": loc[1], "message": Message(parts)})]
        out.append((field, Message(parts)))
    return out


def format_profile_error(exc: ValidationError) -> str:
    return "\n".join(f"profile field '{f}': {m}" for f, m in profile_problems(exc))


# --- English text read back (messages built as plain strings) ------------------------------------
# A message that reaches the UI as a plain English string is split into its "; "-separated pieces (not
# inside quotes or brackets); each run of pieces that is one English catalog message (``error.*``,
# ``batch.*``) is replaced by that message in the wanted language, its values translated in turn. What
# matches no message stays as it is.

READ_BACK = ("error.", "batch.row.", "batch.rowmsg.", "batch.file.", "batch.error.", "batch.clipped")
_SPANS = {"message", "detail", "reason"}  # messages in turn, which may hold "; "
_NESTED = _SPANS | {"allowed"}  # values translated in turn
_WHERE = re.compile(r"(?P<where>[A-Za-z_][\w.]*|column \d+|row|[^\s:;'\"()]{1,40}): (?P<rest>.+)", re.S)
_NOT_READ_BACK = {"error.sep", "error.and"}
_GROUPS = {  # a value as Python's repr() wrote it (never a bare field name)
    "given": r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\[[^\]]*\]|[-+]?[\d.][\w.+-]*|True|False|None|-?nan|-?inf"
}
_CLIPPED = re.compile(r"…\((?P<count>[\d,]+) characters\)")
_OPEN = "([{"
_CLOSE = ")]}"


def _group(name: str) -> str:
    """A placeholder's regex: a nested message may hold "; ", a plain value does not."""
    return _GROUPS.get(name, ".+?" if name in _SPANS else "(?:(?!; ).)+?")


@cache
def _templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(regex of the English message, key) for every message that can be read back, longest first."""
    out = []
    for key, english in catalog("en").items():
        if not key.startswith(READ_BACK) or key in _NOT_READ_BACK or key.startswith("error.where"):
            continue
        pattern, literal, seen = [], 0, set()
        for text, name, _, _ in string.Formatter().parse(english):
            pattern.append(re.escape(text))
            literal += len(text)
            if name:
                pattern.append(f"(?P={name})" if name in seen else f"(?P<{name}>{_group(name)})")
                seen.add(name)
        if literal:
            out.append((re.compile("".join(pattern), re.S), key, literal))
    out.sort(key=lambda item: -item[2])
    return tuple((p, k) for p, k, _ in out)


def _pieces(text: str) -> list[str]:
    """``text`` split at "; " outside quotes and brackets."""
    pieces, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote and (i + 1 == len(text) or not text[i + 1].isalnum()):
                quote = ""
        elif ch in "'\"" and (i == 0 or text[i - 1] in " (:,[="):
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif ch == ";" and text[i + 1 : i + 2] == " " and depth == 0:
            pieces.append(text[start:i])
            start = i + 2
            i += 1
        i += 1
    pieces.append(text[start:])
    return pieces


def _where(where: str, lang: Lang) -> str:
    if where == "row":
        return t("error.where.row", lang)
    if m := re.fullmatch(r"column (\d+)", where):
        return t("error.where.column", lang, n=m[1])
    if where in MerchantProfile.model_fields:
        return t("error.where.field", lang, field=where, label=t(f"field.{where}.label", lang))
    return where


def _one(text: str, lang: Lang) -> str | None:
    """One English catalog message in ``lang``, or None if ``text`` is none of them."""
    for pattern, key in _templates():
        m = pattern.fullmatch(text)
        if m is None:
            continue
        values = {}
        for name, value in m.groupdict().items():
            if name in _NESTED:
                values[name] = localize(value, lang)
            elif name in ("where", "field"):
                values[name] = _where(value, lang)
            elif name == "bounds":
                values[name] = t("error.and", lang).join(value.split(t("error.and", "en")))
            else:
                values[name] = _CLIPPED.sub(lambda c: t("batch.clipped", lang, count=c["count"]), value)
        return t(key, lang, **values)
    return None


def localize(english: str, lang: Lang) -> str:
    """A plain English message built from the catalogs (``field: reason; ...`` included) in ``lang``."""
    if lang == "en" or lang not in LANGS or not english:
        return english
    whole = _one(english, lang)
    if whole is not None:
        return whole
    pieces, out, i = _pieces(english), [], 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):  # the longest run of pieces that is one message
            run = "; ".join(pieces[i:j])
            done = _one(run, lang)
            if done is None and (m := _WHERE.fullmatch(run)):
                rest = _one(m["rest"], lang)
                if rest is not None:
                    done = t("error.where_line", lang, where=_where(m["where"], lang), message=rest)
            if done is not None:
                out.append(done)
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    return t("error.sep", lang).join(out)
