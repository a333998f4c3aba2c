"""The Delivery, Reliability, Code quality and Incidents pages (AppTest) and the metrics behind
them, on the hand-computable fixture warehouse and on a small demo warehouse."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from data.demo import build
from metrics.core.filters import Filters
from metrics.core.scorecard import scorecard
from metrics.core.targets import load_targets
from metrics.kpis import delivery, incident_list, quality, reliability
from tests.ui.test_app import _real_navigation, run_app  # noqa: F401  (autouse fixture)

PERIOD = {"start": "2026-01-01", "end": "2026-01-14"}
FIXTURE_PERIOD = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14))
PAGES = {
    "delivery": ("Delivery (DORA)", 5, 5),  # title, KPI cards, charts at least
    "reliability": ("Reliability", 5, 7),
    "quality": ("Code quality", 4, 5),
    "incidents": ("Incidents", 3, 5),
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build(path, seed=42, end=dt.date(2026, 11, 25))
    return path


@pytest.fixture(scope="module")
def con(fixture_db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(fixture_db), read_only=True)


def open_page(db: Path, monkeypatch: pytest.MonkeyPatch, page: str, **params: str) -> AppTest:
    app = run_app(db, monkeypatch, **params)
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def charts(app: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def chart(app: AppTest, title: str) -> dict[str, Any]:
    return next(c for c in charts(app) if c["layout"]["title"]["text"] == title)


def numbers(field: Any) -> list[float]:
    """A trace's values; plotly ships numeric arrays as base64 typed arrays."""
    if isinstance(field, dict) and "bdata" in field:
        return np.frombuffer(base64.b64decode(field["bdata"]), dtype=field["dtype"]).tolist()
    return list(field)


def table(app: AppTest, column: str) -> Any:
    """The first dataframe with ``column`` (Styler-backed tables included)."""
    for frame in app.dataframe:
        value = frame.value
        value = getattr(value, "data", value)  # a Styler holds its frame in .data
        if column in value.columns:
            return value
    raise AssertionError(f"no table with column {column!r}")


