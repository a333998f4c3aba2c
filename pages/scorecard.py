"""Home: the scorecard. Every headline KPI against its target, with definitions on hover."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import _
from metrics.core.definitions import HEADLINE, KPIS
from metrics.core.formatting import unit_text
from metrics.core.scorecard import overall_tier, records
from metrics.core.targets import TargetsError
from metrics.kpis import dora
from ui.components import layout
from ui.components.cards import kpi_card
from ui.components.frame import ensure_frame
from ui.fetch import data, page_data

ensure_frame()

CARDS_PER_ROW = 3
HEADLINE_NAMES = tuple(k.name for k in HEADLINE)
OTHER_NAMES = tuple(k.name for k in KPIS if not k.headline)
ORDER = [k.name for k in KPIS]

filters = layout.page_filters(_("Scorecard"))
if filters is not None:
    try:
        headline = data.scorecard(filters, HEADLINE_NAMES)  # the cards first: fewer queries
    except TargetsError as exc:
        st.error(
            "**" + _("The targets file is not valid.") + f"** {exc}",
            icon=":material/flag:",
        )
        st.stop()
    rows = records(headline)
    st.caption(layout.scope_text(filters))
    note = page_data.service_level_coverage_note(filters)
    if note:
        st.info(note, icon=":material/schedule:")
    if all(row["status"] == "no data" for row in rows):
        layout.no_data_for_filters(filters)
    else:
        for offset in range(0, len(rows), CARDS_PER_ROW):
            for column, row in zip(
                st.columns(CARDS_PER_ROW), rows[offset : offset + CARDS_PER_ROW], strict=False
            ):
                with column:
                    kpi_card(row)
        tier = overall_tier(headline)
        if tier:
            year = next(r["benchmark_year"] for r in rows if r["benchmark_year"])
            st.caption(
                _(
                    "Overall DORA tier: **{tier}** — the lowest of the four keys "
                    "(DORA {year} table)."
                ).format(tier=dora.tier_name(tier), year=year)
            )
        st.subheader(_("All KPIs"))
        # the headline rows are computed already; the tables show no sparklines
        rest = data.scorecard(filters, OTHER_NAMES, sparklines=False)
        frame = pd.concat([headline, rest]).set_index("kpi").loc[ORDER].reset_index()
        for group, part in frame.groupby("group", sort=False):
            st.markdown(f"**{_(str(group))}**")
            layout.scorecard_table(part)
        with st.expander(_("How each KPI is defined"), icon=":material/menu_book:"):
            for row in records(frame):
                unit = unit_text(row["unit"]) or _("count")
                st.markdown(f"**{row['label']}** ({unit}) — {row['definition']}")
