"""SonarQube connector against a local fake of the documented Web API (tests/servers/sonar.py).

Data (values as the server sends them, strings; dates in the server's +01:00 zone):

* ``acme:a1`` → service a1 through ``services.sonar_project_key``; three analyses
  A 2026-01-03 10:00:00+01, B 2026-01-08 10:00:00+01 (no ``uncovered_lines`` value), C 2026-01-10
  10:00+01 (the current one).
* ``acme:b1`` → service b1 through ``[sources.sonar.projects]``; one analysis D 2026-01-12.
* ``acme:orphan`` maps to no service: skipped and reported.

Coverage of a1 at the end of 2026-01-14 is analysis C: (lines 1000 − 100 uncovered +
conditions 200 − 50 uncovered) ÷ (1000 + 200) = 1050 ÷ 1200 = 87.5 %.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.core.config import load_config
from connectors.sources.sonarqube.streams import SonarQubeConnector
from data.warehouse import write_snapshot
from tests.appserver import REPO, free_port
from tests.connector_helpers import (
    Sleeps,
    assert_failed,
    assert_one_line_error,
    assert_waited,
    cursors,
    failing,
    fake_fixture,
    sync_source,
    table_rows,
    token_changed,
    token_fixture,
    warehouse_fixture,
    warehouse_of,
    write_sources,
)
from tests.servers.sonar import METRICS, SERVER_TZ, Analysis, FakeSonar, Fault, Project
from tests.servers.warehouse import contents, query, sync_runs

TOKEN_ENV = "SONAR_TEST_TOKEN"

A = {
    "lines_to_cover": "1000",
    "uncovered_lines": "300",
    "conditions_to_cover": "200",
    "uncovered_conditions": "100",
    "new_lines_to_cover": "40",
    "new_uncovered_lines": "20",
    "coverage": "66.7",
    "new_coverage": "50.0",
    "sqale_index": "960",
    "bugs": "3",
    "vulnerabilities": "1",
    "code_smells": "40",
    "duplicated_lines_density": "2.5",
    "reliability_rating": "3.0",
    "security_rating": "2.0",
    "alert_status": "ERROR",
}
B = {**A, "uncovered_lines": None, "bugs": "2", "alert_status": "OK"}
C = {
    **A,
    "uncovered_lines": "100",
    "uncovered_conditions": "50",
    "new_lines_to_cover": "60",
    "new_uncovered_lines": "6",
    "sqale_index": "480",
    "bugs": "0",
    "vulnerabilities": "0",
    "code_smells": "30",
    "duplicated_lines_density": "1.0",
    "alert_status": "OK",
}
D = {
    "lines_to_cover": "3000",
    "uncovered_lines": "900",
    "conditions_to_cover": "0",
    "uncovered_conditions": "0",
    "sqale_index": "45",
    "bugs": "1",
    "vulnerabilities": "0",
    "code_smells": "7",
    "duplicated_lines_density": "0.0",
    "alert_status": "ERROR",
}


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=SERVER_TZ)


def projects() -> list[Project]:
    return [
        Project("acme:a1", [Analysis(at(3), A), Analysis(at(8), B), Analysis(at(10), C)]),
        Project("acme:b1", [Analysis(at(12), D)]),
        Project("acme:orphan", [Analysis(at(5), D)]),
    ]


def utc(day: int) -> datetime:
    return at(day).astimezone(UTC)


# project, service, analysed_at, lines, uncovered, conditions, uncovered conditions, new lines,
# new uncovered, debt, bugs, vulnerabilities, smells, duplication, gate
EXPECTED = [
    ("acme:a1", "a1", utc(3), 1000, 300, 200, 100, 40, 20, 960, 3, 1, 40, 2.5, "ERROR"),
    ("acme:a1", "a1", utc(8), 1000, None, 200, 100, 40, 20, 960, 2, 1, 40, 2.5, "OK"),
    ("acme:a1", "a1", utc(10), 1000, 100, 200, 50, 60, 6, 480, 0, 0, 30, 1.0, "OK"),
    ("acme:b1", "b1", utc(12), 3000, 900, 0, 0, None, None, 45, 1, 0, 7, 0.0, "ERROR"),
]
COLUMNS = (
    "project_key, service_id, analysed_at, lines_to_cover, uncovered_lines, conditions_to_cover,"
    " uncovered_conditions, new_lines_to_cover, new_uncovered_lines, technical_debt_minutes,"
    " bugs, vulnerabilities, code_smells, duplicated_lines_density, quality_gate_status"
)


def snapshots(db: Path) -> list[tuple[Any, ...]]:
    return table_rows(db, "quality_snapshots", COLUMNS, "project_key, analysed_at")


fake = fake_fixture(lambda: FakeSonar(projects()))
token = token_fixture(TOKEN_ENV)
warehouse = warehouse_fixture(("a1", "acme:a1", None), "b1")


def write_config(
    path: Path,
    url: str,
    extra: str = "",
    projects: str = '"acme:b1" = "b1"',
    name: str = "sonar",
    kind: str = "sonarqube",
) -> Path:
    return write_sources(
        path,
        f"""[sources.{name}]
