"""Opening the warehouse: where it is, clear errors, and how readers and the writer share it.

Readers and the writer (see docs/architecture.md):

* DuckDB allows one read-write process or many read-only ones, never both at once on one file.
* The writer never opens the published file for writing. It copies it to a private temporary
  file, applies the whole change there in one transaction, checkpoints, closes, fsyncs and
  atomically renames the copy over the published path (``os.replace``).
* Readers open the published path read-only. An open reader keeps reading the snapshot it
  opened (POSIX keeps the old inode alive), so it never sees half a sync and never meets a lock.
  :class:`Reader` re-opens when the file's identity changes, so the next query sees the new data.
* Writers are serialised by an advisory lock on ``<db>.lock``; the old snapshot's disk space is
  freed by the kernel once its last reader closes, so there is nothing to garbage-collect.

The same functions serve a DuckLake warehouse (``TECHPULSE_DB=ducklake:…``, :mod:`data.lake`):
there a write is one DuckLake transaction, whose commit is a new snapshot, and a reader pins
one snapshot per connection. :func:`db_path` then returns the ``ducklake:`` string as a path
object, so callers pass it on unchanged; :func:`exists` and :func:`label` answer for both.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

from data import derived, lake, schema
from data.lake import layout
from data.lake import shadow as lake_shadow
from i18n import N_, _

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
# The embedded default (no $TECHPULSE_DB): a DuckLake whose catalog is one SQLite file, its
# Parquet files in data/techpulse.sqlite.files/. A write costs what it writes, not the size of
# the warehouse (bench.lake_write); see docs/architecture.md for the measurement that chose it.
DEFAULT_CATALOG = DATA_DIR / "techpulse.sqlite"
# The single-file warehouse the default used to be: kept in use while no default catalog exists,
# so an older install keeps its data until it is moved (`python -m data copy`).
LEGACY_FILE = DATA_DIR / "techpulse.duckdb"
ENV_VAR = "TECHPULSE_DB"
DB_HELP = N_("warehouse (default: $TECHPULSE_DB, else the DuckLake in data/techpulse.sqlite)")


class WarehouseError(Exception):
    """A warehouse problem a user can fix: says what is wrong and what to do."""

    def __init__(self, problem: str, fix: str) -> None:
        gap = "" if problem.endswith(("。", "）")) else " "  # Chinese puts no space after 。
        super().__init__(f"{problem}{gap}{fix}")
        self.problem = problem
        self.fix = fix


_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_DISK_FULL_WORDS = ("no space left on device", "disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """A full disk or quota, as the OS (ENOSPC, EDQUOT) or DuckDB's IOException reports it."""
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS:
        return True
    return isinstance(exc, duckdb.IOException) and any(
        word in str(exc).lower() for word in _DISK_FULL_WORDS
    )


def disk_full_error(folder: Path, needed: int | None = None) -> WarehouseUnusable:
    """The one message for a full disk: a normal failure, not a bug; nothing was changed."""
    room = (
        f" (a write needs room for a copy of the warehouse: {needed / 1e6:,.1f} MB)"
        if needed
        else ""
    )
    return WarehouseUnusable(
        _(
            "The disk holding {folder} is full: nothing was written and the warehouse is as it was."
        ).format(folder=folder),
        _("Free space there{room} and run it again.").format(room=room),
    )


# What DuckDB raises on a file that opened but breaks while read (truncated, a flipped byte):
# I/O, serialization and internal errors, and the checksum mismatch DuckDB finds when it reads a
# block. A binder or parser error is not damage: it is a TechPulse bug and stays visible.
_DAMAGE_TYPES = (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException)


def is_damage(exc: BaseException) -> bool:
    """True when ``exc`` says the warehouse file itself is unreadable, not the query wrong."""
    if isinstance(exc, _DAMAGE_TYPES):
        return not is_disk_full(exc)
    return isinstance(exc, duckdb.Error) and "corrupt database file" in str(exc).lower()


