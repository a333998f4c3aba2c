"""Incidents: MTTR and MTTA over time, before and after an annotated change, by severity and by
service, and the incident list with links to the source."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from i18n import N_, _, formats
from metrics.core.definitions import BY_NAME
from metrics.core.filters import Filters
from ui.components import charts, layout, limits
from ui.components.fit import HALF_WIDTH, fit_config
from ui.components.frame import ensure_frame
from ui.components.table_download import table_download
from ui.fetch import page_data

ensure_frame()

CARDS = ("incident_count", "mttr", "mtta")
TITLES = {"mttr": N_("{label}: time to restore"), "mtta": N_("{label}: time to acknowledge")}
SIDES = {"before": N_("before"), "after": N_("after")}


def _cards(rows: dict[str, dict[str, Any]]) -> None:
    charts.card_grid(rows, CARDS)


def _trends(filters: Filters, grain: str) -> None:
    notes = charts.scoped_annotations(page_data.annotations(), filters, page_data.team_of())
    for column, name in zip(st.columns(2), ("mttr", "mtta"), strict=True):
        target, warn, text = page_data.target_for(name, filters)
        fig = charts.trend_chart(
            page_data.trend(name, filters, grain),
            BY_NAME[name],
            title=_(TITLES[name]).format(label=BY_NAME[name].label_text()),
            grain=grain,
            target=target,
            warn=warn,
            target_text=text,
            annotations=notes,
        )
        with column:
            charts.show(fig, key=f"incidents_{name}")


def _hours(value: Any) -> str:
    if value is None or pd.isna(value):
        return _("no data")
    return _("{hours} h").format(hours=formats.number(float(value), 2))


def _before_after(filters: Filters) -> None:
    st.subheader(_("Before and after a change"))
    notes = page_data.annotations()
    if notes.empty:
        st.info(_("No annotations recorded; add dated events to the annotations table."))
        return
    labels = {
        row.annotation_id: f"{row.occurred_on:%Y-%m-%d} · {row.text}"
        for row in notes.itertuples(index=False)
    }
    ids = list(labels)
    adoption = [i for i, k in zip(ids, notes["kind"], strict=True) if k == "adoption"]
    left, right = st.columns([3, 1])
    with left:
        chosen = st.selectbox(
            _("Annotation"),
            ids,
            index=ids.index(adoption[0]) if adoption else 0,
            format_func=labels.__getitem__,
            key="incidents_annotation",
        )
    with right:
        days = int(
            st.number_input(
                _("Window (days each side)"),
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
            ("mttr_median_h", _("MTTR (median) after"), BY_NAME["mttr"].definition_text()),
            ("mtta_median_h", _("MTTA (median) after"), BY_NAME["mtta"].definition_text()),
            ("incidents", _("Incidents after"), BY_NAME["incident_count"].definition_text()),
        ],
        strict=True,
    ):
        before = None if sides["before"] is None else sides["before"][field]
        after = None if sides["after"] is None else sides["after"][field]
        shown = _hours(after) if field != "incidents" else formats.number(int(after or 0))
        delta = None
        if before is not None and after is not None and not pd.isna(before) and not pd.isna(after):
            change = float(after) - float(before)
            sign = "+" if change > 0 else ""
            delta = (
                _("{change} h vs before").format(change=sign + formats.number(change, 2))
                if field != "incidents"
                else _("{change} vs before").format(change=sign + formats.number(change))
            )
        previous = _hours(before) if field != "incidents" else formats.number(int(before or 0))
        with column:
            st.metric(
                label,
                shown,
                delta=delta,
                delta_color="inverse",
                help=_(
                    "{definition} Before: {before}. Windows: {days} days before and after the "
                    "annotation's date (00:00 UTC), team and service filters applied."
                ).format(definition=help_text, before=previous, days=days),
            )
            st.caption(_("Before: {before}").format(before=previous))
    table = frame.reset_index()
    table["window"] = [_(SIDES.get(side, side)) for side in table["side"]]
    line = _("{side}: median {median}, mean {mean} over {resolved} resolved of {n} incidents")
    fig = charts.bar_chart(
        table,
        "window",
        "mttr_median_h",
        title=_("MTTR (median) {days} days before and after").format(days=days),
        x_title=_("Window"),
        y_title=_("MTTR, median (hours)"),
        colours=[charts.GREY if s == "before" else charts.PRIMARY for s in table["side"]],
        hover=[
            line.format(
                side=r.window,
                median=_hours(r.mttr_median_h),
                mean=_hours(r.mttr_mean_h),
                resolved=formats.number(int(r.resolved)),
                n=formats.number(int(r.incidents)),
            )
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
            title=_("Incidents by severity"),
            x_title=_("Severity (SEV1 worst)"),
            y_title=_("Incidents started (count)"),
            hover=[
                _("{severity}: {n} incidents · MTTR median {median}, mean {mean}").format(
                    severity=r.severity,
                    n=formats.number(r.incidents),
                    median=_hours(r.mttr_median_h),
                    mean=_hours(r.mttr_mean_h),
                )
                for r in severity.itertuples(index=False)
            ],
        )
        charts.show(fig, key="incidents_by_severity")
        st.dataframe(
            severity,
            hide_index=True,
            width="stretch",
            column_config=fit_config(
                {
                    "severity": _("Severity"),
                    "incidents": _("Incidents"),
                    "resolved": _("Resolved"),
                    "mttr_median_h": st.column_config.NumberColumn(
                        _("MTTR median (h)"), format="%.2f", help=BY_NAME["mttr"].definition_text()
                    ),
                    "mttr_mean_h": st.column_config.NumberColumn(
                        _("MTTR mean (h)"),
                        format="%.2f",
                        help=BY_NAME["mttr_mean"].definition_text(),
                    ),
                    "mtta_median_h": st.column_config.NumberColumn(
                        _("MTTA median (h)"), format="%.2f", help=BY_NAME["mtta"].definition_text()
                    ),
                },
                severity,
                HALF_WIDTH,
            ),
        )
    everything = page_data.incidents_by_service(filters)
    services = limits.first(everything, limits.MOST_BARS)
    with right:
        fig = charts.bar_chart(
            services,
            "service_id",
            "incidents",
            title=_("Incidents by service"),
            x_title=_("Service"),
            y_title=_("Incidents started (count)"),
            hover=[
                _(
                    "{service} ({team}): {n} incidents, {major} SEV1/SEV2, {caused} caused by a "
                    "deployment · MTTR median {median}"
                ).format(
                    service=r.service_id,
                    team=r.team_id,
                    n=formats.number(r.incidents),
                    major=formats.number(r.major),
                    caused=formats.number(r.caused_by_deployment),
                    median=_hours(r.mttr_median_h),
                )
                for r in services.itertuples(index=False)
            ],
            horizontal=True,
            height=max(340, 26 * len(services) + 120),
        )
        charts.show(fig, key="incidents_by_service")
        note = limits.left_out(len(everything), limits.MOST_BARS, _("services with most incidents"))
        if note:
            st.caption(note)


def _list(filters: Filters, total: float | None) -> None:
    st.subheader(_("Incident list"))
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
    ].fillna({"caused_by": "", "url": ""})  # an empty cell, not the grid's "None"
    st.dataframe(
        listed,
        hide_index=True,
        width="stretch",
        column_config=fit_config(
            {
                "started_at": st.column_config.DatetimeColumn(
                    _("Started (UTC)"), format="YYYY-MM-DD HH:mm", timezone="UTC"
                ),
                "severity": _("Severity"),
                "service_id": _("Service"),
                "team_id": _("Team"),
                "title": st.column_config.TextColumn(_("Title"), width="medium"),
                "tta_h": st.column_config.NumberColumn(_("To acknowledge (h)"), format="%.2f"),
                "ttr_h": st.column_config.NumberColumn(_("To restore (h)"), format="%.2f"),
                "open": st.column_config.CheckboxColumn(_("Open")),
                "caused_by": st.column_config.TextColumn(_("Caused by deployment")),
                "url": st.column_config.LinkColumn(_("Link"), display_text=_("open ↗")),
            },
            listed,
        ),
    )
    st.caption(
        _(
            "The newest {listed} of {total} incidents started in the period (at most 500 are "
            "listed)."
        ).format(listed=formats.number(len(frame)), total=formats.number(total or 0))
    )
    table_download(listed, "incidents")


def render(filters: Filters) -> None:
    rows = page_data.kpi_rows(filters, CARDS)
    if rows is None:
        return
    st.caption(layout.scope_text(filters) + " · " + _("incidents are production, any environment"))
    if rows["incident_count"]["status"] == "no data":
        layout.no_data_for_filters(filters)
        _before_after(filters)
        return
    _cards(rows)
    st.subheader(_("Over time"))
    _trends(filters, charts.grain_picker("incidents_grain"))
    _before_after(filters)
    _breakdowns(filters)
    _list(filters, rows["incident_count"]["value"])


filters = layout.page_filters(_("Incidents"))
if filters is not None:
    render(filters)
