"""The metrics CLI under a closed pipe and on a damaged warehouse: one line, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ARGS = ["scorecard", "--start", "2026-01-01", "--end", "2026-01-14"]


def test_scorecard_into_a_closed_pipe_ends_without_a_traceback(fixture_db: Path) -> None:
    """The reader is gone before the first write (``| head -0``; the interpreter takes far
    longer to start than this close), so the write itself meets the closed pipe."""
    command = [sys.executable, "-m", "metrics", *ARGS, "--db", str(fixture_db)]
    producer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert producer.stdout is not None
    producer.stdout.close()
    _, err = producer.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()
    assert producer.returncode == 0


def test_a_truncated_warehouse_is_one_line_and_exit_2(fixture_db: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "half.duckdb"
    shutil.copy(fixture_db, damaged)
    size = damaged.stat().st_size
    with damaged.open("r+b") as handle:
        handle.truncate(size // 2)
    for args in (ARGS, ["export", "deployments", *ARGS[1:]]):
        done = subprocess.run(
            [sys.executable, "-m", "metrics", *args, "--db", str(damaged)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, (done.returncode, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
        assert "Traceback" not in done.stderr
