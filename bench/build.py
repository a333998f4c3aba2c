"""Building the enterprise demo organisation, against a bare DuckDB write of as many rows.

Issue "Performance at enterprise scale", benchmark 6 (target ≤ 5 minutes on 2 cores). The build
runs as `python -m data.demo --scale enterprise` in a child process (wall time, peak RSS of the
child). The floor, measured in the same run, is DuckDB alone writing a table of the same number
of hourly-sample rows and columns from generated values (no Python, no other tables), then
checkpointing it.

    python -m bench.build [--seed 42] [--end 2026-11-25] [--keep PATH]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

TARGET_S = 300.0
SAMPLE_ROWS = 2000 * 3 * 365 * 24  # services x hours in three years
FLOOR_SQL = (
    "CREATE TABLE samples AS SELECT 'svc-' || (i % 2000) AS service_id, 'production' AS env,"
    " TIMESTAMPTZ '2024-01-01 00:00+00' + to_hours(i // 2000) AS bucket_start,"
    " 3600 AS bucket_seconds, "
    + ", ".join(f"CAST(random() * 1000 AS BIGINT) AS c{k}" for k in range(16))
    + ", random() AS cpu, random() AS memory FROM range($n) AS t(i)"
)


def build_seconds(path: Path, seed: int, end: str) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of the enterprise build in a child process."""
    command = [sys.executable, "-m", "data.demo", "--scale", "enterprise", "--seed", str(seed)]
    command += ["--end", end, "--db", str(path)]
    clock = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - clock
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kib / 1024


def floor_seconds(path: Path) -> float:
    clock = time.perf_counter()
    con = duckdb.connect(str(path))
    try:
        con.execute("SET memory_limit = '3GB'")
        con.execute(FLOOR_SQL, {"n": SAMPLE_ROWS})
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return time.perf_counter() - clock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.build", description=__doc__)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", default="2026-11-25", help="last day of the organisation")
    parser.add_argument("--keep", type=Path, help="keep the built warehouse at this path")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.keep.parent if args.keep else None) as folder:
        target = args.keep or Path(folder) / "enterprise.duckdb"
        seconds, peak = build_seconds(target, args.seed, args.end)
        size = target.stat().st_size / 2**20
        floor = floor_seconds(Path(folder) / "floor.duckdb")
    print(f"Build benchmark: enterprise organisation (seed {args.seed}, end {args.end})")
    print(f"  {'measurement':50} {'seconds':>8}")
    print(f"  {'python -m data.demo --scale enterprise':50} {seconds:8.1f}")
    print(f"  {f'floor: DuckDB writes {SAMPLE_ROWS:,} generated sample rows':50} {floor:8.1f}")
    print(
        f"build = {seconds / floor:.1f}x the floor; warehouse {size:,.0f} MiB, build peak RSS "
        f"{peak:,.0f} MiB; target <= {TARGET_S / 60:.0f} min: "
        f"{'met' if seconds <= TARGET_S else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
