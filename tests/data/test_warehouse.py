"""The warehouse: migrations, the snapshot writer, read-only readers and clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from data import schema
from data.__main__ import main as data_main
from data.warehouse import Reader, WarehouseError, open_reader, upgrade, write_snapshot


def make_v1(path: Path) -> None:
    """A warehouse as version 1 of the schema left it, with rows in it."""
    con = duckdb.connect(str(path))
    con.execute("BEGIN")
    schema.migrate(con, target=1)
    con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('t', 'Team', NULL)")
    con.execute("INSERT INTO services (service_id, team_id, name) VALUES ('s', 't', 'S')")
    con.execute(
        "INSERT INTO deployments (source, external_id, service_id, environment, started_at,"
        " finished_at, status) VALUES ('gh', '1', 's', 'production', '2026-01-01 10:00:00+00',"
        " '2026-01-01 10:05:00+00', 'success'), ('gh', '2', 's', 'PRODUCTION',"
        " '2026-01-02 10:00:00+00', '2026-01-02 10:05:00+00', 'failure')"
    )
    con.execute("COMMIT")
    con.close()


def test_fresh_warehouse_has_latest_schema(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db):
        pass
    con = open_reader(db)
    assert schema.current_version(con) == schema.LATEST_VERSION == 9
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {
        "teams",
        "services",
        "deployments",
        "changes",
        "incidents",
        "service_level_samples",
        "service_level_daily",
        "quality_snapshots",
        "investments",
        "annotations",
        "actions",
        "sync_runs",
        "sync_cursors",
        "schema_migrations",
    } <= tables


def test_old_warehouse_upgrades_without_losing_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    make_v1(db)
    with pytest.raises(WarehouseError, match="schema v1; this TechPulse needs v9"):
        open_reader(db)
    assert upgrade(db) == (1, 9)
    con = open_reader(db)
    rows = con.execute(
        "SELECT external_id, status, change_type, remediates_external_id FROM deployments"
        " ORDER BY external_id"
    ).fetchall()
    assert rows == [("1", "success", "planned", None), ("2", "failure", "planned", None)]
    environments = con.execute("SELECT DISTINCT environment FROM deployments").fetchall()
    assert environments == [("production",)]  # v7: PRODUCTION (as DevLake writes it) lowered
    assert con.execute("SELECT count(*) FROM teams").fetchone() == (1,)
    versions = con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    assert versions == [(1,), (2,), (3,), (4,), (5,), (6,), (7,), (8,), (9,)]
    assert upgrade(db) == (9, 9)  # idempotent


def test_migrate_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "old.duckdb"
    make_v1(db)
    assert data_main(["migrate", "--db", str(db)]) == 0
    assert "upgraded schema v1 → v9" in capsys.readouterr().out
    assert data_main(["migrate", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "No warehouse at" in capsys.readouterr().err


def test_reader_keeps_its_snapshot_and_follows_new_ones(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('a', 'A', NULL)")
    reader = Reader(db)
    old_cursor = reader.cursor()
    first_id = reader.snapshot_id()
    with write_snapshot(db) as con:
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('b', 'B', NULL)")
    # A query already holding the old snapshot finishes on it: never half a sync.
    assert old_cursor.execute("SELECT count(*) FROM teams").fetchone() == (1,)
    assert reader.snapshot_id() != first_id
    assert reader.cursor().execute("SELECT count(*) FROM teams").fetchone() == (2,)


def test_readers_and_writer_together_never_lock(tmp_path: Path) -> None:
    """An open read-only reader does not stop a writer from publishing (no lock errors)."""
    db = tmp_path / "w.duckdb"
    with write_snapshot(db):
        pass
    readers = [open_reader(db) for _ in range(3)]
    with write_snapshot(db) as con:
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('a', 'A', NULL)")
    assert all(r.execute("SELECT count(*) FROM teams").fetchone() == (0,) for r in readers)
    assert open_reader(db).execute("SELECT count(*) FROM teams").fetchone() == (1,)


def test_failed_write_leaves_warehouse_intact(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('a', 'A', NULL)")
    before = db.stat().st_ino
    with pytest.raises(RuntimeError), write_snapshot(db) as con:
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('b', 'B', NULL)")
        raise RuntimeError("source failed half-way")
    assert db.stat().st_ino == before
    assert open_reader(db).execute("SELECT team_id FROM teams").fetchall() == [("a",)]
    assert sorted(os.listdir(tmp_path)) == ["w.duckdb", "w.duckdb.lock"]  # no temp left


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "No warehouse at"),
        (lambda p: p.write_text("not a database"), "is not a DuckDB database file"),
        (lambda p: p.write_bytes(b""), "is not a DuckDB database file"),
        (lambda p: p.mkdir(), "is a directory"),
        (
            lambda p: duckdb.connect(str(p)).execute("CREATE TABLE crm (id INT)").close(),
            "is a DuckDB database, not a TechPulse warehouse",
        ),
    ],
    ids=["missing", "text-file", "empty-file", "directory", "foreign-duckdb"],
)
def test_unusable_warehouse_gives_problem_and_fix(tmp_path: Path, make, message: str) -> None:
    db = tmp_path / "x.duckdb"
    make(db)
    with pytest.raises(WarehouseError) as info:
        open_reader(db)
    assert message in str(info.value)
    assert info.value.fix  # always says what to do


def test_writer_refuses_to_overwrite_foreign_database(tmp_path: Path) -> None:
    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE customers AS SELECT 1 AS id")
    con.close()
    with pytest.raises(WarehouseError, match="not a TechPulse warehouse"), write_snapshot(db):
        pass
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM customers").fetchone() == (1,)
    con.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    with write_snapshot(db) as con:
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'future')")
    with pytest.raises(WarehouseError, match="newer than this TechPulse"):
        open_reader(db)
    with pytest.raises(WarehouseError, match="newer than this TechPulse"):
        upgrade(db)


def test_reader_memory_limit_is_applied_and_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db):
        pass
    reader = open_reader(db)
    # the default 512MB: 512 * 10^6 bytes, which DuckDB prints in MiB
    assert reader.execute("SELECT current_setting('memory_limit')").fetchone() == ("488.2 MiB",)
    monkeypatch.setenv("TECHPULSE_READER_MEMORY", "2GB; DROP TABLE teams")
    with pytest.raises(WarehouseError, match=r"TECHPULSE_READER_MEMORY=.* is not a memory size"):
        open_reader(db)
