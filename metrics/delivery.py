"""Delivery views the scorecard does not give: DORA keys per team or service, recent deployments.

Per-scope figures come from metrics.scorecard itself (one scorecard per team or service), so a
drill-down row always equals the headline the same scope shows when picked in the filters.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import duckdb
import pandas as pd

from metrics import catalog, dora
from metrics.definitions import BY_NAME, Kpi, sql_text
from metrics.filters import Filters
from metrics.scorecard import scorecard
from metrics.targets import Targets

FOUR_KEYS = ("deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore")
DORA_KPIS: tuple[Kpi, ...] = tuple(BY_NAME[name] for name in (*FOUR_KEYS, "rework_rate"))
Level = Literal["team", "service"]


def by_scope(
    con: duckdb.DuckDBPyConnection, filters: Filters, targets: Targets, level: Level
) -> pd.DataFrame:
    """One row per team or service in scope: each DORA KPI's display text, value and tier."""
    if level == "team":
        teams = catalog.teams(con)
        if filters.team:
            teams = teams[teams["team_id"] == filters.team]
        scopes = [(t, n, replace(filters, team=t, service=None)) for t, n in teams.values]
    else:
        services = catalog.services(con, filters.team)
        if filters.service:
            services = services[services["service_id"] == filters.service]
        scopes = [
            (s, n, replace(filters, team=t, service=s))
            for s, n, t in services[["service_id", "name", "team_id"]].values
        ]
    rows = []
    for scope_id, name, scoped in scopes:
        card = scorecard(con, scoped, targets, DORA_KPIS).set_index("kpi")
        row: dict[str, object] = {"id": scope_id, "name": name}
        for kpi in DORA_KPIS:
            row[kpi.name] = card.at[kpi.name, "display"]
            row[f"{kpi.name}_value"] = card.at[kpi.name, "value"]
            row[f"{kpi.name}_tier"] = card.at[kpi.name, "tier"]
        rows.append(row)
    return pd.DataFrame(rows)


def tier_bound(kpi: str, tier: str | None, year: int) -> float | None:
    """The value a DORA KPI must reach for ``tier`` in the ``year`` table (None for low)."""
    if tier is None or tier == "low" or kpi not in FOUR_KEYS:
        return None
    return float(getattr(dora.BENCHMARKS[year][kpi], tier))


def recent_deployments(
    con: duckdb.DuckDBPyConnection, filters: Filters, limit: int = 200
) -> pd.DataFrame:
    """Deployments in the period, newest first, with the incident or repair that failed them."""
    frame = con.execute(
        sql_text("recent_deployments"),
        {
            "range_start": filters.start_ts,
            "range_end": filters.end_ts,
            "limit": limit,
            **filters.scope_params(),
        },
    ).df()
    frame["outcome"] = [_outcome(row) for row in frame.itertuples(index=False)]
    return frame


def _outcome(row: Any) -> str:
    """Why a deployment counts as failed, in words."""
    if row.status != "success":
        return f"deployment {row.status}"
    reasons = []
    if isinstance(row.incident_id, str):
        reasons.append(f"caused incident {row.incident_id}")
    if isinstance(row.repaired_by, str):
        reasons.append(f"repaired by {row.repaired_by_type} {row.repaired_by}")
    return "; ".join(reasons) or "ok"
