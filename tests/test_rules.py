"""One test per rule: a profile it fires for and one it must not fire for, plus dating and citations."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import BASE_PROFILE, make_profile

from engine.assumptions import load
from engine.fit import assess_fit
from engine.profile import DOUYIN_LEVELS, MODULES, MerchantProfile
from engine.recommend import recommend
from engine.rules import RULES, RULES_BY_ID, fire
from engine.sources import SOURCES, parse_cite

NOW = "2026-11-21"
BEFORE_LINK = "2023-06-01"  # inside the windows of rules that ended with the 2024-05 re-organisation

# rule id -> (changes that make it fire, changes that make it not fire, date it is in force).
# The "must not fire" entry is a dict of profile changes; an "as_of" key in it checks on another date
# instead (for rules whose predicate holds for every merchant, only the date can switch them off).
# ``None`` marks a rule that holds for every merchant on every date (a module's basic description):
# it is then checked against a spread of very different profiles.
RULE_TABLE: dict[str, tuple[dict, dict | None, str]] = {
    "channels_public_entry": ({}, None, NOW),
    "shop_official_shelf": ({}, None, NOW),
    "miniprogram_mature_shelf": ({}, {"as_of": "2024-06-01"}, NOW),  # the evidence is from late 2024
    "wecom_official_contact": ({}, None, NOW),
    "keep_running": ({"existing_modules": ["wecom"]}, {"existing_modules": []}, NOW),
    "douyin_native_easy_channels": (
        {"douyin_presence": "established"},
        {"douyin_presence": "starting"},
        NOW,
    ),
    "douyin_native_heavy_asset": (
        {"douyin_presence": "leading", "private_domain": "none"},
        {"douyin_presence": "leading", "private_domain": "established"},
        NOW,
    ),
    "private_domain_veteran_icing": ({"private_domain": "established"}, {"private_domain": "basic"}, NOW),
    "channels_miniprogram_linked": (
        {"existing_modules": ["miniprogram"]},
        {"existing_modules": [], "private_domain": "basic", "shelf_platforms": []},
        NOW,
    ),
    "channels_miniprogram_unlinked": (
        {"existing_modules": ["miniprogram"]},
        {"existing_modules": ["wecom"]},
        BEFORE_LINK,
    ),
    "people_not_fees": ({"staff_fte": 2}, {"staff_fte": 3}, NOW),
    "long_break_in": ({"private_domain": "none"}, {"private_domain": "established"}, NOW),
    "self_exploration_without_benchmarks": (  # by size, whatever the business type (001:24-25)
        {"business_type": "brand", "private_domain": "none"},
        {"business_type": "individual", "private_domain": "none", "current_monthly_gmv_cny": 2_000_000},
        NOW,
    ),
    "large_brand_patience": (
        {"business_type": "chain_store", "staff_fte": 10, "budget_monthly_cny": 50_000},
        {"business_type": "brand", "staff_fte": 9.5, "budget_monthly_cny": 99_000},
        NOW,
    ),
    "individual_channels_fit": ({"business_type": "individual"}, {"business_type": "chain_store"}, NOW),
    "individual_category_fit": (
        {"business_type": "individual", "category": "beauty"},
        {"business_type": "individual", "category": "food"},
        NOW,
    ),
    "matrix_selling": ({"distributors": 20}, {"distributors": 19}, NOW),
    "daihuoren_network": (
        {"distributors": 1},
        {"distributors": 0, "business_type": "chain_store"},
        NOW,
    ),
    "gifting_category_fit": ({"category": "jewelry"}, {"category": "apparel"}, NOW),
    "light_decision_core_categories": ({"category": "apparel"}, {"category": "jewelry"}, NOW),
    "shelf_merchant_repeat": (
        {"shelf_platforms": ["taobao"], "goal": "repeat"},
        {"shelf_platforms": ["taobao"], "goal": "acquisition"},
        NOW,
    ),
    "repeat_goal_private_chain": ({"goal": "repeat"}, {"goal": "acquisition"}, NOW),
    "acquisition_goal_public": ({"goal": "acquisition"}, {"goal": "both"}, NOW),
    "mall_needs_traffic": ({"private_domain": "basic"}, {"shelf_platforms": ["taobao"]}, NOW),
    "diversion_crackdown": ({"goal": "repeat"}, {"as_of": "2024-05-27"}, NOW),
    "live_after_sales_load": ({"existing_modules": []}, {"existing_modules": ["channels"]}, NOW),
    "limited_paid_traffic": ({"douyin_presence": "established"}, {"douyin_presence": "starting"}, NOW),
    "older_audience": ({"audience_age": "older"}, {"audience_age": "mixed"}, NOW),
    "young_audience": ({"audience_age": "young"}, {"audience_age": "older"}, NOW),
    "social_trust_both_ways": (
        {"distributors": 1},
        {"distributors": 0, "business_type": "brand"},
        NOW,
    ),
    "early_trust_gaps": ({}, {"as_of": "2024-05-29"}, BEFORE_LINK),
    "growth_grades": ({}, {"as_of": "2024-05-28"}, NOW),
    "shop_rename_all_scenes": ({}, {"as_of": "2024-07-31"}, NOW),
}

# Very different merchants, for rules that must fire for everyone.
SPREAD: list[dict] = [
    make_profile(),
    make_profile(
        business_type="individual",
        category="beauty",
        private_domain="none",
        staff_fte=1,
        budget_setup_cny=0,
        budget_monthly_cny=0,
        goal="acquisition",
        audience_age="young",
    ),
    make_profile(
        business_type="social_commerce",
        distributors=5000,
        private_domain="advanced",
        existing_modules=["channels", "shop", "miniprogram", "wecom"],
        goal="repeat",
        audience_age="older",
    ),
    make_profile(
        business_type="manufacturer",
        category="electronics",
        douyin_presence="leading",
        shelf_platforms=["taobao", "jd", "pdd"],
        private_domain="none",
        staff_fte=200,
        city_tier=1,
    ),
]


def _fired(changes: dict, as_of: str) -> set[str]:
    profile = MerchantProfile.model_validate(make_profile(**changes))
    return {f.rule.id for f in fire(profile, date.fromisoformat(as_of))}


def test_table_covers_every_rule():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)), "rule ids must be unique"
    missing = set(ids) - set(RULE_TABLE)
    stale = set(RULE_TABLE) - set(ids)
    assert not missing, f"rules without a unit test in RULE_TABLE: {sorted(missing)}"
    assert not stale, f"RULE_TABLE names rules that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("rule_id", list(RULE_TABLE))
def test_rule_fires(rule_id):
    fires, _, as_of = RULE_TABLE[rule_id]
    assert RULES_BY_ID[rule_id].in_force(date.fromisoformat(as_of)), f"{as_of} outside {rule_id}'s window"
    assert rule_id in _fired(fires, as_of)


@pytest.mark.parametrize("rule_id", list(RULE_TABLE))
def test_rule_does_not_fire_for_opposite(rule_id):
    _, not_fires, as_of = RULE_TABLE[rule_id]
    if not_fires is None:
        for profile in SPREAD:
            p = MerchantProfile.model_validate(profile)
            assert rule_id in {f.rule.id for f in fire(p, date.fromisoformat(as_of))}, profile
            for day in ("2021-03-25", "2023-06-01", "2025-06-01"):
                assert rule_id in {f.rule.id for f in fire(p, date.fromisoformat(day))}, (day, profile)
        return
    changes = dict(not_fires)
    day = changes.pop("as_of", as_of)
    assert rule_id not in _fired(changes, day)


def test_keep_running_only_touches_the_running_modules():
    profile = MerchantProfile.model_validate(make_profile(existing_modules=["miniprogram", "wecom"]))
    (firing,) = [f for f in fire(profile, date(2026, 11, 21)) if f.rule.id == "keep_running"]
    assert {e.module for e in firing.effects} == {"miniprogram", "wecom"}
    assert all(e.keep for e in firing.effects)


# --- dated behaviour --------------------------------------------------------------------------


def test_gifting_starts_in_december_2024():
    assert "gifting_category_fit" not in _fired({"category": "jewelry"}, "2024-11-30")
    assert "gifting_category_fit" in _fired({"category": "jewelry"}, "2024-12-02")


def test_gifting_cites_only_lines_that_hold_before_the_article():
    """On 2024-12-02 the 2025 article's gifting lines hold (explicit holds_from), its 004:51 does not yet."""
    profile = MerchantProfile.model_validate(make_profile(category="jewelry"))
    (firing,) = [f for f in fire(profile, date(2024, 12, 2)) if f.rule.id == "gifting_category_fit"]
    assert firing.sources
    assert not any(s.endswith(":51") for s in firing.sources)


