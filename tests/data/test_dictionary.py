"""docs/data-dictionary.md is generated from the schema and documents every column's unit."""

from __future__ import annotations

import duckdb

from data import dictionary, schema


def test_committed_dictionary_is_current() -> None:
    assert dictionary.OUTPUT.read_text(encoding="utf-8") == dictionary.render(), (
        "run `python -m data.dictionary` and commit docs/data-dictionary.md"
    )


def test_every_column_has_a_unit_and_meaning() -> None:
    con = duckdb.connect(":memory:")
    schema.migrate(con)
    missing = con.execute(
        "SELECT table_name || '.' || column_name FROM duckdb_columns()"
        " WHERE database_name = current_database() AND schema_name = 'main'"
        " AND (comment IS NULL OR comment NOT LIKE '% | %')"
    ).fetchall()
    assert missing == []
    undocumented = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND comment IS NULL"
    )
    assert undocumented.fetchall() == []


def test_readme_definitions_are_generated_from_the_records() -> None:
    from metrics import docs

    text = docs.README.read_text(encoding="utf-8")
    assert docs.updated(text) == text, "run `python -m metrics.docs` and commit README.md"
