"""The Data sources page's "Sync now": a child `python -m connectors sync` against a fake
SonarQube, with the page showing the outcome and the new snapshot's rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.connectors.test_sonarqube import TOKEN_ENV, projects, write_config
from tests.servers.sonar import FakeSonar
from tests.servers.warehouse import build_warehouse
from tests.ui.test_app import APP, _real_navigation  # noqa: F401  (autouse fixture)


@pytest.fixture
def fake() -> Iterator[FakeSonar]:
    with FakeSonar(projects()).running() as server:
        yield server


def data_sources(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("TECHPULSE_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.switch_page("pages/data-sources.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def configure(fake: FakeSonar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str) -> Path:
    """A warehouse with services a1 (SonarQube project acme:a1) and b1, and a sources file
    pointing at the fake SonarQube with ``token``; returns the warehouse."""
    db = build_warehouse(tmp_path / "w.duckdb", [("a1", "acme:a1", None), ("b1", None, None)])
    monkeypatch.setenv("TECHPULSE_SOURCES", str(write_config(tmp_path / "s.toml", fake.url)))
    monkeypatch.setenv(TOKEN_ENV, token)
    monkeypatch.setenv("TECHPULSE_SECRETS", "/nonexistent/secrets.toml")
    return db


def table_rows(app: AppTest, table: str) -> int:
    frame = next(t.value for t in app.table if "What it holds" in t.value.columns)
    return int(frame.loc[table, "Rows"].replace(",", ""))


def test_sync_now_runs_the_connectors_and_shows_new_data(
    fake: FakeSonar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = configure(fake, tmp_path, monkeypatch, "good-token")
    app = data_sources(db, monkeypatch)
    assert table_rows(app, "quality_snapshots") == 0
    app.button[0].click().run()
    assert not app.exception
    assert any("Last sync succeeded" in s.value for s in app.success), [e.value for e in app.error]
    # a1 has analyses A, B, C and b1 has D (see tests/connectors/test_sonarqube.py)
    assert table_rows(app, "quality_snapshots") == 4
    shown = [e.value for kind in (app.markdown, app.success, app.caption) for e in kind]
    assert "good-token" not in str(shown)


def test_sync_failure_is_reported_and_data_kept(
    fake: FakeSonar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = configure(fake, tmp_path, monkeypatch, "expired-token")
    app = data_sources(db, monkeypatch)
    app.button[0].click().run()
    errors = [e.value for e in app.error]
    assert errors and "Last sync failed" in errors[0] and "401" in errors[0]
    assert "expired-token" not in errors[0]
    assert table_rows(app, "quality_snapshots") == 0


def test_no_sources_file_explains_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = build_warehouse(tmp_path / "w.duckdb", [("a1", None, None)])
    monkeypatch.setenv("TECHPULSE_SOURCES", str(tmp_path / "none.toml"))
    app = data_sources(db, monkeypatch)
    assert any("No sources to sync" in i.value for i in app.info)
    assert not app.button


def test_sources_table_resolves_defaults_and_shows_configuration_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table shows where each connector reads (PagerDuty's default API, a git path) and
    what is wrong with a source before anyone presses Sync now (a Jira source without jql)."""
    db = build_warehouse(tmp_path / "w.duckdb", [("a1", None, None)])
    sources = tmp_path / "s.toml"
    sources.write_text(
        '[sources.pd]\ntype = "pagerduty"\nauth = "bearer"\ntoken_env = "PD_TOKEN"\n\n'
        '[sources.repo]\ntype = "git"\npath = "/srv/git/a1.git"\nservice_id = "a1"\n\n'
        '[sources.ops]\ntype = "jira"\nurl = "https://acme.atlassian.net"\nenabled = false\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TECHPULSE_SOURCES", str(sources))
    monkeypatch.setenv("TECHPULSE_SECRETS", "/nonexistent/secrets.toml")
    app = data_sources(db, monkeypatch)
    frame = next(d.value for d in app.dataframe if "problem" in d.value.columns)
    rows = {r["source"]: r for r in frame.to_dict("records")}
    assert rows["pd"]["url"] == "https://api.pagerduty.com" and rows["pd"]["problem"] == ""
    assert rows["pd"]["streams"] == "incidents" and rows["pd"]["enabled"]
    assert rows["repo"]["url"] == "/srv/git/a1.git"
    assert "has no jql" in rows["ops"]["problem"] and not rows["ops"]["enabled"]


def test_a_chinese_reader_sees_the_failure_in_chinese(
    fake: FakeSonar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child sync is told the reader's language, so its error line is Chinese too."""
    db = configure(fake, tmp_path, monkeypatch, "expired-token")
    monkeypatch.setenv("TECHPULSE_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["lang"] = "zh-CN"
    app.run()
    app.switch_page("pages/data-sources.py").run()
    app.button[0].click().run()
    errors = [e.value for e in app.error]
    assert errors, [w.value for w in app.warning]
    assert " 返回 401 " in errors[0]  # "{url} 返回 {status} {reason}"
    assert "from http" not in errors[0] and "expired-token" not in errors[0]
