"""Delivery views the scorecard does not give: DORA keys per team or service, recent deployments.

Per-scope figures come from the scorecard's own queries, run once with ``$scope_level`` so they
group by team or service, and the scorecard's own target, tier and formatting rules: a
drill-down row equals the headline the same scope shows when picked in the filters (tested),
at the cost of one query per KPI instead of one scorecard per team.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import duckdb
import pandas as pd

from i18n import N_, _
from metrics.core import catalog
from metrics.core.definitions import BY_NAME, Kpi, sql_text
from metrics.core.filters import Filters
from metrics.core.formatting import format_value
from metrics.core.scorecard import clean, query_series
from metrics.core.targets import Targets, status
from metrics.kpis import dora

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
    values: dict[tuple[str, str], float | None] = {}
    for query in dict.fromkeys(k.query for k in DORA_KPIS):
        frame = query_series(
            con,
            query,
            filters,
            origin=filters.start_ts,
            bucket_width=f"{filters.days} days",
            scope_level=level,
        )
        for kpi in (k for k in DORA_KPIS if k.query == query):
            for scope_id, value in zip(frame["scope_id"], frame[kpi.column], strict=True):
                values[(kpi.name, scope_id)] = clean(value)
    rows = []
    for scope_id, name, scoped in scopes:
        row: dict[str, object] = {"id": scope_id, "name": name}
        for kpi in DORA_KPIS:
            value = values.get((kpi.name, scope_id))
            target = targets.for_scope(kpi.name, scoped.team, scoped.service)
            _rag, tier = status(kpi, value, target, targets.benchmark_year)
            row[kpi.name] = format_value(kpi, value)
            row[f"{kpi.name}_value"] = value
            row[f"{kpi.name}_tier"] = tier
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


STATUS_TEXT = {"success": N_("success"), "failure": N_("failure"), "cancelled": N_("cancelled")}
CHANGE_TYPE_TEXT = {"planned": N_("planned"), "hotfix": N_("hotfix"), "rollback": N_("rollback")}


def word(value: object, words: dict[str, str]) -> str:
    """A stored status or change type in the reader's language (unknown values as they are)."""
    return _(words[value]) if isinstance(value, str) and value in words else str(value)


def _outcome(row: Any) -> str:
    """Why a deployment counts as failed, in words (in the reader's language)."""
    if row.status != "success":
        return _("deployment {status}").format(status=word(row.status, STATUS_TEXT))
    reasons = []
    if isinstance(row.incident_id, str):
        reasons.append(_("caused incident {incident}").format(incident=row.incident_id))
    if isinstance(row.repaired_by, str):
        kind = word(row.repaired_by_type, CHANGE_TYPE_TEXT)
        reasons.append(
            _("repaired by {kind} {deployment}").format(kind=kind, deployment=row.repaired_by)
        )
    return "; ".join(reasons) or _("ok")
