"""Code quality per SonarQube project: latest analysis and coverage over time."""

from __future__ import annotations

from typing import cast

import duckdb
import pandas as pd

from metrics.core.definitions import BY_NAME, sql_text
from metrics.core.filters import Filters
from metrics.core.formatting import id_or_none, is_missing
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
        if row.stale or is_missing(row.coverage)
        else status(
            kpi,
            float(cast(float, row.coverage)),
            targets.for_scope("coverage", id_or_none(row.team_id), id_or_none(row.service_id)),
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
