"""The incident list and incidents per service, for the Incidents page."""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics.core.definitions import sql_text
from metrics.core.filters import Filters


def _scope(filters: Filters) -> dict[str, object]:
    return {
        "range_start": filters.start_ts,
        "range_end": filters.end_ts,
        "team": filters.team,
        "service": filters.service,
    }


def incident_list(
    con: duckdb.DuckDBPyConnection, filters: Filters, limit: int = 500
) -> pd.DataFrame:
    """Incidents started in the period, newest first, with hours to acknowledge and restore."""
    return con.execute(sql_text("incident_list"), {**_scope(filters), "limit": limit}).df()


def by_service(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Incidents started in the period per service, most first, with median time to restore."""
    return con.execute(sql_text("incidents_by_service"), _scope(filters)).df()
