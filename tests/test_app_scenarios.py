"""The 方案库 Scenarios and 对比 Compare pages in Streamlit's AppTest, each test on its own SQLite file."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from app.i18n import catalog, t
from engine.i18n import LANGS
from engine.store import Scenario, ScenarioStore, export_scenario
from tests.conftest import AS_OF, ROOT, make_profile

APP = str(ROOT / "app" / "streamlit_app.py")
SCENARIOS = str(ROOT / "app" / "views" / "scenarios.py")
COMPARE = str(ROOT / "app" / "views" / "compare.py")
FAST = {"draws": "1000", "as_of": AS_OF}  # a quick current assessment for the pages to use


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch) -> ScenarioStore:
    """A fresh scenario store per test; the pages find it through WXPLAN_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'scenarios.db'}"
    monkeypatch.setenv("WXPLAN_DATABASE_URL", url)
    with ScenarioStore(url) as s:
        yield s


def scenario(name: str, **changes) -> Scenario:
    fields = {"name": name, "profile": make_profile(), "as_of": AS_OF, "draws": 1000} | changes
    return Scenario.model_validate(fields)


def run(page: str, lang: str = "zh", query: dict | None = None) -> AppTest:
    at = AppTest.from_file(page, default_timeout=60)
    for key, value in ({"lang": lang} | FAST | (query or {})).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def listed(at: AppTest) -> list[str]:
    return [m.value.removeprefix("#### ") for m in at.markdown if m.value.startswith("#### ")]


def messages(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


# --- Scenarios -----------------------------------------------------------------------------------


def test_save_the_current_assessment_and_see_it_listed(store):
    at = run(SCENARIOS)
    assert listed(at) == [] and messages(at, "info") == [t("scenarios.list.empty", "zh")]
    at.text_input(key="sc_name").set_value("客户A 首轮")
    at.text_area(key="sc_notes").set_value("第一次访谈")
    click(at, "sc_save")
    assert messages(at, "success") == [t("scenarios.saved", "zh", name="客户A 首轮")]
    assert listed(at) == ["客户A 首轮"]
    saved = store.get("客户A 首轮")
    active = at.session_state["wx_active"]
    assert saved.notes == "第一次访谈" and saved.plan is None
    assert saved.profile == active.profile and saved.draws == 1000 and saved.as_of.isoformat() == AS_OF
    assert at.text_input(key="sc_name").value == ""  # cleared after a successful save


def test_a_name_conflict_keeps_the_input_and_offers_to_overwrite(store):
    store.save(scenario("客户A", notes="old"))
    at = run(SCENARIOS)
    at.text_input(key="sc_name").set_value("客户A")
    at.text_area(key="sc_notes").set_value("new notes")
    click(at, "sc_save")
    assert messages(at, "error") == [t("scenarios.error.exists", "zh", name="客户A")]
    assert at.text_input(key="sc_name").value == "客户A" and at.text_area(key="sc_notes").value == "new notes"
    assert store.get("客户A").notes == "old"
    click(at, "sc_overwrite")
    assert messages(at, "success") == [t("scenarios.overwritten", "zh", name="客户A")]
    assert store.get("客户A").notes == "new notes" and store.names() == ["客户A"]


def test_an_empty_name_is_an_error_next_to_the_field(store):
    at = run(SCENARIOS)
    at.text_input(key="sc_name").set_value("   ")
    click(at, "sc_save")
    assert messages(at, "error") == [t("scenarios.error.name_required", "zh")]
    assert store.names() == []


def test_rename_and_a_rename_onto_a_taken_name(store):
    store.save(scenario("A"))
    store.save(scenario("B"))
    at = run(SCENARIOS)
    at.text_input(key="sc_rename:A").set_value("B")
    click(at, "sc_rename_btn:A")
    assert messages(at, "error") == [t("scenarios.error.taken", "zh", name="B")]
    assert sorted(store.names()) == ["A", "B"]
    at.text_input(key="sc_rename:A").set_value("C")
    click(at, "sc_rename_btn:A")
    assert messages(at, "success") == [t("scenarios.renamed", "zh", old="A", new="C")]
    assert sorted(store.names()) == ["B", "C"] and sorted(listed(at)) == ["B", "C"]


def test_duplicate(store):
    store.save(scenario("A", notes="n"))
    at = run(SCENARIOS, "en")
    assert at.text_input(key="sc_duplicate:A").value == "A (copy)"
    click(at, "sc_duplicate_btn:A")
    assert sorted(listed(at)) == ["A", "A \\(copy\\)"]  # names are shown Markdown-escaped
    assert store.get("A (copy)").notes == "n"


def test_delete_needs_a_confirmation(store):
    store.save(scenario("A"))
    store.save(scenario("B"))
    at = run(SCENARIOS)
    click(at, "sc_delete:A")
    assert sorted(store.names()) == ["A", "B"]  # nothing deleted yet: a question instead
    assert messages(at, "warning") == [t("scenarios.delete.confirm", "zh", name="A")]
    click(at, "sc_delete_no:A")
    assert messages(at, "warning") == [] and sorted(store.names()) == ["A", "B"]
    click(at, "sc_delete:A")
    click(at, "sc_delete_yes:A")
    assert store.names() == ["B"] and listed(at) == ["B"]
    assert messages(at, "success") == [t("scenarios.deleted", "zh", name="A")]


def test_export_is_the_stores_export(store):
    store.save(scenario("A", notes="x"))
    at = run(SCENARIOS)
    [button] = [b for b in at.get("download_button") if b.proto.label == t("scenarios.export", "zh")]
    assert button.proto.label


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "application/json")).run()
    return click(at, "sc_import")


