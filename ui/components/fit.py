"""Column widths that make a table fit the page: each column as wide as its longest text,
the widest ones narrowed first when the sum would overflow (so no horizontal scroll bar at
1440 px, in either language: Chinese characters are twice as wide as Latin ones)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

MIN_WIDTH = 60.0  # below this a column cannot show a word
PADDING = 18  # the grid's cell padding, both sides (px)
LATIN, WIDE = 7.2, 14.0  # average glyph widths at the grid's 14 px font (px)


def text_width(text: str) -> float:
    """Estimated rendered width of ``text`` in the grid (px)."""
    return sum(WIDE if unicodedata.east_asian_width(c) in "WF" else LATIN for c in text)


def fit_widths(
    columns: Mapping[str, Iterable[object]],
    headers: Mapping[str, str],
    total: int,
    fixed: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Pixel widths per column: content-sized, then the widest trimmed until all fit ``total``."""
    fixed = dict(fixed or {})
    wanted = {
        name: PADDING
        + max([text_width(headers.get(name, name)), *(text_width(str(v)) for v in values)])
        for name, values in columns.items()
        if name not in fixed
    }
    room = total - sum(fixed.values())
    cap = max(wanted.values(), default=0.0)
    if sum(wanted.values()) > room:  # the widest columns give way first, down to one cap
        low, high = 0.0, cap
        for _step in range(40):
            cap = (low + high) / 2
            low, high = (
                (cap, high) if sum(min(w, cap) for w in wanted.values()) <= room else (low, cap)
            )
        cap = max(low, MIN_WIDTH)
    return {**{n: int(min(w, cap)) for n, w in wanted.items()}, **fixed}


SHORT_KINDS = ("datetime", "date", "number", "link", "checkbox", "progress")
PAGE_WIDTH = 980  # the main column at 1440 px with the sidebar open (measured in chromium)
HALF_WIDTH = 480  # one of two st.columns at 1440 px


def _cell(value: object, spec: Mapping[str, Any]) -> str:
    """A cell roughly as the grid draws it: link and date columns by their display format."""
    config = spec.get("type_config") or {}
    if config.get("display_text"):
        return str(config["display_text"])
    if isinstance(value, bool):
        return "xx"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return str(config.get("format") or "YYYY-MM-DD HH:mm")
    return "" if value is None or value is pd.NA or value != value else str(value)


def fit_config(
    config: Mapping[str, Any], frame: pd.DataFrame, total: int = PAGE_WIDTH
) -> dict[str, Any]:
    """``config`` (st.column_config entries or plain labels, per column) with pixel widths that
    fit ``total``: text columns give way (widest first), the short kinds and columns given an
    int width keep theirs."""
    specs = {
        name: ({"label": spec} if isinstance(spec, str) else dict(spec))
        for name, spec in config.items()
    }
    headers = {n: str(s.get("label") or n) for n, s in specs.items()}
    fixed = {n: s["width"] for n, s in specs.items() if isinstance(s.get("width"), int)}
    for name, spec in specs.items():  # dates, numbers, links and ticks are short: never cut
        kind = (spec.get("type_config") or {}).get("type")
        if name not in fixed and kind in SHORT_KINDS and name in frame:
            cells = [_cell(v, spec) for v in frame[name]]
            fixed[name] = int(fit_widths({name: cells}, headers, total)[name])
    cells = {
        n: [_cell(v, s) for v in frame[n]] if n in frame else [""]
        for n, s in specs.items()
        if n not in fixed
    }
    widths = fit_widths(cells, headers, total, fixed)
    return {n: {**s, "width": widths[n]} for n, s in specs.items()}
