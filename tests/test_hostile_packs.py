"""Hostile assumption-pack uploads (issue 10): zip slip, absolute paths, links, encrypted entries, zip bombs,
too many entries, files that are not YAML, YAML alias bombs, deep nesting, huge files and wrong encodings.
Each is refused with a problem naming the file, in Chinese and in English; nothing is written anywhere; the
other problems of the same upload are reported too."""

from __future__ import annotations

import io
import re
import stat
import time
import zipfile

import pytest

from engine.assumptions import DEFAULT_DIR
from engine.packs import (
    MAX_ENTRIES,
    MAX_PACK_BYTES,
    MAX_UPLOAD_BYTES,
    Pack,
    PackError,
    check_pack,
    read_upload,
)
from engine.store import InvalidScenario, parse_export

CJK = re.compile(r"[\u4e00-\u9fff]")
SALARIES = (DEFAULT_DIR / "salaries.yaml").read_text(encoding="utf-8")


def zipped(files: dict[str, str | bytes], *, infos: list[zipfile.ZipInfo] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for info in infos or []:
            archive.writestr(info, "salaries.yaml")
    return buffer.getvalue()


def refused(files: list[tuple[str, bytes]]) -> list:
    with pytest.raises(PackError) as caught:
        read_upload(files)
    problems = caught.value.problems
    for problem in problems:
        zh, en = problem.text("zh"), problem.text("en")
        assert CJK.search(zh), zh
        assert not CJK.search(en.replace(problem.file, "")), en
    return problems


@pytest.mark.parametrize(
    ("entry", "zh", "en"),
    [
        ("../salaries.yaml", "跳出包外", "leaves the pack"),
        ("pack/../../salaries.yaml", "跳出包外", "leaves the pack"),
        ("..\\..\\salaries.yaml", "跳出包外", "leaves the pack"),
        ("/etc/salaries.yaml", "绝对路径", "absolute path"),
        ("C:\\Windows\\salaries.yaml", "绝对路径", "absolute path"),
        ("sal\x07aries.yaml", "控制字符", "control characters"),
    ],
)
def test_paths_that_leave_the_pack_are_refused_by_name(entry, zh, en):
    problems = refused([("pack.zip", zipped({entry: SALARIES}))])
    assert len(problems) == 1
    assert problems[0].file.startswith("pack.zip/")
    assert zh in problems[0].text("zh") and en in problems[0].text("en")


def test_links_and_encrypted_entries_are_refused():
    link = zipfile.ZipInfo("salaries.yaml")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = bytearray(zipped({}, infos=[link, zipfile.ZipInfo("returns.yaml")]))
    # Mark the second entry encrypted in the central directory (general-purpose flag, bit 0).
    second = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1)
    data[second + 8] |= 0x1
    problems = refused([("p.zip", bytes(data))])
    texts = [p.text("en") for p in problems]
    assert any("symbolic link" in t for t in texts) and any("encrypted" in t for t in texts), texts


def test_a_zip_bomb_is_refused_without_unpacking_it():
    bomb = zipped({"salaries.yaml": b"#" * (200 * 1024 * 1024)})  # 200 MB of one byte: about 200 kB zipped
    assert len(bomb) < MAX_UPLOAD_BYTES
    start = time.process_time()
    problems = refused([("bomb.zip", bomb)])
    assert time.process_time() - start < 5, "the bomb was unpacked"
    assert problems[0].file == "bomb.zip" and f"{MAX_PACK_BYTES}" in problems[0].text("en")
    assert "解压后超过" in problems[0].text("zh")


