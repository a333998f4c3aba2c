"""Error budgets and multi-window burn-rate alerts (Google SRE Workbook, chapter 5).

Alert rules, each needing both windows above the threshold:
  page, fast burn:  1 h and 5 min windows above 14.4× (2 % of a 30-day budget in an hour)
  page, slow burn:  6 h and 30 min windows above 6× (5 % in six hours)
  ticket:           3 d and 6 h windows above 1× (10 % in three days)
Samples are hourly, so the 5-minute and 30-minute confirmation windows are approximated by the
latest hour: a fast burn is flagged when the last hour burns above 14.4×.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from i18n import N_, _
from metrics.core.catalog import services
from metrics.core.definitions import sql_text
from metrics.core.filters import Filters
from metrics.core.formatting import id_or_none
from metrics.core.targets import Targets

PAGE_FAST, PAGE_SLOW, TICKET, OK, NO_TRAFFIC = (
    "page: fast burn",
    "page: slow burn",
    "ticket: budget burning",
    "ok",
    "no traffic",
)
ALERT_TEXT = {  # the stored states above as readers see them
    PAGE_FAST: N_("page: fast burn"),
    PAGE_SLOW: N_("page: slow burn"),
    TICKET: N_("ticket: budget burning"),
    OK: N_("ok"),
    NO_TRAFFIC: N_("no traffic"),
}


def alert_text(state: str) -> str:
    """An alert state in the reader's language."""
    return _(ALERT_TEXT[state]) if state in ALERT_TEXT else state


def alert_state(burn_1h: float | None, burn_6h: float | None, burn_3d: float | None) -> str:
    """The most urgent multi-window rule that fires (hourly-sample approximation above)."""
    if burn_1h is None and burn_6h is None and burn_3d is None:
        return NO_TRAFFIC
    b1, b6, b3 = (v if v is not None and v == v else 0.0 for v in (burn_1h, burn_6h, burn_3d))
    if b1 > 14.4:
        return PAGE_FAST
    if b6 > 6 and b1 > 6:
        return PAGE_SLOW
    if b3 > 1 and b6 > 1:
        return TICKET
    return OK


def error_budgets(
    con: duckdb.DuckDBPyConnection, filters: Filters, targets: Targets
) -> pd.DataFrame:
    """One row per service: 30-day availability, budget, remaining, burn rates, alert state.

    The objective of each service is its availability target (service, then team override).
    Rows are ordered with the most spent budget first.
    """
    scoped = services(con, filters.team)
    if filters.service:
        scoped = scoped[scoped["service_id"] == filters.service]
    objectives = [
        {
            "service_id": row.service_id,
            "slo": targets.for_scope(
                "availability", id_or_none(row.team_id), id_or_none(row.service_id)
            ).target,
        }
        for row in scoped.itertuples(index=False)
    ]
    columns = ["service_id", "slo", "availability_30d", "budget_minutes"]
    if not objectives:
        return pd.DataFrame(columns=columns)
    frame = con.execute(
        sql_text("error_budget"),
        {
            "objectives": objectives,
            "range_end": filters.end_ts,
            "environment": filters.environment,
            "team": filters.team,
            "service": filters.service,
        },
    ).df()
    frame["alert"] = [
        alert_state(*values)
        for values in zip(
            frame["burn_rate_1h"], frame["burn_rate_6h"], frame["burn_rate_3d"], strict=True
        )
    ]
    return frame
