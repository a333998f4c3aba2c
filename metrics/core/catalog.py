"""What the warehouse holds: teams, services, environments, data freshness and date bounds.

Pages use these to build filters and the "data as of" stamp without writing SQL themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from data.constraints import quote
from i18n import N_, _
from metrics.core.filters import FilterError, Filters

WAREHOUSE_CATALOG = "warehouse"  # the name readers attach the warehouse under (data.warehouse)

FEEDS = {  # stream → what it feeds, marked for translation (shown with _())
    "deployments": N_("Deployments"),
    "changes": N_("Changes"),
    "incidents": N_("Incidents"),
    "service_level_samples": N_("Service levels"),
    "quality_snapshots": N_("Code quality"),
    "investments": N_("Investments"),
}


def teams(con: duckdb.DuckDBPyConnection, *, include_retired: bool = False) -> pd.DataFrame:
    """Active teams (a retired one leaves current lists; its history stays in every total)."""
    return con.execute(
        "SELECT team_id, name FROM teams WHERE $all OR retired_on IS NULL ORDER BY name",
        {"all": include_retired},
    ).df()


def services(
    con: duckdb.DuckDBPyConnection, team: str | None = None, *, include_retired: bool = False
) -> pd.DataFrame:
    """Services of the catalog, active ones only unless ``include_retired`` (a deep link to a
    retired service's past still resolves)."""
    return con.execute(
        "SELECT service_id, name, team_id, tier FROM services"
        " WHERE ($team IS NULL OR team_id = $team) AND ($all OR retired_on IS NULL)"
        " ORDER BY name",
        {"team": team, "all": include_retired},
    ).df()


def environments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Environments seen in deployments or samples, production first.

    Read from the writer's derived tables, which hold every (service, environment) of the
    deployments and every (service, environment, day) of the hourly samples: the same set as the
    facts, from thousands of rows instead of millions."""
    rows = con.execute(
        """SELECT environment FROM (
               SELECT DISTINCT environment FROM service_first_deployments
               UNION SELECT DISTINCT environment FROM service_level_daily)
           ORDER BY environment <> 'production', environment"""
    ).fetchall()
    return [r[0] for r in rows] or ["production"]


def freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Last successful sync per source and stream: the "data as of" stamp."""
    return con.execute(
        """SELECT source, stream, max(finished_at) AS last_success, arg_max(rows_written,
                  finished_at) AS rows_written
           FROM sync_runs WHERE status = 'success'
           GROUP BY ALL ORDER BY source, stream"""
    ).df()


def latest_data_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last UTC day with any activity, used as the default end of the reporting period.
    The samples' last day is their daily rollup's (kept in step by the writer; far fewer rows)."""
    row = con.execute(
        """SELECT max(ts)::DATE FROM (
               SELECT max(day)::TIMESTAMPTZ AS ts FROM service_level_daily
               UNION ALL SELECT max(finished_at) FROM deployments
               UNION ALL SELECT max(started_at) FROM incidents
               UNION ALL SELECT max(analysed_at) FROM quality_snapshots)"""
    ).fetchone()
    return row[0] if row and row[0] else None


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the warehouse holds no service, deployment or sample (the first row decides)."""
    row = con.execute(
        """SELECT EXISTS (FROM services) OR EXISTS (FROM deployments)
                OR EXISTS (FROM service_level_samples)"""
    ).fetchone()
    return not row or not row[0]


def validate_scope(con: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    """Raise FilterError for a team or service the warehouse does not know, listing valid ones."""
    if filters.team is not None:
        known = teams(con, include_retired=True)["team_id"].tolist()
        if filters.team not in known:
            raise FilterError(
                _("unknown team {team}; known teams: {known}").format(
                    team=repr(filters.team), known=", ".join(known) or _("none")
                )
            )
    if filters.service is not None:
        scoped = services(con, filters.team, include_retired=True)["service_id"].tolist()
        if filters.service not in scoped:
            listed = ", ".join(scoped) or _("none")
            raise FilterError(
                _("unknown service {service} in team {team}; known services: {known}").format(
                    service=repr(filters.service), team=repr(filters.team), known=listed
                )
                if filters.team
                else _("unknown service {service}; known services: {known}").format(
                    service=repr(filters.service), known=listed
                )
            )


def table_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows per warehouse table, with the table's description from the schema."""
    tables = con.execute(
        """SELECT table_name, coalesce(comment, '') FROM duckdb_tables()
           WHERE database_name = $d AND schema_name = 'main'
           ORDER BY table_name""",
        {"d": WAREHOUSE_CATALOG},  # not current_database(): a lake reader's is its memory
    ).fetchall()
    if not tables:
        return pd.DataFrame(columns=["table", "rows", "description"])
    # one query for every table: on DuckLake each query pays a fixed catalog round trip
    counts = dict(
        con.execute(
            " UNION ALL ".join(
                f"SELECT {n} AS n, count(*) FROM {quote(str(name))}"  # names from the catalog
                for n, (name, _comment) in enumerate(tables)
            )
        ).fetchall()
    )
    rows = [
        {"table": name, "rows": int(counts.get(n, 0)), "description": comment}
        for n, (name, comment) in enumerate(tables)
    ]
    return pd.DataFrame(rows)


FACT_TABLES = {  # table → what it holds, marked for translation where it is shown
    "deployments": N_("deployments"),
    "changes": N_("changes (pull requests, commits)"),
    "incidents": N_("incidents"),
    "service_level_samples": N_("service levels"),
    "quality_snapshots": N_("code quality"),
}


@dataclass(frozen=True)
class SetupStatus:
    """How far a warehouse is on the way from empty to a live dashboard (the Get started page)."""

    teams: int
    services: int
    successful_syncs: int
    facts: dict[str, bool]  # whether each fact table holds rows
    demo: bool  # the demo organisation built it

    @property
    def has_facts(self) -> bool:
        return any(self.facts.values())


def setup_status(con: duckdb.DuckDBPyConnection) -> SetupStatus:
    """Active teams and services, successful syncs, which fact tables hold rows, demo or not."""
    teams = con.execute("SELECT count(*) FROM teams WHERE retired_on IS NULL").fetchone()
    services = con.execute("SELECT count(*) FROM services WHERE retired_on IS NULL").fetchone()
    syncs = con.execute(
        "SELECT count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE source = 'demo')"
        " FROM sync_runs"
    ).fetchone()
    held = con.execute(  # one query, first rows only: on DuckLake a count reads every file
        "SELECT " + ", ".join(f"EXISTS (FROM {table})" for table in FACT_TABLES)
    ).fetchone()  # names from the constant above
    facts = {table: bool(held and held[n]) for n, table in enumerate(FACT_TABLES)}
    return SetupStatus(
        teams=int(teams[0]) if teams else 0,
        services=int(services[0]) if services else 0,
        successful_syncs=int(syncs[0]) if syncs else 0,
        facts=facts,
        demo=bool(syncs and syncs[1]),
    )
