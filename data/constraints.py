"""The warehouse's keys, for the backend that cannot declare them.

The embedded warehouse declares primary keys in its migrations, and its writers upsert with
``INSERT OR REPLACE``. DuckLake has no PRIMARY KEY, UNIQUE or REFERENCES constraints, so on a
lake the same migrations run with the constraints removed (:func:`lake_ddl`) and upserts are
``MERGE INTO`` on the keys the migrations declare (:func:`primary_keys`, read from an embedded
in-memory copy of the schema, so there is one source of truth).
"""

from __future__ import annotations

import functools
import re

import duckdb

_TABLE_KEY = re.compile(r",\s*PRIMARY\s+KEY\s*\([^)]*\)", re.IGNORECASE)
_TABLE_UNIQUE = re.compile(r",\s*UNIQUE\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"\s+PRIMARY\s+KEY\b", re.IGNORECASE)
_COLUMN_UNIQUE = re.compile(r"\s+UNIQUE\b", re.IGNORECASE)
_REFERENCES = re.compile(r"\s+REFERENCES\s+\w+\s*\([^)]*\)", re.IGNORECASE)


def lake_ddl(sql: str) -> str:
    """``sql`` without the constraints DuckLake refuses; everything else is kept as written."""
    for pattern in (_TABLE_KEY, _TABLE_UNIQUE, _REFERENCES, _COLUMN_KEY, _COLUMN_UNIQUE):
        sql = pattern.sub("", sql)
    return sql


@functools.cache
def primary_keys() -> dict[str, tuple[str, ...]]:
    """Every table's primary-key columns, as the migrations declare them."""
    from data import schema  # schema imports this module

    con = duckdb.connect(":memory:")
    try:
        schema.migrate(con)
        rows = con.execute(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints()"
            " WHERE constraint_type = 'PRIMARY KEY' AND database_name = current_database()"
        ).fetchall()
    finally:
        con.close()
    return {str(table): tuple(str(c) for c in columns) for table, columns in rows}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def upsert_sql(table: str, columns: list[str], source: str, *, lake: bool) -> str:
    """Insert ``source``'s rows into ``table``, replacing rows with the same key.

    Columns not listed keep their stored values in both forms (``INSERT OR REPLACE`` and
    ``MERGE``'s ``UPDATE SET`` touch only the given columns).
    """
    names = ", ".join(quote(c) for c in columns)
    if not lake:
        return f"INSERT OR REPLACE INTO {quote(table)} ({names}) SELECT {names} FROM {source}"
    keys = primary_keys().get(table)
    if not keys:
        raise ValueError(f"table {table} has no primary key to merge on")
    on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in keys)
    updates = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in columns if c not in keys)
    values = ", ".join(f"s.{quote(c)}" for c in columns)
    matched = f" WHEN MATCHED THEN UPDATE SET {updates}" if updates else ""
    return (
        f"MERGE INTO {quote(table)} AS t USING (SELECT {names} FROM {source}) AS s ON {on}"
        f"{matched} WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values})"
    )
