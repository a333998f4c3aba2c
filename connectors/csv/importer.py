"""CSV import: deployments, changes, incidents, investments, annotations and quality snapshots.

``python -m connectors import KIND FILE`` and the Data sources page call :func:`import_csv`.
The columns of each kind are in connectors/csv/columns.py (and docs/csv-import.md).

All or nothing, in three steps; nothing is written unless every row passes:

1. **Bytes** — connectors/csv/read.py checks the encoding and the quoting with NumPy and knows
   the physical line on which every record starts (header = line 1, right with multi-line
   quoted fields).
2. **Values** — DuckDB parses the records (``read_csv``, every column as text) into a temporary
   table next to a read-only view of the warehouse, positionally joined to those line numbers.
   Every check is one SQL query over the whole table returning ``(line, message)`` rows: types,
   required cells, choices (normalised by the same functions connectors use), order of times,
   duplicate keys, and references (services, teams, deployments of the same source). No Python
   runs per row, which is what makes a million rows take seconds.
3. **Write** — in one :func:`data.warehouse.write_snapshot` transaction: the references are
   checked again (the warehouse may have changed meanwhile), rows that are new or differ from
   the stored ones are upserted on the natural key (``source`` + the kind's key; annotations:
   ``annotation_id``), :func:`connectors.core.linking.link` links changes and incidents to
   deployments, and a ``sync_runs`` row records the import. Re-importing a file writes no data
   row (only its ``sync_runs`` row).

``source`` is never read from the file: it is the ``source`` argument (``csv`` by default), so
rows of several tools can be imported side by side and each file's rows replace only its own.
Linking uses the ``[linking]`` table of the sources file when there is one (the sync links
with the same settings, and the linker re-links every row it owns), else the defaults.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tempfile
import time
import uuid
import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors.core.config import config_path, load_config
from connectors.core.errors import ConnectorError
from connectors.core.linking import (
    LinkSettings,
    LinkTotals,
    link,
    link_totals,
    links_line,
    unmatched_warning,
)
from connectors.csv.checks import (
    collect,
    create_choice_maps,
    create_macros,
    create_typed,
    duplicate_check,
    ident,
    lit,
    one_line,
    reference_checks,
    row_checks,
)
from connectors.csv.columns import KINDS, Kind
from connectors.csv.read import Problem, Scan, scan
from data.constraints import upsert_sql
from data.lake import is_lake_connection
from data.warehouse import (
    WarehouseError,
    db_path,
    exists,
    is_disk_full,
    open_reader,
    write_snapshot,
)
from i18n import _

SOURCE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_FILE_BYTES = 2 * 1024**3
SHOWN_ERRORS = 20  # what the CLI prints before "and N more"


class CsvImportError(Exception):
    """The file cannot be imported; ``errors`` are one line each, ``total`` counts all."""

    def __init__(self, errors: Sequence[Problem], total: int | None = None) -> None:
        self.errors = list(errors)
        self.total = max(total or 0, len(self.errors))
        super().__init__(str(self.errors[0]) if self.errors else "import failed")

    def lines(self, limit: int = SHOWN_ERRORS) -> list[str]:
        """The first ``limit`` errors, one line each, then "and N more" if there are more."""
        shown = [one_line(str(e)) for e in self.errors[:limit]]
        if self.total > len(shown):
            shown.append(_("and {count} more").format(count=f"{self.total - len(shown):,}"))
        return shown


@dataclass
class ImportResult:
    kind: str
    table: str
    source: str
    rows: int  # data rows in the file
    new: int = 0
    changed: int = 0
    seconds: float = 0.0
    run_id: str | None = None  # None when nothing was recorded (a header-only file)
    warnings: list[str] = field(default_factory=list)
    linked: LinkTotals | None = None  # the warehouse's links after this import

    @property
    def links(self) -> str | None:
        """One line: how many changes and incidents the warehouse holds linked, now."""
        return links_line(self.linked) if self.linked is not None else None

    @property
    def unchanged(self) -> int:
        return self.rows - self.new - self.changed

    @property
    def written(self) -> int:
        return self.new + self.changed

    def message(self) -> str:
        if self.rows == 0:
            return _("the file has a header but no rows: nothing was imported into {table}").format(
                table=self.table
            )
        return _(
            "imported {rows} {kind} rows into {table} (source {source}): {new} new, "
            "{changed} changed, {unchanged} unchanged in {seconds} s"
        ).format(
            rows=f"{self.rows:,}",
            kind=self.kind,
            table=self.table,
            source=self.source,
            new=f"{self.new:,}",
            changed=f"{self.changed:,}",
            unchanged=f"{self.unchanged:,}",
            seconds=f"{self.seconds:.1f}",
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": True,
            "kind": self.kind,
            "table": self.table,
            "source": self.source,
            "rows": self.rows,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "seconds": round(self.seconds, 3),
            "run_id": self.run_id,
            "warnings": list(self.warnings),
            "linked": None
            if self.linked is None
            else {
                "changes": self.linked.changes,
                "changes_linked": self.linked.changes_linked,
                "incidents": self.linked.incidents,
                "incidents_linked": self.linked.incidents_linked,
            },
        }


def _fail(message: str, line: int | None = None) -> CsvImportError:
    return CsvImportError([Problem(line, message)])


# --- arguments and the file -------------------------------------------------------------------


def kind_spec(kind: str) -> Kind:
    spec = KINDS.get(kind.strip().lower())
    if spec is None:
        close = difflib.get_close_matches(kind.strip().lower(), list(KINDS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise _fail(
            _("unknown kind {kind}{hint}; use one of {value}").format(
                kind=repr(kind), hint=hint, value=", ".join(KINDS)
            )
        )
    return spec


def _check_source(source: str) -> str:
    if not SOURCE_PATTERN.fullmatch(source or ""):
        raise _fail(
            _(
                "source {value} is not a valid name; use letters, digits, '.', '_' or "
                "'-' (up to 64 characters), e.g. csv or jira-export"
            ).format(value=repr(source[:40]))
        )
    return source


def _check_timezone(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    name = name.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise _fail(
            _(
                "time zone {value} is unknown; use an IANA name such as UTC, "
                "Europe/Berlin or America/New_York"
            ).format(value=repr(name[:40]))
        ) from None
    return name


def _read(file: bytes | str | os.PathLike[str]) -> tuple[bytes, Path | None]:
    if isinstance(file, bytes | bytearray | memoryview):
        return bytes(file), None
    path = Path(file)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise _fail(_("{path} is a directory, not a CSV file").format(path=path))
        if size > MAX_FILE_BYTES:
            raise _fail(
                _("{path} is {value} GB; import at most 2 GB at a time (split it)").format(
                    path=path, value=f"{size / 1024**3:.1f}"
                )
            )
        return path.read_bytes(), path
    except FileNotFoundError:
        raise _fail(_("{path}: no such file").format(path=path)) from None
    except PermissionError:
        raise _fail(_("{path} cannot be read (permission denied)").format(path=path)) from None
    except OSError as exc:
        raise _fail(
            _("{path} cannot be read ({value})").format(path=path, value=exc.strerror or exc)
        ) from None
    except (ValueError, UnicodeError):  # a NUL byte or a lone surrogate in the path
        raise _fail(_("{value} is not a usable file name").format(value=ascii(str(file)))) from None


def check_header(spec: Kind, names: Sequence[str], line: int = 1) -> list[Problem]:
    """Unknown, duplicate, empty and missing columns (names match ignoring case and spaces)."""
    problems: list[Problem] = []
    known = [c.name for c in spec.columns]
    seen: dict[str, int] = {}
    for position, raw in enumerate(names, start=1):
        name = raw.strip().lower()
        if not name:
            problems.append(
                Problem(line, _("column {position} has no name").format(position=position))
            )
        elif name in seen:
            problems.append(
                Problem(
                    line,
                    _("column {name} appears twice (columns {value} and {position})").format(
                        name=name, value=seen[name], position=position
                    ),
                )
            )
        elif name == "source" and spec.has_source:
            problems.append(
                Problem(
                    line,
                    _(
                        "column source is not read from the file: it is set with --source "
                        "(default csv); remove the column"
                    ),
                )
            )
        elif name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(
                Problem(
                    line,
                    _("unknown column {one_line}{hint}; {name} columns are {value}").format(
                        one_line=repr(one_line(raw, 60)),
                        hint=hint,
                        name=spec.name,
                        value=", ".join(known),
                    ),
                )
            )
        if name:
            seen.setdefault(name, position)
    missing = [c for c in spec.required if c not in seen]
    if missing:
        problems.append(
            Problem(line, _("missing required column(s): {value}").format(value=", ".join(missing)))
        )
    return problems


# --- staging: DuckDB parses, SQL checks -------------------------------------------------------


@contextmanager
def _workspace() -> Iterator[Path]:
    """A private temporary folder for the checks; a full disk there is a normal failure."""
    with tempfile.TemporaryDirectory(prefix="techpulse-csv-") as folder:
        yield Path(folder)


def _stage(
    con: duckdb.DuckDBPyConnection, spec: Kind, found: Scan, path: Path, names: list[str]
) -> None:
    """``csv_rows``: line + one trimmed text column ``r_<name>`` per column of the kind."""
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
    limit = max(2 * 1024 * 1024, found.longest + 1024)
    index = {name.strip().lower(): i for i, name in enumerate(names)}
    raw = []
    for column in spec.columns:
        i = index.get(column.name)
        value = f"nullif(trim(c{i}), '')" if i is not None else "NULL::VARCHAR"
        raw.append(f"{value} AS {ident('r_' + column.name)}")
    lines = pa.table({"line": pa.array(found.lines, type=pa.int64())})
    con.register("csv_lines", lines)
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE csv_parsed AS
                SELECT l.line, r.present, {", ".join(raw)}
                FROM (SELECT true AS present, * FROM read_csv({lit(str(path))},
                        header = true, auto_detect = false, columns = {{{columns}}},
                        delim = ',', quote = '"', escape = '"', new_line = '\\n',
                        strict_mode = true, null_padding = false, encoding = 'utf-8',
                        max_line_size = {limit}, parallel = {str(not found.multiline).lower()})
                     ) AS r
                POSITIONAL JOIN csv_lines AS l"""
        )
    except duckdb.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise _fail(
            _("the file could not be parsed as CSV ({one_line})").format(
                one_line=one_line(first, 200)
            )
        ) from None
    finally:
        con.unregister("csv_lines")
    row = con.execute(
        "SELECT count(*) FILTER (WHERE line IS NULL), count(*) FILTER (WHERE present IS NULL)"
        " FROM csv_parsed"
    ).fetchone()
    if row and (row[0] or row[1]):
        raise _fail(
            _(
                "the file could not be read consistently ({rows} records found, DuckDB "
                "read a different number); this is a TechPulse bug: please report it "
                "with the file"
            ).format(rows=f"{found.rows:,}")
        )