def test_unpacked_bytes_are_capped_across_the_whole_upload():
    half = b"# " + b"x" * (MAX_PACK_BYTES // 2 + 10)
    problems = refused(
        [("a.zip", zipped({"salaries.yaml": half})), ("b.zip", zipped({"returns.yaml": half}))]
    )
    assert [p.file for p in problems] == ["b.zip"]


def test_too_many_entries_and_a_huge_upload_are_refused():
    many = zipped({f"f{i}.yaml": "a: 1" for i in range(MAX_ENTRIES + 1)})
    assert "entries" in refused([("many.zip", many)])[0].text("en")
    huge = b"a: 1\n" * (MAX_UPLOAD_BYTES // 5 + 1)
    problems = refused([("salaries.yaml", huge)])
    assert "bytes uploaded" in problems[0].text("en") and "上传了" in problems[0].text("zh")


def test_files_that_are_not_yaml_are_named_and_the_other_problems_kept():
    inner = zipped({"salaries.yaml": SALARIES})
    upload = zipped(
        {
            "salaries.yaml": SALARIES,
            "notes.txt": "hello",
            "payload.exe": b"MZ\x90\x00",
            "inner.zip": inner,
            "prices.yaml": "a: 1",
            "../escape.yaml": "a: 1",
        }
    )
    problems = refused([("pack.zip", upload)])
    by_file = {p.file: p for p in problems}
    assert set(by_file) == {
        "pack.zip/notes.txt",
        "pack.zip/payload.exe",
        "pack.zip/inner.zip",
        "pack.zip/prices.yaml",
        "pack.zip/../escape.yaml",
    }
    assert "not a YAML file" in by_file["pack.zip/notes.txt"].text("en")
    assert "salaries.yaml" in by_file["pack.zip/notes.txt"].text("en")  # the allowed names
    assert "不是假设集中的文件" in by_file["pack.zip/prices.yaml"].text("zh")


@pytest.mark.parametrize(
    ("data", "at"),
    [
        (SALARIES.encode("utf-16"), 0),
        ("# 薪资\n".encode("gbk") + SALARIES.encode(), 4),  # 薪 in GBK (D0 BD) happens to be valid UTF-8
        (b"a: 1\n\x00\x00", 5),
    ],
)
def test_wrong_encodings_say_save_as_utf8(data, at):
    problems = refused([("salaries.yaml", data)])
    assert len(problems) == 1
    assert f"byte {at}" in problems[0].text("en") and "UTF-8" in problems[0].text("zh")


def test_the_same_file_twice_and_an_empty_or_broken_upload():
    problems = refused([("p.zip", zipped({"a/salaries.yaml": SALARIES, "b/salaries.yaml": SALARIES}))])
    assert "given twice" in problems[0].text("en") and "a/salaries.yaml" in problems[0].text("en")
    assert "choose" in refused([])[0].text("en")
    assert "zip" in refused([("p.zip", b"PK\x03\x04 not really")])[0].text("en")
    assert "no file" in refused([("p.zip", zipped({"__MACOSX/x": "y"}))])[0].text("en")


def test_yaml_bombs_are_named_by_the_checker():
    laughs = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    deep = "tier1_monthly:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(60)) + "  " * 61 + "x: 1\n"
    for text, needle in ((laughs, "aliases"), (deep, "nested more than")):
        files = read_upload([("salaries.yaml", text.encode())])
        start = time.process_time()
        problems = check_pack(Pack(name="t", files=files))
        assert time.process_time() - start < 5
        assert any(needle in p.text("en") for p in problems), [p.text("en") for p in problems]
        assert all(p.file == "salaries.yaml" and CJK.search(p.text("zh")) for p in problems)


@pytest.mark.parametrize(
    "assumptions",
    [
        {"name": "x", "files": {"../../etc/passwd": "a: 1"}},
        {"name": "x", "files": {"salaries.yaml": "#" * (MAX_PACK_BYTES + 1)}},
        {"name": "x", "edits": {"salaries.tier1_monthly.host": {"distribution": "fixed", "value": "NaN"}}},
        {"name": "x", "edits": {"not.a.parameter": {"distribution": "fixed", "value": 1}}},
        {"name": "x\x00y"},
        {"name": "x", "files": {}, "code": "import os"},
    ],
)
def test_an_imported_scenario_with_a_hostile_pack_is_refused(assumptions):
    export = {
        "format": "wxplan-scenario",
        "version": 2,
        "scenario": {
            "name": "a",
            "profile": {
                "business_type": "brand",
                "category": "food",
                "douyin_presence": "none",
                "private_domain": "basic",
                "staff_fte": 2,
                "budget_setup_cny": 10000,
                "budget_monthly_cny": 10000,
                "avg_order_value_cny": 100,
                "gross_margin": 0.4,
                "city_tier": 2,
                "goal": "both",
                "audience_age": "mixed",
            },
            "assumptions": assumptions,
        },
    }
    with pytest.raises(InvalidScenario) as caught:
        parse_export(export)
    assert any(p.startswith("assumptions") for p in caught.value.problems), caught.value.problems
