"""The "data as of" stamp: when each source last synced successfully."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data.warehouse import label
from metrics.core import catalog
from ui.components import worker_status
from ui.components.plain import md_literal
from ui.fetch import data


def freshness_stamp() -> None:
    frame = data.freshness()
    demo = data.setup_status().demo
    with st.sidebar:
        st.caption(  # which warehouse is open: the demo never passes for real data
            f"Warehouse: {md_literal(label())}" + (" · **demo organisation**" if demo else "")
        )
        if frame.empty:
            st.caption("Data as of: no successful sync recorded yet.")
            worker_status.sidebar_lines()
            return
        lines = []
        for row in frame.itertuples(index=False):
            feed = catalog.FEEDS.get(row.stream, row.stream or "all streams")
            stamp = pd.Timestamp(row.last_success).tz_convert("UTC").strftime("%Y-%m-%d %H:%M")
            lines.append(f"- {feed} ({row.source}): {stamp} UTC")
        st.caption("**Data as of**\n" + "\n".join(lines))
        worker_status.sidebar_lines()
