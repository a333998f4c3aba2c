"""Delivery (DORA): the four keys and rework rate over time, per team and service, and the
deployments behind them with links to their source."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from metrics.core.definitions import BY_NAME
from metrics.core.filters import Filters
from metrics.kpis.delivery import DORA_KPIS
from ui.components import charts, layout
from ui.components.frame import ensure_frame
from ui.components.table_download import table_download
from ui.fetch import page_data

ensure_frame()

SHORT = {
    "deployment_frequency": "Deploys / service / week",
    "lead_time": "Lead time (median)",
    "change_failure_rate": "Change failure rate",
    "time_to_restore": "Recovery time (median)",
    "rework_rate": "Rework rate",
}


def _cards(rows: dict[str, dict[str, Any]]) -> None:
    charts.card_grid(rows, [k.name for k in DORA_KPIS])
    tiers = [rows[k.name]["tier"] for k in DORA_KPIS if rows[k.name]["tier"]]
    year = next((rows[k.name]["benchmark_year"] for k in DORA_KPIS if rows[k.name]["tier"]), None)
    if tiers:
        st.caption(
            f"Tiers from the DORA {year} benchmark table; rework rate (DORA 2024) has no "
            "benchmark tier and is tracked without a target."
        )


def _trends(filters: Filters, grain: str) -> None:
    notes = charts.scoped_annotations(page_data.annotations(), filters, page_data.team_of())
    for offset in range(0, len(DORA_KPIS), 2):
        for column, kpi in zip(st.columns(2), DORA_KPIS[offset : offset + 2], strict=False):
            target, warn, text = page_data.target_for(kpi.name, filters)
            fig = charts.trend_chart(
                page_data.trend(kpi.name, filters, grain),
                kpi,
                grain=grain,
                target=target,
                warn=warn,
                target_text=text,
                annotations=notes,
            )
            with column:
                charts.show(fig, key=f"delivery_{kpi.name}")


def _drill_down(filters: Filters) -> None:
    st.subheader("By team and service")
    level = st.radio(
        "Drill down by",
        ["team", "service"],
        horizontal=True,
        key="delivery_level",
        format_func=str.capitalize,
    )
    frame = page_data.dora_by_scope(filters, level)
    table = pd.DataFrame({level.capitalize(): frame["name"] if level == "team" else frame["id"]})
    config: dict[str, Any] = {}
    for kpi in DORA_KPIS:
        tiers = frame[f"{kpi.name}_tier"].astype(object)
        table[SHORT[kpi.name]] = [
            f"{shown} · {tier}" if isinstance(tier, str) else shown
            for shown, tier in zip(frame[kpi.name], tiers, strict=True)
        ]
        config[SHORT[kpi.name]] = st.column_config.TextColumn(
            SHORT[kpi.name], help=f"{kpi.label}: {kpi.definition} Shown as value · DORA tier."
        )
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    st.caption(
        f"Each row is the scorecard of one {level} for the period (same definitions as above)."
    )


def _deployments(filters: Filters) -> None:
    frame = page_data.recent_deployments(filters)
    st.subheader("Recent deployments")
    if frame.empty:
        st.info(
            "No deployments in this period and scope. Connect GitHub, GitLab or Jenkins on the "
            "Data sources page.",
            icon=":material/rocket_launch:",
        )
        return
    config = {
        "finished_at": st.column_config.DatetimeColumn(
            "Finished (UTC)", format="YYYY-MM-DD HH:mm", timezone="UTC"
        ),
        "service_id": "Service",
        "team_id": "Team",
        "status": "Status",
        "change_type": st.column_config.TextColumn(
            "Change type", help="planned, or unplanned rework: hotfix or rollback"
        ),
        "outcome": st.column_config.TextColumn(
            "Outcome", help=BY_NAME["change_failure_rate"].definition, width="large"
        ),
        "url": st.column_config.LinkColumn("Deployment", display_text="open ↗"),
        "incident_url": st.column_config.LinkColumn("Incident", display_text="open ↗"),
    }
    columns = list(config)
    st.dataframe(frame[columns], hide_index=True, width="stretch", column_config=config)
    st.caption(f"The newest {len(frame):,} deployments of the period (at most 200).")
    table_download(frame[columns], "deployments")
    failed = frame[frame["change_failed"] | (frame["status"] != "success")]
    st.subheader("Failed changes")
    if failed.empty:
        st.success("No failed deployments or failed changes in this period.")
    else:
        st.dataframe(failed[columns], hide_index=True, width="stretch", column_config=config)
        st.caption(
            "Successful deployments that caused an incident or were repaired by a rollback or "
            "hotfix (counted in change failure rate), and deployments that did not succeed."
        )
        table_download(failed[columns], "failed_changes")


def render(filters: Filters) -> None:
    rows = page_data.kpi_rows(filters, tuple(k.name for k in DORA_KPIS))
    if rows is None:
        return
    st.caption(layout.scope_text(filters))
    if all(rows[k.name]["status"] == "no data" for k in DORA_KPIS):
        layout.no_data_for_filters(filters)
        return
    _cards(rows)
    st.subheader("Over time")
    _trends(filters, charts.grain_picker("delivery_grain"))
    _drill_down(filters)
    _deployments(filters)


filters = layout.page_filters("Delivery (DORA)")
if filters is not None:
    render(filters)
