"""Teams or services from a CSV file: rows added to (or replacing entries of) the catalog the
warehouse already holds, validated as one catalog, applied without retiring anything.

A spreadsheet export is usually partial — one team's services, or the teams alone — so a CSV
never retires what it does not list. The header says which kind it is: a ``team`` column makes
it services. A row replaces its entry; an empty cell clears that field. ``environments`` lists
names separated by ``;`` or ``,`` (quote the cell for commas).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import duckdb

from data.catalog.model import SERVICE_FIELDS, TEAM_FIELDS, Catalog, CatalogError, Problem
from data.catalog.tomlfile import SERVICE_KEYS, TEAM_KEYS, catalog_from_entries
from i18n import _

Entry = dict[str, Any]


def read_rows(path: Path) -> tuple[str, list[tuple[int, Entry]]]:
    """("teams" or "services", [(line, entry)]) with entries keyed as in catalog.toml."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(
            [
                Problem(
                    None,
                    _("cannot read {path} ({exc}); save it as UTF-8").format(path=path, exc=exc),
                )
            ]
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    kind = "services" if "team" in header else "teams"
    keys = SERVICE_KEYS if kind == "services" else TEAM_KEYS
    unknown = [h for h in header if h not in keys]
    if not header or unknown:
        raise CatalogError(
            [Problem(1, _(
"unknown column(s) {value}; {kind} columns are {value2}"
).format(value=', '.join(unknown) or '(none: no header)', kind=kind, value2=', '.join(keys)))]
        )  # fmt: skip
    rows: list[tuple[int, Entry]] = []
    for record in reader:
        line = reader.line_num
        entry: Entry = {}
        for raw_key, value in record.items():
            if raw_key is None or value is None or not value.strip():
                continue
            key = raw_key.strip()
            entry[key] = (
                [e for e in value.replace(";", ",").split(",") if e.strip()]
                if key == "environments"
                else value.strip()
            )
        rows.append((line, entry))
    return kind, rows


def _stored(con: duckdb.DuckDBPyConnection, kind: str) -> list[Entry]:
    """The active catalog entries of the warehouse, keyed as in catalog.toml."""
    if kind == "teams":
        table, fields, keys = "teams", TEAM_FIELDS, TEAM_KEYS
    else:
        table, fields, keys = "services", SERVICE_FIELDS, SERVICE_KEYS
    back = {column: key for key, column in keys.items()}
    rows = con.execute(
        f"SELECT {', '.join(fields)} FROM {table} WHERE retired_on IS NULL ORDER BY 1"
    ).fetchall()
    entries = []
    for row in rows:
        entry = {back[c]: v for c, v in zip(fields, row, strict=True) if v is not None}
        if isinstance(entry.get("environments"), str):
            entry["environments"] = entry["environments"].split(",")
        entries.append(entry)
    return entries


def merged_catalog(con: duckdb.DuckDBPyConnection, path: Path) -> Catalog:
    """The warehouse's catalog with the file's rows added or replacing their entries."""
    kind, rows = read_rows(path)
    teams: list[tuple[int | None, Entry]] = [(None, e) for e in _stored(con, "teams")]
    services: list[tuple[int | None, Entry]] = [(None, e) for e in _stored(con, "services")]
    target = teams if kind == "teams" else services
    given = {str(e.get("id")): (line, e) for line, e in rows}
    target[:] = [(line, e) for line, e in target if str(e.get("id")) not in given]
    target += [(line, e) for line, e in rows]
    return catalog_from_entries(
        [e for _, e in teams], [line for line, _ in teams],
        [e for _, e in services], [line for line, _ in services], [],
    )  # fmt: skip
