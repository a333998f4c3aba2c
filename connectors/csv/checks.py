"""The SQL that types and checks staged CSV rows: every check is one query over all rows.

The importer (connectors/csv/importer.py) stages a file as ``csv_parsed``: ``line`` (the physical
line the record starts on) and one trimmed text column ``r_<name>`` per column of the kind,
NULL when the cell is empty. This module turns that into ``csv_typed`` (plus ``<name>`` as the
warehouse type, NULL when the text is not valid) and writes the queries that find what is
wrong, each returning ``(line, message, seq)``; ``seq`` orders the messages of one line.

Identifiers come from the column specs (connectors/csv/columns.py), never from the file; the
only values spliced into SQL are the import's ``source`` and time zone, both validated first
and quoted with :func:`lit`. Cell values only ever reach messages through ``csv_show``, which
quotes, flattens and shortens them.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from string import Template

import duckdb
import pyarrow as pa

from connectors.csv.columns import (
    COUNT_MAX,
    MAX_ID,
    MAX_TEXT,
    AtMost,
    Column,
    Exists,
    Fails,
    Kind,
    Order,
    SameSourceDeployment,
)
from connectors.csv.read import Problem
from i18n import N_, _

MAX_ERRORS = 200  # messages kept; every error is counted
TS = r"\d{4}-\d{1,2}-\d{1,2}[Tt ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?"  # 2026-1-5 9:05 too
OFFSET = r"([Zz]|[+-]\d{2}(:?\d{2})?)"
# Offsets that exist on Earth: -12:00 (Baker Island) to +14:00 (Line Islands).
REAL_OFFSET = r"([Zz]|\+(0\d|1[0-3])(:?[0-5]\d)?|\+14(:?00)?|-(0\d|1[01])(:?[0-5]\d)?|-12(:?00)?)"
FIRST_YEAR, LAST_YEAR = 1970, 2100  # a plausible delivery record; 0001 or 9999 is a typo
DATE = r"\d{4}-\d{2}-\d{2}"
COUNT = r"\+?\d{1,18}"
AMOUNT = r"\+?\d{1,12}(\.\d{1,2})?"
FLOAT = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
SHA = r"[0-9A-Fa-f]{7,64}"
URL = r"(?i)https?://\S+"
CONTROL = r"[\x00-\x1f\x7f]"


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def one_line(text: str, limit: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """``csv_show(v)``: a value for a message, quoted, on one line, at most 40 characters."""
    con.execute(
        "CREATE OR REPLACE TEMP MACRO csv_show(v) AS '''' || "
        f"left(regexp_replace(CAST(v AS VARCHAR), {lit(CONTROL + '+')}, ' ', 'g'), 40) || "
        "CASE WHEN length(CAST(v AS VARCHAR)) > 40 THEN '…' ELSE '' END || ''''"
    )


# --- typing -----------------------------------------------------------------------------------


def create_choice_maps(con: duckdb.DuckDBPyConnection, spec: Kind) -> None:
    """``csv_map_<name>`` (raw, norm, error) for each choice column, from its distinct words:
    the normalising functions run once per distinct word, not once per row."""
    for column in spec.columns:
        if column.normalise is None:
            continue
        raw = ident("r_" + column.name)
        values = [
            str(r[0])
            for r in con.execute(
                f"SELECT DISTINCT {raw} FROM csv_parsed WHERE {raw} IS NOT NULL"
            ).fetchall()
        ]
        norms: list[str | None] = []
        errors: list[str | None] = []
        for value in values:
            try:
                norms.append(column.normalise(value))
                errors.append(None)
            except ValueError as exc:
                norms.append(None)
                errors.append(one_line(str(exc), 200))
        table = pa.table(
            {
                "raw": pa.array(values, pa.string()),
                "norm": pa.array(norms, pa.string()),
                "error": pa.array(errors, pa.string()),
            }
        )
        con.register("csv_map", table)
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {ident('csv_map_' + column.name)} AS"
                " SELECT * FROM csv_map"
            )
        finally:
            con.unregister("csv_map")


_CASTS = {
    "date": (DATE, "DATE"),
    "count": (COUNT, "BIGINT"),
    "amount": (AMOUNT, "DECIMAL(14, 2)"),
    "percent": (FLOAT, "DOUBLE"),
}


def typed_sql(column: Column, timezone: str | None) -> str:
    """The warehouse value of one cell (NULL when its text is not valid)."""
    r = ident("r_" + column.name)
    if column.type == "sha":
        return f"lower({r})"
    if column.type == "timestamp":
        naive = (
            f" WHEN regexp_full_match({r}, {lit(TS)}) THEN "
            f"timezone({lit(timezone)}, TRY_CAST({r} AS TIMESTAMP))"
            if timezone
            else ""
        )
        return (
            f"CASE WHEN regexp_full_match({r}, {lit(TS + OFFSET)}) "
            f"THEN TRY_CAST(upper({r}) AS TIMESTAMPTZ){naive} END"
        )
    if column.type in _CASTS:
        pattern, sql_type = _CASTS[column.type]
        return (
            f"CASE WHEN regexp_full_match({r}, {lit(pattern)}) THEN TRY_CAST({r} AS {sql_type}) END"
        )
    if column.type == "choice" or column.normalise is not None:  # e.g. environment's case
        norm = f"{ident('m_' + column.name)}.norm"
        if column.default is not None:
            return f"CASE WHEN {r} IS NULL THEN {lit(column.default)} ELSE {norm} END"
        return norm
    return r  # id, text, url


def create_typed(con: duckdb.DuckDBPyConnection, spec: Kind, timezone: str | None) -> None:
    """``csv_typed``: csv_parsed, each column as its warehouse type, and choice errors."""
    typed = [f"{typed_sql(c, timezone)} AS {ident(c.name)}" for c in spec.columns]
    joins = []
    for c in spec.columns:
        if c.normalise is not None:
            alias = ident("m_" + c.name)
            typed.append(f"{alias}.error AS {ident('e_' + c.name)}")
            joins.append(
                f"LEFT JOIN {ident('csv_map_' + c.name)} AS {alias}"
                f" ON {alias}.raw = p.{ident('r_' + c.name)}"
            )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE csv_typed AS SELECT p.*, {', '.join(typed)}"
        f" FROM csv_parsed AS p {' '.join(joins)}"
    )


# --- checks of one row ------------------------------------------------------------------------

# (condition on a non-empty cell, message, whether the message starts with the value);
# $r is the cell's text, $v its typed value, $max and $max_shown a count's limit.
_CELL_CHECKS: dict[str, list[tuple[str, str, bool]]] = {
    "id": [
        (f"length($r) > {MAX_ID}", N_("is longer than $max_id characters"), False),
        (
            f"regexp_matches($r, {lit(CONTROL)})",
            N_("contains a line break or control character"),
            False,
        ),
    ],
    "text": [(f"length($r) > {MAX_TEXT}", N_("is longer than $max_text characters"), False)],
    "url": [
        (
            f"length($r) > {MAX_TEXT} OR NOT regexp_full_match($r, {lit(URL)})",
            N_("is not an http(s) URL"),
            True,
        )
    ],
    "sha": [
        (
            f"NOT regexp_full_match($r, {lit(SHA)})",
            N_("is not a commit SHA (7 to 64 hexadecimal digits)"),
            True,
        )
    ],
    "date": [
        (
            f"$v IS NULL AND NOT regexp_full_match($r, {lit(DATE)})",
            N_("is not a date like 2026-01-31"),
            True,
        ),
        (f"$v IS NULL AND regexp_full_match($r, {lit(DATE)})", N_("is not a valid date"), True),
    ],
    "count": [
        ("regexp_full_match($r, '-\\d+')", N_("is negative"), True),
        ("NOT regexp_full_match($r, '[+-]?\\d+')", N_("is not a whole number"), True),
        (
            "regexp_full_match($r, '\\+?\\d+') AND ($v IS NULL OR $v > $max)",
            N_("is too large (at most $max_shown)"),
            True,
        ),
    ],
    "amount": [
        ("regexp_full_match($r, '-\\d*(\\.\\d*)?')", N_("is negative"), True),
        (
            "NOT regexp_full_match($r, '-\\d*(\\.\\d*)?') AND $v IS NULL",
            N_(
                "is not an amount like 1234.50 (a dot for decimals, at most 2 decimals and 12 "
                "digits before the dot, no thousands separator)"
            ),
            True,
        ),
    ],
    "percent": [
        (
            "$v IS NULL OR NOT isfinite($v) OR $v < 0 OR $v > 100",
            N_("is not a percentage from 0 to 100"),
            True,
        )
    ],
}


def _timestamp_checks(timezone: str | None) -> list[tuple[str, str, bool]]:
    naive = f"regexp_full_match($r, {lit(TS)})"
    zoned = f"regexp_full_match($r, {lit(TS + OFFSET)})"
    readable = f"({zoned} OR {naive})" if timezone else zoned
    # every check starts with "$v IS NULL": a valid cell costs no regular expression
    checks = [
        (
            f"$v IS NULL AND NOT {naive} AND NOT {zoned}",
            N_("is not an ISO-8601 time like 2026-01-31T14:05:00Z"),
            True,
        ),
        (f"$v IS NULL AND {readable}", N_("is not a valid time"), True),
        (
            f"$v IS NOT NULL AND {zoned} AND NOT regexp_full_match($r, {lit(TS + REAL_OFFSET)})",
            N_("has an offset outside -12:00 to +14:00"),
            True,
        ),
        (
            f"$v IS NOT NULL AND (year($v) < {FIRST_YEAR} OR year($v) > {LAST_YEAR})",
            N_("has a year outside $first_year to $last_year"),
            True,
        ),
    ]
    if not timezone:
        no_zone = N_(
            "has no time zone: add Z or an offset like +01:00, or give a time zone"
            " (--timezone, or the field on the upload page)"
        )
        checks.insert(0, (f"$v IS NULL AND {naive}", no_zone, True))
    return checks


def cell_checks(column: Column, timezone: str | None) -> list[tuple[str, str]]:
    """(condition, message SQL) pairs for one column's cells, over csv_typed."""
    r = ident("r_" + column.name)
    maximum = column.maximum or COUNT_MAX
    names = {
        "r": r,
        "v": ident(column.name),
        "max": str(maximum),
        "max_shown": f"{maximum:,}",
        "max_id": str(MAX_ID),
        "max_text": f"{MAX_TEXT:,}",
        "first_year": str(FIRST_YEAR),
        "last_year": str(LAST_YEAR),
    }
    found: list[tuple[str, str]] = []
    if column.required:
        found.append((f"{r} IS NULL", lit(_("{column} is missing").format(column=column.name))))
    if column.type == "choice":
        error = ident("e_" + column.name)
        found.append((f"{r} IS NOT NULL AND {error} IS NOT NULL", error))
        return found
    templates = (
        _timestamp_checks(timezone) if column.type == "timestamp" else _CELL_CHECKS[column.type]
    )
    for condition, text, show in templates:
        sql = Template(condition).substitute(names)
        words = Template(_(text)).substitute(names)
        message = (
            f"{lit(column.name + ' ')} || csv_show({r}) || {lit(' ' + words)}"
            if show
            else lit(f"{column.name} {words}")
        )
        found.append((f"{r} IS NOT NULL AND ({sql})", message))
    return found


