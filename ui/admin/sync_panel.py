"""The "Sync now" panel of the Data sources page: configured sources and a progress bar."""

from __future__ import annotations

from typing import Any

import streamlit as st

from connectors.core.config import SourceConfig, load_config
from connectors.core.errors import ConnectorError
from connectors.registry import build_connector
from data.warehouse import db_path
from i18n import _, formats
from ui.access import auth
from ui.admin.sync_runner import SyncOutcome, run_sync

RESULT_KEY = "sync_result"


def sync_panel() -> None:
    st.subheader(_("Sync now"))
    try:
        config = load_config()
    except ConnectorError as exc:
        st.info(
            _("**No sources to sync.** {problem}. {fix}.").format(
                problem=exc.problem, fix=exc.fix[0].upper() + exc.fix[1:]
            ),
            icon=":material/settings:",
        )
        return
    sources = [s for s in config.sources if s.enabled]
    st.dataframe(
        [_describe(s) for s in config.sources],
        hide_index=True,
        width="stretch",
        column_config={
            "source": _("Source"),
            "type": _("Type"),
            "enabled": st.column_config.CheckboxColumn(_("Enabled")),
            "url": st.column_config.TextColumn(_("URL or path")),
            "auth": _("Auth"),
            "streams": _("Streams"),
            "problem": st.column_config.TextColumn(_("Configuration problem")),
        },
    )
    st.caption(
        _("From `{path}`. Tokens are read from the environment and never shown.").format(
            path=config.path
        )
    )
    _show_last_result()
    if not auth.may("sync"):
        st.caption(_("Running a sync needs the admin role."))
        return
    if st.button(_("Sync now"), icon=":material/sync:", disabled=not sources, type="primary"):
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
    bar = st.progress(0.0, text=_("Starting the sync…"))
    log = st.empty()

    def on_event(event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "progress" and event.get("total"):
            share = min(1.0, event["done"] / event["total"])
            bar.progress(
                share,
                text=_("{source}: {done} of {total} {unit}").format(
                    source=event["source"],
                    done=formats.number(event["done"]),
                    total=formats.number(event["total"]),
                    unit=event["unit"],
                ),
            )
        elif kind == "source_start":
            log.caption(
                _("Syncing {source} ({type})…").format(source=event["source"], type=event["type"])
            )
        elif kind == "source_end":
            log.caption(
                _("{source}: {status}, {rows} rows").format(
                    source=event["source"],
                    status=event["status"],
                    rows=formats.number(event["rows_written"]),
                )
            )

    outcome = run_sync(db_path(), config_path, on_event)
    bar.progress(1.0, text=_("Sync finished"))
    return outcome


def _show_last_result() -> None:
    outcome: SyncOutcome | None = st.session_state.get(RESULT_KEY)
    if outcome is None:
        return
    summary = outcome.summary or {}
    rows = summary.get("rows", {})
    detail = ", ".join(f"{table}: {formats.number(count)}" for table, count in rows.items()) or _(
        "no new rows"
    )
    if outcome.ok:
        st.success(
            _("Last sync succeeded in {seconds} s — {detail}.").format(
                seconds=formats.number(summary.get("seconds", 0), 1), detail=detail
            ),
            icon=":material/check_circle:",
        )
    else:
        lines = "\n".join(f"- {line}" for line in outcome.errors) or "- " + _("see the log above")
        st.error(
            _(
                "**Last sync failed** (exit code {code}); the warehouse keeps its previous data "
                "for failed sources."
            ).format(code=outcome.exit_code)
            + "\n"
            + lines,
            icon=":material/sync_problem:",
        )


def sources_summary() -> tuple[int, str | None]:
    """(enabled sources, the sources file's problem or None), for the Get started page."""
    try:
        config = load_config()
    except ConnectorError as exc:
        return 0, f"{exc.problem[0].upper()}{exc.problem[1:]}. {exc.fix[0].upper()}{exc.fix[1:]}."
    return sum(1 for s in config.sources if s.enabled), None
