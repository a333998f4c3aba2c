"""Page scaffolding shared by every page: title, scope line, empty states, tidy tables."""

from __future__ import annotations

import streamlit as st

from metrics.core.filters import Filters
from ui.components.cards import RAG_BADGE


def page_filters(title: str) -> Filters | None:
    """Render the page title; return the sidebar filters, or None after an empty-state message."""
    st.title(title)
    filters = st.session_state.get("filters")
    if filters is None:
        st.info(
            "**The warehouse holds no data yet.** Build the demo organisation with `make demo`, "
            "or connect a source (Prometheus, SonarQube, GitHub, PagerDuty …) and run "
            "`python -m connectors sync`. See the Data sources page.",
            icon=":material/database:",
        )
    return filters


def scope_text(filters: Filters) -> str:
    previous = filters.previous()
    who = filters.service or (f"team {filters.team}" if filters.team else "all teams")
    return (
        f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y} (UTC, {filters.days} days) · {who} · "
        f"{filters.environment} · changes compare with {previous.start:%d %b %Y} – "
        f"{previous.end:%d %b %Y}"
    )


def no_data_for_filters(filters: Filters) -> None:
    st.warning(
        "**No data for these filters.** Nothing was recorded for this period, scope and "
        f"environment ({filters.environment}). Widen the period or scope, or connect the missing "
        "source on the Data sources page: Prometheus for service levels, SonarQube for coverage, "
        "GitHub/GitLab/Jenkins for deployments, PagerDuty/Opsgenie/Jira for incidents.",
        icon=":material/filter_alt_off:",
    )


def scorecard_table(frame) -> None:  # type: ignore[no-untyped-def]
    table = frame[
        ["label", "display", "target_text", "status", "tier", "delta_display", "n"]
    ].copy()
    table["status"] = [RAG_BADGE[s][0] for s in table["status"]]
    table = table.astype({"tier": object, "delta_display": object})
    table[["tier", "delta_display"]] = table[["tier", "delta_display"]].where(
        table[["tier", "delta_display"]].notna(), "—"
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "label": st.column_config.TextColumn("KPI", width="medium"),
            "display": st.column_config.TextColumn("This period"),
            "target_text": st.column_config.TextColumn("Target"),
            "status": st.column_config.TextColumn("Status"),
            "tier": st.column_config.TextColumn("DORA tier"),
            "delta_display": st.column_config.TextColumn("Change vs previous period"),
            "n": st.column_config.NumberColumn(
                "Based on",
                help="Requests, deployments, changes, incidents or lines behind it",
                format="localized",
            ),
        },
    )