def rule_checks(spec: Kind) -> list[tuple[str, str]]:
    """(condition, message SQL) pairs for the rules between a row's columns."""
    found: list[tuple[str, str]] = []
    for rule in spec.rules:
        if isinstance(rule, Order):
            a, b = ident(rule.earlier), ident(rule.later)
            later = f"csv_show({ident('r_' + rule.later)})"
            earlier = f"csv_show({ident('r_' + rule.earlier)})"
            head = _("{rule}: {later} ").format(rule=_(rule.message), later=rule.later)
            before = _(" is before {earlier} ").format(earlier=rule.earlier)
            message = f"{lit(head)} || {later} || {lit(before)} || {earlier}"
            found.append((f"{a} IS NOT NULL AND {b} IS NOT NULL AND {b} < {a}", message))
        elif isinstance(rule, AtMost):
            part, whole = ident(rule.part), ident(rule.whole)
            found.append(
                (
                    f"{part} IS NOT NULL AND {whole} IS NOT NULL AND {part} > {whole}",
                    f"{lit(rule.part + ' ')} || {part}"
                    f" || {lit(_(' is more than {whole} ').format(whole=rule.whole))} || {whole}",
                )
            )
            found.append(
                (
                    f"{part} IS NOT NULL AND {ident('r_' + rule.whole)} IS NULL",
                    lit(
                        _("{part} is given without {whole}").format(
                            part=rule.part, whole=rule.whole
                        )
                    ),
                )
            )
        elif isinstance(rule, Fails):
            found.append((rule.condition, lit(_(rule.message))))
    return found


