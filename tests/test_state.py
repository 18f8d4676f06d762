"""URL state: readable query parameters in and out, hostile input turned into warnings and defaults."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlparse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.state import (
    AppState,
    Options,
    carries_assessment,
    parse_query,
    safe_text,
    same_assessment,
    same_inputs,
    share_link,
    to_query,
    widget_values,
)
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


# --- comparing a form with an assessment, and the share link -------------------------------------


def test_the_form_values_of_an_assessment_match_it_until_one_changes():
    state = AppState(profile=preset("private_domain_veteran"), options=Options(seed=3),
                     overrides=Overrides(saas=1.5))  # fmt: skip
    values = widget_values(state)
    assert values["existing_modules"] == ["miniprogram", "wecom"] and values["o_saas"] == 1.5
    assert values["o_seed"] == 3 and values["o_as_of"] is None
    assert same_inputs(values, state)
    assert same_inputs(values | {"staff_fte": int(values["staff_fte"])}, state)  # 6 and 6.0 are one number
    for name, other in (("category", "beauty"), ("staff_fte", 0.0), ("existing_modules", ["wecom"]),
                        ("o_saas", 1.0), ("o_draws", 2000), ("o_as_of", date(2025, 1, 1))):  # fmt: skip
        assert not same_inputs(values | {name: other}, state), name


def test_same_assessment_ignores_how_a_link_was_read():
    read = parse_query({"staff_fte": "3", "zzz": "1"})
    assert read.problems and same_assessment(read, parse_query(to_query(read)))
    assert not same_assessment(read, parse_query({"staff_fte": "4"}))
    assert not same_assessment(read, parse_query(to_query(read) | {"lang": "en"}))


def test_carries_assessment_is_any_parameter_but_the_language():
    assert not carries_assessment({}) and not carries_assessment({"lang": "en"})
    assert carries_assessment({"lang": "en", "staff_fte": "3"}) and carries_assessment({"seed": "1"})


def test_the_share_link_is_complete_and_reads_back_as_the_same_assessment():
    state = AppState(
        profile=preset("distributor_network").model_copy(update={"name": "客户 A&B=1, 50%+"}),
        lang="en",
        options=Options(as_of=date(2024, 6, 1), draws=2000, seed=7),
        overrides=Overrides(salary=1.2),
    )
    link = share_link(state, "http://127.0.0.1:8501/")
    assert link.startswith("http://127.0.0.1:8501/?lang=en&name=")
    query = urlparse(link).query
    assert " " not in link and "客户" not in link  # percent-encoded: safe to paste anywhere
    back = parse_query({k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()})
    assert same_assessment(back, state) and back.problems == ()
    assert share_link(state, None).startswith("/?lang=en&")  # no known address: a link relative to the app


def test_the_horizon_travels_in_the_link_and_a_bad_one_is_a_warning():
    from app.state import parse_query, to_query

    state = parse_query({"horizon": "24"})
    assert state.options.horizon_months == 24 and to_query(state)["horizon"] == "24"
    assert "horizon" not in to_query(parse_query({}))
    bad = parse_query({"horizon": "18"})
    assert bad.options.horizon_months == 12 and any(p == "horizon" for p, _ in bad.problems)