# --- every page, both warehouses ---------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("warehouse", ["fixture", "demo"])
def test_page_renders_cards_charts_and_tables(
    page: str,
    warehouse: str,
    fixture_db: Path,
    demo_db: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, params = (fixture_db, PERIOD) if warehouse == "fixture" else (demo_db, {})
    app = open_page(db, monkeypatch, page, **params)
    title, cards, min_charts = PAGES[page]
    assert app.title[0].value == title
    assert len(app.metric) >= cards
    assert all(m.help for m in app.metric), "every KPI shows its definition on hover"
    figures = charts(app)
    assert len(figures) >= min_charts
    for figure in figures:
        layout = figure["layout"]
        assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"]
        titles = layout["xaxis"]["title"]["text"] + layout["yaxis"]["title"]["text"]
        assert "(" in titles, f"the value axis names its unit: {titles}"
    assert app.dataframe, "every page has at least one table"


@pytest.mark.parametrize("page", PAGES)
def test_period_without_data_says_what_to_connect(
    page: str, fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page(fixture_db, monkeypatch, page, start="2020-01-01", end="2020-01-14")
    assert any("No data for these filters" in w.value for w in app.warning)
    assert "Data sources page" in app.warning[0].value


def test_trends_draw_target_and_annotation(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page(fixture_db, monkeypatch, "reliability", **PERIOD)
    availability = chart(app, "Availability")
    shapes = availability["layout"]["shapes"]
    assert any(s.get("y0") == 99.5 and s.get("y1") == 99.5 for s in shapes), "target line"
    assert any(str(s.get("x0")).startswith("2026-01-06") for s in shapes), "annotation marker"
    texts = [a["text"] for a in availability["layout"]["annotations"]]
    assert "CI/CD adopted" in texts
    # the target's label is the subtitle, where no annotation label can cover it
    assert availability["layout"]["title"]["subtitle"]["text"] == "- - Target ≥ 99.5 %"
    assert availability["layout"]["yaxis"]["title"]["text"] == "Availability (%)"
    assert "Availability: Share of requests" in availability["data"][0]["hovertemplate"]


# --- Delivery --------------------------------------------------------------------------------


def test_delivery_grain_changes_the_trend(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page(fixture_db, monkeypatch, "delivery", **PERIOD)
    weekly = chart(app, "Change failure rate")["data"][0]["x"]
    assert len(weekly) == 2  # weeks from Mon 29 Dec and 5 Jan; none succeeded after 11 Jan
    app.radio(key="delivery_grain").set_value("month").run()
    monthly = chart(app, "Change failure rate")
    assert len(monthly["data"][0]["x"]) == 1
    assert numbers(monthly["data"][0]["y"]) == [
        pytest.approx(100 * 2 / 6)
    ]  # d2, d4 of 6 successful
    assert monthly["layout"]["xaxis"]["title"]["text"] == "Month starting (UTC)"


def test_delivery_drill_down_and_deployments(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page(fixture_db, monkeypatch, "delivery", **PERIOD)
    teams = table(app, "Team").set_index("Team")
    # alpha: 5 successful deployments, d2 (incident i1, rollback d3) and d4 (hotfix d5) failed
    assert teams.loc["Alpha", "Change failure rate"] == "40.0 % · low"
    assert teams.loc["Beta", "Change failure rate"] == "0.0 % · elite"
    assert teams.loc["Alpha", "Rework rate"] == "40.0 %"  # rollback d3 + hotfix d5 of 5
    app.radio(key="delivery_level").set_value("service").run()
    services = table(app, "Service").set_index("Service")
    assert list(services.index) == ["a1", "a2", "b1"]
    assert services.loc["a2", "Change failure rate"] == "50.0 % · low"
    deployments = app.dataframe[1].value
    assert list(deployments["outcome"])[:4] == [
        "ok",
        "deployment failure",
        "ok",
        "repaired by hotfix d5",
    ]
    assert len(deployments) == 7  # d1–d7 in production; d8 is staging, d9 before the period
    failed = app.dataframe[2].value
    assert set(failed["outcome"]) == {
        "deployment failure",
        "repaired by hotfix d5",
        "caused incident i1; repaired by rollback d3",
    }


def test_delivery_by_scope_matches_hand_computation(con: duckdb.DuckDBPyConnection) -> None:
    frame = delivery.by_scope(con, FIXTURE_PERIOD, load_targets(), "team").set_index("id")
    assert frame.loc["alpha", "change_failure_rate_value"] == pytest.approx(40.0)
    assert frame.loc["alpha", "lead_time_value"] == pytest.approx(26.0)  # c1 26 h, c2 48 h, c3 24 h
    assert frame.loc["beta", "deployment_frequency_value"] == pytest.approx(0.5)  # d7, 2 weeks
    assert delivery.tier_bound("lead_time", "high", 2023) == 168.0
    assert delivery.tier_bound("lead_time", "low", 2023) is None


@pytest.mark.parametrize("level", ["team", "service"])
def test_drill_down_rows_equal_each_scopes_own_scorecard(demo_db: Path, level: str) -> None:
    """One grouped query per KPI must give every team (service) exactly the numbers, tiers and
    texts its own scorecard gives when that team (service) is picked in the filters."""
    con = duckdb.connect(str(demo_db), read_only=True)
    period = Filters(dt.date(2026, 8, 1), dt.date(2026, 10, 31), team="payments")
    if level == "team":
        period = Filters(period.start, period.end)
    targets = load_targets()
    frame = delivery.by_scope(con, period, targets, level)  # type: ignore[arg-type]
    assert len(frame) == 4  # four teams; payments owns four services
    for row in frame.to_dict(orient="records"):
        team = row["id"] if level == "team" else period.team
        service = row["id"] if level == "service" else None
        scoped = Filters(period.start, period.end, team=team, service=service)
        card = scorecard(con, scoped, targets, delivery.DORA_KPIS).set_index("kpi")
        for kpi in delivery.DORA_KPIS:
            assert row[kpi.name] == card.at[kpi.name, "display"], (row["id"], kpi.name)
            tier = card.at[kpi.name, "tier"]
            assert row[f"{kpi.name}_tier"] == (None if pd.isna(tier) else tier), row["id"]
            expected = card.at[kpi.name, "value"]
            if pd.isna(expected):
                assert row[f"{kpi.name}_value"] is None, (row["id"], kpi.name)
            else:
                assert row[f"{kpi.name}_value"] == pytest.approx(expected, rel=1e-12)


def test_recent_deployments_link_failures(con: duckdb.DuckDBPyConnection) -> None:
    frame = delivery.recent_deployments(con, FIXTURE_PERIOD).set_index("external_id")
    assert bool(frame.loc["d2", "change_failed"]) and frame.loc["d2", "incident_id"] == "i1"
    assert bool(frame.loc["d4", "change_failed"]) and frame.loc["d4", "repaired_by"] == "d5"
    assert not frame.loc["d6", "change_failed"]  # a failed deployment is not a failed change
    assert len(delivery.recent_deployments(con, FIXTURE_PERIOD, limit=2)) == 2


# --- Reliability -------------------------------------------------------------------------------


def test_reliability_lists_breaching_services_first(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page(fixture_db, monkeypatch, "reliability", **PERIOD)
    services = table(app, "availability_status")
    assert list(services["service_id"]) == ["b1", "a2", "a1"]
    b1 = services.iloc[0]
    assert f"{b1['availability']:.3f}" == "98.000"  # 20 errors of 1000 requests
    assert b1["status"] == "Off target" and b1["p95_latency_status"] == "On target"
    assert list(services["status"])[1:] == ["Near target", "Near target"]  # 0.3 %, 0.2 % errors
    assert any("3 of 3 services miss" in c.value for c in app.caption)
    budgets = table(app, "alert")
    assert set(budgets["service_id"]) == {"a1", "a2", "b1"}


def test_per_service_levels_match_hand_computation(con: duckdb.DuckDBPyConnection) -> None:
    frame = reliability.per_service(con, FIXTURE_PERIOD, load_targets()).set_index("service_id")
    assert frame.loc["b1", "availability"] == pytest.approx(98.0)
    assert frame.loc["b1", "p95_latency"] == pytest.approx(10 + 0.95 * 15)  # inside (10, 25]
    assert frame.loc["a1", "p95_latency"] == pytest.approx(250.0)  # rank 950 ends (100, 250]
    assert frame.loc["a2", "p95_latency"] == pytest.approx(250 + 250 * 250 / 300)
    assert frame.loc["a2", "error_rate"] == pytest.approx(0.3)
    assert frame["breaching"].all()


# --- Code quality ------------------------------------------------------------------------------


def test_quality_projects_table(fixture_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page(fixture_db, monkeypatch, "quality", **PERIOD)
    projects = table(app, "gate").set_index("project_key")
    assert projects.loc["acme_a1", "coverage"] == pytest.approx(87.5)  # (900 + 150) / 1200
    assert projects.loc["acme_a1", "status"] == "On target"
    assert projects.loc["acme_b1", "status"] == "Near target"  # 70.0 %: at warn, under 80
    assert projects.loc["acme_a2", "status"] == "Stale (> 90 days)"
    per_project = chart(app, "Test coverage per project")
    lines = {trace["name"]: numbers(trace["y"]) for trace in per_project["data"]}
    assert lines["acme_a1"] == [75.0, 87.5, 87.5]  # weekly: 3 Jan, 10 Jan, 10 Jan analyses


def test_quality_metrics_match_hand_computation(con: duckdb.DuckDBPyConnection) -> None:
    frame = quality.projects(con, FIXTURE_PERIOD, load_targets()).set_index("project_key")
    assert frame.loc["acme_b1", "coverage"] == pytest.approx(70.0)  # 2100 / 3000
    assert bool(frame.loc["acme_a2", "stale"]) and frame.loc["acme_a2", "coverage_status"] == (
        "no data"
    )
    monthly = quality.coverage_by_project(con, FIXTURE_PERIOD, "month")
    assert sorted(monthly["value"]) == [pytest.approx(70.0), pytest.approx(87.5)]


# --- Incidents ---------------------------------------------------------------------------------


def test_incidents_before_after_and_list(fixture_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page(fixture_db, monkeypatch, "incidents", **PERIOD)
    shown = {m.label: m.value for m in app.metric}
    # 180 days around 6 Jan: before i4 (6 h) and i1 (1.5 h), after i2 (4 h) and open i3
    assert shown["MTTR (median) after"] == "4.00 h"
    assert any(c.value == "Before: 3.75 h" for c in app.caption)
    app.number_input(key="incidents_window").set_value(7).run()
    assert any(c.value == "Before: 1.50 h" for c in app.caption)  # i4 is 15 days before
    assert app.selectbox(key="incidents_annotation").value == "adopt"
    incidents = table(app, "ttr_h")
    assert len(incidents) == 3 and incidents["open"].tolist() == [True, False, False]
    assert chart(app, "MTTR (median): time to restore")["layout"]["yaxis"]["title"]["text"] == (
        "MTTR (median) (hours)"
    )


def test_incident_metrics_match_hand_computation(con: duckdb.DuckDBPyConnection) -> None:
    listed = incident_list.incident_list(con, FIXTURE_PERIOD).set_index("external_id")
    assert listed.loc["i1", "ttr_h"] == pytest.approx(1.5)
    assert listed.loc["i2", "tta_h"] == pytest.approx(0.5)
    assert listed.loc["i1", "caused_by"] == "d2"
    per_service = incident_list.by_service(con, FIXTURE_PERIOD).set_index("service_id")
    assert per_service["incidents"].to_dict() == {"a1": 1, "a2": 1, "b1": 1}
    assert per_service.loc["b1", "mttr_median_h"] == pytest.approx(4.0)


def test_demo_annotation_selector_changes_the_comparison(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page(demo_db, monkeypatch, "incidents")
    select = app.selectbox(key="incidents_annotation")
    assert select.value == "adoption-gitops"
    after = {m.label: m.value for m in app.metric}["MTTR (median) after"]
    delta = next(m for m in app.metric if m.label == "MTTR (median) after").delta
    assert delta is not None and delta.startswith("-"), "recovery is faster after GitOps"
    select.set_value("migration-k8s-v2").run()
    assert {m.label: m.value for m in app.metric}["MTTR (median) after"] != after