def damaged_error(path: Path, exc: BaseException) -> WarehouseUnusable:
    """The one message for a warehouse that breaks while read; names DuckDB's first line."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return WarehouseUnusable(
        _("The warehouse {path} cannot be read ({first}): it is truncated or damaged.").format(
            path=path, first=first
        ),
        _(
            "Restore it from a backup, or rebuild it (`make demo`, or your sources "
            "with `python -m connectors sync`); `python -m data check` reads every "
            "block to confirm."
        ),
    )


class WarehouseUnusable(WarehouseError):
    """The warehouse file itself cannot be read or written (damaged, disk full): no source or
    import can proceed, so a sync stops at the first one instead of failing each in turn."""


def lake_of(target: str | os.PathLike[str] | None = None) -> lake.LakeSpec | None:
    """The DuckLake warehouse ``target`` (else $TECHPULSE_DB, else the default) names; None for
    a warehouse file."""
    chosen = str(_named(target))
    if not lake.is_lake(chosen):
        return None
    try:
        return lake.parse(chosen)
    except lake.LakeError as exc:
        raise WarehouseError(exc.problem, exc.fix) from None


def exists(target: str | os.PathLike[str] | None = None) -> bool:
    """Whether there is a warehouse to open: the file, or a DuckLake's catalog file (a catalog
    server is asked when opened)."""
    spec = lake_of(target)
    if spec is None:
        return db_path(target).exists()
    return spec.catalog_file is None or spec.catalog_file.expanduser().exists()


def label(target: str | os.PathLike[str] | None = None) -> str:
    """The warehouse as pages name it: the file's name, or the DuckLake catalog string."""
    spec = lake_of(target)
    return spec.label() if spec else db_path(target).name


def state_dir(target: str | os.PathLike[str] | None = None) -> Path:
    """Where files beside the warehouse go (the worker's lock and status): the file's folder;
    for DuckLake $TECHPULSE_STATE_DIR, else a local data path, else the catalog file's folder,
    else data/."""
    spec = lake_of(target)
    if spec is None:
        return db_path(target).parent
    chosen = os.environ.get("TECHPULSE_STATE_DIR")
    if chosen:
        return Path(chosen).expanduser()
    if spec.data_path and "://" not in spec.data_path:
        return Path(spec.data_path).expanduser()
    if spec.catalog_file is not None:
        return spec.catalog_file.expanduser().parent
    return DATA_DIR


def sidecar(target: str | os.PathLike[str] | None, suffix: str) -> Path:
    """``<warehouse file><suffix>``, or ``<state dir>/techpulse<suffix>`` for DuckLake."""
    if lake_of(target) is None:
        path = db_path(target)
        return path.with_name(path.name + suffix)
    return state_dir(target) / f"techpulse{suffix}"


def _named(explicit: str | os.PathLike[str] | None) -> str | os.PathLike[str]:
    """The warehouse asked for: the argument, else $TECHPULSE_DB, else the default."""
    return explicit or os.environ.get(ENV_VAR) or default_warehouse()


def default_lake() -> str:
    """The embedded DuckLake's ATTACH string (its catalog :data:`DEFAULT_CATALOG`)."""
    return f"ducklake:sqlite:{DEFAULT_CATALOG}"


def default_warehouse() -> str | Path:
    """The warehouse when none is named: :func:`default_lake`, unless an older install's
    data/techpulse.duckdb is there and the DuckLake is not yet."""
    if LEGACY_FILE.exists() and not DEFAULT_CATALOG.exists():
        return LEGACY_FILE
    return default_lake()


