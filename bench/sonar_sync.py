"""SonarQube sync at scale: 1,000 projects behind a server adding 50 ms to every answer.

Targets (issue "Connectors I"): the first sync finishes in under 30 s, and a re-sync with
nothing new takes under 10 % of the first. Prints the figures and the ratio; exits 1 when a
target is missed.

    python -m bench.sonar_sync [--projects 1000] [--delay 0.05] [--concurrency 16]
                               [--listing admin|read-only]

``--listing read-only`` uses a token without Administer, so projects are listed through
api/components/search (no analysis dates) and every unchanged project costs one request.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from connectors.core.config import load_config
from connectors.core.results import SourceResult
from connectors.sync import sync
from tests.servers.sonar import demo_projects
from tests.servers.warehouse import build_warehouse, query

FIRST_TARGET_SECONDS = 30.0
RATIO_TARGET = 0.10


def _config(path: Path, url: str, concurrency: int) -> Path:
    path.write_text(
        f"""
[sources.sonarqube]
type = "sonarqube"
url = "{url}"
auth = "bearer"
token_env = "BENCH_SONAR_TOKEN"
concurrency = {concurrency}
""",
        encoding="utf-8",
    )
    return path


@contextlib.contextmanager
def _server(projects: int, delay: float, read_only: bool) -> Iterator[str]:
    """The fake server in its own process, so it does not share this process's GIL."""
    argv = [sys.executable, "-m", "tests.servers.sonar", "--projects", str(projects)]
    argv += ["--delay", str(delay), "--token", "bench-token"]
    argv += ["--read-only"] if read_only else []
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise SystemExit(f"fake SonarQube did not start (exit code {process.poll()})")
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _timed(config: Path, db: Path) -> tuple[SourceResult, float]:
    clock = time.perf_counter()
    result = sync(load_config(config), db=db).results[0]
    elapsed = time.perf_counter() - clock
    if not result.ok:
        raise SystemExit(f"sync failed: {result.error}")
    return result, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sonar_sync", description=__doc__)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--listing", choices=("admin", "read-only"), default="admin")
    args = parser.parse_args(argv)
    os.environ["BENCH_SONAR_TOKEN"] = "bench-token"
    os.environ["TECHPULSE_SECRETS"] = "/nonexistent/secrets.toml"
    projects = demo_projects(args.projects)
    server = _server(args.projects, args.delay, args.listing == "read-only")
    with tempfile.TemporaryDirectory() as tmp, server as url:
        db = build_warehouse(
            Path(tmp) / "bench.duckdb",
            [(f"svc-{i:04d}", p.key, None) for i, p in enumerate(projects)],
        )
        config = _config(Path(tmp) / "sources.toml", url, args.concurrency)
        first, first_s = _timed(config, db)
        again, again_s = _timed(config, db)
        stored = query(db, "SELECT count(*) FROM quality_snapshots")[0][0]
    ratio = again_s / first_s
    print(
        f"SonarQube sync: {args.projects} projects, +{args.delay * 1000:.0f} ms per answer, "
        f"{args.concurrency} threads, listing: {args.listing}"
    )
    print(f"  first sync     {first_s:6.2f} s  {first.requests:5d} requests  {stored} rows")
    print(f"  no-change sync {again_s:6.2f} s  {again.requests:5d} requests  0 new rows")
    print(f"  ratio          {ratio:6.1%}  (target < {RATIO_TARGET:.0%})")
    ok = first_s < FIRST_TARGET_SECONDS and ratio < RATIO_TARGET
    verdict = "met" if ok else "MISSED"
    if args.listing == "read-only":
        verdict += " (informative: the targets apply to the admin listing)"
    print(
        f"  targets: first < {FIRST_TARGET_SECONDS:.0f} s and ratio < {RATIO_TARGET:.0%}: {verdict}"
    )
    return 0 if ok or args.listing == "read-only" else 1


if __name__ == "__main__":
    sys.exit(main())
