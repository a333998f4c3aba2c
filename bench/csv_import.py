"""CSV import at scale: a million deployments validated and imported, against DuckDB's own read.

Issue "CSV import" (target: 1 M rows in ≤ 10 s on the 2-core reference machine). The file is
generated in a temporary folder with realistic cells: offsets and Z, status words, SHAs, URLs,
hotfixes that remediate an earlier row. ``connectors.csv.importer.import_csv`` is timed end to
end (the byte scan, DuckDB parse, every SQL check, the snapshot copy, the upsert, linking,
derived tables, commit and publish), then again on the same file (idempotent: nothing to
write) and on a copy with 1 % bad rows (everything is checked, nothing written). The
baselines, measured in the same run on the same file, are DuckDB's bare ``read_csv`` COUNT(*)
and DuckDB loading the file into a table of text columns.

    python -m bench.csv_import [--rows 1000000] [--services 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from connectors.core.linking import LinkSettings
from connectors.csv.importer import CsvImportError, import_csv
from data.warehouse import write_snapshot

TARGET_SECONDS = 10.0
_ROWS_SQL = """
SELECT 'd-' || i AS external_id,
       'svc-' || lpad(CAST(i % $services AS VARCHAR), 3, '0') AS service_id,
       CASE WHEN i % 10 = 0 THEN 'staging' ELSE 'production' END AS environment,
       strftime(TIMESTAMP '2025-01-01' + to_seconds(i * 29), '%Y-%m-%dT%H:%M:%S')
           || CASE WHEN i % 2 = 0 THEN 'Z' ELSE '+01:00' END AS started_at,
       strftime(TIMESTAMP '2025-01-01' + to_seconds(i * 29 + 300), '%Y-%m-%dT%H:%M:%S')
           || CASE WHEN i % 2 = 0 THEN 'Z' ELSE '+01:00' END AS finished_at,
       CASE WHEN i % 17 = 0 THEN 'failed' WHEN i % 31 = 0 THEN 'canceled' ELSE 'success'
       END AS status,
       md5(CAST(i AS VARCHAR)) || substr(md5(CAST(-i AS VARCHAR)), 1, 8) AS commit_sha,
       'https://ci.example.com/deploy/' || i AS url,
       CASE WHEN i % 50 = 7 THEN 'hotfix' ELSE 'planned' END AS change_type,
       CASE WHEN i % 50 = 7 THEN 'd-' || (i - 1) END AS remediates_external_id
FROM range($rows) AS t(i)
"""


def write_file(path: Path, rows: int, services: int, broken_every: int = 0) -> None:
    """The deployments CSV; every ``broken_every``-th row finishes before it starts."""
    con = duckdb.connect()
    try:
        sql = _ROWS_SQL
        if broken_every:
            sql = (
                "SELECT * REPLACE (CASE WHEN CAST(substr(external_id, 3) AS BIGINT) % "
                f"{broken_every} = 3 THEN '2024-01-01T00:00:00Z' ELSE finished_at END "
                f"AS finished_at) FROM ({_ROWS_SQL})"
            )
        con.execute(
            f"COPY ({sql}) TO '{path}' (HEADER, DELIMITER ',')",
            {"rows": rows, "services": services},
        )
    finally:
        con.close()


def build(db: Path, services: int) -> None:
    with write_snapshot(db, fresh=True) as con:
        con.execute(
            "INSERT INTO teams (team_id, name, cost_centre) VALUES ('bench', 'Bench', NULL)"
        )
        con.execute(
            "INSERT INTO services (service_id, team_id, name) SELECT 'svc-' || "
            "lpad(CAST(i AS VARCHAR), 3, '0'), 'bench', 'svc-' || i FROM range($n) AS t(i)",
            {"n": services},
        )


def duckdb_count(path: Path) -> float:
    con = duckdb.connect()
    try:
        clock = time.perf_counter()
        con.execute(f"SELECT count(*) FROM read_csv('{path}', all_varchar = true)").fetchone()
        return time.perf_counter() - clock
    finally:
        con.close()


def duckdb_load(path: Path) -> float:
    con = duckdb.connect()
    try:
        clock = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', all_varchar = true)")
        return time.perf_counter() - clock
    finally:
        con.close()


def timed_import(path: Path, db: Path) -> tuple[float, str]:
    clock = time.perf_counter()
    try:
        result = import_csv("deployments", path, db=db, linking=LinkSettings())
        outcome = f"{result.new:,} new, {result.changed:,} changed, {result.unchanged:,} same"
    except CsvImportError as exc:
        outcome = f"refused: {exc.total:,} errors, e.g. {exc.lines(1)[0][:60]}"
    return time.perf_counter() - clock, outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.csv_import", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        good, bad = Path(folder) / "deployments.csv", Path(folder) / "broken.csv"
        db = Path(folder) / "warehouse.duckdb"
        write_file(good, args.rows, args.services)
        write_file(bad, args.rows, args.services, broken_every=100)
        build(db, args.services)
        size_mb = good.stat().st_size / 1e6
        count = duckdb_count(good)
        load = duckdb_load(good)
        first, first_outcome = timed_import(good, db)
        again, again_outcome = timed_import(good, db)
        broken, broken_outcome = timed_import(bad, db)
        stored = duckdb.connect(str(db), read_only=True)
        try:
            row = stored.execute("SELECT count(*) FROM deployments").fetchone()
            held = int(row[0]) if row else 0
        finally:
            stored.close()
    assert held == args.rows, f"the warehouse holds {held:,} of {args.rows:,} rows"
    print(
        f"CSV import benchmark: {args.rows:,} deployments ({size_mb:.0f} MB, "
        f"{args.services} services) on this machine"
    )
    print(f"  {'measurement':44} {'seconds':>8} {'x count':>8}  outcome")
    rows = [
        ("DuckDB read_csv COUNT(*) (baseline)", count, ""),
        ("DuckDB read_csv into a text table", load, ""),
        ("import_csv, first import", first, first_outcome),
        ("import_csv, same file again", again, again_outcome),
        ("import_csv, 1 % bad rows", broken, broken_outcome),
    ]
    for label, seconds, outcome in rows:
        print(f"  {label:44} {seconds:8.2f} {seconds / count:8.1f}  {outcome}")
    verdict = "met" if first <= TARGET_SECONDS else "MISSED"
    print(
        f"First import: {args.rows / first:,.0f} rows/s, {first / count:.1f}x DuckDB's bare "
        f"read; target <= {TARGET_SECONDS:.0f} s for {args.rows:,} rows: {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
