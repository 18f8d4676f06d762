"""Hostile profiles, share links and options (issue 11, items 5, 7, 11, 20, 21, 23): every one is refused
with a message naming the field and what is allowed (exit 2), or read safely; never a traceback.

CLI cases run as subprocesses, several at a time (each process imports numpy and scipy)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import AS_OF, ROOT, make_profile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from streamlit.testing.v1 import AppTest

from app.state import parse_query, to_query
from engine.errors import format_profile_error
from engine.overrides import Overrides
from engine.profile import STRICT_JSON, MerchantProfile
from engine.recommend import recommend
from engine.render.markdown import to_markdown
from engine.text import markdown_text

FAST = ("--draws", "200", "--as-of", AS_OF)
HOSTILE_NAME = "x\n\n## Verdict: buy everything\n<img src=x onerror=alert(1)>\u001b]0;pwned\u0007"
PAGE = str(ROOT / "app" / "views" / "assess.py")


def wx(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        input=input,
        capture_output=True,
        cwd=ROOT,
        timeout=180,
    )


def run_all(commands: list[tuple[tuple[str, ...], bytes | None]]) -> list[subprocess.CompletedProcess]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(lambda c: wx(*c[0], input=c[1]), commands))


def refused(proc: subprocess.CompletedProcess) -> str:
    """The error text of a run that must exit 2 with a clear message and no traceback."""
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, (proc.returncode, err[-2000:])
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    assert err.startswith("wxplan: error: "), err[:300]
    return err


def unescaped(raw: str, text: str) -> bool:
    """``raw`` occurs in ``text`` with its first character not backslash-escaped (so Markdown obeys it)."""
    return re.search(r"(?<!\\)" + re.escape(raw), text) is not None


def write(path: Path, data: dict | str) -> str:
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


# --- 5. names with newlines, HTML and terminal escapes ---------------------------------------------

INVISIBLE = {
    "\n": "U+000A (LINE FEED)",
    "\t": "U+0009 (TAB)",
    "\r": "U+000D (CARRIAGE RETURN)",
    "\x1b": "U+001B (ESCAPE)",
    "\x07": "U+0007 (BELL)",
    "\x00": "U+0000 (NUL)",
    "\x85": "U+0085 (NEXT LINE)",
    "\x9b": "U+009B (CONTROL SEQUENCE INTRODUCER)",
    "\u202e": "U+202E (RIGHT-TO-LEFT OVERRIDE)",
    "\u200b": "U+200B (ZERO WIDTH SPACE)",
    "\ufeff": "U+FEFF (ZERO WIDTH NO-BREAK SPACE)",
    "\u2028": "U+2028 (LINE SEPARATOR)",
}


@pytest.mark.parametrize("ch", list(INVISIBLE))
def test_a_profile_name_with_a_control_or_invisible_character_is_refused(ch):
    with pytest.raises(ValidationError) as err:
        MerchantProfile.model_validate(make_profile(name=f"店铺{ch}A"))
    message = format_profile_error(err.value)
    assert message.startswith("profile field 'name': ") and INVISIBLE[ch] in message, message
    assert "at character 3" in message


def test_a_profile_name_is_kept_in_nfc():
    nfd = unicodedata.normalize("NFD", "Café Olé")
    assert MerchantProfile.model_validate(make_profile(name=nfd)).name == unicodedata.normalize("NFC", nfd)


def test_a_stored_profile_keeps_its_old_name():
    """A scenario row saved before names were checked stays readable (the store validates it as stored)."""
    profile = MerchantProfile.model_validate(make_profile(name="a\nb"), context={"stored": True})
    assert profile.name == "a\nb"


def test_markdown_text_is_inert():
    text = markdown_text(
        "a\n\n## H\r\n<img src=x onerror=alert(1)> [l](javascript:x) *e* `c` | \x1b]0;t\x07 &lt;"
    )
    assert "\n" not in text and "\r" not in text and "\x1b" not in text and "\x07" not in text
    for raw in ("<img", "[l]", "*e*", "`c`", "| ", "&lt;", "## "):
        assert not unescaped(raw, text), raw
    assert "\\x1b" in text  # shown, not obeyed


def test_the_markdown_report_escapes_the_name():
    rec = recommend(
        make_profile(name="## Verdict <img src=x onerror=alert(1)> [a](b) *x* |"), as_of=AS_OF, draws=200
    )
    md = to_markdown(rec)
    assert not unescaped("<img", md) and not unescaped("[a](b)", md)
    assert sum(line.startswith("#") and "Verdict" in line for line in md.splitlines()) == 1
    assert md.splitlines()[0].startswith("# ") and "\\#\\# Verdict \\<img" in md.splitlines()[0]


def test_a_stored_hostile_name_cannot_inject_into_the_markdown_report():
    """Even a name stored before names were checked (newlines, an escape) stays on the title line."""
    good = recommend(make_profile(name="ok"), as_of=AS_OF, draws=200)
    hostile = MerchantProfile.model_validate(make_profile(name=HOSTILE_NAME), context={"stored": True})
    md = to_markdown(good.model_copy(update={"profile": hostile}))
    assert "\x1b" not in md and "\x07" not in md and not unescaped("<img", md)
    assert not any(line.startswith("## Verdict") for line in md.splitlines())


def test_the_cli_refuses_a_hostile_name_and_escapes_user_text_in_markdown(tmp_path):
    evil = write(tmp_path / "evil.json", make_profile(name=HOSTILE_NAME))
    marked = tmp_path / "<img src=x>*a*.json"
    write(marked, make_profile(name="ok"))
    pack = tmp_path / "pack<b>"
    shutil.copytree(ROOT / "assumptions", pack)
    base = write(tmp_path / "base.json", make_profile())
    md = ("--format", "markdown")
    name, compare, sens, report = run_all(
        [
            (("recommend", evil, *FAST, *md), None),
            (("compare", str(marked), base, *FAST, *md), None),
            (("sensitivity", base, *FAST, "--sobol-n", "64", "--assumptions", str(pack), *md), None),
            (("recommend", base, *FAST, "--assumptions", str(pack), *md), None),
        ]
    )
    err = refused(name)
    assert "profile field 'name'" in err and "U+000A (LINE FEED)" in err
    assert "\x1b" not in err and "\x07" not in err  # the echoed name is escaped, not sent to the terminal
    for proc in (compare, sens, report):
        assert proc.returncode == 0, proc.stderr.decode()
        out = proc.stdout.decode()
        assert not unescaped("<img", out) and not unescaped("<b>", out), out[:500]
    assert "\\<img src=x\\>\\*a\\*" in compare.stdout.decode()
    assert "pack\\<b\\>" in sens.stdout.decode() and "pack\\<b\\>" in report.stdout.decode()


# --- 7. share links ---------------------------------------------------------------------------------

BAD_LINKS = [
    ({"draws": "²"}, "draws"),
    ({"seed": "³"}, "seed"),
    ({"city_tier": "²"}, "city_tier"),
    ({"seed": "9" * 5000}, "seed"),
    ({"draws": "１０００"}, "draws"),  # full-width digits: int() reads them, a link should not
    ({"category": []}, "category"),
    ({"lang": []}, "lang"),
    ({"draws": []}, "draws"),
    ({"salary": []}, "salary"),
    ({"as_of": "9" * 5000}, "as_of"),
    ({"name": HOSTILE_NAME}, "name"),
    ({"staff_fte": "true"}, "staff_fte"),
]


@pytest.mark.parametrize(("params", "field"), BAD_LINKS, ids=lambda v: str(v)[:30])
def test_a_bad_link_value_is_a_warning_and_its_default(params, field):
    state = parse_query(params)
    assert [name for name, _ in state.problems] == [field]
    message = state.problems[0][1]
    assert len(message) < 400  # a 5000-character value is clipped
    default = parse_query({})
    assert state.options == default.options
    assert getattr(state.profile, field, None) == getattr(default.profile, field, None)
    parse_query(to_query(state))


def test_a_good_link_still_reads():
    state = parse_query(
        {"draws": "2000", "seed": "7", "city_tier": " 3 ", "gross_margin": "0.3", "salary": "2"}
    )
    assert not state.problems
    assert (state.options.draws, state.options.seed, state.profile.city_tier) == (2000, 7, 3)
    assert state.profile.gross_margin == 0.3 and state.overrides.salary == 2


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            ["draws", "seed", "city_tier", "category", "lang", "salary", "as_of", "staff_fte", "name"]
        ),
        st.one_of(
            st.text(max_size=30),
            st.text(alphabet="0123456789²³¹٣۵१１", max_size=30),
            st.lists(st.text(max_size=10), max_size=3),
        ),
    )
)
def test_no_link_makes_parse_query_raise(params):
    state = parse_query(params)
    assert 100 <= state.options.draws <= 200_000
    parse_query(to_query(state))


@pytest.mark.parametrize(
    "query",
    [{"draws": "²"}, {"seed": "³"}, {"city_tier": "²"}, {"seed": "9" * 5000}],
    ids=["draws", "seed", "city_tier", "seed-5000-nines"],
)
def test_a_bad_share_link_opens_the_assess_page_with_a_warning(query):
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    (param,) = query
    warnings = [w.value for w in at.warning]
    assert any(param.replace("_", "\\_") in w or param in w for w in warnings), warnings
    assert at.subheader, "the page shows a result (with the default value)"


# --- 11, 20, 21, 23. profile files ------------------------------------------------------------------


def profile_file(tmp_path: Path, name: str, tail: str) -> str:
    """A valid profile's JSON text with ``tail`` added before its closing brace."""
    return write(tmp_path / name, json.dumps(make_profile(), ensure_ascii=False)[:-1] + tail + "}")


