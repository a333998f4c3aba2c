"""The always-on sync worker: every enabled source on its own schedule, one run at a time.

* The worker is the warehouse's only scheduled writer (:class:`~connectors.worker.lock.WorkerLock`
  refuses a second one). Each run is :func:`connectors.sync.run_source`: one transaction,
  published whole or not at all.
* A failed run is recorded (``sync_runs``) and the source backs off: the wait doubles with each
  failure in a row, up to ``[worker] max_backoff``; a success resets it. Other sources go on.
* SIGTERM or SIGINT between runs stops at once; during a run it unwinds the run, whose private
  copy is discarded, so the warehouse keeps the previous generation. Nothing is half written.
* A heartbeat thread rewrites the status file (:mod:`connectors.worker.status`) every
  ``[worker] heartbeat``, also while a long run is in flight.
* After each successful run the hooks (:mod:`connectors.worker.hooks`) run.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from connectors.core.config import SourceConfig, SyncConfig
from connectors.core.progress import NullReporter
from connectors.core.redact import redact
from connectors.core.results import SourceResult
from connectors.core.schedule import Schedule, until_text
from connectors.sync import SyncInterrupted, run_source
from connectors.worker.hooks import AfterRun, Hook
from connectors.worker.lock import WorkerLock
from connectors.worker.status import (
    SourcePlan,
    WorkerStatus,
    host_name,
    techpulse_version,
    write_status,
)
from data.maintenance import maintain
from data.warehouse import WarehouseError, WarehouseUnusable, lake_of, open_reader

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class WorkerStopping(SyncInterrupted):
    """Raised in the main thread by SIGTERM/SIGINT during a run, so the run unwinds (its copy
    is discarded). A BaseException, so no ``except Exception`` records it as a failure."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def next_run(schedule: Schedule, end: datetime, failures: int, max_backoff: timedelta) -> datetime:
    """When a source runs next after a run that ended at ``end``.

    After a success (``failures == 0``) or a first failure: the schedule's next moment. After the
    n-th failure in a row: at least 2^(n-1) intervals later, capped at ``max_backoff`` (or one
    interval, if that is longer); a cron source then waits for its next moment after that.
    """
    if failures <= 1:
        return schedule.next_run(end)
    base = schedule.interval_hint()
    delay = min(base * (1 << min(failures - 1, 30)), max(max_backoff, base))
    if schedule.every is not None:
        return end + delay
    return schedule.next_run(end + delay - timedelta(seconds=1))


def last_runs(db: Path, names: Sequence[str]) -> dict[str, tuple[datetime, str, str | None, int]]:
    """Per source: (last finish, last status, last error, failures in a row), from sync_runs,
    so a restarted worker keeps each source's rhythm and backoff."""
    con = open_reader(db)
    try:
        rows = con.execute(
            "SELECT source, finished_at, status, error FROM sync_runs"
            " WHERE list_contains($names, source) AND finished_at IS NOT NULL"
            " ORDER BY source, finished_at DESC",
            {"names": list(names)},
        ).fetchall()
    finally:
        con.close()
    found: dict[str, tuple[datetime, str, str | None, int]] = {}
    counting: dict[str, bool] = {}
    for source, finished, status, error in rows:
        name = str(source)
        if name not in found:
            found[name] = (finished.astimezone(UTC), str(status), error, 0)
            counting[name] = True
        if counting[name]:
            if status == "failed":
                end, last, err, count = found[name]
                found[name] = (end, last, err, count + 1)
            else:
                counting[name] = False
    return found


