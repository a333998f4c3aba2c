"""The KPI card: value, target, RAG status, change against the previous period, sparkline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from i18n import N_, _, formats
from metrics.core.definitions import BY_NAME
from metrics.kpis import dora

RAG_BADGE = {
    "green": (N_("On target"), "green", ":material/check_circle:"),
    "amber": (N_("Near target"), "orange", ":material/warning:"),
    "red": (N_("Off target"), "red", ":material/error:"),
    "no data": (N_("No data"), "gray", ":material/help:"),
    "tracked": (N_("Tracked, no target"), "blue", ":material/monitoring:"),
}


def kpi_card(row: dict[str, Any]) -> None:
    """One headline KPI from a scorecard row (see metrics.core.scorecard.scorecard)."""
    spark = [v for v in row["sparkline"] if v is not None]
    target_line = (
        _("No target: tracked only.")
        if row["status"] == "tracked"
        else _("Target: {target}.").format(target=row["target_text"])
    )
    help_text = " ".join(
        (
            f"**{row['label']}** — {row['definition']}\n\n{target_line}",
            _("Based on {n} {denominator}.").format(
                n=formats.number(row["n"]), denominator=_denominator(row["kpi"])
            ),
            _("The sparkline shows the KPI per {step} across the period.").format(
                step=_step_text(row)
            ),
        )
    )
    with st.container(border=True, key=f"card_{row['kpi']}"):
        st.metric(
            row["label"],
            row["display"],
            delta=row["delta_display"],
            delta_color=_delta_colour(row),
            delta_description=_("vs previous period") if row["delta_display"] else None,
            help=help_text,
            chart_data=spark if len(spark) > 1 else None,
            chart_type="line",
        )
        if not row["delta_display"]:
            st.caption(_("No value for the previous period to compare with."))
        label, color, icon = RAG_BADGE[row["status"]]
        badge = _(label)
        if row["tier"]:
            badge += " · " + _("{tier} tier (DORA {year})").format(
                tier=dora.tier_name(row["tier"]), year=row["benchmark_year"]
            )
        st.badge(badge, color=color, icon=icon)  # type: ignore[arg-type]
        if row["status"] == "tracked":
            pass  # the badge says it: "Tracked, no target"
        elif row.get("tier_band"):
            st.caption(
                _("Target {target} · benchmark band: {band}").format(
                    target=row["target_text"], band=row["tier_band"]
                )
            )
        else:
            st.caption(_("Target {target}").format(target=row["target_text"]))


def _delta_colour(row: dict[str, Any]) -> str:
    """Green for better, red for worse, grey when the change rounds to nothing."""
    text = row["delta_display"] or ""
    if not any(ch in "123456789" for ch in text.split(" ")[0]):
        return "off"
    return "normal" if row["direction"] == "higher" else "inverse"


DENOMINATORS = {
    "availability": N_("requests"),
    "error_rate": N_("requests"),
    "p95_latency": N_("requests"),
    "coverage": N_("lines and conditions to cover"),
    "deployment_frequency": N_("successful deployments"),
    "lead_time": N_("changes"),
    "change_failure_rate": N_("successful deployments"),
    "time_to_restore": N_("incidents"),
    "mttr": N_("incidents"),
    "rework_rate": N_("successful deployments"),
}
STEPS = {1: N_("day"), 7: N_("week"), 28: N_("4 weeks")}


BY_N_COLUMN = {  # what a KPI's n counts, from its definition's n_column
    "n_requests": N_("requests"),
    "n_probes": N_("probes"),
    "n_cpu": N_("service-hours"),
    "n_memory": N_("service-hours"),
    "n_lines": N_("lines and conditions to cover"),
    "n_new_lines": N_("new lines and conditions to cover"),
    "n_projects": N_("projects"),
    "n_merged": N_("merged changes"),
    "n_started": N_("incidents"),
    "n_resolved": N_("resolved incidents"),
    "n_acknowledged": N_("acknowledged incidents"),
}
ROWS = N_("rows")


def _denominator(kpi: str) -> str:
    if kpi in DENOMINATORS:
        return _(DENOMINATORS[kpi])
    column = BY_NAME[kpi].n_column if kpi in BY_NAME else ""
    return _(BY_N_COLUMN.get(column, ROWS))


def _step_text(row: dict[str, Any]) -> str:
    starts = row["sparkline_start"]
    if len(starts) < 2:
        return _("period")
    gap = (dt.date.fromisoformat(starts[1]) - dt.date.fromisoformat(starts[0])).days
    return _(STEPS[gap]) if gap in STEPS else _("{n} days").format(n=gap)
