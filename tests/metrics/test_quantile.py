"""histogram_quantile in the warehouse matches Prometheus's interpolation, computed by hand."""

from __future__ import annotations

import duckdb
import pytest

from data import schema

BOUNDS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, float("inf")]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(":memory:")
    schema.migrate(connection)
    return connection


def quantile(con: duckdb.DuckDBPyConnection, q: float, counts: list[int]) -> float | None:
    row = con.execute(
        "SELECT histogram_quantile($q, $counts::BIGINT[], latency_bounds_ms())",
        {"q": q, "counts": counts},
    ).fetchone()
    return None if row is None else row[0]


def counts(**by_bound: int) -> list[int]:
    """Non-cumulative counts keyed like le_500=7."""
    result = [0] * len(BOUNDS)
    for key, value in by_bound.items():
        bound = key.removeprefix("le_")
        index = len(BOUNDS) - 1 if bound == "inf" else BOUNDS.index(int(bound))
        result[index] = value
    return result


@pytest.mark.parametrize(
    ("q", "histogram", "expected"),
    [
        # 100 requests: rank 95 lands in (10, 25] holding 10 after 90 → 10 + 15 × 5/10
        (0.95, counts(le_5=10, le_10=80, le_25=10), 17.5),
        # first bucket starts at 0: rank 50 of 100 in (0, 5] → 5 × 50/100
        (0.5, counts(le_5=100), 2.5),
        # rank in the +Inf bucket returns the highest finite bound, as Prometheus does
        (0.95, counts(le_inf=100), 10000.0),
        (0.99, counts(le_100=90, le_inf=10), 10000.0),
        # exactly on a boundary: rank 90 = cumulative of (50, 100] → its upper bound
        (0.9, counts(le_100=90, le_250=10), 100.0),
        # P95 of 400 in (250, 500] after 600 below: rank 950 → 250 + 250 × 350/400
        (0.95, counts(le_250=600, le_500=400), 250 + 250 * 350 / 400),
    ],
)
def test_known_answers(con, q: float, histogram: list[int], expected: float) -> None:
    assert quantile(con, q, histogram) == pytest.approx(expected)


def test_empty_histogram_has_no_quantile(con) -> None:
    assert quantile(con, 0.95, [0] * 12) is None


def test_summed_histograms_differ_from_averaged_percentiles(con) -> None:
    """Why we sum buckets: the mean of two services' P95s is not the P95 of their traffic."""
    busy = counts(le_50=9000, le_100=1000)  # P95 = 50 + 50 × 500/1000 = 75
    slow = counts(le_1000=100)  # P95 = 500 + 500 × 95/100 = 975
    together = [a + b for a, b in zip(busy, slow, strict=True)]
    assert quantile(con, 0.95, busy) == pytest.approx(75.0)
    assert quantile(con, 0.95, slow) == pytest.approx(975.0)
    # 10,100 requests, rank 9595: cumulative ≤50 9000, ≤100 10000 → 50 + 50 × 595/1000
    assert quantile(con, 0.95, together) == pytest.approx(79.75)
    # whereas averaging the two percentiles would report (75 + 975) / 2 = 525 ms