def test_import_an_export_round_trips(store, tmp_path):
    original = scenario("导入的", notes="来自别处", plan="channels,shop>wecom")
    at = run(SCENARIOS)
    upload(at, "a.json", json.dumps(export_scenario(original), ensure_ascii=False).encode())
    assert messages(at, "success") == [t("scenarios.imported", "zh", name="导入的")]
    assert store.get("导入的") == original and listed(at) == ["导入的"]
    # The same file again: the name is taken, nothing changes until overwriting is ticked.
    upload(at, "a.json", json.dumps(export_scenario(original)).encode())
    assert messages(at, "error") == [t("scenarios.import.exists", "zh", name="导入的")]
    at.checkbox(key="sc_import_overwrite").check().run()
    upload(at, "a.json", json.dumps(export_scenario(original)).encode())
    assert messages(at, "success") == [t("scenarios.imported", "zh", name="导入的")]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"{not json", "scenarios.import.not_json"),
        (b"\xff\xfe\x00garbage", "scenarios.import.not_utf8"),
        (json.dumps({"format": "something-else", "version": 1}).encode(), "scenarios.import.invalid"),
        (json.dumps({"format": "wxplan-scenario", "version": 1, "scenario": {"name": "x"}}).encode(),
         "scenarios.import.invalid"),
    ],
)  # fmt: skip
def test_a_broken_file_is_a_clear_error_and_nothing_is_lost(store, data, key):
    store.save(scenario("keep me"))
    at = run(SCENARIOS, "en")
    upload(at, "bad.json", data)
    [error] = messages(at, "error")
    fragment = catalog("en")[key].split("{file}")[1].split("{")[0]  # the message's own words
    assert "bad\\.json" in error and fragment in error, error
    assert store.names() == ["keep me"] and listed(at) == ["keep me"]


def test_open_into_assess_sets_the_active_assessment(store):
    profile = make_profile(name="开店客户", category="beauty", staff_fte=7)
    store.save(scenario("客户B", profile=profile, overrides={"salary": 1.3}, seed=5, draws=2000))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in FAST.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("views/scenarios.py").run()
    assert at.title[0].value == t("ui.nav.scenarios", "zh")
    click(at, "sc_open:客户B")
    assert at.title[0].value == t("app.title", "zh")  # now on the Assess page
    active = at.session_state["wx_active"]
    assert active.profile == store.get("客户B").profile
    assert active.overrides.salary == 1.3 and active.options.seed == 5 and active.options.draws == 2000
    assert active.options.as_of.isoformat() == AS_OF
    assert at.session_state["f_staff_fte"] == 7 and at.session_state["f_category.zh"] == "beauty"
    assert at.session_state["o_salary"] == 1.3
    assert at.query_params["staff_fte"] in ("7", ["7"]) and at.query_params["salary"] in ("1.3", ["1.3"])


@pytest.mark.parametrize("page", [SCENARIOS, COMPARE])
def test_an_unusable_database_is_a_message_not_a_traceback(monkeypatch, page):
    monkeypatch.setenv("WXPLAN_DATABASE_URL", "nosuchdb://somewhere/x")
    at = run(page, "en")
    assert any("nosuchdb" in e for e in messages(at, "error"))


# --- Compare -------------------------------------------------------------------------------------


def table_rows(at: AppTest, lang: str) -> dict[str, dict[str, str]]:
    [table] = at.table
    rows = table.value.to_dict("records")
    return {row[t("comparepage.col.row", lang)]: row for row in rows}


