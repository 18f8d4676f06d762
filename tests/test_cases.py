"""Archetype cases from DOMAIN.md, one YAML file each in tests/cases/, one test per case.

A case file::

    name: a plain sentence saying what should happen (used as the test id)
    as_of: "YYYY-MM-DD"
    input: {profile fields merged over BASE_PROFILE}
    expected:
      verdicts: {module: verdict}          # exact verdicts
      not_verdicts: {module: [verdict]}    # verdicts a module must not get
      in_plan: [module]                    # adopted now or later
      not_in_plan: [module]
      module_names: {module: name}         # display name (zh) on as_of
      fired_rules: [rule id]
      not_fired_rules: [rule id]
      warnings: [code]                     # warning codes that must be present
      levels: {module: [level]}            # operating levels allowed for an adopted module
      value:                               # the money, sized to this merchant
        p_payback_at_least: 0.6            # P(payback within the horizon)
        net_first_year_p50_at_least: 0     # CNY
        first_year_cost_within_budget: true  # P50 first-year cost <= one-time + 12 x monthly budget
        hires_at_most: 0.5                 # FTE hired with the budget (P50)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import make_profile

from engine.assumptions import LEVELS
from engine.profile import MODULES
from engine.recommend import recommend
from engine.rules import RULES_BY_ID

CASES_DIR = Path(__file__).parent / "cases"
VERDICTS = {"keep", "adopt_now", "adopt_later", "not_recommended"}
CASE_KEYS = {"name", "as_of", "input", "expected"}
EXPECTED_KEYS = {
    "verdicts",
    "not_verdicts",
    "in_plan",
    "not_in_plan",
    "module_names",
    "fired_rules",
    "not_fired_rules",
    "warnings",
    "levels",
    "value",
}
VALUE_KEYS = {
    "p_payback_at_least",
    "net_first_year_p50_at_least",
    "first_year_cost_within_budget",
    "hires_at_most",
}


def _load_cases() -> list[tuple[str, dict]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            cases.append((path.name, yaml.safe_load(fh)))
    return cases


CASES = _load_cases()


def test_cases_are_well_formed():
    """Catch typos in case files: a misspelt key or rule id would otherwise assert nothing."""
    assert len(CASES) >= 8
    names = [case["name"] for _, case in CASES]
    assert len(names) == len(set(names)), "case names must be unique (they are the test ids)"
    for file, case in CASES:
        assert set(case) == CASE_KEYS, file
        assert isinstance(case["name"], str) and case["name"].strip(), file
        assert set(case["expected"]) <= EXPECTED_KEYS, (file, set(case["expected"]) - EXPECTED_KEYS)
        assert case["expected"], f"{file}: expects nothing"
        exp = case["expected"]
        for m, v in exp.get("verdicts", {}).items():
            assert m in MODULES and v in VERDICTS, (file, m, v)
        for m, vs in exp.get("not_verdicts", {}).items():
            assert m in MODULES and set(vs) <= VERDICTS, (file, m, vs)
        for m in exp.get("in_plan", []) + exp.get("not_in_plan", []) + list(exp.get("module_names", {})):
            assert m in MODULES, (file, m)
        for rule in exp.get("fired_rules", []) + exp.get("not_fired_rules", []):
            assert rule in RULES_BY_ID, (file, rule)
        for m, levels in exp.get("levels", {}).items():
            assert m in MODULES and set(levels) <= set(LEVELS), (file, m, levels)
        assert set(exp.get("value", {})) <= VALUE_KEYS, (file, set(exp.get("value", {})) - VALUE_KEYS)


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[c["name"] for _, c in CASES])
def test_case(case):
    rec = recommend(make_profile(**case["input"]), as_of=str(case["as_of"]), draws=2000, seed=0, lang="zh")
    exp = case["expected"]
    verdicts = {m: r.verdict for m, r in rec.modules.items()}
    fired = {reason.rule for r in rec.modules.values() for reason in r.reasons}
    problems: list[str] = []
    for m, want in exp.get("verdicts", {}).items():
        if verdicts[m] != want:
            problems.append(f"{m}: expected {want}, got {verdicts[m]}")
    for m, banned in exp.get("not_verdicts", {}).items():
        if verdicts[m] in banned:
            problems.append(f"{m}: must not be {verdicts[m]}")
    for m in exp.get("in_plan", []):
        if verdicts[m] not in ("adopt_now", "adopt_later"):
            problems.append(f"{m}: expected in the plan, got {verdicts[m]}")
    for m in exp.get("not_in_plan", []):
        if verdicts[m] in ("adopt_now", "adopt_later"):
            problems.append(f"{m}: expected outside the plan, got {verdicts[m]}")
    for m, name in exp.get("module_names", {}).items():
        if rec.modules[m].name != name:
            problems.append(f"{m}: expected name {name!r}, got {rec.modules[m].name!r}")
    for rule in exp.get("fired_rules", []):
        if rule not in fired:
            problems.append(f"rule {rule} should fire")
    for rule in exp.get("not_fired_rules", []):
        if rule in fired:
            problems.append(f"rule {rule} must not fire")
    codes = {w.code for w in rec.warnings}
    for code in exp.get("warnings", []):
        if code not in codes:
            problems.append(f"warning {code} missing (got {sorted(codes)})")
    for m, levels in exp.get("levels", {}).items():
        if rec.modules[m].operating_level not in levels:
            problems.append(f"{m}: level {rec.modules[m].operating_level}, expected one of {levels}")
    v, want = rec.value, exp.get("value", {})
    if "p_payback_at_least" in want and v.p_payback_within_horizon < want["p_payback_at_least"]:
        problems.append(f"P(payback) {v.p_payback_within_horizon:.2f} < {want['p_payback_at_least']}")
    if (
        "net_first_year_p50_at_least" in want
        and v.net_cny.first_year.p50 < want["net_first_year_p50_at_least"]
    ):
        problems.append(
            f"first-year net P50 {v.net_cny.first_year.p50:,.0f} < {want['net_first_year_p50_at_least']:,}"
        )
    if want.get("first_year_cost_within_budget"):
        p = rec.profile
        budget = p.budget_setup_cny + 12 * p.budget_monthly_cny
        if rec.cost_cny.first_year.p50 > budget:
            problems.append(
                f"first-year cost {rec.cost_cny.first_year.p50:,.0f} over the budget {budget:,.0f}"
            )
    if "hires_at_most" in want and rec.staffing.hires_fte > want["hires_at_most"]:
        problems.append(f"hires {rec.staffing.hires_fte} > {want['hires_at_most']}")
    assert not problems, f"plan {rec.plan.code!r}: " + "; ".join(problems)
