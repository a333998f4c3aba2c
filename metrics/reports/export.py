"""Analyst data export: every warehouse table and every KPI series as CSV, filters applied.

The app's Data export page and ``python -m metrics export`` both call ``export_frame`` and
``to_csv_bytes``, so a download and a CLI run with the same filters give the same bytes.

Decisions (documented here because analysts' tools depend on them):

* **No "data as of" line in the CSV body.** A leading comment line breaks CSV readers (pandas,
  Excel's import, R). The timestamp goes into the file name (``..._asof-20260115T0005Z.csv``)
  and onto the page next to the download button instead.
* **Timestamps** are ISO 8601 in UTC with a ``Z`` suffix (``2026-01-02T12:00:00Z``); calendar
  dates (``DATE`` columns, KPI bucket starts) are ``YYYY-MM-DD``.
* **Rows end in CRLF** (RFC 4180); every reader accepts it.
* **Excel option**: the same UTF-8 cells with a byte-order mark, which Excel needs to detect
  UTF-8 (otherwise "≥" and "€" arrive garbled), and a header row people read: each column's
  label in the reader's language with its name in brackets ("完成时间 (finished_at)",
  metrics/reports/headers.py). The plain file has no BOM and keeps the bare column names, the
  same in every language, for tools.
* **CSV injection** (OWASP): a *text* cell beginning with ``=``, ``+``, ``-``, ``@``, tab,
  carriage return or line feed gets a leading single quote so spreadsheets show it as text
  instead of evaluating it. Numeric cells are never touched (−1.5 stays a number), nor are text
  cells that are a plain number literal such as ``-1.5``, which cannot carry a formula.
* **KPI series** (``kpis``): one row per KPI and calendar bucket (week from Monday, month,
  quarter, as on the charts); ``date`` is the bucket's calendar start, and the first and last
  buckets cover only the days inside the period. ``team``/``service`` read ``all`` when not
  filtered; ``target`` is the scope's numeric target, the DORA tier aimed for, or empty.
* **Period**: each table is cut on its natural time column; rows whose time is NULL (e.g. a
  deployment still running) fall outside every period. ``changes`` uses ``merged_at`` and, when
  a source does not report merges, ``first_commit_at``, so such changes are not lost.
* **Scope**: team and service narrow tables with a ``service_id`` (through ``services``), the
  ``teams``/``services`` tables themselves, ``investments`` and ``actions`` (by team) and
  ``annotations`` (organisation-wide ones always stay); ``environment`` narrows tables with an
  ``environment`` column. Tables without time or scope columns are exported whole.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from metrics.core.catalog import freshness
from metrics.core.definitions import KPIS, Kpi
from metrics.core.filters import FilterError, Filters
from metrics.core.scorecard import DEFAULT_LATENCY_TARGET_MS, query_series
from metrics.core.targets import Targets
from metrics.core.trends import GRAINS
from metrics.reports import headers

KPI_DATASET = "kpis"
KPI_COLUMNS = ("date", "team", "service", "metric", "value", "unit", "target")
BOM = b"\xef\xbb\xbf"
_PARAM = re.compile(r"\$([a-z_]+)")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

# Services in the selected team/service; reused by every service-scoped table.
_SCOPED_SERVICES = (
    "SELECT service_id FROM services WHERE ($team IS NULL OR team_id = $team)"
    " AND ($service IS NULL OR service_id = $service)"
)


@dataclass(frozen=True)
class TableSpec:
    """How one warehouse table is filtered; all SQL here is static (never user input)."""

    time: str | None = None  # SQL expression of the natural time column
    is_date: bool = False  # a DATE column: compare with days, not timestamps
    scope: str | None = None  # SQL condition for team/service
    environment: bool = False  # has an environment column
    order: str = "ALL"


TABLES: dict[str, TableSpec] = {
    "teams": TableSpec(
        scope=f"(($team IS NULL AND $service IS NULL) OR team_id IN "
        f"(SELECT team_id FROM services WHERE service_id IN ({_SCOPED_SERVICES})))",
        order="team_id",
    ),
    "services": TableSpec(scope=f"service_id IN ({_SCOPED_SERVICES})", order="service_id"),
    "deployments": TableSpec(
        time="finished_at",
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        environment=True,
        order="finished_at, source, external_id",
    ),
    "deployment_commits": TableSpec(
        scope=(
            "(source, deployment_external_id) IN (SELECT source, external_id FROM deployments"
            f" WHERE service_id IN ({_SCOPED_SERVICES}))"
        ),
        order="source, deployment_external_id, commit_sha",
    ),
    "changes": TableSpec(
        time="coalesce(merged_at, first_commit_at)",
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        order="coalesce(merged_at, first_commit_at), source, external_id",
    ),
    "incidents": TableSpec(
        time="started_at",
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        order="started_at, source, external_id",
    ),
    "service_level_samples": TableSpec(
        time="bucket_start",
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        environment=True,
        order="bucket_start, service_id, environment",
    ),
    "service_level_daily": TableSpec(
        time="day",
        is_date=True,
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        environment=True,
        order="day, service_id, environment",
    ),
    "shipped_changes": TableSpec(
        time="deployed_at",
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        environment=True,
        order="deployed_at, service_id, change_source, change_external_id",
    ),
    "deployment_outcomes": TableSpec(
        time="finished_at",
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        environment=True,
        order="finished_at, source, external_id",
    ),
    "deployment_incidents": TableSpec(
        time="started_at",
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        environment=True,
        order="started_at, service_id",
    ),
    "service_first_deployments": TableSpec(
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        environment=True,
        order="service_id, environment",
    ),
    "quality_snapshots": TableSpec(
        time="analysed_at",
        scope=f"service_id IN ({_SCOPED_SERVICES})",
        order="analysed_at, source, project_key",
    ),
    "investments": TableSpec(
        time="spent_on",
        is_date=True,
        scope="($team IS NULL OR team_id = $team)",
        order="spent_on, source, external_id",
    ),
    "annotations": TableSpec(
        time="occurred_on",
        is_date=True,
        scope=(
            "(($team IS NULL AND $service IS NULL) OR scope = 'organisation'"
            " OR (scope = 'team' AND scope_id = $team)"
            f" OR (scope = 'service' AND scope_id IN ({_SCOPED_SERVICES})))"
        ),
        order="occurred_on, annotation_id",
    ),
    "actions": TableSpec(
        time="created_at",
        scope="($team IS NULL OR owner_team = $team)",
        order="created_at, action_id",
    ),
    "sync_runs": TableSpec(time="started_at", order="started_at, run_id"),
    "sync_cursors": TableSpec(order="source, stream"),
    "schema_migrations": TableSpec(order="version"),
}

DATASETS: tuple[str, ...] = (*TABLES, KPI_DATASET)


class ExportError(FilterError):
    """An export request a user can correct (unknown dataset or grain); says what is valid."""


def check_dataset(dataset: str) -> str:
    """The dataset name if known, else an ExportError listing the valid ones."""
    if dataset not in DATASETS:
        raise ExportError(f"unknown dataset {dataset!r}; valid datasets: {', '.join(DATASETS)}")
    return dataset


def _params(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """Only the named parameters the statement uses (DuckDB rejects unused ones)."""
    return {name: values[name] for name in set(_PARAM.findall(sql))}


def table_sql(table: str) -> str:
    """The filtered SELECT for a known table; the name is looked up, never interpolated raw."""
    spec = TABLES[check_dataset(table)] if table != KPI_DATASET else None
    if spec is None:
        raise ExportError("the kpis dataset is computed, not read from a table")
    where = []
    if spec.time is not None:
        low, high = ("$start_day", "$end_day") if spec.is_date else ("$start_ts", "$end_ts")
        upper = "<=" if spec.is_date else "<"
        where.append(f"{spec.time} >= {low} AND {spec.time} {upper} {high}")
    if spec.scope is not None:
        where.append(spec.scope)
    if spec.environment:
        where.append("environment = $environment")
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return f'SELECT * FROM "{table}"{condition} ORDER BY {spec.order}'


PAGE_ROW_LIMIT = 500_000  # rows the app builds into a download; the CLI has no limit


def row_count(con: duckdb.DuckDBPyConnection, dataset: str, filters: Filters) -> int:
    """Rows the export of ``dataset`` holds with these filters, counted without reading them."""
    if check_dataset(dataset) == KPI_DATASET:
        return 0  # computed: one row per KPI and bucket, always small
    sql = f"SELECT count(*) FROM ({table_sql(dataset)})"
    row = con.execute(sql, _params(sql, _table_values(filters))).fetchall()[0]
    return int(row[0])


def _table_values(filters: Filters) -> dict[str, Any]:
    return {
        "start_ts": filters.start_ts,
        "end_ts": filters.end_ts,
        "start_day": filters.start,
        "end_day": filters.end,
        **filters.scope_params(),
    }


def _table_frame(con: duckdb.DuckDBPyConnection, table: str, filters: Filters) -> pd.DataFrame:
    sql = table_sql(table)
    return con.execute(sql, _params(sql, _table_values(filters))).df()


def _target_cell(kpi: Kpi, targets: Targets, filters: Filters) -> float | str | None:
    """Numeric target, DORA tier text, or None for KPIs tracked without a target."""
    if kpi.target_kind == "none":
        return None
    target = targets.for_scope(kpi.name, filters.team, filters.service)
    return target.tier if kpi.target_kind == "dora" else target.target


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, 6)


def kpi_frame(
    con: duckdb.DuckDBPyConnection, filters: Filters, targets: Targets, grain: str = "week"
) -> pd.DataFrame:
    """Every KPI per calendar bucket in tidy long form; each SQL query runs once, not per KPI."""
    if grain not in GRAINS:
        raise ExportError(f"grain {grain!r} is not one of {', '.join(GRAINS)}")
    width, origin = GRAINS[grain]
    latency = targets.for_scope("p95_latency", filters.team, filters.service).target
    latency_ms = latency if latency is not None else DEFAULT_LATENCY_TARGET_MS
    by_query: dict[str, pd.DataFrame] = {}
    rows = []
    for kpi in KPIS:
        if kpi.query not in by_query:
            by_query[kpi.query] = query_series(
                con,
                kpi.query,
                filters,
                origin=origin,
                bucket_width=width,
                latency_target_ms=latency_ms,
            )
        target = _target_cell(kpi, targets, filters)
        for bucket, value in zip(
            by_query[kpi.query]["bucket"], by_query[kpi.query][kpi.column], strict=True
        ):
            rows.append(
                {
                    "date": pd.Timestamp(bucket).date().isoformat(),
                    "team": filters.team or "all",
                    "service": filters.service or "all",
                    "metric": kpi.name,
                    "value": _number(value),
                    "unit": kpi.unit,
                    "target": target,
                }
            )
    frame = pd.DataFrame(rows, columns=list(KPI_COLUMNS))
    frame["value"] = frame["value"].astype(float)
    frame["target"] = frame["target"].astype(object)
    return frame


def export_frame(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    filters: Filters,
    targets: Targets,
    grain: str = "week",
) -> pd.DataFrame:
    """The rows of one dataset for the filters: a warehouse table, or ``kpis`` (tidy series)."""
    if check_dataset(dataset) == KPI_DATASET:
        return kpi_frame(con, filters, targets, grain)
    return _table_frame(con, dataset, filters)


def neutralise(value: Any) -> Any:
    """OWASP CSV-injection guard for one cell: quote-prefix risky text, leave numbers alone."""
    if not isinstance(value, str) or not value.startswith(_DANGEROUS):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def _iso_column(column: pd.Series) -> pd.Series:
    """Timestamps as ISO 8601: tz-aware ones in UTC with 'Z', naive midnight-only ones as dates."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        utc = column.dt.tz_convert("UTC")
        fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if (utc.dt.microsecond != 0).any() else "%Y-%m-%dT%H:%M:%SZ"
        shown: pd.Series = utc.dt.strftime(fmt).astype(object).where(column.notna(), None)
        return shown
    is_date = (column.dropna() == column.dropna().dt.normalize()).all()
    fmt = "%Y-%m-%d" if is_date else "%Y-%m-%dT%H:%M:%S"
    text: pd.Series = column.dt.strftime(fmt).astype(object).where(column.notna(), None)
    return text


def csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ISO dates and neutralised text cells; numeric columns keep their dtype."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            out[name] = _iso_column(column)
        elif column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            out[name] = column.astype(object).map(neutralise)
    return out


def to_csv_bytes(frame: pd.DataFrame, excel: bool = False) -> bytes:
    """The CSV file: UTF-8; the Excel-friendly variant adds a BOM and headers in the current
    language (its cells are the same bytes).

    Rows end in CRLF as RFC 4180 asks; it also makes the writer quote any cell holding a bare
    carriage return, which would otherwise split the row in some readers.
    """
    ready = csv_ready(frame)
    if excel:
        ready.columns = pd.Index(headers.excel_headers(ready.columns))
    text = ready.to_csv(index=False, lineterminator="\r\n")
    body = text.encode("utf-8")
    return BOM + body if excel else body


def data_as_of(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """The newest successful sync (UTC): what the export reflects; None before any sync."""
    fresh = freshness(con)
    if fresh.empty or fresh["last_success"].isna().all():
        return None
    stamp = pd.Timestamp(fresh["last_success"].max())
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def as_of_text(as_of: dt.datetime | None) -> str:
    """ISO 8601 for the page's "data as of" line, e.g. 2026-01-15T00:05:00Z."""
    if as_of is None:
        return "unknown (no successful sync recorded)"
    return as_of.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "x"


def file_name(dataset: str, filters: Filters, as_of: dt.datetime | None) -> str:
    """``techpulse_<dataset>[_<team>][_<service>]_<start>_<end>_asof-<YYYYMMDDTHHMMZ>.csv``."""
    parts = ["techpulse", check_dataset(dataset)]
    parts += [_slug(s) for s in (filters.team, filters.service) if s]
    parts += [filters.start.isoformat(), filters.end.isoformat()]
    stamp = as_of.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ") if as_of else "unknown"
    return "_".join(parts) + f"_asof-{stamp}.csv"
