"""The "Sync now" panel of the Data sources page: configured sources and a progress bar."""

from __future__ import annotations

from typing import Any

import streamlit as st

from connectors.core.config import SourceConfig, load_config
from connectors.core.errors import ConnectorError
from connectors.registry import build_connector
from data.warehouse import db_path
from ui.access import auth
from ui.admin.sync_runner import SyncOutcome, run_sync

RESULT_KEY = "sync_result"


def sync_panel() -> None:
    st.subheader("Sync now")
    try:
        config = load_config()
    except ConnectorError as exc:
        st.info(
            f"**No sources to sync.** {exc.problem}. {exc.fix[0].upper()}{exc.fix[1:]}.",
            icon=":material/settings:",
        )
        return
    sources = [s for s in config.sources if s.enabled]
    st.dataframe(
        [_describe(s) for s in config.sources],
        hide_index=True,
        width="stretch",
        column_config={
            "source": "Source",
            "type": "Type",
            "enabled": st.column_config.CheckboxColumn("Enabled"),
            "url": st.column_config.TextColumn("URL or path"),
            "auth": "Auth",
            "streams": "Streams",
            "problem": st.column_config.TextColumn("Configuration problem"),
        },
    )
    st.caption(f"From `{config.path}`. Tokens are read from the environment and never shown.")
    _show_last_result()
    if not auth.may("sync"):
        st.caption("Running a sync needs the admin role.")
        return
    if st.button("Sync now", icon=":material/sync:", disabled=not sources, type="primary"):
        st.session_state[RESULT_KEY] = _run(config.path)
        st.rerun()


def _describe(source: SourceConfig) -> dict[str, Any]:
    """One row of the sources table: where the connector reads (its defaults resolved, e.g.
    PagerDuty's or a git repository's path) and, before any sync, what is wrong with it."""
    row: dict[str, Any] = {
        "source": source.name,
        "type": source.type,
        "enabled": source.enabled,
        "url": source.url,
        "auth": source.auth,
        "streams": "",
        "problem": "",
    }
    try:
        connector = build_connector(source)  # parses options only; no request is sent
    except ConnectorError as exc:
        row["problem"] = f"{exc.problem} — {exc.fix}"
        return row
    row["url"] = str(getattr(connector, "url", source.url) or source.url)
    row["streams"] = ", ".join(stream.name for stream in connector.streams)
    return row


def _run(config_path: Any) -> SyncOutcome:
    bar = st.progress(0.0, text="Starting the sync…")
    log = st.empty()

    def on_event(event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "progress" and event.get("total"):
            share = min(1.0, event["done"] / event["total"])
            bar.progress(
                share,
                text=f"{event['source']}: {event['done']} of {event['total']} {event['unit']}",
            )
        elif kind == "source_start":
            log.caption(f"Syncing {event['source']} ({event['type']})…")
        elif kind == "source_end":
            log.caption(f"{event['source']}: {event['status']}, {event['rows_written']:,} rows")

    outcome = run_sync(db_path(), config_path, on_event)
    bar.progress(1.0, text="Sync finished")
    return outcome


def _show_last_result() -> None:
    outcome: SyncOutcome | None = st.session_state.get(RESULT_KEY)
    if outcome is None:
        return
    summary = outcome.summary or {}
    rows = summary.get("rows", {})
    detail = ", ".join(f"{table}: {count:,}" for table, count in rows.items()) or "no new rows"
    if outcome.ok:
        st.success(
            f"Last sync succeeded in {summary.get('seconds', 0):.1f} s — {detail}.",
            icon=":material/check_circle:",
        )
    else:
        lines = "\n".join(f"- {line}" for line in outcome.errors) or "- see the log above"
        st.error(
            f"**Last sync failed** (exit code {outcome.exit_code}); the warehouse keeps its "
            f"previous data for failed sources.\n{lines}",
            icon=":material/sync_problem:",
        )


def sources_summary() -> tuple[int, str | None]:
    """(enabled sources, the sources file's problem or None), for the Get started page."""
    try:
        config = load_config()
    except ConnectorError as exc:
        return 0, f"{exc.problem[0].upper()}{exc.problem[1:]}. {exc.fix[0].upper()}{exc.fix[1:]}."
    return sum(1 for s in config.sources if s.enabled), None
