"""Assumption packs: a service provider's own figures on top of the bundled assumption set.

A :class:`Pack` is a name, some files of an assumption set (``salaries.yaml``, ``modules/wecom.yaml`` …, as
text) that take the place of the bundled ones, and single items set in a table (:class:`Edit`, by dotted
path). Files it does not give come from the bundled set. It is checked by the one checker
(:func:`engine.assumptions.check` with an :class:`~engine.assumptions.Overlay`): the same rules as
``wxplan assumptions check`` and ``--assumptions DIR``, every problem at once.

Uploads are read defensively (:func:`read_upload`): a zip, a folder's files or single YAML files; an entry
whose path leaves the pack (``..``, an absolute path, a drive letter), a link, an encrypted entry, a file
that is not YAML, too many entries, too many bytes once unpacked (read with a cap, whatever the zip's
headers claim), text that is not UTF-8 — each is a :class:`Problem` naming the file, in any language.

A pack is known by its :attr:`Pack.digest` (a hash of its content): the app keeps that in the address
bar and the pack itself in the session; a scenario stores the whole pack (engine/store.py).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import stat
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.assumptions import (
    DEFAULT_DIR,
    AssumptionError,
    AssumptionSet,
    Overlay,
    Param,
    check,
    file_of,
    layout,
    load,
    load_overlay,
)
from engine.errors import Message, PackError, localize, msg
from engine.i18n import Lang, t
from engine.sources import EARLIEST_EVIDENCE
from engine.text import clip

NAME_MAX = 80
MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # one upload (zips and files together), as sent
MAX_PACK_BYTES = 2 * 1024 * 1024  # a pack's YAML unpacked, all files together (the bundled set: ~100 kB)
MAX_ENTRIES = 64  # entries of one zip (the bundled set has 10 files)
MAX_EDITS = 1000  # the bundled set has about 250 parameters
DIGEST_CHARS = 24
DIGEST = re.compile(rf"[0-9a-f]{{{DIGEST_CHARS}}}")
# Folders and files a zip made on macOS or Windows carries beside what was packed: skipped, not refused.
_JUNK = re.compile(r"(^|/)(__MACOSX/.*|\.DS_Store|Thumbs\.db|desktop\.ini)$", re.IGNORECASE)
# The files of a set by their own name: each name is unique (modules/wecom.yaml is the only wecom.yaml),
# so a pack's files are placed by name, wherever the zip or folder holds them.
_BY_NAME = {PurePosixPath(rel).name: rel for rel in layout()}
_DRIVE = re.compile(r"^[A-Za-z]:")

Distribution = Literal["pert", "interval90", "fixed"]
_NUMBERS = ("low", "mode", "high", "value")


# --- problems ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem of a pack: the ``file`` (a layout name, or the name as uploaded; empty for the pack as a
    whole), the ``field`` in it (dotted path; empty for the whole file) and the English ``message`` — a
    :class:`~engine.errors.Message` or the checker's text, which :meth:`text` translates."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return self.text("en")

    def text(self, lang: Lang) -> str:
        message = (
            localize(self.message, lang) if not isinstance(self.message, Message) else self.message.text(lang)
        )
        if self.file and self.field:
            return t("pack.problem.field", lang, file=self.file, field=self.field, message=message)
        if self.file:
            return t("pack.problem.file", lang, file=self.file, message=message)
        return message


_FIELD = re.compile(r"(?P<field>[\w\-]+(?:\.[\w\-]+)*|\(top level\)): (?P<message>.+)", re.S)


def _from_check(line: str) -> Problem:
    """A line of :func:`engine.assumptions.check` (``file: field: message`` or ``file: message``)."""
    rel, _, rest = line.partition(": ")
    if not rest:
        return Problem("", "", line)
    m = _FIELD.fullmatch(rest)
    if m and m["field"] != "(top level)":
        return Problem(rel, m["field"], m["message"])
    return Problem(rel, "", rest)


# --- the pack ------------------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


class Edit(BaseModel):
    """A parameter set in the table: its distribution and numbers, in force on every date a plan can be made
    for (the one value replaces the file's dated values)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    distribution: Distribution
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    value: float | None = None

    @field_validator(*_NUMBERS, mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> Any:
        return _finite(value)

    @field_validator(*_NUMBERS)
    @classmethod
    def _finite_numbers(cls, value: float | None) -> float | None:
        return _finite(value)

    def keys(self) -> dict[str, Any]:
        """What the edit sets on the parameter in its file (checked there like any file's value)."""
        numbers = {k: getattr(self, k) for k in _NUMBERS if getattr(self, k) is not None}
        return {"distribution": self.distribution, "values": [{"from": EARLIEST_EVIDENCE, **numbers}]}


class Pack(BaseModel):
    """A provider's assumption pack: a name, files in place of the bundled ones, items set in a table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX)
    files: dict[str, str] = Field(default_factory=dict, description="layout name → YAML text")
    edits: dict[str, Edit] = Field(
        default_factory=dict, max_length=MAX_EDITS, description="dotted path → edit"
    )

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = " ".join(unicodedata.normalize("NFC", value).split())
        bad = next((ch for ch in value if unicodedata.category(ch) in ("Cc", "Cf")), None)
        if bad is not None:
            raise ValueError(f"must not contain U+{ord(bad):04X} (control or invisible characters)")
        return value

    @field_validator("files")
    @classmethod
    def _files(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = [k for k in value if k not in layout()]
        if unknown:
            raise ValueError(
                f"unknown file(s) {', '.join(clip(k, 60) for k in unknown[:5])}; allowed: {', '.join(layout())}"
            )
        size = sum(len(text.encode("utf-8", "surrogatepass")) for text in value.values())
        if size > MAX_PACK_BYTES:
            raise ValueError(f"{size} bytes of YAML; at most {MAX_PACK_BYTES}")
        return value

    @field_validator("edits")
    @classmethod
    def _edits(cls, value: dict[str, Edit]) -> dict[str, Edit]:
        unknown = [k for k in value if file_of(k) is None]
        if unknown:
            raise ValueError(f"no parameter at {', '.join(clip(k, 80) for k in unknown[:5])}")
        return value

    @property
    def digest(self) -> str:
        """A hash of the content (name, files, edits): the same pack always has the same digest."""
        text = self.model_dump_json()
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_CHARS]

    def overlay(self) -> Overlay:
        edits: dict[str, dict[str, dict[str, Any]]] = {}
        for path, edit in self.edits.items():
            rel, where = file_of(path)  # type: ignore[misc]  # checked by _edits
            edits.setdefault(rel, {})[where] = edit.keys()
        return Overlay(
            files={k: v.encode("utf-8", "surrogatepass") for k, v in self.files.items()}, edits=edits
        )

    def with_edits(self, edits: dict[str, Edit]) -> Pack:
        return self.model_copy(update={"edits": dict(edits)})


def check_pack(pack: Pack) -> list[Problem]:
    """Every problem of the bundled set with the pack on top (empty when it can be used)."""
    return [_from_check(line) for line in check(DEFAULT_DIR, pack.overlay())]


@lru_cache(maxsize=16)
def _load(pack_json: str) -> AssumptionSet:
    pack = Pack.model_validate_json(pack_json)
    base = load()
    try:
        aset = load_overlay(pack.overlay(), label=pack.name)
    except AssumptionError as exc:
        raise PackError([_from_check(line) for line in exc.problems]) from None
    return aset.model_copy(update={"source": source_label(pack, changed(aset, base))})


def load_pack(pack: Pack) -> AssumptionSet:
    """The assumption set of a pack (cached by content), or :class:`PackError` with every problem."""
    return _load(pack.model_dump_json())


def source_label(pack: Pack, changed_paths: Sequence[str]) -> str:
    """How results name a pack's set (the report's method line): name, digest, and the items changed."""
    label = f"{pack.name} #{pack.digest[:8]}"
    if changed_paths:
        shown = ", ".join(changed_paths[:4]) + (
            f" … (+{len(changed_paths) - 4})" if len(changed_paths) > 4 else ""
        )
        label += f" · Δ{len(changed_paths)}: {shown}"
    return label


# --- what a pack changed, and what rests on estimates ---------------------------------------------


def changed(aset: AssumptionSet, base: AssumptionSet) -> list[str]:
    """The dotted paths of the parameters whose figures, distribution or references differ from ``base``."""
    theirs = base.param_map
    return [path for path, param in aset.params() if theirs.get(path) != param]


def is_estimate(param: Param) -> bool:
    """Whether a parameter rests only on ``estimate`` references (no article line, no public page)."""
    return all(ref.kind == "estimate" for ref in param.references)


# --- reading an upload ---------------------------------------------------------------------------


def _entry_problem(name: str) -> Message | None:
    """Why a path inside an upload cannot be a pack's file (None if it can)."""
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return msg("pack.error.control_name")
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        return msg("pack.error.absolute")
    if ".." in path.split("/"):
        return msg("pack.error.parent")
    return None


def _shown(name: str) -> str:
    return clip("".join(c if c.isprintable() else repr(c)[1:-1] for c in name), 120)


def _zip_entries(
    name: str, data: bytes, problems: list[Problem], budget: list[int]
) -> list[tuple[str, bytes]]:
    """The files of a zip as (path, bytes); problems for what is refused. ``budget`` holds the bytes still
    allowed unpacked (shared by the whole upload): every entry is read with that cap."""
    shown = _shown(name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        problems.append(Problem(shown, "", msg("pack.error.bad_zip")))
        return []
    if len(infos) > MAX_ENTRIES:
        problems.append(Problem(shown, "", msg("pack.error.entries", count=len(infos), limit=MAX_ENTRIES)))
        return []
    declared = sum(max(i.file_size, 0) for i in infos if not i.is_dir())
    if declared > budget[0]:
        problems.append(Problem(shown, "", msg("pack.error.unpacked", limit=MAX_PACK_BYTES)))
        return []
    out = []
    for info in infos:
        entry = f"{shown}/{_shown(info.filename)}"
        if info.is_dir() or _JUNK.search(info.filename.replace("\\", "/")):
            continue
        if (why := _entry_problem(info.filename)) is not None:
            problems.append(Problem(entry, "", why))
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(Problem(entry, "", msg("pack.error.link")))
            continue
        if info.flag_bits & 0x1:
            problems.append(Problem(entry, "", msg("pack.error.encrypted")))
            continue
        try:
            with archive.open(info) as fh:
                content = fh.read(budget[0] + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError):
            problems.append(Problem(entry, "", msg("pack.error.bad_entry")))
            continue
        if len(content) > budget[0]:
            problems.append(Problem(shown, "", msg("pack.error.unpacked", limit=MAX_PACK_BYTES)))
            return out
        budget[0] -= len(content)
        out.append((info.filename.replace("\\", "/"), content))
    return out


def read_upload(files: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    """The pack files in an upload — zips, a folder's files or YAML files, as (name, bytes) — by layout name
    (``modules/wecom.yaml``: text). :class:`PackError` lists every problem; nothing is read from disk and
    nothing is written."""
    problems: list[Problem] = []
    total = sum(len(data) for _, data in files)
    if not files:
        raise PackError([Problem("", "", msg("pack.error.nothing"))])
    if total > MAX_UPLOAD_BYTES:
        raise PackError(
            [Problem("", "", msg("pack.error.upload_size", size=f"{total:,}", limit=f"{MAX_UPLOAD_BYTES:,}"))]
        )
    budget = [MAX_PACK_BYTES]
    entries: list[tuple[str, str, bytes]] = []  # (as shown, path, bytes)
    for name, data in files:
        if name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
            entries += [
                (f"{_shown(name)}/{_shown(p)}", p, d) for p, d in _zip_entries(name, data, problems, budget)
            ]
            continue
        if _JUNK.search(name.replace("\\", "/")):
            continue
        if (why := _entry_problem(name)) is not None:
            problems.append(Problem(_shown(name), "", why))
            continue
        if len(data) > budget[0]:
            problems.append(Problem(_shown(name), "", msg("pack.error.unpacked", limit=MAX_PACK_BYTES)))
            continue
        budget[0] -= len(data)
        entries.append((_shown(name), name.replace("\\", "/"), data))
    out: dict[str, str] = {}
    where: dict[str, str] = {}
    for shown, path, data in entries:
        base = PurePosixPath(path).name
        rel = _BY_NAME.get(base)
        if rel is None:
            key = (
                "pack.error.not_yaml"
                if not base.lower().endswith((".yaml", ".yml"))
                else "pack.error.unexpected"
            )
            problems.append(Problem(shown, "", msg(key, expected=", ".join(_BY_NAME))))
            continue
        if rel in out:
            problems.append(Problem(shown, "", msg("pack.error.twice", first=where[rel])))
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(shown, "", msg("pack.error.encoding", at=exc.start)))
            continue
        if "\x00" in text:
            problems.append(Problem(shown, "", msg("pack.error.encoding", at=text.index("\x00"))))
            continue
        out[rel], where[rel] = text, shown
    if not out and not problems:
        problems.append(Problem("", "", msg("pack.error.no_files", expected=", ".join(_BY_NAME))))
    if problems:
        raise PackError(problems)
    return out


def to_zip(pack: Pack) -> bytes:
    """A pack as a zip a provider can keep, edit and upload again: its files, and its table edits applied
    to copies of the bundled files they change (written out as YAML)."""
    import yaml

    from engine.assumptions import parse_yaml

    files = dict(pack.files)
    overlay = pack.overlay()
    for rel, edits in overlay.edits.items():
        raw = overlay.files.get(rel) or (DEFAULT_DIR / rel).read_bytes()
        data = parse_yaml(raw)
        for where, keys in edits.items():
            node: Any = data
            for part in where.split("."):
                node = node[next(k for k in node if str(k) == part)]
            node.update(keys)
        files[rel] = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in layout():
            if rel in files:
                archive.writestr(rel, files[rel])
    return buffer.getvalue()
