"""One read-only warehouse handle per app process, following the published snapshot."""

from __future__ import annotations

import duckdb
import streamlit as st

from data.warehouse import Reader, db_path


@st.cache_resource(show_spinner=False)
def _reader(path: str) -> Reader:
    return Reader(path)


def reader() -> Reader:
    """The process-wide reader of $TECHPULSE_DB (or data/techpulse.duckdb)."""
    return _reader(str(db_path()))


def pin() -> None:
    """Called once at the top of every page run: the run reads one snapshot (DuckLake)."""
    reader().pin()


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the newest snapshot; raises WarehouseError with a fix when it cannot open."""
    return reader().cursor()


def snapshot_id() -> str:
    """Part of every cache key, so cached results expire when a sync publishes new data."""
    return reader().snapshot_id()
