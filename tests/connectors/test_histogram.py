"""Cumulative Prometheus buckets → the warehouse's non-cumulative columns (histogram.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.core.errors import ConnectorError
from connectors.sources.prometheus.histogram import (
    CANONICAL_BOUNDS_SECONDS,
    cumulative_at_canonical,
    parse_le,
    to_warehouse_buckets,
)

INF = math.inf


def canonical(counts: list[float]) -> dict[float, float]:
    """Cumulative map at the canonical bounds from non-cumulative counts."""
    out, running = {}, 0.0
    for bound, count in zip(CANONICAL_BOUNDS_SECONDS, counts, strict=True):
        running += count
        out[bound] = running
    return out


def test_exact_bounds_map_one_to_one() -> None:
    counts = [0, 0, 0, 1800, 900, 300, 0, 0, 0, 0, 0, 0]
    assert to_warehouse_buckets(canonical(counts), 3000) == counts


def test_le_labels_parse_in_any_float_spelling() -> None:
    assert parse_le("5e-3") == parse_le("0.005") == 0.005
    assert parse_le("+Inf") == INF
    assert parse_le("250", unit=0.001) == pytest.approx(0.25)


def test_extra_bounds_are_ignored() -> None:
    """7.5 ms and 0.3 s are not canonical: the counts at 10 ms and 0.5 s are all that matter."""
    cumulative = {b: 0.0 for b in CANONICAL_BOUNDS_SECONDS} | {0.0075: 600.0, 0.3: 1200.0}
    for bound in CANONICAL_BOUNDS_SECONDS[1:]:
        cumulative[bound] = 1200.0
    assert to_warehouse_buckets(cumulative) == [0, 1200] + [0] * 10


def test_missing_bound_is_interpolated_linearly() -> None:
    """Bounds 0.1 and 0.5 only (no 0.25): C(0.25) = 100 + (300 − 100) × 0.15/0.4 = 175.

    Below 0.1 (5…50 ms) is interpolated from 0 at 0 s: C(b) = 100 × b/0.1 → 5, 10, 25, 50.
    Above 0.5 there is only +Inf: the 1…10 s bounds take C(0.5) = 300, the rest (100) is +Inf.
    """
    cumulative = {0.1: 100.0, 0.5: 300.0, INF: 400.0}
    assert cumulative_at_canonical(cumulative) == pytest.approx(
        [5, 10, 25, 50, 100, 175, 300, 300, 300, 300, 300, 400]
    )
    assert to_warehouse_buckets(cumulative) == [5, 5, 15, 25, 50, 75, 125, 0, 0, 0, 0, 100]


def test_strict_mode_refuses_missing_bounds_and_inf_is_required() -> None:
    with pytest.raises(ConnectorError, match=r"lacks the canonical bound\(s\) 0.25 s"):
        to_warehouse_buckets({b: 1.0 for b in CANONICAL_BOUNDS_SECONDS if b != 0.25}, mode="strict")
    with pytest.raises(ConnectorError, match=r"no \+Inf bucket"):
        to_warehouse_buckets({0.1: 5.0})


def test_scaling_to_requests_and_rounding_sum_exactly() -> None:
    """Histogram count 999.6 (extrapolated), requests 1000: counts sum to 1000 exactly."""
    counts = [0, 0, 0, 499.8, 299.9, 199.9, 0, 0, 0, 0, 0, 0]
    buckets = to_warehouse_buckets(canonical(counts), 1000)
    assert buckets == [0, 0, 0, 500, 300, 200, 0, 0, 0, 0, 0, 0]


def test_empty_histogram_and_non_monotonic_input() -> None:
    assert to_warehouse_buckets({INF: 0.0}, 50) == [0] * 12
    wobbly = canonical([0, 0, 0, 10, 5, 0, 0, 0, 0, 0, 0, 0]) | {0.25: 14.9999}
    assert to_warehouse_buckets(wobbly) == [0, 0, 0, 10, 5, 0, 0, 0, 0, 0, 0, 0]


@given(
    counts=st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=12, max_size=12
    ),
    requests=st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)),
)
def test_buckets_are_non_negative_integers_summing_to_requests(
    counts: list[float], requests: int | None
) -> None:
    cumulative = canonical(counts)
    buckets = to_warehouse_buckets(cumulative, requests)
    assert len(buckets) == 12
    assert all(isinstance(b, int) and b >= 0 for b in buckets)
    total = cumulative[INF]
    if total > 0:
        expected = requests if requests is not None else math.floor(total + 0.5)
        assert sum(buckets) == expected
    else:
        assert buckets == [0] * 12