def _output_columns(spec: Kind) -> list[str]:
    columns = (["source"] if spec.has_source else []) + [c.name for c in spec.columns]
    return columns + list(spec.extras)


def _batch_sql(spec: Kind, source: str) -> str:
    parts = ["line"]
    if spec.has_source:
        parts.append(f"{lit(source)} AS source")
    parts += [ident(c.name) for c in spec.columns]
    parts += [
        f"{sql.format(source=lit(source))} AS {ident(name)}" for name, sql in spec.extras.items()
    ]
    return f"SELECT {', '.join(parts)} FROM csv_typed ORDER BY line"


def _validate(
    db: Path,
    spec: Kind,
    found: Scan,
    path: Path,
    source: str,
    timezone: str | None,
    folder: Path,
) -> pa.Table:
    """Parse and check the whole file; the rows to write (with their line) or CsvImportError."""
    con = open_reader(db)
    try:
        con.execute("RESET memory_limit")  # the app reader's cap is for dashboards, not this
        con.execute(f"SET temp_directory = {lit(str(folder))}")
        con.execute("SET preserve_insertion_order = true")  # the positional join needs it
        if timezone is not None:
            known = con.execute(
                "SELECT count(*) FROM pg_timezone_names() WHERE name = $tz", {"tz": timezone}
            ).fetchone()
            if not known or not known[0]:
                raise _fail(
                    _("time zone {timezone} is unknown to DuckDB; use an IANA name").format(
                        timezone=repr(timezone)
                    )
                )
        create_macros(con)
        _stage(con, spec, found, path, found.header)
        create_choice_maps(con, spec)
        create_typed(con, spec, timezone)
        queries = [row_checks(spec, timezone), duplicate_check(spec)]
        queries += reference_checks(con, spec, source)
        problems, total = collect(con, queries)
        if problems:
            raise CsvImportError(problems, total)
        return con.sql(_batch_sql(spec, source)).to_arrow_table()
    finally:
        con.close()


