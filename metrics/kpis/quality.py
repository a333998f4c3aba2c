"""Code quality per SonarQube project: latest analysis and coverage over time."""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics.core.definitions import BY_NAME, sql_text
from metrics.core.filters import Filters
from metrics.core.targets import NO_DATA, Targets, status
from metrics.core.trends import GRAINS


def projects(con: duckdb.DuckDBPyConnection, filters: Filters, targets: Targets) -> pd.DataFrame:
    """Each project's latest analysis before the period ends, with the coverage RAG status.

    Analyses older than 90 days are kept but flagged ``stale`` and get status 'no data', as the
    coverage KPI leaves them out.
    """
    frame = con.execute(
        sql_text("quality_projects"),
        {
            "range_end": filters.end_ts,
            "team": filters.team,
            "service": filters.service,
        },
    ).df()
    kpi = BY_NAME["coverage"]
    frame["coverage_status"] = [
        NO_DATA
        if row.stale or pd.isna(row.coverage)
        else status(
            kpi,
            float(row.coverage),
            targets.for_scope("coverage", row.team_id, row.service_id),
            targets.benchmark_year,
        )[0]
        for row in frame.itertuples(index=False)
    ]
    return frame


def coverage_by_project(
    con: duckdb.DuckDBPyConnection, filters: Filters, grain: str = "month"
) -> pd.DataFrame:
    """Columns bucket (start, UTC), project_key, value (coverage %), n (lines + conditions)."""
    width, origin = GRAINS[grain]
    return con.execute(
        sql_text("coverage_by_project"),
        {
            "range_start": filters.start_ts,
            "range_end": filters.end_ts,
            "origin": origin,
            "bucket_width": width,
            "team": filters.team,
            "service": filters.service,
        },
    ).df()