def check_refused(cases: list[tuple[tuple[str, ...], bytes | None, str]], one_line: bool = True) -> None:
    for (args, _, expected), proc in zip(cases, run_all([(a, i) for a, i, _ in cases]), strict=True):
        err = refused(proc)
        assert expected in err, (args[:2], err[:500])
        if one_line:
            assert err.count("\n") == 1, err[:500]


def test_a_huge_integer_or_deep_nesting_in_a_profile_exits_2(tmp_path):
    """Item 11: recommend, compare and sensitivity said "internal error" (exit 1)."""
    big = profile_file(tmp_path, "big.json", ', "distributors": ' + "9" * 5000)
    deep = profile_file(tmp_path, "deep.json", ', "x": ' + "[" * 100_000 + "]" * 100_000)
    base = write(tmp_path / "base.json", make_profile())
    digits, nested = "an integer of 5000 digits is too large (at most 100 digits)", "nested too deeply"
    check_refused(
        [
            (("recommend", big, *FAST), None, f"{big}: {digits}"),
            (("compare", big, base, *FAST), None, f"{big}: {digits}"),
            (("sensitivity", big, *FAST), None, f"{big}: {digits}"),
            (("recommend", deep, *FAST), None, f"{deep}: {nested}"),
            (("compare", base, deep, *FAST), None, f"{deep}: {nested}"),
            (("sensitivity", deep, *FAST), None, f"{deep}: {nested}"),
            (("recommend", profile_file(tmp_path, "nan.json", ', "reachable_customers": NaN'), *FAST), None,
             "NaN is not a JSON number"),
        ]
    )  # fmt: skip


