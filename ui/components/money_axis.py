"""Money on a chart in the reader's units: the value axis ticks read 25万 / 50万 in Chinese and
250K / 500K in English (CLDR compact figures, as on the cards), and the hover shows the amount
in full money form, instead of Plotly's SI suffixes (250k, 1.2M, or 1.2G for a billion).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import plotly.graph_objects as go

from i18n import formats
from ui.components.charts import plotly_text

STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)  # round tick steps, times a power of ten


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values from at or below min(low, 0) to at or above
    max(high, 0), so zero is always a tick and the bars' tops are covered."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in STEPS if m * magnitude >= raw)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(n * step, 6) for n in range(first, last + 1)]


def money_axis(fig: go.Figure, values: Iterable[float], currency: str) -> None:
    """Tick the y axis at round amounts in compact CLDR form and make every trace's hover
    read the exact amount ("¥1,234,567.80"); ``values`` are the extremes the bars reach."""
    shown = [v for v in values if v is not None and math.isfinite(v)]
    ticks = nice_ticks(min(shown, default=0.0), max(shown, default=0.0))
    fig.update_yaxes(
        tickmode="array",
        tickvals=ticks,
        ticktext=[formats.compact(v, decimals=2) for v in ticks],  # exact: 1.25M, not 1.2M
        range=[ticks[0], ticks[-1]],
    )
    for trace in fig.data:
        amounts = [formats.money(float(v), currency, compact_form=False) for v in trace.y]
        trace.customdata = amounts
        trace.hovertemplate = f"%{{x}}<br>{plotly_text(trace.name)}: %{{customdata}}<extra></extra>"
