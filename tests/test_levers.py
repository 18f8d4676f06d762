"""Levers and the one search for the smallest change that flips the plan (engine/levers.py), read by both
the recommendation's "what would change this" and the sensitivity flips table."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from conftest import AS_OF, make_profile

from engine import levers, model
from engine.assumptions import load
from engine.i18n import t
from engine.plans import plan_code
from engine.profile import MerchantProfile
from engine.ranking import rank
from engine.recommend import recommend
from engine.sensitivity import sensitivity

DAY = date.fromisoformat(AS_OF)
PROFILES = {
    "one_person": make_profile(staff_fte=1),
    "douyin_brand": make_profile(douyin_presence="established", shelf_platforms=["taobao"], staff_fte=4),
}


@pytest.fixture(scope="module")
def aset():
    return load()


@pytest.mark.parametrize("name", PROFILES)
def test_the_counterfactual_list_and_the_flips_table_agree(name):
    """Same profile and seed: every counterfactual is a found flip with the same lever, value and plan, and
    every found flip is a counterfactual; the 'why' notes say the same."""
    profile, seed = PROFILES[name], 5
    rec = recommend(profile, as_of=AS_OF, draws=1500, seed=seed, lang="en")
    s = sensitivity(profile, as_of=AS_OF, draws=1500, seed=seed, sobol_n=64, lang="en")
    assert rec.plan.code == s.recommended.code
    cf = {(c.field, c.direction, c.value, c.plan_code, c.change) for c in rec.counterfactuals if c.field}
    flips = {(f.lever, f.direction, f.value, f.plan, f.change) for f in s.flips if f.found}
    assert cf == flips
    assert cf, "each profile has at least one lever that changes its plan"
    same = {c.note for c in rec.counterfactuals if c.note}
    assert same == {n.text for n in s.flip_notes if n.kind == "same"}


def test_the_smallest_step_flips_and_the_ones_before_do_not(aset):
    profile = MerchantProfile.model_validate(PROFILES["one_person"])
    d = model.draw(aset, DAY, 1000, np.random.default_rng(0))
    r = rank(profile, aset, DAY, d)
    found = levers.search(r)
    sub = d.head(found.draws)

    def best(step: levers.Step):
        rr = rank(step.profile, step.assumptions, DAY, sub)
        return rr.plans[rr.chosen]

    assert any(o.found for o in found.outcomes)
    for o in found.outcomes:
        if not o.found:
            if o.lever.steps and o.lever.ordered:  # unchanged at its largest step
                assert best(o.lever.steps[-1]) == found.base
            continue
        i = o.lever.steps.index(o.step)
        assert best(o.step) == o.plan != found.base
        assert all(best(s) == found.base for s in o.lever.steps[:i])


def test_levers_step_from_the_smallest_change_up(aset):
    p = MerchantProfile.model_validate(make_profile(staff_fte=2, budget_monthly_cny=40_000))
    by = {(lv.code, lv.direction): lv for lv in levers.levers(p, aset, DAY)}
    staff_up = [s.value for s in by["staff_fte", "up"].steps]
    assert staff_up == sorted(staff_up) and staff_up[0] == 2.5
    staff_down = [s.value for s in by["staff_fte", "down"].steps]
    assert staff_down == sorted(staff_down, reverse=True) and min(staff_down) > 0
    budget_down = [s.value for s in by["budget_monthly_cny", "down"].steps]
    assert budget_down == sorted(budget_down, reverse=True) and budget_down[0] == 32_000
    for lv in by.values():  # only the lever itself moves
        for s in lv.steps:
            if lv.code.startswith("weight."):
                assert s.profile == p and s.assumptions is not aset
            else:
                assert s.assumptions is aset and getattr(s.profile, lv.code) == s.value
    # no budget yet: amounts to start from, nothing to cut
    zero = MerchantProfile.model_validate(make_profile(budget_monthly_cny=0))
    by = {(lv.code, lv.direction): lv for lv in levers.levers(zero, aset, DAY)}
    assert [s.value for s in by["budget_monthly_cny", "up"].steps] == list(levers.BUDGET_FROM_ZERO)
    assert by["budget_monthly_cny", "down"].steps == ()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_changes_speak_the_users_language(aset, lang):
    """ "月预算 +¥8,000" / "monthly budget +¥8,000", never an internal factor like "价值权重 ÷5"."""
    p = MerchantProfile.model_validate(make_profile(budget_monthly_cny=32_000, staff_fte=3))
    by = {(lv.code, lv.direction): lv for lv in levers.levers(p, aset, DAY)}
    budget = by["budget_monthly_cny", "up"]
    text = levers.phrase(budget, budget.steps[0].value, lang)
    assert text.startswith({"zh": "月预算 +¥8,000", "en": "monthly budget +¥8,000"}[lang])
    staff = by["staff_fte", "down"]
    assert levers.phrase(staff, staff.steps[1].value, lang).startswith(
        {"zh": "人手 −1 人", "en": "staff −1 FTE"}[lang]
    )
    downside = by["weight.downside", "up"]
    assert "¥" in levers.phrase(downside, downside.steps[0].value, lang) or lang == "zh"
    for lv in by.values():
        for s in lv.steps:
            words = levers.phrase(lv, s.value, lang)
            assert not any(sym in words for sym in ("÷", "×2", "×5", "weight.", "_")), words


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_when_both_directions_agree_the_note_says_why(lang):
    """For every lever with an up and a down: a note exactly when both give the same answer, naming the
    plan and the recommended plan's lead over it."""
    for profile in PROFILES.values():
        s = sensitivity(profile, as_of=AS_OF, draws=1000, seed=2, sobol_n=64, lang=lang)
        noted = {code: n for n in s.flip_notes for code in n.levers}
        for code in levers.PAIRED:
            up, down = ([f for f in s.flips if f.lever == code and f.direction == d] for d in ("up", "down"))
            if not up or not down:
                continue
            (u,), (w,) = up, down
            agree = (not u.found and not w.found) or (u.found and w.found and u.plan == w.plan)
            assert (code in noted) == agree, code
            if agree:
                note = noted[code]
                assert note.kind == ("neither" if not u.found else "same")
                assert levers.label(code, lang, load()) in note.text and "¥" in note.text
                if note.kind == "same":
                    assert u.plan_label in note.text


