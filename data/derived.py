"""Derived tables kept in step with the rows they summarise, inside the writer's transaction.

They exist for speed only: every KPI they serve gives exactly the number the source rows give.

* ``service_level_daily`` sums ``service_level_samples`` per service, environment and UTC day.
  Every column is a plain sum, so a query over whole days gets the hourly rows' numbers: ratios
  of sums and quantiles of summed histograms do not change when summed per day first. Hourly
  questions (P95 of hourly CPU, hours meeting the latency target, burn-rate windows) still read
  the hourly rows. Writers refresh the window they wrote (:func:`refresh_service_level_daily`);
  a totals check before commit rebuilds it whole if one did not.
* ``shipped_changes`` (changes ⋈ deployments: lead times), ``deployment_outcomes`` (successful
  deployments and whether they failed), ``deployment_incidents`` (incidents with the
  environment of the deployment that caused them) and ``service_first_deployments`` are rebuilt
  whole when a fingerprint of their source tables changed during the write, or a migration
  ran. A fingerprint is a count and a sum of row hashes: one scan per table, so writers cannot
  forget and readers never join millions of rows per query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

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


_WINDOWS = "techpulse_dirty_windows"
_SUMS = _SELECT[_SELECT.index("    count(*)") : _SELECT.index("FROM service_level_samples")]


def refresh_daily_windows(
    con: duckdb.DuckDBPyConnection,
    windows: Mapping[tuple[str, str], tuple[dt.datetime, dt.datetime]],
) -> None:
    """Recompute the rollup for many (service, environment) windows [start, end) in two
    statements: what a connector run calls once at its end, however many windows it wrote."""
    if not windows:
        return
    keys = list(windows)
    firsts = [_utc_day(windows[k][0]) for k in keys]
    afters = [_after_day(windows[k][1]) for k in keys]
    table = pa.table(
        {
            "service_id": [k[0] for k in keys],
            "environment": [k[1] for k in keys],
            "first_day": pa.array(firsts, pa.date32()),
            "after_day": pa.array(afters, pa.date32()),
        }
    )
    con.register(_WINDOWS, table)
    try:
        con.execute(
            f"""DELETE FROM service_level_daily AS d USING {_WINDOWS} AS w
                WHERE d.service_id = w.service_id AND d.environment = w.environment
                  AND d.day >= w.first_day AND d.day < w.after_day"""
        )
        con.execute(
            f"""INSERT INTO service_level_daily
                SELECT service_id, environment, {_DAY} AS day, {_SUMS}
                FROM (SELECT x.* FROM service_level_samples AS x
                      JOIN {_WINDOWS} AS w
                        ON x.service_id = w.service_id AND x.environment = w.environment
                      WHERE x.bucket_start >= utc_midnight(w.first_day)
                        AND x.bucket_start < utc_midnight(w.after_day))
                GROUP BY ALL
                ORDER BY day, service_id, environment"""
        )
    finally:
        con.unregister(_WINDOWS)


def _after_day(end: dt.datetime | dt.date) -> dt.date:
    """The first UTC day after [.., end): end's day itself when end is midnight (exclusive)."""
    last = _utc_day(end)
    at_midnight = not isinstance(end, dt.datetime) or end.astimezone(dt.UTC).time() == dt.time()
    return last if at_midnight else last + dt.timedelta(days=1)


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
    after = _after_day(end) if end is not None else None
    params: dict[str, Any] = {
        "service": service_id,
        "environment": environment,
        "first": first,
        "after": after,
    }
    con.execute(_DELETE, params)
    con.execute(f"INSERT INTO service_level_daily {_SELECT}", params)


_KEYS = ("service_id", "environment", "day")
_FLOATS = ("cpu_sum", "memory_sum")  # sums of doubles: equal up to summation order


def rollup_differences(con: duckdb.DuckDBPyConnection) -> int:
    """Days on which the stored rollup and a fresh one from the hourly rows differ (0 = in step)."""
    params = {"service": None, "environment": None, "first": None, "after": None}
    columns = [
        str(r[0])
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'service_level_daily'"
            " AND database_name = current_database() ORDER BY column_index"
        ).fetchall()
    ]
    counts = [c for c in columns if c not in _KEYS and c not in _FLOATS]  # integer sums
    exact = " OR ".join(f"s.{c} IS DISTINCT FROM f.{c}" for c in counts)
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


def daily_in_step(con: duckdb.DuckDBPyConnection) -> bool:
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
    ).fetchall()[0]  # fetch everything: a pending result would block the caller's register()
    if not (row and row[0]):
        return False
    refresh_service_level_daily(con)
    return True


@dataclass(frozen=True)
class Derived:
    """A table rebuilt whole from ``select`` whenever one of ``sources`` changed."""

    table: str
    sources: tuple[str, ...]
    select: str


