"""The embedded default (issue 16): a DuckLake on one SQLite catalog file in data/, chosen by
measurement over the single warehouse file, whose every write copies it whole. An older
install's data/techpulse.duckdb stays in use until it is moved, and nothing in it is lost."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from data import warehouse
from data.__main__ import main as data_main
from data.demo.builder import main as demo_main
from data.warehouse import db_path, label, lake_of, open_reader, state_dir
from tests.servers.warehouse import query

# the demo organisation at seed 42 ending 2026-11-25 (tests/data/test_demo.py): 4 teams and
# 4 services each, so 16 services
DEMO = ["--scale", "demo", "--seed", "42", "--end", "2026-11-25"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """data/ moved to a temporary folder, with no warehouse named in the environment."""
    catalog = tmp_path / "techpulse.sqlite"
    monkeypatch.setattr(warehouse, "DATA_DIR", tmp_path)
    monkeypatch.setattr(warehouse, "DEFAULT_CATALOG", catalog)
    monkeypatch.setattr(warehouse, "LEGACY_FILE", tmp_path / "techpulse.duckdb")
    for name in ("TECHPULSE_DB", "TECHPULSE_DATA_PATH", "TECHPULSE_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_with_nothing_set_the_warehouse_is_the_duckLake_in_data(data_dir: Path) -> None:
    assert str(db_path()) == f"ducklake:sqlite:{data_dir / 'techpulse.sqlite'}"
    assert lake_of() is not None
    assert state_dir() == data_dir  # the worker's lock and status stay in data/


def test_make_runs_demo_builds_into_the_default_lake_once_and_make_demo_replaces_it(
    data_dir: Path,
) -> None:
    assert demo_main([*DEMO, "--if-missing"]) == 0
    lake = label()
    files = data_dir / "techpulse.sqlite.files"
    assert (data_dir / "techpulse.sqlite").is_file() and any(files.rglob("*.parquet"))
    assert query(lake, "SELECT count(*) FROM services") == [(16,)]
    deployments = query(lake, "SELECT count(*) FROM deployments")
    snapshots = query(lake, "SELECT count(*) FROM ducklake_snapshots('warehouse')")
    assert demo_main([*DEMO, "--if-missing"]) == 0  # already there: nothing written
    assert query(lake, "SELECT count(*) FROM ducklake_snapshots('warehouse')") == snapshots
    assert demo_main(DEMO) == 0  # `make demo`: replaced in one transaction, not added to
    assert query(lake, "SELECT count(*) FROM services") == [(16,)]
    assert query(lake, "SELECT count(*) FROM deployments") == deployments
    assert not list(data_dir.glob(".techpulse-demo-*"))  # the staging file is gone


def test_data_check_reads_every_row_of_the_default_lake(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_main(DEMO) == 0
    capsys.readouterr()
    assert data_main(["check"]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"ducklake:sqlite:{data_dir / 'techpulse.sqlite'}: ")
    assert "every row of every data file read" in said and "checksum" not in said


def test_the_demo_never_replaces_a_catalog_that_is_not_a_techpulse_warehouse(
    data_dir: Path,
) -> None:
    import sqlite3

    with sqlite3.connect(data_dir / "techpulse.sqlite") as foreign:
        foreign.execute("CREATE TABLE invoices (n INTEGER)")
    assert demo_main(DEMO) == 2
    with sqlite3.connect(data_dir / "techpulse.sqlite") as foreign:
        assert foreign.execute("SELECT name FROM sqlite_master").fetchall() == [("invoices",)]


def test_an_older_single_file_stays_in_use_until_moved_and_moves_whole(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = data_dir / "techpulse.duckdb"
    assert demo_main([*DEMO, "--db", str(legacy)]) == 0
    assert db_path() == legacy  # no DuckLake yet: the old file is still the warehouse
    capsys.readouterr()
    assert data_main(["migrate"]) == 0
    hint = capsys.readouterr().out
    assert "every write copies it whole" in hint
    assert f"--to ducklake:sqlite:{data_dir / 'techpulse.sqlite'}" in hint
    assert data_main(["copy", "--from", str(legacy), "--to", warehouse.default_lake()]) == 0
    assert str(db_path()) == warehouse.default_lake()  # the moved copy is used from now on
    old, new = open_reader(legacy), open_reader()
    try:
        for table in ("deployments", "service_level_samples", "sync_runs"):
            sql = f"SELECT count(*), sum(hash(t)) FROM {table} AS t"
            assert old.execute(sql).fetchall() == new.execute(sql).fetchall(), table
    finally:
        old.close()
        new.close()


def test_a_csv_import_into_a_new_sqlite_lake_lands_and_counts(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Your own organisation on the default's form, no demo row: data init, the example
    catalog, four deployments from a CSV file. By hand: checkout-api deploys successfully on
    5, 7 and 8 January (6 January fails), so the week of 5–11 January has 3 successful
    deployments for 1 service: 3.0 per service per week, 3 / 7 = 0.4286 per day."""
    from connectors.__main__ import main as connectors_main
    from metrics.core.definitions import BY_NAME
    from metrics.core.filters import Filters
    from metrics.core.scorecard import records, scorecard
    from metrics.core.targets import load_targets

    lake = f"ducklake:sqlite:{data_dir / 'acme.sqlite'}"
    assert data_main(["init", "--db", lake]) == 0
    example = Path(__file__).resolve().parents[2] / "config" / "catalog.example.toml"
    assert data_main(["catalog", "apply", str(example), "--db", lake, "--yes"]) == 0
    rows = data_dir / "deployments.csv"
    rows.write_text(
        "external_id,service_id,environment,started_at,finished_at,status\n"
        + "".join(
            f"d-{n},checkout-api,production,2026-01-0{n + 4}T09:58:00Z,"
            f"2026-01-0{n + 4}T10:00:00Z,{'failure' if n == 2 else 'success'}\n"
            for n in range(1, 5)
        ),
        encoding="utf-8",
    )
    assert connectors_main(["import", "deployments", str(rows), "--db", lake]) == 0
    assert "4 new" in capsys.readouterr().out
    assert query(lake, "SELECT count(*) FROM sync_runs WHERE source = 'demo'") == [(0,)]
    con = open_reader(lake)
    try:
        kpis = tuple(BY_NAME[k] for k in ("deployment_frequency", "deployments_per_day"))
        card = records(
            scorecard(con, Filters(date(2026, 1, 5), date(2026, 1, 11)), load_targets(), kpis)
        )
    finally:
        con.close()
    values = {r["kpi"]: r["value"] for r in card}
    assert values["deployment_frequency"] == pytest.approx(3.0)
    assert values["deployments_per_day"] == pytest.approx(3 / 7)