@pytest.mark.parametrize("lang", LANGS)
def test_compare_two_saved_scenarios(store, lang):
    store.save(scenario("甲", plan="channels,shop"))
    store.save(scenario("乙", plan="wecom"))
    at = run(COMPARE, lang)
    assert at.title[0].value == t("ui.nav.compare", lang)
    at.multiselect(key="cmp_pick").set_value(["甲"]).run()
    assert messages(at, "info") == [t("comparepage.need_two", lang)] and not at.table
    at.multiselect(key="cmp_pick").set_value(["甲", "乙"]).run()
    assert not at.exception and not messages(at, "error")
    rows = table_rows(at, lang)
    plan_row = f"**◆ {t('compare.plan', lang)}**"
    assert plan_row in rows  # the plans differ: marked, bold
    row = t("comparepage.col.row", lang)
    assert all(v.startswith(":orange-background[**") for k, v in rows[plan_row].items() if k != row)
    as_of = t("report.as_of", lang)
    assert rows[as_of][t("comparepage.col.row", lang)] == as_of  # same date: not highlighted
    assert list(rows[as_of])[1:] == ["甲", "乙"]
    # the money is compared: first-year net and payback, ahead of what the plans cost (the plans differ, so
    # their nets do too)
    names = list(rows)
    plain = [k.replace("\\", "") for k in names]  # the page escapes Markdown: "First\\-year"
    (net,) = [k for k, p in zip(names, plain, strict=True) if t("report.net_first_year", lang) in p]
    assert net.startswith("**◆ ") and t("unit.CNY", lang) in net
    assert all(v.startswith(":orange-background[**") for k, v in rows[net].items() if k != row)
    payback = next(k for k, p in zip(names, plain, strict=True) if t("report.payback", lang) in p)
    first_year = next(k for k, p in zip(names, plain, strict=True) if t("report.first_year", lang) in p)
    assert names.index(net) < names.index(payback) < names.index(first_year)
    assert len(at.get("vega_lite_chart")) == 2
    [download] = at.get("download_button")
    assert download.proto.label == t("comparepage.download", lang)


def test_compare_with_no_scenarios_or_one_shows_a_hint(store):
    at = run(COMPARE)
    assert messages(at, "info") == [t("comparepage.no_saved", "zh")] and not messages(at, "error")
    store.save(scenario("只有一个"))
    at = run(COMPARE, "en")
    assert messages(at, "info") == [t("comparepage.need_two", "en")] and not at.table


def test_compare_variants_of_the_current_assessment(store):
    """The variants mode (more in tests/test_compare_variants.py): the current assessment beside a variant,
    a forced plan marked as forced; the mode and the variants survive a language switch."""
    at = run(COMPARE, "en")
    at.radio(key="cmp_mode.en").set_value("variants").run()
    assert not at.exception and not at.table  # one column is not a comparison yet
    click(at, "cmp_quick_runner_up")
    rows = table_rows(at, "en")
    assert f"**◆ {t('compare.kind', 'en')}**" in rows and f"**◆ {t('compare.plan', 'en')}**" in rows
    assert len(at.get("vega_lite_chart")) == 2
    at.get("button_group")[0].set_value("zh").run()
    assert not at.exception and at.radio(key="cmp_mode.zh").value == "variants"
    assert len(at.session_state["wx_active"].variants) == 1 and at.table


def test_compare_language_switch_keeps_working(store):
    store.save(scenario("one", plan="shop"))
    store.save(scenario("two"))
    at = run(COMPARE)
    at.multiselect(key="cmp_pick").set_value(["one", "two"]).run()
    at.get("button_group")[0].set_value("en").run()
    assert not at.exception
    assert at.title[0].value == t("ui.nav.compare", "en")
    assert t("comparepage.col.row", "en") in at.table[0].value.columns


def test_the_handover_notes_are_the_scenarios_notes_and_come_back_with_it(store):
    """Notes written for the handover report on Assess prefill a scenario's notes; opening a scenario puts
    its notes back into the report's notes on Assess, with its horizon."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in ({"lang": "zh", "horizon": "36"} | FAST).items():
        at.query_params[key] = value
    at.run()
    at.text_area(key="handover_notes").set_value("客户希望先试直播").run()
    at.switch_page("views/scenarios.py").run()
    assert not at.exception, at.exception
    assert at.text_area(key="sc_notes").value == "客户希望先试直播"
    at.text_input(key="sc_name").set_value("客户B")
    click(at, "sc_save")
    saved = store.get("客户B")
    assert saved.notes == "客户希望先试直播" and saved.horizon_months == 36
    store.save(scenario("客户C", notes="第二次访谈：预算翻倍", horizon_months=24))
    at.run()
    click(at, "sc_open:客户C")
    assert at.title[0].value == t("app.title", "zh")  # on Assess
    assert at.text_area(key="handover_notes").value == "第二次访谈：预算翻倍"
    assert at.session_state["wx_active"].options.horizon_months == 24
