"""The worker's heartbeat and per-source plan, kept beside the warehouse as a small JSON file.

Why a file and not a table: with the embedded warehouse every write publishes a whole new copy
of it, so a heartbeat every 15 seconds would copy gigabytes a minute. ``<db>.worker.json`` is
replaced atomically (write, fsync, rename), so a reader sees the old or the new status, never
half of one. It holds no secret: source names, times, counts and the already-redacted error
line of a failed run.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from connectors.core.redact import redact
from data.warehouse import sidecar

REPO_ROOT = Path(__file__).resolve().parents[2]
STALE_AFTER_BEATS = 3  # a worker silent for three heartbeats is reported missing


def status_path(db: Path) -> Path:
    """``<warehouse>.worker.json`` (for DuckLake: in the state directory, docs/deploy.md)."""
    return sidecar(db, ".worker.json")


def techpulse_version() -> str:
    """The installed package's version, else the one in pyproject.toml (a source checkout)."""
    try:
        return metadata.version("techpulse")
    except metadata.PackageNotFoundError:
        for line in (REPO_ROOT / "pyproject.toml").read_text().splitlines():
            if line.startswith("version = "):
                return line.split("=", 1)[1].strip().strip('"')
    return "unknown"


@dataclass
class SourcePlan:
    """One source as the worker sees it: its schedule, last run and next run (UTC)."""

    schedule: str
    next_run: datetime
    last_run: datetime | None = None
    last_status: str | None = None  # success or failed
    last_error: str | None = None
    failures_in_row: int = 0
    running: bool = False


@dataclass
class WorkerStatus:
    """Everything the Data sources page and the freshness stamp show about the worker."""

    version: str
    host: str
    pid: int
    started_at: datetime
    last_seen: datetime
    heartbeat_seconds: float
    warn_after_failures: int
    sources: dict[str, SourcePlan] = field(default_factory=dict)
    stopped_at: datetime | None = None

    def is_stale(self, now: datetime) -> bool:
        """Stopped, or silent for longer than three heartbeats (crashed, killed, host down)."""
        silence = timedelta(seconds=self.heartbeat_seconds * STALE_AFTER_BEATS)
        return self.stopped_at is not None or now - self.last_seen > silence

    def failing(self) -> list[str]:
        """Sources that failed at least ``warn_after_failures`` times in a row."""
        return [
            name
            for name, plan in self.sources.items()
            if plan.failures_in_row >= self.warn_after_failures
        ]

    def next_source(self) -> tuple[str, SourcePlan] | None:
        """The source that runs soonest (the one running now, if any)."""
        if not self.sources:
            return None
        return min(self.sources.items(), key=lambda item: (not item[1].running, item[1].next_run))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _moment(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value)).astimezone(UTC)


def write_status(db: Path, status: WorkerStatus) -> None:
    """Replace the status file atomically; the error lines were redacted and are again."""
    target = status_path(db)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    text = redact(json.dumps(_jsonable(asdict(status)), indent=1, sort_keys=True))
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def read_status(db: Path) -> WorkerStatus | None:
    """The last status a worker wrote for ``db``; None when no worker ever ran on it or the
    file cannot be read (a reader never fails because of it)."""
    try:
        raw = json.loads(status_path(db).read_text(encoding="utf-8"))
        sources = {
            name: SourcePlan(
                schedule=str(plan["schedule"]),
                next_run=_moment(plan["next_run"]) or datetime.now(UTC),
                last_run=_moment(plan.get("last_run")),
                last_status=plan.get("last_status"),
                last_error=plan.get("last_error"),
                failures_in_row=int(plan.get("failures_in_row", 0)),
                running=bool(plan.get("running", False)),
            )
            for name, plan in raw.get("sources", {}).items()
        }
        return WorkerStatus(
            version=str(raw["version"]),
            host=str(raw["host"]),
            pid=int(raw["pid"]),
            started_at=_moment(raw["started_at"]) or datetime.now(UTC),
            last_seen=_moment(raw["last_seen"]) or datetime.now(UTC),
            heartbeat_seconds=float(raw["heartbeat_seconds"]),
            warn_after_failures=int(raw.get("warn_after_failures", 3)),
            sources=sources,
            stopped_at=_moment(raw.get("stopped_at")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def host_name() -> str:
    return socket.gethostname()
