"""Compare a catalog with the warehouse and apply it: added, changed, retired, returned.

A team or service the file no longer lists is *retired*, not deleted: its row keeps its
history (deployments, incidents, service levels stay attributed to it) and ``retired_on``
records the UTC day. Listing it again brings it back. The write is one snapshot: all of the
catalog or none of it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from data.catalog.model import SERVICE_FIELDS, TEAM_FIELDS, Catalog
from data.warehouse import open_reader, write_snapshot
from i18n import N_, _

Change = tuple[str, Any, Any]  # field, old, new


@dataclass
class Plan:
    """What applying the catalog does, per kind (``teams``, ``services``)."""

    added: dict[str, list[str]] = field(default_factory=lambda: {"teams": [], "services": []})
    changed: dict[str, dict[str, list[Change]]] = field(
        default_factory=lambda: {"teams": {}, "services": {}}
    )
    retired: dict[str, list[str]] = field(default_factory=lambda: {"teams": [], "services": []})
    returned: dict[str, list[str]] = field(default_factory=lambda: {"teams": [], "services": []})
    renamed: dict[str, str] = field(default_factory=dict)  # old service id → new

    @property
    def empty(self) -> bool:
        return not self.renamed and not any(
            v for part in (self.added, self.changed, self.retired, self.returned)
            for v in part.values()
        )  # fmt: skip

    def lines(self) -> list[str]:
        """The diff a reviewer reads before ``--yes``."""
        out = [
            _("  ⇒ service {old} renamed to {new} (its history moves with it)").format(
                old=old, new=new
            )
            for old, new in self.renamed.items()
        ]
        if out:
            out.insert(0, _("renamed: {count}").format(count=len(self.renamed)))
        for kind in ("teams", "services"):
            what = _(KIND_NOUN[kind])
            out.append(
                _(KIND_SUMMARY[kind]).format(
                    added=len(self.added[kind]),
                    changed=len(self.changed[kind]),
                    retired=len(self.retired[kind]),
                    returned=len(self.returned[kind]),
                )
            )
            out += [f"  + {what} {i}" for i in self.added[kind]]
            for ident, changes in self.changed[kind].items():
                shown = "; ".join(f"{f}: {_show(old)} → {_show(new)}" for f, old, new in changes)
                out.append(f"  ~ {what} {ident}: {shown}")
            out += [
                _("  - {what} {id} (retired; its history stays)").format(what=what, id=i)
                for i in self.retired[kind]
            ]
            out += [
                _("  ↺ {what} {id} (listed again: no longer retired)").format(what=what, id=i)
                for i in self.returned[kind]
            ]
        return out


KIND_NOUN = {"teams": N_("team"), "services": N_("service")}
KIND_SUMMARY = {
    "teams": N_("teams: {added} added, {changed} changed, {retired} retired, {returned} returned"),
    "services": N_(
        "services: {added} added, {changed} changed, {retired} retired, {returned} returned"
    ),
}


def _show(value: Any) -> str:
    return _("(none)") if value is None else repr(value)


def _current(
    con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    rows = con.execute(f"SELECT {', '.join(columns)}, retired_on FROM {table}").fetchall()
    return {r[0]: dict(zip((*columns, "retired_on"), r, strict=True)) for r in rows} if rows else {}


def _service_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """The services as warehouse rows (``renamed_from`` is an instruction, not a column)."""
    return [{k: v for k, v in asdict(s).items() if k in SERVICE_FIELDS} for s in catalog.services]


def plan(con: duckdb.DuckDBPyConnection, catalog: Catalog, *, retire: bool = True) -> Plan:
    """The changes applying ``catalog`` to the warehouse behind ``con`` would make. A rename is
    planned as if it had happened: the new id then compares with the old id's row."""
    result = Plan()
    known = {r[0] for r in con.execute("SELECT service_id FROM services").fetchall()}
    for service in catalog.services:
        previous = service.renamed_from
        if previous is not None and previous in known and service.service_id not in known:
            result.renamed[previous] = service.service_id
    for kind, table, columns, entries in (
        ("teams", "teams", TEAM_FIELDS, [asdict(t) for t in catalog.teams]),
        ("services", "services", SERVICE_FIELDS, _service_rows(catalog)),
    ):
        stored = _current(con, table, columns)
        if kind == "services":
            for previous, new in result.renamed.items():
                stored[new] = {**stored.pop(previous), "service_id": new}
        listed = {e[columns[0]] for e in entries}
        for entry in entries:
            ident = entry[columns[0]]
            old = stored.get(ident)
            if old is None:
                result.added[kind].append(ident)
                continue
            changes = [(c, old[c], entry[c]) for c in columns[1:] if old[c] != entry[c]]
            if changes:
                result.changed[kind][ident] = changes
            if old["retired_on"] is not None:
                result.returned[kind].append(ident)
        result.retired[kind] = sorted(
            i
            for i, row in stored.items()
            if retire and i not in listed and row["retired_on"] is None
        )
    return result


