"""A small sync's cost on each backend: the embedded file against DuckLake on PostgreSQL.

Issue 16: "a small sync's cost must not grow with the warehouse". The write is what an
incremental Prometheus sync of 2,000 service-hours does (one ReplaceWindow per service, through
the connectors' Loader, the daily rollup refresh included), end to end: open the writer, write,
commit or publish. Measured in the same run:

* baseline: the same write into an empty warehouse file (no size to copy);
* file: into a copy of ``--db`` (the snapshot writer copies the whole file, then renames it);
* lake: into a DuckLake holding the same rows (``data copy``), catalog on a local PostgreSQL
  (Debian's package, started here) or, with ``--catalog sqlite``, in a SQLite file (the
  candidate for the embedded default), Parquet files in a temporary folder.

It also times the whole scorecard of a quarter (every KPI with its sparkline) on the file and on
the lake (warm median); ``bench.scorecard --db ducklake:…`` and ``bench.pages`` break it down.

    python -m data.demo --scale demo --db /tmp/demo.duckdb
    python -m bench.lake_write --db /tmp/demo.duckdb [--repeat 3] [--catalog sqlite]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench import app_cursor
from connectors.core.base import ReplaceWindow, Row
from connectors.core.load import Loader
from connectors.sources.prometheus.histogram import COLUMNS
from data.copy import copy_warehouse
from data.derived import Declared
from data.warehouse import init_warehouse, open_reader, write_snapshot
from metrics.core.filters import Filters
from metrics.core.scorecard import scorecard
from metrics.core.targets import load_targets
from tests.servers.postgres import postgres_server

ROWS = 2_000


def next_hours(db: str | Path, rows: int) -> list[ReplaceWindow]:
    """One new hour per service after the newest sample, cycling services up to ``rows``."""
    con = open_reader(db)
    try:
        services = [str(r[0]) for r in con.execute("SELECT service_id FROM services").fetchall()]
        newest = con.execute("SELECT max(bucket_start) FROM service_level_samples").fetchone()
    finally:
        con.close()
    services = services or ["svc"]
    start = newest[0] if newest and newest[0] else dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rng = random.Random(7)
    windows = []
    for n in range(rows):
        service = services[n % len(services)]
        hour = start + dt.timedelta(hours=1 + n // len(services))
        row: Row = {
            "service_id": service,
            "environment": "production",
            "bucket_start": hour,
            "bucket_seconds": 3600,
            "requests": 1000,
            "errors": rng.randrange(0, 5),
        }
        row.update({c: 100 for c in COLUMNS})
        match = {"service_id": service, "environment": "production"}
        end = hour + dt.timedelta(hours=1)
        windows.append(
            ReplaceWindow("service_level_samples", match, "bucket_start", hour, end, [row])
        )
    return windows


def write(db: str | Path, windows: list[ReplaceWindow]) -> float:
    clock = time.perf_counter()
    declared = Declared()  # as a connector run does (connectors.sync.run_source)
    with write_snapshot(db, declared=declared) as con:
        loader = Loader(con, "bench", declared)
        for record in windows:
            loader.apply(record)
        loader.finish()
    return time.perf_counter() - clock


def median_of(repeat: int, run: Callable[[], float]) -> float:
    return statistics.median(run() for _ in range(repeat))


def scorecard_seconds(db: str | Path, repeat: int) -> float:
    con = app_cursor(db)
    targets = load_targets()
    row = con.execute("SELECT max(bucket_start)::DATE FROM service_level_samples").fetchone()
    end = row[0] if row and row[0] else dt.date(2026, 9, 30)
    quarter = Filters(end - dt.timedelta(days=90), end)
    scorecard(con, quarter, targets)

    def once() -> float:
        clock = time.perf_counter()
        scorecard(con, quarter, targets)
        return time.perf_counter() - clock

    try:
        return median_of(repeat, once)
    finally:
        con.close()


@contextlib.contextmanager
def lake_catalog(kind: str, work: Path) -> Iterator[str]:
    """The DuckLake ATTACH string: a PostgreSQL started here, or a SQLite file in ``work``."""
    if kind == "sqlite":
        yield f"ducklake:sqlite:{work / 'catalog.sqlite'}"
        return
    with postgres_server() as dsn:
        yield f"ducklake:postgres:{dsn}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="a built warehouse file (not changed)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--catalog", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="techpulse-bench-"))
    try:
        empty = work / "empty.duckdb"
        init_warehouse(empty)
        copy = work / "copy.duckdb"
        shutil.copyfile(args.db, copy)
        size = copy.stat().st_size
        with lake_catalog(args.catalog, work) as lake:
            os.environ["TECHPULSE_DATA_PATH"] = str(work / "lake-files")
            clock = time.perf_counter()
            copy_warehouse(copy, lake)
            copied = time.perf_counter() - clock
            windows = next_hours(copy, ROWS)
            baseline = median_of(args.repeat, lambda: write(empty, next_hours(empty, ROWS)))
            on_file = median_of(args.repeat, lambda: write(copy, windows))
            on_lake = median_of(args.repeat, lambda: write(lake, windows))
            file_kpis = scorecard_seconds(copy, args.repeat)
            lake_kpis = scorecard_seconds(lake, args.repeat)
        print(f"warehouse {args.db}: {size / 1e6:,.1f} MB; copied into DuckLake in {copied:.1f} s")
        print(f"{ROWS:,}-row incremental write, median of {args.repeat}:")
        print(f"  baseline, empty file   {baseline:7.3f} s")
        print(f"  file (snapshot copy)   {on_file:7.3f} s   {on_file / baseline:5.1f}x baseline")
        label = f"DuckLake on {'SQLite' if args.catalog == 'sqlite' else 'PostgreSQL'}"
        print(f"  {label:<22} {on_lake:7.3f} s   {on_lake / baseline:5.1f}x baseline")
        print("whole scorecard of a quarter (every KPI, sparklines), warm median:")
        print(f"  file {file_kpis * 1000:7.1f} ms   DuckLake {lake_kpis * 1000:7.1f} ms   "
              f"lake/file {lake_kpis / file_kpis:4.2f}x")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
