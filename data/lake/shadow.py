"""A pinned DuckLake snapshot's small tables, held in the reader's memory.

DuckLake asks its catalog database for a table's files and statistics on every scan: measured
on a SQLite catalog, 3–5 ms per table a query names, where the embedded file takes 0.1 ms, and
its Parquet scans run 1.5–2.5x slower than the file's own blocks. Pages join their facts to
teams and services in almost every query, so those lookups, not the scans, made small pages
1.6–2.8x slower on the lake than on the file. A snapshot never changes, so its smaller tables
can be copied once into the reader's own in-memory database and read from there; queries name
tables without a catalog, and the search path finds the copy first.

Which tables: smallest first, while their cells (rows x columns) fit a third of the reader's
memory limit at :data:`BYTES_PER_CELL` each (measured: 650,000 rows of incidents and quality
snapshots hold 135 MB). At enterprise scale and the default 512 MB that is every table but the
hourly samples, their daily rollup, and the four tables of deployments and changes, which stay
in the lake, where their time order lets a period skip whole files and row groups.
"""

from __future__ import annotations

import re

import duckdb

from data.constraints import quote
from data.lake import CATALOG

HOME = "memory"  # the reader's own in-memory database, shared by all its cursors
BYTES_PER_CELL = 16  # measured 14.5 on the enterprise warehouse's incidents and quality snapshots
SHARE_OF_MEMORY = 3  # copies may take a third of the reader's memory limit
_UNITS = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_UNITS |= {"KI": 2**10, "MI": 2**20, "GI": 2**30, "TI": 2**40}
_SIZE = re.compile(r"\s*([\d.]+)\s*([KMGT]I?)?B?\s*", re.IGNORECASE)


def memory_bytes(setting: str) -> int | None:
    """DuckDB's memory_limit setting ("488.2 MiB", "2GB") in bytes; None when unreadable."""
    match = _SIZE.fullmatch(setting)
    if not match:
        return None
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").upper()])


def shadow_budget(con: duckdb.DuckDBPyConnection) -> int:
    """How many cells may be copied: a third of the connection's memory limit."""
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    limit = memory_bytes(str(row[0])) if row else None
    return (limit or 512 * 2**20) // SHARE_OF_MEMORY // BYTES_PER_CELL


def shadow_small_tables(con: duckdb.DuckDBPyConnection, max_cells: int | None = None) -> list[str]:
    """Copy the attached snapshot's tables, smallest first, while their cells fit ``max_cells``
    (default :func:`shadow_budget`), into its in-memory database; returns the tables copied.
    ``con`` must be pinned to one snapshot (``SNAPSHOT_VERSION``), or the copies would fall
    behind the lake."""
    tables = [
        (str(name), int(columns))
        for name, columns in con.execute(
            "SELECT table_name, column_count FROM duckdb_tables() WHERE database_name = $d"
            " AND schema_name = 'main' ORDER BY table_name",
            {"d": CATALOG},
        ).fetchall()
    ]
    if not tables:
        return []
    counts = con.execute(
        " UNION ALL ".join(
            f"SELECT {n} AS n, count(*) FROM {CATALOG}.main.{quote(table)}"
            for n, (table, _columns) in enumerate(tables)
        )
    ).fetchall()
    cells = sorted((int(rows) * tables[int(n)][1], tables[int(n)][0]) for n, rows in counts)
    left = shadow_budget(con) if max_cells is None else max_cells
    small = []
    for size, table in cells:
        if size > left:
            break
        left -= size
        small.append(table)
    for table in small:
        name = quote(table)
        con.execute(f"CREATE TABLE {HOME}.main.{name} AS SELECT * FROM {CATALOG}.main.{name}")
    return sorted(small)


def use_shadows(cursor: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Resolve table names in the copies first, then in the lake."""
    cursor.execute(f"SET search_path = '{HOME}.main,{CATALOG}.main'")
    return cursor
