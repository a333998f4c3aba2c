"""Per-service service levels against their targets, so the page can list breaches first."""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics.core.definitions import BY_NAME, sql_text
from metrics.core.filters import Filters
from metrics.core.formatting import id_or_none
from metrics.core.targets import AMBER, GREEN, NO_DATA, RED, Targets, status

CHECKED = ("availability", "p95_latency", "error_rate")
RANK = {RED: 0, AMBER: 1, GREEN: 2, NO_DATA: 3}


def per_service(con: duckdb.DuckDBPyConnection, filters: Filters, targets: Targets) -> pd.DataFrame:
    """One row per service with samples: availability, P95, error rate, CPU, memory and the RAG
    status of each against the service's own target; worst status first.

    ``breaching`` is true when any of the three misses its target (amber or red).
    """
    frame = con.execute(
        sql_text("service_levels_by_service"),
        {"range_start": filters.start_ts, "range_end": filters.end_ts, **filters.scope_params()},
    ).df()
    worst = []
    for row in frame.itertuples(index=False):
        states = []
        for name in CHECKED:
            value = getattr(row, name)
            value = None if pd.isna(value) else float(value)
            target = targets.for_scope(name, id_or_none(row.team_id), id_or_none(row.service_id))
            states.append(status(BY_NAME[name], value, target, targets.benchmark_year)[0])
        worst.append(states)
    for index, name in enumerate(CHECKED):
        frame[f"{name}_status"] = [states[index] for states in worst]
    frame["status"] = [min(states, key=RANK.__getitem__) for states in worst] or []
    frame["breaching"] = frame["status"].isin([RED, AMBER])
    frame["_rank"] = frame["status"].map(RANK)
    return (
        frame.sort_values(["_rank", "availability"], na_position="last")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )
