"""The KPI card: value, target, RAG status, change against the previous period, sparkline."""

from __future__ import annotations

from typing import Any

import streamlit as st

RAG_BADGE = {
    "green": ("On target", "green", ":material/check_circle:"),
    "amber": ("Near target", "orange", ":material/warning:"),
    "red": ("Off target", "red", ":material/error:"),
    "no data": ("No data", "gray", ":material/help:"),
    "tracked": ("Tracked, no target", "blue", ":material/monitoring:"),
}


def kpi_card(row: dict[str, Any]) -> None:
    """One headline KPI from a scorecard row (see metrics.core.scorecard.scorecard)."""
    spark = [v for v in row["sparkline"] if v is not None]
    period_word = "vs previous period"
    help_text = (
        f"**{row['label']}** — {row['definition']}\n\n"
        f"Target: {row['target_text']}. Based on {row['n']:,.0f} "
        f"{_denominator(row['kpi'])}. The sparkline shows the KPI per "
        f"{_step_text(row)} across the period."
    )
    with st.container(border=True, key=f"card_{row['kpi']}"):
        st.metric(
            row["label"],
            row["display"],
            delta=row["delta_display"],
            delta_color=_delta_colour(row),
            delta_description=period_word if row["delta_display"] else None,
            help=help_text,
            chart_data=spark if len(spark) > 1 else None,
            chart_type="line",
        )
        if not row["delta_display"]:
            st.caption("No value for the previous period to compare with.")
        label, color, icon = RAG_BADGE[row["status"]]
        tier = f" · {row['tier']} tier (DORA {row['benchmark_year']})" if row["tier"] else ""
        st.badge(f"{label}{tier}", color=color, icon=icon)  # type: ignore[arg-type]
        band = f" · benchmark band: {row['tier_band']}" if row.get("tier_band") else ""
        st.caption(f"Target {row['target_text']}{band}")


def _delta_colour(row: dict[str, Any]) -> str:
    """Green for better, red for worse, grey when the change rounds to nothing."""
    text = row["delta_display"] or ""
    if not any(ch in "123456789" for ch in text.split(" ")[0]):
        return "off"
    return "normal" if row["direction"] == "higher" else "inverse"


def _denominator(kpi: str) -> str:
    return {
        "availability": "requests",
        "error_rate": "requests",
        "p95_latency": "requests",
        "coverage": "lines and conditions to cover",
        "deployment_frequency": "successful deployments",
        "lead_time": "changes",
        "change_failure_rate": "successful deployments",
        "time_to_restore": "incidents",
        "mttr": "incidents",
    }.get(kpi, "rows")


def _step_text(row: dict[str, Any]) -> str:
    starts = row["sparkline_start"]
    if len(starts) < 2:
        return "period"
    import datetime as dt

    gap = (dt.date.fromisoformat(starts[1]) - dt.date.fromisoformat(starts[0])).days
    return {1: "day", 7: "week", 28: "4 weeks"}.get(gap, f"{gap} days")
