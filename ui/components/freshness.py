"""The "data as of" stamp: when each source last synced successfully."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data.warehouse import label
from i18n import _
from metrics.core import catalog
from ui.components import worker_status
from ui.components.plain import md_literal
from ui.fetch import data


def freshness_stamp() -> None:
    frame = data.freshness()
    demo = data.setup_status().demo
    with st.sidebar:
        demo_mark = " · **" + _("demo organisation") + "**" if demo else ""
        st.caption(  # which warehouse is open: the demo never passes for real data
            _("Warehouse: {name}").format(name=md_literal(label())) + demo_mark
        )
        if frame.empty:
            st.caption(_("Data as of: no successful sync recorded yet."))
            worker_status.sidebar_lines()
            return
        lines = []
        for row in frame.itertuples(index=False):
            feed = _(catalog.FEEDS[row.stream]) if row.stream in catalog.FEEDS else None
            feed = feed or row.stream or _("all streams")
            stamp = pd.Timestamp(row.last_success).tz_convert("UTC").strftime("%Y-%m-%d %H:%M")
            lines.append(f"- {feed} ({row.source}): {stamp} UTC")
        st.caption("**" + _("Data as of") + "**\n" + "\n".join(lines))
        worker_status.sidebar_lines()
