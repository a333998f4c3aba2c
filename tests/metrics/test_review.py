"""CTO quarterly review: quarter table, PDCA actions that persist and carry over, HTML export."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from data.actions import ActionError, add_action, update_action
from data.warehouse import open_reader
from metrics.reports import review
from tests.ui.test_app import APP, _real_navigation  # noqa: F401  (autouse fixture)
from ui.components.review_export import review_html


@pytest.fixture
def db(fixture_db: Path, tmp_path: Path) -> Path:
    """A private copy: these tests write actions."""
    copy = tmp_path / "review.duckdb"
    shutil.copyfile(fixture_db, copy)
    return copy


def review_page(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("TECHPULSE_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.switch_page("pages/review.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_quarters_and_cut_at_the_last_day() -> None:
    assert review.quarters_until(dt.date(2026, 1, 12), 3) == ["2026-Q1", "2025-Q4", "2025-Q3"]
    base = review.quarter_filters("2025-Q4", review.quarter_filters("2026-Q1", _any()))
    assert (base.start, base.end) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    cut = review.quarter_filters("2026-Q1", _any(), last_day=dt.date(2026, 1, 12))
    assert (cut.start, cut.end) == (dt.date(2026, 1, 1), dt.date(2026, 1, 12))


def _any():  # type: ignore[no-untyped-def]
    from metrics.core.filters import Filters

    return Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 2))


def test_review_table_against_last_quarter(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Q1 2026 runs to the fixture's last day (12 Jan): 31 errors in 5000 requests → 99.380 %;
    Q4 2025 holds a1's 20 Dec hour: 1 error in 1000 → 99.900 %."""
    app = review_page(db, monkeypatch)
    quarter = next(s for s in app.selectbox if s.label == "Quarter under review")
    quarter.select("2026-Q1").run()
    table = app.dataframe[0].value.set_index("KPI")
    assert table.loc["Availability", "This quarter"] == "99.380 %"
    assert table.loc["Availability", "Last quarter"] == "99.900 %"
    assert table.loc["Availability", "RAG"] == "Near target"
    assert len(app.get("plotly_chart")) == 6
    assert app.get("download_button")


def test_an_action_is_saved_survives_a_restart_and_is_carried(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = review_page(db, monkeypatch)
    next(s for s in app.selectbox if s.label == "Quarter under review").select("2026-Q1").run()
    next(t for t in app.text_input if t.label == "What will be done").input("Cut MTTR")
    next(b for b in app.button if b.label == "Add action").click().run()  # submits the form
    assert not app.exception
    restarted = review_page(db, monkeypatch)  # a new session reads it back from the warehouse
    next(s for s in restarted.selectbox if s.label == "Quarter under review").select(
        "2026-Q1"
    ).run()
    assert any(e.label.startswith("Cut MTTR") for e in restarted.expander)
    con = open_reader(db)
    carried = review.actions_for(con, "2026-Q2", None)
    assert list(carried["title"]) == ["Cut MTTR"] and bool(carried["carried"].iloc[0])
    update_action(db, carried["action_id"].iloc[0], stage="act", note="done", closed=True)
    assert review.actions_for(open_reader(db), "2026-Q2", None).empty  # closed: not carried
    kept = review.actions_for(open_reader(db), "2026-Q1", None)
    assert kept["status"].iloc[0] == "closed" and kept["note"].iloc[0] == "done"


def test_bad_actions_are_refused(db: Path) -> None:
    with pytest.raises(ActionError, match="needs a title"):
        add_action(db, quarter="2026-Q1", title="  ", kpi=None, owner_team=None)
    with pytest.raises(ActionError, match="stage must be one of"):
        add_action(db, quarter="2026-Q1", title="x", kpi=None, owner_team=None, stage="later")
    with pytest.raises(ActionError, match="no action"):
        update_action(db, "act-missing", stage="do", note="", closed=False)


def test_html_export_is_self_contained_and_escaped() -> None:
    import pandas as pd

    table = pd.DataFrame(
        [
            {
                "KPI": "Availability",
                "Target": "≥ 99.5 %",
                "This quarter": "99.380 %",
                "Last quarter": "99.900 %",
                "Change": "-0.520 pp",
                "RAG": "amber",
                "Owner": "<script>alpha</script>",
            }
        ]
    )
    actions = pd.DataFrame(
        [
            {
                "title": "Cut MTTR",
                "kpi": "mttr",
                "owner_team": "alpha",
                "pdca_stage": "do",
                "status": "open",
                "carried": True,
                "note": "",
            }
        ]
    )
    page = review_html(
        title="Review 2026-Q1",
        scope="all teams",
        data_as_of="2026-01-15",
        table=table,
        figures=[go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))],
        actions=actions,
    )
    assert page.startswith("<!DOCTYPE html>")
    assert "99.380 %" in page and "Cut MTTR" in page and "(carried)" in page
    assert "&lt;script&gt;alpha" in page  # cell text is escaped
    assert len(page) > 1_000_000  # plotly.js is inlined, so the file opens offline
    assert "<scriptsrc=" not in page.replace(" ", "")


def test_an_action_without_an_owner_team_beside_one_with_an_owner(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """owner_team is optional (NULL reads back as NaN): two actions on one KPI, one owned by
    payments and one by nobody, give Owner "payments" (this used to raise TypeError)."""
    add_action(db, quarter="2026-Q1", title="a", kpi="availability", owner_team="payments")
    add_action(db, quarter="2026-Q1", title="b", kpi="availability", owner_team=None)
    app = review_page(db, monkeypatch)
    next(s for s in app.selectbox if s.label == "Quarter under review").select("2026-Q1").run()
    assert not app.exception, [e.value for e in app.exception]
    table = app.dataframe[0].value.set_index("KPI")
    assert table.loc["Availability", "Owner"] == "payments"
    # both titles; two actions added within the same clock tick have no defined order
    assert sorted(table.loc["Availability", "Note"].split("; ")) == ["a", "b"]
