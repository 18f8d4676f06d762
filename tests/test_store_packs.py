"""Scenarios keep their assumption pack (issue 10) on SQLite and on a real PostgreSQL server: saved, read back,
recomputed on it, exported and imported; a database of schema version 2 (before packs) upgrades and its
scenarios load on the bundled set."""

from __future__ import annotations

import pytest
from conftest import AS_OF
from pg import make_scenario, old_store

from engine.assumptions import DEFAULT_DIR
from engine.packs import Edit, Pack, load_pack
from engine.recommend import recommend
from engine.store import (
    SCHEMA_VERSION,
    InvalidScenario,
    ScenarioStore,
    export_scenario,
    parse_export,
    run,
)

HOST = "low: 8000, mode: 12000, high: 22000"


def pack() -> Pack:
    text = (
        (DEFAULT_DIR / "salaries.yaml")
        .read_text(encoding="utf-8")
        .replace(HOST, "low: 30000, mode: 40000, high: 60000")
    )
    return Pack(
        name="服务商价目",
        files={"salaries.yaml": text},
        edits={"modules.wecom.per_seat.scrm_seat": Edit(distribution="fixed", value=999)},
    )


def test_a_scenario_keeps_its_pack_and_is_recomputed_on_it(db_url):
    with ScenarioStore(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION >= 3
        store.save(make_scenario(assumptions=pack()))
        store.save(make_scenario("没有假设包"))
        got = store.get("客户A")
        assert got.assumptions == pack() and got.assumptions.digest == pack().digest
        assert store.get("没有假设包").assumptions is None
        assert {s.name: s.assumptions is not None for s in store.list()} == {
            "客户A": True,
            "没有假设包": False,
        }
        store.duplicate("客户A", "客户A 副本")
        store.rename("客户A 副本", "客户B")
        assert store.get("客户B").assumptions == pack()
        with_pack, bundled = run(got), run(got.model_copy(update={"assumptions": None}))
        assert with_pack.assumptions.startswith(f"服务商价目 #{pack().digest[:8]}")
        assert bundled.assumptions == "bundled"
        assert with_pack.cost_cny != bundled.cost_cny
        direct = recommend(got.profile, as_of=AS_OF, draws=300, assumptions=load_pack(pack()))
        assert with_pack.model_dump() == direct.model_dump()


def test_export_and_import_carry_the_pack_exactly(db_url):
    with ScenarioStore(db_url) as store:
        saved = store.save(make_scenario(assumptions=pack()))
        exported = store.export(saved.name)
        assert exported["version"] == 2 and exported["scenario"]["assumptions"]["name"] == "服务商价目"
        store.delete(saved.name)
        store.import_(exported)
        assert store.get(saved.name) == saved
        plain = export_scenario(make_scenario("plain"))
        assert plain["version"] == 1 and "assumptions" not in plain["scenario"]
        assert store.import_(plain).assumptions is None


def test_a_version_1_export_cannot_smuggle_a_pack():
    exported = export_scenario(make_scenario(assumptions=pack()))
    with pytest.raises(InvalidScenario, match="version 1 export has no assumption pack"):
        parse_export({**exported, "version": 1})
    with pytest.raises(InvalidScenario, match="assumptions: must be an object"):
        parse_export({**exported, "scenario": {**exported["scenario"], "assumptions": "salaries.yaml"}})


def test_a_database_from_before_packs_upgrades_and_its_scenarios_load(db_url):
    old_store(db_url, 2, "旧方案", make_scenario().profile.model_dump_json())
    with ScenarioStore(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        old = store.get("旧方案")
        assert old.assumptions is None
        assert run(old).assumptions == "bundled"
        store.update("旧方案", lambda s: s.model_copy(update={"assumptions": pack()}))
        assert store.get("旧方案").assumptions == pack()
