"""How much a page draws at once: charts and tables stay readable (and fast) at any scale.

At enterprise scale a scope holds thousands of projects or services. A chart of 2,000 lines or
bars is unreadable and costs seconds to build and send, so pages draw the rows that need
attention first (callers sort worst first) and say what was left out; Data export always has
every row.
"""

from __future__ import annotations

import pandas as pd

from i18n import _, formats

MOST_SERIES = 10  # lines in one trend chart
MOST_BARS = 25  # bars in one bar chart
MOST_TABLE_ROWS = 500  # rows in one on-page table


def first(frame: pd.DataFrame, most: int) -> pd.DataFrame:
    """The first ``most`` rows (callers sort worst first)."""
    return frame if len(frame) <= most else frame.head(most)


def left_out(total: int, most: int, what: str) -> str | None:
    """A caption naming what a capped chart or table leaves out, or None when nothing is
    (``what`` is already in the reader's language)."""
    if total <= most:
        return None
    return _(
        "Showing the first {most} of {total} {what}; the Data export page has every row."
    ).format(most=formats.number(most), total=formats.number(total), what=what)
