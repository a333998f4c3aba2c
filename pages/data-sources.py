"""Data sources: what the warehouse holds, when each source last synced, how to add more
(Sync now for configured sources, Import a CSV file for everything else)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data import schema
from data.warehouse import label as warehouse_label
from i18n import N_, _, formats
from metrics.core import catalog
from metrics.core import coverage as coverage_module
from ui.admin.csv_upload import csv_upload_panel
from ui.admin.discovery_panel import discovery_panel
from ui.admin.sync_panel import sync_panel
from ui.components import limits
from ui.components.fit import fit_config
from ui.components.frame import ensure_frame
from ui.components.plain import md_literal
from ui.components.worker_status import worker_section
from ui.fetch import data, warehouse

ensure_frame()

SHORT = {  # KPI families as column headers
    "deployments": N_("Deploys"),
    "lead_time": N_("Lead time"),
    "incidents": N_("Incidents"),
    "service_levels": N_("Service levels"),
    "quality": N_("Quality"),
}


def _coverage() -> None:
    """Which KPI families each service has data for, and which source would fill the rest."""
    frame = data.coverage()
    if frame.empty:
        return
    st.subheader(_("Coverage per service"))
    st.caption(" · ".join(coverage_module.summary(frame)))
    shown = frame.sort_values("missing", ascending=False, key=lambda c: c.str.len())
    shown = limits.first(shown, limits.MOST_TABLE_ROWS)
    counts = {
        name: st.column_config.NumberColumn(
            _(SHORT[name]),
            format="localized",
            help=_("{family}: rows (days, for service levels)").format(family=_(label)),
        )
        for name, (label, _table, _sources) in coverage_module.FAMILIES.items()
    }
    st.dataframe(
        shown[["service_id", "team_id", "missing", *coverage_module.FAMILIES]],
        hide_index=True,
        width="stretch",
        column_config=fit_config(
            {
                "service_id": _("Service"),
                "team_id": _("Team"),
                **counts,
                "missing": st.column_config.TextColumn(
                    _("Would fill the empty ones"), width="large"
                ),
            },
            shown,
        ),
    )


st.title(_("Data sources"))
con = warehouse.cursor()
st.caption(
    _("Warehouse {warehouse} · schema v{version} · snapshot {snapshot}").format(
        warehouse=md_literal(warehouse_label()),
        version=schema.current_version(con),
        snapshot=warehouse.snapshot_id(),
    )
)
fresh = catalog.freshness(con)
if fresh.empty:
    st.info(
        _(
            "No source has synced yet. Build the demo with `make demo`, or configure sources in "
            "`config/sources.toml` and press **Sync now** below (or run `make sync`)."
        ),
        icon=":material/sync_problem:",
    )
else:
    st.subheader(_("Last successful sync per source"))
    st.dataframe(
        fresh.assign(stream=fresh["stream"].fillna(_("all streams"))),  # connectors record none
        hide_index=True,
        width="stretch",
        column_config={
            "source": _("Source"),
            "stream": _("Stream"),
            "last_success": st.column_config.DatetimeColumn(
                _("Last success (UTC)"), format="YYYY-MM-DD HH:mm", timezone="UTC"
            ),
            "rows_written": st.column_config.NumberColumn(_("Rows written"), format="localized"),
        },
    )
st.subheader(_("Rows per table"))
counts = catalog.table_counts(con)
# A static table wraps the descriptions (a grid would cut them); they come from the schema's
# table comments, translated through the catalog (i18n/extract_sql.py).
st.table(
    pd.DataFrame(
        {
            _("Rows"): [formats.number(n) for n in counts["rows"]],
            _("What it holds"): [_(text) if text else "" for text in counts["description"]],
        },
        index=pd.Index(counts["table"], name=_("Table")),
    )
)
st.caption(_("Column definitions and units: docs/data-dictionary.md."))
_coverage()
worker_section()
sync_panel()
discovery_panel()
csv_upload_panel()