def test_note_texts_in_both_languages():
    base = (("channels", "shop"),)
    for kind, tie in (("neither", False), ("neither", True), ("same", False), ("same", True)):
        note = levers.Note(("staff_fte", "budget_monthly_cny"), kind, base, 5_688.0, tie)  # type: ignore[arg-type]
        for lang in ("zh", "en"):
            text = levers.note_text(note, lang, "Plan X")
            assert "5,688" in text and "Plan X" in text
            assert t("lever.staff_fte", lang) in text and t("lever.budget_monthly_cny", lang) in text
    alone = levers.Note(("staff_fte",), "neither", None, None, False)
    assert levers.note_text(alone, "en", None) == t("lever.note.neither_alone", "en", lever="Staff")
    assert plan_code(base) == "channels,shop"


def test_rescoring_under_other_weights_is_ranking_from_scratch():
    """The weight levers re-score the plans on the same simulation (engine.ranking.rescore) instead of
    simulating again: the scores and the choice are those of a ranking from scratch, to the last bit."""
    from engine.ranking import rescore

    aset = load()
    profile = MerchantProfile.model_validate(make_profile(staff_fte=2, douyin_presence="established"))
    d = model.draw(aset, DAY, 600, np.random.default_rng(5))
    base = rank(profile, aset, DAY, d)
    weights = [lv for lv in levers.levers(profile, aset, DAY) if lv.code.startswith("weight.")]
    assert weights
    for lever in weights:
        for step in lever.steps:
            fresh, quick = rank(profile, step.assumptions, DAY, d), rescore(base, step.assumptions)
            assert np.array_equal(fresh.scores, quick.scores) and fresh.chosen == quick.chosen
