"""The worker's status on the Data sources page and under the freshness stamp (issue 16).

The status file is written here as a worker writes it, with times relative to now, so each
line can be predicted: a live worker (heartbeat every minute) seen 2 minutes ago whose next
run (github) is in 11 minutes; a worker silent for 12 minutes (three 15-second heartbeats is
the limit); a source failing 3 times in a row (the default warning threshold).
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.worker.status import SourcePlan, WorkerStatus, write_status
from tests.ui.test_app import _real_navigation, run_app  # noqa: F401  (autouse fixture)
from ui.components.worker_status import summary_line

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def unescaped(markdown: str) -> str:
    """The text a reader sees of md_literal's escaped Markdown."""
    return re.sub(r"\\(.)", r"\1", markdown)


def status(
    now: datetime, *, seen: timedelta, failures: int = 0, heartbeat: float = 15
) -> WorkerStatus:
    return WorkerStatus(
        version="0.1.0",
        host="box",
        pid=4242,
        started_at=now - timedelta(hours=1),
        last_seen=now - seen,
        heartbeat_seconds=heartbeat,
        warn_after_failures=3,
        sources={
            "github": SourcePlan("every 15m", now + timedelta(minutes=11, seconds=20),
                                 now - timedelta(minutes=4), "success"),
            "sonar": SourcePlan("cron 0 */6 * * * (UTC)", now + timedelta(hours=3),
                                now - timedelta(hours=1), "failed" if failures else "success",
                                "sonar: 401 Unauthorized from https://sonar/api [**bold**](x)"
                                if failures else None, failures),
        },
    )  # fmt: skip


def test_the_lines_say_when_it_was_seen_and_what_runs_next() -> None:
    live = status(NOW, seen=timedelta(minutes=2), heartbeat=60)
    assert summary_line(live, NOW) == "Worker last seen 2 min ago; next github sync in 11 min."
    silent = status(NOW, seen=timedelta(minutes=12))
    assert summary_line(silent, NOW) == (
        "Worker not seen for 12 min (pid 4242 on box): data is not refreshing."
    )
    assert not status(NOW, seen=timedelta(seconds=44)).is_stale(NOW)
    assert status(NOW, seen=timedelta(seconds=46)).is_stale(NOW)  # 3 × 15 s


@pytest.fixture
def warehouse_copy(fixture_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / fixture_db.name
    shutil.copyfile(fixture_db, db)
    return db


def test_data_sources_page_and_sidebar_show_the_worker(
    warehouse_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_app(warehouse_copy, monkeypatch)
    app.switch_page("pages/data-sources.py").run()
    assert any("No worker has run on this warehouse" in i.value for i in app.info)
    assert not any("Worker" in c.value for c in app.sidebar.caption)

    now = datetime.now(UTC)
    write_status(warehouse_copy, status(now, seen=timedelta(minutes=12), failures=3))
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    warnings = [unescaped(w.value) for w in app.sidebar.warning]
    assert any(w.startswith("Worker not seen for 12 min") for w in warnings), warnings
    assert any(
        "Failing 3 or more times in a row: sonar (3×). See Data sources." in w for w in warnings
    ), warnings
    table = next(t.value for t in app.dataframe if "schedule" in t.value.columns)
    assert list(table["source"]) == ["github", "sonar"]
    assert list(table["failures_in_row"]) == [0, 3]
    assert table["last_error"][1].endswith("[**bold**](x)")  # the text, as the worker stored it

    write_status(warehouse_copy, status(now, seen=timedelta(minutes=2), heartbeat=60))
    app.run()
    captions = [unescaped(c.value) for c in app.sidebar.caption]
    assert any(
        c.startswith("Worker last seen 2 min ago; next github sync in 11 min") for c in captions
    )
    assert not app.sidebar.warning
