"""Incidents: MTTR and MTTA over time, before and after an annotated change, by severity and by
service, and the incident list with links to the source."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from metrics.core.definitions import BY_NAME
from metrics.core.filters import Filters
from ui.components import charts, layout, limits
from ui.components.frame import ensure_frame
from ui.components.table_download import table_download
from ui.fetch import page_data

ensure_frame()

CARDS = ("incident_count", "mttr", "mtta")
VERB = {"mttr": "restore", "mtta": "acknowledge"}


def _cards(rows: dict[str, dict[str, Any]]) -> None:
    charts.card_grid(rows, CARDS)


def _trends(filters: Filters, grain: str) -> None:
    notes = charts.scoped_annotations(page_data.annotations(), filters, page_data.team_of())
    for column, name in zip(st.columns(2), ("mttr", "mtta"), strict=True):
        target, warn, text = page_data.target_for(name, filters)
        fig = charts.trend_chart(
            page_data.trend(name, filters, grain),
            BY_NAME[name],
            title=f"{BY_NAME[name].label}: time to {VERB[name]}",
            grain=grain,
            target=target,
            warn=warn,
            target_text=text,
            annotations=notes,
        )
        with column:
            charts.show(fig, key=f"incidents_{name}")


def _hours(value: Any) -> str:
    return "no data" if value is None or pd.isna(value) else f"{float(value):,.2f} h"


def _before_after(filters: Filters) -> None:
    st.subheader("Before and after a change")
    notes = page_data.annotations()
    if notes.empty:
        st.info("No annotations recorded; add dated events to the annotations table.")
        return
    labels = {
        row.annotation_id: f"{row.occurred_on:%d %b %Y} · {row.text}"
        for row in notes.itertuples(index=False)
    }
    ids = list(labels)
    adoption = [i for i, k in zip(ids, notes["kind"], strict=True) if k == "adoption"]
    left, right = st.columns([3, 1])
    with left:
        chosen = st.selectbox(
            "Annotation",
            ids,
            index=ids.index(adoption[0]) if adoption else 0,
            format_func=labels.__getitem__,
            key="incidents_annotation",
        )
    with right:
        days = int(
            st.number_input(
                "Window (days each side)",
                min_value=7,
                max_value=365,
                value=180,
                step=30,
                key="incidents_window",
            )
        )
    frame = page_data.before_after(str(chosen), days, filters).set_index("side")
    sides = {side: frame.loc[side] if side in frame.index else None for side in ("before", "after")}
    columns = st.columns(3)
    for column, (field, label, help_text) in zip(
        columns,
        [
            ("mttr_median_h", "MTTR (median)", BY_NAME["mttr"].definition),
            ("mtta_median_h", "MTTA (median)", BY_NAME["mtta"].definition),
            ("incidents", "Incidents", BY_NAME["incident_count"].definition),
        ],
        strict=True,
    ):
        before = None if sides["before"] is None else sides["before"][field]
        after = None if sides["after"] is None else sides["after"][field]
        shown = _hours(after) if field != "incidents" else f"{int(after or 0):,}"
        delta = None
        if before is not None and after is not None and not pd.isna(before) and not pd.isna(after):
            delta = (
                f"{float(after) - float(before):+,.2f} h vs before"
                if field != "incidents"
                else f"{int(after) - int(before):+,} vs before"
            )
        previous = _hours(before) if field != "incidents" else f"{int(before or 0):,}"
        with column:
            st.metric(
                f"{label} after",
                shown,
                delta=delta,
                delta_color="inverse",
                help=f"{help_text} Before: {previous}. Windows: {days} days before and after "
                "the annotation's date (00:00 UTC), team and service filters applied.",
            )
            st.caption(f"Before: {previous}")
    table = frame.reset_index()
    fig = charts.bar_chart(
        table,
        "side",
        "mttr_median_h",
        title=f"MTTR (median) {days} days before and after",
        x_title="Window",
        y_title="MTTR, median (hours)",
        colours=[charts.GREY if s == "before" else charts.PRIMARY for s in table["side"]],
        hover=[
            f"{r.side}: median {_hours(r.mttr_median_h)}, mean {_hours(r.mttr_mean_h)} over "
            f"{int(r.resolved)} resolved of {int(r.incidents)} incidents"
            for r in table.itertuples(index=False)
        ],
        height=300,
    )
    charts.show(fig, key="incidents_before_after")


def _breakdowns(filters: Filters) -> None:
    left, right = st.columns(2)
    severity = page_data.incidents_by_severity(filters)
    with left:
        fig = charts.bar_chart(
            severity,
            "severity",
            "incidents",
            title="Incidents by severity",
            x_title="Severity (SEV1 worst)",
            y_title="Incidents started (count)",
            hover=[
                f"{r.severity}: {r.incidents} incidents · MTTR median {_hours(r.mttr_median_h)}, "
                f"mean {_hours(r.mttr_mean_h)}"
                for r in severity.itertuples(index=False)
            ],
        )
        charts.show(fig, key="incidents_by_severity")
        st.dataframe(
            severity,
            hide_index=True,
            width="stretch",
            column_config={
                "severity": "Severity",
                "incidents": "Incidents",
                "resolved": "Resolved",
                "mttr_median_h": st.column_config.NumberColumn(
                    "MTTR med. (h)", format="%.2f", help=BY_NAME["mttr"].definition
                ),
                "mttr_mean_h": st.column_config.NumberColumn(
                    "MTTR mean (h)", format="%.2f", help=BY_NAME["mttr_mean"].definition
                ),
                "mtta_median_h": st.column_config.NumberColumn(
                    "MTTA med. (h)", format="%.2f", help=BY_NAME["mtta"].definition
                ),
            },
        )
    everything = page_data.incidents_by_service(filters)
    services = limits.first(everything, limits.MOST_BARS)
    with right:
        fig = charts.bar_chart(
            services,
            "service_id",
            "incidents",
            title="Incidents by service",
            x_title="Service",
            y_title="Incidents started (count)",
            hover=[
                f"{r.service_id} ({r.team_id}): {r.incidents} incidents, {r.major} SEV1/SEV2, "
                f"{r.caused_by_deployment} caused by a deployment · MTTR median "
                f"{_hours(r.mttr_median_h)}"
                for r in services.itertuples(index=False)
            ],
            horizontal=True,
            height=max(340, 26 * len(services) + 120),
        )
        charts.show(fig, key="incidents_by_service")
        note = limits.left_out(len(everything), limits.MOST_BARS, "services with most incidents")
        if note:
            st.caption(note)


def _list(filters: Filters, total: float | None) -> None:
    st.subheader("Incident list")
    frame = page_data.incidents(filters)
    listed = frame[
        [
            "started_at",
            "severity",
            "service_id",
            "team_id",
            "title",
            "tta_h",
            "ttr_h",
            "open",
            "caused_by",
            "url",
        ]
    ]
    st.dataframe(
        listed,
        hide_index=True,
        width="stretch",
        column_config={
            "started_at": st.column_config.DatetimeColumn(
                "Started (UTC)", format="YYYY-MM-DD HH:mm", timezone="UTC"
            ),
            "severity": "Severity",
            "service_id": "Service",
            "team_id": "Team",
            "title": st.column_config.TextColumn("Title", width="medium"),
            "tta_h": st.column_config.NumberColumn("To acknowledge (h)", format="%.2f"),
            "ttr_h": st.column_config.NumberColumn("To restore (h)", format="%.2f"),
            "open": st.column_config.CheckboxColumn("Open"),
            "caused_by": st.column_config.TextColumn("Caused by deployment"),
            "url": st.column_config.LinkColumn("Link", display_text="open ↗"),
        },
    )
    st.caption(
        f"The newest {len(frame):,} of {total or 0:,.0f} incidents started in the period "
        "(at most 500 are listed)."
    )
    table_download(listed, "incidents")


def render(filters: Filters) -> None:
    rows = page_data.kpi_rows(filters, CARDS)
    if rows is None:
        return
    st.caption(layout.scope_text(filters) + " · incidents are production, any environment")
    if rows["incident_count"]["status"] == "no data":
        layout.no_data_for_filters(filters)
        _before_after(filters)
        return
    _cards(rows)
    st.subheader("Over time")
    _trends(filters, charts.grain_picker("incidents_grain"))
    _before_after(filters)
    _breakdowns(filters)
    _list(filters, rows["incident_count"]["value"])


filters = layout.page_filters("Incidents")
if filters is not None:
    render(filters)
