"""Property tests (hypothesis) for the KPI math, on real DuckDB with the real schema and SQL.

Whatever the rows, merging services or periods must never break the invariants a reader relies
on: availability within 0-100 % and weighted by requests (it lies between the parts'), P95
between the bounds of the bucket holding the 95th-percentile rank and between the parts'
P95s, recovery times non-negative with the median between the shortest and the longest, and
the daily rollup equal to the hourly rows it sums. Examples are derandomised, so CI runs the
same cases every time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.sources.prometheus.histogram import COLUMNS
from data import derived, schema
from metrics.core.filters import Filters
from metrics.core.scorecard import query_series

UTC = dt.UTC
BOUNDS = (5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)
DAY1 = dt.date(2026, 1, 5)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
SERVICES = ("s1", "s2", "s3")
MARKS = ", ".join(f"$c{i}" for i in range(len(COLUMNS)))

histograms = st.lists(st.integers(0, 400), min_size=len(COLUMNS), max_size=len(COLUMNS))
samples = st.lists(
    st.tuples(
        st.sampled_from(SERVICES),
        st.integers(0, 47),  # hour within two days
        st.integers(0, 59),  # minute: buckets need not start on the hour
        histograms,
        st.floats(0, 1),  # share of requests that failed
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda s: (s[0], s[1]),
)


@contextmanager
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse at the latest schema: real tables, macros and SQL."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        schema.migrate(con)
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('t', 'Team', NULL)")
        for service in SERVICES:
            con.execute(
                "INSERT INTO services (service_id, team_id, name) VALUES ($s, 't', $s)",
                {"s": service},
            )
        yield con
    finally:
        con.close()


def insert_samples(con: duckdb.DuckDBPyConnection, rows: list[Any]) -> None:
    for service, hour, minute, counts, failing in rows:
        requests = sum(counts)
        start = dt.datetime.combine(DAY1, dt.time(), UTC) + dt.timedelta(hours=hour, minutes=minute)
        con.execute(
            "INSERT INTO service_level_samples (service_id, environment, bucket_start,"
            f" bucket_seconds, requests, errors, {', '.join(COLUMNS)})"
            f" VALUES ($s, 'production', $t, 3600, $r, $e, {MARKS})",
            {
                "s": service,
                "t": start,
                "r": requests,
                "e": math.floor(requests * failing),
                **{f"c{i}": c for i, c in enumerate(counts)},
            },
        )
    derived.refresh_service_level_daily(con)


def levels(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, float | None]:
    frame = query_series(
        con, "service_levels", filters, origin=filters.start_ts, bucket_width=f"{filters.days} days"
    )
    if frame.empty:
        return {"availability": None, "error_rate": None, "p95_latency": None}
    row = frame.iloc[0]
    return {
        k: (None if row[k] is None or math.isnan(row[k]) else float(row[k]))
        for k in ("availability", "error_rate", "p95_latency")
    }


def rank_bucket(counts: list[int], q: float = 0.95) -> tuple[float, float]:
    """Bounds (lower, upper) of the bucket that holds rank q x total, by hand."""
    total, running = sum(counts), 0
    for index, count in enumerate(counts):
        running += count
        if running >= q * total:
            lower = 0.0 if index == 0 else BOUNDS[index - 1]
            upper = BOUNDS[min(index, len(BOUNDS) - 1)]
            return lower, upper
    raise AssertionError("unreachable")


@PROPERTY
@given(samples)
def test_merged_services_and_periods_keep_the_invariants(rows: list[Any]) -> None:
    with warehouse() as con:
        insert_samples(con, rows)
        both_days = Filters(DAY1, DAY1 + dt.timedelta(days=1))
        merged = levels(con, both_days)
        requests = sum(sum(r[3]) for r in rows)
        errors = sum(math.floor(sum(r[3]) * r[4]) for r in rows)
        if requests == 0:
            assert merged["availability"] is None and merged["p95_latency"] is None
            return
        # weighted by requests: exactly 1 - Σ errors ÷ Σ requests, within 0-100 %
        availability = merged["availability"]
        assert availability is not None and 0.0 <= availability <= 100.0
        assert math.isclose(availability, 100.0 * (1 - errors / requests), abs_tol=1e-9)
        assert math.isclose(availability + (merged["error_rate"] or 0.0), 100.0, abs_tol=1e-9)
        # P95 inside the bucket holding the rank of the summed histogram
        summed = [sum(r[3][i] for r in rows) for i in range(len(COLUMNS))]
        lower, upper = rank_bucket(summed)
        p95 = merged["p95_latency"]
        assert p95 is not None and lower - 1e-9 <= p95 <= upper + 1e-9
        # merging services or days never leaves the range of the parts
        parts = [
            levels(con, Filters(DAY1, DAY1 + dt.timedelta(days=1), service=s)) for s in SERVICES
        ]
        parts += [levels(con, Filters(d, d)) for d in (DAY1, DAY1 + dt.timedelta(days=1))]
        for key in ("availability", "p95_latency"):
            for group in (parts[:3], parts[3:]):
                values = [p[key] for p in group if p[key] is not None]
                value = merged[key]
                assert value is not None
                assert min(values) - 1e-9 <= value <= max(values) + 1e-9, (key, values, value)


@PROPERTY
@given(samples)
def test_the_daily_rollup_always_equals_the_hourly_rows(rows: list[Any]) -> None:
    with warehouse() as con:
        insert_samples(con, rows)
        assert derived.rollup_differences(con) == 0
        hourly, daily = con.execute(
            "SELECT (SELECT sum(requests) FROM service_level_samples),"
            " (SELECT sum(requests) FROM service_level_daily)"
        ).fetchone()
        assert hourly == daily


durations = st.lists(
    st.tuples(st.integers(0, 13 * 24 * 60), st.integers(0, 5 * 24 * 60), st.booleans()),
    min_size=1,
    max_size=25,
)


@PROPERTY
@given(durations)
def test_recovery_times_are_never_negative_and_the_median_is_inside(cases: list[Any]) -> None:
    with warehouse() as con:
        start = dt.datetime.combine(DAY1, dt.time(), UTC)
        resolved = []
        for n, (begin, length, closed) in enumerate(cases):
            started = start + dt.timedelta(minutes=begin)
            end = started + dt.timedelta(minutes=length) if closed else None
            con.execute(
                "INSERT INTO incidents (source, external_id, service_id, severity, started_at,"
                " resolved_at) VALUES ('pd', $id, 's1', 'SEV2', $s, $e)",
                {"id": str(n), "s": started, "e": end},
            )
            if closed:
                resolved.append(length / 60)
        period = Filters(DAY1, DAY1 + dt.timedelta(days=13))
        frame = query_series(
            con, "incidents", period, origin=period.start_ts, bucket_width=f"{period.days} days"
        )
        row = frame.iloc[0]
        assert int(row["n_started"]) == len(cases)  # open incidents count as started
        if not resolved:
            assert math.isnan(row["mttr"])  # no data, never 0
            return
        assert row["mttr"] >= 0 and row["mttr_mean"] >= 0
        assert min(resolved) - 1e-9 <= row["mttr"] <= max(resolved) + 1e-9
        assert math.isclose(row["mttr_mean"], sum(resolved) / len(resolved), rel_tol=1e-9)
