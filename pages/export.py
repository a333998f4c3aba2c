"""Data export (analysts): any warehouse table or the KPI series as CSV, with the page filters.

The bytes come from metrics.reports.export, the same code `python -m metrics export` runs, so a file
downloaded here and one written by the CLI with the same filters are identical.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import i18n
from data import dictionary
from i18n import N_, Language, _, formats
from metrics.core.filters import Filters
from metrics.core.targets import TargetsError
from metrics.core.trends import GRAINS
from metrics.reports import export, headers
from ui.access import auth
from ui.components import layout
from ui.components.frame import ensure_frame
from ui.fetch import data, warehouse

ensure_frame()

PREVIEW_ROWS = 200
LABELS = {export.KPI_DATASET: N_("KPI series (tidy long format)")}
GRAIN_TEXT = {"week": N_("week"), "month": N_("month"), "quarter": N_("quarter")}


@st.cache_data(show_spinner=False, max_entries=32)
def _export(
    snapshot: str,
    dataset: str,
    filters: Filters,
    grain: str,
    targets_key: tuple[str, int],
    language: Language,
) -> tuple[pd.DataFrame, bytes, bytes]:
    """Cached per snapshot and targets file, so a sync or a target edit gives fresh files, and
    per language for the Excel-friendly file's headers (the plain file is the same in every
    language: ids, codes and column names)."""
    frame = export.export_frame(warehouse.cursor(), dataset, filters, data.targets(), grain)
    return frame, export.to_csv_bytes(frame), export.to_csv_bytes(frame, excel=True)


@st.cache_data(show_spinner=False, max_entries=64)
def _row_count(snapshot: str, dataset: str, filters: Filters) -> int:
    return export.row_count(warehouse.cursor(), dataset, filters)


def _too_large(rows: int, dataset: str, filters: Filters, grain: str, excel: bool) -> bool:
    """Above export.PAGE_ROW_LIMIT the browser download would hold the whole file in the app's
    memory: say so and give the command line, which writes the same file directly."""
    if rows <= export.PAGE_ROW_LIMIT:
        return False
    daily = (
        " " + _("or use the daily rollup `service_level_daily`")
        if dataset == "service_level_samples"
        else ""
    )
    st.warning(
        _(
            "**{rows} rows** match these filters, more than the app prepares for download "
            "({limit}). Narrow the period, team or service{daily}, or write the same file from "
            "the command line: `{command}`"
        ).format(
            rows=formats.number(rows),
            limit=formats.number(export.PAGE_ROW_LIMIT),
            daily=daily,
            command=f"{_cli(dataset, filters, grain, excel)} > {dataset}.csv",
        ),
        icon=":material/data_alert:",
    )
    return True


def _cli(dataset: str, filters: Filters, grain: str, excel: bool) -> str:
    """The equivalent command line, so an analyst can script the same file."""
    parts = [
        "python -m metrics export",
        dataset,
        f"--start {filters.start}",
        f"--end {filters.end}",
    ]
    parts += [f"--{k} {v}" for k, v in (("team", filters.team), ("service", filters.service)) if v]
    if filters.environment != "production":
        parts.append(f"--environment {filters.environment}")
    if dataset == export.KPI_DATASET and grain != "week":
        parts.append(f"--grain {grain}")
    return " ".join(parts + (["--excel"] if excel else []))


@st.cache_data(show_spinner=False)
def _dictionary(language: Language) -> str:
    """The data dictionary in the reader's language (cached per language: it holds words)."""
    return dictionary.rendered(language)


def _choose() -> tuple[str, str, bool]:
    """Dataset, grain (only used for the KPI series) and the Excel option."""
    left, middle, right = st.columns([3, 1, 2], vertical_alignment="bottom")
    allowed = [name for name in export.DATASETS if auth.may_read(name)]
    # labels fixed per run: a format_func may run on another thread, outside the language
    names = {n: _(LABELS[n]) if n in LABELS else _("Table: {name}").format(name=n) for n in allowed}
    grains = {g: _(GRAIN_TEXT.get(g, g)) for g in GRAINS}
    dataset = left.selectbox(
        _("Dataset"),
        allowed,
        index=allowed.index(export.KPI_DATASET),
        format_func=names.__getitem__,
    )
    grain = "week"
    if dataset == export.KPI_DATASET:
        grain = middle.selectbox(_("Grain"), list(GRAINS), index=0, format_func=grains.__getitem__)
    excel = right.checkbox(
        _("Excel-friendly"),
        help=_(
            "UTF-8 with a byte-order mark, which Excel needs to read UTF-8, and a header row in "
            "your language with each column's name in brackets. Other tools prefer the plain "
            "file: UTF-8 without BOM, column names as in the warehouse, the same in every "
            "language."
        ),
    )
    return dataset, grain, excel


def main() -> None:
    filters = layout.page_filters(_("Data export"))
    if filters is None:
        return
    st.caption(layout.scope_text(filters))
    dataset, grain, excel = _choose()
    auth.require(dataset)  # the cached functions below are keyed without the role
    rows = _row_count(warehouse.snapshot_id(), dataset, filters)
    if _too_large(rows, dataset, filters, grain, excel):
        return
    try:
        with st.spinner(_("Preparing the export…"), show_time=False):
            frame, plain, bom = _export(
                warehouse.snapshot_id(),
                dataset,
                filters,
                grain,
                data.targets_key(),
                i18n.current(),
            )
    except TargetsError as exc:
        st.error(
            _("**The targets file is invalid.** {reason}").format(reason=exc),
            icon=":material/error:",
        )
        return
    as_of = export.data_as_of(warehouse.cursor())
    when = (
        export.as_of_text(as_of)
        if as_of is not None
        else _("unknown (no successful sync recorded)")
    )
    st.markdown(_("**Data as of {when}** (last successful sync, UTC)").format(when=when))
    command = _cli(dataset, filters, grain, excel)
    st.caption(
        _(
            "{rows} rows · ISO 8601 dates in UTC · text cells starting with = + - @ are "
            "prefixed with ' (CSV-injection guard) · same file as `{command}`"
        ).format(rows=formats.number(len(frame)), command=command)
    )
    st.download_button(
        _("Download CSV"),
        data=bom if excel else plain,
        file_name=export.file_name(dataset, filters, as_of),
        mime="text/csv",
        icon=":material/download:",
        type="primary",
    )
    if frame.empty:
        layout.no_data_for_filters(filters)
    else:
        labels = {c: st.column_config.Column(headers.excel_header(c)) for c in frame.columns}
        st.dataframe(
            frame.head(PREVIEW_ROWS), hide_index=True, width="stretch", column_config=labels
        )
        if len(frame) > PREVIEW_ROWS:
            st.caption(
                _("Preview of the first {shown} of {rows} rows.").format(
                    shown=PREVIEW_ROWS, rows=formats.number(len(frame))
                )
            )
    st.subheader(_("Data dictionary"))
    st.download_button(
        _("Download data dictionary (Markdown)"),
        data=_dictionary(i18n.current()).encode("utf-8"),
        file_name=dictionary.output(i18n.current()).name.replace("data-", "techpulse_data-"),
        mime="text/markdown",
        icon=":material/menu_book:",
    )


main()
