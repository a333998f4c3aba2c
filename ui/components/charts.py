"""The chart helper every page uses, so all charts look alike.

Trend lines carry the target as a dashed line (and the amber zone up to the warning level as a
band), named in the chart's subtitle so no annotation label can cover it; annotations as dotted
vertical markers, axis titles with units and the KPI definition on hover.
RAG colours are the same everywhere: green, amber, red, grey for no data; primary for series.
"""

from __future__ import annotations

import html
import textwrap
import unicodedata
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from i18n import N_, _, current
from metrics.core.definitions import Kpi
from metrics.core.filters import Filters
from metrics.core.formatting import unit_text

GREEN, AMBER, RED, GREY, PRIMARY = "#1B873F", "#C77C02", "#C62828", "#8A8F98", "#1F5FAD"
RAG = {"green": GREEN, "amber": AMBER, "red": RED, "no data": GREY, "tracked": PRIMARY}
RAG_TEXT = {  # marked here, shown through rag_text() in the reader's language
    "green": N_("On target"),
    "amber": N_("Near target"),
    "red": N_("Off target"),
    "no data": N_("No data"),
    "tracked": N_("Tracked"),
}
# Series colours for several lines in one chart: blues, purples and teals, never RAG colours.
SERIES = ("#1F5FAD", "#7B4FA0", "#00838F", "#5C6BC0", "#4E342E", "#0097A7", "#8E24AA", "#37474F")
GRAINS = ("week", "month", "quarter")
STEP = {
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
}
HALF_STEP = {  # padding around a lone point, so the time axis keeps a readable scale
    "week": pd.Timedelta(days=3.5),
    "month": pd.Timedelta(days=15),
    "quarter": pd.Timedelta(days=45),
}
GRAIN_TEXT = {"week": N_("weekly"), "month": N_("monthly"), "quarter": N_("quarterly")}
BUCKET_TEXT = {"week": N_("week"), "month": N_("month"), "quarter": N_("quarter")}
X_TITLE = {
    "week": N_("Week starting (UTC)"),
    "month": N_("Month starting (UTC)"),
    "quarter": N_("Quarter starting (UTC)"),
}
AXIS_UNIT = {"h": N_("hours"), "count": N_("count")}
ANNOTATION_KIND = {  # connectors.csv.columns.ANNOTATION_KINDS as readers see them
    "adoption": N_("adoption"),
    "incident": N_("incident"),
    "organisation": N_("organisation"),
    "release": N_("release"),
}
CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def axis_title(kpi: Kpi) -> str:
    """Label and unit, broken over lines so a long label fits the chart's height."""
    unit = _(AXIS_UNIT[kpi.unit]) if kpi.unit in AXIS_UNIT else unit_text(kpi.unit)
    text = f"{_(kpi.label)} ({unit})"
    wide = any(unicodedata.east_asian_width(c) in "WF" for c in text)
    return "<br>".join(textwrap.wrap(text, 16 if wide else 32))  # a CJK glyph is two wide


def plotly_text(text: object) -> str:
    """``text`` for a Plotly label: Plotly renders a subset of HTML (``<a href>``, ``<b>``) in
    annotations, names and hovers but decodes entities in plain text, so escaping shows user
    and source text exactly as written and never as a link."""
    return html.escape(str(text), quote=True)


def hover_text(text: str, width: int = 70) -> str:
    """Plotly hover labels do not wrap; break long text into lines (each line escaped)."""
    return "<br>".join(plotly_text(line) for line in textwrap.wrap(text, width))


def grain_picker(key: str, default: str = "week") -> str:
    """The trend grain selector every page shows above its trends."""
    grain = st.radio(
        _("Trend grain"),
        GRAINS,
        index=GRAINS.index(default),
        horizontal=True,
        key=key,
        format_func={g: _(GRAIN_TEXT[g]) for g in GRAINS}.__getitem__,  # fixed per run
        help=_(
            "Weeks start on Monday, months on the 1st, quarters on 1 Jan/Apr/Jul/Oct (UTC). "
            "The first and last points cover only the days inside the period."
        ),
    )
    return str(grain)


