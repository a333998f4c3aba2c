"""Incident breakdowns: by severity, and before/after an annotated change."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from metrics.core.definitions import sql_text
from metrics.core.filters import FilterError, Filters


def by_severity(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Incidents started in the period per severity, with MTTR median and mean (labelled)."""
    return con.execute(
        sql_text("incidents_by_severity"),
        {
            "range_start": filters.start_ts,
            "range_end": filters.end_ts,
            "team": filters.team,
            "service": filters.service,
        },
    ).df()


def annotation_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT annotation_id, occurred_on, scope, scope_id, kind, text FROM annotations"
        " ORDER BY occurred_on"
    ).df()


def before_after(
    con: duckdb.DuckDBPyConnection,
    annotation_id: str,
    days: int = 180,
    team: str | None = None,
    service: str | None = None,
) -> pd.DataFrame:
    """Incident recovery in the ``days`` before and after an annotation's date (00:00 UTC)."""
    row = con.execute(
        "SELECT occurred_on FROM annotations WHERE annotation_id = $id", {"id": annotation_id}
    ).fetchall()
    if not row:
        raise FilterError(f"unknown annotation {annotation_id!r}")
    if not 1 <= days <= 3 * 366:
        raise FilterError("the before/after window must be 1 to 1098 days")
    pivot = dt.datetime.combine(row[0][0], dt.time(), tzinfo=dt.UTC)
    return con.execute(
        sql_text("before_after"),
        {"pivot": pivot, "days": days, "team": team, "service": service},
    ).df()


__all__ = ["Filters", "annotations", "before_after", "by_severity"]