def test_a_key_given_twice_in_a_profile_is_refused(tmp_path):
    """Item 20: the last "goal" won silently."""
    dup = profile_file(tmp_path, "dup.json", ', "goal": "repeat"')
    base = write(tmp_path / "base.json", make_profile())
    message = "duplicate key 'goal': an object names it twice"
    check_refused(
        [
            (("recommend", dup, *FAST), None, f"{dup}: {message}"),
            (("compare", base, dup, *FAST), None, f"{dup}: {message}"),
            (("sensitivity", "-", *FAST), Path(dup).read_bytes(), f"-: {message}"),
        ]
    )


def test_a_profile_file_must_hold_numbers_as_json_numbers(tmp_path):
    """Item 21: true counted as 1 FTE, city tier 2.0 as 2 and "0.5" as a margin."""
    lax = write(tmp_path / "lax.json", make_profile(staff_fte=True, city_tier=2.0, gross_margin="0.5"))
    tier = write(tmp_path / "tier.json", make_profile(city_tier=True, distributors="3"))
    base = write(tmp_path / "base.json", make_profile(distributors=2.0))
    first, second, good = run_all([(("recommend", lax, *FAST), None), (("compare", base, tier, *FAST), None),
                                   (("recommend", base, *FAST), None)])  # fmt: skip
    err = refused(first)
    assert "profile field 'staff_fte': True: true/false is not a number; allowed: a number > 0" in err, err
    assert "profile field 'city_tier': 2.0 is not allowed; allowed: 1, 2, 3" in err, err
    assert "profile field 'gross_margin': '0.5': a string is not a number" in err, err
    err = refused(second)
    assert "'city_tier': True is not allowed; allowed: 1, 2, 3" in err, err
    assert "'distributors': '3': a string is not a number" in err, err
    assert good.returncode == 0, good.stderr.decode()  # 2.0 distributors is 2


