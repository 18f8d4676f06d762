"""Scenarios keep the horizon their plan is judged over and the operating levels the user forced (schema
version 4), on SQLite and on a real PostgreSQL server: saved, read back, recomputed with them, exported as
version 2 and imported; a version 3 database upgrades and its rows load with the default horizon and chosen
levels, as they were run."""

from __future__ import annotations

import pytest
from pg import make_scenario, old_store
from pydantic import ValidationError

from engine.store import (
    SCHEMA_VERSION,
    InvalidScenario,
    ScenarioStore,
    export_scenario,
    parse_export,
    run,
)


def test_a_scenario_keeps_its_horizon_and_forced_levels(db_url):
    with ScenarioStore(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION >= 4
        store.save(make_scenario("三年看", horizon_months=36, levels={"channels": "lean"}))
        store.save(make_scenario("默认"))
        got, plain = store.get("三年看"), store.get("默认")
    assert got.horizon_months == 36 and got.levels == {"channels": "lean"}
    assert plain.horizon_months is None and plain.levels == {}
    rec = run(got)
    assert rec.value.horizon_months == 36
    assert rec.modules["channels"].operating_level == "lean"
    assert run(plain).value.horizon_months == 12


def test_the_export_carries_them_as_version_2_and_reads_back():
    s = make_scenario(horizon_months=24, levels={"shop": "scaled"})
    data = export_scenario(s)
    assert data["version"] == 2
    assert parse_export(data) == s
    default = make_scenario()
    plain = export_scenario(default)
    assert plain["version"] == 1 and "horizon_months" not in plain["scenario"]  # older wxplan reads it
    assert parse_export(plain) == default


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("horizon_months", 18, "allowed: 12, 24, 36"),
        ("levels", {"channels": "huge"}, "lean"),
        ("levels", {"tiktok": "lean"}, "channels"),
    ],
)
def test_a_bad_horizon_or_level_names_the_field_and_the_allowed_values(field, value, needle):
    with pytest.raises(ValidationError) as err:
        make_scenario(**{field: value})
    assert field in str(err.value) and needle in str(err.value)
    data = export_scenario(make_scenario(horizon_months=12))
    data["scenario"][field] = value
    with pytest.raises(InvalidScenario, match=field):
        parse_export(data)


def test_a_version_1_export_with_a_horizon_is_refused():
    data = export_scenario(make_scenario())
    data["scenario"]["horizon_months"] = 36
    with pytest.raises(InvalidScenario, match="horizon_months: a version 1 export has no horizon"):
        parse_export(data)


def test_a_version_3_database_upgrades_and_its_rows_keep_running_as_before(db_url):
    old_store(db_url, 3, "旧方案", make_scenario().profile.model_dump_json())
    with ScenarioStore(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        old = store.get("旧方案")
        assert old.horizon_months is None and old.levels == {}
        store.update("旧方案", lambda s: s.model_copy(update={"horizon_months": 24}))
        assert store.get("旧方案").horizon_months == 24
