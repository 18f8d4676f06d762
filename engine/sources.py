"""The evidence base: five articles, cited as ``FILE:LINE`` (one paragraph per line).

The article text is not part of this project; this registry holds what a citation needs to be shown
(title, outlet, publication date, number of lines) so that every cited line can be checked and dated.
"""

from __future__ import annotations

import os
import re
import stat
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ConfigDict

CITE_RE = re.compile(r"^(?P<file>\d{3}_[0-9a-f]{16}\.txt):(?P<line>[1-9]\d*)$")


class Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    title: str
    outlet: str
    published: date
    published_note: str = ""
    lines: int
    url: str | None = None  # the original article's address, when it is known (none is, as yet)

    @property
    def link(self) -> str:
        """Where a reader finds the article: its own address, else a search for its title on a
        search engine reachable in mainland China."""
        if self.url:
            return self.url
        return "https://www.baidu.com/s?" + urlencode({"wd": self.title}, quote_via=quote)


SOURCES: dict[str, Source] = {
    s.file: s
    for s in (
        Source(
            file="002_853ecfeb8b20bf2c.txt",
            title="视频号里为什么还没有出现电商巨头？",
            outlet="鸟哥笔记",
            published=date(2021, 3, 25),
            lines=92,
        ),
        Source(
            file="000_61755f9369cd36ad.txt",
            title="微信视频号不应该把主要精力放在带货上",
            outlet="人人都是产品经理（互联网怪盗团）",
            published=date(2022, 7, 26),
            lines=43,
        ),
        Source(
            file="003_ea4c35a700a03168.txt",
            title="视频号:从全村希望到中流砥柱,微信电商梦的新起点",
            outlet="网络整理（compilation）",
            published=date(2024, 10, 22),
            lines=38,
        ),
        Source(
            file="001_acabd65be3e14a85.txt",
            title="微信的“萧何之困”:视频号电商成了“重资产”",
            outlet="新立场 / 鸟哥笔记",
            published=date(2024, 10, 28),
            lines=39,
        ),
        Source(
            file="004_35d598e55dff0a4a.txt",
            title="全球带货,腾讯要走自己的路",
            outlet="伯虎财经 / 36氪",
            published=date(2025, 2, 1),
            published_note="early 2025; the article gives no day, 2025-02-01 is used",
            lines=59,
        ),
    )
}

EARLIEST_EVIDENCE: date = min(s.published for s in SOURCES.values())


def article(number: str) -> Source:
    """The article whose file name starts with ``number`` (``"002"`` for 002_853ecfeb8b20bf2c.txt)."""
    return next(s for f, s in SOURCES.items() if f.startswith(number))


def parse_cite(cite: str) -> tuple[Source, int]:
    """Split ``FILE:LINE`` into its source and line, or raise ``ValueError`` saying what is wrong."""
    match = CITE_RE.match(cite)
    if not match:
        raise ValueError(f"'{cite}' is not of the form FILE:LINE (e.g. 001_acabd65be3e14a85.txt:17)")
    source = SOURCES.get(match["file"])
    if source is None:
        raise ValueError(f"'{cite}' names an unknown article; known: {', '.join(sorted(SOURCES))}")
    line = int(match["line"])
    if line > source.lines:
        raise ValueError(f"'{cite}': {source.file} has only {source.lines} lines")
    return source, line


def seeds_dir() -> Path | None:
    """Where the article files are, if present (``WXPLAN_SEEDS_DIR``, or ``../shared/seeds`` beside a checkout)."""
    from engine.resources import CHECKOUT

    candidates = [os.environ.get("WXPLAN_SEEDS_DIR", "")]
    if CHECKOUT is not None:  # an installed wheel has no sibling folders to look in
        candidates.append(str(CHECKOUT.parent / "shared" / "seeds"))
    for candidate in candidates:
        if candidate and _is_dir(candidate):
            return Path(candidate)
    return None


def _is_dir(candidate: str) -> bool:
    try:
        return Path(candidate).is_dir()
    except (OSError, ValueError):  # e.g. a path too long, or one the process may not look into
        return False


# --- the cited passage itself, where the article files are at hand ---------------------------------

PASSAGE_CHARS = 2000  # a paragraph is shown up to this many characters
MAX_ARTICLE_BYTES = 2 << 20  # an article file larger than this is not one of the five articles


class Passage(BaseModel):
    """One cited line of an article, as read from the article files."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Source
    line: int
    text: str


def passage(cite: str, directory: Path | None = None) -> Passage | None:
    """The paragraph ``FILE:LINE`` stands for, read from the article files (``directory``, else
    :func:`seeds_dir`), or None when it cannot be shown: no folder, no such file, a file that is not the
    registered article (another number of lines), unreadable or empty. Never raises for the folder's state;
    a malformed citation raises ``ValueError`` as :func:`parse_cite` does."""
    source, line = parse_cite(cite)
    folder = directory if directory is not None else seeds_dir()
    if folder is None:
        return None
    lines = _article_lines(folder / source.file)
    if lines is None or len(lines) != source.lines:
        return None
    text = " ".join(lines[line - 1].split())
    if not text:
        return None
    if len(text) > PASSAGE_CHARS:
        text = text[:PASSAGE_CHARS] + "…"
    return Passage(source=source, line=line, text=text)


def _article_lines(path: Path) -> tuple[str, ...] | None:
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ARTICLE_BYTES:
        return None
    return _read_lines(str(path), info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=16)
def _read_lines(path: str, mtime_ns: int, size: int) -> tuple[str, ...] | None:
    """An article's lines, cached while the file is unchanged (its time and size are part of the key);
    None for a file that cannot be read."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_ARTICLE_BYTES + 1)
    except (OSError, ValueError):
        return None
    if len(data) > MAX_ARTICLE_BYTES:
        return None
    return tuple(data.decode("utf-8", errors="replace").splitlines())
