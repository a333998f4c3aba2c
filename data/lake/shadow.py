"""A pinned DuckLake snapshot's small tables, held in the reader's memory.

DuckLake asks its catalog database for a table's files and statistics on every scan: measured
on a SQLite catalog, 3–5 ms per table a query names, where the embedded file takes 0.1 ms.
Pages join their facts to teams and services in almost every query, so those lookups, not the
scans, made small pages 1.6–2.8x slower on the lake than on the file. A snapshot never
changes, so its small tables can be copied once into the reader's own in-memory database and
read from there; queries name tables without a catalog, and the search path finds the copy
first. Large tables stay in the lake, where their Parquet statistics skip what a period does
not need.
"""

from __future__ import annotations

import duckdb

from data.constraints import quote
from data.lake import CATALOG

MAX_ROWS = 50_000  # a table this small costs less to copy once than to look up per query
HOME = "memory"  # the reader's own in-memory database, shared by all its cursors


def shadow_small_tables(con: duckdb.DuckDBPyConnection, max_rows: int | None = None) -> list[str]:
    """Copy every table of ``con``'s attached snapshot with at most ``max_rows`` rows
    (default :data:`MAX_ROWS`) into its in-memory database; returns the tables copied.
    ``con`` must be pinned to one snapshot (``SNAPSHOT_VERSION``), or the copies would fall
    behind the lake."""
    tables = [
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = $d"
            " AND schema_name = 'main' ORDER BY table_name",
            {"d": CATALOG},
        ).fetchall()
    ]
    if not tables:
        return []
    counts = con.execute(
        " UNION ALL ".join(
            f"SELECT {n} AS n, count(*) FROM {CATALOG}.main.{quote(table)}"
            for n, table in enumerate(tables)
        )
    ).fetchall()
    limit = MAX_ROWS if max_rows is None else max_rows
    small = [tables[int(n)] for n, rows in counts if int(rows) <= limit]
    for table in small:
        name = quote(table)
        con.execute(f"CREATE TABLE {HOME}.main.{name} AS SELECT * FROM {CATALOG}.main.{name}")
    return small


def use_shadows(cursor: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Resolve table names in the copies first, then in the lake."""
    cursor.execute(f"SET search_path = '{HOME}.main,{CATALOG}.main'")
    return cursor
