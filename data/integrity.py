"""``python -m data check``: read every block of the warehouse, so DuckDB verifies each checksum.

DuckDB stores a checksum with every 256 kB block and verifies it whenever the block is read; a
query only reads the blocks it needs, so a flipped byte in a table no page has asked for yet goes
unnoticed until then. This check hashes every row of every table (``sum(hash(t))`` reads every
column), which reads every block that holds data, and reports the first damage it meets. It does
not cover free blocks (they hold no data) and cannot tell a valid edit from a wrong value: a
change written through DuckDB gets a fresh, correct checksum.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import duckdb

from data.warehouse import damaged_error, db_path, is_damage, lake_of, open_reader, stored_bytes


@dataclass(frozen=True)
class CheckReport:
    tables: int
    rows: int
    megabytes: float
    seconds: float
    lake: bool = False  # DuckLake: every row of every Parquet file decoded (no block checksums)

    def message(self, path: os.PathLike[str] | str) -> str:
        done = (
            "every row of every data file read"
            if self.lake
            else ("every block read and its checksum verified")
        )
        return (
            f"{path}: {self.tables} tables, {self.rows:,} rows, {self.megabytes:,.1f} MB — "
            f"{done} in {self.seconds:.2f} s"
        )


def check(path: str | os.PathLike[str] | None = None) -> CheckReport:
    """Read the whole warehouse; raises :class:`WarehouseError` naming the damage, if any."""
    target = db_path(path)
    clock = time.monotonic()
    con = open_reader(target)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
                " AND schema_name = 'main' ORDER BY 1"
            ).fetchall()
        ]
        rows = 0
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            found = con.execute(f"SELECT count(*), sum(hash(t)) FROM {quoted} AS t").fetchone()
            rows += int(found[0]) if found else 0
    except duckdb.Error as exc:
        if is_damage(exc):
            raise damaged_error(target, exc) from None
        raise
    finally:
        con.close()
    size = stored_bytes(target) / 1e6
    return CheckReport(
        len(names), rows, size, time.monotonic() - clock, lake=lake_of(target) is not None
    )
