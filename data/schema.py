"""Schema versions and migrations.

Migrations are the numbered ``data/migrations/NNN_name.sql`` files, applied in order inside the
caller's transaction. ``schema_migrations`` records which ones ran, so an old warehouse upgrades
in place without losing rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data.constraints import lake_ddl
from data.lake import is_lake_connection, layout
from i18n import N_

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All migrations shipped with this code, in version order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file {path.name} is not named NNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration versions must be 1..n without gaps, got {versions}")
    return found


LATEST_VERSION = len(migrations())


def has_schema_table(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'"
        " AND database_name = current_database()"
        " AND schema_name = 'main'"
    ).fetchone()
    return bool(row and row[0])


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """Schema version of the open warehouse; 0 for an empty database."""
    if not has_schema_table(con):
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


# The bookkeeping table's comments, marked for translation like the migrations' (the data
# dictionary reads them in the reader's language); no quote may appear in them.
MIGRATIONS_TABLE_TEXT = N_("Which schema migrations were applied to this warehouse, and when.")
MIGRATIONS_COLUMN_TEXT = {
    "version": (N_("number"), N_("schema version applied")),
    "name": (N_("text"), N_("migration file name")),
    "applied_at": (N_("UTC timestamp"), N_("when it ran")),
}


def migrate(con: duckdb.DuckDBPyConnection, target: int = LATEST_VERSION) -> list[int]:
    """Apply pending migrations up to ``target``; returns the versions applied.

    Runs in the caller's transaction (the warehouse writer), so a failed migration leaves the
    published warehouse untouched.
    """
    on_lake = is_lake_connection(con)
    key = "" if on_lake else " PRIMARY KEY"  # DuckLake has no constraints (data.constraints)
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS schema_migrations (
               version INTEGER{key},
               name VARCHAR NOT NULL,
               applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"""
    )
    con.execute(f"COMMENT ON TABLE schema_migrations IS '{MIGRATIONS_TABLE_TEXT}'")
    for column, (unit, meaning) in MIGRATIONS_COLUMN_TEXT.items():
        con.execute(f"COMMENT ON COLUMN schema_migrations.{column} IS '{unit} | {meaning}'")
    have = current_version(con)
    applied = []
    for migration in migrations():
        if have < migration.version <= target:
            con.execute(lake_ddl(migration.sql) if on_lake else migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($v, $n)",
                {"v": migration.version, "n": migration.name},
            )
            applied.append(migration.version)
    if on_lake and applied:
        layout.declare(con)  # time order in the Parquet files (data.lake.layout)
    return applied
