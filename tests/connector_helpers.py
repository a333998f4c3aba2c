"""What the connector tests share: a sources file, a sync of one source, recorded waits, the
token in the environment, small warehouses, and the checks that a failed sync changed nothing.

pytest rewrites the assertions of test modules only, so the checks here say what they compared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.core.config import load_config
from connectors.core.results import SourceResult
from connectors.sync import sync
from tests.connectors.test_connector_contract import toml_source, toml_value
from tests.servers.warehouse import Service, build_warehouse, contents, query, sync_runs

__all__ = [
    "NO_SECRETS",
    "Breaker",
    "Sleeps",
    "assert_failed",
    "assert_one_line_error",
    "assert_unchanged",
    "assert_waited",
    "cursors",
    "failing",
    "fake_fixture",
    "resolution_seconds",
    "set_token",
    "shipped_commits",
    "sync_source",
    "table_rows",
    "token_changed",
    "token_fixture",
    "token_set",
    "toml_source",
    "warehouse_fixture",
    "warehouse_of",
    "write_sources",
]

NO_SECRETS = "/nonexistent/secrets.toml"
Contents = dict[str, list[Any]]
# breaks a fake server (or the environment) for a FAILURES case: called as (fake, env, ...)
Breaker = Callable[..., object]


class Sleeps(list[float]):
    """An injected ``sleep`` that records every wait instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# -- sources files and syncs -------------------------------------------------------------------


def write_sources(path: Path, sources: str, **settings: float) -> Path:
    """A sources file: ``[settings]`` (2 attempts, 0.01 s backoff unless given), ``sources``."""
    chosen = {"max_attempts": 2, "backoff_seconds": 0.01, **settings}
    block = "".join(f"{key} = {toml_value(value)}\n" for key, value in chosen.items())
    path.write_text(f"[settings]\n{block}\n{sources}", encoding="utf-8")
    return path


def sync_source(
    config: Path,
    db: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    sleep: Callable[[float], None] | None = None,
) -> SourceResult:
    """Sync the sources file ``config`` into ``db``; the first source's result. Waits go to a
    fresh :class:`Sleeps` (nothing really sleeps) unless ``sleep`` is given."""
    wait = sleep if sleep is not None else Sleeps()
    return sync(load_config(config), db=db, since=since, until=until, sleep=wait).results[0]


# -- the token ---------------------------------------------------------------------------------


def set_token(env: pytest.MonkeyPatch, name: str, value: str) -> None:
    """The token in ``$name``, and a secrets file that does not exist."""
    env.setenv(name, value)
    env.setenv("TECHPULSE_SECRETS", NO_SECRETS)


def token_fixture(name: str, value: str = "good-token") -> Any:
    """An autouse ``token`` fixture for a test module: :func:`set_token` around every test."""

    @pytest.fixture(autouse=True)
    def token(monkeypatch: pytest.MonkeyPatch) -> None:
        set_token(monkeypatch, name, value)

    return token


@contextmanager
def token_set(name: str, value: str = "good-token") -> Iterator[None]:
    """:func:`set_token` outside a test (in a module-scoped fixture), undone on exit."""
    with pytest.MonkeyPatch.context() as env:
        set_token(env, name, value)
        yield


def token_changed(name: str, value: str) -> Breaker:
    """A FAILURES breaker: ``$name`` holds ``value`` (a wrong or revoked token)."""
    return lambda _fake, env, *_: env.setenv(name, value)


def failing(path: str, *faults: object, times: int = 1) -> Breaker:
    """A FAILURES breaker: the fake answers ``path`` with ``faults``, all of them ``times`` over."""
    return lambda fake, *_: fake.fail(path, *(list(faults) * times))


def fake_fixture(make: Callable[[], Any]) -> Any:
    """A ``fake`` fixture: the fake server ``make()`` builds, running for one test."""

    @pytest.fixture
    def fake() -> Iterator[Any]:
        with make().running() as server:
            yield server

    return fake


# -- warehouses --------------------------------------------------------------------------------


def warehouse_of(path: Path, *services: str | Service) -> Path:
    """A fresh warehouse of team t1 owning ``services`` (a bare id: no Sonar key, no selector)."""
    return build_warehouse(path, [(s, None, None) if isinstance(s, str) else s for s in services])


def warehouse_fixture(*services: str | Service) -> Any:
    """A ``warehouse`` fixture: :func:`warehouse_of` at ``tmp_path / "w.duckdb"``."""

    @pytest.fixture
    def warehouse(tmp_path: Path) -> Path:
        return warehouse_of(tmp_path / "w.duckdb", *services)

    return warehouse


def table_rows(
    db: Path, table: str, columns: str, order: str = "external_id"
) -> list[tuple[Any, ...]]:
    """``columns`` of every row of ``table``, ordered by ``order``."""
    return query(db, f"SELECT {columns} FROM {table} ORDER BY {order}")


def shipped_commits(db: Path) -> list[tuple[Any, ...]]:
    """(deployment_external_id, commit_sha) of every deployment_commits row, sorted."""
    return table_rows(db, "deployment_commits", "deployment_external_id, commit_sha", "ALL")


def cursors(db: Path, source: str | None = None) -> list[tuple[Any, ...]]:
    """(stream, cursor_value) of every cursor, or of ``source``'s only, ordered by stream."""
    if source is None:
        return query(db, "SELECT stream, cursor_value FROM sync_cursors ORDER BY stream")
    return query(
        db,
        "SELECT stream, cursor_value FROM sync_cursors WHERE source = $s ORDER BY stream",
        {"s": source},
    )


def resolution_seconds(db: Path) -> list[tuple[Any, ...]]:
    """(external_id, seconds from start to resolution) of every resolved incident."""
    return query(
        db,
        "SELECT external_id, epoch(resolved_at) - epoch(started_at) FROM incidents"
        " WHERE resolved_at IS NOT NULL ORDER BY 1",
    )


# -- checks ------------------------------------------------------------------------------------


def assert_unchanged(db: Path, before: Contents) -> None:
    """Every table but sync_runs holds what ``before`` (``contents(db)``) saw."""
    after = contents(db)
    changed = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
    assert after == before, f"the warehouse changed: {', '.join(changed)}"


def assert_failed(result: SourceResult, db: Path, before: Contents, source: str, line: str) -> None:
    """``line`` is the run's whole error, the warehouse is as ``before`` and the last sync_runs
    row is ``source`` failed with no rows and that line."""
    assert result.error == line, f"error {result.error!r}, expected {line!r}"
    assert_unchanged(db, before)
    last = sync_runs(db)[-1]
    assert last == (source, "failed", 0, line), f"last sync_runs row {last!r}"


def assert_one_line_error(result: SourceResult, source: str, part: str) -> None:
    """The run failed with one error line that starts with ``source: `` and contains ``part``."""
    assert not result.ok, "the sync succeeded"
    error = result.error or ""
    assert error.startswith(f"{source}: ") and "\n" not in error, error
    assert part in error, error


def assert_waited(
    result: SourceResult, sleeps: Sleeps, count: int, retries: int | None = None
) -> None:
    """The run succeeded after ``count`` recorded waits (and ``retries`` retried requests)."""
    assert result.ok, result.error
    assert len(sleeps) == count, f"waits {sleeps!r}, expected {count}"
    if retries is not None:
        assert result.retries == retries, f"{result.retries} retries, expected {retries}"
