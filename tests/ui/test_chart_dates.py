"""Date axes in Chinese read 10月14日 / 2026年10月 / 2026年, not Plotly's English month names."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

import i18n
from ui.components.charts import bar_chart, date_ticks


def test_chinese_date_ticks_and_english_defaults() -> None:
    with i18n.using("zh-CN"):
        chinese = go.Figure(go.Scatter(x=pd.to_datetime(["2026-10-05"]), y=[1]))
        date_ticks(chinese)
    stops = {s.value for s in chinese.layout.xaxis.tickformatstops}
    assert stops == {"%-m月%-d日 %H:%M", "%-m月%-d日", "%Y年%-m月", "%Y年"}
    english = go.Figure(go.Scatter(x=pd.to_datetime(["2026-10-05"]), y=[1]))
    date_ticks(english)
    assert english.layout.xaxis.tickformatstops == ()  # Plotly's own English labels


def test_only_date_bars_get_date_ticks() -> None:
    frame = pd.DataFrame({"week": pd.to_datetime(["2026-10-05"]), "team": ["a"], "n": [3]})
    with i18n.using("zh-CN"):
        dated = bar_chart(frame, "week", "n", title="t", x_title="x", y_title="y")
        by_team = bar_chart(frame, "team", "n", title="t", x_title="x", y_title="y")
    assert len(dated.layout.xaxis.tickformatstops) == 4
    assert by_team.layout.xaxis.tickformatstops == ()
