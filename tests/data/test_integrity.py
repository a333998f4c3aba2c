"""A damaged warehouse (issue 13): DuckDB's block checksums find a flipped byte when the block is
read, ``python -m data check`` reads every block, and every CLI and the app say so in one line
and leave the file as it was."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.servers.gitrepo import GitRepo, when
from tests.ui.test_app import run_app

HEADERS = 3 * 4096  # DuckDB's file header and two database headers precede block 0
BLOCK = 262144  # the default block size (pragma_database_size reports it)
CHECKSUM = 8  # each block starts with its checksum


def flip_in_table(db: Path, table: str) -> None:
    """Flip one bit in the first data block of ``table`` (past the block's checksum)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        block, offset = con.execute(
            f"SELECT block_id, block_offset FROM pragma_storage_info('{table}')"
            " WHERE block_id >= 0 ORDER BY block_id, block_offset LIMIT 1"
        ).fetchone() or (None, None)
        size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
    finally:
        con.close()
    assert block is not None and size == (BLOCK,)
    where = HEADERS + block * BLOCK + CHECKSUM + offset + 10
    with db.open("r+b") as handle:
        handle.seek(where)
        byte = handle.read(1)
        handle.seek(where)
        handle.write(bytes([byte[0] ^ 0x01]))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def damaged(fixture_db: Path, tmp_path: Path) -> Path:
    db = Path(shutil.copy(fixture_db, tmp_path / "damaged.duckdb"))
    flip_in_table(db, "deployments")
    return db


def test_check_passes_a_whole_warehouse(fixture_db: Path, tmp_path: Path) -> None:
    db = Path(shutil.copy(fixture_db, tmp_path / "whole.duckdb"))
    done = cli("data", "check", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{db}: ") and "every block read and its checksum verified" in (
        done.stdout
    )


def test_check_finds_a_flipped_byte(damaged: Path) -> None:
    done = cli("data", "check", "--db", str(damaged))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    # DuckDB names the damage in its own words: a checksum mismatch or a failed block read
    assert re.match(
        rf"error: The warehouse {re.escape(str(damaged))} cannot be read \((Corrupt database"
        r" file: computed checksum|IO Error: )",
        lines[0],
    ), lines[0]
    assert lines[0].endswith("`python -m data check` reads every block to confirm.")


def test_the_writers_refuse_a_damaged_warehouse_and_keep_it(damaged: Path, tmp_path: Path) -> None:
    before = digest(damaged)
    rows = tmp_path / "deployments.csv"
    rows.write_text(
        "external_id,service_id,environment,started_at,status\n"
        "d-x,a1,production,2026-01-05T09:00:00Z,success\n",
        encoding="utf-8",
    )
    # a repository with one release, so the sync writes deployments (where the damage is)
    repo = GitRepo(tmp_path / "repo")
    repo.commit("first", when(2, 9))
    repo.tag("v1.0.0")
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[sources.repo]\ntype = "git"\npath = "{repo.path}"\nservice_id = "a1"\n'
        '[sources.repo2]\ntype = "git"\npath = "/nowhere"\nservice_id = "a1"\n',
        encoding="utf-8",
    )
    for args in (
        ("connectors", "import", "deployments", str(rows), "--db", str(damaged)),
        ("connectors", "sync", "--config", str(sources), "--db", str(damaged)),
        (
            "metrics",
            "export",
            "deployments",
            "--start",
            "2025-12-18",
            "--end",
            "2025-12-31",
            "--db",
            str(damaged),
        ),
    ):
        done = cli(*args)
        # a sync prints its progress ("repo (git): syncing…", "1/1 repositories") first
        lines = [
            line
            for line in done.stderr.splitlines()
            if "syncing…" not in line and "repositories (" not in line
        ]
        assert (done.returncode, len(lines)) == (2, 1), (args, done.stderr)
        assert re.match(
            rf"error: The warehouse {re.escape(str(damaged))} cannot be read \((Corrupt|IO Error)",
            lines[0],
        ), (args, lines)
    assert digest(damaged) == before


def test_the_app_shows_a_clear_screen_for_a_truncated_warehouse(
    fixture_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Path(shutil.copy(fixture_db, tmp_path / "half.duckdb"))
    with db.open("r+b") as handle:
        handle.truncate(db.stat().st_size // 2)
    app = run_app(db, monkeypatch)
    assert [e.value for e in app.error if "cannot be read" in e.value], [e.value for e in app.error]
    assert any("How to fix it" in i.value for i in app.info)
