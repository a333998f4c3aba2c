"""Scorecard at enterprise scale: a quarter, all teams, against two baselines from the same run.

Issue "Performance at enterprise scale", benchmark 1. Target: the headline scorecard (the nine
KPIs of the home page) in at most 300 ms warm. Baselines, measured in the same run:

* pandas: a straightforward pandas implementation of the three service-level headline KPIs
  (availability, error rate, P95 latency from summed histograms), including the time to load
  the columns it needs from DuckDB; target: the scorecard is at least 10x faster.
* floor: a bare DuckDB scan summing the columns those three KPIs read, in the daily rollup
  they read since schema v5 (and, for comparison, the same sums over the hourly rows).

    python -m data.demo --scale enterprise --db /tmp/enterprise.duckdb --end 2026-11-25
    python -m bench.scorecard --db /tmp/enterprise.duckdb [--repeat 5] [--profile]

Prints a table and ratios; exits 1 only when the pandas and scorecard numbers disagree (a
benchmark, not a timed test). Cold = first call on a fresh connection (the OS page cache may
already hold the file); warm = median of --repeat further calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np

from bench import app_cursor
from metrics.core.definitions import BY_NAME, HEADLINE, KPIS
from metrics.core.filters import Filters
from metrics.core.scorecard import period_series, scorecard, sparkline_series
from metrics.core.targets import load_targets

QUARTER = Filters(dt.date(2026, 7, 1), dt.date(2026, 9, 30))
HEADLINE_TARGET_S = 0.300
PANDAS_RATIO_TARGET = 10.0
SERVICE_KPIS = ("availability", "error_rate", "p95_latency")
BOUNDS_MS = (5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, math.inf)
LATENCY_COLUMNS = tuple(f"latency_le_{'inf' if math.isinf(b) else f'{b:.0f}ms'}" for b in BOUNDS_MS)
RAW_SCAN_SQL = (
    "SELECT sum(requests), sum(errors), "
    + ", ".join(f"sum({c})" for c in LATENCY_COLUMNS)
    + " FROM service_level_samples"
    " WHERE bucket_start >= $s AND bucket_start < $e AND environment = $env"
)
FLOOR_SQL = (
    "SELECT sum(requests), sum(errors), "
    + ", ".join(f"sum({c})" for c in LATENCY_COLUMNS)
    + " FROM service_level_daily"
    " WHERE day >= CAST($s AS DATE) AND day < CAST($e AS DATE) AND environment = $env"
)


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    clock = time.perf_counter()
    result = call()
    return time.perf_counter() - clock, result


def measure(
    db: str, call: Callable[[duckdb.DuckDBPyConnection], Any], repeat: int
) -> tuple[float, float, Any]:
    """Cold (first call on a fresh connection) and warm (median of ``repeat``) seconds."""
    con = app_cursor(db)
    try:
        cold, result = _timed(lambda: call(con))
        warm = statistics.median(_timed(lambda: call(con))[0] for _ in range(repeat))
    finally:
        con.close()
    return cold, warm, result


def histogram_quantile(q: float, counts: np.ndarray) -> float | None:
    """Prometheus histogram_quantile over non-cumulative counts with BOUNDS_MS."""
    total = counts.sum()
    if total == 0:
        return None
    cumulative = np.cumsum(counts)
    rank = q * total
    index = int(np.argmax(cumulative >= rank))
    if index == len(counts) - 1:
        return BOUNDS_MS[-2]
    lower = 0.0 if index == 0 else BOUNDS_MS[index - 1]
    below = 0.0 if index == 0 else cumulative[index - 1]
    return lower + (BOUNDS_MS[index] - lower) * (rank - below) / counts[index]


def pandas_service_levels(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, Any]:
    """The three service-level headline KPIs for the period, computed in pandas."""
    columns = ", ".join(("service_id", "requests", "errors", *LATENCY_COLUMNS))
    frame = con.execute(
        f"SELECT {columns} FROM service_level_samples"
        " WHERE bucket_start >= $s AND bucket_start < $e AND environment = $env",
        {"s": filters.start_ts, "e": filters.end_ts, "env": filters.environment},
    ).df()
    services = con.execute("SELECT service_id FROM services").df()
    frame = frame[frame["service_id"].isin(services["service_id"])]  # the scorecard's JOIN
    requests = int(frame["requests"].sum())
    errors = int(frame["errors"].sum())
    counts = frame[list(LATENCY_COLUMNS)].sum().to_numpy(dtype=float)
    rate = 100.0 * errors / requests if requests else None
    return {
        "availability": None if rate is None else 100.0 * (1.0 - errors / requests),
        "error_rate": rate,
        "p95_latency": histogram_quantile(0.95, counts),
        "rows": len(frame),
    }


def floor_scan(
    con: duckdb.DuckDBPyConnection, filters: Filters, sql: str = FLOOR_SQL
) -> tuple[Any, ...]:
    params = {"s": filters.start_ts, "e": filters.end_ts, "env": filters.environment}
    return con.execute(sql, params).fetchone()


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def profile(db: str, filters: Filters, repeat: int) -> None:
    """Warm median per query file: the period query (this + previous) and the sparkline."""
    targets = load_targets()
    latency = targets.for_scope("p95_latency").target or 500.0
    print("\nProfile: warm median per query file (period + sparkline), all KPIs")
    print(f"  {'query':28} {'period s':>9} {'spark s':>9}  headline KPIs")
    for query in dict.fromkeys(k.query for k in KPIS):

        def period(con: duckdb.DuckDBPyConnection, query: str = query) -> Any:
            return period_series(con, query, filters, latency)

        def spark(con: duckdb.DuckDBPyConnection, query: str = query) -> Any:
            return sparkline_series(con, query, filters, latency)

        _, period_s, _ = measure(db, period, repeat)
        _, spark_s, _ = measure(db, spark, repeat)
        heads = ", ".join(k.name for k in HEADLINE if k.query == query) or "-"
        print(f"  {query:28} {period_s:9.3f} {spark_s:9.3f}  {heads}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scorecard", description=__doc__)
    parser.add_argument("--db", default=None, help="warehouse file (default: the usual one)")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs (median reported)")
    parser.add_argument("--profile", action="store_true", help="also time each query file")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)
    filters = QUARTER
    targets = load_targets()
    service = tuple(BY_NAME[name] for name in SERVICE_KPIS)

    con = app_cursor(args.db)
    try:
        rows_quarter = con.execute(
            "SELECT count(*) FROM service_level_samples"
            " WHERE bucket_start >= $s AND bucket_start < $e AND environment = $env",
            {"s": filters.start_ts, "e": filters.end_ts, "env": filters.environment},
        ).fetchone()[0]
        rows_total = con.execute("SELECT count(*) FROM service_level_samples").fetchone()[0]
    finally:
        con.close()

    head = measure(args.db, lambda c: scorecard(c, filters, targets, HEADLINE), repeat)
    full = measure(args.db, lambda c: scorecard(c, filters, targets), repeat)
    three = measure(args.db, lambda c: scorecard(c, filters, targets, service), repeat)
    pandas_ = measure(args.db, lambda c: pandas_service_levels(c, filters), repeat)
    floor = measure(args.db, lambda c: floor_scan(c, filters), repeat)
    raw = measure(args.db, lambda c: floor_scan(c, filters, RAW_SCAN_SQL), repeat)

    by_kpi = three[2].set_index("kpi")["value"]
    mismatches = [
        f"{name}: scorecard {by_kpi[name]!r} != pandas {pandas_[2][name]!r}"
        for name in SERVICE_KPIS
        if not _close(None if math.isnan(by_kpi[name]) else float(by_kpi[name]), pandas_[2][name])
    ]
    pandas_ratio = pandas_[1] / three[1]
    floor_ratio = three[1] / floor[1]

    print(
        f"Scorecard benchmark: {filters.start}..{filters.end}, all teams, "
        f"environment {filters.environment}, warm = median of {repeat}"
    )
    print(
        f"service_level_samples: {rows_quarter:,} rows scanned for the quarter "
        f"({pandas_[2]['rows']:,} loaded into pandas; table holds {rows_total:,})"
    )
    print(f"  {'measurement':34} {'cold s':>8} {'warm s':>8}  {'target':14} ratio")
    table = [
        (f"scorecard, {len(HEADLINE)} headline KPIs", head, "<= 0.300 s", ""),
        (f"scorecard, all {len(KPIS)} KPIs", full, "-", ""),
        ("scorecard, 3 service-level KPIs", three, "-", "1.0"),
        ("pandas, same 3 KPIs (incl. load)", pandas_, ">= 10x slower", f"{pandas_ratio:.1f}x"),
        ("floor: bare sum scan, daily rollup", floor, "-", f"1/{floor_ratio:.1f}"),
        ("bare sum scan, hourly rows", raw, "-", f"{raw[1] / three[1]:.1f}x slower"),
    ]
    for label, (cold, warm, _), target, ratio in table:
        print(f"  {label:34} {cold:8.3f} {warm:8.3f}  {target:14} {ratio}")
    values = ", ".join(f"{name} {pandas_[2][name]:.6g}" for name in SERVICE_KPIS)
    print(f"numbers: {values} ({'equal' if not mismatches else 'DIFFERENT'} within 1e-9 rel.)")
    head_ok = head[1] <= HEADLINE_TARGET_S
    pandas_ok = pandas_ratio >= PANDAS_RATIO_TARGET
    print(
        f"headline warm {head[1] * 1000:.0f} ms (target <= 300 ms: "
        f"{'met' if head_ok else 'MISSED'}); pandas / scorecard-3 = {pandas_ratio:.1f}x "
        f"(target >= 10x: {'met' if pandas_ok else 'MISSED'}); "
        f"scorecard-3 / floor = {floor_ratio:.1f}x"
    )
    print(
        "note: the scorecard also computes the previous quarter and a weekly sparkline (two "
        "queries per SQL file); pandas and the floor compute this quarter's totals only."
    )
    if args.profile:
        profile(args.db, filters, repeat)
    for line in mismatches:
        print(f"MISMATCH {line}", file=sys.stderr)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
