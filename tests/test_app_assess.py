"""The Assess page in Streamlit's AppTest: presets, submit, bad input, overrides, language, URL in and out."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from app.i18n import t
from app.state import DEFAULT_DRAWS
from app.ui import fmt
from engine.presets import DEFAULT_PRESET, preset
from engine.recommend import recommend
from tests.conftest import ROOT

PAGE = str(ROOT / "app" / "views" / "assess.py")


def run(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.subheader] + [e.value for e in at.title]
    parts += [e.value for e in at.warning] + [e.value for e in at.error] + [e.value for e in at.caption]
    return "\n".join(str(p) for p in parts)


def specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def title_of(spec: dict) -> str:
    title = spec.get("title", "")
    return title.get("text", "") if isinstance(title, dict) else title


def test_default_page_shows_a_recommendation_in_chinese():
    at = run()
    assert at.title[0].value == t("app.title", "zh")
    assert any(t("ui.headline.plan", "zh") in s.value for s in at.subheader)
    # the cash-flow fan chart under the headline, then the six charts of the plan
    assert len(at.get("vega_lite_chart")) == 7
    assert title_of(specs(at)[0]) == t("chart.cashflow.title", "zh")
    assert [b.key for b in at.get("download_button")] == ["dl_pdf", "dl_html", "dl_md", "dl_json"]
    assert len(badges(at)) == 4  # one verdict per module


def test_the_headline_leads_with_the_money():
    """Net, payback and the chance of paying back come first, as the recommendation computes them."""
    at = run({"lang": "en"})
    rec = recommend(preset(DEFAULT_PRESET), lang="en", draws=DEFAULT_DRAWS, seed=0)  # what the page ran
    metrics = [(m.label, m.value) for m in at.metric]
    v = rec.value
    months = v.horizon_months
    assert [label for label, _ in metrics[:3]] == [
        t("ui.headline.net", "en"),
        t("ui.headline.payback", "en"),
        t("ui.headline.p_payback", "en", months=months),
    ]
    assert metrics[0][1] == f"¥{fmt(v.net_cny.first_year.p50)}"
    payback = (
        t("ui.headline.month", "en", month=fmt(v.payback_months.p50))
        if v.payback_months.p50 is not None
        else t("report.beyond_horizon", "en", months=months)
    )
    assert metrics[1][1] == payback
    assert metrics[2][1] == f"{v.p_payback_within_horizon:.0%}"
    # the cost and the win probability of the module set follow
    labels = [label for label, _ in metrics]
    assert labels.index(t("ui.headline.first_year", "en")) > 2
    assert dict(metrics)[t("ui.headline.win", "en")] == f"{rec.win_probability:.0%}"
    # the fan chart holds the cumulative net of every month of the horizon
    rows = pa.ipc.open_stream(at.get("vega_lite_chart")[0].proto.data.data).read_all().to_pylist()
    assert [r["month"] for r in rows] == list(range(1, months + 1))
    assert [r["p50"] for r in rows] == [c.cumulative_net.p50 for c in v.cashflow]
    # the scale used is shown, flagged as estimated when the profile leaves it empty
    scale = t("ui.headline.scale", "en", gmv=fmt(rec.scale.current_monthly_gmv_cny),
              gmv_note=t("ui.estimated", "en") if rec.scale.gmv_inferred else "",
              reach=fmt(rec.scale.reachable_customers),
              reach_note=t("ui.estimated", "en") if rec.scale.reach_inferred else "")  # fmt: skip
    assert scale in texts(at)


def test_current_gmv_and_reach_are_used_not_estimated():
    at = run({"lang": "en"})
    at.number_input(key="f_current_monthly_gmv_cny").set_value(2_000_000.0)
    at.number_input(key="f_reachable_customers").set_value(30_000)
    at.button(key="submit").click().run()
    assert not at.exception
    assert at.query_params["current_monthly_gmv_cny"] == "2000000"
    assert at.query_params["reachable_customers"] == "30000"
    expected = t("ui.headline.scale", "en", gmv=fmt(2_000_000), gmv_note="", reach=fmt(30_000), reach_note="")
    assert expected in texts(at)


def test_alternatives_show_net_and_payback():
    at = run({"lang": "en"})
    tables = [tb.value for tb in at.table if t("ui.alt.plan", "en") in tb.value.columns]
    assert len(tables) == 1
    columns = list(tables[0].columns)
    assert columns[:3] == [t("ui.alt.plan", "en"), t("ui.alt.net", "en"), t("ui.alt.payback", "en")]
    charted = [s for s in specs(at) if title_of(s) == t("chart.alternatives.title", "en")]
    assert len(charted) == 1
    assert t("chart.axis.net_first_year_cny", "en") in json.dumps(charted[0], ensure_ascii=False)


def test_english_from_the_url():
    at = run({"lang": "en"})
    assert at.title[0].value == t("app.title", "en")
    assert t("ui.modules", "en") in texts(at)


def test_query_params_render_that_result_directly():
    at = run({"business_type": "individual", "category": "beauty", "staff_fte": "1", "budget_monthly_cny": "6000",
              "budget_setup_cny": "10000", "douyin_presence": "none", "shelf_platforms": "", "private_domain": "basic",
              "goal": "acquisition", "city_tier": "3"})  # fmt: skip
    assert at.session_state["f_business_type.zh"] == "individual"
    assert at.session_state["f_staff_fte"] == 1.0
    assert not at.warning or all("链接参数" not in w.value for w in at.warning)


def test_preset_loads_the_form_and_the_result():
    at = run()
    at.selectbox(key="preset").set_value("private_domain_veteran").run()
    assert not at.exception
    assert at.session_state["f_existing_modules.zh"] == ["miniprogram", "wecom"]
    assert at.query_params["existing_modules"] == "miniprogram,wecom"
    assert sum(t("verdict.keep", "zh") in b for b in badges(at)) == 2


def test_bad_input_is_shown_next_to_the_field_and_kept():
    at = run()
    at.number_input(key="f_staff_fte").set_value(0.0)
    at.number_input(key="f_gross_margin").set_value(1.0)
    at.button(key="submit").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(t("ui.form_has_errors", "zh") in e for e in errors)
    assert any("0" in e and "> 0" in e for e in errors)  # staff_fte: out of range, allowed > 0
    assert at.session_state["f_staff_fte"] == 0.0 and at.session_state["f_gross_margin"] == 1.0
    assert at.query_params.get("staff_fte") != "0"  # the URL still describes the last valid assessment


def test_submit_writes_the_whole_state_to_the_url():
    at = run()
    at.number_input(key="f_staff_fte").set_value(6.0)
    at.selectbox(key="f_category.zh").set_value("food")
    at.button(key="submit").click().run()
    assert not at.exception
    assert at.query_params["staff_fte"] == "6" and at.query_params["category"] == "food"
    assert at.query_params["lang"] == "zh"


def test_overrides_flow_into_result_link_and_downloads():
    at = run()
    at.number_input(key="o_salary").set_value(2.0)
    at.button(key="submit").click().run()
    assert not at.exception
    assert at.query_params["salary"] == "2"
    assert "salary ×2" in texts(at)  # method line names the overridden assumptions


def test_hostile_url_gives_warnings_and_defaults_never_markup():
    at = run({"category": "<script>alert(1)</script>", "staff_fte": "-5", "lang": "xx", "draws": "abc",
              "name": "[x](javascript:alert(1))"})  # fmt: skip
    warnings = [w.value for w in at.warning]
    assert any("category" in w for w in warnings) and any("staff\\_fte" in w for w in warnings)
    assert all("<script>" not in w for w in warnings)
    assert at.title[0].value == t("app.title", "zh")
    assert "](javascript" not in texts(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_language_switch_changes_every_text(lang):
    at = run()
    other = "en" if lang == "zh" else "zh"
    if lang == "en":
        at.get("button_group")[0].set_value("en").run()
    assert not at.exception
    shown = "en" if lang == "en" else "zh"
    assert at.title[0].value == t("app.title", shown)
    assert t("ui.charts", shown) in [s.value for s in at.subheader]
    assert t("ui.charts", other) not in [s.value for s in at.subheader]


def test_choices_keep_their_value_and_translate_after_switching_language():
    at = run()
    at.selectbox(key="f_category.zh").set_value("jewelry")
    at.button(key="submit").click().run()
    at.get("button_group")[0].set_value("en").run()
    assert not at.exception
    box = at.selectbox(key="f_category.en")
    assert box.value == "jewelry"
    assert t("enum.category.jewelry", "en") in box.options


def test_what_drives_the_answer_on_request():
    at = run()
    assert len(at.get("vega_lite_chart")) == 7  # nothing computed until asked
    at.button(key="drivers_run").click().run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 11  # tornado, timeline, Sobol bars, plan-win probabilities
    titles = [title_of(s) for s in specs(at)[-4:]]
    assert titles == [t(f"chart.drivers.{k}.title", "zh") for k in ("tornado", "timeline", "sobol", "wins")]
    tornado = json.dumps(specs(at)[-4], ensure_ascii=False)
    assert t("chart.drivers.axis.first_year", "zh") in tornado  # first-year net
    assert t("drivers.flips", "zh") in texts(at)
    assert t("drivers.tornado.caption", "zh") in texts(at)


def test_a_24_month_horizon_from_the_link_is_used_for_the_money():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["horizon"] = "24"
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert any("24 months" in label for label in labels), labels
