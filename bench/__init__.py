"""Benchmarks: ratios against a baseline measured in the same run (see README, Benchmarks)."""

from __future__ import annotations

import os

import duckdb

from data.warehouse import Reader


def app_cursor(db: str | os.PathLike[str] | None) -> duckdb.DuckDBPyConnection:
    """A cursor as a page run gets one: from data.warehouse.Reader, pinned to the newest
    snapshot (on DuckLake, small tables are then read from the reader's memory)."""
    reader = Reader(db)
    reader.pin()
    return reader.cursor()
