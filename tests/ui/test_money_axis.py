"""Money axes read in the reader's units: round ticks in 万 / K, exact amounts on hover."""

from __future__ import annotations

import plotly.graph_objects as go

import i18n
from ui.components.money_axis import money_axis, nice_ticks


def test_nice_ticks_cover_the_bars_and_zero() -> None:
    # 0 … 1,180,000 over five steps: 236,000 raw, so the step rounds up to 250,000
    assert nice_ticks(0, 1_180_000) == [0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000]
    # -30 … 95: raw step 25, ticks from -50 (below -30) to 100 (above 95)
    assert nice_ticks(-30, 95) == [-50, -25, 0, 25, 50, 75, 100]
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]  # an empty chart still has an axis


def test_ticks_and_hover_in_each_language() -> None:
    def figure() -> go.Figure:
        fig = go.Figure()
        fig.add_bar(x=["2026-Q1", "2026-Q2"], y=[400_000.0, 1_180_000.5], name="Investment")
        return fig

    with i18n.using("zh-CN"):
        chinese = figure()
        money_axis(chinese, [400_000.0, 1_180_000.5], "CNY")
    assert list(chinese.layout.yaxis.ticktext) == ["0", "25万", "50万", "75万", "100万", "125万"]
    assert list(chinese.data[0].customdata) == ["¥400,000.00", "¥1,180,000.50"]
    assert chinese.data[0].hovertemplate == ("%{x}<br>Investment: %{customdata}<extra></extra>")
    english = figure()
    money_axis(english, [400_000.0, 1_180_000.5], "EUR")
    assert list(english.layout.yaxis.ticktext) == ["0", "250K", "500K", "750K", "1M", "1.25M"]
    assert list(english.layout.yaxis.range) == [0, 1_250_000]
    assert list(english.data[0].customdata) == ["€400,000.00", "€1,180,000.50"]
