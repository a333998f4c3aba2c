"""The CTO quarterly review: scorecard against last quarter, owners, and carried PDCA actions."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from i18n import N_, _
from metrics.core.definitions import BY_NAME, HEADLINE
from metrics.core.filters import Filters
from metrics.core.formatting import format_value
from metrics.core.scorecard import records, scorecard
from metrics.core.targets import Targets
from metrics.reports.roi import parse_quarter, quarter_label

# The review table's columns (stable keys in the frame) and their headers as readers see them
COLUMN_TEXT = {
    "KPI": N_("KPI"),
    "Target": N_("Target"),
    "This quarter": N_("This quarter"),
    "Last quarter": N_("Last quarter"),
    "Change": N_("Change"),
    "RAG": N_("Status"),
    "Trend": N_("Trend (weekly)"),
    "Owner": N_("Owner team"),
    "Note": N_("Note (actions)"),
}
STAGE_TEXT = {"plan": N_("plan"), "do": N_("do"), "check": N_("check"), "act": N_("act")}
STATUS_TEXT = {"open": N_("open"), "closed": N_("closed")}


def stage_text(stage: str) -> str:
    """A PDCA stage in the reader's language."""
    return _(STAGE_TEXT[stage]) if stage in STAGE_TEXT else stage


def status_text(status: str) -> str:
    """An action's status in the reader's language."""
    return _(STATUS_TEXT[status]) if status in STATUS_TEXT else status


def kpi_text(kpi: object) -> str:
    """The KPI an action should move, by its label in the reader's language ("—" for none)."""
    if not isinstance(kpi, str) or not kpi:
        return "—"
    return _(BY_NAME[kpi].label) if kpi in BY_NAME else kpi


def quarter_filters(quarter: str, base: Filters, last_day: dt.date | None = None) -> Filters:
    """The quarter as a period (cut at ``last_day`` when the quarter is still running)."""
    start = parse_quarter(quarter)
    month = start.month + 3
    end = dt.date(start.year + (month > 12), (month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    if last_day is not None and start <= last_day < end:
        end = last_day
    return Filters(start, end, base.team, base.service, base.environment)


def quarters_until(day: dt.date, count: int = 8) -> list[str]:
    """The quarter holding ``day`` and the ones before it, newest first."""
    result, current = [], parse_quarter(quarter_label(day))
    for _step in range(count):
        result.append(quarter_label(current))
        current = parse_quarter(quarter_label(current - dt.timedelta(days=1)))
    return result


def actions_for(con: duckdb.DuckDBPyConnection, quarter: str, team: str | None) -> pd.DataFrame:
    """Actions raised in the quarter, plus earlier ones still open (carried over)."""
    return con.execute(
        """SELECT action_id, quarter, title, kpi, owner_team, pdca_stage, status, due_on, note,
                  quarter <> $q AS carried
           FROM actions
           WHERE (quarter = $q OR (quarter < $q AND status = 'open'))
             AND ($team IS NULL OR owner_team = $team)
           ORDER BY status DESC, quarter, action_id""",
        {"q": quarter, "team": team},
    ).df()


def review_table(
    con: duckdb.DuckDBPyConnection, quarter: Filters, targets: Targets, actions: pd.DataFrame
) -> pd.DataFrame:
    """KPI, target, this quarter, last quarter, change, RAG, trend, owner, note."""
    rows = records(scorecard(con, quarter, targets, HEADLINE))
    table = []
    for row in rows:
        related = actions[actions["kpi"] == row["kpi"]] if not actions.empty else actions
        owner = (
            ", ".join(sorted({t for t in related["owner_team"].dropna() if t}))
            if len(related)
            else ""
        )
        note = "; ".join(t for t in related["title"]) if len(related) else ""
        table.append(
            {
                "kpi": row["kpi"],
                "KPI": row["label"],
                "Target": row["target_text"],
                "This quarter": row["display"],
                "Last quarter": _previous(row),
                "Change": row["delta_display"] or "—",
                "RAG": row["status"],
                "Trend": [v for v in row["sparkline"] if v is not None],
                "Owner": owner or "—",
                "Note": note or "—",
            }
        )
    return pd.DataFrame(table)


def _previous(row: dict[str, object]) -> str:
    value = row["previous"]
    return format_value(BY_NAME[str(row["kpi"])], value if isinstance(value, float) else None)
