"""Executive ROI: return on the engineering investment in business language (money, days, risk).

Every figure comes from metrics.reports.roi; the assumptions editor changes this session's view only
(the documented defaults live in config/roi.toml).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import plotly.graph_objects as go
import streamlit as st

from metrics.core.filters import Filters
from metrics.reports import roi
from ui.access import auth
from ui.components import charts, layout
from ui.components.frame import ensure_frame
from ui.fetch import management_data, page_data

ensure_frame()

EDITABLE = {
    "technical_staff": ("Technical staff in scope", "people", 1.0),
    "average_salary": ("Average salary", "a year", 1000.0),
    "benefits_multiplier": ("Benefits multiplier", "× salary", 0.1),
    "cost_per_downtime_hour": ("Cost of one hour of downtime", "per hour", 100.0),
    "annual_revenue": ("Annual revenue", "a year", 1_000_000.0),
}


def _default_baseline(filters: Filters) -> str:
    """The quarter holding the adoption annotation, else the period's first quarter."""
    notes = page_data.annotations()
    adoption = notes[notes["kind"] == "adoption"]
    day = adoption["occurred_on"].iloc[-1] if not adoption.empty else filters.start
    return roi.quarter_label(day if isinstance(day, dt.date) else filters.start)


def _assumptions(defaults: roi.Assumptions) -> roi.Assumptions:
    with st.expander(
        "Assumptions (documented defaults in config/roi.toml)", icon=":material/tune:"
    ):
        editable = auth.may("edit_assumptions")
        st.caption(
            "Edits apply to this view only. Money is in "
            f"{defaults.currency}; staff are counted as a team size, never as individuals."
            + ("" if editable else " Changing them needs the executive, cto or admin role.")
        )
        values = {}
        columns = st.columns(len(EDITABLE))
        for column, (name, (label, unit, step)) in zip(columns, EDITABLE.items(), strict=True):
            with column:
                values[name] = st.number_input(
                    f"{label} ({unit})",
                    min_value=0.0,
                    value=float(getattr(defaults, name)),
                    step=step,
                    key=f"roi_{name}",
                    disabled=not editable,
                )
    return dataclasses.replace(defaults, **values)


def _headline(report, currency: str) -> None:  # type: ignore[no-untyped-def]
    last = report.iloc[-1]
    cols = st.columns(4)
    cols[0].metric(
        "Return on investment",
        f"{last['roi'] * 100:,.0f} %",
        help="(cumulative return − cumulative investment) ÷ cumulative investment, from the "
        "baseline quarter to the end of the period.",
        border=True,
    )
    cols[1].metric(
        f"Cumulative return ({currency})",
        f"{last['return_cumulative']:,.0f}",
        help="Benefits measured against the baseline quarter: less rework, time reinvested in "
        "experiments, less downtime.",
        border=True,
    )
    cols[2].metric(
        f"Cumulative investment ({currency})",
        f"{last['investment_cumulative']:,.0f}",
        help="Investment ledger entries from the baseline quarter on.",
        border=True,
    )
    quarter, months = roi.payback_quarter(report), roi.payback_months(report)
    cols[3].metric(
        f"Payback ({quarter})" if quarter else "Payback",
        f"{months:.1f} months" if quarter and months is not None else "not yet",
        help="Months from the first investment until the cumulative return covers the "
        "cumulative investment (interpolated within that quarter: investment from the "
        "quarter's first day, benefit accruing evenly), and the quarter it happens in.",
        border=True,
    )


def _cumulative_chart(report, currency: str) -> go.Figure:  # type: ignore[no-untyped-def]
    fig = go.Figure()
    fig.add_bar(
        x=report["quarter"],
        y=report["investment_cumulative"],
        name="Cumulative investment",
        marker_color=charts.GREY,
    )
    fig.add_scatter(
        x=report["quarter"],
        y=report["return_cumulative"],
        name="Cumulative return",
        mode="lines+markers",
        line={"color": charts.PRIMARY, "width": 3},
    )
    fig.update_layout(
        title="Investment against return, by quarter",
        height=380,
        xaxis_title="Quarter (UTC)",
        yaxis_title=f"Amount ({currency})",
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 50, "b": 10},
    )
    return fig


def _benefit_chart(report, currency: str) -> go.Figure:  # type: ignore[no-untyped-def]
    fig = go.Figure()
    parts = {
        "benefit_rework": ("Less rework", "#1F5FAD"),
        "benefit_reinvested": ("Time reinvested", "#7B4FA0"),
        "benefit_downtime": ("Less downtime", "#00838F"),
    }
    for column, (name, colour) in parts.items():
        fig.add_bar(x=report["quarter"], y=report[column], name=name, marker_color=colour)
    fig.update_layout(
        barmode="relative",
        title="Where the return comes from",
        height=380,
        xaxis_title="Quarter (UTC)",
        yaxis_title=f"Benefit in the quarter ({currency})",
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 50, "b": 10},
    )
    return fig


def render(filters: Filters) -> None:
    try:
        defaults = roi.load_assumptions()
    except roi.RoiError as exc:
        st.error(f"**The ROI assumptions file is not valid.** {exc}", icon=":material/tune:")
        return
    baseline = st.text_input(
        "Baseline quarter",
        value=_default_baseline(filters),
        help="Benefits are the change against this quarter, e.g. the quarter of the "
        "CI/CD adoption. Format YYYY-Qn.",
        key="roi_baseline",
    )
    assumptions = _assumptions(defaults)
    try:
        report = management_data.roi_report(filters, baseline, assumptions)
    except roi.RoiError as exc:
        st.warning(f"**ROI cannot be computed.** {exc}", icon=":material/savings:")
        return
    if report.empty:
        layout.no_data_for_filters(filters)
        return
    currency = str(report["currency"].iloc[0])
    _headline(report, currency)
    left, right = st.columns(2)
    with left:
        charts.show(_cumulative_chart(report, currency), key="roi_cumulative")
    with right:
        charts.show(_benefit_chart(report, currency), key="roi_benefits")
    st.subheader("What if the cost of downtime is half or double?")
    sens = management_data.sensitivity(filters, baseline, assumptions)
    final = sens.groupby("factor", as_index=False).last()
    table = final[["factor", "value", "return_cumulative", "roi", "payback_quarter"]].copy()
    table["roi"] = (table["roi"] * 100).round(0)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "factor": st.column_config.NumberColumn("Scenario (× cost per hour)", format="%.1f×"),
            "value": st.column_config.NumberColumn(f"Cost per hour ({currency})", format="%,.0f"),
            "return_cumulative": st.column_config.NumberColumn(
                f"Cumulative return ({currency})", format="%,.0f"
            ),
            "roi": st.column_config.NumberColumn("ROI (%)", format="%.0f"),
            "payback_quarter": "Payback quarter",
        },
    )
    st.caption(
        "Model after DORA's “The ROI of DevOps Transformation” (2020), with benefits measured "
        "against the baseline quarter and investments from the ledger. Measured inputs per "
        "quarter: production deployments, change failure rate, median recovery hours, share of "
        "hotfix and rollback deployments. Details: docs/roi.md."
    )


filters = layout.page_filters("Executive ROI")
if filters is not None:
    render(filters)
