"""DuckLake as the warehouse (issue 16): copies both ways, pinned snapshots, the worker, and
clear errors. Catalogs are databases of a real PostgreSQL server (tests/servers/postgres.py).
The full real-data path on DuckLake is tests/test_own_organisation.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from connectors.core.config import load_config
from connectors.worker.loop import Worker
from connectors.worker.status import read_status, status_path
from data.__main__ import main as data_main
from data.maintenance import maintain
from data.warehouse import Reader, WarehouseError, open_reader, write_snapshot
from tests.connectors.test_worker import TOKEN, organisation_catalog, sonar_fake, sonar_table
from tests.connectors.test_worker import sources_file as worker_sources
from tests.servers.postgres import create_database, postgres_server
from tests.servers.warehouse import contents, query


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as dsn:
        yield dsn


@pytest.fixture
def pg_lake(
    postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Path:
    """An empty DuckLake: a new PostgreSQL database as its catalog, files in a temp folder."""
    monkeypatch.setenv("TECHPULSE_DATA_PATH", str(tmp_path / "files"))
    monkeypatch.setenv("TECHPULSE_STATE_DIR", str(tmp_path))
    name = "lake_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:40]
    return Path(f"ducklake:postgres:{create_database(postgres, name)}")


def test_copy_file_to_postgres_lake_and_back_keeps_every_row(
    fixture_db: Path, postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TECHPULSE_DATA_PATH", str(tmp_path / "files"))
    lake = f"ducklake:postgres:{postgres}"
    back = tmp_path / "back.duckdb"
    assert data_main(["copy", "--from", str(fixture_db), "--to", lake]) == 0
    assert data_main(["copy", "--from", lake, "--to", str(back)]) == 0
    original = contents(fixture_db, exclude=())
    for table in ("teams", "services", "deployments", "changes", "incidents", "sync_runs"):
        assert original[table], table  # the fixture fills them: the comparison means something
    assert contents(Path(lake), exclude=()) == original
    assert contents(back, exclude=()) == original
    # a copy never merges into or overwrites a warehouse
    assert data_main(["copy", "--from", str(fixture_db), "--to", lake]) == 2
    assert data_main(["copy", "--from", lake, "--to", str(back)]) == 2
    assert contents(back, exclude=()) == original


def test_a_reader_keeps_its_snapshot_until_the_next_cursor(pg_lake: Path) -> None:
    assert data_main(["init", "--db", str(pg_lake)]) == 0
    assert data_main(["init", "--db", str(pg_lake)]) == 0  # already there: unchanged
    reader = Reader(pg_lake)
    before, first = reader.snapshot_id(), reader.cursor()
    with write_snapshot(pg_lake) as con:
        con.execute("INSERT INTO teams (team_id, name) VALUES ('pay', 'Payments')")
        con.execute("INSERT INTO teams (team_id, name) VALUES ('ops', 'Operations')")
    assert first.execute("SELECT count(*) FROM teams").fetchone() == (0,)  # pinned
    assert reader.snapshot_id() != before
    assert reader.cursor().execute("SELECT count(*) FROM teams").fetchone() == (2,)
    with pytest.raises(RuntimeError, match="boom"), write_snapshot(pg_lake) as con:
        con.execute("DELETE FROM teams")
        raise RuntimeError("boom")  # a failed write commits nothing
    assert query(pg_lake, "SELECT count(*) FROM teams") == [(2,)]


def test_a_pinned_run_reads_one_snapshot_and_other_threads_move_on(pg_lake: Path) -> None:
    """pin() at the top of a page run: that thread's cursors and cache key stay on one snapshot
    while a write commits; a thread that pins afterwards (the next run) sees the write."""
    import threading

    assert data_main(["init", "--db", str(pg_lake)]) == 0
    reader = Reader(pg_lake)
    reader.pin()
    pinned = reader.snapshot_id()
    with write_snapshot(pg_lake) as con:
        con.execute("INSERT INTO teams (team_id, name) VALUES ('pay', 'Payments')")
    assert reader.snapshot_id() == pinned
    assert reader.cursor().execute("SELECT count(*) FROM teams").fetchone() == (0,)
    seen: list[object] = []

    def next_run() -> None:
        reader.pin()
        seen.append(reader.snapshot_id())
        seen.append(reader.cursor().execute("SELECT count(*) FROM teams").fetchone())

    thread = threading.Thread(target=next_run)
    thread.start()
    thread.join()
    assert seen[0] != pinned and seen[1] == (1,)
    assert reader.cursor().execute("SELECT count(*) FROM teams").fetchone() == (0,)  # still
    reader.pin()
    assert reader.cursor().execute("SELECT count(*) FROM teams").fetchone() == (1,)


def test_the_worker_syncs_into_a_lake(
    pg_lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKER_TOKEN", TOKEN)
    organisation_catalog(pg_lake, tmp_path)
    said: list[str] = []
    with sonar_fake().running() as sonar:
        config = load_config(
            worker_sources(
                tmp_path,
                {"sonar": sonar_table(sonar.url, "1s")},
                worker='maintenance = "1s"\nkeep_snapshots = "1s"\n',
            )
        )
        assert Worker(config, pg_lake, out=said.append).run(max_runs=2) == 2
    assert any("maintenance: compacted" in line for line in said), said
    assert query(pg_lake, "SELECT status, count(*) FROM sync_runs GROUP BY 1") == [("success", 2)]
    # two analyses, one per service; the second run found nothing new
    assert query(pg_lake, "SELECT count(*) FROM quality_snapshots") == [(2,)]
    assert status_path(pg_lake) == tmp_path / "techpulse.worker.json"
    status = read_status(pg_lake)
    assert status is not None and status.sources["sonar"].last_status == "success"


def test_clear_errors(pg_lake: Path) -> None:
    with pytest.raises(WarehouseError, match="holds a password") as caught:
        open_reader("ducklake:postgres:dbname=x host=127.0.0.1 password=hunter2")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(WarehouseError, match=r"holds no TechPulse warehouse yet.*data init"):
        open_reader(pg_lake)
    with pytest.raises(WarehouseError, match="cannot be opened"):
        open_reader("ducklake:postgres:dbname=x host=127.0.0.1 port=9 user=x connect_timeout=2")


def test_maintenance_compacts_and_expires_but_keeps_the_data(pg_lake: Path) -> None:
    assert data_main(["init", "--db", str(pg_lake)]) == 0
    for n in range(5):  # five commits: five snapshots, five Parquet files of 2,000 rows each
        with write_snapshot(pg_lake) as con:
            con.execute("INSERT INTO teams (team_id, name) VALUES ($id, $id)", {"id": f"t{n}"})
            con.execute(
                "INSERT INTO sync_cursors (source, stream, cursor_value, updated_at)"
                " SELECT 's', $n || '-' || range, 'v', now() FROM range(2000)",
                {"n": str(n)},
            )
    reader = Reader(pg_lake)
    pinned = reader.cursor()  # on the newest snapshot
    snapshots = query(pg_lake, "SELECT count(*) FROM ducklake_snapshots('warehouse')")[0][0]
    assert maintain(tmp_file := Path("/nonexistent/x.duckdb")) is None  # a file: nothing to do
    assert not tmp_file.exists()
    gentle = maintain(pg_lake)  # the default keeps an hour of snapshots: readers are safe
    assert gentle is not None and gentle.merged_tables >= 1  # five files merged into one
    assert gentle.expired_snapshots == 0 and gentle.removed_files == 0
    assert pinned.execute("SELECT count(*) FROM sync_cursors").fetchone() == (10_000,)
    done = maintain(pg_lake, keep=timedelta(0))
    # every snapshot but the newest (the merge's) expires, and the five files the merge
    # replaced (scheduled for deletion by the first pass) are deleted
    assert done is not None and done.expired_snapshots == snapshots
    assert done.removed_files == 5
    fresh = Reader(pg_lake).cursor()
    assert fresh.execute("SELECT count(*) FROM sync_cursors").fetchone() == (10_000,)
    assert query(pg_lake, "SELECT count(*) FROM ducklake_snapshots('warehouse')") == [(1,)]
    assert query(pg_lake, "SELECT string_agg(team_id, ',' ORDER BY team_id) FROM teams") == [
        ("t0,t1,t2,t3,t4",)
    ]


def test_a_sqlite_catalog_lets_a_reader_keep_its_snapshot_while_a_writer_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite catalogs are put in WAL mode: in SQLite's default mode the reader's open
    transaction and the writer's commit lock each other out ("database is locked")."""
    import sqlite3

    monkeypatch.setenv("TECHPULSE_DATA_PATH", str(tmp_path / "files"))
    catalog = tmp_path / "catalog.sqlite"
    spec = Path(f"ducklake:sqlite:{catalog}")
    with pytest.raises(WarehouseError, match="holds no TechPulse warehouse yet"):
        open_reader(spec)  # read-only cannot create it: the message says what to run
    assert not catalog.exists()
    assert data_main(["init", "--db", str(spec)]) == 0
    with sqlite3.connect(catalog) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    reader = Reader(spec)
    reader.pin()
    before = reader.cursor()
    assert before.execute("SELECT count(*) FROM teams").fetchone() == (0,)
    with write_snapshot(spec) as con:
        con.execute("INSERT INTO teams (team_id, name) VALUES ('pay', 'Payments')")
    assert before.execute("SELECT count(*) FROM teams").fetchone() == (0,)  # its snapshot
    reader.pin()
    assert reader.cursor().execute("SELECT count(*) FROM teams").fetchone() == (1,)
    assert query(spec, "SELECT team_id FROM teams") == [("pay",)]


