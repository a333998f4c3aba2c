"""Move a whole warehouse between backends: ``python -m data copy --from A --to B``.

A and B are each a warehouse file or a ``ducklake:`` catalog. The target must be new (no file,
or a catalog without tables): copying never merges into or overwrites data. Rows stream in Arrow
batches, table by table, inside the target's one write transaction, so a failed copy leaves no
half-filled warehouse behind; afterwards every table's row count is compared with the source's.
"""

from __future__ import annotations

import os

import duckdb

from data.constraints import quote
from data.warehouse import WarehouseError, db_path, lake_of, open_reader, write_snapshot

BATCH_ROWS = 100_000
_FIRST = {"teams": 0, "services": 1}  # services.team_id references teams (the one foreign key)


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        " AND schema_name = 'main' ORDER BY table_name"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND table_name = $t ORDER BY column_index",
        {"t": table},
    ).fetchall()
    return [str(r[0]) for r in rows]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()
    return int(row[0]) if row else 0


def _refuse_existing(target: str | os.PathLike[str]) -> None:
    spec = lake_of(target)
    if spec is None:
        path = db_path(target)
        if path.exists():
            raise WarehouseError(
                f"{path} already exists; a copy never overwrites a warehouse.",
                "Copy to a new path, or move the old file away first.",
            )
        return
    try:
        con = open_reader(target)
    except WarehouseError as exc:
        if "holds no TechPulse warehouse" in exc.problem:
            return  # an empty catalog (or one not made yet): the copy creates it
        raise
    try:
        if any(_count(con, t) for t in _tables(con) if t != "schema_migrations"):
            raise WarehouseError(
                f"The DuckLake catalog {spec.label()} already holds a warehouse with rows.",
                "Copy into a new, empty catalog; a copy never merges.",
            )
    finally:
        con.close()


def copy_warehouse(
    source: str | os.PathLike[str], target: str | os.PathLike[str], *, replace: bool = False
) -> dict[str, int]:
    """Copy every row of ``source`` (at the latest schema) into a new ``target``; returns the
    rows per table, checked equal on both sides. ``replace=True`` (the demo builder) lets it
    replace a TechPulse warehouse's rows instead, in the same one transaction."""
    if not replace:
        _refuse_existing(target)
    src = open_reader(source)
    try:
        counts = {t: _count(src, t) for t in _tables(src)}
        if lake_of(target) is None:
            db_path(target).parent.mkdir(parents=True, exist_ok=True)
        with write_snapshot(target, fresh=True) as con:
            for table in sorted(_tables(con), key=lambda t: (t not in _FIRST, _FIRST.get(t, 0))):
                if table not in counts:
                    continue
                columns = ", ".join(quote(c) for c in _columns(con, table))
                con.execute(f"DELETE FROM {quote(table)}")  # schema_migrations: the source's
                batches = src.execute(f"SELECT {columns} FROM {quote(table)}").to_arrow_reader(
                    BATCH_ROWS
                )
                con.register("techpulse_copy_batch", batches)
                try:
                    con.execute(
                        f"INSERT INTO {quote(table)} ({columns})"
                        f" SELECT {columns} FROM techpulse_copy_batch"
                    )
                finally:
                    con.unregister("techpulse_copy_batch")
            copied = {t: _count(con, t) for t in counts if t in _tables(con)}
            if copied != counts:
                differ = sorted(t for t in counts if copied.get(t) != counts[t])
                raise WarehouseError(
                    f"The copy differs from the source in {', '.join(differ)}; nothing was "
                    "written.",
                    "Report this as a TechPulse bug with both warehouses' schema versions.",
                )
    finally:
        src.close()
    return counts
