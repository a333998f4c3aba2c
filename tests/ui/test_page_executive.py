"""Executive ROI page on the demo organisation (AppTest). Figures cross-checked with
metrics.reports.roi.roi_report, which tests/metrics/test_roi.py verifies by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.demo import build
from data.warehouse import open_reader
from metrics.core.filters import Filters
from metrics.reports import roi
from tests.ui.test_app import APP, _real_navigation  # noqa: F401  (autouse fixture)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build(path, seed=42, end=dt.date(2026, 11, 25))
    return path


def executive(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("TECHPULSE_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.switch_page("pages/executive.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label.startswith(label))


def test_headline_matches_the_roi_model(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = executive(demo_db, monkeypatch)
    assert app.text_input[0].value == "2025-Q4"  # the quarter of the adoption annotation
    report = roi.roi_report(
        open_reader(demo_db), Filters(dt.date(2026, 8, 27), dt.date(2026, 11, 24)), "2025-Q4"
    )
    expected = report.iloc[-1]
    assert metric(app, "Return on investment") == f"{expected['roi'] * 100:,.0f} %"
    months = roi.payback_months(report)
    assert next(m.label for m in app.metric if m.label.startswith("Payback")) == (
        f"Payback ({expected['payback_quarter']})"
    )
    assert metric(app, "Payback") == f"{months:.1f} months"
    assert len(app.get("plotly_chart")) == 2
    scenarios = app.dataframe[0].value
    assert list(scenarios["factor"]) == [0.5, 1.0, 2.0]


def test_editing_an_assumption_changes_the_view(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = executive(demo_db, monkeypatch)
    before = metric(app, "Return on investment")
    app.number_input(key="roi_cost_per_downtime_hour").set_value(500.0).run()
    # halving the cost per downtime hour equals the 0.5× sensitivity scenario
    scenario = app.dataframe[0].value
    assert metric(app, "Return on investment") != before
    assert float(scenario.loc[scenario["factor"] == 1.0, "value"].iloc[0]) == 500.0


def test_bad_baseline_is_explained(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = executive(demo_db, monkeypatch)
    app.text_input[0].set_value("last year").run()
    assert not app.exception
    assert any("ROI cannot be computed" in w.value for w in app.warning)
