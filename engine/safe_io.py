"""Writing an output file without clobbering what is not ours to clobber.

:func:`open_output` decides how to write a target by what it is:

- ``-``, and a name for one of this process's open files (``/dev/stdout``, ``/dev/fd/N``,
  ``/proc/self/fd/N``), is written to that file descriptor, as a stream;
- a character device (``/dev/null``, a terminal) or a FIFO is opened and written straight, never
  replaced; a block device, a socket or a directory is refused;
- a regular file, or a name for a new one, is written to a short temporary file in the same directory
  and renamed over the target only once complete, so a failed or interrupted run leaves no
  half-written file. An existing file is replaced only with ``overwrite`` (else :class:`OutputExists`,
  even if it appears while the run writes), keeps its permissions (and owner where allowed), and stays
  where a symbolic link to it points; a read-only file is not replaced.

Temporary files are named ``.wxplan-PID-HEX.tmp``. One left behind by a process killed outright
(SIGKILL, a power cut) is removed by the next write into the same directory once its PID is no longer
running.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from engine.errors import OutputError, OutputExists

TEMP = re.compile(r"\.wxplan-(\d+)-[0-9a-f]{8}\.tmp")
"""The name of our temporary files (short, so any target name that fits the directory fits)."""

_FD_ALIAS = re.compile(r"/(?:proc/(?:self|thread-self|(\d+))/fd|dev/fd)/(\d+)")


@dataclass(frozen=True)
class Plan:
    """How a target will be written: ``fd`` (a file descriptor of ours), ``stream`` (a device or FIFO
    opened as it is) or ``file`` (a regular file, replaced by renaming; ``path`` is the file itself,
    symbolic links followed)."""

    kind: Literal["fd", "stream", "file"]
    path: Path
    fd: int | None = None
    existing: os.stat_result | None = None


def _fd_of(name: str) -> int | None:
    """The file descriptor ``name`` stands for (``-``, ``/dev/stdout``, ``/proc/self/fd/3`` ...), or None."""
    if name == "-":
        return 1
    path = os.path.abspath(name)
    for _ in range(40):  # the kernel's limit on symbolic links followed
        match = _FD_ALIAS.fullmatch(path)
        if match and (match.group(1) is None or int(match.group(1)) == os.getpid()):
            return int(match.group(2))
        try:
            link = os.readlink(path)
        except OSError:
            return None
        path = os.path.normpath(os.path.join(os.path.dirname(path), link))
    return None


def plan(target: str | os.PathLike[str], *, overwrite: bool = False) -> Plan:
    """Check ``target`` and say how it will be written; raises :class:`OutputError` (:class:`OutputExists`
    for an existing file without ``overwrite``) or ``OSError``. Nothing is written."""
    name = os.fspath(target)
    fd = _fd_of(name)
    if fd is not None:
        os.fstat(fd)  # EBADF if it is not open
        return Plan("fd", Path(name), fd=fd)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        if os.path.islink(name):
            raise OutputError("batch.output.dangling_link", path=name, dest=os.readlink(name)) from None
        return Plan("file", Path(name))
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise OutputError("batch.output.directory", path=name)
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return Plan("stream", Path(name))
    if not stat.S_ISREG(mode):
        kind = "block_device" if stat.S_ISBLK(mode) else "socket" if stat.S_ISSOCK(mode) else "special"
        raise OutputError(f"batch.output.{kind}", path=name)
    if not overwrite:
        raise OutputExists("batch.output.exists", path=name)
    real = Path(os.path.realpath(name))
    if not os.access(real, os.W_OK):
        raise OutputError("batch.output.read_only", path=name)
    return Plan("file", real, existing=info)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process, or cannot tell: leave its file alone
        return True
    return True


def sweep(directory: str | os.PathLike[str], legacy_name: str | None = None) -> list[str]:
    """Remove our stale temporary files from ``directory`` (their PID no longer runs; regular files we
    own), also those of the older ``.NAME.PID.HEX.tmp`` form for ``legacy_name``; returns the names
    removed. Errors are ignored: sweeping is a courtesy."""
    patterns = [TEMP]
    if legacy_name:
        patterns.append(re.compile(rf"\.{re.escape(legacy_name)}\.(\d+)\.[0-9a-f]{{8}}\.tmp"))
    removed = []
    with suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            match = next((m for p in patterns if (m := p.fullmatch(entry.name))), None)
            if match is None:
                continue
            with suppress(OSError, ValueError, OverflowError):
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                    continue
                if _alive(int(match.group(1))):
                    continue
                os.unlink(entry.path)
                removed.append(entry.name)
    return removed


@contextmanager
def open_output(
    target: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    encoding: str = "utf-8",
    newline: str | None = "",
) -> Iterator[TextIO]:
    """A text stream that writes ``target`` as the module docstring says. For a regular file the
    content appears at ``target`` only when the ``with`` block ends without an exception (including
    ``KeyboardInterrupt`` and ``SystemExit``); otherwise the temporary file is removed and an existing
    target is left untouched."""
    how = plan(target, overwrite=overwrite)
    if how.kind != "file":
        if how.kind == "fd":
            assert how.fd is not None
            fd = os.dup(how.fd)
        else:
            fd = os.open(how.path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)  # no O_CREAT, no O_TRUNC
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as sink:
            yield sink
        return
    real = how.path
    sweep(real.parent, legacy_name=real.name)
    tmp = real.with_name(f".wxplan-{os.getpid()}-{secrets.token_hex(4)}.tmp")
    existing = how.existing
    # New files get the usual permissions (umask); a replaced file keeps its own.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600 if existing else 0o666)
    try:
        if existing is not None:
            os.fchmod(fd, stat.S_IMODE(existing.st_mode))
            if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
                with suppress(OSError):
                    os.fchown(fd, existing.st_uid, existing.st_gid)
        raw = os.fdopen(fd, "wb")
        fd = -1
        with io.TextIOWrapper(raw, encoding=encoding, newline=newline) as sink:
            yield sink
            sink.flush()
            os.fsync(raw.fileno())
        _commit(tmp, real, replace=existing is not None, shown=os.fspath(target))
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with suppress(OSError):
            tmp.unlink()
        raise


def _commit(tmp: Path, real: Path, *, replace: bool, shown: str) -> None:
    """Put the finished temporary file in place: over the old file, or (a new file) never over one
    that appeared meanwhile."""
    if replace:
        os.replace(tmp, real)
        return
    try:
        os.link(tmp, real)  # fails if ``real`` exists: no clobbering, even in a race
    except FileExistsError:
        raise OutputExists("batch.output.exists", path=shown) from None
    except OSError:  # no hard links on this file system: check, then rename
        if os.path.lexists(real):
            raise OutputExists("batch.output.exists", path=shown) from None
        os.rename(tmp, real)
        return
    os.unlink(tmp)
