"""KPI trends at a calendar grain (week, month, quarter) within the selected period.

Weeks start on Monday, months on the 1st, quarters on 1 Jan/Apr/Jul/Oct, all in UTC. The first
and last buckets are clipped to the period, so their values cover only the days inside it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import duckdb
import pandas as pd

from metrics.core.definitions import BY_NAME
from metrics.core.filters import FilterError, Filters
from metrics.core.scorecard import DEFAULT_LATENCY_TARGET_MS, kpi_series

Grain = Literal["week", "month", "quarter"]
GRAINS: dict[str, tuple[str, dt.datetime]] = {
    "week": ("7 days", dt.datetime(2000, 1, 3, tzinfo=dt.UTC)),  # a Monday
    "month": ("1 month", dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
    "quarter": ("3 months", dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
}


def trend(
    con: duckdb.DuckDBPyConnection,
    kpi_name: str,
    filters: Filters,
    grain: str = "month",
    latency_target_ms: float = DEFAULT_LATENCY_TARGET_MS,
) -> pd.DataFrame:
    """Columns: bucket (start, UTC), value, n."""
    if grain not in GRAINS:
        raise FilterError(f"grain {grain!r} is not one of {', '.join(GRAINS)}")
    if kpi_name not in BY_NAME:
        raise FilterError(f"unknown KPI {kpi_name!r}; known: {', '.join(BY_NAME)}")
    width, origin = GRAINS[grain]
    return kpi_series(
        con,
        BY_NAME[kpi_name],
        filters,
        origin=origin,
        bucket_width=width,
        latency_target_ms=latency_target_ms,
    )
