"""The seam after a successful source run: later steps (alerts, digests) plug in here.

A hook is any callable taking the run's :class:`AfterRun` facts. The worker calls every hook
after each successful run, in order, once the new data is published, so a hook reads what the
run wrote (through ``metrics``, like a page). A hook that raises is logged and skipped: it never
stops the worker or the next source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connectors.core.results import SourceResult


@dataclass(frozen=True)
class AfterRun:
    """What a hook learns about the run that just published."""

    db: Path
    result: SourceResult


Hook = Callable[[AfterRun], None]
