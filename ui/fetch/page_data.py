"""Cached calls into metrics/ for the Delivery, Reliability, Code quality and Incidents pages.

Like ui/fetch/data.py, every key holds the warehouse snapshot (a sync expires the cache) and, where
targets matter, the targets file's path and modification time; where the result holds words
(formatted values, outcomes), the reader's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

import i18n
from i18n import _
from metrics.core import catalog, coverage, trends
from metrics.core.definitions import BY_NAME
from metrics.core.filters import Filters
from metrics.core.formatting import unit_text
from metrics.core.scorecard import DEFAULT_LATENCY_TARGET_MS, records
from metrics.core.targets import TargetsError, describe
from metrics.kpis import delivery, dora, incident_list, quality, reliability, slo
from metrics.kpis import incidents as incidents_module
from ui.fetch import data, warehouse

TargetsKey = tuple[str, int]


def _latency_ms(filters: Filters) -> float:
    target = data.targets().for_scope("p95_latency", filters.team, filters.service).target
    return target if target is not None else DEFAULT_LATENCY_TARGET_MS


@st.cache_data(show_spinner=False, max_entries=512)
def _trend(snapshot: str, kpi: str, filters: Filters, grain: str, latency: float) -> pd.DataFrame:
    return trends.trend(warehouse.cursor(), kpi, filters, grain, latency)


def trend(kpi: str, filters: Filters, grain: str) -> pd.DataFrame:
    """One KPI per calendar bucket: bucket, value, n."""
    return _trend(warehouse.snapshot_id(), kpi, filters, grain, _latency_ms(filters))


@st.cache_data(show_spinner=False, max_entries=64)
def _annotations(snapshot: str) -> pd.DataFrame:
    return incidents_module.annotation_list(warehouse.cursor())


def annotations() -> pd.DataFrame:
    return _annotations(warehouse.snapshot_id())


@st.cache_data(show_spinner=False, max_entries=64)
def _team_of(snapshot: str) -> dict[str, str]:
    frame = catalog.services(warehouse.cursor())
    return dict(zip(frame["service_id"], frame["team_id"], strict=True))


def team_of() -> dict[str, str]:
    """service_id -> team_id, to decide which annotations concern a scope."""
    return _team_of(warehouse.snapshot_id())


@st.cache_data(show_spinner=False, max_entries=128)
def _dora_by_scope(
    snapshot: str, language: str, filters: Filters, level: str, key: TargetsKey
) -> pd.DataFrame:
    return delivery.by_scope(warehouse.cursor(), filters, data.targets(), level)  # type: ignore[arg-type]


def dora_by_scope(filters: Filters, level: str) -> pd.DataFrame:
    with st.spinner(_("Computing DORA keys per scope…"), show_time=False):
        return _dora_by_scope(
            warehouse.snapshot_id(), i18n.current(), filters, level, data.targets_key()
        )


@st.cache_data(show_spinner=False, max_entries=128)
def _recent_deployments(snapshot: str, language: str, filters: Filters) -> pd.DataFrame:
    return delivery.recent_deployments(warehouse.cursor(), filters)


def recent_deployments(filters: Filters) -> pd.DataFrame:
    return _recent_deployments(warehouse.snapshot_id(), i18n.current(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _per_service(snapshot: str, filters: Filters, key: TargetsKey) -> pd.DataFrame:
    return reliability.per_service(warehouse.cursor(), filters, data.targets())


def service_levels_per_service(filters: Filters) -> pd.DataFrame:
    return _per_service(warehouse.snapshot_id(), filters, data.targets_key())


@st.cache_data(show_spinner=False, max_entries=128)
def _error_budgets(snapshot: str, filters: Filters, key: TargetsKey) -> pd.DataFrame:
    return slo.error_budgets(warehouse.cursor(), filters, data.targets())


def error_budgets(filters: Filters) -> pd.DataFrame:
    return _error_budgets(warehouse.snapshot_id(), filters, data.targets_key())


@st.cache_data(show_spinner=False, max_entries=128)
def _projects(snapshot: str, filters: Filters, key: TargetsKey) -> pd.DataFrame:
    return quality.projects(warehouse.cursor(), filters, data.targets())


def quality_projects(filters: Filters) -> pd.DataFrame:
    return _projects(warehouse.snapshot_id(), filters, data.targets_key())


@st.cache_data(show_spinner=False, max_entries=128)
def _coverage_by_project(snapshot: str, filters: Filters, grain: str) -> pd.DataFrame:
    return quality.coverage_by_project(warehouse.cursor(), filters, grain)


def coverage_by_project(filters: Filters, grain: str) -> pd.DataFrame:
    return _coverage_by_project(warehouse.snapshot_id(), filters, grain)


@st.cache_data(show_spinner=False, max_entries=128)
def _by_severity(snapshot: str, filters: Filters) -> pd.DataFrame:
    return incidents_module.by_severity(warehouse.cursor(), filters)


def incidents_by_severity(filters: Filters) -> pd.DataFrame:
    return _by_severity(warehouse.snapshot_id(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _by_service(snapshot: str, filters: Filters) -> pd.DataFrame:
    return incident_list.by_service(warehouse.cursor(), filters)


def incidents_by_service(filters: Filters) -> pd.DataFrame:
    return _by_service(warehouse.snapshot_id(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _incidents(snapshot: str, filters: Filters) -> pd.DataFrame:
    return incident_list.incident_list(warehouse.cursor(), filters)


def incidents(filters: Filters) -> pd.DataFrame:
    return _incidents(warehouse.snapshot_id(), filters)


@st.cache_data(show_spinner=False, max_entries=128)
def _before_after(
    snapshot: str, annotation_id: str, days: int, team: str | None, service: str | None
) -> pd.DataFrame:
    return incidents_module.before_after(warehouse.cursor(), annotation_id, days, team, service)


def before_after(annotation_id: str, days: int, filters: Filters) -> pd.DataFrame:
    return _before_after(
        warehouse.snapshot_id(), annotation_id, days, filters.team, filters.service
    )


def target_for(kpi_name: str, filters: Filters) -> tuple[float | None, float | None, str | None]:
    """(target, warn, text) to draw on a trend: a threshold KPI's target and warning level, or
    for a DORA key the bound of its target tier in the benchmark year's table."""
    targets = data.targets()
    kpi = BY_NAME[kpi_name]
    target = targets.for_scope(kpi_name, filters.team, filters.service)
    if kpi.target_kind == "threshold":
        return target.target, target.warn, describe(kpi, target, targets.benchmark_year)
    if kpi.target_kind == "dora":
        bound = delivery.tier_bound(kpi_name, target.tier, targets.benchmark_year)
        if bound is None:
            return None, None, None
        sign = "≥" if kpi.direction == "higher" else "≤"
        text = _("{tier} tier (DORA {year}): {bound}").format(
            tier=dora.tier_name(target.tier or ""),
            year=targets.benchmark_year,
            bound=f"{sign} {bound:g} {unit_text(kpi.unit)}",
        )
        return bound, None, text
    return None, None, None


def kpi_rows(filters: Filters, names: tuple[str, ...]) -> dict[str, dict[str, Any]] | None:
    """The scorecard rows of ``names`` by KPI name, or None after saying the targets file is
    invalid. Only the queries those KPIs need run."""
    try:
        frame = data.scorecard(filters, names)
    except TargetsError as exc:
        st.error("**" + _("The targets file is not valid.") + f"** {exc}", icon=":material/flag:")
        return None
    return {row["kpi"]: row for row in records(frame)}


@st.cache_data(show_spinner=False, max_entries=128)
def _coverage(snapshot: str, filters: Filters, hour: str) -> coverage.PeriodCoverage:
    now = dt.datetime.fromisoformat(hour)
    return coverage.service_level_coverage(warehouse.cursor(), filters, now)


def service_level_coverage_note(filters: Filters) -> str | None:
    """The "service levels cover 62.5 % of this period" line, or None when fully covered;
    cached per snapshot and hour (a running period grows by the hour)."""
    hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0).isoformat()
    return coverage.coverage_note(_coverage(warehouse.snapshot_id(), filters, hour))
