"""The inputs every entry point checks (engine/inputs.py): a bad plan, date, draw count, level or horizon raises
:class:`InputError` naming the field, before anything is simulated."""

from __future__ import annotations

import pytest
from conftest import AS_OF, make_profile

from engine.errors import InputError
from engine.inputs import check_horizon, check_levels
from engine.recommend import recommend


@pytest.mark.parametrize("plan", ["channels,tiktok", "channels>mall", "", "shop>>wecom", "shop,shop"])
def test_bad_plan_raises(plan):
    with pytest.raises(InputError) as exc:
        recommend(make_profile(), as_of=AS_OF, draws=200, seed=0, plan=plan)
    assert exc.value.field == "plan"


@pytest.mark.parametrize("as_of", ["2021-03-24", "2020-01-01", "not-a-date"])
def test_bad_as_of_raises(as_of):
    with pytest.raises(InputError) as exc:
        recommend(make_profile(), as_of=as_of, draws=200, seed=0)
    assert exc.value.field == "as_of"


def test_earliest_evidence_date_is_accepted():
    rec = recommend(make_profile(), as_of="2021-03-25", draws=200, seed=0, with_counterfactuals=False)
    assert str(rec.as_of) == "2021-03-25"


@pytest.mark.parametrize("draws", [5, 0, -1, 99])
def test_bad_draws_raises(draws):
    with pytest.raises(InputError) as exc:
        recommend(make_profile(), as_of=AS_OF, draws=draws, seed=0)
    assert exc.value.field == "draws"


@pytest.mark.parametrize(
    ("levels", "field", "allowed"),
    [({"tiktok": "lean"}, "level", "channels"), ({"channels": "huge"}, "level channels", "lean")],
)
def test_a_bad_level_names_the_module_and_what_is_allowed(levels, field, allowed):
    with pytest.raises(InputError) as exc:
        check_levels(levels)
    assert exc.value.field == field and allowed in str(exc.value)


def test_levels_and_horizon_pass_through_when_good_or_absent():
    assert check_levels({"channels": "lean"}) == {"channels": "lean"}
    assert check_levels(None) is None and check_levels({}) is None
    assert [check_horizon(h) for h in (None, 12, 24, 36)] == [None, 12, 24, 36]


@pytest.mark.parametrize("months", [18, 0, True, "12"])
def test_a_bad_horizon_names_the_allowed_months(months):
    with pytest.raises(InputError) as exc:
        check_horizon(months)
    assert exc.value.field == "horizon_months" and "12, 24, 36" in str(exc.value)