def test_unlinked_fires_in_2023_and_stops_at_the_reorg():
    changes = {"existing_modules": ["miniprogram"]}
    assert "channels_miniprogram_unlinked" in _fired(changes, "2023-06-01")
    assert "channels_miniprogram_unlinked" in _fired(changes, "2024-05-27")
    for day in ("2024-05-28", "2024-06-01", "2025-01-01", NOW):
        assert "channels_miniprogram_unlinked" not in _fired(changes, day), day


def test_linked_replaces_unlinked_at_the_reorg():
    changes = {"existing_modules": ["miniprogram"]}
    assert "channels_miniprogram_linked" not in _fired(changes, "2024-05-27")
    assert "channels_miniprogram_linked" in _fired(changes, "2024-05-28")


def test_early_trust_gaps_stops_when_growth_grades_arrive():
    assert "early_trust_gaps" in _fired({}, "2024-05-28")
    assert "growth_grades" not in _fired({}, "2024-05-28")
    assert "early_trust_gaps" not in _fired({}, "2024-05-29")
    assert "growth_grades" in _fired({}, "2024-05-29")


def test_daihuoren_not_before_2025():
    assert "daihuoren_network" not in _fired({"distributors": 50}, "2024-12-31")
    assert "daihuoren_network" in _fired({"distributors": 50}, "2025-02-01")


