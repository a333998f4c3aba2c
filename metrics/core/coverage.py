"""Which KPIs each service has data for, and which source would fill the rest.

Shown after a first sync (``python -m metrics coverage``, the Data sources page) so a new
organisation sees what is connected per service instead of guessing from empty cards. A KPI
family counts as covered once the service has one row of its facts, whatever the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from i18n import N_, _, formats
from metrics.core.definitions import sql_text
from metrics.core.filters import Filters

# family → (label, the table whose rows count, the sources that fill it); words marked, shown
# through _() in the reader's language
FAMILIES: dict[str, tuple[str, str, str]] = {
    "deployments": (
        N_("Deployments (frequency, change failure)"),
        "deployments",
        N_("GitHub, GitLab, Jenkins, a git repository, or the deployments CSV"),
    ),
    "lead_time": (
        N_("Lead time (changes shipped)"),
        "shipped_changes",
        N_("GitHub or GitLab pull requests, a git repository, or the changes CSV"),
    ),
    "incidents": (
        N_("Incidents (MTTR, MTTA)"),
        "incidents",
        N_("PagerDuty, Opsgenie, Jira, or the incidents CSV"),
    ),
    "service_levels": (
        N_("Service levels (availability, P95, errors)"),
        "service_level_daily",
        N_("Prometheus or VictoriaMetrics, with the service's prometheus_selector"),
    ),
    "quality": (
        N_("Code quality (coverage)"),
        "quality_snapshots",
        N_("SonarQube, with the service's sonar_project_key, or the quality CSV"),
    ),
}


def coverage(con: duckdb.DuckDBPyConnection, team: str | None = None) -> pd.DataFrame:
    """One row per active service: its team, a row count per KPI family, and ``missing``: the
    sources that would fill its empty families ('' when it has them all)."""
    parts = [  # one grouped scan per table (names from the constant above), then joins
        f"{name} AS (SELECT service_id, count(*) AS n FROM {table} GROUP BY 1)"
        for name, (_label, table, _sources) in FAMILIES.items()
    ]
    counts = ", ".join(f"coalesce({name}.n, 0) AS {name}" for name in FAMILIES)
    joins = " ".join(f"LEFT JOIN {name} USING (service_id)" for name in FAMILIES)
    frame = con.execute(
        f"""WITH {", ".join(parts)}
            SELECT s.service_id, s.team_id, {counts}
            FROM services AS s {joins}
            WHERE s.retired_on IS NULL AND ($team IS NULL OR s.team_id = $team)
            ORDER BY s.team_id, s.service_id""",
        {"team": team},
    ).df()
    frame["missing"] = [
        "; ".join(f"{_(FAMILIES[f][0])}: {_(FAMILIES[f][2])}" for f in FAMILIES if not row[f])
        for _index, row in frame.iterrows()
    ]
    return frame


def summary(frame: pd.DataFrame) -> list[str]:
    """One line per family: how many services it covers."""
    total = len(frame)
    return [
        _("{family}: {covered} of {total} services").format(
            family=_(label),
            covered=formats.number(int((frame[name] > 0).sum())),
            total=formats.number(total),
        )
        for name, (label, _table, _sources) in FAMILIES.items()
    ]


@dataclass(frozen=True)
class PeriodCoverage:
    """Hours with service-level samples ÷ hours in the period (so far), for the services in
    scope that Prometheus or VictoriaMetrics measure; shown beside the KPIs when below 100 %."""

    services: int
    hours_with_data: float
    hours_in_period: float

    @property
    def share(self) -> float:
        return self.hours_with_data / self.hours_in_period if self.hours_in_period else 1.0

    @property
    def partial(self) -> bool:
        return self.services > 0 and self.share < FULL


FULL = 0.995  # below this the period counts as partly covered (a missing hour in 200)


def service_level_coverage(
    con: duckdb.DuckDBPyConnection, filters: Filters, now: dt.datetime | None = None
) -> PeriodCoverage:
    """The service-level samples' coverage of ``filters``' period. A period still running
    ends at the newest sample in scope (and never after the current hour): how fresh the data
    is is the freshness stamp's business, gaps inside it are this one's."""
    current = (now or dt.datetime.now(dt.UTC)).replace(minute=0, second=0, microsecond=0)
    end = min(filters.end_ts, current)

    row = con.execute(
        sql_text("service_level_coverage"),
        {"range_start": filters.start_ts, "range_end": end, **filters.scope_params()},
    ).fetchone()
    services, hours, newest = (int(row[0]), float(row[1]), row[2]) if row else (0, 0.0, None)
    if newest is not None and newest < end:
        end = newest  # the data's own end inside the period; samples after it do not exist
    span = max(0.0, (end - filters.start_ts).total_seconds() / 3600)
    return PeriodCoverage(services, hours, services * span)


def coverage_note(found: PeriodCoverage) -> str | None:
    """One line for the page, or None when the period is fully covered."""
    if not found.partial:
        return None
    return _(
        "Service levels cover {share} % of this period: {hours_with_data} of {hours_in_period} "
        "service-hours have samples ({services} measured services). Figures are over the hours "
        "with data."
    ).format(
        share=formats.number(100 * found.share, 1),
        hours_with_data=formats.number(found.hours_with_data),
        hours_in_period=formats.number(found.hours_in_period),
        services=formats.number(found.services),
    )
