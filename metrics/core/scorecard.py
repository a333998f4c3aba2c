"""The scorecard: every KPI for a scope, against its target and the previous period.

Order of computation (DESIGN.md §3): each query in metrics/sql aggregates rows into buckets and
derives its ratios and quantiles there; this module asks for one bucket per period (this and
the previous one) and for a sparkline series, then applies targets, tiers and deltas.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from i18n import _
from metrics.core.definitions import KPIS, Kpi, sql_text
from metrics.core.filters import Filters
from metrics.core.formatting import format_delta, format_value
from metrics.core.targets import Targets, describe, status
from metrics.kpis import dora

_PARAM = re.compile(r"\$([a-z_]+)")
DEFAULT_LATENCY_TARGET_MS = 500.0


def _params(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """Only the named parameters the statement uses (DuckDB rejects unused ones)."""
    return {name: values[name] for name in set(_PARAM.findall(sql))}


def query_series(
    con: duckdb.DuckDBPyConnection,
    query: str,
    filters: Filters,
    *,
    origin: dt.datetime,
    bucket_width: str,
    range_start: dt.datetime | None = None,
    latency_target_ms: float = DEFAULT_LATENCY_TARGET_MS,
    scope_level: str | None = None,
) -> pd.DataFrame:
    """One query's columns per bucket of ``bucket_width`` ('7 days', '1 month', …) from origin.

    ``scope_level`` 'team' or 'service' asks queries that support it (they select ``scope_id``)
    for one row per bucket and team or service instead of one for the whole scope.
    """
    sql = sql_text(query)
    values = {
        "range_start": range_start or filters.start_ts,
        "range_end": filters.end_ts,
        "origin": origin,
        "bucket_width": bucket_width,
        "latency_target_ms": latency_target_ms,
        "scope_level": scope_level,
        **filters.scope_params(),
    }
    frame = con.execute(sql, _params(sql, values)).df()
    return frame.sort_values("bucket").reset_index(drop=True)


def kpi_series(
    con: duckdb.DuckDBPyConnection,
    kpi: Kpi,
    filters: Filters,
    *,
    origin: dt.datetime,
    bucket_width: str,
    range_start: dt.datetime | None = None,
    latency_target_ms: float = DEFAULT_LATENCY_TARGET_MS,
) -> pd.DataFrame:
    """One KPI per bucket: columns bucket (start, UTC), value, n (the denominator behind it)."""
    frame = query_series(
        con,
        kpi.query,
        filters,
        origin=origin,
        bucket_width=bucket_width,
        range_start=range_start,
        latency_target_ms=latency_target_ms,
    )
    return pd.DataFrame(
        {"bucket": frame["bucket"], "value": frame[kpi.column], "n": frame[kpi.n_column]}
    )


def sparkline_days(period_days: int) -> int:
    """Bucket size for a sparkline: daily up to a month, weekly up to ~6 months, else 4-weekly."""
    if period_days <= 31:
        return 1
    if period_days <= 200:
        return 7
    return 28


def clean(value: Any) -> float | None:
    """A query cell as a float, or None for SQL NULL and NaN ("no data")."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class PeriodValues:
    current: float | None
    previous: float | None
    n: float


def period_series(
    con: duckdb.DuckDBPyConnection, query: str, filters: Filters, latency_target_ms: float
) -> pd.DataFrame:
    """One query's columns for this period and the previous one (two buckets, one query)."""
    previous = filters.previous()
    return query_series(
        con,
        query,
        filters,
        origin=previous.start_ts,
        bucket_width=f"{filters.days} days",
        range_start=previous.start_ts,
        latency_target_ms=latency_target_ms,
    )


def sparkline_series(
    con: duckdb.DuckDBPyConnection, query: str, filters: Filters, latency_target_ms: float
) -> pd.DataFrame:
    """One query's columns per sparkline bucket of this period."""
    return query_series(
        con,
        query,
        filters,
        origin=filters.start_ts,
        bucket_width=f"{sparkline_days(filters.days)} days",
        latency_target_ms=latency_target_ms,
    )


def _period_frame(
    con: duckdb.DuckDBPyConnection, query: str, filters: Filters, latency_target_ms: float
) -> dict[pd.Timestamp, Any]:
    frame = period_series(con, query, filters, latency_target_ms)
    return {row["bucket"]: row for _, row in frame.iterrows()}


