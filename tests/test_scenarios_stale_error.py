"""Scenarios (issue 10): a problem left by one action — "已有名为…", the offer to overwrite — goes with the next
action instead of staying on screen as if it were that action's."""

from __future__ import annotations

from app.i18n import t
from tests.test_app_scenarios import SCENARIOS, click, messages, run, scenario, store  # noqa: F401

TAKEN = t("scenarios.error.exists", "zh", name="客户A")


def test_the_name_taken_error_goes_with_the_next_action(store):  # noqa: F811
    store.save(scenario("客户A"))
    store.save(scenario("客户B"))
    at = run(SCENARIOS)
    at.text_input(key="sc_name").set_value("客户A")
    click(at, "sc_save")
    assert TAKEN in messages(at, "error")
    assert at.button(key="sc_overwrite")  # the offer to overwrite, beside the error
    click(at, "sc_delete:客户B")  # another action: ask to delete another scenario
    assert TAKEN not in messages(at, "error")
    assert not [b for b in at.button if b.key == "sc_overwrite"]
    assert at.text_input(key="sc_name").value == "客户A"  # what was typed stays
    click(at, "sc_delete_no:客户B")
    assert messages(at, "error") == []


def test_a_later_problem_replaces_the_earlier_one(store):  # noqa: F811
    store.save(scenario("客户A"))
    at = run(SCENARIOS)
    at.text_input(key="sc_name").set_value("客户A")
    click(at, "sc_save")
    assert TAKEN in messages(at, "error")
    click(at, "sc_import")  # no file chosen: its own problem, and only that one
    assert messages(at, "error") == [t("scenarios.import.choose", "zh")]
