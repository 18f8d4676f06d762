"""Assumption packs (issue 10, "the provider's own prices"): a pack's files and table edits go through the one
checker, change the result, say what they changed, and survive a zip round trip; the app state keeps the
pack's digest in the address."""

from __future__ import annotations

import io
import re
import shutil
import zipfile

import pytest
from conftest import AS_OF, BASE_PROFILE

from app.state import AppState, parse_query, to_query
from engine.assumptions import DEFAULT_DIR, check, load
from engine.packs import (
    DIGEST_CHARS,
    Edit,
    Pack,
    PackError,
    changed,
    check_pack,
    is_estimate,
    load_pack,
    read_upload,
    to_zip,
)
from engine.presets import DEFAULT_PRESET, preset
from engine.recommend import recommend

HOST = "low: 8000, mode: 12000, high: 22000"  # the tier-1 live host's salary in assumptions/salaries.yaml
CJK = re.compile(r"[\u4e00-\u9fff]")


def salaries(new: str) -> str:
    text = (DEFAULT_DIR / "salaries.yaml").read_text(encoding="utf-8")
    assert HOST in text, "the bundled host salary moved; update HOST"
    return text.replace(HOST, new, 1)


def zipped(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def cost(assumptions) -> float:
    rec = recommend(BASE_PROFILE, as_of=AS_OF, draws=400, seed=3, assumptions=assumptions)
    return rec.cost_cny.first_year.p50


def test_a_pack_of_one_file_changes_only_that_file_and_the_result():
    pack = Pack(
        name="服务商价目 2026", files={"salaries.yaml": salaries("low: 24000, mode: 36000, high: 66000")}
    )
    assert check_pack(pack) == []
    aset = load_pack(pack)
    host = [p for p in changed(aset, load()) if p.startswith("salaries.")]
    assert host == ["salaries.tier1_monthly.host"] == changed(aset, load())
    assert (
        aset.source.startswith(f"服务商价目 2026 #{pack.digest[:8]}")
        and "salaries.tier1_monthly.host" in aset.source
    )
    assert (
        recommend(BASE_PROFILE, as_of=AS_OF, draws=400, seed=3, assumptions=aset).assumptions == aset.source
    )
    # The host is staffed by the Channels module this profile is recommended: the dearer host costs more.
    assert cost(aset) > cost(None)


def test_a_table_edit_is_checked_in_its_file_and_changes_the_result():
    pack = Pack(name="t", edits={"salaries.tier1_monthly.host": Edit(distribution="fixed", value=60000)})
    aset = load_pack(pack)
    assert changed(aset, load()) == ["salaries.tier1_monthly.host"]
    assert aset.param_map["salaries.tier1_monthly.host"].mode_at(aset_day()) == 60000
    assert cost(aset) > cost(None)


def aset_day():
    from datetime import date

    return date.fromisoformat(AS_OF)


@pytest.mark.parametrize(
    ("edit", "zh", "en"),
    [
        (Edit(distribution="pert", low=9000, mode=8000, high=7000), "须满足", "need low <= mode <= high"),
        (Edit(distribution="fixed", low=1, value=2), "恰好给出", "needs exactly value"),
        (Edit(distribution="pert", low=-5, mode=1, high=2), "不能为负", "cannot be negative"),
    ],
)
def test_a_bad_edit_names_file_field_and_what_is_allowed_in_both_languages(edit, zh, en):
    problems = check_pack(Pack(name="t", edits={"salaries.tier1_monthly.host": edit}))
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.field) == ("salaries.yaml", "tier1_monthly.host")
    assert zh in problem.text("zh") and "salaries.yaml" in problem.text("zh") and "字段" in problem.text("zh")
    assert en in problem.text("en") and "field tier1_monthly.host" in problem.text("en")
    with pytest.raises(PackError):
        load_pack(Pack(name="t", edits={"salaries.tier1_monthly.host": edit}))


def test_an_edit_at_no_parameter_is_refused():
    with pytest.raises(ValueError, match="no parameter"):
        Pack(name="t", edits={"nowhere.at_all": Edit(distribution="fixed", value=1)})
    problems = check_pack(
        Pack(name="t", edits={"salaries.tier1_monthly.nobody": Edit(distribution="fixed", value=1)})
    )
    assert [p.field for p in problems] == ["tier1_monthly.nobody"]
    assert "此文件中没有这个参数" in problems[0].text("zh")


def test_pack_checks_are_those_of_the_directory_check(tmp_path):
    """One implementation: a pack's problems are the lines `wxplan assumptions check` prints for a directory
    holding the same files."""
    bad = salaries("low: 13000, mode: 12000, high: 1e400").replace(
        "distribution: pert", "distribution: normal", 1
    )
    bad = bad.replace("employer_on_cost:", "employer_on_cost:\n  colour: red\nemployer_on_cost_x:", 1)
    root = tmp_path / "pack"
    shutil.copytree(DEFAULT_DIR, root)
    (root / "salaries.yaml").write_text(bad, encoding="utf-8")
    expected = check(root)
    assert len(expected) >= 2
    got = [
        f"{p.file}: {p.field + ': ' if p.field else ''}{p.message}"
        for p in check_pack(Pack(name="t", files={"salaries.yaml": bad}))
    ]
    assert got == expected


