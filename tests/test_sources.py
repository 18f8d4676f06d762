"""Every citation points at a real, non-empty article line; the source registry matches the articles."""

from __future__ import annotations

import re
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from engine.assumptions import load
from engine.rules import RULES
from engine.sources import CITE_RE, EARLIEST_EVIDENCE, SOURCES, parse_cite, seeds_dir


@pytest.fixture(scope="module")
def seeds() -> Path:
    found = seeds_dir()
    if found is None:
        pytest.fail(
            "the article files were not found: set WXPLAN_SEEDS_DIR or put them in ../shared/seeds "
            "(CI always has them)"
        )
    return found


@pytest.fixture(scope="module")
def articles(seeds: Path) -> dict[str, list[str]]:
    out = {}
    for file in SOURCES:
        path = seeds / file
        assert path.is_file(), f"{file} is registered in SOURCES but missing from {seeds}"
        out[file] = path.read_text(encoding="utf-8").splitlines()
    return out


def front_matter(lines: list[str]) -> dict[str, str] | None:
    """The ``key: value`` lines of a leading ``---`` block, or None when the file has none."""
    if not lines or lines[0].strip() != "---":
        return None
    end = lines.index("---", 1)
    meta = {}
    for line in lines[1:end]:
        if ":" in line and not line.startswith(("-", " ")):
            key, value = line.split(":", 1)
            meta[key.strip()] = value.strip()
    meta["__end__"] = str(end + 1)  # 1-based line number of the closing ---
    return meta


def loose(text: str) -> str:
    """Compare titles loosely: no quotes, whitespace or trailing full stop, half-width punctuation."""
    text = text.strip().strip("'\"“”‘’").strip()
    text = text.replace("，", ",").replace("：", ":").replace("？", "?")
    text = re.sub(r"\s+", "", text)
    return text.rstrip("。.")


def rule_citations() -> list[tuple[str, str]]:
    return [(f"rule {rule.id}", cite.ref) for rule in RULES for cite in rule.sources]


def assumption_citations() -> list[tuple[str, str]]:
    return [(path, ref.seed) for path, param in load().params() for ref in param.references if ref.seed]


def _check_cites(cites: list[tuple[str, str]], articles: dict[str, list[str]]) -> None:
    bad = []
    for where, ref in cites:
        source, line = parse_cite(ref)
        lines = articles[source.file]
        if line > len(lines):
            bad.append(f"{where}: {ref}: the article has only {len(lines)} lines")
            continue
        if not lines[line - 1].strip():
            bad.append(f"{where}: {ref}: the line is empty")
        meta = front_matter(lines)
        if meta and line <= int(meta["__end__"]):
            bad.append(f"{where}: {ref}: the line is front matter, not article text")
    assert not bad, "\n".join(bad)


# --- citations -------------------------------------------------------------------------------


def test_every_rule_has_citations():
    for rule in RULES:
        assert rule.sources, f"rule {rule.id} cites nothing"


def test_rule_citations_point_at_article_lines(articles):
    cites = rule_citations()
    assert len(cites) >= len(RULES)
    _check_cites(cites, articles)


def test_assumption_seed_references_point_at_article_lines(articles):
    cites = assumption_citations()
    assert cites, "the bundled assumptions cite no article line"
    _check_cites(cites, articles)


def test_every_article_is_cited():
    cited = {parse_cite(ref)[0].file for _, ref in rule_citations() + assumption_citations()}
    assert cited == set(SOURCES)


# --- the registry ----------------------------------------------------------------------------


def test_every_article_file_is_registered(seeds):
    files = sorted(p.name for p in seeds.iterdir() if p.is_file())
    assert files, f"{seeds} is empty"
    assert set(files) == set(SOURCES)
    for name in files:
        assert CITE_RE.match(f"{name}:1"), name


@pytest.mark.parametrize("file", sorted(SOURCES))
def test_line_count_matches(articles, file):
    assert SOURCES[file].lines == len(articles[file])


@pytest.mark.parametrize("file", sorted(SOURCES))
def test_title_matches(articles, file):
    lines = articles[file]
    meta = front_matter(lines)
    actual = meta["title"] if meta and "title" in meta else lines[0]
    assert loose(SOURCES[file].title) == loose(actual), (SOURCES[file].title, actual)


def _stated_date(lines: list[str]) -> date | None:
    meta = front_matter(lines)
    if meta and "date" in meta:
        return parsedate_to_datetime(meta["date"]).date()
    match = re.match(r"^(\d{4}-\d{2}-\d{2})\b", lines[1].strip()) if len(lines) > 1 else None
    return date.fromisoformat(match[1]) if match else None


def test_published_dates_match_the_articles(articles):
    checked = 0
    for file, source in SOURCES.items():
        stated = _stated_date(articles[file])
        if stated is None:
            assert source.published_note, f"{file}: no date in the article and no published_note"
            continue
        assert source.published == stated, f"{file}: registry {source.published}, article {stated}"
        checked += 1
    assert checked >= 4


def test_earliest_evidence_is_the_oldest_article():
    assert min(s.published for s in SOURCES.values()) == EARLIEST_EVIDENCE


# --- parse_cite ------------------------------------------------------------------------------


def test_parse_cite_accepts_first_and_last_line():
    for source in SOURCES.values():
        assert parse_cite(f"{source.file}:1") == (source, 1)
        assert parse_cite(f"{source.file}:{source.lines}") == (source, source.lines)


@pytest.mark.parametrize(
    ("cite", "message"),
    [
        ("004_35d598e55dff0a4a.txt:60", "only 59 lines"),
        ("004_35d598e55dff0a4a.txt:0", "FILE:LINE"),
        ("004_35d598e55dff0a4a.txt", "FILE:LINE"),
        ("004_35d598e55dff0a4a.txt:-1", "FILE:LINE"),
        ("004_35d598e55dff0a4a.txt: 5", "FILE:LINE"),
        ("999_0000000000000000.txt:5", "unknown article"),
    ],
)
def test_parse_cite_rejects(cite, message):
    with pytest.raises(ValueError, match=message):
        parse_cite(cite)