DERIVED: tuple[Derived, ...] = (
    Derived(
        "shipped_changes",
        ("changes", "deployments"),
        """SELECT d.service_id, d.environment, d.finished_at AS deployed_at,
                  hours_between(c.first_commit_at, d.finished_at) AS lead_time_h,
                  -- shipped before the merge (deployed from its branch, then merged): no
                  -- merge-to-deploy time rather than a negative one; lead time still counts
                  CASE WHEN d.finished_at >= c.merged_at
                       THEN hours_between(c.merged_at, d.finished_at) END AS merge_to_deploy_h,
                  c.source AS change_source, c.external_id AS change_external_id
           FROM changes AS c
           JOIN deployments AS d
               ON d.source = c.deployment_source AND d.external_id = c.deployment_external_id
           WHERE d.status = 'success' AND d.finished_at IS NOT NULL
             AND c.first_commit_at IS NOT NULL
           ORDER BY deployed_at, d.service_id, c.source, c.external_id""",
    ),
    Derived(
        "deployment_outcomes",
        ("deployments", "incidents"),
        """SELECT d.source, d.external_id, d.service_id, d.environment, d.finished_at,
                  d.change_type,
                  EXISTS (SELECT 1 FROM incidents AS i
                          WHERE i.caused_by_deployment_source = d.source
                            AND i.caused_by_deployment_external_id = d.external_id)
                  OR EXISTS (SELECT 1 FROM deployments AS r
                             WHERE r.source = d.source
                               AND r.remediates_external_id = d.external_id) AS failed
           FROM deployments AS d
           WHERE d.status = 'success' AND d.finished_at IS NOT NULL
           ORDER BY d.finished_at, d.service_id""",
    ),
)
DERIVED += (
    Derived(
        "deployment_incidents",
        ("incidents", "deployments"),
        """SELECT i.service_id, d.environment, i.started_at, i.resolved_at
           FROM incidents AS i
           JOIN deployments AS d
               ON d.source = i.caused_by_deployment_source
               AND d.external_id = i.caused_by_deployment_external_id
           ORDER BY i.started_at, i.service_id""",
    ),
    Derived(
        "service_first_deployments",
        ("deployments",),
        """SELECT service_id, environment, min(finished_at) AS first_deployed
           FROM deployments GROUP BY ALL ORDER BY ALL""",
    ),
)
SOURCES: tuple[str, ...] = tuple(dict.fromkeys(t for d in DERIVED for t in d.sources))
Fingerprints = dict[str, tuple[int, int]]


@dataclass
class Declared:
    """What a writer says it changed, so its commit skips the whole-table fingerprints and the
    rollup's totals check, whose cost grows with the warehouse (seconds at enterprise scale).

    A writer that passes one to ``write_snapshot`` must note every table it writes: the
    connectors' Loader does (and its linker notes the tables it updates). Writers that pass
    none keep the fingerprints, so a forgotten table can never leave a derived table stale.
    """

    tables: set[str] = field(default_factory=set)
    daily_pending: bool = False  # hourly samples written and their rollup not refreshed yet

    def wrote(self, table: str) -> None:
        self.tables.add(table)
        if table == "service_level_samples":
            self.daily_pending = True


def fingerprints(con: duckdb.DuckDBPyConnection) -> Fingerprints:
    """(rows, Σ row hash) of every table a derived table is built from."""
    found: Fingerprints = {}
    for table in SOURCES:  # names from the constant above, never from input
        sql = f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} AS t"
        row = con.execute(sql).fetchall()[0]
        found[table] = (int(row[0]), int(row[1])) if row else (0, 0)
    return found


def rebuild(con: duckdb.DuckDBPyConnection, derived: Derived) -> None:
    con.execute(f"DELETE FROM {derived.table}")
    con.execute(f"INSERT INTO {derived.table} {derived.select}")


def bring_in_step(
    con: duckdb.DuckDBPyConnection,
    before: Fingerprints,
    *,
    everything: bool = False,
    declared: Declared | None = None,
) -> list[str]:
    """Before commit: rebuild what the write made stale; ``everything`` after a migration.
    With ``declared`` the writer's own list of tables replaces the fingerprints.

    Returns the derived tables rebuilt (for tests and logs).
    """
    if declared is not None and not everything:
        changed = declared.tables.intersection(SOURCES)
    else:
        after = fingerprints(con)
        changed = {t for t in SOURCES if everything or before.get(t) != after.get(t)}
    rebuilt = []
    for derived in DERIVED:
        if changed.intersection(derived.sources):
            rebuild(con, derived)
            rebuilt.append(derived.table)
    if everything:
        refresh_service_level_daily(con)
        rebuilt.append("service_level_daily")
    elif declared is not None and not declared.daily_pending:
        pass  # the writer refreshed the rollup for every window it wrote
    elif daily_in_step(con):
        rebuilt.append("service_level_daily")
    return rebuilt


def derived_differences(con: duckdb.DuckDBPyConnection, derived: Derived) -> int:
    """Rows in which the stored table and a fresh build differ (0 = in step)."""
    row = con.execute(
        f"""WITH fresh AS ({derived.select}),
            a AS (SELECT * FROM {derived.table} EXCEPT ALL SELECT * FROM fresh),
            b AS (SELECT * FROM fresh EXCEPT ALL SELECT * FROM {derived.table})
        SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)"""
    ).fetchone()
    return int(row[0]) if row else 0
