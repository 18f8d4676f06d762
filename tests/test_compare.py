"""Comparison of several results: rows line up and differences are flagged."""

from __future__ import annotations

import pytest

from engine import recommend
from engine.compare import compare, to_markdown
from engine.i18n import t
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


def test_same_result_twice_differs_nowhere(pair):
    a, _ = pair
    c = compare([("x", a), ("y", a)], "zh")
    assert not any(r.differs for r in c.rows)


def test_markdown_marks_the_differing_rows(pair):
    a, b = pair
    md = to_markdown(compare([("A", a), ("B", b)], "zh"))
    assert md.startswith(f"# {t('compare.title', 'zh')}")
    assert "◆" in md and "| A | B |" in md


def test_needs_two_to_six_items(pair):
    a, _ = pair
    with pytest.raises(ValueError, match="2 to 6"):
        compare([("only", a)], "en")
    with pytest.raises(ValueError, match="2 to 6"):
        compare([(str(i), a) for i in range(7)], "en")