def is_legacy_default(target: str | os.PathLike[str]) -> bool:
    """Whether ``target`` is the older single-file default, which each write copies whole."""
    return lake_of(target) is None and Path(target).expanduser().resolve() == LEGACY_FILE


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse: the explicit argument, else $TECHPULSE_DB, else :func:`default_warehouse`.

    A ``ducklake:`` string comes back as a path object holding that string, for callers that
    only pass it on (every function here accepts it)."""
    chosen = _named(explicit)
    if lake.is_lake(str(chosen)):
        lake_of(str(chosen))  # validates (a password in it is refused)
        return Path(str(chosen).strip())
    path = Path(chosen).expanduser()
    try:
        if "\x00" in str(path):
            raise ValueError("embedded null byte")  # Path.exists() would just say False
        path.exists()  # raises for names the OS cannot use (too long)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        shown = str(chosen)[:60] + ("…" if len(str(chosen)) > 60 else "")
        raise WarehouseError(
            _("The warehouse path {shown} cannot be used ({reason}).").format(
                shown=repr(shown), reason=reason
            ),
            _("Set {env_var} (or --db) to an ordinary file path such as {default_db}.").format(
                env_var=ENV_VAR, default_db=LEGACY_FILE
            ),
        ) from None
    return path


CATALOG = "warehouse"


def _configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("SET TimeZone = 'UTC'")
    return con


_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)", re.IGNORECASE)
READER_MEMORY_VAR = "TECHPULSE_READER_MEMORY"
DEFAULT_READER_MEMORY = "512MB"


def reader_memory_limit() -> str:
    """DuckDB's buffer pool for one reader (${READER_MEMORY_VAR}, default 512MB).

    DuckDB's own default is 80 % of the machine's RAM: an app process that reads an
    enterprise warehouse would keep gigabytes of cached column data. Queries beyond the limit
    spill or evict cached blocks; they do not fail.
    """
    value = os.environ.get(READER_MEMORY_VAR, DEFAULT_READER_MEMORY).strip()
    if not _SIZE.fullmatch(value):
        raise WarehouseError(
            _("{reader_memory_var}={value} is not a memory size.").format(
                reader_memory_var=READER_MEMORY_VAR, value=repr(value[:40])
            ),
            _("Set {reader_memory_var} to a size such as 512MB or 2GB, or unset it.").format(
                reader_memory_var=READER_MEMORY_VAR
            ),
        )
    return value


def _attach_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    """Open ``path`` read-only in a private in-memory DuckDB instance.

    ``duckdb.connect(path)`` shares one cached instance per path inside a process, which would
    pin readers to the snapshot first opened. Attaching into a fresh ``:memory:`` instance gives
    every open its own view of whatever file the path names at that moment.
    """
    con = duckdb.connect(":memory:", config={"memory_limit": reader_memory_limit()})
    try:
        quoted = str(path).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS {CATALOG} (READ_ONLY)")
    except BaseException:
        con.close()
        raise
    return _use(con)


def _use(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(f"USE {CATALOG}")
    return _configure(con)


def _open_error(path: Path, exc: Exception) -> WarehouseError:
    text = str(exc)
    if "not a valid DuckDB database" in text or ("database file" in text and "valid" in text):
        return WarehouseError(
            _("{path} is not a DuckDB database file.").format(path=path),
            _(
                "Point {env_var} at a TechPulse warehouse, or build a new one at "
                "another path with `python -m data.demo --db PATH`."
            ).format(env_var=ENV_VAR),
        )
    if "Permission denied" in text:
        return WarehouseError(
            _("{path} cannot be read (permission denied).").format(path=path),
            _(
                "Give the app's user read access to the file, or point {env_var} at "
                "another warehouse."
            ).format(env_var=ENV_VAR),
        )
    if "version" in text.lower() and "storage" in text.lower():
        return WarehouseError(
            _("{path} was written by an incompatible DuckDB version ({value}).").format(
                path=path, value=text.splitlines()[0]
            ),
            _("Rebuild it with `make demo`, or re-run the sync with this TechPulse."),
        )
    if is_damage(exc):  # DuckDB 1.5 reads a truncated file's blocks while attaching it
        return damaged_error(path, exc)
    return WarehouseError(
        _("{path} could not be opened: {value}.").format(
            path=path, value=text.splitlines()[0] if text else type(exc).__name__
        ),
        _("Check that {env_var} points at a TechPulse warehouse file.").format(env_var=ENV_VAR),
    )


def check_version(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Raise a WarehouseError unless ``con`` is a TechPulse warehouse at the latest schema."""
    if not schema.has_schema_table(con):
        tables = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchone()
        what = (
            _("an empty DuckDB database") if tables and tables[0] == 0 else _("a DuckDB database")
        )
        raise WarehouseError(
            _(
                "{path} is {what}, not a TechPulse warehouse (it has no schema_migrations table)."
            ).format(path=path, what=what),
            _(
                "Point {env_var} at a TechPulse warehouse, or build a new one at "
                "another path with `python -m data.demo --db PATH` (TechPulse never "
                "overwrites foreign data)."
            ).format(env_var=ENV_VAR),
        )
    version = schema.current_version(con)
    if version < schema.LATEST_VERSION:
        raise WarehouseError(
            _("{path} has schema v{version}; this TechPulse needs v{latest_version}.").format(
                path=path, version=version, latest_version=schema.LATEST_VERSION
            ),
            _(
                "Upgrade it in place (rows are kept) with `python -m data migrate --db {path}`."
            ).format(path=path),
        )
    if version > schema.LATEST_VERSION:
        raise WarehouseError(
            _(
                "{path} has schema v{version}, newer than this TechPulse (v{latest_version})."
            ).format(path=path, version=version, latest_version=schema.LATEST_VERSION),
            _("Update TechPulse (git pull) before opening it."),
        )
    return version


