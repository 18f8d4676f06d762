"""What a profile field is - its section and column in the form, its step, whether it holds a list, its
choices - is declared once, on the field (engine.profile.Entry), and read by the form, the link parser and the
lead-list reader."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app import state
from engine import leads
from engine.profile import (
    FIELD_CHOICES,
    FIELD_ENTRIES,
    INT_CHOICE_FIELDS,
    LIST_FIELDS,
    OPTIONAL_FIELDS,
    SECTIONS,
    MerchantProfile,
)
from tests.conftest import ROOT

APP = str(ROOT / "app" / "streamlit_app.py")


def test_every_field_declares_how_it_is_entered():
    assert set(FIELD_ENTRIES) == set(MerchantProfile.model_fields)
    assert {e.section for e in FIELD_ENTRIES.values()} == set(SECTIONS)
    assert all(e.column in (0, 1) for e in FIELD_ENTRIES.values())
    numbers = {n for n in FIELD_ENTRIES if n not in FIELD_CHOICES and n != "name"}
    assert all(FIELD_ENTRIES[n].step for n in numbers)  # every number has its step


def test_kinds_follow_from_the_types():
    assert LIST_FIELDS == ("shelf_platforms", "existing_modules")
    assert INT_CHOICE_FIELDS == ("city_tier",)
    assert OPTIONAL_FIELDS == ("current_monthly_gmv_cny", "reachable_customers")
    assert FIELD_CHOICES["douyin_presence"] == ("none", "starting", "established", "leading")
    # the consumers read the same declaration
    assert state.LIST_KEYS == leads.LIST_FIELDS == LIST_FIELDS
    assert state.OPTIONAL_KEYS == OPTIONAL_FIELDS


def test_the_form_has_one_input_per_field_in_its_declared_section():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["draws"] = "1000"
    at.run()
    assert not at.exception
    keys = {
        w.key
        for kind in ("text_input", "selectbox", "multiselect", "number_input")
        for w in getattr(at, kind)
    }
    for field in FIELD_ENTRIES:
        assert state.widget_key(field) in keys, field
    headings = [h.value for h in at.subheader]
    from app.i18n import t

    shown = [t(f"ui.section.{s}", "zh") for s in SECTIONS]
    assert [h for h in headings if h in shown] == shown  # sections in their declared order
