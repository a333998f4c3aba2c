"""Page scaffolding shared by every page: title, scope line, empty states, tidy tables."""

from __future__ import annotations

import streamlit as st

from i18n import _, formats
from metrics.core.filters import Filters
from metrics.kpis import dora
from ui.components.cards import RAG_BADGE


def page_filters(title: str) -> Filters | None:
    """Render the page title; return the sidebar filters, or None after an empty-state message."""
    st.title(title)
    filters = st.session_state.get("filters")
    if filters is None:
        st.info(
            _(
                "**The warehouse holds no data yet.** Build the demo organisation with "
                "`make demo`, or connect a source (Prometheus, SonarQube, GitHub, PagerDuty …) "
                "and run `python -m connectors sync`. See the Data sources page."
            ),
            icon=":material/database:",
        )
    return filters


def scope_text(filters: Filters) -> str:
    previous = filters.previous()
    who = filters.service or (
        _("team {team}").format(team=filters.team) if filters.team else _("all teams")
    )
    return _(
        "{start} – {end} (UTC, {days} days) · {who} · {environment} · changes compare with "
        "{previous_start} – {previous_end}"
    ).format(
        start=formats.short_date(filters.start),
        end=formats.short_date(filters.end),
        days=filters.days,
        who=who,
        environment=filters.environment,
        previous_start=formats.short_date(previous.start),
        previous_end=formats.short_date(previous.end),
    )


def no_data_for_filters(filters: Filters) -> None:
    st.warning(
        _(
            "**No data for these filters.** Nothing was recorded for this period, scope and "
            "environment ({environment}). Widen the period or scope, or connect the missing "
            "source on the Data sources page: Prometheus for service levels, SonarQube for "
            "coverage, GitHub/GitLab/Jenkins for deployments, PagerDuty/Opsgenie/Jira for "
            "incidents."
        ).format(environment=filters.environment),
        icon=":material/filter_alt_off:",
    )


def scorecard_table(frame) -> None:  # type: ignore[no-untyped-def]
    table = frame[
        ["label", "display", "target_text", "status", "tier", "delta_display", "n"]
    ].copy()
    table["status"] = [_(RAG_BADGE[s][0]) for s in table["status"]]
    table["tier"] = [dora.tier_name(t) if isinstance(t, str) else t for t in table["tier"]]
    table = table.astype({"tier": object, "delta_display": object})
    table[["tier", "delta_display"]] = table[["tier", "delta_display"]].where(
        table[["tier", "delta_display"]].notna(), "—"
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "label": st.column_config.TextColumn(_("KPI"), width="medium"),
            "display": st.column_config.TextColumn(_("This period")),
            "target_text": st.column_config.TextColumn(_("Target")),
            "status": st.column_config.TextColumn(_("Status")),
            "tier": st.column_config.TextColumn(_("DORA tier")),
            "delta_display": st.column_config.TextColumn(_("Change vs previous period")),
            "n": st.column_config.NumberColumn(
                _("Based on"),
                help=_("Requests, deployments, changes, incidents or lines behind it"),
                format="localized",
            ),
        },
    )
