"""What the sync worker is doing, for the freshness stamp and the Data sources page.

The status comes from the worker's heartbeat file (connectors.worker.status); source names are
configuration identifiers and error lines were redacted by the worker, and both are still shown
as literal text.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from connectors.core.schedule import ago_text, span_text, until_text
from connectors.worker.status import WorkerStatus, read_status
from data.warehouse import db_path
from i18n import N_, _
from ui.components.plain import md_literal

STATE_TEXT = {
    "running": N_("running"),
    "success": N_("success"),
    "failed": N_("failed"),
    "not run yet": N_("not run yet"),
}


def _state(running: bool, last_status: str | None) -> str:
    state = "running" if running else (last_status or "not run yet")
    return _(STATE_TEXT[state]) if state in STATE_TEXT else state


def current_status() -> WorkerStatus | None:
    return read_status(db_path())


def summary_line(status: WorkerStatus, now: datetime) -> str:
    """ "Worker last seen 2 min ago; next github sync in 11 min" (plain text)."""
    if status.stopped_at is not None:
        return _("Worker stopped {ago}: data refreshes only on Sync now.").format(
            ago=ago_text(status.stopped_at, now)
        )
    if status.is_stale(now):
        return _(
            "Worker not seen for {span} (pid {pid} on {host}): data is not refreshing."
        ).format(span=span_text(now - status.last_seen), pid=status.pid, host=status.host)
    ago = ago_text(status.last_seen, now)
    upcoming = status.next_source()
    if upcoming is None:
        return _("Worker last seen {ago}.").format(ago=ago)
    name, plan = upcoming
    if plan.running:
        return _("Worker last seen {ago}; {source} syncing now.").format(ago=ago, source=name)
    return _("Worker last seen {ago}; next {source} sync {when}.").format(
        ago=ago, source=name, when=until_text(plan.next_run, now)
    )


def failing_line(status: WorkerStatus) -> str | None:
    failing = status.failing()
    if not failing:
        return None
    counts = ", ".join(f"{n} ({status.sources[n].failures_in_row}×)" for n in failing)
    return _("Failing {n} or more times in a row: {sources}.").format(
        n=status.warn_after_failures, sources=counts
    )


def sidebar_lines() -> None:
    """Under "Data as of": only when a worker has ever run on this warehouse."""
    status = current_status()
    if status is None:
        return
    now = datetime.now(UTC)
    text = md_literal(summary_line(status, now))
    if status.is_stale(now):
        st.warning(text, icon=":material/schedule:")
    else:
        st.caption(text)
    failing = failing_line(status)
    if failing:
        st.warning(
            md_literal(failing + " " + _("See Data sources.")), icon=":material/sync_problem:"
        )


def worker_section() -> None:
    """The Data sources page's "Scheduled sync" section."""
    st.subheader(_("Scheduled sync (worker)"))
    status = current_status()
    if status is None:
        st.info(
            _(
                "No worker has run on this warehouse: data refreshes only when someone presses "
                "**Sync now**. Start one with `make worker` (or `python -m connectors worker`); "
                "schedules are set per source with `every` or `cron` in config/sources.toml "
                "(docs/worker.md)."
            ),
            icon=":material/schedule:",
        )
        return
    now = datetime.now(UTC)
    line = md_literal(summary_line(status, now))
    (st.warning if status.is_stale(now) else st.caption)(line)
    st.caption(
        md_literal(
            _(
                "TechPulse {version} · pid {pid} on {host} · started {started} UTC · heartbeat "
                "every {seconds} s"
            ).format(
                version=status.version,
                pid=status.pid,
                host=status.host,
                started=f"{status.started_at:%Y-%m-%d %H:%M}",
                seconds=f"{status.heartbeat_seconds:g}",
            )
        )
    )
    failing = failing_line(status)
    if failing:
        st.warning(md_literal(failing), icon=":material/sync_problem:")
    rows = [
        {
            "source": name,
            "schedule": plan.schedule,
            "state": _state(plan.running, plan.last_status),
            "failures_in_row": plan.failures_in_row,
            "last_run": plan.last_run,
            "next_run": None if plan.running else plan.next_run,
            "last_error": plan.last_error or "",
        }
        for name, plan in status.sources.items()
    ]
    frame = pd.DataFrame(rows)
    for column in ("last_run", "next_run"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    moment = st.column_config.DatetimeColumn
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "source": _("Source"),
            "schedule": _("Schedule"),
            "state": _("Last run"),
            "failures_in_row": st.column_config.NumberColumn(_("Failures in a row")),
            "last_run": moment(_("Last run (UTC)"), format="YYYY-MM-DD HH:mm:ss", timezone="UTC"),
            "next_run": moment(_("Next run (UTC)"), format="YYYY-MM-DD HH:mm:ss", timezone="UTC"),
            "last_error": st.column_config.TextColumn(_("Last error"), width="large"),
        },
    )
