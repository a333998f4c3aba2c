"""The guarded CSV download beside a table that shows source text.

Streamlit's own grid toolbar writes cells raw (``=HYPERLINK(…)`` stays a formula, a bare CR
splits a row), so ``client.disableDataExport`` turns it off app-wide and a table whose text comes
from users or sources gets this button instead: the same guard as Data export and the CLI.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from i18n import _
from metrics.reports import export


def csv_file_name(name: str, today: dt.date | None = None) -> str:
    """``techpulse_<name>_<UTC date>.csv``: what the table is and when it was taken."""
    day = today or dt.datetime.now(dt.UTC).date()
    return f"techpulse_{name}_{day:%Y%m%d}.csv"


def table_download(frame: pd.DataFrame, name: str, label: str | None = None) -> None:
    """A small download button holding ``frame`` as guarded CSV (formula prefixes quoted).
    Column names stay the machine ids in every language, so scripts reading it never break."""
    st.download_button(
        label or _("Download this table (CSV)"),
        data=export.to_csv_bytes(frame),
        file_name=csv_file_name(name),
        mime="text/csv",
        icon=":material/download:",
        type="tertiary",
        key=f"table_download_{name}",
    )
