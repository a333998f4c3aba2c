"""docs/data-dictionary.md is generated from the schema and documents every column's unit."""

from __future__ import annotations

import re

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


def test_the_chinese_dictionary_is_current_and_translated() -> None:
    """docs/data-dictionary.zh-CN.md is generated too, and every table description, unit and
    meaning in it is Chinese; column names and types stay as the warehouse spells them."""
    chinese = dictionary.rendered("zh-CN")
    assert dictionary.output("zh-CN").read_text(encoding="utf-8") == chinese, (
        "run `python -m data.dictionary` and commit docs/data-dictionary.zh-CN.md"
    )
    cjk = re.compile(r"[\u4e00-\u9fff]")
    rows = [line for line in chinese.splitlines() if line.startswith("| `")]
    assert len(rows) == len(dictionary.rendered("en").split("\n| `")) - 1
    codes = {"JSON", "URL", "PromQL"}  # units that read the same in Chinese
    english_left = []
    for row in rows:
        column, _type, unit, meaning = (cell.strip() for cell in row.strip("|").split(" | "))
        if not cjk.search(meaning) or not (cjk.search(unit) or unit in codes):
            english_left.append(column)
    assert english_left == []
    assert "| `lead_time_h` | DOUBLE | 小时 | 从首次提交到 deployed_at |" in chinese
    descriptions = [
        line for line in chinese.splitlines() if line and not line.startswith(("|", "#"))
    ]
    assert all(cjk.search(line) for line in descriptions), descriptions[:3]
