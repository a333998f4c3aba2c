"""Apply connector records to an open warehouse transaction.

Values never pass through SQL text: each batch becomes an Arrow table registered with DuckDB
and is inserted with ``INSERT [OR REPLACE] … SELECT``; single values use named parameters.
Identifiers (tables, columns) come from connector code, are checked against the live schema
and quoted. Columns a connector yields that the warehouse does not have yet (a newer
connector, an older schema) are dropped, so a later migration lights them up unchanged.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from connectors.core.base import CursorUpdate, Record, ReplaceWindow, Row, Upsert
from data.constraints import upsert_sql
from data.derived import Declared, refresh_daily_windows, refresh_service_level_daily
from data.lake import is_lake_connection

log = logging.getLogger(__name__)
_VIEW = "techpulse_connector_batch"
_WINDOWS = "techpulse_connector_windows"
ROLLED_UP = "service_level_samples"  # the table data/derived.py rolls up per day
BATCH_ROWS = 1_000_000  # queued window rows written in one statement (~200 MB of Arrow)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Loader:
    """Writes records for one source inside the caller's transaction; counts rows per table."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, source: str, declared: Declared | None = None
    ) -> None:
        self.con = con
        self.declared = declared  # every table written is noted here (see data.derived)
        self._lake = is_lake_connection(con)  # DuckLake: upserts are MERGE (data.constraints)
        self.source = source
        self.rows: Counter[str] = Counter()
        self._columns: dict[str, list[str]] = {}
        self._windows: dict[tuple[str, str], tuple[datetime, datetime]] = {}
        self._refresh_all = False
        self._queued: list[ReplaceWindow] = []
        self._queued_spans: dict[tuple[object, ...], list[tuple[datetime, datetime]]] = {}
        self._queued_rows = 0

    def _touch(self, key: tuple[str, str], start: datetime, end: datetime) -> None:
        """Remember a written window of samples; finish() refreshes the rollup for all of them."""
        if key in self._windows:
            first, last = self._windows[key]
            start, end = min(first, start), max(last, end)
        self._windows[key] = (start, end)

    def finish(self) -> None:
        """Write what is queued and bring the daily rollup in step with every window written."""
        self._flush_windows()
        if self._refresh_all:
            refresh_service_level_daily(self.con)
        else:
            refresh_daily_windows(self.con, self._windows)
        if self.declared is not None:
            self.declared.daily_pending = False  # every written window is refreshed above
        self._windows.clear()
        self._refresh_all = False

    def apply(self, record: Record) -> None:
        if isinstance(record, ReplaceWindow):
            self._queue_window(record)
            return
        self._flush_windows()  # keep the order of records: earlier windows land first
        if isinstance(record, Upsert):
            rows = _dedupe(record.rows, record.key)
            self._insert(record.table, rows, replace=True)
            if record.table == ROLLED_UP:
                for row in rows:
                    moment = row["bucket_start"]
                    assert isinstance(moment, datetime)
                    key = (str(row["service_id"]), str(row.get("environment") or "production"))
                    self._touch(key, moment, moment + timedelta(microseconds=1))
        elif isinstance(record, CursorUpdate):
            now = datetime.now(UTC)
            rows = [
                {"source": self.source, "stream": k, "cursor_value": v, "updated_at": now}
                for k, v in record.values.items()
            ]
            self._insert("sync_cursors", rows, replace=True, count=False)
        else:  # pragma: no cover - the Record union is closed
            raise TypeError(f"unknown record {record!r}")

    def _wrote(self, table: str) -> None:
        if self.declared is not None:
            self.declared.wrote(table)

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            found = self.con.execute(
                "SELECT column_name FROM duckdb_columns()"
                " WHERE table_name = $t AND database_name = current_database()"
                " AND schema_name = 'main' ORDER BY column_index",
                {"t": table},
            ).fetchall()
            if not found:
                raise RuntimeError(f"warehouse has no table {table}")
            self._columns[table] = [str(row[0]) for row in found]
        return self._columns[table]

    def _insert(
        self, table: str, rows: Sequence[Row] | pa.Table, *, replace: bool, count: bool = True
    ) -> None:
        """Insert dict rows, or an Arrow table (the bulk path: no Python work per value)."""
        if len(rows) == 0:
            return
        self._wrote(table)
        known = self.columns(table)
        arrow: Any = rows if isinstance(rows, pa.Table) else None  # pyarrow is untyped
        dicts: Sequence[Row] = [] if arrow is not None else rows
        wanted = set(arrow.column_names) if arrow is not None else {k for r in dicts for k in r}
        dropped = wanted - set(known)
        if dropped:
            log.debug("%s: warehouse has no column %s; dropped", table, sorted(dropped))
        names = [c for c in known if c in wanted]
        if arrow is not None:
            batch = arrow.select(names)
        else:
            batch = pa.table({c: [row.get(c) for row in dicts] for c in names})
        column_list = ", ".join(_quote(c) for c in names)
        self.con.register(_VIEW, batch)
        try:
            if replace:
                self.con.execute(upsert_sql(table, names, _VIEW, lake=self._lake))
            else:
                self.con.execute(
                    f"INSERT INTO {_quote(table)} ({column_list}) SELECT {column_list} FROM {_VIEW}"
                )
        finally:
            self.con.unregister(_VIEW)
        if count:
            self.rows[table] += len(rows)

    def _queue_window(self, record: ReplaceWindow) -> None:
        """Queue a window; consecutive windows of one table are replaced together (one DELETE,
        one INSERT), which is what makes thousands of per-service windows fast."""
        if self._queued and not self._joins_queue(record):
            self._flush_windows()
        self._queued.append(record)
        self._queued_spans.setdefault(tuple(record.match.values()), []).append(
            (record.start, record.end)
        )
        self._queued_rows += len(record.rows)
        if record.table == ROLLED_UP:
            service = record.match.get("service_id")
            environment = record.match.get("environment")
            if service is None or environment is None:
                self._refresh_all = True
            else:
                self._touch((str(service), str(environment)), record.start, record.end)
        if self._queued_rows >= BATCH_ROWS:
            self._flush_windows()

    def _joins_queue(self, record: ReplaceWindow) -> bool:
        first = self._queued[0]
        same_shape = (first.table, tuple(first.match), first.time_column) == (
            record.table,
            tuple(record.match),
            record.time_column,
        )
        # A window overlapping a queued one of the same match must delete the queued rows, as
        # one-at-a-time application would: write the queue first.
        spans = self._queued_spans.get(tuple(record.match.values()), ())
        return same_shape and not any(s < record.end and record.start < e for s, e in spans)

    def _flush_windows(self) -> None:
        if not self._queued:
            return
        queued, self._queued, self._queued_rows = self._queued, [], 0
        self._queued_spans = {}
        first = queued[0]
        known = set(self.columns(first.table))
        for column in (*first.match, first.time_column):
            if column not in known:
                raise RuntimeError(f"{first.table} has no column {column}")
        match = list(first.match)
        windows = pa.table(
            {
                **{f"m{i}": [r.match[c] for r in queued] for i, c in enumerate(match)},
                "w_start": [r.start for r in queued],
                "w_end": [r.end for r in queued],
            }
        )
        time_column = _quote(first.time_column)
        conditions = [f"t.{_quote(c)} = w.m{i}" for i, c in enumerate(match)]
        conditions.append(f"t.{time_column} >= w.w_start AND t.{time_column} < w.w_end")
        self._wrote(first.table)
        self.con.register(_WINDOWS, windows)
        try:
            self.con.execute(
                f"DELETE FROM {_quote(first.table)} AS t USING {_WINDOWS} AS w"
                f" WHERE {' AND '.join(conditions)}"
            )
        finally:
            self.con.unregister(_WINDOWS)
        dict_rows = [row for r in queued if not isinstance(r.rows, pa.Table) for row in r.rows]
        tables = [r.rows for r in queued if isinstance(r.rows, pa.Table) and len(r.rows)]
        self._insert(first.table, dict_rows, replace=False)
        if tables:
            self._insert(
                first.table,
                pa.concat_tables(tables, promote_options="permissive").combine_chunks(),
                replace=False,
            )


def _dedupe(rows: Sequence[Row], key: tuple[str, ...]) -> list[Row]:
    """Last row wins per key: DuckDB refuses one statement that upserts a key twice."""
    unique: dict[tuple[object, ...], Row] = {}
    for row in rows:
        unique[tuple(row.get(k) for k in key)] = row
    return list(unique.values())
