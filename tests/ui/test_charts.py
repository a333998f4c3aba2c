"""Chart helpers: what a reader sees on the axes."""

from __future__ import annotations

import pandas as pd
import pytest

from metrics.core.definitions import BY_NAME
from ui.components import charts


@pytest.mark.parametrize(("grain", "half_days"), [("week", 3.5), ("month", 15), ("quarter", 45)])
def test_a_lone_point_keeps_a_calendar_scale(grain: str, half_days: float) -> None:
    """One incident-week of recovery time used to autoscale the x axis to a millisecond around
    the point ("23:59:59.999 … 00:00:00.0005"); the axis now spans half a bucket each side."""
    frame = pd.DataFrame(
        {"bucket": [pd.Timestamp("2026-01-05", tz="UTC")], "value": [2.5], "n": [2.0]}
    )
    fig = charts.trend_chart(frame, BY_NAME["time_to_restore"], grain=grain)
    low, high = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
    assert high - low == pd.Timedelta(days=2 * half_days)
    assert low < pd.Timestamp("2026-01-05") < high


def test_several_points_keep_plotly_autoscale() -> None:
    frame = pd.DataFrame(
        {
            "bucket": pd.to_datetime(["2026-01-05", "2026-01-12"], utc=True),
            "value": [2.5, 3.0],
            "n": [1.0, 1.0],
        }
    )
    fig = charts.trend_chart(frame, BY_NAME["time_to_restore"], grain="week")
    assert fig.layout.xaxis.range is None
