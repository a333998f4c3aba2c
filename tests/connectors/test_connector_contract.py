"""One contract test for every registered connector type (after the Singer SDK's generated tests).

Each type names a ``contract_source(populated)`` context manager in :data:`CONTRACT_SOURCES`
(a module under ``tests/servers``), which starts that source's local fake and yields the
``[sources.<name>]`` table pointing at it: an empty source, or a small fixed dataset for the
services ``a1`` and ``b1`` (repositories ``acme/a1`` and ``acme/b1``) in January 2026.

Every connector must:

* declare its streams: unique names, tables that exist, primary keys that are columns;
* survive an empty source: success, nothing written but cursors and the run row;
* be idempotent: a second sync of the same data leaves every table as the first left it;
* accept a token only from the environment (``CONTRACT_TOKEN``), never show it.

A registered type without a contract source fails here, so no connector ships untested.
"""

from __future__ import annotations

import importlib
import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from connectors.core.config import load_config
from connectors.registry import CONNECTOR_TYPES, build_connector
from connectors.sync import sync
from data.warehouse import write_snapshot
from tests.servers.warehouse import build_warehouse, contents, query

TOKEN = "contract-token-5f1d2a"
UNTIL = datetime(2026, 1, 15, tzinfo=UTC)
CONTRACT_SOURCES: dict[str, str] = {
    "prometheus": "tests.servers.contract_builtin",
    "sonarqube": "tests.servers.contract_builtin",
    "sonarcloud": "tests.servers.contract_builtin",
    "github": "tests.servers.github",
    "gitlab": "tests.servers.gitlab",
    "jenkins": "tests.servers.jenkins",
    "git": "tests.servers.gitrepo",
    "pagerduty": "tests.servers.pagerduty",
    "opsgenie": "tests.servers.opsgenie",
    "jira": "tests.servers.jira",
}


class ContractSource(Protocol):
    def __call__(self, kind: str, populated: bool) -> AbstractContextManager[dict[str, Any]]: ...


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_source(name: str, table: dict[str, Any]) -> str:
    """``[sources.<name>]`` with its plain keys, then its sub-tables."""
    lines = [f"[sources.{name}]"]
    nested = {k: v for k, v in table.items() if isinstance(v, dict)}
    arrays = {
        k: v
        for k, v in table.items()
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)
    }
    for key, value in table.items():
        if key not in nested and key not in arrays:
            lines.append(f"{json.dumps(key)} = {toml_value(value)}")
    for key, value in nested.items():
        lines.append(f"[sources.{name}.{json.dumps(key)}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()]
    for key, items in arrays.items():
        for item in items:
            lines.append(f"[[sources.{name}.{json.dumps(key)}]]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def contract_warehouse(path: Path) -> Path:
    build_warehouse(path, [("a1", "acme:a1", '{job="a1"}'), ("b1", "acme:b1", '{job="b1"}')])
    with write_snapshot(path) as con:
        con.execute("UPDATE services SET repo_url = 'https://github.com/acme/' || service_id")
    return path


def source_factory(kind: str) -> ContractSource:
    module = importlib.import_module(CONTRACT_SOURCES[kind])
    factory: ContractSource = module.contract_source
    return factory


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTRACT_TOKEN", TOKEN)
    monkeypatch.setenv("TECHPULSE_SECRETS", "/nonexistent/secrets.toml")


def test_every_registered_type_has_a_contract_source() -> None:
    assert set(CONNECTOR_TYPES) == set(CONTRACT_SOURCES)


def _sync(tmp_path: Path, kind: str, table: dict[str, Any], db: Path) -> Any:
    config = tmp_path / f"{kind}.toml"
    config.write_text(
        "[settings]\nmax_attempts = 2\nbackoff_seconds = 0.01\n\n" + toml_source("src", table)
    )
    return sync(load_config(config), db=db, until=UNTIL, sleep=lambda _s: None)


def _streams_are_declared(kind: str, table: dict[str, Any], tmp_path: Path, db: Path) -> None:
    config = tmp_path / "declared.toml"
    config.write_text(toml_source("src", table))
    connector = build_connector(load_config(config).sources[0])
    names = [s.name for s in connector.streams]
    assert names and len(names) == len(set(names)), f"{kind}: streams {names}"
    for stream in connector.streams:
        columns = {
            r[0]
            for r in query(
                db,
                "SELECT column_name FROM duckdb_columns() WHERE table_name = $t",
                {"t": stream.table},
            )
        }
        assert columns, f"{kind}: stream {stream.name} writes unknown table {stream.table}"
        assert set(stream.primary_key) <= columns, f"{kind}: key of {stream.name}"
        assert stream.cursor_field in columns or stream.cursor_field == "", stream.name


def _comparable(db: Path) -> dict[str, list[Any]]:
    found = contents(db, exclude=("sync_runs", "sync_cursors"))
    found["sync_cursors"] = query(db, "SELECT source, stream, cursor_value FROM sync_cursors")
    return found


@pytest.mark.parametrize("kind", sorted(CONTRACT_SOURCES))
def test_empty_source(kind: str, tmp_path: Path) -> None:
    db = contract_warehouse(tmp_path / "w.duckdb")
    before = contents(db, exclude=("sync_runs", "sync_cursors"))
    with source_factory(kind)(kind, False) as table:
        _streams_are_declared(kind, table, tmp_path, db)
        summary = _sync(tmp_path, kind, table, db)
    result = summary.results[0]
    assert result.ok, f"{kind}: {result.error}"
    assert result.rows_written == 0, f"{kind}: wrote {result.rows} from an empty source"
    assert contents(db, exclude=("sync_runs", "sync_cursors")) == before
    assert TOKEN not in json.dumps(summary.as_dict())


@pytest.mark.parametrize("kind", sorted(CONTRACT_SOURCES))
def test_idempotent(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also: a source writes only the tables its streams declare, and the linker runs after
    exactly the sources whose streams feed it (the sync relies on both, issue 16)."""
    import connectors.sync as sync_module
    from connectors.core.linking import LINKED_TABLES

    linked: list[str] = []
    real_link = sync_module.link

    def counting_link(con: Any, settings: Any = None) -> Any:
        linked.append(kind)
        return real_link(con, settings)

    monkeypatch.setattr(sync_module, "link", counting_link)
    db = contract_warehouse(tmp_path / "w.duckdb")
    with source_factory(kind)(kind, True) as table:
        first = _sync(tmp_path, kind, table, db).results[0]
        assert first.ok, f"{kind}: {first.error}"
        assert first.rows_written > 0, f"{kind}: the populated contract source wrote nothing"
        config = tmp_path / "streams.toml"
        config.write_text(toml_source("src", table))
        streams = {s.table for s in build_connector(load_config(config).sources[0]).streams}
        written = {t for t, n in first.rows.items() if n}
        assert written <= streams, f"{kind}: wrote {written - streams} outside its streams"
        assert linked == ([kind] if streams & set(LINKED_TABLES) else []), (kind, streams)
        after_first = _comparable(db)
        second = _sync(tmp_path, kind, table, db).results[0]
        assert second.ok, f"{kind}: {second.error}"
        assert _comparable(db) == after_first, f"{kind}: a second sync changed the warehouse"
    runs = query(db, "SELECT count(*), max(error) FROM sync_runs WHERE status = 'success'")
    assert runs == [(2, None)]
    stored = json.dumps(_comparable(db), default=str)
    assert TOKEN not in stored