def preview(
    catalog: Catalog, db: str | os.PathLike[str] | None = None, *, retire: bool = True
) -> Plan:
    """The plan against the published warehouse, without writing (the dry run)."""
    con = open_reader(db)
    try:
        return plan(con, catalog, retire=retire)
    finally:
        con.close()


def apply(
    catalog: Catalog,
    db: str | os.PathLike[str] | None = None,
    today: dt.date | None = None,
    *,
    retire: bool = True,
) -> Plan:
    """Write ``catalog`` in one snapshot; returns what changed. ``retire=False`` (a partial
    source such as a CSV) retires nothing the catalog does not list."""
    day = today or dt.datetime.now(dt.UTC).date()
    with write_snapshot(db) as con:
        result = plan(con, catalog, retire=retire)
        for old, new in result.renamed.items():
            rename_service(con, old, new)
        _write(con, "teams", TEAM_FIELDS, [asdict(t) for t in catalog.teams], result, day)
        _write(con, "services", SERVICE_FIELDS, _service_rows(catalog), result, day)
    return result


def rename_service(con: duckdb.DuckDBPyConnection, old: str, new: str) -> None:
    """Move every row of ``old`` to ``new``: facts, derived tables, service annotations and
    cursors (the writer rebuilds derived tables from the moved facts before commit)."""
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_columns() WHERE column_name = 'service_id'"
            " AND schema_name = 'main' AND database_name = current_database()"
            " AND table_name <> 'services' ORDER BY 1"
        ).fetchall()
    ]
    con.execute(
        "UPDATE services SET service_id = $new WHERE service_id = $old", {"old": old, "new": new}
    )
    for table in tables:  # names from the catalog of the warehouse itself
        con.execute(
            f'UPDATE "{table}" SET service_id = $new WHERE service_id = $old',
            {"old": old, "new": new},
        )
    con.execute(
        "UPDATE annotations SET scope_id = $new WHERE scope = 'service' AND scope_id = $old",
        {"old": old, "new": new},
    )
    con.execute(
        "UPDATE sync_cursors SET stream = replace(stream, $from, $to)"
        " WHERE contains(stream, $from)",
        {"from": f"/{old}/", "to": f"/{new}/"},
    )


def _write(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...],
           entries: list[dict[str, Any]], result: Plan, day: dt.date) -> None:  # fmt: skip
    key = columns[0]
    added = set(result.added[table])
    for entry in entries:
        ident = entry[key]
        if ident in added:
            names = ", ".join(columns)
            marks = ", ".join(f"${c}" for c in columns)
            con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", entry)
        elif ident in result.changed[table] or ident in result.returned[table]:
            sets = ", ".join(f"{c} = ${c}" for c in columns[1:])
            con.execute(f"UPDATE {table} SET {sets}, retired_on = NULL WHERE {key} = ${key}", entry)
    for ident in result.retired[table]:
        con.execute(
            f"UPDATE {table} SET retired_on = $day WHERE {key} = $id", {"day": day, "id": ident}
        )
