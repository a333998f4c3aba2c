"""Run sources into the warehouse: one transaction per source run, recorded in ``sync_runs``.

For each selected source:

1. open :func:`data.warehouse.write_snapshot` (a private copy, one transaction);
2. give the connector the services and its cursors, apply every record it yields, and insert
   the ``sync_runs`` success row in the same transaction, then publish atomically;
3. on any failure the copy is discarded — the published warehouse is exactly as before — and
   a ``failed`` ``sync_runs`` row is written in its own small snapshot, with the one-line,
   redacted error the user also sees.

Sources run one after another; a failed source does not stop the next one.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from connectors.core.base import ServiceInfo, SourceContext
from connectors.core.config import SourceConfig, SyncConfig
from connectors.core.errors import ConnectorError
from connectors.core.http.client import HttpStats
from connectors.core.linking import LINKED_TABLES, link, unmatched_warning
from connectors.core.load import Loader
from connectors.core.progress import NullReporter, Reporter, SourceProgress
from connectors.core.redact import redact
from connectors.core.results import SourceResult, SyncSummary
from connectors.registry import build_connector
from data.derived import Declared
from data.warehouse import WarehouseError, WarehouseUnusable, db_path, exists, write_snapshot
from i18n import _

log = logging.getLogger(__name__)


class SyncInterrupted(BaseException):
    """The run was stopped from outside (the worker's SIGTERM): rolled back, not a failure, so
    no failed run is recorded. DuckDB turns a signal during a query into its own "Query
    interrupted" error, which is why the caller's ``interrupted`` predicate decides."""


CATALOG_KEYS = ("gitlab_project", "jenkins_job", "pagerduty_service", "jira_component")


def read_services(con: duckdb.DuckDBPyConnection) -> list[ServiceInfo]:
    """The catalog's active services with every source key; a retired service is left out, so
    syncs add nothing to it (its history stays)."""
    rows = con.execute(
        "SELECT service_id, team_id, sonar_project_key, prometheus_selector, repo_url, "
        + ", ".join(CATALOG_KEYS)
        + " FROM services WHERE retired_on IS NULL ORDER BY service_id"
    ).fetchall()
    return [
        ServiceInfo(
            str(r[0]),
            str(r[1]),
            r[2],
            r[3],
            r[4],
            {name: str(v) for name, v in zip(CATALOG_KEYS, r[5:], strict=True) if v},
        )
        for r in rows
    ]


def read_retired(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    rows = con.execute("SELECT service_id FROM services WHERE retired_on IS NOT NULL").fetchall()
    return frozenset(str(r[0]) for r in rows)


def read_cursors(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT stream, cursor_value FROM sync_cursors WHERE source = $source", {"source": source}
    ).fetchall()
    return {str(stream): str(value) for stream, value in rows}


def _record_run(
    con: duckdb.DuckDBPyConnection, result: SourceResult, started: datetime, finished: datetime
) -> None:
    con.execute(
        "INSERT INTO sync_runs (run_id, source, stream, started_at, finished_at, status,"
        " rows_written, error) VALUES ($run_id, $source, NULL, $started, $finished, $status,"
        " $rows, $error)",
        {
            "run_id": result.run_id,
            "source": result.source,
            "started": started,
            "finished": finished,
            "status": result.status,
            "rows": result.rows_written,
            "error": result.error,
        },
    )
    has_details = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'sync_runs'"
        " AND column_name = 'details' AND database_name = current_database()"
    ).fetchone()
    if has_details and has_details[0]:  # schema v4: rows per table, warnings (JSON)
        details = {"rows": result.rows, "warnings": result.warnings, "type": result.type}
        con.execute(
            "UPDATE sync_runs SET details = $details WHERE run_id = $run_id",
            {"details": redact(json.dumps(details)), "run_id": result.run_id},
        )


def error_line(source: str, exc: BaseException) -> str:
    """The one line a user sees for a failed source; never a traceback, never a secret."""
    if isinstance(exc, ConnectorError):
        text = f"{source}: {exc.problem} — {exc.fix}" if exc.fix else f"{source}: {exc.problem}"
    elif isinstance(exc, WarehouseError):
        text = f"{source}: {exc.problem} — {exc.fix}"
    else:
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        text = _(
            "{source}: unexpected {name}: {first} — this is a TechPulse bug; re-run with "
            "--verbose and report the output"
        ).format(source=source, name=type(exc).__name__, first=first)
    return redact(" ".join(text.split()))


def run_source(
    source: SourceConfig,
    config: SyncConfig,
    db: Path,
    reporter: Reporter,
    *,
    since: datetime | None,
    until: datetime,
    sleep: Callable[[float], None] | None = None,
    interrupted: Callable[[], bool] | None = None,
) -> SourceResult:
    """Run one source in one transaction; never raises for a source failure. Raises
    :class:`SyncInterrupted` when ``interrupted()`` says the failure came from a stop."""
    result = SourceResult(source=source.name, type=source.type, run_id=uuid.uuid4().hex)
    reporter.source_start(source.name, source.type)
    stats = HttpStats()
    started, clock = datetime.now(UTC), time.monotonic()
    ctx: SourceContext | None = None
    try:
        connector = build_connector(source)
        declared = Declared()  # the Loader and the linker note every table they write
        with write_snapshot(db, declared=declared) as con:
            ctx = SourceContext(
                source=source.name,
                services=read_services(con),
                retired=read_retired(con),
                cursors=read_cursors(con, source.name),
                since=since,
                until=until,
                http=config.http,
                stats=stats,
                progress=SourceProgress(reporter, source.name),
                sleep=sleep,
                linking=config.linking,
                url=source.url,
            )
            loader = Loader(con, source.name, declared)
            for record in connector.extract(ctx):
                loader.apply(record)
            loader.finish()
            feeds_links = {stream.table for stream in connector.streams} | declared.tables
            if feeds_links.intersection(LINKED_TABLES):  # a metrics-only source skips it
                declared.tables.update(LINKED_TABLES)
                warning = unmatched_warning(link(con, config.linking))
                if warning:
                    ctx.warn(warning)
            result.status, result.rows = "success", dict(loader.rows)
            result.seconds = time.monotonic() - clock
            result.warnings = [redact(w) for w in ctx.warnings]
            _record_run(con, result, started, datetime.now(UTC))
    except WarehouseUnusable:
        raise  # damaged or full: not this source's failure, and no run row can be written
    except Exception as exc:  # every failure becomes one line and a failed run row
        if interrupted is not None and interrupted():
            raise SyncInterrupted(source.name) from exc  # rolled back; nothing to record
        log.debug("%s failed", source.name, exc_info=True)
        result.status, result.rows, result.error = "failed", {}, error_line(source.name, exc)
        try:
            with write_snapshot(db) as con:
                _record_run(con, result, started, datetime.now(UTC))
        except Exception:  # the warehouse itself is unusable; the error line still shows
            log.debug("could not record the failed run", exc_info=True)
    result.seconds = time.monotonic() - clock
    result.requests, result.retries = stats.requests, stats.retries
    if ctx is not None:
        result.warnings = [redact(w) for w in ctx.warnings]
    for warning in result.warnings:
        reporter.warning(source.name, warning)
    reporter.source_end(result)
    return result


def sync(
    config: SyncConfig,
    *,
    db: str | os.PathLike[str] | None = None,
    names: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    reporter: Reporter | None = None,
    sleep: Callable[[float], None] | None = None,
) -> SyncSummary:
    """Sync the selected sources (all enabled ones by default) into the warehouse at ``db``."""
    target = db_path(db)
    if not exists(target):
        raise WarehouseError(
            _("No warehouse at {target}.").format(target=target),
            _(
                "Create one first (`python -m data init --db PATH`, then declare your teams and "
                "services with `python -m data catalog apply config/catalog.toml`), or build the "
                "demo with `make demo`."
            ),
        )
    report = reporter or NullReporter()
    chosen = config.select(list(names) if names else None)
    end = until or datetime.now(UTC)
    report.run_start([s.name for s in chosen])
    clock = time.monotonic()
    results = [
        run_source(s, config, target, report, since=since, until=end, sleep=sleep) for s in chosen
    ]
    summary = SyncSummary(results, time.monotonic() - clock)
    report.summary(summary)
    return summary