def period_values(
    con: duckdb.DuckDBPyConnection,
    kpi: Kpi,
    filters: Filters,
    latency_target_ms: float = DEFAULT_LATENCY_TARGET_MS,
) -> PeriodValues:
    """This period's and the previous equal-length period's value, from one query."""
    by_bucket = _period_frame(con, kpi.query, filters, latency_target_ms)
    return _values(kpi, by_bucket, filters)


def _values(kpi: Kpi, by_bucket: dict[pd.Timestamp, Any], filters: Filters) -> PeriodValues:
    now = by_bucket.get(pd.Timestamp(filters.start_ts))
    before = by_bucket.get(pd.Timestamp(filters.previous().start_ts))
    return PeriodValues(
        current=clean(now[kpi.column]) if now is not None else None,
        previous=clean(before[kpi.column]) if before is not None else None,
        n=(clean(now[kpi.n_column]) or 0.0) if now is not None else 0.0,
    )


def scorecard(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    targets: Targets,
    kpis: tuple[Kpi, ...] = KPIS,
    *,
    sparklines: bool = True,
) -> pd.DataFrame:
    """One row per KPI: value, target, RAG status, tier, previous period, change, sparkline.

    ``sparklines=False`` skips the sparkline queries (empty lists) for views without them.
    """
    latency = targets.for_scope("p95_latency", filters.team, filters.service).target
    latency_ms = latency if latency is not None else DEFAULT_LATENCY_TARGET_MS
    periods: dict[str, dict[pd.Timestamp, Any]] = {}
    sparks: dict[str, pd.DataFrame | None] = {}
    rows = []
    for kpi in kpis:
        if kpi.query not in periods:
            periods[kpi.query] = _period_frame(con, kpi.query, filters, latency_ms)
            sparks[kpi.query] = (
                sparkline_series(con, kpi.query, filters, latency_ms) if sparklines else None
            )
        values = _values(kpi, periods[kpi.query], filters)
        spark = sparks[kpi.query]
        target = targets.for_scope(kpi.name, filters.team, filters.service)
        rag, tier = status(kpi, values.current, target, targets.benchmark_year)
        delta = (
            values.current - values.previous
            if values.current is not None and values.previous is not None
            else None
        )
        improved = None if not delta else (delta > 0) == (kpi.direction == "higher")
        rows.append(
            {
                "kpi": kpi.name,
                "label": _(kpi.label),
                "group": kpi.group,
                "headline": kpi.headline,
                "value": values.current,
                "unit": kpi.unit,
                "display": format_value(kpi, values.current),
                "target": target.tier if kpi.target_kind == "dora" else target.target,
                "target_text": describe(kpi, target, targets.benchmark_year),
                "status": rag,
                "tier": tier,
                "tier_band": dora.tier_label(kpi.name, tier, targets.benchmark_year),
                "benchmark_year": targets.benchmark_year if kpi.target_kind == "dora" else None,
                "previous": values.previous,
                "delta": delta,
                "delta_display": format_delta(kpi, delta),
                "improved": improved,
                "direction": kpi.direction,
                "n": values.n,
                "definition": _(kpi.definition),
                "sparkline_start": []
                if spark is None
                else [ts.date().isoformat() for ts in spark["bucket"]],
                "sparkline": [] if spark is None else [clean(v) for v in spark[kpi.column]],
            }
        )
    frame = pd.DataFrame(rows)
    # Keep whole years as ints next to missing values (pandas would widen them to float).
    frame["benchmark_year"] = pd.Series(
        [row["benchmark_year"] for row in rows], dtype=object, index=frame.index
    )
    return frame


def overall_tier(frame: pd.DataFrame) -> str | None:
    """Overall DORA tier: the lowest tier among the four keys (a chain is as fast as its slowest
    link); None unless all four have a tier."""
    tiers = [t for t in frame.loc[frame["tier"].notna(), "tier"]]
    if len(tiers) < 4:
        return None
    worst: str = max(tiers, key=dora.tier_rank)
    return worst


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with None (not NaN) for missing values, for JSON and tests."""
    return [
        {str(key): (None if _is_missing(value) else value) for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA
