"""The sync worker (issue 16): schedules, backoff, one worker per warehouse, clean stops.

Warehouses here hold no demo row: ``python -m data init``, a catalog of one team and two
services, then only what the SonarQube fake and the real Prometheus serve. Schedules are a few
seconds long so the runs can be watched happen.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.core.config import load_config
from connectors.core.errors import ConfigError
from connectors.core.schedule import Schedule, parse_duration, parse_schedule
from connectors.worker.hooks import AfterRun
from connectors.worker.lock import WorkerAlreadyRunning, WorkerLock
from connectors.worker.loop import Worker, next_run
from connectors.worker.status import read_status, status_path
from data.__main__ import main as data_main
from data.warehouse import Reader, open_reader
from tests.connectors.test_prometheus import history
from tests.servers.prometheus import prometheus_server
from tests.servers.sonar import Analysis, FakeSonar, Project
from tests.servers.warehouse import query

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "worker-test-token"
CATALOG = """
[[teams]]
id = "pay"
name = "Payments"

[[services]]
id = "a1"
name = "A1"
team = "pay"
sonar_project_key = "acme:a1"
prometheus_selector = '{job="a1"}'

[[services]]
id = "b1"
name = "B1"
team = "pay"
sonar_project_key = "acme:b1"
"""
MEASURES = {"lines_to_cover": "100", "uncovered_lines": "20", "conditions_to_cover": "0",
            "uncovered_conditions": "0", "alert_status": "OK"}  # fmt: skip


# -- schedules and backoff, by hand ---------------------------------------------------------

T0 = datetime(2026, 3, 2, 10, 7, 30, tzinfo=UTC)  # a Monday


def test_durations_and_cron_moments() -> None:
    assert parse_duration("15m", "x") == timedelta(minutes=15)
    assert parse_duration("1h30m", "x") == timedelta(minutes=90)
    assert parse_duration("2s", "x") == timedelta(seconds=2)
    with pytest.raises(ConfigError, match="is not a duration"):
        parse_duration("soon", "[sources.x]")
    with pytest.raises(ConfigError, match="out of range"):
        parse_duration("8d", "[sources.x]")
    every = Schedule(every=timedelta(minutes=15))
    assert every.next_run(T0) == datetime(2026, 3, 2, 10, 22, 30, tzinfo=UTC)
    six_hourly = parse_schedule(None, "0 */6 * * *", "x")
    assert six_hourly is not None
    assert six_hourly.next_run(T0) == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert six_hourly.interval_hint() == timedelta(hours=6)
    with pytest.raises(ConfigError, match="five-field cron"):
        parse_schedule(None, "every day", "[sources.x]")
    with pytest.raises(ConfigError, match="both every and cron"):
        parse_schedule("1h", "0 * * * *", "[sources.x]")


def test_backoff_doubles_per_failure_up_to_the_cap() -> None:
    every = Schedule(every=timedelta(minutes=15))
    cap = timedelta(hours=1)
    # failures in a row: 0 → 15 min, 1 → 15 min, 2 → 30, 3 → 60, 4 → 120 capped at 60
    waits = [next_run(every, T0, n, cap) - T0 for n in range(5)]
    assert waits == [timedelta(minutes=m) for m in (15, 15, 30, 60, 60)]
    # a cap shorter than the interval never makes a failing source run more often
    assert next_run(every, T0, 5, timedelta(minutes=5)) - T0 == timedelta(minutes=15)
    hourly = Schedule(cron="0 * * * *")
    # 3 failures: at least 4 hours after 10:07:30 → 14:07:30, then the next whole hour
    assert next_run(hourly, T0, 3, timedelta(hours=6)) == datetime(2026, 3, 2, 15, tzinfo=UTC)


def test_the_sources_file_takes_schedules(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[worker]\nevery = "30m"\nheartbeat = "5s"\nwarn_after_failures = 2\n'
        '[sources.a]\ntype = "sonarqube"\nurl = "http://x"\nevery = "2m"\n'
        '[sources.b]\ntype = "sonarqube"\nurl = "http://x"\ncron = "5 4 * * *"\n'
        '[sources.c]\ntype = "sonarqube"\nurl = "http://x"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    schedules = {s.name: config.worker.schedule_of(s).describe() for s in config.sources}
    assert schedules == {"a": "every 2m", "b": "cron 5 4 * * * (UTC)", "c": "every 30m"}
    assert config.worker.heartbeat == timedelta(seconds=5)
    path.write_text('[worker]\nevery = "often"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[worker\].*'often' is not a duration"):
        load_config(path)


# -- a worker in this process -------------------------------------------------------------------


def organisation(folder: Path) -> Path:
    return organisation_catalog(folder / "org.duckdb", folder)


def organisation_catalog(db: Path, folder: Path) -> Path:
    """``data init`` and the catalog of one team, two services, into the warehouse ``db``."""
    assert data_main(["init", "--db", str(db)]) == 0
    catalog = folder / "catalog.toml"
    catalog.write_text(CATALOG, encoding="utf-8")
    assert data_main(["catalog", "apply", str(catalog), "--db", str(db), "--yes"]) == 0
    return db


def sonar_fake(delay: float = 0.0) -> FakeSonar:
    day = datetime(2026, 1, 3, 9, tzinfo=UTC)
    return FakeSonar(
        [
            Project("acme:a1", [Analysis(day, MEASURES)]),
            Project("acme:b1", [Analysis(day, MEASURES)]),
        ],
        tokens={TOKEN},
        delay=delay,
    )


def sources_file(
    folder: Path, tables: dict[str, str], *, heartbeat: str = "1s", worker: str = ""
) -> Path:
    path = folder / "sources.toml"
    text = f'[settings]\nmax_attempts = 1\n[worker]\nheartbeat = "{heartbeat}"\n{worker}'
    for name, body in tables.items():
        text += f"[sources.{name}]\n{body}\n"
    path.write_text(text, encoding="utf-8")
    return path


def sonar_table(url: str, every: str) -> str:
    return f'type = "sonarqube"\nurl = "{url}"\nauth = "bearer"\ntoken_env = "WORKER_TOKEN"\n' + (
        f'every = "{every}"\n'
    )


def runs(db: Path) -> list[tuple[str, str, datetime, datetime]]:
    rows = query(
        db, "SELECT source, status, started_at, finished_at FROM sync_runs ORDER BY started_at"
    )
    return [(str(s), str(t), a, b) for s, t, a, b in rows]


def test_runs_on_time_and_a_failing_source_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKER_TOKEN", TOKEN)
    db = organisation(tmp_path)
    called: list[AfterRun] = []
    with sonar_fake().running() as sonar:
        config = load_config(
            sources_file(
                tmp_path,
                {
                    "sonar": sonar_table(sonar.url, "2s"),
                    "broken": sonar_table("http://127.0.0.1:9", "1s"),  # port 9: refused
                },
            )
        )

        def failing_hook(_facts: AfterRun) -> None:
            raise RuntimeError("the hook broke")

        worker = Worker(config, db, hooks=[called.append, failing_hook], out=lambda _l: None)
        started = time.monotonic()
        assert worker.run(max_runs=6) == 6
        elapsed = time.monotonic() - started
    seen = runs(db)
    sonar_runs = [r for r in seen if r[0] == "sonar"]
    broken = [r for r in seen if r[0] == "broken"]
    assert all(r[1] == "success" for r in sonar_runs) and len(sonar_runs) >= 2
    assert all(r[1] == "failed" for r in broken) and len(broken) >= 2
    # every 2 s from the end of the previous run, give or take the loop's tick
    for previous, following in itertools.pairwise(sonar_runs):
        gap = (following[2] - previous[3]).total_seconds()
        assert 1.9 <= gap <= 3.5, gap
    # broken backs off: 1 s after its 1st failure, 2 s after its 2nd, 4 s after its 3rd
    for k, (previous, following) in enumerate(itertools.pairwise(broken)):
        gap = (following[2] - previous[3]).total_seconds()
        assert 2**k - 0.1 <= gap <= 2**k + 1.5, (k, gap)
    assert elapsed < 20
    assert [facts.result.source for facts in called] == ["sonar"] * len(sonar_runs)
    status = read_status(db)
    assert status is not None and status.stopped_at is not None
    assert status.sources["broken"].failures_in_row == len(broken)
    assert "127.0.0.1:9" in (status.sources["broken"].last_error or "")
    assert status.sources["sonar"].last_status == "success"
    assert TOKEN not in status_path(db).read_text(encoding="utf-8")


def test_a_restarted_worker_keeps_the_rhythm_and_the_backoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKER_TOKEN", TOKEN)
    db = organisation(tmp_path)
    config = load_config(
        sources_file(tmp_path, {"broken": sonar_table("http://127.0.0.1:9", "10m")})
    )
    Worker(config, db, out=lambda _l: None).run(max_runs=1)
    again = Worker(config, db, out=lambda _l: None)
    plans = again._initial_plans()
    last = runs(db)[-1][3]
    assert plans["broken"].failures_in_row == 1
    assert plans["broken"].next_run == last + timedelta(minutes=10)


def test_a_second_worker_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    first = WorkerLock(db)
    first.acquire()
    try:
        with pytest.raises(WorkerAlreadyRunning, match=r"already running on this warehouse \(pid"):
            WorkerLock(db).acquire()
    finally:
        first.release()
    second = WorkerLock(db)
    second.acquire()  # free again once the first let go
    second.release()


# -- a worker process: real signals, real Prometheus, readers watching --------------------------


@pytest.fixture
def worker_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {**os.environ, "WORKER_TOKEN": TOKEN, "TECHPULSE_SECRETS": "/nonexistent.toml"}
    env["PYTHONPATH"] = str(ROOT)
    yield env


def start_worker(config: Path, db: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "connectors", "worker", "--config", str(config), "--db", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def running_source(db: Path) -> str | None:
    status = read_status(db)
    if status is None:
        return None
    return next((n for n, p in status.sources.items() if p.running), None)


def test_worker_process_with_real_prometheus_readers_see_every_generation(
    tmp_path: Path, worker_env: dict[str, str]
) -> None:
    db = organisation(tmp_path)
    with ExitStack() as stack:
        prom = stack.enter_context(prometheus_server(tmp_path / "prometheus", history()))
        sonar = stack.enter_context(sonar_fake().running())
        config = sources_file(
            tmp_path,
            {"prom": f'type = "prometheus"\nurl = "{prom}"\nevery = "3s"\n',
             "sonar": sonar_table(sonar.url, "3s")},
        )  # fmt: skip
        seen: list[int] = []
        watching = threading.Event()

        def watch() -> None:  # a reader, as the app holds one: each new generation, in order
            reader = Reader(db)
            while not watching.is_set():
                count = reader.cursor().execute("SELECT count(*) FROM sync_runs").fetchone()
                if count and (not seen or seen[-1] != count[0]):
                    seen.append(int(count[0]))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        worker = start_worker(config, db, worker_env)
        try:
            wait_for(lambda: len(runs(db)) >= 6, 40, "six runs")
        finally:
            worker.send_signal(signal.SIGTERM)
            _out, err = worker.communicate(timeout=30)
            watching.set()
            watcher.join()
    assert worker.returncode == 0, err
    done = runs(db)
    assert {r[0] for r in done} == {"prom", "sonar"}
    assert all(r[1] == "success" for r in done), err
    # each generation was seen, one run at a time, none skipped or seen half-made
    assert seen == list(range(seen[0], seen[-1] + 1)), seen
    assert seen[-1] == len(done)
    assert "worker: started" in err and "prom:" in err and "stopped after" in err
    cursors = query(db, "SELECT source, count(*) FROM sync_cursors GROUP BY 1 ORDER BY 1")
    assert [c[0] for c in cursors] == ["prom", "sonar"]


def test_sigterm_mid_run_leaves_the_warehouse_whole_and_a_second_worker_is_refused(
    tmp_path: Path, worker_env: dict[str, str]
) -> None:
    db = organisation(tmp_path)
    with sonar_fake(delay=0.4).running() as sonar:  # a run takes a few seconds
        config = sources_file(tmp_path, {"sonar": sonar_table(sonar.url, "1s")})
        worker = start_worker(config, db, worker_env)
        try:
            wait_for(lambda: running_source(db) == "sonar", 30, "the first run to start")
            second = subprocess.run(
                [sys.executable, "-m", "connectors", "worker", "--config", str(config),
                 "--db", str(db)],
                cwd=ROOT, env=worker_env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert second.returncode == 2
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1, second.stderr
            assert "a worker is already running on this warehouse (pid" in lines[0]
            assert f"pid {worker.pid} " in lines[0]
            before = query(db, "SELECT count(*) FROM sync_runs")
            time.sleep(0.5)  # well inside the run: two of its requests have been answered
            worker.send_signal(signal.SIGTERM)
            _out, err = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
    assert worker.returncode == 0, err
    assert "SIGTERM during a run: it was rolled back" in err
    assert query(db, "SELECT count(*) FROM sync_runs") == before == [(0,)]
    assert query(db, "SELECT count(*) FROM quality_snapshots") == [(0,)]
    open_reader(db).close()  # whole: opens at the latest schema
    assert not list(tmp_path.glob(".org.duckdb.*.tmp*")), "the run's private copy was left"
    status = json.loads(status_path(db).read_text(encoding="utf-8"))
    assert status["stopped_at"] and not status["sources"]["sonar"]["running"]