def naive_utc(values: pd.Series) -> pd.Series:
    """Plotly draws time zones in the browser's zone; hand it UTC wall-clock times."""
    stamps = pd.to_datetime(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def scoped_annotations(
    frame: pd.DataFrame, filters: Filters, team_of: dict[str, str]
) -> pd.DataFrame:
    """Annotations that concern the scope: organisation-wide ones, the scope's team or service
    (all of them when the scope is the whole organisation)."""
    if frame.empty or (filters.team is None and filters.service is None):
        return frame

    def concerns(row: pd.Series) -> bool:
        if row["scope"] == "organisation":
            return True
        if row["scope"] == "team":
            return row["scope_id"] == (filters.team or team_of.get(filters.service or ""))
        if filters.service:
            return row["scope_id"] == filters.service
        return team_of.get(row["scope_id"]) == filters.team

    return frame[frame.apply(concerns, axis=1)]


def _layout(
    fig: go.Figure,
    title: str,
    x_title: str,
    y_title: str,
    height: int,
    subtitle: str | None = None,
) -> go.Figure:
    heading: dict[str, object] = {"text": title, "x": 0, "xanchor": "left"}
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"color": GREEN, "size": 12}}
    fig.update_layout(
        title=heading,
        height=height,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend={"orientation": "h", "y": -0.25, "x": 0},
        hoverlabel={"align": "left"},
        plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=True, gridcolor="#ECEEF1", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#ECEEF1", zeroline=False)
    return fig


DAY_MS = 86_400_000
# Plotly names months in English ("Oct 2025"); Chinese readers get 10月14日 / 2025年10月 / 2026年,
# chosen by the tick spacing Plotly picks (d3 time formats, "-" drops the zero padding).
CHINESE_DATE_TICKS = [
    {"dtickrange": [None, DAY_MS], "value": "%-m月%-d日 %H:%M"},
    {"dtickrange": [DAY_MS, 27 * DAY_MS], "value": "%-m月%-d日"},  # days and weeks
    {"dtickrange": ["M1", "M12"], "value": "%Y年%-m月"},
    {"dtickrange": ["M12", None], "value": "%Y年"},
]


def date_ticks(fig: go.Figure, axis: str = "x") -> None:
    """Date tick labels in the reader's language (English keeps Plotly's own)."""
    if current() == "zh-CN":
        update = fig.update_yaxes if axis == "y" else fig.update_xaxes
        update(tickformatstops=CHINESE_DATE_TICKS)


def _kind(kind: str) -> str:
    return _(ANNOTATION_KIND[kind]) if kind in ANNOTATION_KIND else kind


def _annotate(
    fig: go.Figure, annotations: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp
) -> None:
    """Dotted vertical markers labelled along the line (so neighbours do not overlap); events
    of the same day share one label, every event is in the hover."""
    if annotations is None or annotations.empty:
        return
    days = annotations.assign(when=pd.to_datetime(annotations["occurred_on"]))
    days = days[(days["when"] >= start) & (days["when"] <= end)].sort_values("when")
    for when, part in days.groupby("when", sort=True):
        fig.add_shape(
            type="line",
            x0=when,
            x1=when,
            yref="paper",
            y0=0,
            y1=1,
            line={"color": "#5F6368", "width": 1.5, "dash": "dot"},
        )
        first = plotly_text(textwrap.shorten(str(part["text"].iloc[0]), 30, placeholder="…"))
        more = f" (+{len(part) - 1})" if len(part) > 1 else ""
        details = "<br>".join(
            hover_text(f"{when:%Y-%m-%d} · {_kind(row.kind)}: {row.text}")
            for row in part.itertuples(index=False)
        )
        fig.add_annotation(
            x=when,
            yref="paper",
            y=1.0,
            text=f"{first}{more}",
            textangle=-90,
            showarrow=False,
            xanchor="right",
            yanchor="top",
            font={"size": 10, "color": "#3C4043"},
            bgcolor="rgba(255, 255, 255, 0.75)",
            hovertext=details,
        )


def _y_range(kpi: Kpi, values: pd.Series, target: float | None) -> list[float] | None:
    """Fit the data and the target line only, so a wide amber band never flattens the data;
    start at zero unless the KPI lives near 100 % (availability)."""
    numbers = [float(v) for v in values.dropna()]
    if target is not None:
        numbers.append(float(target))
    if not numbers:
        return None
    low, high = min(numbers), max(numbers)
    pad = (high - low) * 0.12 or max(abs(high) * 0.05, 0.5)
    floor = low - pad
    if kpi.name not in ("availability", "uptime") and low >= 0:
        floor = 0.0
    return [floor, high + pad]


def target_label(target_text: str) -> str:
    """The subtitle naming the dashed line: "- - Target ≥ 99.5 %"."""
    return "- - " + plotly_text(_("Target {target}").format(target=target_text))


def _target(
    fig: go.Figure, kpi: Kpi, target: float | None, warn: float | None, target_text: str | None
) -> str | None:
    """Draw the target line (and amber band); return its label for the subtitle."""
    if target is None:
        return None
    if warn is not None and warn != target:
        fig.add_hrect(
            y0=min(target, warn),
            y1=max(target, warn),
            fillcolor=AMBER,
            opacity=0.10,
            line_width=0,
            layer="below",
        )
    fig.add_hline(y=target, line={"color": GREEN, "width": 2, "dash": "dash"})
    return target_label(target_text or f"{target:g} {unit_text(kpi.unit)}")


def trend_chart(
    frame: pd.DataFrame,
    kpi: Kpi,
    *,
    title: str | None = None,
    grain: str = "week",
    target: float | None = None,
    warn: float | None = None,
    target_text: str | None = None,
    annotations: pd.DataFrame | None = None,
    series: str | None = None,
    height: int = 340,
) -> go.Figure:
    """A KPI over time from a frame of bucket, value, n (and optionally a ``series`` column for
    one line per project or service). The target is a dashed green line, the zone up to the
    warning level an amber band."""
    fig = go.Figure()
    data = frame.assign(bucket=naive_utc(frame["bucket"])) if not frame.empty else frame
    label = _(kpi.label)
    groups = [(label, data)] if series is None else list(data.groupby(series, sort=True))
    definition = hover_text(f"{label}: {_(kpi.definition)}")
    point = _("{grain} of {day}").format(grain=_(BUCKET_TEXT[grain]), day="%{x|%Y-%m-%d}")
    based_on = _("based on {n}").format(n="%{customdata:,.0f}")
    fmt = f",.{kpi.decimals}f"
    for index, (name, part) in enumerate(groups):
        fig.add_trace(
            go.Scatter(
                x=part["bucket"],
                y=part["value"],
                customdata=part.get("n"),
                name=plotly_text(name),
                mode="lines+markers",
                line={"color": SERIES[index % len(SERIES)], "width": 2.5 if series is None else 2},
                connectgaps=False,
                cliponaxis=False,  # a 0 % week sits on the axis: draw its whole marker
                hovertemplate=f"<b>{plotly_text(name)}</b> · {point}<br>"
                f"%{{y:{fmt}}} {unit_text(kpi.unit)} ({based_on})"
                f"<extra>{definition}</extra>",
            )
        )
    subtitle = _target(fig, kpi, target, warn, target_text)
    if not data.empty:
        last_end = data["bucket"].max() + STEP[grain] - pd.Timedelta(days=1)
        _annotate(fig, annotations, data["bucket"].min(), last_end)
    fig.update_layout(showlegend=series is not None)
    if not data.empty:
        fig.update_yaxes(range=_y_range(kpi, data["value"], target))
        with_values = data.loc[data["value"].notna(), "bucket"]
        if with_values.nunique() <= 1:  # Plotly would zoom a lone point to milliseconds
            pad = HALF_STEP.get(grain, HALF_STEP["week"])
            fig.update_xaxes(range=[data["bucket"].min() - pad, data["bucket"].max() + pad])
    fig = _layout(fig, title or label, _(X_TITLE[grain]), axis_title(kpi), height, subtitle)
    date_ticks(fig)
    if data.empty or not data["value"].notna().any():
        _say_no_data(fig)
    if series is not None:
        fig.update_layout(legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 11}})
    return fig


