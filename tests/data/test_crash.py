"""kill -9 of a writer at 20 random points never damages the warehouse or shows half a write.

A child process runs sync-shaped writes in a loop, exactly as a connector run writes: one
snapshot transaction per run, hourly samples through the connector Loader (window delete,
insert, rollup refresh) and a ``sync_runs`` row naming the generation. The test kills it with
SIGKILL at seeded random moments (during imports, the snapshot copy, the load, the commit or
the publish) and then checks the published warehouse: it opens and validates, every derived
table equals a fresh build, and it holds exactly whole generations (generation G has exactly
G x HOURS samples, never a partial one). The next writer removes the abandoned private copy.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from data.derived import DERIVED, derived_differences, rollup_differences
from data.warehouse import open_reader, write_snapshot
from tests.appserver import REPO

KILLS = 20
HOURS = 48
WRITER = f"""
import datetime as dt, sys
from connectors.core.base import ReplaceWindow
from connectors.core.load import Loader
from data.warehouse import write_snapshot

db = sys.argv[1]
start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
while True:
    with write_snapshot(db) as con:
        generation = con.execute("SELECT count(*) FROM sync_runs").fetchone()[0] + 1
        first = start + dt.timedelta(hours={HOURS} * (generation - 1))
        rows = [
            {{"service_id": "s1", "environment": "production", "bucket_seconds": 3600,
              "bucket_start": first + dt.timedelta(hours=h), "requests": 100, "errors": 1,
              "latency_le_100ms": 99, "latency_le_inf": 1}}
            for h in range({HOURS})
        ]
        loader = Loader(con, "crash")
        loader.apply(ReplaceWindow("service_level_samples", {{"service_id": "s1",
            "environment": "production"}}, "bucket_start", first,
            first + dt.timedelta(hours={HOURS}), rows))
        loader.finish()
        con.execute(
            "INSERT INTO sync_runs (run_id, source, stream, started_at, finished_at, status,"
            " rows_written) VALUES ($id, 'crash', 'service_level_samples', now(), now(),"
            " 'success', $n)", {{"id": f"g{{generation}}", "n": {HOURS}}})
"""


def check(db: Path) -> int:
    """The published warehouse is whole; returns its generation."""
    con = open_reader(db)  # opens, has the latest schema
    try:
        generation = con.execute("SELECT count(*) FROM sync_runs").fetchone()[0]
        samples = con.execute("SELECT count(*) FROM service_level_samples").fetchone()[0]
        assert samples == generation * HOURS, (generation, samples)
        assert rollup_differences(con) == 0
        assert all(derived_differences(con, d) == 0 for d in DERIVED)
        return int(generation)
    finally:
        con.close()


def test_kill_minus_nine_at_random_points_leaves_old_or_new_data(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('t', 'Team', NULL)")
        con.execute("INSERT INTO services (service_id, team_id, name) VALUES ('s1', 't', 'S1')")
    rng = random.Random(20261201)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    generations = [check(db)]
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db)], cwd=REPO, env=env, stderr=subprocess.PIPE
        )
        time.sleep(rng.uniform(0.4, 1.8))  # imports take ~0.4 s; then writes back to back
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        child.send_signal(signal.SIGKILL)
        child.wait()
        generations.append(check(db))
    assert generations == sorted(generations)  # a kill never goes back to older data
    assert generations[-1] > 0, "the writer never got to publish: the test proved nothing"
    # the next writer cleans up the private copies killed ones abandoned (one planted for sure)
    (tmp_path / ".w.duckdb.0123abcd.tmp").write_bytes(b"half a copy")
    with write_snapshot(db):
        pass
    assert list(tmp_path.glob(".w.duckdb.*.tmp*")) == []
    print(f"{KILLS} kills survived; generations seen: {generations}")


def test_readers_never_fail_or_see_half_a_write_while_a_writer_loops(tmp_path: Path) -> None:
    """Another process writes back to back while this one keeps reading every page's data
    through the app's Reader: no lock error, no exception, and always whole generations."""
    import datetime as dt

    from bench.pages import data_functions
    from data.warehouse import Reader
    from metrics.core.filters import Filters
    from metrics.core.targets import load_targets
    from metrics.reports.roi import RoiError

    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('t', 'Team', NULL)")
        con.execute("INSERT INTO services (service_id, team_id, name) VALUES ('s1', 't', 'S1')")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], cwd=REPO, env=env, stderr=subprocess.PIPE
    )
    reader = Reader(db)
    calls = data_functions(Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31)), load_targets())
    seen, reads = set(), 0
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            con = reader.cursor()
            generation = con.execute("SELECT count(*) FROM sync_runs").fetchone()[0]
            samples = con.execute("SELECT count(*) FROM service_level_samples").fetchone()[0]
            assert samples == generation * HOURS, (generation, samples)
            for call in calls.values():
                # RoiError: no deployments to measure ROI on, the page's clear message
                with contextlib.suppress(RoiError):
                    call(con)
            seen.add(generation)
            reads += 1
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
    finally:
        child.kill()
        child.wait()
    assert len(seen) >= 3, f"the reader saw too few snapshots to prove anything: {seen}"
    print(f"{reads} full reads of every page's data across {len(seen)} snapshots")
