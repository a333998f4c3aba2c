"""A full disk during an import (issue 13) is a normal failure with its own message, and the
warehouse stays byte for byte as it was. The disk is real: a tmpfs sized to hold the warehouse
but not the writer's private copy of it (or, for the checks, a tiny temporary folder)."""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.__main__ import main
from data.warehouse import write_snapshot
from ui.admin.csv_upload import run_upload

ROWS = "external_id,service_id,environment,started_at,status\n" + "".join(
    f"d-{i},checkout-api,production,2026-01-05T09:00:00Z,success\n" for i in range(3000)
)


@contextlib.contextmanager
def tmpfs(folder: Path, size: int) -> Iterator[Path]:
    """``folder`` as a tmpfs of ``size`` bytes; skipped, with the reason, where mounting fails."""
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs for a real full disk here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def warehouse(path: Path) -> Path:
    with write_snapshot(path, fresh=True) as con:
        con.execute(
            "INSERT INTO teams (team_id, name, cost_centre) VALUES ('payments', 'Payments', NULL)"
        )
        con.execute(
            "INSERT INTO services (service_id, team_id, name) VALUES "
            "('checkout-api', 'payments', 'Checkout')"
        )
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_full_warehouse_disk_is_one_line_and_the_warehouse_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built = warehouse(tmp_path / "built.duckdb")
    size = built.stat().st_size
    with tmpfs(tmp_path / "disk", size + 256 * 1024) as disk:  # room for it, not for a copy
        db = disk / "w.duckdb"
        db.write_bytes(built.read_bytes())
        before = digest(db)
        rows = tmp_path / "deployments.csv"
        rows.write_text(ROWS, encoding="utf-8")
        assert main(["import", "deployments", str(rows), "--db", str(db)]) == 2
        err = capsys.readouterr().err
        assert err == (
            f"error: The disk holding {disk} is full: nothing was written and the warehouse is "
            f"as it was. Free space there (a write needs room for a copy of the warehouse: "
            f"{size / 1e6:,.1f} MB) and run it again.\n"
        )
        assert digest(db) == before
        assert sorted(p.name for p in disk.iterdir()) == ["w.duckdb", "w.duckdb.lock"]


def test_a_full_temporary_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = warehouse(tmp_path / "w.duckdb")
    before = digest(db)
    with tmpfs(tmp_path / "tmp", 64 * 1024) as small:  # the 171 kB upload does not fit
        monkeypatch.setattr(tempfile, "tempdir", str(small))
        outcome = run_upload("deployments", ROWS.encode(), "deployments.csv", db=db)
    assert not outcome.ok
    assert outcome.message == (
        f"The disk holding the temporary folder {small} is full: nothing was written and the "
        "warehouse is as it was. Free space there, or point TMPDIR at a folder with room, and "
        "import again."
    )
    assert digest(db) == before
