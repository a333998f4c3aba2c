"""Cached calls into metrics/ for the Executive ROI and Quarterly review pages.

As in ui/fetch/page_data.py, every key holds the warehouse snapshot, so a sync expires them; the ROI
assumptions (edited per session) and the review's actions are part of the key too. Errors
(RoiError) are not cached: the page shows them and a corrected input recomputes.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

import i18n
from i18n import _
from metrics.core import catalog
from metrics.core.filters import Filters
from metrics.reports import review, roi
from ui.access import auth
from ui.fetch import data, warehouse


@st.cache_data(show_spinner=False, max_entries=64)
def _roi_report(
    snapshot: str, filters: Filters, baseline: str, assumptions: roi.Assumptions
) -> pd.DataFrame:
    return roi.roi_report(warehouse.cursor(), filters, baseline, assumptions)


def roi_report(filters: Filters, baseline: str, assumptions: roi.Assumptions) -> pd.DataFrame:
    """ROI per quarter from the baseline quarter (raises RoiError for a bad baseline)."""
    auth.require("roi")
    with st.spinner(_("Computing ROI…"), show_time=False):
        return _roi_report(warehouse.snapshot_id(), filters, baseline, assumptions)


@st.cache_data(show_spinner=False, max_entries=64)
def _sensitivity(
    snapshot: str, filters: Filters, baseline: str, assumptions: roi.Assumptions
) -> pd.DataFrame:
    return roi.sensitivity(warehouse.cursor(), filters, baseline, assumptions)


def sensitivity(filters: Filters, baseline: str, assumptions: roi.Assumptions) -> pd.DataFrame:
    """The ROI report with the cost of downtime halved, as is and doubled."""
    auth.require("roi")
    return _sensitivity(warehouse.snapshot_id(), filters, baseline, assumptions)


@st.cache_data(show_spinner=False, max_entries=64)
def _review_table(
    snapshot: str,
    language: str,  # labels, targets and values are words in the reader's language
    quarter: Filters,
    targets_key: tuple[str, int],
    actions: pd.DataFrame,
) -> pd.DataFrame:
    return review.review_table(warehouse.cursor(), quarter, data.targets(), actions)


def review_table(quarter: Filters, actions: pd.DataFrame) -> pd.DataFrame:
    """The quarterly scorecard table against last quarter, with owners and notes from actions."""
    auth.require("review")
    with st.spinner(_("Computing the quarter…"), show_time=False):
        return _review_table(
            warehouse.snapshot_id(), i18n.current(), quarter, data.targets_key(), actions
        )


@st.cache_data(show_spinner=False, max_entries=16)
def _last_day(snapshot: str) -> dt.date | None:
    return catalog.latest_data_day(warehouse.cursor())


def latest_data_day() -> dt.date | None:
    """The last UTC day with any activity (the latest quarter is cut there)."""
    return _last_day(warehouse.snapshot_id())
