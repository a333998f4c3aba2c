"""DuckLake: the warehouse as a catalog database plus Parquet files, for many app replicas.

``TECHPULSE_DB`` holds DuckDB's own ATTACH form, ``ducklake:<catalog>``, e.g.
``ducklake:postgres:dbname=techpulse host=db.internal user=techpulse`` (PostgreSQL, for several
hosts), ``ducklake:sqlite:/srv/techpulse/catalog.sqlite`` (several processes on one host);
``TECHPULSE_DATA_PATH`` names where the Parquet files live: a shared directory, or S3-compatible
object storage (``s3://…``, through ``httpfs``). See docs/deploy.md.

Why this engine: every commit is an atomic, numbered snapshot. A reader attaches one snapshot
(``SNAPSHOT_VERSION``) and keeps it for a page run, so it never sees half a sync; a writer's
cost is its own rows, not the size of the warehouse.

The engine cannot download extensions on these machines, so they come from the
``duckdb-extension-*`` wheels pinned in requirements.txt and are loaded by path. DuckDB derives
an extension's entry point from its file name, and two wheels ship their files under other
names than the extensions' own (``sqlite`` is ``sqlite_scanner``, ``postgres`` is
``postgres_scanner``), so each file is linked under its real name in a private folder first.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

PREFIX = "ducklake:"
DATA_PATH_VAR = "TECHPULSE_DATA_PATH"
CATALOG = "warehouse"

# wheel package → the extension's own name (its entry point is <name>_duckdb_cpp_init)
_EXTENSIONS = {
    "ducklake": "ducklake",
    "postgres": "postgres_scanner",
    "sqlite": "sqlite_scanner",
    "httpfs": "httpfs",
}
_PASSWORD = re.compile(r"(?i)\bpassword\s*=")


class LakeError(Exception):
    """A DuckLake set-up problem: what is wrong and what to do (shown as one line)."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} {fix}")
        self.problem, self.fix = problem, fix


def is_lake(spec: object) -> bool:
    return isinstance(spec, str) and spec.strip().lower().startswith(PREFIX)


@dataclass(frozen=True)
class LakeSpec:
    """A DuckLake warehouse: the ATTACH string and where its data files live."""

    attach: str
    data_path: str | None

    @property
    def catalog_kind(self) -> str:
        rest = self.attach[len(PREFIX) :]
        head = rest.split(":", 1)[0].lower() if ":" in rest else "duckdb"
        return head if head in ("postgres", "sqlite", "duckdb", "mysql") else "duckdb"

    @property
    def catalog_file(self) -> Path | None:
        """The catalog's file for a SQLite or DuckDB-file catalog; None for a server."""
        rest = self.attach[len(PREFIX) :]
        if self.catalog_kind == "sqlite":
            return Path(rest.split(":", 1)[1])
        if rest.lower().startswith("duckdb:"):
            return Path(rest.split(":", 1)[1])
        return Path(rest) if self.catalog_kind == "duckdb" and ":" not in rest else None

    def label(self) -> str:
        """How the warehouse is named on pages and in messages (never holds a password)."""
        return self.attach

    def extensions(self) -> list[str]:
        wanted = ["ducklake"]
        if self.catalog_kind in ("postgres", "sqlite"):
            wanted.append(self.catalog_kind)
        if self.data_path and re.match(r"(?i)(s3|gcs|r2|https?)://", self.data_path):
            wanted.append("httpfs")
        return wanted


def parse(spec: str, data_path: str | None = None) -> LakeSpec:
    """Validate a ``ducklake:…`` string; a password in it is refused (it would be shown)."""
    text = spec.strip()
    if _PASSWORD.search(text):
        raise LakeError(
            "The DuckLake catalog string holds a password, which would then appear wherever "
            "the warehouse is named.",
            "Remove password=… from it and give the password to PostgreSQL's client instead: "
            "the PGPASSWORD environment variable or a ~/.pgpass file.",
        )
    if len(text) <= len(PREFIX):
        raise LakeError(
            f"{text!r} names no DuckLake catalog.",
            "Write it as ducklake:postgres:dbname=… host=… user=…, or "
            "ducklake:sqlite:/path/catalog.sqlite.",
        )
    chosen = data_path if data_path is not None else os.environ.get(DATA_PATH_VAR) or None
    return LakeSpec(attach=text, data_path=chosen)


def extension_file(package: str) -> Path:
    """The extension file inside its wheel, for the running DuckDB version."""
    try:
        module = importlib.import_module(f"duckdb_extension_{package}")
    except ImportError:
        raise LakeError(
            f"The DuckDB extension '{package}' is not installed.",
            "Install the pinned requirements (make run or pip install -r requirements.txt); "
            f"the package is duckdb-extension-{package}.",
        ) from None
    folder = Path(str(module.__file__)).parent / "extensions" / f"v{duckdb.__version__}"
    found = folder / f"{package}.duckdb_extension"
    if not found.exists():
        raise LakeError(
            f"duckdb-extension-{package} has no build for DuckDB {duckdb.__version__}.",
            "Install the versions pinned in requirements.txt (they match each other).",
        )
    return found


def _linked(package: str) -> Path:
    """The extension file under the name DuckDB expects, in a private per-user folder."""
    name = _EXTENSIONS[package]
    folder = Path(tempfile.gettempdir()) / f"techpulse-ext-{os.getuid()}-v{duckdb.__version__}"
    folder.mkdir(mode=0o700, exist_ok=True)
    link = folder / f"{name}.duckdb_extension"
    target = extension_file(package)
    if not link.exists() or link.resolve() != target.resolve():
        fresh = folder / f".{name}.{os.getpid()}.link"
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(target)
        fresh.replace(link)  # atomic, so parallel processes never see a half-made link
    return link


def load_extensions(con: duckdb.DuckDBPyConnection, spec: LakeSpec) -> None:
    for package in spec.extensions():
        quoted = str(_linked(package)).replace("'", "''")
        con.execute(f"LOAD '{quoted}'")
    if "httpfs" in spec.extensions():
        _object_storage_secret(con)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _object_storage_secret(con: duckdb.DuckDBPyConnection) -> None:
    """S3-compatible storage credentials from the environment, as a secret that lives only in
    this connection's memory (never in a file, a log or an error).

    ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN``), ``AWS_REGION``;
    for storage other than AWS ``TECHPULSE_S3_ENDPOINT`` (host:port), ``TECHPULSE_S3_URL_STYLE``
    (``path`` for MinIO and most others) and ``TECHPULSE_S3_USE_SSL`` (``false`` for plain HTTP).
    """
    env = os.environ
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not key_id or not secret:
        return  # public buckets, or a secret the operator created in DuckDB's own way
    options = {
        "KEY_ID": key_id,
        "SECRET": secret,
        "REGION": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
    }
    if env.get("AWS_SESSION_TOKEN"):
        options["SESSION_TOKEN"] = env["AWS_SESSION_TOKEN"]
    if env.get("TECHPULSE_S3_ENDPOINT"):
        options["ENDPOINT"] = env["TECHPULSE_S3_ENDPOINT"]
    if env.get("TECHPULSE_S3_URL_STYLE"):
        options["URL_STYLE"] = env["TECHPULSE_S3_URL_STYLE"]
    body = ", ".join(f"{k} {_literal(v)}" for k, v in options.items())
    use_ssl = env.get("TECHPULSE_S3_USE_SSL", "true").strip().lower() not in ("0", "false", "no")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMPORARY SECRET techpulse_s3 (TYPE s3, {body},"
            f" USE_SSL {'true' if use_ssl else 'false'})"
        )
    except duckdb.Error:
        # the statement holds the secret: its text never leaves this function
        raise LakeError(
            "The object storage settings could not be turned into a DuckDB secret.",
            "Check AWS_REGION, TECHPULSE_S3_ENDPOINT (host:port), TECHPULSE_S3_URL_STYLE "
            "(path or vhost) and TECHPULSE_S3_USE_SSL (true or false).",
        ) from None


def connect(
    spec: LakeSpec,
    *,
    read_only: bool,
    snapshot: int | None = None,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB with the lake attached as ``warehouse`` and in use, in UTC."""
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if memory_limit:
        config["memory_limit"] = memory_limit
    data_path = spec.data_path or new_files_folder(spec)
    if spec.catalog_kind == "sqlite" and not read_only:
        _sqlite_wal(spec)
    con = duckdb.connect(":memory:", config=config)
    try:
        load_extensions(con, spec)
        options = []
        if data_path:
            options.append("DATA_PATH '" + data_path.replace("'", "''") + "'")
        if read_only:
            options.append("READ_ONLY")
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        attach = spec.attach.replace("'", "''")
        suffix = f" ({', '.join(options)})" if options else ""
        con.execute(f"ATTACH '{attach}' AS {CATALOG}{suffix}")
        con.execute(f"USE {CATALOG}")
        con.execute("SET TimeZone = 'UTC'")
    except BaseException:
        con.close()
        raise
    return con


def new_files_folder(spec: LakeSpec) -> str | None:
    """Where a new lake with a local catalog file keeps its Parquet files when no data path is
    given: ``<catalog file>.files/`` beside it (DuckLake's own convention for DuckDB catalogs),
    so that a catalog file alone is a complete warehouse. None for an existing catalog (it
    remembers its data path) and for catalog servers (they need one: $TECHPULSE_DATA_PATH)."""
    catalog = spec.catalog_file
    if catalog is None or (catalog.exists() and catalog.stat().st_size > 0):
        return None
    return f"{catalog}.files/"


def _sqlite_wal(spec: LakeSpec) -> None:
    """Put a SQLite catalog in write-ahead-log mode (kept in the file) before a writer attaches.

    In SQLite's default rollback-journal mode a reader's open transaction and a writer's commit
    lock each other out ("database is locked"); with a WAL, readers keep reading their snapshot
    while the writer commits. WAL needs every process on one host, which is what a SQLite
    catalog is for (PostgreSQL serves several hosts).
    """
    path = spec.catalog_file
    assert path is not None  # a sqlite catalog always names its file
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as catalog:
            catalog.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise LakeError(
            f"The SQLite catalog {path} cannot be opened for writing ({exc}).",
            "Check that its folder exists and that this process may write the file.",
        ) from None


def latest_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    """The newest committed snapshot of the attached lake (one small catalog query)."""
    row = con.execute(f"SELECT max(snapshot_id) FROM ducklake_snapshots('{CATALOG}')").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def is_lake_connection(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the connection's current database is a DuckLake catalog."""
    row = con.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return row is not None and str(row[0]) == "ducklake"
