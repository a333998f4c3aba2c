"""Reliability: service levels against their targets, error budgets and burn-rate alerts, and
the services that miss a target listed first."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from i18n import _, formats
from metrics.core.definitions import BY_NAME
from metrics.core.filters import Filters
from metrics.kpis.slo import NO_TRAFFIC, OK, PAGE_FAST, PAGE_SLOW, TICKET, alert_text
from ui.components import charts, layout, limits
from ui.components.fit import fit_widths
from ui.components.frame import ensure_frame
from ui.fetch import page_data

ensure_frame()

CARDS = ("availability", "p95_latency", "error_rate", "cpu_mean", "memory_mean")
TRENDS = ("availability", "p95_latency", "error_rate", "cpu_mean", "memory_mean", "cpu_p95")
TABLE_WIDTH = 980  # the main column at 1440 px with the sidebar open
ALERT_COLOURS = {
    PAGE_FAST: charts.RED,
    PAGE_SLOW: charts.RED,
    TICKET: charts.AMBER,
    OK: charts.GREEN,
    NO_TRAFFIC: charts.GREY,
}


def _cards(rows: dict[str, dict[str, Any]]) -> None:
    charts.card_grid(rows, CARDS)


def _trends(filters: Filters, grain: str) -> None:
    notes = charts.scoped_annotations(page_data.annotations(), filters, page_data.team_of())
    for offset in range(0, len(TRENDS), 2):
        for column, name in zip(st.columns(2), TRENDS[offset : offset + 2], strict=False):
            target, warn, text = page_data.target_for(name, filters)
            fig = charts.trend_chart(
                page_data.trend(name, filters, grain),
                BY_NAME[name],
                grain=grain,
                target=target,
                warn=warn,
                target_text=text,
                annotations=notes,
            )
            with column:
                charts.show(fig, key=f"reliability_{name}")


def _per_service(filters: Filters) -> None:
    st.subheader(_("Services against their targets"))
    frame = page_data.service_levels_per_service(filters)
    if frame.empty:
        st.info(_("No service-level samples for this scope; connect Prometheus."))
        return
    table = frame[["service_id", "team_id", "status"]].copy()
    table["status"] = charts.status_text(table["status"])
    for name in ("availability", "p95_latency", "error_rate"):
        table[name] = frame[name]
        table[f"{name}_status"] = charts.status_text(frame[f"{name}_status"])
    table["n_requests"] = frame["n_requests"]
    statuses = ["status", "availability_status", "p95_latency_status", "error_rate_status"]
    config = {
        "service_id": _("Service"),
        "team_id": _("Team"),
        "status": st.column_config.TextColumn(
            _("Worst status"), help=_("Worst of the three checks")
        ),
        "availability": st.column_config.NumberColumn(
            _("Availability (%)"), format="%.3f", help=BY_NAME["availability"].definition_text()
        ),
        "availability_status": _("Availability status"),
        "p95_latency": st.column_config.NumberColumn(
            _("P95 latency (ms)"), format="%.0f", help=BY_NAME["p95_latency"].definition_text()
        ),
        "p95_latency_status": _("P95 status"),
        "error_rate": st.column_config.NumberColumn(
            _("Error rate (%)"), format="%.3f", help=BY_NAME["error_rate"].definition_text()
        ),
        "error_rate_status": _("Error-rate status"),
        "n_requests": st.column_config.NumberColumn(_("Requests"), format="localized"),
    }
    st.dataframe(
        charts.style_status(limits.first(table, limits.MOST_TABLE_ROWS), statuses),
        hide_index=True,
        width="stretch",
        column_config=config,
    )
    breaching = int(frame["breaching"].sum())
    st.caption(
        _(
            "{breaching} of {services} services miss at least one target this period (listed "
            "first, worst first). Targets are per service: service override, team override, "
            "default."
        ).format(breaching=formats.number(breaching), services=formats.number(len(frame)))
    )
    note = limits.left_out(len(table), limits.MOST_TABLE_ROWS, _("services, worst first"))
    if note:
        st.caption(note)


def _least_budget_first(frame: pd.DataFrame) -> pd.DataFrame:
    """The services a capped chart keeps: least budget left first (all of them when few)."""
    if len(frame) <= limits.MOST_BARS:
        return frame
    return frame.sort_values("budget_remaining_pct").head(limits.MOST_BARS)


def _budgets(filters: Filters) -> None:
    st.subheader(_("Error budgets (rolling 30 days to the end of the period)"))
    frame = page_data.error_budgets(filters)
    if frame.empty:
        st.info(_("No services in scope with traffic in the last 30 days of the period."))
        return
    everything, frame = frame, _least_budget_first(frame)
    colours = [ALERT_COLOURS.get(a, charts.GREY) for a in frame["alert"]]
    line = _(
        "{service}: {left} % of the budget left ({minutes} min) · burn 1 h {b1}×, 6 h {b6}×, "
        "3 d {b3}× · {alert}"
    )
    hover = [
        line.format(
            service=r.service_id,
            left=formats.number(r.budget_remaining_pct, 1),
            minutes=formats.number(r.budget_remaining_minutes),
            b1=formats.number(r.burn_rate_1h, 2),
            b6=formats.number(r.burn_rate_6h, 2),
            b3=formats.number(r.burn_rate_3d, 2),
            alert=alert_text(r.alert),
        )
        for r in frame.itertuples(index=False)
    ]
    fig = charts.bar_chart(
        frame.assign(left=frame["budget_remaining_pct"].clip(lower=-100)),
        "service_id",
        "left",
        title=_("Error budget remaining per service (red: paging alert, amber: ticket)"),
        x_title=_("Service"),
        y_title=_("Budget remaining (% of 30-day budget)"),
        colours=colours,
        hover=hover,
        target=0.0,
        target_text=_("0 %: below it the budget is exhausted"),
        horizontal=True,
        height=max(320, 28 * len(frame) + 120),
    )
    charts.show(fig, key="reliability_budgets")
    note = limits.left_out(
        len(everything), limits.MOST_BARS, _("services with the least budget left")
    )
    if note:
        st.caption(note)
    frame = limits.first(everything, limits.MOST_TABLE_ROWS)
    frame = frame.assign(alert=frame["alert"].map(alert_text))
    _budget_table(frame)


BUDGET_FORMATS = {  # column → display format; minutes left are in the chart's hover
    "slo": "%.2f",
    "availability_30d": "%.3f",
    "budget_remaining_pct": "%.1f",
    "burn_rate_1h": "%.2f",
    "burn_rate_6h": "%.2f",
    "burn_rate_3d": "%.2f",
}


def _cells(column: pd.Series, fmt: str | None) -> list[str]:
    """The column's cells as the grid shows them (what their width is measured on)."""
    return [fmt % v if fmt and pd.notna(v) else str(v) for v in column]


