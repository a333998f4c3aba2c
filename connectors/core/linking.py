"""Link changes and incidents to deployments, across sources, inside the writer's transaction.

Connectors store what their source says; this module finds what no single source knows, e.g.
a GitHub pull request shipped by a Jenkins deployment, or a PagerDuty incident caused by a
GitLab deployment. It runs after every source run and CSV import (connectors/sync.py), so a
link appears as soon as both ends are in the warehouse, whichever arrived first.

**Changes → the deployment that shipped them** (lead time). Only changes whose source named
no deployment are linked (``link_method`` NULL with no deployment, or one of ours). Candidates
are successful deployments of the change's service to a production environment; the first
one, by finish time, wins:

1. ``commit`` — the change's commit is among the commits the deployment shipped
   (``deployment_commits``: GitHub compare, GitLab, Jenkins change sets, git rev-list);
2. ``sha`` — the deployment deployed exactly the change's commit;
3. ``time`` — only for services whose deployments report no commits at all: the first
   deployment finished at or after the merge (a team with only deploy timestamps still gets a
   lead time; where commit lists exist, a change absent from them is not shipped yet).

**Incidents → the deployment that caused them** (change failure rate, time to restore).
Only incidents whose source named no deployment are linked:

* ``reference`` — the incident names a deployment id or a commit SHA (7+ characters): the
  latest production deployment of its service, started before the incident, that matches;
* ``window`` — the last successful production deployment of its service that finished in the
  ``incident_window_hours`` before the incident started.

Rows whose link is ours are re-linked on every run, so new deployments, a changed window or a
corrected mapping take effect; rows the source linked are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from i18n import _

LINKED_TABLES = ("changes", "deployments", "incidents")  # what it reads; it updates two
CHANGE_METHODS = ("commit", "sha", "time")
INCIDENT_METHODS = ("reference", "window")


@dataclass(frozen=True)
class LinkSettings:
    """The ``[linking]`` table of the sources file."""

    production_environments: tuple[str, ...] = ("production",)
    incident_window_hours: float = 24.0


@dataclass
class LinkReport:
    """How many rows each method linked in this pass, and references that matched nothing."""

    changes: dict[str, int] = field(default_factory=dict)
    incidents: dict[str, int] = field(default_factory=dict)
    unmatched_references: list[str] = field(default_factory=list)


def _has_schema_v6(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'deployment_commits'"
        " AND database_name = current_database()"
    ).fetchone()
    return bool(row and row[0])


_CHANGE_LINKS = """
WITH todo AS (
    SELECT source, external_id, service_id, lower(commit_sha) AS sha, merged_at
    FROM changes
    WHERE (deployment_external_id IS NULL AND link_method IS NULL)
       OR link_method IN ('commit', 'sha', 'time')
),
shipping AS (
    SELECT source, external_id, service_id, finished_at, lower(commit_sha) AS sha
    FROM deployments
    WHERE status = 'success' AND finished_at IS NOT NULL
      AND list_contains($production, environment)
),
listed AS (  -- services whose deployments report the commits they shipped
    SELECT DISTINCT d.service_id
    FROM deployment_commits AS dc
    JOIN shipping AS d ON d.source = dc.source AND d.external_id = dc.deployment_external_id
),
candidates AS (
    SELECT t.source, t.external_id, d.source AS dep_source, d.external_id AS dep_id,
           d.finished_at, 1 AS rank, 'commit' AS method
    FROM todo AS t
    JOIN deployment_commits AS dc ON dc.commit_sha = t.sha
    JOIN shipping AS d
        ON d.source = dc.source AND d.external_id = dc.deployment_external_id
        AND d.service_id = t.service_id
    UNION ALL
    SELECT t.source, t.external_id, d.source, d.external_id, d.finished_at, 2, 'sha'
    FROM todo AS t
    JOIN shipping AS d  -- an equi-join on the first 7 characters, then the prefix check
        ON d.service_id = t.service_id AND left(d.sha, 7) = left(t.sha, 7)
        AND length(t.sha) >= 7 AND length(d.sha) >= 7
        AND (starts_with(d.sha, t.sha) OR starts_with(t.sha, d.sha))
    UNION ALL
    -- the first deployment finished at or after the merge: an ASOF join, not every later one
    SELECT t.source, t.external_id, d.source, d.external_id, d.finished_at, 3, 'time'
    FROM (SELECT * FROM todo WHERE merged_at IS NOT NULL
          AND service_id NOT IN (SELECT service_id FROM listed)) AS t
    ASOF JOIN shipping AS d ON d.service_id = t.service_id AND d.finished_at >= t.merged_at
),
best AS (
    SELECT source, external_id,
           arg_min(dep_source, (rank, finished_at, dep_source, dep_id)) AS dep_source,
           arg_min(dep_id, (rank, finished_at, dep_source, dep_id)) AS dep_id,
           arg_min(method, (rank, finished_at, dep_source, dep_id)) AS method
    FROM candidates GROUP BY source, external_id
)
SELECT t.source, t.external_id, b.dep_source, b.dep_id, b.method
FROM todo AS t LEFT JOIN best AS b USING (source, external_id)
"""

_INCIDENT_LINKS = """
WITH todo AS (
    SELECT source, external_id, service_id, started_at, link_method,
           lower(deployment_ref) AS ref, deployment_ref AS raw_ref
    FROM incidents
    WHERE link_method IN ('reference', 'window')
),
production AS (
    SELECT source, external_id, service_id, started_at, finished_at, status,
           lower(commit_sha) AS sha
    FROM deployments
    WHERE list_contains($production, environment)
),
by_reference AS (
    SELECT t.source, t.external_id,
           arg_max(d.source, (d.started_at, d.source, d.external_id)) AS dep_source,
           arg_max(d.external_id, (d.started_at, d.source, d.external_id)) AS dep_id
    FROM todo AS t
    JOIN production AS d
        ON d.service_id = t.service_id AND d.started_at <= t.started_at
        AND (lower(d.external_id) = t.ref
             OR (length(t.ref) >= 7 AND starts_with(d.sha, t.ref)))
    WHERE t.link_method = 'reference'
    GROUP BY t.source, t.external_id
),
successes AS (
    SELECT * FROM production WHERE status = 'success' AND finished_at IS NOT NULL
),
by_window AS (  -- the last success finished at or before the start (ASOF), if recent enough
    SELECT t.source, t.external_id, d.source AS dep_source, d.external_id AS dep_id
    FROM (SELECT * FROM todo WHERE link_method = 'window') AS t
    ASOF JOIN successes AS d ON d.service_id = t.service_id AND d.finished_at <= t.started_at
    WHERE epoch(t.started_at) - epoch(d.finished_at) <= $window_seconds
)
SELECT t.source, t.external_id, t.link_method, t.raw_ref,
       coalesce(r.dep_source, w.dep_source) AS dep_source,
       coalesce(r.dep_id, w.dep_id) AS dep_id
