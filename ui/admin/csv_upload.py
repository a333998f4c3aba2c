"""The "Import a CSV file" panel of the Data sources page.

The panel shows the documented columns of the chosen kind (from connectors/csv/columns.py, the
same specs the import checks against) with a sample file, and — for viewers who may sync —
an uploader. The upload goes to :func:`connectors.csv.importer.import_csv`, the writer: it
validates the whole file first and either publishes one new warehouse snapshot or writes
nothing and lists the rows to fix. The page itself never writes SQL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from connectors.csv.columns import KINDS
from connectors.csv.importer import CsvImportError, columns_table, import_csv
from data.warehouse import WarehouseError, db_path
from i18n import N_, _, formats
from ui.access import auth
from ui.components.plain import md_literal

RESULT_KEY = "csv_import_result"
SHOWN = 20  # problems in the static table; the rest in a scrollable one
LABELS = {
    "deployments": N_("Deployments"),
    "deployment_commits": N_("Commits each deployment shipped"),
    "changes": N_("Changes (pull requests, commits)"),
    "incidents": N_("Incidents"),
    "investments": N_("Investments (ROI ledger)"),
    "annotations": N_("Annotations (chart markers)"),
    "quality": N_("Quality snapshots"),
}


@dataclass
class UploadOutcome:
    ok: bool
    file_name: str
    message: str
    errors: list[dict[str, object]] = field(default_factory=list)  # line, problem
    total: int = 0  # errors found (errors holds the first ones)
    warnings: list[str] = field(default_factory=list)
    links: str | None = None  # how many changes and incidents are linked after the import


def run_upload(
    kind: str,
    data: bytes,
    file_name: str,
    *,
    source: str = "csv",
    timezone: str | None = None,
    db: str | os.PathLike[str] | Path | None = None,
) -> UploadOutcome:
    """Import an uploaded file; never raises for a bad file or warehouse."""
    try:
        result = import_csv(
            kind,
            data,
            db=db or db_path(),
            source=source.strip(),
            timezone=timezone or None,
            file_name=file_name,
        )
    except CsvImportError as exc:
        errors: list[dict[str, object]] = [
            {"line": e.line, "problem": " ".join(e.message.split())} for e in exc.errors
        ]
        return UploadOutcome(False, file_name, "nothing was written", errors, exc.total)
    except WarehouseError as exc:
        return UploadOutcome(False, file_name, f"{exc.problem} {exc.fix}")
    except Exception as exc:  # a bug; the page still shows one line, not a traceback
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        return UploadOutcome(
            False,
            file_name,
            f"unexpected {type(exc).__name__}: {first} — this is a TechPulse bug; nothing "
            "was written",
        )
    return UploadOutcome(
        True, file_name, result.message(), warnings=list(result.warnings), links=result.links
    )


def csv_upload_panel() -> None:
    st.subheader(_("Import a CSV file"))
    shown = {k: _(LABELS[k]) for k in KINDS}
    kind = st.selectbox(
        _("What the file holds"),
        list(KINDS),
        format_func=shown.__getitem__,  # fixed per run: a format_func may run on another thread
        key="csv_import_kind",
    )
    spec = KINDS[kind]
    st.caption(
        _(spec.summary)
        + " "
        + _(
            "The first line names the columns (any order, case ignored); times need `Z` or an "
            "offset such as `+01:00`. The file is checked completely before anything is "
            "written, and importing it again changes nothing. See docs/csv-import.md."
        )
    )
    with st.expander(_("Columns of a {kind} file").format(kind=kind), expanded=False):
        # A static table: the reference of a kind needs no sorting or scrolling.
        frame = pd.DataFrame(columns_table(kind)).set_index("column")
        frame.columns = [_("Required"), _("Values"), _("Example"), _("Meaning")]
        frame.index.name = _("Column")
        st.table(frame)
        st.code(spec.sample(), language="text")
        st.download_button(
            _("Download this sample"),
            spec.sample(),
            file_name=f"{kind}-sample.csv",
            mime="text/csv",
            key="csv_import_sample",
        )
    _show_last_result()
    if not auth.may("sync"):
        st.caption(_("Importing a file needs the admin role."))
        return
    left, right = st.columns(2)
    source = left.text_input(
        _("Source name"),
        value="csv",
        key="csv_import_source",
        help=_("Stored as the rows' source; a re-import replaces rows of the same source and id."),
    )
    zone = right.text_input(
        _("Time zone of times without an offset"),
        value="",
        placeholder=_("e.g. Europe/Berlin (empty: such times are refused)"),
        key="csv_import_timezone",
    )
    upload = st.file_uploader(_("CSV file (UTF-8)"), type=["csv", "txt"], key="csv_import_file")
    # The button appears with a file, so the page has no dead button before an upload.
    if upload is not None and st.button(
        _("Import {file}").format(file=md_literal(upload.name)),
        icon=":material/upload_file:",
        type="primary",
    ):
        with st.spinner(_("Checking and importing {file}…").format(file=md_literal(upload.name))):
            outcome = run_upload(
                kind, upload.getvalue(), upload.name, source=source, timezone=zone.strip()
            )
        st.session_state[RESULT_KEY] = outcome
        st.rerun()


def _show_last_result() -> None:
    outcome: UploadOutcome | None = st.session_state.get(RESULT_KEY)
    if outcome is None:
        return
    if outcome.ok:
        st.success(
            f"**{md_literal(outcome.file_name)}**: {md_literal(outcome.message)}.",
            icon=":material/check_circle:",
        )
        if outcome.links:
            st.caption(md_literal(outcome.links[0].upper() + outcome.links[1:] + "."))
        for warning in outcome.warnings:
            st.warning(md_literal(warning), icon=":material/link_off:")
        return
    if not outcome.errors:
        st.error(
            _("**{file} was not imported**: {reason}").format(
                file=md_literal(outcome.file_name), reason=md_literal(outcome.message)
            ),
            icon=":material/error:",
        )
        return
    listed = len(outcome.errors)
    found = (
        _("1 problem found")
        if outcome.total == 1
        else _("{n} problems found").format(n=formats.number(outcome.total))
    )
    if outcome.total > listed:
        found += _("; the first {listed} are listed").format(listed=listed)
    st.error(
        _(
            "**{file} was not imported**: {found}. Nothing was written; fix the file and upload "
            "it again."
        ).format(file=md_literal(outcome.file_name), found=found),
        icon=":material/error:",
    )
    # A static table wraps long messages; beyond the first SHOWN, a scrollable frame.
    st.table(_problems(outcome.errors[:SHOWN]))
    if listed > SHOWN:
        with st.expander(_("All {listed} listed problems").format(listed=listed)):
            st.dataframe(_problems(outcome.errors), width="stretch")


def _problems(errors: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            _("Line"): ["" if e["line"] is None else str(e["line"]) for e in errors],
            _("Problem"): [e["problem"] for e in errors],
        }
    )
    return frame.set_index(_("Line"))
