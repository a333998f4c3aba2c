"""Cached calls into metrics/, keyed by the filters and the warehouse snapshot.

A sync publishes a new snapshot, which changes ``snapshot_id`` and so every cache key: pages never
show results older than the data they claim to be as of.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

import i18n
from i18n import _
from metrics.core import catalog
from metrics.core import coverage as coverage_module
from metrics.core import scorecard as scorecard_module
from metrics.core.definitions import BY_NAME, KPIS
from metrics.core.filters import Filters
from metrics.core.targets import DEFAULT_TARGETS, ENV_VAR, Targets, load_targets
from ui.fetch import warehouse


def targets_path() -> Path:
    return Path(os.environ.get(ENV_VAR) or DEFAULT_TARGETS)


def targets_key() -> tuple[str, int]:
    """The targets file's path and modification time: part of every cache key that uses it."""
    path = targets_path()
    try:
        return str(path), path.stat().st_mtime_ns
    except FileNotFoundError:
        return str(path), 0


@st.cache_data(show_spinner=False, max_entries=64)
def _targets(path: str, _mtime: int) -> Targets:
    return load_targets(path)


def targets() -> Targets:
    """The validated targets file; raises TargetsError with the key to fix."""
    return _targets(*targets_key())


@st.cache_data(show_spinner=False, max_entries=256)
def _scorecard(
    snapshot: str,
    language: str,  # the rows' labels, values and definitions are in the reader's language
    filters: Filters,
    targets_key: tuple[str, int],
    names: tuple[str, ...] | None,
    sparklines: bool,
) -> pd.DataFrame:
    kpis = KPIS if names is None else tuple(BY_NAME[name] for name in names)
    return scorecard_module.scorecard(
        warehouse.cursor(), filters, _targets(*targets_key), kpis, sparklines=sparklines
    )


def scorecard(
    filters: Filters, names: tuple[str, ...] | None = None, *, sparklines: bool = True
) -> pd.DataFrame:
    """The scorecard of every KPI, or of ``names`` only (a page computes what it shows);
    ``sparklines=False`` for tables that show none."""
    with st.spinner(_("Computing the scorecard…"), show_time=False):
        return _scorecard(
            warehouse.snapshot_id(), i18n.current(), filters, targets_key(), names, sparklines
        )


@st.cache_data(show_spinner=False, max_entries=16)
def _frame_facts(snapshot: str) -> tuple[bool, pd.DataFrame]:
    con = warehouse.cursor()
    return catalog.is_empty(con), catalog.freshness(con)


def is_empty() -> bool:
    """No services, deployments or samples yet (the frame then explains how to fill it)."""
    return _frame_facts(warehouse.snapshot_id())[0]


def freshness() -> pd.DataFrame:
    """Last successful sync per source and stream, for the "data as of" stamp."""
    return _frame_facts(warehouse.snapshot_id())[1]


@st.cache_data(show_spinner=False, max_entries=16)
def _setup_status(snapshot: str) -> catalog.SetupStatus:
    return catalog.setup_status(warehouse.cursor())


def setup_status() -> catalog.SetupStatus:
    """How far this warehouse is from a live dashboard (the Get started page and the frame)."""
    return _setup_status(warehouse.snapshot_id())


@st.cache_data(show_spinner=False, max_entries=16)
def _coverage(snapshot: str, language: str) -> pd.DataFrame:  # "missing" is words
    return coverage_module.coverage(warehouse.cursor())


def coverage() -> pd.DataFrame:
    """Per active service: rows per KPI family and the sources that would fill the empty ones."""
    return _coverage(warehouse.snapshot_id(), i18n.current())