def row_checks(spec: Kind, timezone: str | None) -> str:
    """One pass over csv_typed for every cell and rule check, in column order."""
    checks = [check for c in spec.columns for check in cell_checks(c, timezone)]
    checks += rule_checks(spec)
    items = ", ".join(
        f"{{'s': {i}, 'm': CASE WHEN {cond} THEN {message} END}}"
        for i, (cond, message) in enumerate(checks)
    )
    wrong = " OR ".join(f"({cond})" for cond, _message in checks)
    # The list of messages is built only for rows that fail a check: cheap for good files.
    return (
        "SELECT line, e.m, e.s FROM (SELECT line, unnest(list_filter(["
        f"{items}], lambda x: x.m IS NOT NULL)) AS e FROM csv_typed WHERE {wrong})"
    )


def ordered(sql: str, seq: int) -> str:
    """A (line, message) query as (line, message, seq)."""
    return f"SELECT q.*, {seq} FROM ({sql}) AS q"


def duplicate_check(spec: Kind) -> str:
    """Rows whose key repeats an earlier row of the file (after typing: one instant written
    two ways is the same key)."""
    keys = ", ".join(ident(k) for k in spec.key)
    present = " AND ".join(f"{ident(k)} IS NOT NULL" for k in spec.key)
    label = " || ' with ' || ".join(
        f"{lit(k + ' ')} || csv_show({ident('r_' + k)})" for k in spec.key
    )
    return ordered(
        f"SELECT line, {label} || ' repeats line ' || first FROM ("
        f"SELECT *, min(line) OVER (PARTITION BY {keys}) AS first FROM csv_typed"
        f" WHERE {present}) WHERE line > first",
        10_000,
    )