def test_paid_traffic_citations_move_from_2022_to_2025_article():
    changes = {"douyin_presence": "established"}
    profile = MerchantProfile.model_validate(make_profile(**changes))

    def sources(day: date) -> tuple[str, ...]:
        (firing,) = [f for f in fire(profile, day) if f.rule.id == "limited_paid_traffic"]
        return firing.sources

    assert all(s.startswith("000_") for s in sources(date(2023, 6, 1)))
    assert all(s.startswith("004_") for s in sources(date(2026, 11, 21)))
    # Before the 2022 article nothing backs the rule, so it cannot fire.
    assert "limited_paid_traffic" not in _fired(changes, "2021-06-01")


CHECK_DATES = [
    "2021-03-25",
    "2021-06-01",
    "2022-07-26",
    "2023-06-01",
    "2024-01-15",
    "2024-05-27",
    "2024-05-28",
    "2024-05-29",
    "2024-08-01",
    "2024-10-22",
    "2024-10-28",
    "2024-11-30",
    "2024-12-02",
    "2025-01-31",
    "2025-02-01",
    NOW,
]


@pytest.mark.parametrize("as_of", CHECK_DATES)
def test_no_citation_from_the_future(as_of):
    """A firing on ``as_of`` never cites an article published later, unless that citation carries an
    explicit holds_from on or before ``as_of`` (a dated event the later article documents)."""
    day = date.fromisoformat(as_of)
    profiles = [make_profile(**fires) for fires, _, _ in RULE_TABLE.values()] + SPREAD
    for profile in profiles:
        p = MerchantProfile.model_validate(profile)
        for firing in fire(p, day):
            assert firing.sources, firing.rule.id
            for ref in firing.sources:
                source, _ = parse_cite(ref)
                if source.published <= day:
                    continue
                explicit = [
                    c
                    for c in firing.rule.sources
                    if c.ref == ref and c.holds_from is not None and c.holds_from <= day
                ]
                assert explicit, f"{firing.rule.id} cites {ref} (published {source.published}) on {day}"


@pytest.mark.parametrize(
    ("as_of", "name"),
    [
        ("2024-06-01", "视频号小店"),
        ("2024-07-31", "视频号小店"),
        ("2024-09-01", "微信小店"),
        (NOW, "微信小店"),
    ],
)
def test_shop_name_follows_the_rename(as_of, name):
    rec = recommend(BASE_PROFILE, as_of=as_of, draws=200, seed=0, lang="zh", with_counterfactuals=False)
    assert rec.modules["shop"].name == name