type = "{kind}"
url = "{url}"
auth = "bearer"
token_env = "{TOKEN_ENV}"
{extra}

[sources.{name}.projects]
{projects}
""",
    )


run = sync_source


def test_first_sync_pages_maps_and_converts(
    fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "s.toml", fake.url, extra="page_size = 1\nhistory_page_size = 2"
    )
    result = run(config, warehouse)
    assert result.ok, result.error
    assert snapshots(warehouse) == EXPECTED
    assert result.rows == {"quality_snapshots": 4}
    # metrics 1, projects/search 3 pages of 1, a1: history 2 pages + component + gate, b1: 3
    assert result.requests == 11
    assert fake.paths().count("/api/projects/search") == 3
    assert result.warnings == [
        "1 project(s) map to no service and were skipped (acme:orphan); map them with "
        "services.sonar_project_key or [sources.sonar.projects]"
    ]
    assert query(warehouse, "SELECT DISTINCT source FROM quality_snapshots") == [("sonar",)]
    assert cursors(warehouse) == [
        ("quality_snapshots/acme:a1", "2026-01-10T09:00:00+00:00"),
        ("quality_snapshots/acme:b1", "2026-01-12T09:00:00+00:00"),
    ]


def test_incremental_resync_fetches_almost_nothing(
    fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "s.toml", fake.url)
    assert run(config, warehouse).ok
    fake.reset_log()
    unchanged = run(config, warehouse)
    assert unchanged.ok and unchanged.rows == {}
    assert fake.paths() == ["/api/metrics/search", "/api/projects/search"]
    fake.projects["acme:a1"].analyses.append(Analysis(at(13), {**C, "bugs": "5"}))
    fake.reset_log()
    changed = run(config, warehouse)
    assert changed.ok
    assert changed.rows == {"quality_snapshots": 2}  # C again (from is inclusive) and the new one
    history = [p for p in fake.log if p[0] == "/api/measures/search_history"]
    assert [p[1]["component"] for p in history] == ["acme:a1"]
    assert history[0][1]["from"] == "2026-01-10T09:00:00+0000"
    rows = snapshots(warehouse)
    assert len(rows) == 5 and rows[:3] == EXPECTED[:3]
    assert rows[3][2] == utc(13) and rows[3][10] == 5


def test_since_refetches_everything_without_duplicates(
    fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "s.toml", fake.url)
    assert run(config, warehouse).ok
    again = run(config, warehouse, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert again.ok and again.rows == {"quality_snapshots": 4}
    assert snapshots(warehouse) == EXPECTED


def test_read_only_token_lists_with_components_search(warehouse: Path, tmp_path: Path) -> None:
    with FakeSonar(projects(), admin_tokens=set()).running() as fake:
        config = write_config(tmp_path / "s.toml", fake.url)
        first = run(config, warehouse)
        assert first.ok, first.error
        assert snapshots(warehouse) == EXPECTED
        assert any("api/projects/search (needs Administer)" in w for w in first.warnings)
        fake.reset_log()
        second = run(config, warehouse)
    assert second.ok and second.rows == {}
    # listing attempt (403), fallback listing, and one history probe per mapped project
    assert sorted(fake.paths()) == sorted(
        [
            "/api/metrics/search",
            "/api/projects/search",
            "/api/components/search",
            "/api/measures/search_history",
            "/api/measures/search_history",
        ]
    )


def test_renamed_and_missing_metrics(warehouse: Path, tmp_path: Path) -> None:
    """A 10.x-like server: issue counts renamed, no new-code line counts; never ask for those."""
    renamed = {
        "bugs": "software_quality_reliability_issues",
        "vulnerabilities": "software_quality_security_issues",
        "code_smells": "software_quality_maintainability_issues",
    }
    gone = {"new_lines_to_cover", "new_uncovered_lines", *renamed}
    metrics = tuple(m for m in METRICS if m not in gone) + tuple(renamed.values())
    data = projects()
    for project in data:
        for analysis in project.analyses:
            values = {k: v for k, v in analysis.values.items() if k not in gone}
            values.update({new: analysis.values.get(old) for old, new in renamed.items()})
            analysis.values = values
    with FakeSonar(data, metrics=metrics).running() as fake:
        config = write_config(tmp_path / "s.toml", fake.url)
        result = run(config, warehouse)
    assert result.ok, result.error
    expected = [(*r[:7], None, None, *r[9:]) for r in EXPECTED]
    assert snapshots(warehouse) == expected
    assert (
        "the server knows no metric for new_lines_to_cover, new_uncovered_lines; "
        "those columns stay empty" in result.warnings
    )


def test_basic_auth_for_older_servers(warehouse: Path, tmp_path: Path) -> None:
    with FakeSonar(projects(), auth="basic").running() as fake:
        bearer = run(write_config(tmp_path / "b.toml", fake.url), warehouse)
        assert not bearer.ok
        assert 'servers older than 10.0 need auth = "basic"' in (bearer.error or "")
        basic = write_config(tmp_path / "s.toml", fake.url)
        basic.write_text(basic.read_text().replace('"bearer"', '"basic"'))
        assert run(basic, warehouse).ok
    assert snapshots(warehouse) == EXPECTED


def test_sonarcloud_organization_and_regions(warehouse: Path, tmp_path: Path) -> None:
    with FakeSonar(projects(), organization="acme-org").running() as fake:
        config = write_config(
            tmp_path / "s.toml",
            fake.url,
            'organization = "acme-org"',
            name="cloud",
            kind="sonarcloud",
        )
        result = run(config, warehouse)
        assert result.ok, result.error
        listing = [p for p in fake.log if p[0] == "/api/projects/search"]
        assert listing[0][1]["organization"] == "acme-org"
    assert query(warehouse, "SELECT DISTINCT source FROM quality_snapshots") == [("cloud",)]
    for region, url in (("eu", "https://sonarcloud.io"), ("us", "https://sonarqube.us")):
        path = write_config(
            tmp_path / f"{region}.toml", "", f'organization = "o"\nregion = "{region}"'
        )
        source = load_config(path).sources[0]
        assert SonarQubeConnector(source).url == url
    missing = write_config(tmp_path / "m.toml", fake.url, name="cloud", kind="sonarcloud")
    failed = run(missing, warehouse)
    assert failed.error == (
        "cloud: [sources.cloud]: SonarQube Cloud needs an organization — "
        'add organization = "<your organization key>"'
    )


def test_retry_after_and_transient_errors_are_retried(
    fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    fake.fail("/api/measures/search_history", Fault(429, headers={"Retry-After": "1"}))
    fake.fail("/api/measures/component", Fault(503, '{"errors":[{"msg":"busy"}]}'))
    sleeps = Sleeps()
    result = run(write_config(tmp_path / "s.toml", fake.url), warehouse, sleep=sleeps)
    assert_waited(result, sleeps, 2, retries=2)
    assert 1.0 in sleeps  # Retry-After honoured exactly
    assert snapshots(warehouse) == EXPECTED


FAILURES = {
    "401": (
        token_changed(TOKEN_ENV, "expired-token"),
        "sonar: 401 Unauthorized from {url}/api/metrics/search (Authentication is required) — "
        "the token in $SONAR_TEST_TOKEN is missing or expired; create a user token "
        '(My Account → Security) and export it; servers older than 10.0 need auth = "basic"',
    ),
    "403": (
        lambda fake, env: setattr(fake.projects["acme:a1"], "browse", False),
        "sonar: 403 Forbidden from {url}/api/measures/search_history (Insufficient privileges) "
        "— the token's user lacks Browse permission on project acme:a1; grant it or use "
        "another token",
    ),
    "404": (
        lambda fake, env: fake.projects.pop("acme:b1"),
        "sonar: 404 Not Found from {url}/api/measures/search_history (Component key 'acme:b1' "
        "not found) — project key 'acme:b1' (service b1) is not on the server; fix "
        "services.sonar_project_key or [sources.sonar.projects]",
    ),
    "429": (
        failing("/api/measures/search_history", Fault(429, headers={"Retry-After": "1"}), times=10),
        "sonar: 429 Too Many Requests from {url}/api/measures/search_history after 2 attempts "
        "— rate limited even after retries; lower concurrency in [sources.sonar] or retry later",
    ),
    "500": (
        failing("/api/measures/component", Fault(500, '{"errors":[{"msg":"boom"}]}'), times=10),
        "sonar: 500 Internal Server Error from {url}/api/measures/component (boom) after 2 "
        "attempts — the server failed; check its health (api/system/health) and retry",
    ),
    "malformed JSON": (
        failing(
            "/api/qualitygates/project_status",
            Fault(200, '{"projectStatus": {', {"Content-Type": "application/json"}),
        ),
        "sonar: unexpected answer from {url}/api/qualitygates/project_status: malformed JSON "
        "(application/json, 19 bytes) — check that the url points at the right API (not a "
        "proxy or login page) and retry",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_leave_the_warehouse_unchanged(
    case: str,
    fake: FakeSonar,
    warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_config(tmp_path / "s.toml", fake.url)
    assert run(config, warehouse).ok
    before = contents(warehouse)
    breaks, expected = FAILURES[case]
    breaks(fake, monkeypatch)
    result = run(config, warehouse, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert_failed(result, warehouse, before, "sonar", expected.format(url=fake.url))


def test_cli_exit_code_json_progress_and_scorecard(
    fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "s.toml", fake.url)
    cli = [sys.executable, "-m", "connectors", "sync", "--config", str(config), "--db"]
    env = {"PATH": "/usr/bin:/bin", TOKEN_ENV: "good-token", "TECHPULSE_SECRETS": "/nonexistent"}
    done = subprocess.run(
        [*cli, str(warehouse), "--progress", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["event"] for e in events][:2] == ["start", "source_start"]
    progress = [e for e in events if e["event"] == "progress"]
    assert progress[0]["total"] == 2 and progress[-1]["done"] == 2
    assert progress[-1]["unit"] == "projects"
    summary = events[-1]
    assert summary["event"] == "summary" and summary["ok"] is True
    assert summary["rows"] == {"quality_snapshots": 4}
    card = subprocess.run(
        [
            sys.executable,
            "-m",
            "metrics",
            "scorecard",
            "--start",
            "2026-01-01",
            "--end",
            "2026-01-14",
            "--service",
            "a1",
            "--format",
            "json",
            "--db",
            str(warehouse),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert card.returncode == 0, card.stderr
    coverage = next(r for r in json.loads(card.stdout) if r["kpi"] == "coverage")
    assert coverage["value"] == pytest.approx(87.5)
    env[TOKEN_ENV] = "expired-token"
    failed = subprocess.run(
        [*cli, str(warehouse), "--progress", "plain"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    assert failed.returncode == 1
    assert failed.stderr.count("sonar: 401 Unauthorized") == 1


def test_schema_v4_columns_are_filled(fake: FakeSonar, warehouse: Path, tmp_path: Path) -> None:
    """Migration 004 added these columns; the loader fills them."""
    result = run(write_config(tmp_path / "s.toml", fake.url), warehouse)
    assert result.ok, result.error
    rows = query(
        warehouse,
        "SELECT coverage, new_coverage, reliability_rating, security_rating"
        " FROM quality_snapshots WHERE project_key = 'acme:a1' ORDER BY analysed_at",
    )
    assert rows == [(66.7, 50.0, "C", "B")] * 3
    details = json.loads(query(warehouse, "SELECT details FROM sync_runs")[0][0])
    assert details["rows"] == {"quality_snapshots": 4} and len(details["warnings"]) == 1


RETRIED = {
    "429 without Retry-After": ("/api/measures/search_history", Fault(429)),
    "502 Bad Gateway": ("/api/measures/component", Fault(502, "<html>bad gateway</html>")),
    "503 twice": ("/api/qualitygates/project_status", Fault(503), Fault(503)),
}


@pytest.mark.parametrize("case", list(RETRIED))
def test_more_transient_faults_are_retried_then_succeed(
    case: str, fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    path, *faults = RETRIED[case]
    fake.fail(path, *faults)
    config = write_config(tmp_path / "s.toml", fake.url).read_text()
    (tmp_path / "s.toml").write_text(config.replace("max_attempts = 2", "max_attempts = 3"))
    result = run(tmp_path / "s.toml", warehouse)
    assert result.ok, result.error
    assert result.retries == len(faults)
    assert snapshots(warehouse) == EXPECTED  # every row exactly once


BROKEN = {
    "truncated JSON": (
        "/api/measures/component",
        Fault(
            200,
            '{"component": {"key": "acme:a1", "measures": [{"metric": "cov',
            {"Content-Type": "application/json"},
        ),
        "malformed JSON",
    ),
    "a field of the wrong type": (
        "/api/measures/search_history",
        Fault(
            200,
            '{"paging": {"pageIndex": 1, "pageSize": 100, "total": 1},'
            ' "measures": {"metric": "coverage"}}',
            {"Content-Type": "application/json"},
        ),
        "sonar: ",
    ),
    "a field missing": (
        "/api/measures/search_history",
        Fault(
            200,
            '{"paging": {"pageIndex": 1, "pageSize": 100, "total": 1}}',
            {"Content-Type": "application/json"},
        ),
        "sonar: ",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_answers_are_one_line_and_change_nothing(
    case: str, fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "s.toml", fake.url)
    assert run(config, warehouse).ok
    before = contents(warehouse)
    path, fault, expected = BROKEN[case]
    fake.fail(path, *[fault] * 5)
    result = run(config, warehouse, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert_one_line_error(result, "sonar", expected)
    assert contents(warehouse) == before
    assert sync_runs(warehouse)[-1][:2] == ("sonar", "failed")


def test_connection_refused_is_one_line(warehouse: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    before = contents(warehouse)
    result = run(write_config(tmp_path / "s.toml", url), warehouse)
    assert not result.ok and result.error.startswith(f"sonar: cannot reach {url}")
    assert "connection refused" in result.error
    assert contents(warehouse) == before


def test_an_empty_history_page_in_the_middle_fails_and_keeps_the_warehouse(
    fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    """acme:a1 has 3 analyses; with one per page, page 1 comes back empty while the total
    says 3. Stopping there would drop two analyses and move the cursor past them."""
    text = write_config(tmp_path / "s.toml", fake.url).read_text()
    config = tmp_path / "s.toml"
    config.write_text(
        text.replace('type = "sonarqube"', 'type = "sonarqube"\nhistory_page_size = 1')
    )
    before = contents(warehouse)
    empty = json.dumps({"paging": {"pageIndex": 1, "pageSize": 1, "total": 3}, "measures": []})
    fake.fail(
        "/api/measures/search_history", Fault(200, empty, {"Content-Type": "application/json"})
    )
    result = run(config, warehouse)
    assert not result.ok
    assert "page 1 came back empty after 0 of the 3 items" in result.error, result.error
    assert contents(warehouse) == before


def test_a_server_repeating_a_page_is_stopped_with_nothing_written(
    fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    """With one project per page, the project listing answers page 1 twice."""
    text = write_config(tmp_path / "s.toml", fake.url).read_text()
    config = tmp_path / "s.toml"
    config.write_text(text.replace('type = "sonarqube"', 'type = "sonarqube"\npage_size = 1'))
    page_one = json.dumps(
        {
            "paging": {"pageIndex": 1, "pageSize": 1, "total": 3},
            "components": [{"key": "acme:a1", "name": "acme:a1", "qualifier": "TRK"}],
        }
    )
    json_type = {"Content-Type": "application/json"}
    for path in ("/api/projects/search", "/api/components/search"):
        fake.fail(path, Fault(200, page_one, json_type), Fault(200, page_one, json_type))
    before = contents(warehouse)
    result = run(config, warehouse)
    assert not result.ok
    assert "stopped to avoid an endless loop" in result.error, result.error
    assert contents(warehouse) == before


def test_duplicate_history_points_are_stored_once(warehouse: Path, tmp_path: Path) -> None:
    """The same analysis listed twice (same date) is stored as one quality snapshot."""
    twice = [Analysis(at(3), A), Analysis(at(3), B), Analysis(at(10), C)]
    with FakeSonar([Project("acme:a1", twice), Project("acme:b1", [])]).running() as server:
        result = run(write_config(tmp_path / "s.toml", server.url), warehouse)
    assert result.ok, result.error
    stored = query(
        warehouse,
        "SELECT project_key, analysed_at, count(*) FROM quality_snapshots GROUP BY ALL ORDER BY 2",
    )
    assert [(key, n) for key, _, n in stored] == [("acme:a1", 1), ("acme:a1", 1)]


def test_a_sync_that_maps_no_project_fails_with_the_fix(tmp_path: Path, token: None) -> None:
    """No service has a sonar_project_key and the source maps none: before, "all ok" with 0 rows;
    now a failure naming the fix, before any request."""
    db = warehouse_of(tmp_path / "w.duckdb", "a1")
    with FakeSonar(projects()).running() as fake:
        config = write_config(tmp_path / "s.toml", fake.url, projects="")
        result = run(config, db)
        assert fake.log == []
    assert result.status == "failed" and result.error is not None
    assert result.error.startswith(
        "sonar: [sources.sonar]: no service has a sonar_project_key and the source maps no "
        "projects: nothing to sync — set sonar_project_key for your services"
    ), result.error


def test_retired_services_get_no_new_analyses(
    fake: FakeSonar, warehouse: Path, tmp_path: Path
) -> None:
    """b1 is retired (mapped through [sources.sonar.projects]): its analysis D is not written
    and a warning names it; a1's three analyses are written as before."""
    with write_snapshot(warehouse) as con:
        con.execute("UPDATE services SET retired_on = DATE '2026-01-01' WHERE service_id = 'b1'")
    result = run(write_config(tmp_path / "s.toml", fake.url), warehouse)
    assert result.ok, result.error
    assert snapshots(warehouse) == EXPECTED[:3]
    assert result.warnings[0] == (
        "[sources.sonar.projects] maps 'acme:b1' to retired service 'b1'; skipped (its "
        "history stays)"
    )
