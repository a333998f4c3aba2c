"""CTO quarterly review: the scorecard against last quarter, annotated trends, PDCA actions that
are carried until closed, and the whole review as one HTML file to send."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from data.actions import STAGES, ActionError, add_action, update_action
from data.warehouse import db_path
from i18n import _
from metrics.core import catalog
from metrics.core.definitions import BY_NAME, HEADLINE
from metrics.core.filters import Filters
from metrics.reports import review
from metrics.reports.review import kpi_text, stage_text, status_text
from ui.access import auth
from ui.components import charts, layout
from ui.components.fit import fit_widths
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
    st.subheader(_("PDCA action items"))
    st.caption(
        _("Open actions from earlier quarters are carried here until closed. Owners are teams.")
    )
    editable = auth.may("edit_actions")
    for action in actions.itertuples(index=False):
        label = _("{title} — {status}, {stage}").format(
            title=md_literal(action.title),
            status=status_text(action.status),
            stage=stage_text(action.pdca_stage),
        )
        if action.carried:
            label = _("{action} (carried from {quarter})").format(
                action=label, quarter=action.quarter
            )
        icon = ":material/task_alt:" if action.status == "closed" else ":material/autorenew:"
        about = _("KPI: {kpi} · owner team: {team}").format(
            kpi=md_literal(kpi_text(action.kpi)), team=md_literal(action.owner_team or "—")
        )
        if not editable:
            with st.expander(label, icon=icon):
                st.caption(about)
                st.text(action.note or _("No progress note yet."))
            continue
        with st.expander(label, icon=icon), st.form(f"edit_{action.action_id}"):
            st.caption(about)
            stage = st.selectbox(
                _("Stage"), STAGES, index=STAGES.index(action.pdca_stage), format_func=stage_text
            )
            note = st.text_area(_("Progress note"), value=action.note or "", max_chars=2000)
            closed = st.checkbox(_("Closed"), value=action.status == "closed")
            if st.form_submit_button(_("Save")):
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
        st.caption(_("Adding and editing actions needs the cto or admin role."))
        return
    with st.form("new_action", clear_on_submit=True):
        st.markdown(_("**Add an action**"))
        title = st.text_input(_("What will be done"), max_chars=300)
        cols = st.columns(3)
        kpi = cols[0].selectbox(
            _("KPI it should move"), [k.name for k in HEADLINE], format_func=kpi_text
        )
        owner = cols[1].selectbox(_("Owner team"), teams)
        stage = cols[2].selectbox(_("Stage"), STAGES, format_func=stage_text)
        if st.form_submit_button(_("Add action"), type="primary"):
            _save(
                lambda: add_action(
                    db_path(), quarter=quarter, title=title, kpi=kpi, owner_team=owner, stage=stage
                )
            )


def _save(write) -> None:  # type: ignore[no-untyped-def]
    try:
        write()
    except ActionError as exc:
        st.error(_("**Not saved.** {reason}.").format(reason=exc), icon=":material/edit_off:")
        return
    st.rerun()


SHOWN = ("KPI", "Target", "This quarter", "Last quarter", "Change", "RAG", "Trend", "Owner")
# The actions' titles (Note) are listed in full under "PDCA action items" below and in the
# export, so the page's table leaves them out and fits the page at 1440 px with the sidebar open.
TABLE_WIDTH = 980  # measured: the main column at 1440 px with the sidebar open


def _columns(shown: pd.DataFrame) -> dict[str, object]:
    headers = {key: _(text) for key, text in review.COLUMN_TEXT.items()}
    text = {key: shown[key] for key in SHOWN if key != "Trend"}
    widths = fit_widths(text, headers, TABLE_WIDTH, fixed={"Trend": 60})
    config: dict[str, object] = {
        key: st.column_config.TextColumn(headers[key], width=widths[key])  # type: ignore[arg-type]
        for key in text
    }
    config["Trend"] = st.column_config.LineChartColumn(headers["Trend"], width=widths["Trend"])  # type: ignore[arg-type]
    return config


def render(filters: Filters) -> None:
    con = warehouse.cursor()
    last_day = management_data.latest_data_day() or filters.end
    quarters = review.quarters_until(last_day)
    chosen = st.selectbox(
        _("Quarter under review"),
        quarters,
        index=1 if len(quarters) > 1 else 0,
        help=_("The latest quarter may still be running; it is cut at the last day with data."),
    )
    quarter = review.quarter_filters(chosen, filters, last_day)
    st.caption(layout.scope_text(quarter) + " " + _("(the sidebar's period does not apply here)"))
    actions = review.actions_for(con, chosen, filters.team)
    table = management_data.review_table(quarter, actions)
    if table["RAG"].eq("no data").all():
        layout.no_data_for_filters(quarter)
        return
    shown = table.drop(columns=["kpi"]).copy()
    shown["RAG"] = shown["RAG"].map(charts.rag_text)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config=_columns(shown),
        column_order=SHOWN,
    )
    figures = _figures(quarter)
    st.subheader(_("Trends over four quarters"))
    for offset in range(0, len(figures), 2):
        for column, fig in zip(st.columns(2), figures[offset : offset + 2], strict=False):
            with column:
                charts.show(fig, key=f"review_{offset}_{fig.layout.title.text}")
    teams = catalog.teams(con)["team_id"].tolist()
    _actions_editor(actions, chosen, teams)
    fresh = catalog.freshness(con)
    as_of = str(fresh["last_success"].max()) if not fresh.empty else _("unknown")
    auth.require("review_export")
    document = review_html(
        title=_("TechPulse quarterly review {quarter}").format(quarter=chosen),
        scope=layout.scope_text(quarter),
        data_as_of=as_of,
        table=table,
        figures=figures,
        actions=actions,
    )
    st.download_button(
        _("Download the review (HTML, charts included)"),
        document.encode("utf-8"),
        file_name=f"techpulse_review_{chosen}.html",
        mime="text/html",
        icon=":material/download:",
    )


filters = layout.page_filters(_("Quarterly review"))
if filters is not None:
    render(filters)
