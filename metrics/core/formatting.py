"""Display text for KPI values, shared by the app and the CLI so both print the same."""

from __future__ import annotations

import math

import pandas as pd

from i18n import N_, _, current, formats
from metrics.core.definitions import Kpi

COMPACT_FROM = 10_000  # from here values read in thousands (k), so cards never cut them off


def is_missing(value: object) -> bool:
    """An empty cell of a frame row: None, pandas' NA or NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def id_or_none(value: object) -> str | None:
    """A team or service id read from a frame row: its text, or None where the cell is empty."""
    return None if is_missing(value) else str(value)


# Units as readers see them; the KPI records keep the machine unit ("h", "days", "per day").
UNITS = {
    "days": N_("days"),
    "h": N_("h"),
    "min": N_("min"),
    "per day": N_("per day"),
    "per week": N_("per week"),
    "pp": N_("pp"),
}


def unit_text(unit: str) -> str:
    """A unit in the current language ("days" → "天"); "%", "ms" and counts are as they are."""
    return _(UNITS[unit]) if unit in UNITS else ("" if unit == "count" else unit)


def _joined(number: str, unit: str) -> str:
    """Number and unit: Chinese writes units other than % and ms without a space (5天)."""
    text = unit_text(unit)
    if not text:
        return number
    gap = "" if current() == "zh-CN" and unit not in ("%", "ms", "pp") else " "
    return f"{number}{gap}{text}"


def format_value(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return _("no data")
    number = f"{value:,.{kpi.decimals}f}"
    if abs(value) >= COMPACT_FROM and kpi.unit not in ("%", "h"):
        # e.g. 74.7k days (7.5万天): fits a card at enterprise scale
        number = f"{value / 1000:,.1f}k" if current() == "en" else formats.compact(value, 1)
    if kpi.unit == "h" and value >= 48:
        return _("{hours} ({days})").format(
            hours=_joined(number, "h"), days=_joined(f"{value / 24:.1f}", "days")
        )
    if kpi.unit == "h" and value < 1:
        return _joined(f"{value * 60:,.0f}", "min")
    return _joined(number, kpi.unit)


def format_delta(kpi: Kpi, delta: float | None) -> str | None:
    """Signed change against the previous period, in the KPI's unit (points for percentages)."""
    if delta is None:
        return None
    unit = {"%": "pp"}.get(kpi.unit, kpi.unit)
    decimals = 0 if abs(delta) >= 1000 else kpi.decimals
    if round(delta, decimals) == 0:
        delta = 0.0  # "+0.0", never "-0.0"
    return _joined(f"{delta:+,.{decimals}f}", unit)