FROM todo AS t
LEFT JOIN by_reference AS r USING (source, external_id)
LEFT JOIN by_window AS w USING (source, external_id)
"""


def link(con: duckdb.DuckDBPyConnection, settings: LinkSettings | None = None) -> LinkReport:
    """Bring every link this module owns up to date; only rows whose link changes are written."""
    report = LinkReport()
    if not _has_schema_v6(con):
        return report
    chosen = settings or LinkSettings()
    production = list(chosen.production_environments)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE techpulse_change_links AS {_CHANGE_LINKS}",
        {"production": production},
    )
    con.execute(
        """UPDATE changes AS c
           SET deployment_source = l.dep_source, deployment_external_id = l.dep_id,
               link_method = l.method
           FROM techpulse_change_links AS l
           WHERE c.source = l.source AND c.external_id = l.external_id
             AND (c.deployment_source IS DISTINCT FROM l.dep_source
                  OR c.deployment_external_id IS DISTINCT FROM l.dep_id
                  OR c.link_method IS DISTINCT FROM l.method)"""
    )
    for method, count in con.execute(
        "SELECT method, count(*) FROM techpulse_change_links WHERE method IS NOT NULL GROUP BY 1"
    ).fetchall():
        report.changes[str(method)] = int(count)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE techpulse_incident_links AS {_INCIDENT_LINKS}",
        {"production": production, "window_seconds": chosen.incident_window_hours * 3600.0},
    )
    con.execute(
        """UPDATE incidents AS i
           SET caused_by_deployment_source = l.dep_source,
               caused_by_deployment_external_id = l.dep_id
           FROM techpulse_incident_links AS l
           WHERE i.source = l.source AND i.external_id = l.external_id
             AND (i.caused_by_deployment_source IS DISTINCT FROM l.dep_source
                  OR i.caused_by_deployment_external_id IS DISTINCT FROM l.dep_id)"""
    )
    for method, count in con.execute(
        "SELECT link_method, count(*) FROM techpulse_incident_links"
        " WHERE dep_id IS NOT NULL GROUP BY 1"
    ).fetchall():
        report.incidents[str(method)] = int(count)
    report.unmatched_references = [
        f"{source}/{external_id} names {ref!r}"
        for source, external_id, ref in con.execute(
            "SELECT source, external_id, raw_ref FROM techpulse_incident_links"
            " WHERE link_method = 'reference' AND dep_id IS NULL ORDER BY ALL"
        ).fetchall()
    ]
    con.execute("DROP TABLE techpulse_change_links")
    con.execute("DROP TABLE techpulse_incident_links")
    return report


def unmatched_warning(report: LinkReport) -> str | None:
    """One warning line for incident references that matched no deployment."""
    found = report.unmatched_references
    if not found:
        return None
    more = _("; and {count} more").format(count=len(found) - 3) if len(found) > 3 else ""
    return _(
        "{count} incident(s) name a deployment that is not in the warehouse ({sample}); they "
        "stay unlinked until it is synced"
    ).format(count=len(found), sample="; ".join(found[:3]) + more)


@dataclass(frozen=True)
class LinkTotals:
    """What the warehouse holds linked after a pass: every change and incident, not only new."""

    changes: int
    changes_linked: int
    incidents: int
    incidents_linked: int
    production: tuple[str, ...]
    other_environments: tuple[str, ...]  # with successful deployments, not production


def link_totals(con: duckdb.DuckDBPyConnection, settings: LinkSettings) -> LinkTotals:
    """Counts for the line printed after an import, so a mapping that links nothing shows."""
    production = list(settings.production_environments)
    changes, changes_linked = con.execute(
        "SELECT count(*), count(deployment_external_id) FROM changes"
    ).fetchone() or (0, 0)
    incidents, incidents_linked = con.execute(
        "SELECT count(*), count(caused_by_deployment_external_id) FROM incidents"
    ).fetchone() or (0, 0)
    others = con.execute(
        "SELECT DISTINCT environment FROM deployments WHERE status = 'success'"
        " AND NOT list_contains($production, environment) ORDER BY 1",
        {"production": production},
    ).fetchall()
    return LinkTotals(
        int(changes),
        int(changes_linked),
        int(incidents),
        int(incidents_linked),
        tuple(production),
        tuple(str(r[0]) for r in others),
    )


def links_line(totals: LinkTotals) -> str:
    """``linked: 120 of 130 changes …; 5 of 40 incidents …`` with a hint when nothing links."""
    line = _(
        "linked in the warehouse: {changes_linked} of {changes} changes to the production "
        "deployment that shipped them, {incidents_linked} of {incidents} incidents to the "
        "deployment that caused them"
    ).format(
        changes_linked=f"{totals.changes_linked:,}",
        changes=f"{totals.changes:,}",
        incidents_linked=f"{totals.incidents_linked:,}",
        incidents=f"{totals.incidents:,}",
    )
    if totals.changes and not totals.changes_linked and totals.other_environments:
        line += _(
            " — successful deployments are in {shown}, not in production_environments "
            "({production}): set [linking] production_environments in the sources file if one "
            "of them is production"
        ).format(
            shown=", ".join(totals.other_environments[:5]), production=", ".join(totals.production)
        )
    return line