# --- writing ----------------------------------------------------------------------------------


def _changed_sql(spec: Kind) -> str:
    grouped = {name for names in spec.compare for name in names}
    keys = set(spec.key) | {"source"}
    plain = [
        f"t.{ident(c)} IS DISTINCT FROM b.{ident(c)}"
        for c in _output_columns(spec)
        if c not in keys and c not in grouped
    ]
    return " OR ".join(plain + [f"({sql})" for sql in spec.compare.values()])


def _upsert(con: duckdb.DuckDBPyConnection, spec: Kind) -> tuple[int, int]:
    """Write the rows of csv_typed that are new or differ from the stored ones; (new, changed).

    Changed rows are replaced first (INSERT OR REPLACE), then new ones are inserted with a
    plain INSERT, which DuckDB does faster; unchanged rows are not written at all."""
    keys = (["source"] if spec.has_source else []) + list(spec.key)
    join = " AND ".join(f"t.{ident(k)} = b.{ident(k)}" for k in keys)
    table = ident(spec.table)
    names = _output_columns(spec)
    columns = ", ".join(ident(c) for c in names)
    picked = ", ".join(f"b.{ident(c)}" for c in names)
    condition = _changed_sql(spec)  # empty when every column is part of the key
    differing = (
        f"(SELECT {picked} FROM csv_typed AS b JOIN {table} AS t ON {join} WHERE {condition})"
    )
    changed = (
        con.execute(
            upsert_sql(spec.table, names, differing, lake=is_lake_connection(con))
        ).fetchone()
        if condition
        else None
    )
    new = con.execute(
        f"INSERT INTO {table} ({columns}) SELECT {picked} FROM csv_typed AS b"
        f" WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {join})"
    ).fetchone()
    return (int(new[0]) if new else 0), (int(changed[0]) if changed else 0)