def test_copy_into_a_new_sqlite_catalog(
    fixture_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`data copy --to ducklake:sqlite:NEW` creates the catalog (it once failed: the target
    check opened the missing file read-only)."""
    monkeypatch.setenv("TECHPULSE_DATA_PATH", str(tmp_path / "files"))
    spec = f"ducklake:sqlite:{tmp_path / 'new.sqlite'}"
    assert data_main(["copy", "--from", str(fixture_db), "--to", spec]) == 0
    assert contents(Path(spec), exclude=()) == contents(fixture_db, exclude=())


def _rows_in_file_order(spec: str, table: str, column: str) -> list[object]:
    """``column`` of ``table``'s rows as they lie in its Parquet files, file by file."""
    con = open_reader(spec)
    try:
        files = [
            str(r[0])
            for r in con.execute(
                f"SELECT data_file FROM ducklake_list_files('warehouse', '{table}')"
            ).fetchall()
        ]
        values: list[object] = []
        for path in files:
            values += [
                r[0]
                for r in con.execute(
                    f"SELECT {column} FROM read_parquet($p, file_row_number = true)"
                    " ORDER BY file_row_number",
                    {"p": path},
                ).fetchall()
            ]
        return values
    finally:
        con.close()


def test_a_lake_keeps_time_series_rows_in_time_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data.lake.layout: a period filter can skip Parquet files and row groups only when rows lie
    in time order. The source holds 3 services x 200 hours written service by service, as a
    backfill writes them (more rows than DuckLake inlines into its catalog)."""
    from data.lake import layout

    monkeypatch.setenv("TECHPULSE_DATA_PATH", str(tmp_path / "files"))
    source = tmp_path / "backfill.duckdb"
    with write_snapshot(source, fresh=True) as con:
        con.execute(
            "INSERT INTO service_level_samples"
            " (service_id, bucket_start, bucket_seconds, requests, errors)"
            " SELECT 'svc-' || s, TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_hours(h), 3600, 10, 0"
            " FROM range(3) t(s), range(200) u(h) ORDER BY s, h"
        )
    stored = [r[0] for r in query(source, "SELECT bucket_start FROM service_level_samples")]
    assert len(stored) == 600 and stored != sorted(stored)  # out of time order, as written
    spec = f"ducklake:sqlite:{tmp_path / 'sorted.sqlite'}"
    assert data_main(["copy", "--from", str(source), "--to", spec]) == 0
    written = _rows_in_file_order(spec, "service_level_samples", "bucket_start")
    assert written == sorted(stored)  # every row, in Parquet, in time order
    days = _rows_in_file_order(spec, "service_level_daily", "day")
    assert len(days) == 3 * 9 and days == sorted(days)  # 200 h = 8 days and 8 h, per service
    con = open_reader(spec)
    try:
        assert layout.declared(con) == layout.SORT_ORDER
    finally:
        con.close()


def test_data_migrate_gives_an_older_lake_its_time_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data.lake import layout

    monkeypatch.setenv("TECHPULSE_DATA_PATH", str(tmp_path / "files"))
    spec = f"ducklake:sqlite:{tmp_path / 'old.sqlite'}"
    with monkeypatch.context() as before_layout:  # a lake made by an earlier TechPulse
        before_layout.setattr(layout, "declare", lambda con, tables=None: [])
        assert data_main(["init", "--db", spec]) == 0
    con = open_reader(spec)
    try:
        assert layout.missing(con) == list(layout.SORT_ORDER)
    finally:
        con.close()
    assert data_main(["migrate", "--db", spec]) == 0
    con = open_reader(spec)
    try:
        assert layout.missing(con) == []
    finally:
        con.close()
    snapshots = query(spec, "SELECT count(*) FROM ducklake_snapshots('warehouse')")
    assert data_main(["migrate", "--db", spec]) == 0  # nothing left to do: no new snapshot
    assert query(spec, "SELECT count(*) FROM ducklake_snapshots('warehouse')") == snapshots


def test_a_reader_reads_a_snapshots_small_tables_from_memory_and_follows_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data.lake.shadow: each pinned snapshot's small tables are copied once into the reader's
    memory (DuckLake looks files up in its catalog on every scan); a later snapshot gets its
    own copies, so new rows still show; tables past the budget stay in the lake."""
    from data.lake import shadow as lake_shadow
    from metrics.core.catalog import table_counts

    monkeypatch.setenv("TECHPULSE_DATA_PATH", str(tmp_path / "files"))
    # teams: 1 row x 6 columns = 6 cells, fits 10; investments: 3 x 8 = 24 cells, does not
    monkeypatch.setattr(lake_shadow, "shadow_budget", lambda con: 10)
    spec = Path(f"ducklake:sqlite:{tmp_path / 'catalog.sqlite'}")
    assert data_main(["init", "--db", str(spec)]) == 0
    with write_snapshot(spec) as con:
        con.execute("INSERT INTO teams (team_id, name) VALUES ('pay', 'Payments')")
        con.execute(
            "INSERT INTO investments (source, external_id, spent_on, category, amount, currency)"
            " SELECT 'csv', 'i' || range, DATE '2026-01-01', 'tooling', 1, 'EUR' FROM range(3)"
        )
    reader = Reader(spec)
    reader.pin()
    cursor = reader.cursor()

    def plan(sql: str) -> str:
        return "\n".join(str(r[1]) for r in cursor.execute(f"EXPLAIN {sql}").fetchall())

    assert cursor.execute("SELECT name FROM teams").fetchall() == [("Payments",)]
    assert "memory" in plan("SELECT * FROM teams")  # a copy in the reader's memory
    assert "memory" not in plan("SELECT * FROM investments")  # 24 cells > 10 - 6: the lake
    assert cursor.execute("SELECT count(*) FROM investments").fetchone() == (3,)
    counts = table_counts(cursor).set_index("table")
    assert counts.loc["teams", "rows"] == 1 and counts.loc["investments", "rows"] == 3
    assert counts.loc["teams", "description"]  # the lake's own table comments, not the copy's
    assert len(counts) == len(query(spec, "SELECT table_name FROM duckdb_tables()"))
    with write_snapshot(spec) as con:
        con.execute("INSERT INTO teams (team_id, name) VALUES ('web', 'Web')")
    assert cursor.execute("SELECT count(*) FROM teams").fetchone() == (1,)  # its snapshot
    reader.pin()
    fresh = reader.cursor()
    assert fresh.execute("SELECT team_id FROM teams ORDER BY 1").fetchall() == [("pay",), ("web",)]


def test_the_shadow_budget_is_a_third_of_the_readers_memory_in_16_byte_cells() -> None:
    """DuckDB shows memory_limit as "488.2 MiB" for 512MB; a third of it at 16 bytes a cell."""
    from data.lake.shadow import memory_bytes, shadow_budget

    assert memory_bytes("2GB") == 2_000_000_000
    assert memory_bytes("488.2 MiB") == 511_914_803  # 511,705,088 + 209,715.2, truncated
    assert memory_bytes("1.5 GiB") == 1_610_612_736
    assert memory_bytes("lots") is None
    con = duckdb.connect(config={"memory_limit": "480MB"})  # DuckDB shows 457.7 MiB
    try:
        assert shadow_budget(con) == int(457.7 * 2**20) // 3 // 16  # 9,998,609 cells
    finally:
        con.close()
