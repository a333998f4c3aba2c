"""One worker per warehouse: an exclusive, non-blocking lock on ``<db>.worker.lock``.

The kernel releases the lock when the process ends, however it ends (``kill -9`` included), so
there is never a stale lock to clean up by hand.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from connectors.core.errors import ConnectorError
from data.warehouse import sidecar


class WorkerAlreadyRunning(ConnectorError):
    """Another worker holds this warehouse; two writers would only queue behind each other."""


def lock_path(db: Path) -> Path:
    return sidecar(db, ".worker.lock")


class WorkerLock:
    """Held for the worker's whole life; ``acquire`` refuses at once instead of waiting."""

    def __init__(self, db: Path) -> None:
        self.path = lock_path(db)
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise WorkerAlreadyRunning(
                f"a worker is already running on this warehouse ({holder})",
                "stop it first (it stops cleanly on SIGTERM), or point this one at another "
                "warehouse with --db",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {os.uname().nodename}")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