def _record_run(
    con: duckdb.DuckDBPyConnection,
    result: ImportResult,
    started: datetime,
    file_name: str | None,
) -> None:
    details = {
        "type": "csv",
        "kind": result.kind,
        "file": file_name,
        "rows": {result.table: result.written},
        "rows_in_file": result.rows,
        "new": result.new,
        "changed": result.changed,
        "unchanged": result.unchanged,
        "warnings": result.warnings,
    }
    con.execute(
        "INSERT INTO sync_runs (run_id, source, stream, started_at, finished_at, status,"
        " rows_written, error, details) VALUES ($run_id, $source, $stream, $started,"
        " $finished, 'success', $rows, NULL, $details)",
        {
            "run_id": result.run_id,
            "source": result.source,
            "stream": result.kind,
            "started": started,
            "finished": datetime.now(UTC),
            "rows": result.written,
            "details": json.dumps(details),
        },
    )


def linking_settings() -> tuple[LinkSettings, str | None]:
    """The sources file's [linking] (the sync links with the same), else the defaults."""
    path = config_path()
    if not path.exists():
        return LinkSettings(), None
    try:
        return load_config(path).linking, None
    except ConnectorError as exc:
        return LinkSettings(), _(
            "default linking settings used: the sources file could not be read ({problem})"
        ).format(problem=exc.problem)


