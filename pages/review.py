"""CTO quarterly review: the scorecard against last quarter, annotated trends, PDCA actions that
are carried until closed, and the whole review as one HTML file to send."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from data.actions import STAGES, ActionError, add_action, update_action
from data.warehouse import db_path
from metrics.core import catalog
from metrics.core.definitions import BY_NAME, HEADLINE
from metrics.core.filters import Filters
from metrics.reports import review
from ui.access import auth
from ui.components import charts, layout
from ui.components.frame import ensure_frame
from ui.components.plain import md_literal
from ui.components.review_export import review_html
from ui.fetch import management_data, page_data, warehouse

ensure_frame()

TREND_KPIS = ("availability", "p95_latency", "coverage", "lead_time", "change_failure_rate", "mttr")


def _figures(quarter: Filters) -> list:  # type: ignore[type-arg]
    """Monthly trends over the four quarters up to the reviewed one."""
    span = Filters(
        review.quarter_filters(review.quarters_until(quarter.start, 4)[-1], quarter).start,
        quarter.end,
        quarter.team,
        quarter.service,
        quarter.environment,
    )
    figures = []
    for name in TREND_KPIS:
        target, warn, text = page_data.target_for(name, span)
        figures.append(
            charts.trend_chart(
                page_data.trend(name, span, "month"),
                BY_NAME[name],
                grain="month",
                target=target,
                warn=warn,
                target_text=text,
                annotations=page_data.annotations(),
                height=300,
            )
        )
    return figures


def _actions_editor(actions: pd.DataFrame, quarter: str, teams: list[str]) -> None:
    st.subheader("PDCA actions")
    st.caption(
        "Open actions from earlier quarters are carried here until closed. Owners are teams."
    )
    editable = auth.may("edit_actions")
    for action in actions.itertuples(index=False):
        label = f"{md_literal(action.title)} — {action.status}, {action.pdca_stage}"
        if action.carried:
            label += f" (carried from {action.quarter})"
        icon = ":material/task_alt:" if action.status == "closed" else ":material/autorenew:"
        if not editable:
            with st.expander(label, icon=icon):
                st.caption(
                    f"KPI: {md_literal(action.kpi or '—')} · "
                    f"owner team: {md_literal(action.owner_team or '—')}"
                )
                st.text(action.note or "No progress note yet.")
            continue
        with st.expander(label, icon=icon), st.form(f"edit_{action.action_id}"):
            st.caption(
                f"KPI: {md_literal(action.kpi or '—')} · "
                f"owner team: {md_literal(action.owner_team or '—')}"
            )
            stage = st.selectbox("Stage", STAGES, index=STAGES.index(action.pdca_stage))
            note = st.text_area("Progress note", value=action.note or "", max_chars=2000)
            closed = st.checkbox("Closed", value=action.status == "closed")
            if st.form_submit_button("Save"):
                _save(
                    partial(
                        update_action,
                        db_path(),
                        action.action_id,
                        stage=stage,
                        note=note,
                        closed=closed,
                    )
                )
    if not editable:
        st.caption("Adding and editing actions needs the cto or admin role.")
        return
    with st.form("new_action", clear_on_submit=True):
        st.markdown("**Add an action**")
        title = st.text_input("What will be done", max_chars=300)
        cols = st.columns(3)
        kpi = cols[0].selectbox(
            "KPI it should move", [k.name for k in HEADLINE], format_func=lambda n: BY_NAME[n].label
        )
        owner = cols[1].selectbox("Owner team", teams)
        stage = cols[2].selectbox("Stage", STAGES)
        if st.form_submit_button("Add action", type="primary"):
            _save(
                lambda: add_action(
                    db_path(), quarter=quarter, title=title, kpi=kpi, owner_team=owner, stage=stage
                )
            )


def _save(write) -> None:  # type: ignore[no-untyped-def]
    try:
        write()
    except ActionError as exc:
        st.error(f"**Not saved.** {exc}.", icon=":material/edit_off:")
        return
    st.rerun()


def render(filters: Filters) -> None:
    con = warehouse.cursor()
    last_day = management_data.latest_data_day() or filters.end
    quarters = review.quarters_until(last_day)
    chosen = st.selectbox(
        "Quarter under review",
        quarters,
        index=1 if len(quarters) > 1 else 0,
        help="The latest quarter may still be running; it is cut at the last day with data.",
    )
    quarter = review.quarter_filters(chosen, filters, last_day)
    st.caption(layout.scope_text(quarter) + " (the sidebar's period does not apply here)")
    actions = review.actions_for(con, chosen, filters.team)
    table = management_data.review_table(quarter, actions)
    if table["RAG"].eq("no data").all():
        layout.no_data_for_filters(quarter)
        return
    shown = table.drop(columns=["kpi"]).copy()
    shown["RAG"] = shown["RAG"].map(charts.RAG_TEXT).fillna(shown["RAG"])
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "Trend": st.column_config.LineChartColumn("Trend (weekly)", width="small"),
            "Note": st.column_config.TextColumn("Note (actions)", width="medium"),
        },
    )
    figures = _figures(quarter)
    st.subheader("Trends over four quarters")
    for offset in range(0, len(figures), 2):
        for column, fig in zip(st.columns(2), figures[offset : offset + 2], strict=False):
            with column:
                charts.show(fig, key=f"review_{offset}_{fig.layout.title.text}")
    teams = catalog.teams(con)["team_id"].tolist()
    _actions_editor(actions, chosen, teams)
    fresh = catalog.freshness(con)
    as_of = str(fresh["last_success"].max()) if not fresh.empty else "unknown"
    auth.require("review_export")
    document = review_html(
        title=f"TechPulse quarterly review {chosen}",
        scope=layout.scope_text(quarter),
        data_as_of=as_of,
        table=table,
        figures=figures,
        actions=actions,
    )
    st.download_button(
        "Download the review (HTML, charts included)",
        document.encode("utf-8"),
        file_name=f"techpulse_review_{chosen}.html",
        mime="text/html",
        icon=":material/download:",
    )


filters = layout.page_filters("Quarterly review")
if filters is not None:
    render(filters)
