"""Open a batch row in Assess (issue 10): each scored lead links to the Assess page with its profile and the
batch's options, the same kind of link the Assess page shares; the assessment it opens gives the row's plan."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from streamlit.testing.v1 import AppTest

from app import leadbatch
from app.i18n import t
from app.state import parse_query
from engine.recommend import recommend
from tests.conftest import ROOT
from tests.test_app_batch import DAY, score, with_bad_rows

BASE = "http://wx.example:8501"


@pytest.fixture(scope="module")
def scored() -> leadbatch.BatchResult:
    return score(with_bad_rows())


def _state(link: str):
    parts = urlparse(link)
    assert f"{parts.scheme}://{parts.netloc}" == BASE and parts.path == "/"
    return parse_query({k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()})


def test_every_scored_row_links_to_its_profile_and_options(scored):
    links = leadbatch.assess_links(scored, "en", BASE)
    assert len(links) == len(scored.rows)
    ok = scored.scored()
    assert [link is not None for link in links] == ok and not all(ok)  # rows with an error get no link
    name_at = scored.header.index("name")
    for i, link in enumerate(links):
        if link is None:
            continue
        state = _state(link)
        assert not state.problems and state.from_url
        assert state.lang == "en"
        assert state.profile == scored.profiles[i]
        assert (state.options.as_of, state.options.draws, state.options.seed) == (
            DAY,
            scored.draws,
            scored.seed,
        )
        assert state.profile.name == scored.rows[i][name_at].strip()


def test_the_linked_assessment_gives_the_rows_plan(scored):
    links = leadbatch.assess_links(scored, "zh", BASE)
    plans = scored.column("plan")
    checked = 0
    for link, plan in zip(links, plans, strict=True):
        if link is None or checked >= 3:
            continue
        state = _state(link)
        rec = recommend(
            state.profile, as_of=state.options.as_of, draws=state.options.draws, seed=state.options.seed
        )
        assert rec.plan.code == plan
        checked += 1
    assert checked == 3


def test_the_table_carries_the_links_next_to_the_lead(scored):
    links = leadbatch.assess_links(scored, "zh", BASE)
    frame = leadbatch.table(scored, "zh", links=links)
    column = t("batchpage.col.open", "zh")
    assert list(frame.columns[:3]) == ["id", "name", column]
    assert [None if v != v else v for v in frame[column]] == links  # NaN: no link
    errors_only = leadbatch.table(scored, "zh", only_errors=True, links=links)
    assert errors_only[column].isna().all()
    assert column not in leadbatch.table(scored, "zh").columns


def test_the_batch_page_shows_the_link_column():
    result = score(lang="en")
    at = AppTest.from_file(str(ROOT / "app" / "views" / "batch.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    at.session_state["bt_result"] = result
    at.run()
    assert not at.exception, at.exception
    frame = at.dataframe[0].value
    column = t("batchpage.col.open", "en")
    assert column in frame.columns
    assert all(isinstance(v, str) and "?lang=en" in v for v in frame[column])
