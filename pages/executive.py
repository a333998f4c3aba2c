"""Executive ROI: return on the engineering investment in business language (money, days, risk).

Every figure comes from metrics.reports.roi; the assumptions editor changes this session's view only
(the documented defaults live in config/roi.toml).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import plotly.graph_objects as go
import streamlit as st

from i18n import N_, _, formats
from metrics.core.filters import Filters
from metrics.reports import roi
from ui.access import auth
from ui.components import charts, layout
from ui.components.frame import ensure_frame
from ui.components.money_axis import money_axis
from ui.fetch import management_data, page_data

ensure_frame()

EDITABLE = {  # assumption → (label with its unit, step); money is in the report's currency
    "technical_staff": (N_("Technical staff in scope (people)"), 1.0),
    "average_salary": (N_("Average salary ({currency} a year)"), 1000.0),
    "benefits_multiplier": (N_("Benefits multiplier (× salary)"), 0.1),
    "cost_per_downtime_hour": (N_("Cost of one hour of downtime ({currency})"), 100.0),
    "annual_revenue": (N_("Annual revenue ({currency} a year)"), 1_000_000.0),
}


def _default_baseline(filters: Filters) -> str:
    """The quarter holding the adoption annotation, else the period's first quarter."""
    notes = page_data.annotations()
    adoption = notes[notes["kind"] == "adoption"]
    day = adoption["occurred_on"].iloc[-1] if not adoption.empty else filters.start
    return roi.quarter_label(day if isinstance(day, dt.date) else filters.start)


def _assumptions(defaults: roi.Assumptions) -> roi.Assumptions:
    with st.expander(
        _("Assumptions (documented defaults in config/roi.toml)"), icon=":material/tune:"
    ):
        editable = auth.may("edit_assumptions")
        note = _(
            "Edits apply to this view only. Money is in {currency}; staff are counted as a team "
            "size, never as individuals."
        ).format(currency=defaults.currency)
        if not editable:
            note += " " + _("Changing them needs the executive, cto or admin role.")
        st.caption(note)
        values = {}
        columns = st.columns(len(EDITABLE))
        for column, (name, (label, step)) in zip(columns, EDITABLE.items(), strict=True):
            with column:
                values[name] = st.number_input(
                    _(label).format(currency=defaults.currency),
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
    exact = _("Exactly {amount} {currency}.")
    cols[0].metric(
        _("Return on investment"),
        f"{formats.number(last['roi'] * 100)} %",
        help=_(
            "(cumulative return − cumulative investment) ÷ cumulative investment, from the "
            "baseline quarter to the end of the period."
        ),
        border=True,
    )
    cols[1].metric(
        _("Cumulative return"),
        formats.money(last["return_cumulative"], currency),
        help=_(
            "Benefits measured against the baseline quarter: less rework, time reinvested in "
            "experiments, less downtime."
        )
        + " "
        + exact.format(amount=formats.number(last["return_cumulative"]), currency=currency),
        border=True,
    )
    cols[2].metric(
        _("Cumulative investment"),
        formats.money(last["investment_cumulative"], currency),
        help=_("Investment ledger entries from the baseline quarter on.")
        + " "
        + exact.format(amount=formats.number(last["investment_cumulative"]), currency=currency),
        border=True,
    )
    quarter, months = roi.payback_quarter(report), roi.payback_months(report)
    cols[3].metric(
        _("Payback ({quarter})").format(quarter=quarter) if quarter else _("Payback"),
        _("{months} months").format(months=f"{months:.1f}")
        if quarter and months is not None
        else _("not yet"),
        help=_(
            "Months from the first investment until the cumulative return covers the "
            "cumulative investment (interpolated within that quarter: investment from the "
            "quarter's first day, benefit accruing evenly), and the quarter it happens in."
        ),
        border=True,
    )


def _cumulative_chart(report, currency: str) -> go.Figure:  # type: ignore[no-untyped-def]
    fig = go.Figure()
    fig.add_bar(
        x=report["quarter"],
        y=report["investment_cumulative"],
        name=_("Cumulative investment"),
        marker_color=charts.GREY,
    )
    fig.add_scatter(
        x=report["quarter"],
        y=report["return_cumulative"],
        name=_("Cumulative return"),
        mode="lines+markers",
        line={"color": charts.PRIMARY, "width": 3},
    )
    fig.update_layout(
        title=_("Investment against return, by quarter"),
        height=380,
        xaxis_title=_("Quarter (UTC)"),
        yaxis_title=_("Amount ({currency})").format(currency=currency),
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 50, "b": 10},
    )
    money_axis(fig, [*report["investment_cumulative"], *report["return_cumulative"]], currency)
    return fig


