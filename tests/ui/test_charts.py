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


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"bucket": [], "value": [], "n": []}),
        pd.DataFrame(
            {"bucket": [pd.Timestamp("2026-01-05", tz="UTC")], "value": [None], "n": [0.0]}
        ),
    ],
    ids=["no rows", "buckets without a value"],
)
def test_a_trend_without_a_value_says_no_data_instead_of_invented_axes(
    frame: pd.DataFrame,
) -> None:
    """Lead time on a warehouse with deployments but no changes drew axes of 0–6 by 167–169
    around the target line and nothing else; it now says there is no data."""
    fig = charts.trend_chart(frame, BY_NAME["lead_time"], grain="week", target=168.0)
    assert [a.text for a in fig.layout.annotations] == ["No data in this period"]
    assert fig.layout.xaxis.showticklabels is False and fig.layout.yaxis.showticklabels is False


def test_a_trend_with_a_value_shows_its_axes() -> None:
    frame = pd.DataFrame(
        {"bucket": [pd.Timestamp("2026-01-05", tz="UTC")], "value": [26.5], "n": [4.0]}
    )
    fig = charts.trend_chart(frame, BY_NAME["lead_time"], grain="week", target=168.0)
    assert "No data in this period" not in [a.text for a in fig.layout.annotations]
    assert fig.layout.xaxis.showticklabels is not False
