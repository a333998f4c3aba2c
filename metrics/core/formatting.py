"""Display text for KPI values, shared by the app and the CLI so both print the same."""

from __future__ import annotations

import math

import pandas as pd

from metrics.core.definitions import Kpi

COMPACT_FROM = 10_000  # from here values read in thousands (k), so cards never cut them off


def is_missing(value: object) -> bool:
    """An empty cell of a frame row: None, pandas' NA or NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def id_or_none(value: object) -> str | None:
    """A team or service id read from a frame row: its text, or None where the cell is empty."""
    return None if is_missing(value) else str(value)


def format_value(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "no data"
    number = f"{value:,.{kpi.decimals}f}"
    if abs(value) >= COMPACT_FROM and kpi.unit not in ("%", "h"):
        number = f"{value / 1000:,.1f}k"  # e.g. 74.7k days: fits a card at enterprise scale
    if kpi.unit == "h" and value >= 48:
        return f"{number} h ({value / 24:.1f} days)"
    if kpi.unit == "h" and value < 1:
        return f"{value * 60:,.0f} min"
    if kpi.unit == "%":
        return f"{number} %"
    if kpi.unit == "count":
        return number
    return f"{number} {kpi.unit}"


def format_delta(kpi: Kpi, delta: float | None) -> str | None:
    """Signed change against the previous period, in the KPI's unit (points for percentages)."""
    if delta is None:
        return None
    unit = {"%": "pp", "count": ""}.get(kpi.unit, kpi.unit)
    decimals = 0 if abs(delta) >= 1000 else kpi.decimals
    return f"{delta:+,.{decimals}f} {unit}".rstrip()
