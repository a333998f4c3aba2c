"""Delivery (DORA): the four keys and rework rate over time, per team and service, and the
deployments behind them with links to their source."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from i18n import N_, _, formats
from metrics.core.definitions import BY_NAME
from metrics.core.filters import Filters
from metrics.kpis import dora
from metrics.kpis.delivery import CHANGE_TYPE_TEXT, DORA_KPIS, STATUS_TEXT, word
from ui.components import charts, layout
from ui.components.fit import fit_config
from ui.components.frame import ensure_frame
from ui.components.table_download import table_download
from ui.fetch import page_data

ensure_frame()

SHORT = {  # column headers of the drill-down table
    "deployment_frequency": N_("Deploys / service / week"),
    "lead_time": N_("Lead time (median)"),
    "change_failure_rate": N_("Change failure rate"),
    "time_to_restore": N_("Recovery time (median)"),
    "rework_rate": N_("Rework rate"),
}
LEVELS = {"team": N_("Team"), "service": N_("Service")}


def _cards(rows: dict[str, dict[str, Any]]) -> None:
    charts.card_grid(rows, [k.name for k in DORA_KPIS])
    tiers = [rows[k.name]["tier"] for k in DORA_KPIS if rows[k.name]["tier"]]
    year = next((rows[k.name]["benchmark_year"] for k in DORA_KPIS if rows[k.name]["tier"]), None)
    if tiers:
        st.caption(
            _(
                "Tiers from the DORA {year} benchmark table; rework rate (DORA 2024) has no "
                "benchmark tier and is tracked without a target."
            ).format(year=year)
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
    st.subheader(_("By team and service"))
    levels = {level: _(text) for level, text in LEVELS.items()}
    level = st.radio(
        _("Drill down by"),
        list(levels),
        horizontal=True,
        key="delivery_level",
        format_func=levels.__getitem__,
    )
    frame = page_data.dora_by_scope(filters, level)
    # headers are the shown names (a DataFrame's column names are what the grid shows)
    table = pd.DataFrame({levels[level]: frame["name"] if level == "team" else frame["id"]})
    config: dict[str, Any] = {levels[level]: st.column_config.TextColumn(pinned=True)}
    for kpi in DORA_KPIS:
        header = _(SHORT[kpi.name])
        tiers = frame[f"{kpi.name}_tier"].astype(object)
        table[header] = [
            f"{shown} · {dora.tier_name(tier)}" if isinstance(tier, str) else shown
            for shown, tier in zip(frame[kpi.name], tiers, strict=True)
        ]
        config[header] = st.column_config.TextColumn(
            help=_("{label}: {definition} Shown as value · DORA tier.").format(
                label=kpi.label_text(), definition=kpi.definition_text()
            ),
        )
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    each = {
        "team": _(
            "Each row is the scorecard of one team for the period (same definitions as above)."
        ),
        "service": _(
            "Each row is the scorecard of one service for the period (same definitions as above)."
        ),
    }
    st.caption(each[level])


def _deployments(filters: Filters) -> None:
    frame = page_data.recent_deployments(filters)
    st.subheader(_("Recent deployments"))
    if frame.empty:
        st.info(
            _(
                "No deployments in this period and scope. Connect GitHub, GitLab or Jenkins on "
                "the Data sources page."
            ),
            icon=":material/rocket_launch:",
        )
        return
    config = {
        "finished_at": st.column_config.DatetimeColumn(
            _("Finished (UTC)"), format="YYYY-MM-DD HH:mm", timezone="UTC"
        ),
        "service_id": _("Service"),
        "team_id": _("Team"),
        "status": _("Status"),
        "change_type": st.column_config.TextColumn(
            _("Change type"), help=_("planned, or unplanned rework: hotfix or rollback")
        ),
        "outcome": st.column_config.TextColumn(
            _("Outcome"), help=BY_NAME["change_failure_rate"].definition_text(), width="medium"
        ),
        "url": st.column_config.LinkColumn(_("Deployment"), display_text=_("open ↗")),
        "incident_url": st.column_config.LinkColumn(_("Incident"), display_text=_("open ↗")),
    }
    columns = list(config)
    shown = frame[columns].assign(
        status=frame["status"].map(lambda v: word(v, STATUS_TEXT)),
        change_type=frame["change_type"].map(lambda v: word(v, CHANGE_TYPE_TEXT)),
        # an empty cell, not the grid's "None", where a deployment caused no incident
        url=frame["url"].fillna(""),
        incident_url=frame["incident_url"].fillna(""),
    )
    config = fit_config(config, shown)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
    st.caption(
        _("The newest {n} deployments of the period (at most 200).").format(
            n=formats.number(len(frame))
        )
    )
    table_download(frame[columns], "deployments")
    failed = frame[frame["change_failed"] | (frame["status"] != "success")]
    st.subheader(_("Failed changes"))
    if failed.empty:
        st.success(_("No failed deployments or failed changes in this period."))
    else:
        st.dataframe(
            shown.loc[failed.index], hide_index=True, width="stretch", column_config=config
        )
        st.caption(
            _(
                "Successful deployments that caused an incident or were repaired by a rollback "
                "or hotfix (counted in change failure rate), and deployments that did not "
                "succeed."
            )
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
    st.subheader(_("Over time"))
    _trends(filters, charts.grain_picker("delivery_grain"))
    _drill_down(filters)
    _deployments(filters)


filters = layout.page_filters(_("Delivery (DORA)"))
if filters is not None:
    render(filters)