def _benefit_chart(report, currency: str) -> go.Figure:  # type: ignore[no-untyped-def]
    fig = go.Figure()
    parts = {
        "benefit_rework": (N_("Less rework"), "#1F5FAD"),
        "benefit_reinvested": (N_("Time reinvested"), "#7B4FA0"),
        "benefit_downtime": (N_("Less downtime"), "#00838F"),
    }
    for column, (name, colour) in parts.items():
        fig.add_bar(x=report["quarter"], y=report[column], name=_(name), marker_color=colour)
    fig.update_layout(
        barmode="relative",
        title=_("Where the return comes from"),
        height=380,
        xaxis_title=_("Quarter (UTC)"),
        yaxis_title=_("Benefit in the quarter ({currency})").format(currency=currency),
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 50, "b": 10},
    )
    benefits = report[list(parts)]
    stacked = [*benefits.clip(lower=0).sum(axis=1), *benefits.clip(upper=0).sum(axis=1)]
    money_axis(fig, stacked, currency)  # relative bars: positives and negatives stack apart
    return fig


def render(filters: Filters) -> None:
    try:
        defaults = roi.load_assumptions()
    except roi.RoiError as exc:
        st.error(
            "**" + _("The ROI assumptions file is not valid.") + f"** {exc}", icon=":material/tune:"
        )
        return
    baseline = st.text_input(
        _("Baseline quarter"),
        value=_default_baseline(filters),
        help=_(
            "Benefits are the change against this quarter, e.g. the quarter of the CI/CD "
            "adoption. Format YYYY-Qn."
        ),
        key="roi_baseline",
    )
    assumptions = _assumptions(defaults)
    try:
        report = management_data.roi_report(filters, baseline, assumptions)
    except roi.RoiError as exc:
        st.warning("**" + _("ROI cannot be computed.") + f"** {exc}", icon=":material/savings:")
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
    st.subheader(_("What if the cost of downtime is half or double?"))
    sens = management_data.sensitivity(filters, baseline, assumptions)
    final = sens.groupby("factor", as_index=False).last()
    table = final[["factor", "value", "return_cumulative", "roi", "payback_quarter"]].copy()
    table["roi"] = (table["roi"] * 100).round(0)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "factor": st.column_config.NumberColumn(
                _("Scenario (× cost per hour)"), format="%.1f×"
            ),
            "value": st.column_config.NumberColumn(
                _("Cost per hour ({currency})").format(currency=currency), format="%,.0f"
            ),
            "return_cumulative": st.column_config.NumberColumn(
                _("Cumulative return ({currency})").format(currency=currency), format="%,.0f"
            ),
            "roi": st.column_config.NumberColumn(_("ROI (%)"), format="%.0f"),
            "payback_quarter": st.column_config.TextColumn(_("Payback quarter")),
        },
    )
    st.caption(
        _(
            "Model after DORA's “The ROI of DevOps Transformation” (2020), with benefits "
            "measured against the baseline quarter and investments from the ledger. Measured "
            "inputs per quarter: production deployments, change failure rate, median recovery "
            "hours, share of hotfix and rollback deployments. Details: docs/roi.md."
        )
    )


filters = layout.page_filters(_("Executive ROI"))
if filters is not None:
    render(filters)
