"""The "data as of" stamp: when each source last synced successfully."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.core import catalog
from ui.fetch import data


def freshness_stamp() -> None:
    frame = data.freshness()
    with st.sidebar:
        if frame.empty:
            st.caption("Data as of: no successful sync recorded yet.")
            return
        lines = []
        for row in frame.itertuples(index=False):
            feed = catalog.FEEDS.get(row.stream, row.stream or "all streams")
            stamp = pd.Timestamp(row.last_success).tz_convert("UTC").strftime("%Y-%m-%d %H:%M")
            lines.append(f"- {feed} ({row.source}): {stamp} UTC")
        st.caption("**Data as of**\n" + "\n".join(lines))
