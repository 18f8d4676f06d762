"""URL state: readable query parameters in and out, hostile input turned into warnings and defaults."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.state import AppState, Options, parse_query, safe_text, to_query
from engine.overrides import Overrides
from engine.presets import DEFAULT_PRESET, preset


def test_readable_params_set_the_profile():
    s = parse_query(
        {"category": "food", "staff_fte": "3", "existing_modules": "miniprogram,wecom", "lang": "en"}
    )
    assert s.profile.category == "food"
    assert s.profile.staff_fte == 3
    assert s.profile.existing_modules == ("miniprogram", "wecom")
    assert s.lang == "en"
    assert s.problems == ()
    assert s.from_url


def test_no_params_gives_the_default_preset_without_problems():
    s = parse_query({})
    assert s.profile == preset(DEFAULT_PRESET)
    assert s.problems == () and not s.from_url and s.lang == "zh"


def test_round_trip_through_the_query_string():
    state = AppState(
        profile=preset("private_domain_veteran"),
        lang="en",
        options=Options(as_of=date(2024, 6, 1), draws=2000, seed=7),
        overrides=Overrides(salary=1.2, promotion=0.5),
    )
    query = to_query(state)
    assert query["existing_modules"] == "miniprogram,wecom"
    assert query["salary"] == "1.2" and query["as_of"] == "2024-06-01"
    back = parse_query(query)
    assert back.profile == state.profile
    assert back.options == state.options
    assert back.overrides == state.overrides
    assert back.lang == "en" and back.problems == ()


def test_hostile_and_invalid_params_become_warnings_and_defaults():
    s = parse_query(
        {
            "category": "<script>alert(1)</script>",
            "staff_fte": "-1",
            "lang": "fr",
            "draws": "9e9",
            "salary": "abc",
            "as_of": "2019-01-01",
            "shelf_platforms": "taobao,evil",
            "unknown": "x",
            "name": "x" * 500,
        }
    )
    default = preset(DEFAULT_PRESET)
    assert s.profile.category == default.category
    assert s.profile.staff_fte == default.staff_fte
    assert (
        s.lang == "zh" and s.options.draws == 10_000 and s.overrides.salary == 1.0 and s.options.as_of is None
    )
    fields = {f for f, _ in s.problems}
    assert {
        "category",
        "staff_fte",
        "lang",
        "draws",
        "salary",
        "as_of",
        "shelf_platforms",
        "unknown",
        "name",
    } <= fields


def test_safe_text_neutralises_markdown_and_control_characters():
    text = safe_text("[click](javascript:alert(1)) <b>x</b>\n# big")
    assert "](" not in text and "<b>" not in text and "\n" not in text
    assert len(safe_text("y" * 500)) <= 61


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["category", "staff_fte", "lang", "draws", "seed", "existing_modules",
                                        "gross_margin", "city_tier", "salary", "as_of", "current_monthly_gmv_cny",
                                        "reachable_customers", "zzz"]),
                       st.text(max_size=40)))  # fmt: skip
def test_any_query_string_parses_without_exception(params):
    s = parse_query(params)
    assert s.lang in ("zh", "en")
    assert 100 <= s.options.draws <= 200_000
    parse_query(to_query(s))  # and what it writes back is readable again
