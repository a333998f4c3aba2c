"""Run `python -m connectors sync --progress json` as a child process and follow its events.

The app stays a read-only reader: syncing happens in a separate process that writes a new
warehouse snapshot, and pages never call a source API themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import i18n

REPO = Path(__file__).resolve().parents[2]


@dataclass
class SyncOutcome:
    exit_code: int
    summary: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def run_sync(
    db: Path,
    config: Path | None,
    on_event: Callable[[dict[str, Any]], None],
    sources: list[str] | None = None,
) -> SyncOutcome:
    """Run a sync to completion, calling ``on_event`` for every progress event."""
    command = [sys.executable, "-m", "connectors", "sync", "--progress", "json", "--db", str(db)]
    command += ["--lang", i18n.current()]  # its errors, shown here, in the reader's language
    if config is not None:
        command += ["--config", str(config)]
    for name in sources or []:
        command += ["--source", name]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    summary = None
    assert process.stdout is not None and process.stderr is not None
    for line in process.stdout:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # not a progress event; the CLI's errors go to stderr
        if event.get("event") == "summary":
            summary = event
        on_event(event)
    errors = [line.rstrip() for line in process.stderr if line.strip()]
    return SyncOutcome(process.wait(), summary, errors)
