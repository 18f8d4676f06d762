"""The current assessment across pages in Streamlit's AppTest (through the entry script, so that every page
runs app.state.sync first): page switches, an address changed under the session (Back/Forward), a language
switch with unsaved edits, the marker on a result that no longer matches the form, the share link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from streamlit.testing.v1 import AppTest

from app.i18n import t
from app.state import AppState, replace_lang, to_query
from engine.presets import preset
from tests.conftest import ROOT

APP = str(ROOT / "app" / "streamlit_app.py")
FAST = {"draws": "1000"}


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("WXPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'scenarios.db'}")


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def start(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return ok(at.run())


def url(at: AppTest) -> dict[str, str]:
    return {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}


def pick(at: AppTest, preset_id: str) -> AppTest:
    return ok(at.selectbox(key="preset").set_value(preset_id).run())


def expected(preset_id: str, lang: str = "zh") -> dict[str, str]:
    return to_query(AppState(profile=preset(preset_id), lang=lang))


def stale(at: AppTest, lang: str = "zh") -> bool:
    return any(w.value == t("ui.stale_result", lang) for w in at.warning)


def test_a_round_trip_through_other_pages_keeps_form_result_and_url():
    at = pick(start(), "individual_seller")
    plan = at.subheader[0].value if at.subheader else None
    for page in ("views/method.py", "views/scenarios.py", "views/compare.py", "views/evidence.py"):
        ok(at.switch_page(page).run())
        assert url(at) == expected("individual_seller"), page  # every page's URL holds the assessment
    ok(at.switch_page("views/assess.py").run())
    assert at.text_input(key="f_name").value == preset("individual_seller").name
    assert at.number_input(key="f_staff_fte").value == 1
    assert at.selectbox(key="f_business_type.zh").value == "individual"
    assert url(at) == expected("individual_seller")
    assert (at.subheader[0].value if at.subheader else None) == plan and not stale(at)


def test_unsubmitted_edits_survive_a_visit_to_another_page_and_are_marked():
    at = start(FAST)
    at.number_input(key="f_staff_fte").set_value(9.0)
    at.selectbox(key="f_category.zh").set_value("jewelry")
    ok(at.run())
    assert stale(at)
    ok(at.switch_page("views/method.py").run())
    ok(at.switch_page("views/assess.py").run())
    assert at.number_input(key="f_staff_fte").value == 9
    assert at.selectbox(key="f_category.zh").value == "jewelry" and stale(at)
    assert url(at)["staff_fte"] != "9"  # the URL holds the assessment shown, not the draft
    ok(at.button(key="submit").click().run())
    assert url(at)["staff_fte"] == "9" and url(at)["category"] == "jewelry" and not stale(at)


def test_a_failed_submit_marks_the_result_as_the_previous_inputs():
    at = start(FAST)
    at.number_input(key="f_staff_fte").set_value(0.0)
    ok(at.button(key="submit").click().run())
    assert any(t("ui.form_has_errors", "zh") in e.value for e in at.error) and stale(at)


def test_an_address_changed_under_the_session_brings_its_assessment_back():
    at = pick(start(), "individual_seller")
    pick(at, "private_domain_veteran")
    for key, value in expected("individual_seller").items():  # what the browser's Back button sends
        at.query_params[key] = value
    ok(at.run())
    assert at.session_state["wx_active"].profile == preset("individual_seller")
    assert at.text_input(key="f_name").value == preset("individual_seller").name
    assert at.selectbox(key="f_business_type.zh").value == "individual"
    assert url(at) == expected("individual_seller") and not stale(at)


def test_a_language_switch_keeps_unsaved_choices_and_numbers():
    at = start(FAST)
    at.selectbox(key="f_category.zh").set_value("jewelry")
    at.number_input(key="f_staff_fte").set_value(7.0)
    at.multiselect(key="f_existing_modules.zh").set_value(["wecom"])
    ok(at.run())
    ok(at.get("button_group")[0].set_value("en").run())
    assert at.selectbox(key="f_category.en").value == "jewelry"
    assert at.multiselect(key="f_existing_modules.en").value == ["wecom"]
    assert at.number_input(key="f_staff_fte").value == 7
    assert url(at)["lang"] == "en" and stale(at, "en")


def test_scenarios_opened_from_its_own_address_keeps_assessment_and_language():
    query = expected("individual_seller", "en")
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    ok(at.run())
    ok(at.switch_page("views/scenarios.py").run())
    assert at.title[0].value == t("ui.nav.scenarios", "en")
    assert any(preset("individual_seller").name in c.value for c in at.caption)
    assert url(at) == query


def test_the_share_link_holds_the_whole_assessment_shown():
    at = pick(start(), "shelf_repeat")
    link = at.code[-1].value
    query = {k: v[-1] for k, v in parse_qs(urlparse(link).query, keep_blank_values=True).items()}
    assert query == expected("shelf_repeat")
    assert at.caption and any(c.value == t("ui.share", "zh") for c in at.caption)


def test_a_language_switch_writes_the_same_result_without_simulating_again(monkeypatch):
    """The result is simulated once (engine.recommend.analyse draws once) and written in either language
    (engine.recommend.render): switching to English and back draws nothing again, and the figures agree."""
    from app import cache
    from engine import model

    draws = []
    real = model.draw

    def counted(*args, **kwargs):
        draws.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "draw", counted)
    at = start({"draws": "1234", "seed": "424242"})  # inputs no other test has simulated
    zh = at.session_state["wx_active"]
    assert draws == [1234]
    ok(at.get("button_group")[0].set_value("en").run())
    assert url(at)["lang"] == "en" and at.title[0].value == t("app.title", "en")
    ok(at.get("button_group")[0].set_value("zh").run())
    assert draws == [1234], "switching language ran the simulation again"
    en, back = cache.recommendation(replace_lang(zh, "en")), cache.recommendation(zh)
    assert draws == [1234]
    assert en.lang == "en" and back.lang == "zh" and en.value == back.value and en.plan.code == back.plan.code