def _say_no_data(fig: go.Figure) -> None:
    """A trend with no value in the period says so, instead of axes Plotly invents (0–6)."""
    fig.add_annotation(
        text=plotly_text(_("No data in this period")),
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 14, "color": "#5F6368"},
        bgcolor="#FFFFFF",  # over the dashed target line, still readable
        borderpad=6,
    )
    fig.update_xaxes(showticklabels=False, showgrid=False)
    fig.update_yaxes(showticklabels=False, showgrid=False)


def bar_chart(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    colours: Sequence[str] | str = PRIMARY,
    hover: Sequence[str] | None = None,
    target: float | None = None,
    target_text: str | None = None,
    horizontal: bool = False,
    height: int = 340,
) -> go.Figure:
    """Bars (one colour, or one per bar such as a RAG colour), with an optional target line."""
    bar = go.Bar(
        x=frame[y] if horizontal else frame[x],
        y=frame[x] if horizontal else frame[y],
        orientation="h" if horizontal else "v",
        marker={"color": list(colours) if not isinstance(colours, str) else colours},
        hovertext=[hover_text(h) for h in hover] if hover is not None else None,
        hoverinfo="text" if hover is not None else None,
    )
    fig = go.Figure(bar)
    subtitle = None
    if target is not None:
        line = {"color": GREEN, "width": 2, "dash": "dash"}
        subtitle = target_label(str(target_text or target))
        if horizontal:
            fig.add_vline(x=target, line=line)
        else:
            fig.add_hline(y=target, line=line)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
        x_title, y_title = y_title, x_title
    fig.update_layout(showlegend=False)
    fig = _layout(fig, title, x_title, y_title, height, subtitle)
    if pd.api.types.is_datetime64_any_dtype(frame[x]):
        date_ticks(fig, axis="y" if horizontal else "x")
    return fig


def show(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, width="stretch", key=key, config=CONFIG)


def status_text(values: pd.Series) -> pd.Series:
    """RAG status words for a table column, in the reader's language."""
    return values.map(rag_text)


def rag_text(status: object) -> str:
    """One RAG status word in the reader's language (other values as they are)."""
    return _(RAG_TEXT[status]) if status in RAG_TEXT else str(status)


def style_status(frame: pd.DataFrame, columns: Sequence[str]) -> object:
    """A Styler colouring RAG status words (see status_text) in the RAG colours."""
    colour_of = {rag_text(k): v for k, v in RAG.items()}

    def paint(value: object) -> str:
        colour = colour_of.get(str(value))
        return f"color: {colour}; font-weight: 600" if colour else ""

    return frame.style.map(paint, subset=list(columns))


def card_grid(rows: dict[str, dict[str, object]], names: Sequence[str], per_row: int = 3) -> None:
    """KPI cards in rows of ``per_row``, wide enough that values are never cut off."""
    from ui.components.cards import kpi_card

    for offset in range(0, len(names), per_row):
        for column, name in zip(
            st.columns(per_row), names[offset : offset + per_row], strict=False
        ):
            with column:
                kpi_card(rows[name])  # type: ignore[arg-type]
