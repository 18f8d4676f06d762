"""Comparison of several results: rows line up and differences are flagged."""

from __future__ import annotations

import pytest

from engine import recommend
from engine.compare import compare
from engine.i18n import t
from engine.render.markdown import comparison_markdown
from tests.conftest import AS_OF, make_profile


@pytest.fixture(scope="module")
def pair():
    a = recommend(make_profile(douyin_presence="leading", private_domain="none", goal="acquisition"), as_of=AS_OF,
                  draws=800)  # fmt: skip
    b = recommend(make_profile(shelf_platforms=["taobao"], goal="repeat"), as_of=AS_OF, draws=800)
    return a, b


def test_rows_line_up_and_flag_differences(pair):
    a, b = pair
    c = compare([("A", a), ("B", b)], "en")
    rows = {r.key: r for r in c.rows}
    assert rows["plan"].values == [a.plan.label, b.plan.label]
    assert rows["plan"].differs == (a.plan.label != b.plan.label)
    assert not rows["staffing.available"].differs  # same staff in both profiles
    assert rows["as_of"].values == [AS_OF, AS_OF] and not rows["as_of"].differs
    assert {f"verdict.{m}" for m in ("channels", "shop", "miniprogram", "wecom")} <= set(rows)


def test_money_is_compared_first(pair):
    """A consultant compares what each plan earns back: first-year net, net over the horizon, payback."""
    a, b = pair
    c = compare([("A", a), ("B", b)], "en")
    keys = [r.key for r in c.rows]
    rows = {r.key: r for r in c.rows}
    money = ["value.net_first_year", "value.horizon", "value.net_horizon", "value.payback", "value.p_payback"]
    assert set(money) <= set(keys)
    assert keys.index("value.net_first_year") < keys.index("cost.setup")  # before what it costs
    for rec, net, payback, chance in zip(
        (a, b),
        rows["value.net_first_year"].values,
        rows["value.payback"].values,
        rows["value.p_payback"].values,
        strict=True,
    ):
        band = rec.value.net_cny.first_year
        assert net == f"{band.p50:,.0f} ({band.p10:,.0f}–{band.p90:,.0f})"
        assert (
            payback.startswith(f"{rec.value.payback_months.p50:g} ") if rec.value.payback_months.p50 else True
        )
        assert chance == f"{rec.value.p_payback_within_horizon:.0%}"
    assert rows["value.horizon"].values == ["12", "12"] and not rows["value.horizon"].differs
    assert rows["value.net_first_year"].differs == (a.value.net_cny.first_year != b.value.net_cny.first_year)
    assert rows["staffing.hires"].values == [f"{a.staffing.hires_fte:.1f}", f"{b.staffing.hires_fte:.1f}"]
    assert t("report.net_first_year", "en") in rows["value.net_first_year"].label
    md = comparison_markdown(compare([("A", a), ("B", b)], "zh"))
    assert f"| {t('report.net_first_year', 'zh')} ({t('unit.CNY', 'zh')})" in md
    assert f"| {t('report.payback', 'zh')}" in md


def test_a_longer_horizon_shows_in_the_comparison():
    profile = make_profile(staff_fte=2)
    short = recommend(profile, as_of=AS_OF, draws=500, with_counterfactuals=False)
    long = recommend(profile, as_of=AS_OF, draws=500, with_counterfactuals=False, horizon_months=36)
    rows = {r.key: r for r in compare([("12", short), ("36", long)], "en").rows}
    assert rows["value.horizon"].values == ["12", "36"] and rows["value.horizon"].differs
    assert rows["value.net_horizon"].differs
    band = long.value.net_cny.horizon
    assert rows["value.net_horizon"].values[1] == f"{band.p50:,.0f} ({band.p10:,.0f}–{band.p90:,.0f})"


def test_payback_beyond_the_horizon_is_named():
    """A plan that may not pay back within its horizon says so instead of showing a number or 'None'."""
    from engine.compare import _payback
    from engine.result import Band

    text = _payback(Band(p10=4.0, p50=9.0, p90=None), 12, "en")
    assert text == f"9 (4–{t('report.beyond_horizon', 'en', months=12)})" and "None" not in text


def test_same_result_twice_differs_nowhere(pair):
    a, _ = pair
    c = compare([("x", a), ("y", a)], "zh")
    assert not any(r.differs for r in c.rows)


def test_markdown_marks_the_differing_rows(pair):
    a, b = pair
    md = comparison_markdown(compare([("A", a), ("B", b)], "zh"))
    assert md.startswith(f"# {t('compare.title', 'zh')}")
    assert "◆" in md and "| A | B |" in md


def test_needs_two_to_six_items(pair):
    a, _ = pair
    with pytest.raises(ValueError, match="2 to 6"):
        compare([("only", a)], "en")
    with pytest.raises(ValueError, match="2 to 6"):
        compare([(str(i), a) for i in range(7)], "en")


def _cli(*args: str, env: dict | None = None):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_cli_compares_profile_files_and_saved_scenarios(tmp_path):
    import json

    env = {"WXPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    saved = _cli(
        "scenarios", "save", "veteran", "examples/private_domain_veteran.json", "--draws", "500", env=env
    )
    assert saved.returncode == 0, saved.stderr
    res = _cli("compare", "examples/douyin_native_brand.json", "veteran", "--draws", "500", "--as-of", AS_OF,
               "--lang", "en", env=env)  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["labels"] == ["douyin_native_brand", "veteran"]
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["verdict.miniprogram"]["differs"]  # kept by the veteran, not for the Douyin brand
    md = _cli("compare", "examples/douyin_native_brand.json", "examples/shelf_repeat.json", "--draws", "500",
              "--format", "markdown", env=env)  # fmt: skip
    assert md.returncode == 0 and "◆" in md.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["examples/douyin_native_brand.json"], "2 to 6"),
        (
            ["examples/douyin_native_brand.json", "no-such-thing"],
            "neither a profile file nor a saved scenario",
        ),
    ],
)
def test_cli_compare_errors_exit_2_without_traceback(tmp_path, args, needle):
    bad = tmp_path / "bad.json"
    bad.write_text('{"category": "toys"}', encoding="utf-8")
    env = {"WXPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    for call in (args, ["examples/douyin_native_brand.json", str(bad)]):
        res = _cli("compare", *call, "--draws", "200", env=env)
        assert res.returncode == 2 and "Traceback" not in res.stderr
    res = _cli("compare", *args, "--draws", "200", env=env)
    assert needle in res.stderr