def _budget_table(frame: pd.DataFrame) -> None:
    headers = {
        "service_id": _("Service"),
        "alert": _("Alert state"),
        "slo": _("Objective (%)"),
        "availability_30d": _("Availability 30 d (%)"),
        "budget_remaining_pct": _("Budget left (%)"),
        "burn_rate_1h": _("Burn 1 h (×)"),
        "burn_rate_6h": _("Burn 6 h (×)"),
        "burn_rate_3d": _("Burn 3 d (×)"),
    }
    cells = {name: _cells(frame[name], BUDGET_FORMATS.get(name)) for name in headers}
    widths = fit_widths(cells, headers, TABLE_WIDTH)
    helps = {
        "alert": _(
            "Multi-window burn-rate rules (SRE Workbook): page when 1 h > 14.4× or 6 h and 1 h "
            "> 6×; ticket when 3 d and 6 h > 1×."
        ),
        "budget_remaining_pct": _("Negative: the objective is already missed"),
    }
    config: dict[str, Any] = {
        name: (
            st.column_config.NumberColumn(
                headers[name],
                format=BUDGET_FORMATS[name],
                width=widths[name],  # type: ignore[arg-type]
                help=helps.get(name),
            )
            if name in BUDGET_FORMATS
            else st.column_config.TextColumn(
                headers[name],
                width=widths[name],  # type: ignore[arg-type]
                help=helps.get(name),
            )
        )
        for name in headers
    }
    st.dataframe(frame[list(headers)], hide_index=True, width="stretch", column_config=config)


def render(filters: Filters) -> None:
    rows = page_data.kpi_rows(filters, CARDS)
    if rows is None:
        return
    st.caption(layout.scope_text(filters))
    note = page_data.service_level_coverage_note(filters)
    if note:
        st.info(note, icon=":material/schedule:")
    if all(rows[name]["status"] == "no data" for name in CARDS):
        layout.no_data_for_filters(filters)
        return
    _cards(rows)
    _per_service(filters)
    _budgets(filters)
    st.subheader(_("Over time"))
    _trends(filters, charts.grain_picker("reliability_grain"))


filters = layout.page_filters(_("Reliability"))
if filters is not None:
    render(filters)