def test_gbk_on_stdin_and_a_nan_override_are_named_for_what_they_are(tmp_path):
    """Item 23: "'\\udcb6…': Input should be a valid string" and "should be ≤ 10"."""
    gbk = json.dumps(make_profile(name="店铺"), ensure_ascii=False).encode("gbk")
    base = write(tmp_path / "base.json", make_profile())
    nan = "--override salary: nan is not a finite number; allowed: a multiplier > 0.1 and ≤ 10"
    check_refused(
        [
            (("recommend", "-", *FAST), gbk, "-: not UTF-8 text; save the profile as UTF-8 JSON"),
            (("sensitivity", "-", *FAST), gbk, "-: not UTF-8 text"),
            (("recommend", base, *FAST, "--override", "salary=nan"), None, nan),
            (
                ("recommend", base, *FAST, "--override", "returns=inf"),
                None,
                "returns: inf is not a finite number",
            ),
        ]
    )


def test_strictness_applies_to_json_not_to_text_inputs():
    """A JSON document's "0.5" is refused; forms, links and lead CSVs are text and stay readable."""
    data = make_profile(gross_margin="0.5", staff_fte="3", city_tier=2)
    assert MerchantProfile.model_validate(data).gross_margin == 0.5
    with pytest.raises(ValidationError, match="a string is not a number"):
        MerchantProfile.model_validate(data, context=STRICT_JSON)
    for bad in ({"staff_fte": True}, {"city_tier": True}, {"city_tier": 2.0}, {"distributors": False}):
        with pytest.raises(ValidationError):
            MerchantProfile.model_validate(make_profile(**bad))  # never a number, whatever the input
    assert MerchantProfile.model_validate(make_profile(staff_fte=3, distributors=2.0)).distributors == 2


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_an_override_that_is_not_finite_says_so(value):
    with pytest.raises(
        ValidationError, match=r"is not a finite number; allowed: a multiplier > 0\.1 and ≤ 10"
    ):
        Overrides(salary=value)


def test_every_number_field_is_checked_for_booleans_and_strings():
    from typing import get_args

    from engine.profile import NUMBER_FIELDS

    numeric = {
        name
        for name, f in MerchantProfile.model_fields.items()
        if {a for a in (get_args(f.annotation) or (f.annotation,)) if a is not type(None)} <= {int, float}
    }
    assert set(NUMBER_FIELDS) == numeric


def test_a_huge_bad_value_is_not_echoed_whole(tmp_path, wxplan_cmd):
    """Issue 11 item 19 (profiles): a 10 MB name is quoted back clipped, not whole."""
    import json
    import subprocess

    from conftest import make_profile

    path = tmp_path / "p.json"
    path.write_text(json.dumps(make_profile(name="x" * 10_000_000)), encoding="utf-8")
    res = subprocess.run(
        [*wxplan_cmd, "recommend", str(path), "--draws", "200"], capture_output=True, text=True
    )
    assert res.returncode == 2
    assert len(res.stderr) < 2_000 and "characters)" in res.stderr
