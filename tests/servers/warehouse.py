"""Small warehouses for connector tests, and ways to compare them before and after a sync."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from data.warehouse import open_reader, write_snapshot

# service_id, sonar_project_key, prometheus_selector
Service = tuple[str, str | None, str | None]


def build_warehouse(path: Path, services: Sequence[Service], team: str = "t1") -> Path:
    """A fresh warehouse with one team owning ``services``."""
    with write_snapshot(path, fresh=True) as con:
        con.execute(
            "INSERT INTO teams (team_id, name, cost_centre) VALUES ($t, $t, NULL)", {"t": team}
        )
        for service_id, sonar_key, selector in services:
            con.execute(
                "INSERT INTO services (service_id, team_id, name, sonar_project_key,"
                " prometheus_selector) VALUES ($id, $team, $id, $sonar, $selector)",
                {"id": service_id, "team": team, "sonar": sonar_key, "selector": selector},
            )
    return path


def contents(db: Path, exclude: Sequence[str] = ("sync_runs",)) -> dict[str, list[Any]]:
    """Every row of every table (sorted), for "the warehouse is unchanged" assertions."""
    con = open_reader(db)
    try:
        tables = [
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
                " ORDER BY table_name"
            ).fetchall()
        ]
        return {
            t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
            for t in tables
            if t not in exclude
        }
    finally:
        con.close()


def query(db: Path, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    con = open_reader(db)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def sync_runs(db: Path) -> list[tuple[Any, ...]]:
    """(source, status, rows_written, error) of every run, oldest first."""
    return query(
        db, "SELECT source, status, rows_written, error FROM sync_runs ORDER BY started_at"
    )
