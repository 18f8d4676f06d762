"""Variants of the current assessment (issue 10, "Misleading"): changes to profile fields and options, kept in
the URL; a forced plan labelled forced beside what the engine recommends; close calls explained by the engine."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from streamlit.testing.v1 import AppTest

from app.i18n import t
from app.state import AppState, parse_query, to_query
from engine import recommend
from engine.compare import (
    QUICK_VARIANTS,
    Variant,
    VariantError,
    apply_variant,
    change,
    close_call_text,
    compare,
    describe,
    parse_variant,
    quick_variants,
)
from engine.errors import text as message_text
from engine.i18n import LANGS
from engine.presets import preset
from engine.profile import MerchantProfile
from engine.render.markdown import comparison_markdown
from tests.conftest import AS_OF, ROOT, make_profile

COMPARE = str(ROOT / "app" / "views" / "compare.py")
ASSESS = str(ROOT / "app" / "views" / "assess.py")
FAST = {"draws": "1000", "as_of": AS_OF}


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("WXPLAN_DATABASE_URL", f"sqlite:///{tmp_path / 'scenarios.db'}")


@pytest.fixture(scope="module")
def shelf() -> tuple[MerchantProfile, object]:
    p = preset("shelf_repeat")
    return p, recommend(p, as_of=AS_OF, draws=2000, seed=0, lang="en")


# --- the variant language (pure) -----------------------------------------------------------------


def test_a_variant_changes_only_what_it_names():
    base = MerchantProfile.model_validate(make_profile(staff_fte=4, budget_monthly_cny=50_000))
    v = parse_variant("staff_fte+2;budget_monthly_cny*1.5;douyin_presence+1;category=beauty;salary=1.2")
    got = apply_variant(v, base, {"saas": 1.1}, None)
    assert got.profile.staff_fte == 6 and got.profile.budget_monthly_cny == 75_000
    assert got.profile.douyin_presence == "starting" and got.profile.category == "beauty"
    assert got.overrides == {"saas": 1.1, "salary": 1.2} and got.plan is None
    unchanged = {k for k in MerchantProfile.model_fields} - {
        "staff_fte",
        "budget_monthly_cny",
        "douyin_presence",
        "category",
    }
    assert all(getattr(got.profile, k) == getattr(base, k) for k in unchanged)
    forced = apply_variant(parse_variant("plan=channels,shop>wecom;as_of=2026-01-05"), base, {}, None)
    assert forced.plan == "channels,shop>wecom" and forced.as_of.isoformat() == "2026-01-05"


def test_relative_changes_follow_the_assessment_they_vary():
    v = parse_variant("staff_fte+2")
    for staff in (1, 3, 7.5):
        base = MerchantProfile.model_validate(make_profile(staff_fte=staff))
        assert apply_variant(v, base, {}, None).profile.staff_fte == staff + 2


@pytest.mark.parametrize(
    "text, key",
    [
        ("nosuch=1", "error.variant.field"),
        ("staff_fte+many", "error.variant.number"),
        ("category+1", "error.variant.set_only"),
        ("douyin_presence+0.5", "error.variant.steps"),
        ("", "error.variant.empty"),
        ("staff_fte", "error.variant.syntax"),
        (";".join(["staff_fte+1"] * 9), "error.variant.too_many"),
    ],
)
def test_a_variant_that_cannot_be_read_says_why_in_both_languages(text, key):
    with pytest.raises(VariantError) as err:
        parse_variant(text)
    assert err.value.message.parts[0][0] == key
    zh = message_text(err.value.message, "zh")
    assert zh != str(err.value) and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_a_change_the_profile_cannot_take_is_refused_when_applied():
    base = MerchantProfile.model_validate(make_profile(douyin_presence="leading", staff_fte=1))
    with pytest.raises(VariantError):
        apply_variant(parse_variant("douyin_presence+1"), base, {}, None)
    with pytest.raises(VariantError):  # an estimated figure cannot be scaled, only set
        apply_variant(parse_variant("current_monthly_gmv_cny*2"), base, {}, None)
    with pytest.raises(ValidationError):  # no staff left
        apply_variant(parse_variant("staff_fte-1"), base, {}, None)


def test_a_variant_reads_back_from_its_text():
    v = parse_variant("staff_fte+2;existing_modules=wecom,shop;plan=channels>shop;label=Client A")
    assert parse_variant(v.text) == v and v.label == "Client A" and v.plan == "channels>shop"
    assert parse_variant("staff_fte 2") == parse_variant("staff_fte+2")  # a "+" a link turned into a space


def test_one_click_variants_fit_the_profile_and_are_named_in_both_languages(shelf):
    p, rec = shelf
    quick = quick_variants(rec)
    assert set(QUICK_VARIANTS) <= set(quick) | {"douyin_up", "private_up"}
    assert quick["runner_up"].plan == rec.alternatives[0].plan.code
    for lang in LANGS:
        assert describe(quick["staff_up"], lang) == t("quick.staff_up", lang)
    top = rec.model_copy(
        update={"profile": p.model_copy(update={"douyin_presence": "leading", "staff_fte": 1})}
    )
    names = set(quick_variants(top))
    assert "douyin_up" not in names and "staff_down" not in names and "staff_up" in names
    custom = Variant(changes=(change("staff_fte", "+", 3), change("category", "=", "food")))
    assert (
        describe(custom, "zh")
        == f"{t('field.staff_fte.label', 'zh')} +3；{t('field.category.label', 'zh')} = 食品"
    )


# --- the variants in the URL ---------------------------------------------------------------------


def test_variants_live_in_the_link_and_come_back_from_it():
    state = AppState(
        profile=preset("individual_seller"),
        lang="en",
        variants=(parse_variant("staff_fte+2"), parse_variant("plan=wecom;salary=1.2")),
    )
    query = to_query(state)
    assert query["v1"] == "staff_fte+2" and query["v2"] == "plan=wecom;salary=1.2"
    back = parse_query(query)
    assert back.variants == state.variants and not back.problems


def test_a_bad_variant_in_a_link_is_a_warning_and_dropped():
    query = to_query(AppState(profile=preset("individual_seller"))) | {"v1": "staff_fte+2", "v2": "nosuch=3"}
    state = parse_query(query)
    assert state.variants == (parse_variant("staff_fte+2"),)
    [(param, message)] = state.problems
    assert param == "v2" and "nosuch" in message


# --- the comparison: forced plans and close calls ------------------------------------------------


def test_a_forced_plan_is_labelled_forced_and_the_recommendation_kept_beside_it(shelf):
    p, rec = shelf
    forced = recommend(p, as_of=AS_OF, draws=2000, seed=0, lang="en", plan="wecom")
    cmp = compare([("now", rec), ("WeCom", forced)], "en", [None, rec])
    rows = {r.key: r for r in cmp.rows}
    assert rows["kind"].values == [t("compare.kind.recommended", "en"), t("compare.kind.forced", "en")]
    assert rows["recommended"].values == [
        t("compare.same_plan", "en"),
        f"{rec.plan.label} ({rec.win_probability:.0%})",
    ]
    assert rows["plan"].label == t("compare.plan", "en") != t("report.plan", "en")
    assert all(t("report.plan", "en") not in r.label for r in cmp.rows)  # "Recommended plan" names no row
    assert rec.plan.label in cmp.notes[1][0] and t("compare.kind.forced", "en") in cmp.notes[1][0]
    md = comparison_markdown(cmp)
    assert t("compare.kind.forced", "en") in md and t("compare.notes", "en") in md


def test_without_a_forced_plan_there_is_no_recommendation_row(shelf):
    _, rec = shelf
    cmp = compare([("a", rec), ("b", rec)], "en")
    assert "recommended" not in {r.key for r in cmp.rows}


def test_close_calls_are_codes_and_figures_the_edge_puts_in_words(shelf):
    _, rec = shelf
    codes = {c.code for c in rec.close_calls}
    assert codes, "the shelf merchant's ranking is close (its set wins in about a third of the draws)"
    for call in rec.close_calls:
        for lang in LANGS:
            text = close_call_text(call, rec.model_copy(update={"lang": lang}), lang)
            assert "{" not in text and text
    if "simpler_within_margin" in codes:
        call = next(c for c in rec.close_calls if c.code == "simpler_within_margin")
        assert 0 < call.figures["gap_cny"] <= call.figures["margin_cny"]
        assert call.figures["phases"] < call.figures["other_phases"]


def test_a_set_first_in_more_draws_yet_behind_on_the_mean_is_explained():
    """Search the archetypes and a few team sizes for a result whose alternative ranks first more often."""
    found = None
    for pid in ("douyin_native_brand", "individual_seller", "distributor_network", "shelf_repeat"):
        for staff in (1, 2, 3, 5, 8):
            rec = recommend(
                preset(pid).model_copy(update={"staff_fte": staff}), as_of=AS_OF, draws=1000, lang="en"
            )
            if any(a.win_probability > rec.win_probability for a in rec.alternatives):
                found = rec
                break
        if found:
            break
    if found is None:
        pytest.skip("no archetype gives an alternative that ranks first more often")
    codes = {c.code for c in found.close_calls}
    assert codes & {"more_draws_elsewhere", "simpler_within_margin"}, found.close_calls
    call = next(c for c in found.close_calls if c.code in ("more_draws_elsewhere", "simpler_within_margin"))
    if call.code == "more_draws_elsewhere":
        f = call.figures
        assert f["other_win"] > f["win"] and f["mean_cny"] >= f["other_mean_cny"]
        # more behind less often, or ahead by more: the mean favours the recommended plan
        assert f["ahead_by_cny"] * (1 - f["share_behind"]) >= f["behind_by_cny"] * f["share_behind"] - 1


def test_more_and_fewer_staff_giving_the_same_plan_is_explained(shelf):
    _, rec = shelf
    up = {
        c.plan
        for c in rec.counterfactuals
        if c.field == "staff_fte" and float(c.value) > rec.profile.staff_fte
    }
    down = {
        c.plan
        for c in rec.counterfactuals
        if c.field == "staff_fte" and float(c.value) < rec.profile.staff_fte
    }
    both = [c for c in rec.close_calls if c.code.startswith("same_both_ways") and c.field == "staff_fte"]
    assert bool(up & down) == bool(both)
    for call in both:
        text = close_call_text(call, rec, "en")
        assert t("closecall.field.staff_fte", "en") in text and next(iter(up & down)) in text


# --- the pages (AppTest) -------------------------------------------------------------------------


def run(page: str, lang: str = "zh", query: dict | None = None) -> AppTest:
    at = AppTest.from_file(page, default_timeout=90)
    for key, value in ({"lang": lang} | FAST | (query or {})).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def columns(at: AppTest) -> list[str]:
    [table] = at.table
    return [c.replace("\\", "") for c in list(table.value.columns)[1:]]  # the page escapes Markdown


def test_compare_opens_on_the_variants_of_a_link_beside_the_current_assessment():
    at = run(COMPARE, "en", {"v1": "staff_fte+2", "v2": "plan=wecom"})
    assert at.radio(key="cmp_mode.en").value == "variants"
    forced = describe(parse_variant("plan=wecom"), "en")
    assert columns(at) == [t("comparepage.current", "en"), t("quick.staff_up", "en"), forced]
    rows = at.table[0].value.to_dict("records")
    [kind] = [r for r in rows if t("compare.kind", "en") in r[t("comparepage.col.row", "en")]]
    cells = [v.replace("\\", "") for k, v in kind.items() if k != t("comparepage.col.row", "en")]
    assert t("compare.kind.recommended", "en") in cells[0] and t("compare.kind.recommended", "en") in cells[1]
    assert t("compare.kind.forced", "en") in cells[2]
    notes = [m.value for m in at.markdown if t("compare.kind.forced", "en") in m.value.replace("\\", "")]
    assert notes, "the forced column says what the engine recommends instead"


def test_building_a_profile_variant_in_the_editor(store):
    at = run(COMPARE, "en")
    at.radio(key="cmp_mode.en").set_value("variants").run()
    assert not at.table and at.info[0].value == t("comparepage.need_variant", "en")
    at.selectbox(key="cmp_new0_field").set_value("budget_monthly_cny").run()
    at.selectbox(key="cmp_new0_op.budget_monthly_cny").set_value("*").run()
    at.number_input(key="cmp_new0_value.budget_monthly_cny.*").set_value(2.0).run()
    at.selectbox(key="cmp_new1_field").set_value("douyin_presence").run()
    at.button(key="cmp_new_add").click().run()
    assert not at.exception and not at.error
    [variant] = at.session_state["wx_active"].variants
    assert variant.text == "budget_monthly_cny*2;douyin_presence+1"
    assert len(columns(at)) == 2
    # a variant the profile cannot take is refused next to the editor, the set unchanged
    at.selectbox(key="cmp_new0_field").set_value("staff_fte").run()
    at.selectbox(key="cmp_new0_op.staff_fte").set_value("-").run()
    at.number_input(key="cmp_new0_value.staff_fte.-").set_value(50.0).run()
    at.button(key="cmp_new_add").click().run()
    assert at.error and t("field.staff_fte.label", "en") in at.error[0].value
    assert len(at.session_state["wx_active"].variants) == 1
    at.button(key="cmp_remove_0").click().run()
    assert at.session_state["wx_active"].variants == () and not at.table


def test_one_click_variant_buttons_on_compare_add_to_the_set():
    at = run(COMPARE, "zh", {"v1": "staff_fte+2"})
    assert at.button(key="cmp_quick_staff_up").disabled  # already in the set
    at.button(key="cmp_quick_budget_up").click().run()
    assert [v.text for v in at.session_state["wx_active"].variants] == [
        "staff_fte+2",
        "budget_setup_cny*1.5;budget_monthly_cny*1.5",
    ]
    assert columns(at) == [
        t("comparepage.current", "zh"),
        t("quick.staff_up", "zh"),
        t("quick.budget_up", "zh"),
    ]
