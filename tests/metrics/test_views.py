"""Error budgets, burn-rate alerts, calendar trends and incident breakdowns, by hand.

Fixture: tests/fixture_warehouse.py. Production samples: a1 2025-12-20 (1000 requests, 1
error), a1 2026-01-05 10:00 (1000, 2), a2 2026-01-06 10:00 (3000, 9), b1 2026-01-07 10:00
(1000, 20). Default availability objective 99.5 % → 0.5 % of requests may fail.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from data.warehouse import open_reader
from metrics.core import trends
from metrics.core.filters import FilterError, Filters
from metrics.core.targets import DEFAULT_TARGETS, load_targets
from metrics.kpis import incidents, slo


def test_error_budget_per_service(fixture_db: Path) -> None:
    """30 days ending 2026-01-08 00:00 UTC hold every production sample.

    a1: 3 errors / 2000 = 0.15 % → consumed 0.15/0.5 = 30 % → 70 % left = 0.7 × 216 min
    a2: 9 / 3000 = 0.3 % → 60 % consumed → 40 % left
    b1: 20 / 1000 = 2 % → 400 % consumed → −300 % (over budget), shown first
    3-day window [01-05, 01-08) holds a1's 01-05 hour: 0.2 % ÷ 0.5 % = 0.4×
    """
    filters = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 7))
    frame = slo.error_budgets(open_reader(fixture_db), filters, load_targets(DEFAULT_TARGETS))
    assert list(frame["service_id"]) == ["b1", "a2", "a1"]
    rows = frame.set_index("service_id")
    assert rows.loc["a1", "budget_minutes"] == pytest.approx(216.0)
    assert rows.loc["a1", "budget_remaining_pct"] == pytest.approx(70.0)
    assert rows.loc["a1", "budget_remaining_minutes"] == pytest.approx(0.7 * 216)
    assert rows.loc["a2", "budget_remaining_pct"] == pytest.approx(40.0)
    assert rows.loc["b1", "budget_remaining_pct"] == pytest.approx(-300.0)
    assert rows.loc["b1", "availability_30d"] == pytest.approx(98.0)
    assert rows.loc["a1", "burn_rate_3d"] == pytest.approx(0.4)
    assert rows.loc["a1", "burn_rate_30d"] == pytest.approx(0.3)
    assert pd.isna(rows.loc["a1", "burn_rate_1h"])  # no traffic in the last hour


def test_team_override_changes_the_objective(fixture_db: Path, targets_file: Path) -> None:
    """Team alpha's objective is 99.9 %: budget 30 × 24 × 60 × 0.001 = 43.2 minutes;
    a1's 0.15 % error ratio spends 150 % of it."""
    filters = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 7), team="alpha")
    rows = slo.error_budgets(open_reader(fixture_db), filters, load_targets(targets_file))
    a1 = rows.set_index("service_id").loc["a1"]
    assert a1["slo"] == 99.9
    assert a1["budget_minutes"] == pytest.approx(43.2)
    assert a1["budget_remaining_pct"] == pytest.approx(-50.0)


@pytest.mark.parametrize(
    ("burns", "state"),
    [
        ((15.0, 2.0, 1.0), slo.PAGE_FAST),
        ((7.0, 6.5, 2.0), slo.PAGE_SLOW),
        ((1.0, 6.5, 2.0), slo.TICKET),  # 6 h above 6× but the last hour is not
        ((0.5, 1.2, 1.1), slo.TICKET),
        ((0.5, 0.9, 1.5), slo.OK),  # 3 d above 1× but the 6 h window recovered
        ((None, None, None), slo.NO_TRAFFIC),
    ],
)
def test_multi_window_alerts(burns: tuple[float | None, ...], state: str) -> None:
    assert slo.alert_state(*burns) == state


def test_weekly_trend_uses_calendar_weeks(fixture_db: Path) -> None:
    """Weeks start on Monday: d1 (02 Jan, lead time 26 h) is in the week of 29 Dec; d2 (48 h),
    d4 (24 h) and d7 (11 Jan, a Sunday, 240 h) are in the week of 5 Jan → median 48 h."""
    frame = trends.trend(
        open_reader(fixture_db), "lead_time", Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14))
    )
    weekly = trends.trend(
        open_reader(fixture_db),
        "lead_time",
        Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14)),
        grain="week",
    )
    assert [b.date().isoformat() for b in weekly["bucket"]] == ["2025-12-29", "2026-01-05"]
    assert list(weekly["value"]) == pytest.approx([26.0, 48.0])
    assert list(frame["value"]) == pytest.approx([37.0])  # one month bucket: all four
    with pytest.raises(FilterError, match="grain 'day'"):
        trends.trend(
            open_reader(fixture_db), "lead_time", Filters(*[dt.date(2026, 1, 1)] * 2), "day"
        )


def test_incidents_by_severity(fixture_db: Path) -> None:
    frame = incidents.by_severity(
        open_reader(fixture_db), Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14))
    )
    row = frame.set_index("severity").loc["SEV2"]
    assert (row["incidents"], row["resolved"]) == (3, 2)  # i3 is still open
    assert row["mttr_median_h"] == pytest.approx(2.75)  # median of 1.5 h and 4 h
    assert row["mttr_mean_h"] == pytest.approx(2.75)


def test_before_and_after_an_annotation(fixture_db: Path) -> None:
    """Pivot 2026-01-06 00:00 UTC, 10 days each side: before = i1 (1.5 h, started 01-05);
    after = i2 (4 h) and i3 (open); i4 (12-22) is outside the window."""
    frame = incidents.before_after(open_reader(fixture_db), "adopt", days=10).set_index("side")
    assert frame.loc["before", "incidents"] == 1
    assert frame.loc["before", "mttr_median_h"] == pytest.approx(1.5)
    assert (frame.loc["after", "incidents"], frame.loc["after", "resolved"]) == (2, 1)
    assert frame.loc["after", "mttr_median_h"] == pytest.approx(4.0)
    with pytest.raises(FilterError):
        incidents.before_after(open_reader(fixture_db), "nope")


def test_time_zones_are_explicit_and_boundaries_follow_the_start(tmp_path: Path) -> None:
    """An incident starting 2026-01-01 08:30 +09:00 is 2025-12-31 23:30 UTC: it belongs to
    December, even though it is resolved (10:00 +09:00 = 01:00 UTC) in January."""
    from data.warehouse import write_snapshot

    db = tmp_path / "tz.duckdb"
    with write_snapshot(db) as con:
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('t', 'T', NULL)")
        con.execute("INSERT INTO services (service_id, team_id, name) VALUES ('s', 't', 'S')")
        con.execute(
            "INSERT INTO incidents (source, external_id, service_id, severity, started_at,"
            " resolved_at) VALUES ('x', '1', 's', 'SEV1', '2026-01-01 08:30:00+09:00',"
            " '2026-01-01 10:00:00+09:00')"
        )
    con = open_reader(db)
    january = incidents.by_severity(con, Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31)))
    december = incidents.by_severity(con, Filters(dt.date(2025, 12, 1), dt.date(2025, 12, 31)))
    assert january.empty
    assert december.loc[0, "mttr_median_h"] == pytest.approx(1.5)
