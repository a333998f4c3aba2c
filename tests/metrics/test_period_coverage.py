"""Service-level coverage of a period (issue 15): hours with samples ÷ hours in the period
over the measured services in scope, shown beside the KPIs when the period is partly covered
(a first sync's history starts mid-period, or the period is still running).

Fixture (UTC, hourly samples): a1 has every hour of 2026-01-01 and 01-02 (48); b1 only
01-02 12:00–23:00 (12, its first sync started at noon); c1 has none, so it is not measured and
does not count. Both days: 2 services × 48 h = 96 service-hours, 48 + 12 = 60 with data →
62.5 %.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from data.warehouse import open_reader, write_snapshot
from metrics.core.coverage import coverage_note, service_level_coverage
from metrics.core.filters import Filters
from tests.servers.warehouse import build_warehouse
from tests.ui.test_app import _real_navigation, run_app  # noqa: F401  (autouse fixture)

UTC = dt.UTC


def hours(day: int, first: int, last: int) -> list[dt.datetime]:
    return [dt.datetime(2026, 1, day, h, tzinfo=UTC) for h in range(first, last + 1)]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = build_warehouse(
        tmp_path_factory.mktemp("cov") / "w.duckdb",
        [("a1", None, None), ("b1", None, None), ("c1", None, None)],
    )
    samples = [("a1", t) for t in hours(1, 0, 23) + hours(2, 0, 23)]
    samples += [("b1", t) for t in hours(2, 12, 23)]
    with write_snapshot(db) as con:
        con.executemany(
            "INSERT INTO service_level_samples (service_id, environment, bucket_start,"
            " bucket_seconds, requests, errors) VALUES (?, 'production', ?, 3600, 100, 0)",
            samples,
        )
    return db


def found(db: Path, filters: Filters, now: dt.datetime | None = None) -> tuple[int, float, float]:
    con = open_reader(db)
    try:
        c = service_level_coverage(con, filters, now or dt.datetime(2026, 6, 1, tzinfo=UTC))
    finally:
        con.close()
    return c.services, c.hours_with_data, c.hours_in_period


def test_a_first_sync_mid_period_is_partial_coverage(warehouse: Path) -> None:
    period = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    assert found(warehouse, period) == (2, 60.0, 96.0)
    con = open_reader(warehouse)
    try:
        note = coverage_note(
            service_level_coverage(con, period, dt.datetime(2026, 6, 1, tzinfo=UTC))
        )
    finally:
        con.close()
    assert note == (
        "Service levels cover 62.5 % of this period: 60 of 96 service-hours have samples "
        "(2 measured services). Figures are over the hours with data."
    )


def test_a_fully_covered_scope_has_no_note(warehouse: Path) -> None:
    """a1 alone: 48 of 48 hours."""
    period = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 2), service="a1")
    assert found(warehouse, period) == (1, 48.0, 48.0)
    con = open_reader(warehouse)
    try:
        assert coverage_note(service_level_coverage(con, period)) is None
    finally:
        con.close()


def test_a_running_period_counts_the_hours_so_far(warehouse: Path) -> None:
    """01-01 … 01-03 seen at 01-02 06:40: the period so far ends at 06:00, 30 hours; a1 has
    all 30, b1 none yet (its samples start at noon) → 30 of 60."""
    period = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 3))
    now = dt.datetime(2026, 1, 2, 6, 40, tzinfo=UTC)
    assert found(warehouse, period, now) == (2, 30.0, 60.0)


def test_a_scope_nothing_measures_is_not_called_partial(warehouse: Path) -> None:
    period = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 2), service="c1")
    assert found(warehouse, period) == (0, 0.0, 0.0)


def test_the_period_ends_where_the_newest_sample_does(warehouse: Path) -> None:
    """01-01 … 01-05, the newest sample (a1's and b1's 01-02 23:00) ends at 01-03 00:00: the
    three days without any sample are the freshness stamp's news, not a coverage gap, so the
    figures are those of the two days: 60 of 96."""
    period = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 5))
    assert found(warehouse, period) == (2, 60.0, 96.0)


NOTE = (
    "Service levels cover 62.5 % of this period: 60 of 96 service-hours have samples "
    "(2 measured services). Figures are over the hours with data."
)


@pytest.mark.parametrize("page", ["pages/scorecard.py", "pages/reliability.py"])
def test_the_pages_show_the_note_above_the_cards(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    app = run_app(warehouse, monkeypatch, start="2026-01-01", end="2026-01-02")
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert [i.value for i in app.info] == [NOTE]
    full = run_app(warehouse, monkeypatch, start="2026-01-01", end="2026-01-02", service="a1")
    full.switch_page(page).run()
    assert [i.value for i in full.info] == []