def test_common_check_messages_read_in_chinese():
    broken = {
        "order": salaries("low: 13000, mode: 12000, high: 22000"),
        "extra": salaries(HOST).replace(
            "tier1_monthly:\n  host:\n", "tier1_monthly:\n  host:\n    colour: red\n", 1
        ),
        "literal": salaries(HOST).replace("distribution: pert", "distribution: normal", 1),
        "number": salaries("low: abc, mode: 12000, high: 22000"),
        "alias": "x: &a 1\n" + salaries(HOST) + "y: *a\n",
        "mapping": "- a list\n",
    }
    for case, text in broken.items():
        problems = check_pack(Pack(name="t", files={"salaries.yaml": text}))
        assert problems, case
        for problem in problems:
            zh = problem.text("zh")
            english = re.sub(
                r"'[^']*'|\([^)]*\)|[\w./\[\]<=,:-]*\d[\w./\[\]<=,:-]*|[a-z_]+\.[a-z_.]+", "", zh
            )
            assert CJK.search(zh), (case, zh)
            assert not re.search(r"\b(must|need|should|not allowed|expected|Extra|Input)\b", english), (
                case,
                zh,
            )


def test_digest_is_stable_and_follows_the_content():
    a = Pack(name="a", files={"salaries.yaml": salaries(HOST)})
    assert a.digest == Pack(name="a", files={"salaries.yaml": salaries(HOST)}).digest
    assert len(a.digest) == DIGEST_CHARS and re.fullmatch(r"[0-9a-f]+", a.digest)
    assert a.digest != Pack(name="b", files=a.files).digest
    assert (
        a.digest != a.with_edits({"salaries.employer_on_cost": Edit(distribution="fixed", value=1.3)}).digest
    )


def test_a_downloaded_pack_uploads_again_to_the_same_figures():
    pack = Pack(
        name="round trip",
        files={"salaries.yaml": salaries("low: 9000, mode: 13000, high: 23000")},
        edits={"modules.wecom.per_seat.scrm_seat": Edit(distribution="fixed", value=321)},
    )
    files = read_upload([("pack.zip", to_zip(pack))])
    assert set(files) == {"salaries.yaml", "modules/wecom.yaml"}
    again = load_pack(Pack(name="round trip", files=files))
    before = load_pack(pack)
    assert changed(again, load()) == changed(before, load())
    for path in changed(before, load()):
        assert again.param_map[path].mode_at(aset_day()) == before.param_map[path].mode_at(aset_day())


def test_files_are_placed_by_name_wherever_the_zip_holds_them():
    text = salaries(HOST)
    wecom = (DEFAULT_DIR / "modules" / "wecom.yaml").read_text(encoding="utf-8")
    for layout in ({"salaries.yaml": text, "modules/wecom.yaml": wecom},
                   {"my pack/salaries.yaml": text, "my pack/modules/wecom.yaml": wecom},
                   {"salaries.yaml": text, "wecom.yaml": wecom, "__MACOSX/._salaries.yaml": "junk"}):  # fmt: skip
        assert read_upload([("p.zip", zipped(layout))]) == {
            "salaries.yaml": text,
            "modules/wecom.yaml": wecom,
        }
    assert read_upload([("salaries.yaml", text.encode()), ("wecom.yaml", wecom.encode())]) == {
        "salaries.yaml": text,
        "modules/wecom.yaml": wecom,
    }


def test_estimates_are_told_apart_from_evidence():
    aset = load()
    kinds = {is_estimate(p) for _, p in aset.params()}
    assert kinds == {True, False}
    assert is_estimate(aset.param_map["salaries.tier1_monthly.host"])  # a salary survey reported by media


# --- the address bar --------------------------------------------------------------------------------


def test_the_address_carries_the_pack_digest_and_a_bad_one_is_a_warning():
    digest = Pack(name="a").digest
    state = AppState(profile=preset(DEFAULT_PRESET), pack=digest)
    query = to_query(state)
    assert query["pack"] == digest
    assert parse_query(query).pack == digest
    for bad in ("../../etc/passwd", "X" * 24, digest[:-1], "<script>"):
        parsed = parse_query({**query, "pack": bad})
        assert parsed.pack is None
        assert [k for k, _ in parsed.problems] == ["pack"]
        assert CJK.search(parsed.problems[0][1].text("zh"))
    assert "pack" not in to_query(AppState(profile=preset(DEFAULT_PRESET)))
