"""Evidence one click away (issue 10): a citation opens to its article's title, outlet, date, a link and —
where the article files are at hand — the cited passage; an absent or odd article folder never breaks a
page. The article files here are small fakes written by the tests, never the real articles."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from streamlit.testing.v1 import AppTest

from app.cards import card_order
from app.i18n import t
from engine.presets import DEFAULT_PRESET, preset
from engine.recommend import recommend
from engine.rules import RULES
from engine.sources import SOURCES, Source, passage
from tests.conftest import AS_OF, ROOT

CITED = "001_acabd65be3e14a85.txt"
LINE = 17


def fake_article(file: str, marker: str = "FAKE") -> str:
    """A stand-in with the registered number of lines, each saying which line it is."""
    return "\n".join(f"{marker} {file} paragraph {i}" for i in range(1, SOURCES[file].lines + 1)) + "\n"


@pytest.fixture
def seeds(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    for file in SOURCES:
        (folder / file).write_text(fake_article(file), encoding="utf-8")
    monkeypatch.setenv("WXPLAN_SEEDS_DIR", str(folder))
    return folder


def test_a_citation_reads_its_line_from_the_article_files(seeds):
    found = passage(f"{CITED}:{LINE}")
    assert found is not None
    assert found.text == f"FAKE {CITED} paragraph {LINE}"
    assert (found.source, found.line) == (SOURCES[CITED], LINE)
    last = SOURCES[CITED].lines
    assert passage(f"{CITED}:{last}").text == f"FAKE {CITED} paragraph {last}"


def test_an_edited_file_is_read_again(seeds):
    assert passage(f"{CITED}:1").text.startswith("FAKE")
    path = seeds / CITED
    path.write_text(fake_article(CITED, marker="EDITED-LONGER"), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different time stamp, as any edit gives
    assert passage(f"{CITED}:1").text.startswith("EDITED-LONGER")


@pytest.mark.parametrize(
    "damage",
    ["missing", "wrong_length", "directory", "empty_line", "not_utf8", "huge", "unreadable"],
)
def test_an_odd_article_file_gives_no_passage_and_no_error(seeds, damage):
    path = seeds / CITED
    if damage == "missing":
        path.unlink()
    elif damage == "wrong_length":  # another version of the article: its lines are not the ones cited
        path.write_text("one line only\n", encoding="utf-8")
    elif damage == "directory":
        path.unlink()
        path.mkdir()
    elif damage == "empty_line":
        lines = fake_article(CITED).splitlines()
        lines[LINE - 1] = "   "
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif damage == "not_utf8":
        lines = fake_article(CITED).splitlines()
        path.write_bytes(b"\n".join(line.encode() for line in lines[: LINE - 1]) + b"\n\xff\xfe bad\n"
                         + b"\n".join(line.encode() for line in lines[LINE:]) + b"\n")  # fmt: skip
    elif damage == "huge":
        path.write_bytes(b"x" * (3 << 20))
    elif damage == "unreadable":
        if os.geteuid() == 0:
            pytest.skip("root reads any file")
        path.chmod(0)
    found = passage(f"{CITED}:{LINE}")
    if damage == "not_utf8":  # bytes that are not UTF-8 are replaced, the line is still the cited one
        assert found is not None and "bad" in found.text
    else:
        assert found is None
    assert passage(f"002_853ecfeb8b20bf2c.txt:{LINE}") is not None  # the other articles still show


@pytest.mark.parametrize("setting", ["nowhere", "a_file", "empty_folder"])
def test_an_odd_seeds_setting_gives_no_passage(tmp_path, monkeypatch, setting):
    target = tmp_path / "seeds"
    if setting == "a_file":
        target.write_text("not a folder", encoding="utf-8")
    elif setting == "empty_folder":
        target.mkdir()
    monkeypatch.setenv("WXPLAN_SEEDS_DIR", str(target))
    directory = target if setting == "empty_folder" else tmp_path / "none"
    assert passage(f"{CITED}:{LINE}", directory) is None


def test_a_malformed_citation_still_says_what_is_wrong():
    with pytest.raises(ValueError, match="FILE:LINE"):
        passage("../../etc/passwd:1")


def test_every_article_has_a_link_that_finds_it():
    for source in SOURCES.values():
        link = urlparse(source.link)
        assert link.scheme == "https" and link.netloc == "www.baidu.com"
        assert source.title in parse_qs(link.query)["wd"][0]
    own = SOURCES[CITED].model_copy(update={"url": "https://example.org/article"})
    assert own.link == "https://example.org/article"
    with pytest.raises(ValueError):
        Source.model_validate({**SOURCES[CITED].model_dump(), "unknown": 1})


def test_cards_come_in_verdict_order():
    rank = {"keep": 0, "adopt_now": 0, "adopt_later": 1, "not_recommended": 2}
    for preset_id in ("douyin_native_brand", "private_domain_veteran", "individual_seller"):
        rec = recommend(preset(preset_id), as_of=AS_OF, draws=300, seed=1)
        ordered = card_order(rec.modules.values())
        assert sorted(m.module for m in ordered) == sorted(rec.modules)
        ranks = [rank[m.verdict] for m in ordered]
        assert ranks == sorted(ranks), [(m.module, m.verdict) for m in ordered]
    rec = recommend(preset(DEFAULT_PRESET), as_of=AS_OF, draws=300, seed=1)
    assert card_order(rec.modules.values())[0].verdict in ("keep", "adopt_now")


# --- the pages, headless ----------------------------------------------------------------------------


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    return "\n".join(str(p) for p in parts).replace("\\", "")  # Markdown escapes left out


def _assess(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "views" / "assess.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.query_params["as_of"] = AS_OF
    at.query_params["draws"] = "500"
    at.run()
    assert not at.exception, at.exception
    return at


def test_assess_cards_show_the_cited_passage(seeds):
    at = _assess()
    popovers = at.get("popover")
    assert popovers, "no citation buttons on the module cards"
    text = _texts(at)
    assert "FAKE " in text and "paragraph" in text  # the passages, read from the fake files
    assert all(f"**{s.title}**" in text for s in SOURCES.values())  # every article is cited by some card
    assert at.get("link_button")


def test_assess_cards_without_the_files_say_where_the_passage_is(tmp_path, monkeypatch):
    empty = tmp_path / "no-articles"
    empty.mkdir()
    monkeypatch.setenv("WXPLAN_SEEDS_DIR", str(empty))
    at = _assess("en")
    text = _texts(at)
    assert "FAKE " not in text
    note = t("evidence.passage.missing", "en", line=0, ref="", title="")[:40]
    assert note in text
    assert len(at.get("link_button")) == len(at.get("popover"))  # every citation still links the article


def test_the_evidence_page_shows_a_chosen_passage_and_links_every_article(seeds):
    at = AppTest.from_file(str(ROOT / "app" / "views" / "evidence.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    box = at.selectbox(key="ev_passage")
    refs = {c.ref for r in RULES for c in r.sources}
    first = next(r for r in RULES for c in r.sources)
    ref = first.sources[0].ref
    file, line = ref.split(":")
    assert f"FAKE {file} paragraph {line}" in _texts(at)
    last = sorted(refs)[-1]
    box.set_value(last).run()
    assert not at.exception, at.exception
    file, line = last.split(":")
    assert f"FAKE {file} paragraph {line}" in _texts(at)
    table = list(at.get("table"))
    assert table
    assert all(s.link in str(table[-1].proto) for s in SOURCES.values())