class Worker:
    """Runs the configured sources forever (or ``max_runs`` runs) against one warehouse."""

    def __init__(
        self,
        config: SyncConfig,
        db: Path,
        *,
        hooks: Sequence[Hook] = (),
        clock: Clock = _utcnow,
        out: Callable[[str], None] | None = None,
    ) -> None:
        self.config, self.db, self.hooks, self.clock = config, db, tuple(hooks), clock
        self.sources = {s.name: s for s in config.select(None)}
        self._out = out or (lambda line: print(line, file=sys.stderr, flush=True))
        self._stop = threading.Event()
        self._in_run = False
        self._signal = "a stop request"
        self._status_lock = threading.Lock()
        self.status: WorkerStatus | None = None
        self._next_upkeep: datetime | None = None  # DuckLake only (data.maintenance)

    # -- stopping -------------------------------------------------------------------------

    def request_stop(self) -> None:
        self._stop.set()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        first = not self._stop.is_set()
        self._signal = signal.Signals(signum).name
        self._stop.set()
        if first and self._in_run:
            raise WorkerStopping(signal.Signals(signum).name)

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    # -- status ---------------------------------------------------------------------------

    def say(self, line: str) -> None:
        self._out(redact(f"{self.clock():%Y-%m-%d %H:%M:%S}Z worker: {line}"))

    def _publish(self, *, stopped: bool = False) -> None:
        with self._status_lock:
            if self.status is None:
                return
            self.status.last_seen = self.clock()
            if stopped:
                self.status.stopped_at = self.status.last_seen
            try:
                write_status(self.db, self.status)
            except OSError as exc:  # a full disk must not stop the syncs; say it once a beat
                log.warning("could not write the worker status: %s", exc.strerror)

    def _heartbeat(self) -> None:
        beat = self.config.worker.heartbeat.total_seconds()
        while not self._stop.wait(beat):
            self._publish()

    def _initial_plans(self) -> dict[str, SourcePlan]:
        now = self.clock()
        history = last_runs(self.db, list(self.sources))
        plans = {}
        for name, source in self.sources.items():
            schedule = self.config.worker.schedule_of(source)
            plan = SourcePlan(schedule=schedule.describe(), next_run=now)
            if name in history:
                end, status, error, failures = history[name]
                plan.last_run, plan.last_status, plan.last_error = end, status, error
                plan.failures_in_row = failures
                due = next_run(schedule, end, failures, self.config.worker.max_backoff)
                plan.next_run = max(now, due)
            plans[name] = plan
        return plans

    # -- running --------------------------------------------------------------------------

    def run(self, *, max_runs: int | None = None) -> int:
        """Take the lock and run until stopped; returns how many source runs finished."""
        if not self.sources:
            raise WarehouseError(
                f"No enabled source in {self.config.path}: the worker has nothing to run.",
                "Add a [sources.NAME] table (see config/sources.example.toml) or enable one.",
            )
        lock = WorkerLock(self.db)
        lock.acquire()
        runs = 0
        beat = threading.Thread(target=self._heartbeat, name="worker-heartbeat", daemon=True)
        try:
            settings = self.config.worker
            self.status = WorkerStatus(
                version=techpulse_version(),
                host=host_name(),
                pid=os.getpid(),
                started_at=self.clock(),
                last_seen=self.clock(),
                heartbeat_seconds=settings.heartbeat.total_seconds(),
                warn_after_failures=settings.warn_after_failures,
                sources=self._initial_plans(),
            )
            self._publish()
            beat.start()
            self.say(
                f"started (TechPulse {self.status.version}, pid {self.status.pid}); "
                + "; ".join(f"{n} {p.schedule}" for n, p in self.status.sources.items())
            )
            if lake_of(self.db) is not None:
                self._next_upkeep = self.clock() + settings.maintenance
            while not self._stop.is_set() and (max_runs is None or runs < max_runs):
                self._upkeep_if_due()
                name, plan = min(self.status.sources.items(), key=lambda item: item[1].next_run)
                wait = (plan.next_run - self.clock()).total_seconds()
                if wait > 0:
                    self._stop.wait(min(wait, settings.heartbeat.total_seconds()))
                    continue
                self._run_one(self.sources[name], plan)
                runs += 1
        except SyncInterrupted as stop:
            del stop  # WorkerStopping, or DuckDB's "Query interrupted" turned into it by sync
            self.say(f"{self._signal} during a run: it was rolled back; the warehouse is as before")
        finally:
            self._stop.set()
            if self.status is not None:
                for plan in self.status.sources.values():
                    plan.running = False
                self._publish(stopped=True)
            lock.release()
        self.say(f"stopped after {runs} run{'s' if runs != 1 else ''}")
        return runs

    def _upkeep_if_due(self) -> None:
        """Compact and expire on a DuckLake warehouse every ``[worker] maintenance``."""
        if self._next_upkeep is None or self.clock() < self._next_upkeep:
            return
        settings = self.config.worker
        try:
            done = maintain(self.db, settings.keep_snapshots)
            if done is not None:
                self.say(done.line())
        except Exception as exc:  # upkeep failing must not stop the syncs
            self.say(f"maintenance failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        self._next_upkeep = self.clock() + settings.maintenance

    def _run_one(self, source: SourceConfig, plan: SourcePlan) -> None:
        plan.running = True
        self._publish()
        self._in_run = True
        try:
            result = self._sync(source)
        finally:
            self._in_run = False
            plan.running = False
        end = self.clock()
        plan.last_run, plan.last_status, plan.last_error = end, result.status, result.error
        plan.failures_in_row = 0 if result.ok else plan.failures_in_row + 1
        schedule = self.config.worker.schedule_of(source)
        plan.next_run = next_run(
            schedule, end, plan.failures_in_row, self.config.worker.max_backoff
        )
        self._publish()
        when = until_text(plan.next_run, end)
        if result.ok:
            self.say(
                f"{source.name}: {result.rows_written:,} rows in {result.seconds:.1f} s; "
                f"next run {when}"
            )
            for warning in result.warnings:
                self.say(f"{source.name}: warning: {warning}")
            self._after_run(result)
        else:
            failures = plan.failures_in_row
            self.say(
                f"{result.error} (failure {failures} in a row; next try {when})"
                if failures > 1
                else f"{result.error} (next try {when})"
            )

    def _sync(self, source: SourceConfig) -> SourceResult:
        try:
            return run_source(
                source,
                self.config,
                self.db,
                NullReporter(),
                since=None,
                until=self.clock(),
                interrupted=self._stop.is_set,
            )
        except WarehouseUnusable as exc:  # damaged or full: fails this run, the worker waits
            result = SourceResult(source=source.name, type=source.type, status="failed")
            result.error = f"{source.name}: {exc.problem} — {exc.fix}"
            return result

    def _after_run(self, result: SourceResult) -> None:
        for hook in self.hooks:
            try:
                hook(AfterRun(self.db, result))
            except Exception as exc:  # a hook never stops the worker
                name = getattr(hook, "__name__", type(hook).__name__)
                self.say(f"hook {name} failed after {result.source}: {type(exc).__name__}: {exc}")
