"""The scorecard: every headline KPI for a scope, against its target and the previous period."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from metrics.definitions import KPIS, Kpi
from metrics.filters import Filters
from metrics.formatting import format_delta, format_value
from metrics.targets import Targets, describe, status

_PARAM = re.compile(r"\$([a-z_]+)")


def _params(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """Only the named parameters the statement uses (DuckDB rejects unused ones)."""
    return {name: values[name] for name in set(_PARAM.findall(sql))}


def kpi_series(
    con: duckdb.DuckDBPyConnection,
    kpi: Kpi,
    filters: Filters,
    *,
    origin: dt.datetime,
    bucket_width: str,
    range_start: dt.datetime | None = None,
) -> pd.DataFrame:
    """The KPI per bucket of ``bucket_width`` (e.g. '7 days', '1 month') from ``origin``.

    Columns: bucket (start, UTC), value, n (the denominator behind the value).
    """
    values = {
        "range_start": range_start or filters.start_ts,
        "range_end": filters.end_ts,
        "origin": origin,
        "bucket_width": bucket_width,
        **filters.scope_params(),
    }
    frame = con.execute(kpi.sql, _params(kpi.sql, values)).df()
    return frame.sort_values("bucket").reset_index(drop=True)


def sparkline_days(period_days: int) -> int:
    """Bucket size for a sparkline: daily up to a month, weekly up to ~6 months, else 4-weekly."""
    if period_days <= 31:
        return 1
    if period_days <= 200:
        return 7
    return 28


def _clean(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class PeriodValues:
    current: float | None
    previous: float | None
    n: float


def period_values(con: duckdb.DuckDBPyConnection, kpi: Kpi, filters: Filters) -> PeriodValues:
    """This period's and the previous equal-length period's value, in one query."""
    previous = filters.previous()
    frame = kpi_series(
        con,
        kpi,
        filters,
        origin=previous.start_ts,
        bucket_width=f"{filters.days} days",
        range_start=previous.start_ts,
    )
    by_bucket = {row.bucket: row for row in frame.itertuples()}
    now = by_bucket.get(pd.Timestamp(filters.start_ts))
    before = by_bucket.get(pd.Timestamp(previous.start_ts))
    return PeriodValues(
        current=_clean(now.value) if now is not None else None,
        previous=_clean(before.value) if before is not None else None,
        n=float(now.n) if now is not None and now.n is not None else 0.0,
    )


def scorecard(con: duckdb.DuckDBPyConnection, filters: Filters, targets: Targets) -> pd.DataFrame:
    """One row per KPI: value, target, RAG status, tier, previous period, change, sparkline."""
    step = sparkline_days(filters.days)
    rows = []
    for kpi in KPIS:
        values = period_values(con, kpi, filters)
        target = targets.for_scope(kpi.name, filters.team, filters.service)
        rag, tier = status(kpi, values.current, target, targets.benchmark_year)
        spark = kpi_series(con, kpi, filters, origin=filters.start_ts, bucket_width=f"{step} days")
        delta = (
            values.current - values.previous
            if values.current is not None and values.previous is not None
            else None
        )
        improved = None if not delta else (delta > 0) == (kpi.direction == "higher")
        rows.append(
            {
                "kpi": kpi.name,
                "label": kpi.label,
                "value": values.current,
                "unit": kpi.unit,
                "display": format_value(kpi, values.current),
                "target": target.tier if kpi.target_kind == "dora" else target.target,
                "target_text": describe(kpi, target, targets.benchmark_year),
                "status": rag,
                "tier": tier,
                "benchmark_year": targets.benchmark_year if kpi.target_kind == "dora" else None,
                "previous": values.previous,
                "delta": delta,
                "delta_display": format_delta(kpi, delta),
                "improved": improved,
                "direction": kpi.direction,
                "n": values.n,
                "definition": kpi.definition,
                "sparkline_start": [ts.date().isoformat() for ts in spark["bucket"]],
                "sparkline": [_clean(v) for v in spark["value"]],
            }
        )
    frame = pd.DataFrame(rows)
    # Keep whole years as ints next to missing values (pandas would widen them to float).
    frame["benchmark_year"] = pd.Series(
        [row["benchmark_year"] for row in rows], dtype=object, index=frame.index
    )
    return frame


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with None (not NaN) for missing values, for JSON and tests."""
    return [
        {key: (None if _is_missing(value) else value) for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA
