"""How a DuckLake warehouse orders the rows in its Parquet files: by time first.

Every KPI reads one period. DuckDB skips a Parquet file or row group whose min/max of the
filtered column lies outside that period, but only when the rows were written in time order.
A backfill and ``data copy`` write them service by service, so without a declared order every
row group spans every date and a quarter's query reads three years of samples. DuckLake keeps
the declared order (``SET SORTED BY``) on every insert, compaction and inlined-data flush.

Measured on the enterprise warehouse (2026-12-08, ``bench.lake_write --catalog sqlite``): the
whole quarter scorecard went from 1.86x the file to 0.90x; against a file whose rows were also
rewritten in time order, 1.34x. The embedded file has no such declaration (DuckDB refuses
``SET SORTED BY`` on its own tables), so this is the lake's alone.
"""

from __future__ import annotations

import duckdb

from data.constraints import quote
from data.lake import CATALOG

# table → its sort key: the column every period filter reads, then the service for ties
SORT_ORDER: dict[str, tuple[str, ...]] = {
    "service_level_samples": ("bucket_start", "service_id"),
    "service_level_daily": ("day", "service_id"),
    "deployments": ("finished_at", "service_id"),
    "deployment_outcomes": ("finished_at",),
    "shipped_changes": ("deployed_at",),
    "changes": ("merged_at",),
    "incidents": ("started_at",),
    "quality_snapshots": ("analysed_at",),
}

_METADATA = f"__ducklake_metadata_{CATALOG}"


def declared(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """Each live table's current sort key, read from the DuckLake catalog's own tables."""
    rows = con.execute(
        f"""SELECT t.table_name, list(e.expression ORDER BY e.sort_key_index)
            FROM {_METADATA}.ducklake_table t
            JOIN {_METADATA}.ducklake_sort_info i
              ON i.table_id = t.table_id AND i.end_snapshot IS NULL
            JOIN {_METADATA}.ducklake_sort_expression e
              ON e.sort_id = i.sort_id AND e.table_id = t.table_id
            WHERE t.end_snapshot IS NULL
            GROUP BY t.table_name"""
    ).fetchall()
    return {str(table): tuple(str(e).strip('"') for e in keys) for table, keys in rows}


def missing(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables whose declared order differs from :data:`SORT_ORDER` (none on a new lake
    after :func:`declare`)."""
    have = declared(con)
    return [table for table, keys in SORT_ORDER.items() if have.get(table) != keys]


def declare(con: duckdb.DuckDBPyConnection, tables: list[str] | None = None) -> list[str]:
    """Set the sort order of ``tables`` (default: every table in :data:`SORT_ORDER`) that
    exists, in the caller's transaction; returns the tables set. Rows already written keep
    their files until compaction rewrites them; new rows are written in order."""
    present = {
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    chosen = [t for t in (list(SORT_ORDER) if tables is None else tables) if t in present]
    for table in chosen:
        keys = ", ".join(quote(c) for c in SORT_ORDER[table])
        con.execute(f"ALTER TABLE {quote(table)} SET SORTED BY ({keys})")
    return chosen
