"""Derived tables kept in step with the rows they summarise, inside the writer's transaction.

``service_level_daily`` sums ``service_level_samples`` per service, environment and UTC day. Every
column is a plain sum (requests, errors, probes, histogram buckets, CPU and memory sums with
their counts), so a query over whole days reads the rollup and gets exactly the numbers the
hourly rows give: ratios of sums and quantiles of summed histograms are unchanged by summing
per day first. Anything needing single hours (P95 of hourly CPU, hours meeting the latency
target, burn-rate windows) still reads the hourly rows.

Writers call :func:`refresh_service_level_daily` for the window they wrote; it recomputes the
whole UTC days the window touches from the hourly rows, so a partial-day write stays exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

_DAY = "DATE '1970-01-01' + CAST(floor(epoch(bucket_start) / 86400) AS INTEGER)"
_SELECT = f"""
SELECT
    service_id,
    environment,
    {_DAY} AS day,
    count(*), sum(requests), sum(errors), sum(probes_total), sum(probes_ok),
    sum(cpu_utilisation), count(cpu_utilisation),
    sum(memory_utilisation), count(memory_utilisation),
    sum(latency_le_5ms), sum(latency_le_10ms), sum(latency_le_25ms), sum(latency_le_50ms),
    sum(latency_le_100ms), sum(latency_le_250ms), sum(latency_le_500ms), sum(latency_le_1000ms),
    sum(latency_le_2500ms), sum(latency_le_5000ms), sum(latency_le_10000ms), sum(latency_le_inf)
FROM service_level_samples
WHERE ($service IS NULL OR service_id = $service)
  AND ($environment IS NULL OR environment = $environment)
  AND ($first IS NULL OR bucket_start >= CAST($first AS TIMESTAMPTZ))
  AND ($after IS NULL OR bucket_start < CAST($after AS TIMESTAMPTZ))
GROUP BY ALL
ORDER BY day, service_id, environment
"""
_DELETE = """
DELETE FROM service_level_daily
WHERE ($service IS NULL OR service_id = $service)
  AND ($environment IS NULL OR environment = $environment)
  AND ($first IS NULL OR day >= CAST($first AS DATE))
  AND ($after IS NULL OR day < CAST($after AS DATE))
"""


def _utc_day(moment: dt.datetime | dt.date) -> dt.date:
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass UTC-aware times")
        return moment.astimezone(dt.UTC).date()
    return moment


def refresh_service_level_daily(
    con: duckdb.DuckDBPyConnection,
    *,
    service_id: str | None = None,
    environment: str | None = None,
    start: dt.datetime | dt.date | None = None,
    end: dt.datetime | dt.date | None = None,
) -> None:
    """Recompute the rollup for the UTC days that [start, end) touches (all days when open).

    ``end`` is exclusive; a window ending mid-day recomputes that whole day too.
    """
    first = _utc_day(start) if start is not None else None
    after = None
    if end is not None:
        last = _utc_day(end)
        at_midnight = not isinstance(end, dt.datetime) or end.astimezone(dt.UTC).time() == dt.time()
        after = last if at_midnight else last + dt.timedelta(days=1)
    params: dict[str, Any] = {
        "service": service_id,
        "environment": environment,
        "first": first,
        "after": after,
    }
    con.execute(_DELETE, params)
    con.execute(f"INSERT INTO service_level_daily {_SELECT}", params)


_EXACT = (
    "samples",
    "requests",
    "errors",
    "probes_total",
    "probes_ok",
    "cpu_samples",
    "memory_samples",
    "latency_le_5ms",
    "latency_le_10ms",
    "latency_le_25ms",
    "latency_le_50ms",
    "latency_le_100ms",
    "latency_le_250ms",
    "latency_le_500ms",
    "latency_le_1000ms",
    "latency_le_2500ms",
    "latency_le_5000ms",
    "latency_le_10000ms",
    "latency_le_inf",
)
_FLOATS = ("cpu_sum", "memory_sum")  # sums of doubles: equal up to summation order


def rollup_differences(con: duckdb.DuckDBPyConnection) -> int:
    """Days on which the stored rollup and a fresh one from the hourly rows differ (0 = in step)."""
    params = {"service": None, "environment": None, "first": None, "after": None}
    exact = " OR ".join(f"s.{c} IS DISTINCT FROM f.{c}" for c in _EXACT)
    floats = " OR ".join(
        f"(s.{c} IS NULL) <> (f.{c} IS NULL) OR abs(s.{c} - f.{c}) > 1e-9 * greatest(1, abs(f.{c}))"
        for c in _FLOATS
    )
    row = con.execute(
        f"""WITH fresh AS (
                (SELECT * FROM service_level_daily LIMIT 0)
                UNION ALL ({_SELECT})
            )
        SELECT count(*)
        FROM service_level_daily AS s
        FULL OUTER JOIN fresh AS f USING (service_id, environment, day)
        WHERE s.samples IS NULL OR f.samples IS NULL OR {exact} OR {floats}""",
        params,
    ).fetchone()
    return int(row[0]) if row else 0


def ensure_in_step(con: duckdb.DuckDBPyConnection) -> bool:
    """Backstop before a writer commits: when the rollup's totals disagree with the hourly
    rows' (a writer that did not refresh its window), rebuild it whole. True if it rebuilt.

    Costs one scan of three columns; writers that refresh their window never trigger it.
    """
    row = con.execute(
        """SELECT
            (SELECT (count(*), coalesce(sum(requests), 0), coalesce(sum(errors), 0))
             FROM service_level_samples)
            IS DISTINCT FROM
            (SELECT (coalesce(sum(samples), 0), coalesce(sum(requests), 0),
                     coalesce(sum(errors), 0))
             FROM service_level_daily)"""
    ).fetchone()
    if not (row and row[0]):
        return False
    refresh_service_level_daily(con)
    return True
