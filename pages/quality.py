"""Code quality: coverage against its target organisation-wide and per project, new-code
coverage, technical debt and the quality gate of every project."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from i18n import _, formats
from metrics.core.definitions import BY_NAME
from metrics.core.filters import Filters
from ui.components import charts, layout, limits
from ui.components.fit import fit_config
from ui.components.frame import ensure_frame
from ui.components.table_download import table_download
from ui.fetch import page_data

ensure_frame()

CARDS = ("coverage", "new_code_coverage", "tech_debt_days", "quality_gate_pass_rate")
GATE_COLOURS = {"OK": charts.GREEN, "WARN": charts.AMBER, "ERROR": charts.RED}


def _cards(rows: dict[str, dict[str, Any]]) -> None:
    charts.card_grid(rows, CARDS, per_row=4)


def _chart(filters: Filters, name: str, grain: str, notes: Any, **extra: Any) -> None:
    target, warn, text = page_data.target_for(name, filters)
    fig = charts.trend_chart(
        page_data.trend(name, filters, grain),
        BY_NAME[name],
        grain=grain,
        target=target,
        warn=warn,
        target_text=text,
        annotations=notes,
        **extra,
    )
    charts.show(fig, key=f"quality_{name}")


def _trends(filters: Filters, grain: str) -> None:
    notes = charts.scoped_annotations(page_data.annotations(), filters, page_data.team_of())
    left, right = st.columns(2)
    with left:
        _chart(filters, "coverage", grain, notes, title=_("Test coverage, whole scope"))
    with right:
        _chart(filters, "new_code_coverage", grain, notes)
    target, warn, text = page_data.target_for("coverage", filters)
    by_project = page_data.coverage_by_project(filters, grain)
    lowest = _lowest_projects(filters)
    shown = by_project[by_project["project_key"].isin(limits.first(lowest, limits.MOST_SERIES))]
    fig = charts.trend_chart(
        shown,
        BY_NAME["coverage"],
        title=_("Test coverage per project"),
        grain=grain,
        target=target,
        warn=warn,
        target_text=text,
        annotations=notes,
        series="project_key",
        height=460,
    )
    charts.show(fig, key="quality_coverage_by_project")
    note = limits.left_out(len(lowest), limits.MOST_SERIES, _("projects lowest in coverage"))
    if note:
        st.caption(note)
    left, right = st.columns(2)
    with left:
        _chart(
            filters, "tech_debt_days", grain, notes, title=_("Technical debt (remediation effort)")
        )
    with right:
        _chart(filters, "quality_gate_pass_rate", grain, notes)


def _lowest_projects(filters: Filters) -> pd.Series:
    """Project keys with a current analysis, lowest coverage first (what a capped chart keeps)."""
    frame = page_data.quality_projects(filters)
    if frame.empty:
        return pd.Series([], dtype=object)
    return frame[~frame["stale"]].sort_values("coverage")["project_key"]


def _projects(filters: Filters) -> None:
    st.subheader(_("Projects at the end of the period"))
    frame = page_data.quality_projects(filters)
    if frame.empty:
        st.info(
            _("No SonarQube analyses for this scope; connect SonarQube on the Data sources page.")
        )
        return
    current = frame[~frame["stale"]].sort_values("coverage")
    fresh = limits.first(current, limits.MOST_BARS)
    if not fresh.empty:
        target, _warn, text = page_data.target_for("coverage", filters)
        fig = charts.bar_chart(
            fresh,
            "project_key",
            "coverage",
            title=(
                _("Coverage per project (coloured by status against the target)")
                if len(current) <= limits.MOST_BARS
                else _("The {n} projects lowest in coverage (coloured by status)").format(
                    n=limits.MOST_BARS
                )
            ),
            x_title=_("Project"),
            y_title=_("Test coverage (%)"),
            colours=[charts.RAG[s] for s in fresh["coverage_status"]],
            hover=[
                _("{project} ({service}): {coverage} % · {status} · analysed {day}").format(
                    project=r.project_key,
                    service=r.service_id,
                    coverage=formats.number(r.coverage, 1),
                    status=charts.rag_text(r.coverage_status),
                    day=f"{r.analysed_at:%Y-%m-%d}",
                )
                for r in fresh.itertuples(index=False)
            ],
            target=target,
            target_text=text,
            horizontal=True,
            height=max(320, 26 * len(fresh) + 120),
        )
        charts.show(fig, key="quality_projects_bar")
        note = limits.left_out(len(current), limits.MOST_BARS, _("projects lowest in coverage"))
        if note:
            st.caption(note)
    table = frame.assign(
        status=charts.status_text(frame["coverage_status"]),
        gate=frame["quality_gate_status"].fillna("—"),
    )
    table.loc[table["stale"], "status"] = _("Stale (> 90 days)")
    columns = [
        "project_key",
        "service_id",
        "team_id",
        "gate",
        "coverage",
        "status",
        "new_code_coverage",
        "tech_debt_days",
        "bugs",
        "vulnerabilities",
        "analysed_at",
    ]
    gate_colour = {k: f"color: {v}; font-weight: 600" for k, v in GATE_COLOURS.items()}
    if len(table) > limits.MOST_TABLE_ROWS:  # keep the projects that need attention
        table = table.sort_values("coverage", na_position="first").head(limits.MOST_TABLE_ROWS)
    styled = charts.style_status(table[columns], ["status"]).map(  # type: ignore[attr-defined]
        lambda g: gate_colour.get(str(g), ""), subset=["gate"]
    )
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config=fit_config(
            {
                "project_key": _("Project"),
                "service_id": _("Service"),
                "team_id": _("Team"),
                "gate": st.column_config.TextColumn(
                    _("Quality gate"), help=_("SonarQube: OK, WARN, ERROR")
                ),
                "coverage": st.column_config.NumberColumn(
                    _("Coverage (%)"), format="%.1f", help=BY_NAME["coverage"].definition_text()
                ),
                "status": _("Coverage status"),
                "new_code_coverage": st.column_config.NumberColumn(
                    _("New-code coverage (%)"),
                    format="%.1f",
                    help=BY_NAME["new_code_coverage"].definition_text(),
                ),
                "tech_debt_days": st.column_config.NumberColumn(
                    _("Debt (days)"),
                    format="%.1f",
                    help=BY_NAME["tech_debt_days"].definition_text(),
                ),
                "bugs": st.column_config.NumberColumn(_("Bugs")),
                "vulnerabilities": st.column_config.NumberColumn(_("Vulnerabilities")),
                "analysed_at": st.column_config.DatetimeColumn(
                    _("Latest analysis (UTC)"), format="YYYY-MM-DD", timezone="UTC"
                ),
            },
            table[columns],
        ),
    )
    note = limits.left_out(len(frame), limits.MOST_TABLE_ROWS, _("projects lowest in coverage"))
    if note:
        st.caption(note)
    table_download(table[columns], "quality_projects")
    stale = int(frame["stale"].sum())
    if stale:
        st.caption(
            _(
                "{n} project(s) were last analysed more than 90 days before the period ends; "
                "the coverage KPIs leave them out until a new analysis arrives."
            ).format(n=formats.number(stale))
        )


def render(filters: Filters) -> None:
    rows = page_data.kpi_rows(filters, CARDS)
    if rows is None:
        return
    st.caption(layout.scope_text(filters))
    if all(rows[name]["status"] == "no data" for name in CARDS):
        layout.no_data_for_filters(filters)
        return
    _cards(rows)
    _projects(filters)
    st.subheader(_("Over time"))
    _trends(filters, charts.grain_picker("quality_grain"))


filters = layout.page_filters(_("Code quality"))
if filters is not None:
    render(filters)