def open_reader(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot, validated, in UTC."""
    spec = lake_of(path)
    if spec is not None:
        return open_lake_reader(spec)
    target = db_path(path)
    if not target.exists():
        raise WarehouseError(
            _("No warehouse at {target}.").format(target=target),
            _(
                "Create an empty one for your organisation with `python -m data init "
                "--db {target}`, build the demo organisation with `make demo`, or set "
                "{env_var} to an existing warehouse."
            ).format(target=target, env_var=ENV_VAR),
        )
    if target.is_dir():
        raise WarehouseError(
            _("{target} is a directory, not a warehouse file.").format(target=target),
            _("Set {env_var} to a .duckdb file path.").format(env_var=ENV_VAR),
        )
    try:
        con = _attach_readonly(target)
    except (duckdb.Error, OSError) as exc:
        raise _open_error(target, exc) from exc
    try:
        check_version(con, target)
    except BaseException:
        con.close()
        raise
    return con


def stored_bytes(path: str | os.PathLike[str] | None = None) -> int:
    """What the warehouse holds on disk: the file's size, or a lake's current data files."""
    spec = lake_of(path)
    if spec is None:
        return db_path(path).stat().st_size
    con = open_lake_reader(spec)
    try:
        row = con.execute(
            "SELECT coalesce(sum(file_size_bytes + delete_file_size_bytes), 0)"
            f" FROM ducklake_table_info('{CATALOG}')"
        ).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def _lake_error(spec: lake.LakeSpec, exc: BaseException) -> WarehouseUnusable:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return WarehouseUnusable(
        _("The DuckLake warehouse {name} cannot be opened ({first}).").format(
            name=spec.label(), first=first
        ),
        _(
            "Check that its catalog database is up and reachable, that {env_var} is"
            " DuckDB's ATTACH form (ducklake:postgres:dbname=… host=… user=…) and "
            "that {data_path_var} names the data files' folder or bucket."
        ).format(env_var=ENV_VAR, data_path_var=lake.DATA_PATH_VAR),
    )


def connect_lake(
    spec: lake.LakeSpec, *, read_only: bool, snapshot: int | None = None
) -> duckdb.DuckDBPyConnection:
    catalog = spec.catalog_file
    if read_only and catalog is not None and not catalog.exists():
        raise _no_warehouse_yet(spec)  # read-only cannot create the file: say what to run
    try:
        return lake.connect(
            spec,
            read_only=read_only,
            snapshot=snapshot,
            memory_limit=reader_memory_limit() if read_only else None,
        )
    except lake.LakeError as exc:
        raise WarehouseError(exc.problem, exc.fix) from None
    except duckdb.Error as exc:
        if "does not exist" in str(exc) and "creating a new DuckLake" in str(exc):
            raise _no_warehouse_yet(spec) from None  # a catalog database without DuckLake
        raise _lake_error(spec, exc) from None


def _no_warehouse_yet(spec: lake.LakeSpec) -> WarehouseError:
    return WarehouseError(
        _("The DuckLake catalog {name} holds no TechPulse warehouse yet.").format(
            name=spec.label()
        ),
        _(
            "Create one with `python -m data init --db '{name}'`, or move one in "
            "with `python -m data copy --from FILE --to …`."
        ).format(name=spec.label()),
    )


def _check_lake(con: duckdb.DuckDBPyConnection, spec: lake.LakeSpec) -> None:
    if not schema.has_schema_table(con):
        raise WarehouseError(
            _("The DuckLake catalog {name} holds no TechPulse warehouse.").format(
                name=spec.label()
            ),
            _(
                "Create one with `python -m data init --db '{name}'`, or move one in "
                "with `python -m data copy --from FILE --to …`."
            ).format(name=spec.label()),
        )
    check_version(con, Path(spec.label()))


def open_lake_reader(spec: lake.LakeSpec, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one DuckLake snapshot (the newest by default), validated."""
    con = connect_lake(spec, read_only=True, snapshot=snapshot)
    try:
        _check_lake(con, spec)
    except BaseException:
        con.close()
        raise
    return con


def _identity(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


class Reader:
    """A process-wide read-only handle that follows the published snapshot.

    ``cursor()`` hands out a per-call cursor (DuckDB cursors are safe to use from one thread
    each) on the newest snapshot; callers holding an older cursor finish on the old snapshot.

    On DuckLake, ``pin()`` at the start of a page run asks the catalog for the newest snapshot
    once and keeps it for that thread until its next ``pin()``: every query and cache key of
    the run then names one snapshot, and the run pays one catalog query instead of one per
    call. A thread that never pins asks on every call (the CLIs, which open one cursor).
    """

    _KEEP = 2  # pinned connections kept open: the newest snapshot and the one before it

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = db_path(path)
        self._lake = lake_of(self.path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int, int] | None = None  # the file's, for the file backend
        self._probe: duckdb.DuckDBPyConnection | None = None
        self._pinned = threading.local()
        self._by_snapshot: dict[int, duckdb.DuckDBPyConnection] = {}

    def pin(self) -> None:
        """Start a run on this thread: read the newest snapshot now and keep it (DuckLake)."""
        if self._lake is not None:
            with self._lock:
                self._pinned.snapshot = self._latest()

    def _snapshot(self) -> int:
        pinned = getattr(self._pinned, "snapshot", None)
        return int(pinned) if pinned is not None else self._latest()

    def _latest(self) -> int:
        """The newest DuckLake snapshot, from an unpinned connection (one catalog query)."""
        assert self._lake is not None
        if self._probe is None:
            self._probe = connect_lake(self._lake, read_only=True)
        try:
            return lake.latest_snapshot(self._probe.cursor())
        except duckdb.Error as exc:
            self._probe = None  # reconnect next time (the catalog database restarted)
            raise _lake_error(self._lake, exc) from None

    def snapshot_id(self) -> str:
        """Identifies the published snapshot; changes whenever a writer publishes."""
        if self._lake is not None:
            with self._lock:
                return f"lake-{self._snapshot()}"
        try:
            ino, mtime, size = _identity(self.path)
        except FileNotFoundError:
            return "missing"
        return f"{ino}-{mtime}-{size}"

    def cursor(self) -> duckdb.DuckDBPyConnection:
        if self._lake is not None:
            with self._lock:
                snapshot = self._snapshot()
                con = self._by_snapshot.get(snapshot)
                if con is None:
                    # pinned: every query on this connection reads snapshot ``snapshot``
                    con = open_lake_reader(self._lake, snapshot)
                    lake_shadow.shadow_small_tables(con)  # read once per snapshot, not per query
                    self._by_snapshot[snapshot] = con
                    for old in sorted(self._by_snapshot)[: -self._KEEP]:
                        # dropped, not closed: cursors on it finish, then it is collected
                        del self._by_snapshot[old]
                return lake_shadow.use_shadows(_use(con.cursor()))
        with self._lock:
            try:
                identity = _identity(self.path)
            except FileNotFoundError:
                identity = None
            if self._con is None or identity != self._identity:
                new = open_reader(self.path)
                # The previous connection is dropped, not closed: cursors still reading the old
                # snapshot finish their queries, then garbage collection closes it.
                self._con, self._identity = new, identity
            return _use(self._con.cursor())


@contextlib.contextmanager
def _writer_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


@contextlib.contextmanager
def write_snapshot(
    path: str | os.PathLike[str] | None = None,
    *,
    fresh: bool = False,
    declared: derived.Declared | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Apply a change to a private copy of the warehouse and publish it atomically.

    The body runs inside one transaction on the copy, after the schema has been migrated to the
    latest version. If the body raises, the copy is discarded and the published warehouse is
    exactly as before. ``fresh=True`` starts from an empty warehouse instead of a copy (used by
    the demo builder), but still refuses to replace a file that is not a TechPulse warehouse.
    On DuckLake the body runs in one DuckLake transaction; its commit is the new snapshot.
    ``declared``: the body notes every table it writes there (see :class:`derived.Declared`).
    """
    spec = lake_of(path)
    if spec is not None:
        with _write_lake(spec, declared) as con:
            yield con
        return
    target = db_path(path)
    with _writer_lock(target):
        _remove_abandoned_copies(target)
        if target.exists():
            _assert_replaceable(target)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        size = target.stat().st_size if target.exists() and not fresh else None
        try:
            if target.exists() and not fresh:
                shutil.copyfile(target, tmp)
            con = _configure(duckdb.connect(str(tmp)))
            try:
                with _one_change(con, declared):
                    yield con
                con.execute("CHECKPOINT")
            finally:
                con.close()
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except (OSError, duckdb.Error) as exc:
            if is_disk_full(exc):
                raise disk_full_error(target.parent, size) from None
            if is_damage(exc):  # the copy of a damaged warehouse: nothing is published
                raise damaged_error(target, exc) from None
            raise
        finally:
            _remove(tmp)


@contextlib.contextmanager
def _one_change(
    con: duckdb.DuckDBPyConnection, declared: derived.Declared | None = None
) -> Iterator[None]:
    """One transaction on either backend: migrate, the caller's change, derived tables in step,
    commit; any exception rolls all of it back."""
    try:
        con.execute("BEGIN TRANSACTION")
        migrated = schema.migrate(con)
        before = derived.fingerprints(con) if declared is None or migrated else {}
        yield
        derived.bring_in_step(con, before, everything=bool(migrated), declared=declared)
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def _write_lake(
    spec: lake.LakeSpec, declared: derived.Declared | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_lake(spec, read_only=False)
    try:
        with _one_change(con, declared):
            yield con
    except (duckdb.HTTPException, duckdb.IOException) as exc:  # the files' storage failed
        raise _storage_error(spec, exc) from None
    finally:
        con.close()


def _storage_error(spec: lake.LakeSpec, exc: BaseException) -> WarehouseUnusable:
    """Writing the Parquet files failed: nothing was committed; name the place, not secrets."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = " ".join(lines[-1:] or [type(exc).__name__])[:200]
    return WarehouseUnusable(
        _(
            "The DuckLake warehouse {name} could not write its data files to "
            "{value} ({reason}); nothing was committed."
        ).format(name=spec.label(), value=spec.data_path or _("its data path"), reason=reason),
        _(
            "Check that {data_path_var} names an existing folder or bucket that "
            "this process may write, and the storage settings in docs/deploy.md."
        ).format(data_path_var=lake.DATA_PATH_VAR),
    )


def _remove_abandoned_copies(target: Path) -> None:
    """Delete private copies a killed writer left behind (kill -9, power loss). Only called
    while holding the writer lock, so no live writer owns one; readers never open them."""
    for leftover in target.parent.glob(f".{target.name}.*.tmp*"):
        _remove(leftover)


def _assert_replaceable(target: Path) -> None:
    """Refuse to overwrite a file that is not a TechPulse warehouse (never lose foreign data)."""
    try:
        con = _attach_readonly(target)
    except (duckdb.Error, OSError) as exc:
        raise _open_error(target, exc) from exc
    try:
        if not schema.has_schema_table(con):
            tables = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchone()
            if tables and tables[0] > 0:
                raise WarehouseError(
                    _("{target} holds a DuckDB database that is not a TechPulse warehouse.").format(
                        target=target
                    ),
                    _("Choose another --db path; TechPulse will not overwrite it."),
                )
        elif schema.current_version(con) > schema.LATEST_VERSION:
            check_version(con, target)
    finally:
        con.close()


def init_warehouse(path: str | os.PathLike[str] | None = None) -> bool:
    """Create an empty warehouse at the latest schema; False when one is already there (it is
    left as it is). A file that is not a TechPulse warehouse is refused, never overwritten."""
    spec = lake_of(path)
    if spec is not None:
        con = connect_lake(spec, read_only=False)  # creates the DuckLake metadata if new
        try:
            if schema.has_schema_table(con):
                check_version(con, Path(spec.label()))
                return False
            tables = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchone()
        finally:
            con.close()
        if tables and tables[0]:
            raise WarehouseError(
                _(
                    "The DuckLake catalog {name} holds tables that are not a TechPulse warehouse."
                ).format(name=spec.label()),
                _("Choose another catalog; TechPulse will not write into it."),
            )
        with _write_lake(spec):
            pass  # migrates the empty lake to the latest schema
        return True
    target = db_path(path)
    if target.exists():
        open_reader(target).close()  # validates: a TechPulse warehouse, this schema or older
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with write_snapshot(target, fresh=True):
        pass  # the snapshot writer migrates the new file to the latest schema
    return True


def _declare_lake_layout(spec: lake.LakeSpec) -> None:
    """Give a lake made before data.lake.layout its time order (one write, only when missing)."""
    con = connect_lake(spec, read_only=True)
    try:
        tables = layout.missing(con)
    finally:
        con.close()
    if tables:
        with _write_lake(spec) as writer:
            layout.declare(writer, tables)


def upgrade(path: str | os.PathLike[str] | None = None) -> tuple[int, int]:
    """Migrate a warehouse in place (through a snapshot); returns (old, new) versions."""
    spec = lake_of(path)
    if spec is not None:
        con = connect_lake(spec, read_only=True)
        try:
            if not schema.has_schema_table(con):
                _check_lake(con, spec)
            old = schema.current_version(con)
        finally:
            con.close()
        if old > schema.LATEST_VERSION:
            check_version(open_lake_reader(spec), Path(spec.label()))
        if old < schema.LATEST_VERSION:
            with _write_lake(spec):
                pass
        else:
            _declare_lake_layout(spec)
        return old, schema.LATEST_VERSION
    target = db_path(path)
    if not target.exists():
        raise WarehouseError(
            _("No warehouse at {target}.").format(target=target),
            _("Create one with `python -m data init`, or build the demo with `make demo`."),
        )
    if target.is_dir():
        raise WarehouseError(
            _("{target} is a directory, not a warehouse file.").format(target=target),
            _("Pass a .duckdb file with --db."),
        )
    try:
        con = _attach_readonly(target)
    except (duckdb.Error, OSError) as exc:
        raise _open_error(target, exc) from exc
    try:
        old = schema.current_version(con)
    finally:
        con.close()
    if old > schema.LATEST_VERSION:
        raise WarehouseError(
            _("{target} has schema v{old}, newer than this TechPulse (v{latest_version}).").format(
                target=target, old=old, latest_version=schema.LATEST_VERSION
            ),
            _("Update TechPulse (git pull) before opening it."),
        )
    if old < schema.LATEST_VERSION:
        with write_snapshot(target):
            pass  # write_snapshot migrates the copy before publishing it
    return old, schema.LATEST_VERSION
