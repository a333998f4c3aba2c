"""DuckLake upkeep, run by the worker on a schedule: compact small files, expire old snapshots.

Every DuckLake commit adds a snapshot and, for most writes, a few small Parquet files. Left
alone, reads slow down (more files to open) and the catalog grows. :func:`maintain` merges
adjacent small files, expires snapshots older than ``keep`` and deletes the files that were
scheduled for deletion more than ``keep`` ago (so a file leaves one pass after its last
snapshot). ``keep`` protects readers: an app process pins a snapshot only for one page run, so
one hour (the default) leaves a wide margin. The embedded file needs none of this (each
write publishes a whole, compact copy), so :func:`maintain` returns None for it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from data.lake import CATALOG
from data.warehouse import connect_lake, lake_of


@dataclass(frozen=True)
class Upkeep:
    """What one maintenance pass did."""

    merged_tables: int
    expired_snapshots: int
    removed_files: int
    seconds: float

    def line(self) -> str:
        return (
            f"maintenance: compacted {self.merged_tables} table"
            f"{'s' if self.merged_tables != 1 else ''}, expired {self.expired_snapshots} "
            f"snapshot{'s' if self.expired_snapshots != 1 else ''}, removed "
            f"{self.removed_files} file{'s' if self.removed_files != 1 else ''} in "
            f"{self.seconds:.2f} s"
        )


def maintain(
    target: str | os.PathLike[str] | None, keep: timedelta = timedelta(hours=1)
) -> Upkeep | None:
    """One pass on a DuckLake warehouse; None for the embedded file (nothing to do)."""
    spec = lake_of(target)
    if spec is None:
        return None
    clock = time.perf_counter()
    horizon = datetime.now(UTC) - keep
    con = connect_lake(spec, read_only=False)
    try:
        merged = con.execute(f"CALL ducklake_merge_adjacent_files('{CATALOG}')").fetchall()
        expired = con.execute(
            f"CALL ducklake_expire_snapshots('{CATALOG}', older_than => $t)", {"t": horizon}
        ).fetchall()
        removed = con.execute(
            f"CALL ducklake_cleanup_old_files('{CATALOG}', older_than => $t)", {"t": horizon}
        ).fetchall()
    finally:
        con.close()
    return Upkeep(len(merged), len(expired), len(removed), time.perf_counter() - clock)