# --- every rule is explained and cited ---------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_text_and_citations(rule):
    for lang in ("zh", "en"):
        assert rule.label.get(lang, "").strip(), f"{rule.id}: empty {lang} label"
        assert rule.rationale.get(lang, "").strip(), f"{rule.id}: empty {lang} rationale"
        assert rule.text(lang) == rule.rationale[lang]
    assert len(rule.sources) >= 1
    for cite in rule.sources:
        source, line = parse_cite(cite.ref)
        assert source.file in SOURCES
        assert 1 <= line <= source.lines
        if cite.holds_from and cite.holds_until:
            assert cite.holds_from < cite.holds_until, cite
    assert rule.effects, rule.id
    assert {e.module for e in rule.effects} <= set(MODULES)


@pytest.mark.parametrize(
    "day", ["2021-06-01", "2022-09-01", "2023-09-01", "2024-06-01", "2024-11-01", "2026-11-21"]
)
def test_douyin_experience_never_lowers_the_channels_fit(day):
    """Experience on Douyin can only help on Channels (001:11); its limits are warnings and economics."""
    aset = load()
    fits = [
        assess_fit(
            MerchantProfile.model_validate(make_profile(douyin_presence=level)), aset, date.fromisoformat(day)
        ).fit["channels"]
        for level in DOUYIN_LEVELS
    ]
    assert fits == sorted(fits), (day, fits)


def test_gifting_is_for_gift_categories_not_food():
    """004:51 names gold jewellery growing with gifting; food is a core light-decision category, not a gift."""
    assert "gifting_category_fit" in _fired({"category": "jewelry"}, NOW)
    assert "gifting_category_fit" not in _fired({"category": "food"}, NOW)


def test_individuals_get_no_penalty_on_the_mall_or_wecom():
    """002:76-81 support Channels for individuals; they say nothing against a mall or WeCom."""
    (firing,) = [f for f in fire(MerchantProfile.model_validate(make_profile(business_type="individual")), date(2026, 11, 21))
                 if f.rule.id == "individual_channels_fit"]  # fmt: skip
    assert all(e.fit >= 0 for e in firing.effects)


def test_rule_citations_say_what_the_rule_says():
    """Lines that were cited for something they do not say stay out of those rules."""
    refs = {r.id: {c.ref.split("_")[0] + ":" + c.ref.rsplit(":", 1)[1] for c in r.sources} for r in RULES}
    assert "002:19" not in refs["miniprogram_mature_shelf"]
    assert "002:91" not in refs["keep_running"]
    assert "001:14" not in refs["acquisition_goal_public"]
    assert {"003:10", "003:11"} <= refs["growth_grades"]
    early = {c.ref.rsplit(":", 1)[1]: c.holds_from for c in RULES_BY_ID["growth_grades"].sources}
    assert early["10"] == date(2023, 6, 1) and early["11"] == date(2024, 5, 29)


def test_every_fit_effect_has_its_size_in_the_assumptions_and_no_size_is_orphaned():
    """The rules say which modules they move; assumptions/rules.yaml says by how much, with a range."""
    effects = load().rules.effects
    moved = {(r.id, e.module) for r in RULES for e in r.effects if e.fit}
    sized = {(rule, module) for rule, by in effects.items() for module in by}
    assert moved == sized
    for rule, module in moved:
        p = effects[rule][module]
        v = p.at(date(2026, 11, 21))
        assert p.distribution == "pert" and v.low < v.high, (rule, module)
        assert any(ref.seed for ref in p.references) and any(ref.estimate for ref in p.references)


def test_the_rules_effect_sizes_are_monte_carlo_inputs():
    """With a rule's effect size varied, the plan's draws vary with it (the sensitivity can see it)."""
    import numpy as np

    from engine import model
    from engine.fit import fit_draws

    aset = load()
    day = date(2026, 11, 21)
    profile = MerchantProfile.model_validate(make_profile(business_type="individual", category="beauty"))
    f = assess_fit(profile, aset, day)
    fits = fit_draws([f], aset, model.draw(aset, day, 500, np.random.default_rng(1)))
    channels = fits[0, MODULES.index("channels")]
    assert channels.std() > 0.01
    assert abs(np.median(channels) - f.fit["channels"]) < 0.05