def _write(
    db: Path,
    spec: Kind,
    batch: pa.Table,
    result: ImportResult,
    linking: LinkSettings,
    started: datetime,
    file_name: str | None,
) -> None:
    with write_snapshot(db) as con:
        create_macros(con)
        con.register("csv_typed", batch)
        try:
            problems, total = collect(con, reference_checks(con, spec, result.source))
            if problems:  # the warehouse changed since the file was checked
                raise CsvImportError(problems, total)
            result.new, result.changed = _upsert(con, spec)
        finally:
            con.unregister("csv_typed")
        warning = unmatched_warning(link(con, linking))
        if warning:
            result.warnings.append(warning)
        result.linked = link_totals(con, linking)
        result.run_id = uuid.uuid4().hex
        _record_run(con, result, started, file_name)


def import_csv(
    kind: str,
    file: bytes | str | os.PathLike[str],
    *,
    db: str | os.PathLike[str] | None = None,
    source: str = "csv",
    timezone: str | None = None,
    linking: LinkSettings | None = None,
    file_name: str | None = None,
) -> ImportResult:
    """Validate ``file`` (a path or the bytes of an upload) as ``kind`` and import it.

    Raises :class:`CsvImportError` (nothing written) when any row is wrong, and
    :class:`data.warehouse.WarehouseError` when the warehouse cannot be used."""
    clock, started = time.monotonic(), datetime.now(UTC)
    spec = kind_spec(kind)
    source = _check_source(source)
    zone = _check_timezone(timezone)
    target = db_path(db)
    if not exists(target):
        raise WarehouseError(
            f"No warehouse at {target}.",
            "Create one first (`python -m data init --db PATH`, then declare your teams and "
            "services with `python -m data catalog apply config/catalog.toml`), or build the "
            "demo with `make demo`.",
        )
    data, path = _read(file)
    found = scan(data)
    header = check_header(spec, found.header, found.header_line) if found.header else []
    if header or found.problems:
        raise CsvImportError(header + found.problems, len(header) + found.problem_count)
    name = file_name or (path.name if path else None)
    result = ImportResult(kind=spec.name, table=spec.table, source=source, rows=found.rows)
    if found.rows == 0:
        result.seconds = time.monotonic() - clock
        return result
    settings, warning = (linking, None) if linking is not None else linking_settings()
    if warning:
        result.warnings.append(warning)
    try:
        with _workspace() as folder:
            if path is not None and found.body is None:
                csv_path = path
            else:
                csv_path = folder / "import.csv"
                csv_path.write_bytes(found.body if found.body is not None else data)
            del data
            found.body = None
            batch = _validate(target, spec, found, csv_path, source, zone, folder)
    except (OSError, duckdb.IOException) as exc:
        if is_disk_full(exc):  # checked in the temporary folder: the warehouse was not touched
            raise WarehouseError(
                f"The disk holding the temporary folder {tempfile.gettempdir()} is full: nothing "
                "was written and the warehouse is as it was.",
                "Free space there, or point TMPDIR at a folder with room, and import again.",
            ) from None
        raise
    _write(target, spec, batch, result, settings, started, name)
    result.seconds = time.monotonic() - clock
    return result


def columns_table(kind: str) -> list[dict[str, str]]:
    """The documented columns of ``kind``: name, required, type, example, meaning."""
    spec = kind_spec(kind)
    return [
        {
            "column": c.name,
            "required": _("yes") if c.required else _("no"),
            "type": c.describe(),
            "example": c.example,
            "meaning": _(c.meaning),
        }
        for c in spec.columns
    ]