# --- references to the warehouse ---------------------------------------------------------------

NOT_IN_WAREHOUSE = {  # Exists.label -> the end of the message, marked for translation
    "service": N_(" is not a service in the warehouse"),
    "team": N_(" is not a team in the warehouse"),
}


def reference_checks(con: duckdb.DuckDBPyConnection, spec: Kind, source: str) -> list[str]:
    """Queries for values that must exist in the warehouse (services, teams, deployments)."""
    queries: list[str] = []
    for number, ref in enumerate(spec.references):
        column = ident(ref.column)
        shown = f"{lit(ref.column + ' ')} || csv_show(c.{column})"
        if isinstance(ref, Exists):
            when = f" AND ({ref.when})" if ref.when else ""
            missing = (
                f"c.{column} IS NOT NULL{when} AND NOT EXISTS (SELECT 1 FROM {ident(ref.table)}"
                f" AS w WHERE w.{ident(ref.target)} = c.{column})"
            )
            hints = _hints(con, ref, missing)
            if hints is None:
                continue
            name = f"csv_hint_{number}"
            con.register(name, hints)
            sql = (
                f"SELECT c.line, {shown} || {lit(_(NOT_IN_WAREHOUSE[ref.label]))}"
                f" || coalesce(h.hint, '') FROM csv_typed AS c"
                f" LEFT JOIN {name} AS h ON h.value = c.{column} WHERE {missing}"
            )
        else:
            assert isinstance(ref, SameSourceDeployment)
            in_file = (
                f" AND NOT EXISTS (SELECT 1 FROM csv_typed AS f WHERE f.external_id = c.{column})"
                if ref.in_file
                else ""
            )
            text = (
                _(
                    " is not a deployment of source {source} in this file or the warehouse; "
                    "import the deployments first (with the same --source) or leave it empty"
                )
                if ref.in_file
                else _(
                    " is not a deployment of source {source} in the warehouse; import the "
                    "deployments first (with the same --source) or leave it empty"
                )
            ).format(source=source)
            sql = (
                f"SELECT c.line, {shown} || {lit(text)} FROM csv_typed AS c"
                f" WHERE c.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deployments AS d"
                f" WHERE d.source = {lit(source)} AND d.external_id = c.{column}){in_file}"
            )
        queries.append(ordered(sql, 20_000 + number))
    return queries


def _hints(con: duckdb.DuckDBPyConnection, ref: Exists, missing: str) -> pa.Table | None:
    """ "(did you mean …?)" for up to 1,000 unknown values; None when every value is known."""
    unknown = [
        str(r[0])
        for r in con.execute(
            f"SELECT DISTINCT c.{ident(ref.column)} FROM csv_typed AS c WHERE {missing}"
            " ORDER BY 1 LIMIT 1000"
        ).fetchall()
    ]
    if not unknown:
        return None
    known = [
        str(r[0])
        for r in con.execute(f"SELECT {ident(ref.target)} FROM {ident(ref.table)}").fetchall()
    ]
    hints = []
    for value in unknown:
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.75)
        hints.append(_(" (did you mean {value}?)").format(value=repr(close[0])) if close else "")
    return pa.table({"value": unknown, "hint": hints})


def collect(con: duckdb.DuckDBPyConnection, queries: Sequence[str]) -> tuple[list[Problem], int]:
    """Run the queries; the first MAX_ERRORS problems by line, and how many there are."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE csv_errors (line BIGINT, message VARCHAR, seq BIGINT)"
    )
    for sql in queries:
        con.execute(f"INSERT INTO csv_errors SELECT * FROM ({sql})")
    counted = con.execute("SELECT count(*) FROM csv_errors").fetchone()
    rows = con.execute(
        f"SELECT line, message FROM csv_errors ORDER BY line, seq LIMIT {MAX_ERRORS}"
    ).fetchall()
    return [Problem(int(line), one_line(str(text))) for line, text in rows], (
        int(counted[0]) if counted else 0
    )
