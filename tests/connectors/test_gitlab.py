"""GitLab connector against a local fake of the documented REST API v4 (tests/servers/gitlab.py).

Fixture (UTC, January 2026 unless said; runs end at ``until`` = 2026-01-15 00:00; the source
has ``page_size = 2``, ``lookback_days = 30``, ``concurrency = 1``; the fake leaves out
``x-total`` above 3 records, so every long listing is paged through ``x-next-page`` only).

Project 101 ``acme/platform/billing`` → service billing, found through its repo_url
``http://127.0.0.1/acme/platform/billing`` (three path segments: the full path comes from the
URL). Deployments (job start–finish, then the deployment's updated_at):

====  ================  =========  ===  ===========================  ==========  =====
id    environment       status     sha  created / job               updated     MRs
====  ================  =========  ===  ===========================  ==========  =====
8     review/feature-x  created    S1   02 08:00, never run          02 08:00
1     staging           success    S1   03 10:00 / 10:05–10:15       03 10:16    !1
2     production        success    S1   04 09:00 / 09:10–09:20       04 09:21    !1 !7
3     production        failed     S2   06 09:10 / –, finished 09:08 06 09:09
4     production        success    S2   07 09:00 / 08 14:00–14:10    08 14:11    !2 !3
5     production        canceled   S3   09 09:00 / no job times      09 09:30
9     staging           skipped    S3   10 11:00 / no job times      10 11:01
6     production        success    S3   10 12:00 / API, no job       10 12:05    !4
7     production        running    S4   14 10:00 / 10:01–            14 10:02
10    staging           success    S4   14 11:00 / 11:05–11:15       14 11:16    !5
====  ================  =========  ===  ===========================  ==========  =====

Stored: the 8 final ones (not 7 running, not 8 created). started_at = job start, else
created_at, never after finished_at (3: 09:08–09:08); finished_at = job finish, else
updated_at; skipped → cancelled. The deployments cursor stays at 7's updated_at, 14 10:02 (it
may still finish; 8 was last updated 12 days before ``until``, past the 24 h pending timeout,
so it does not hold the cursor).

Merged merge requests (opened, merged, updated; commit = merge, else squash, else head):
!1 (02 09:00, 03 09:00, 03 09:05; S1; commits at 02T10:00+02:00 and 01T22:30-05:00 → first
02 03:30Z), !2 (05 09:00, 06 08:00, 06 08:01; squash S2; 3 commits on 2 pages, earliest
04 16:00), !3 (06 10:00, 07 10:00, 12 09:00; M3; 06 09:30), !4 (09 10:00, 10 11:30, 10 11:30;
fast-forward: head S3; 09 09:00), !5 (13 09:00, 13 10:00, 13 10:00; M5; 13 08:00) and !7
(2025-12-01 09:00, 10:00, updated then too — before the 30-day lookback, so it only comes
through deployment 2; 2025-11-30 12:00). !6 is still open.

Links from the successful production deployments' merge request lists: !1 and !7 → 2, !2 and
!3 → 4, !4 → 6 (link_method "source"); !5 only went to staging (10): unlinked. The linker
cannot link it either: billing reports commit lists, and no deployment shipped M5.
deployment_commits: each successful deployment's sha (1 S1, 2 S1, 4 S2, 6 S3, 10 S4) plus the
production-shipped merge requests' commits (2 M7, 4 M3; the others repeat a deployment's sha)
= 7 rows.

Project 102 ``acme/web`` → service web through ``[sources.gl.services]`` (its repo_url is on
github.com). Deployment 31 production success WS1 (05 15:00 / 15:02–15:12, updated 15:13)
shipping !1 (05 09:00, merged 14:00, updated 14:00; commit at 05T11:00+01:00 = 10:00Z).
Not on Ultimate: its DORA call answers 403 and is skipped silently.

Totals: deployments 8 + 1 = 9, changes 6 + 1 = 7, deployment_commits 7 + 1 = 8.

Requests of a first sync: billing = lookup 1 + deployments 5 pages (10 items) + DORA 1 +
shipped lists of 2, 4, 6 = 3 + merge requests 3 pages (5 items) + commits (!2: 2 pages, five
others 1 each) 7 = 20; web = lookup, deployments, DORA, shipped list, merge requests, commits
= 6; 26 in all.

DORA: GitLab says 2 deployments on 2026-01-08 where this sync fetched 1 (deployment 4) → one
warning; the window is 2025-12-16 … 2026-01-14 (whole UTC days since the lookback start).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.core.config import load_config
from connectors.core.errors import ConfigError
from connectors.sources.gitlab.api import PrivateTokenAuth
from connectors.sources.gitlab.streams import GitLabConnector, repo_path
from data.warehouse import write_snapshot
from tests.connector_helpers import (
    Sleeps,
    assert_failed,
    assert_waited,
    cursors,
    failing,
    fake_fixture,
    shipped_commits,
    sync_source,
    table_rows,
    token_changed,
    token_fixture,
    token_set,
    warehouse_of,
    write_sources,
)
from tests.servers.gitlab import Commit, Deployment, FakeGitLab, Fault, MergeRequest, Project
from tests.servers.warehouse import contents, query

TOKEN_ENV = "GITLAB_TEST_TOKEN"
UNTIL = datetime(2026, 1, 15, tzinfo=UTC)
S1, S2, S3, S4 = ("1" * 40, "2" * 40, "3" * 40, "4" * 40)
M3, M5, M7, WS1 = ("c3" * 20, "c5" * 20, "c7" * 20, "e1" * 20)
JSON = {"Content-Type": "application/json"}


def at(day: int, hour: int, minute: int = 0, month: int = 1, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def billing() -> Project:
    deployments = [
        Deployment(8, "review/feature-x", "created", S1, at(2, 8), at(2, 8)),
        Deployment(
            1,
            "staging",
            "success",
            S1,
            at(3, 10),
            at(3, 10, 16),
            at(3, 10, 5),
            at(3, 10, 15),
            merge_requests=[1],
        ),
        Deployment(
            2,
            "production",
            "success",
            S1,
            at(4, 9),
            at(4, 9, 21),
            at(4, 9, 10),
            at(4, 9, 20),
            merge_requests=[1, 7],
        ),
        Deployment(3, "production", "failed", S2, at(6, 9, 10), at(6, 9, 9), None, at(6, 9, 8)),
        Deployment(
            4,
            "production",
            "success",
            S2,
            at(7, 9),
            at(8, 14, 11),
            at(8, 14),
            at(8, 14, 10),
            merge_requests=[2, 3],
        ),
        Deployment(5, "production", "canceled", S3, at(9, 9), at(9, 9, 30)),
        Deployment(9, "staging", "skipped", S3, at(10, 11), at(10, 11, 1)),
        Deployment(
            6,
            "production",
            "success",
            S3,
            at(10, 12),
            at(10, 12, 5),
            api_created=True,
            merge_requests=[4],
        ),
        Deployment(7, "production", "running", S4, at(14, 10), at(14, 10, 2), at(14, 10, 1)),
        Deployment(
            10,
            "staging",
            "success",
            S4,
            at(14, 11),
            at(14, 11, 16),
            at(14, 11, 5),
            at(14, 11, 15),
            merge_requests=[5],
        ),
    ]
    merge_requests = [
        MergeRequest(
            1,
            at(2, 9),
            at(3, 9, 5),
            at(3, 9),
            "a1" * 20,
            merge_commit_sha=S1,
            commits=[
                Commit("b1" * 20, "2026-01-02T10:00:00+02:00"),
                Commit("b2" * 20, "2026-01-01T22:30:00-05:00"),
            ],
        ),
        MergeRequest(
            2,
            at(5, 9),
            at(6, 8, 1),
            at(6, 8),
            "a2" * 20,
            squash_commit_sha=S2,
            commits=[
                Commit("b3" * 20, "2026-01-05T12:00:00Z"),
                Commit("b4" * 20, "2026-01-05T10:00:00Z"),
                Commit("b5" * 20, "2026-01-04T16:00:00Z"),
            ],
        ),
        MergeRequest(
            3,
            at(6, 10),
            at(12, 9),
            at(7, 10),
            "a3" * 20,
            merge_commit_sha=M3,
            commits=[Commit("b6" * 20, "2026-01-06T09:30:00Z")],
        ),
        MergeRequest(
            4,
            at(9, 10),
            at(10, 11, 30),
            at(10, 11, 30),
            S3,
            commits=[Commit(S3, "2026-01-09T09:00:00Z")],
        ),
        MergeRequest(
            5,
            at(13, 9),
            at(13, 10),
            at(13, 10),
            "a5" * 20,
            merge_commit_sha=M5,
            commits=[Commit("b7" * 20, "2026-01-13T08:00:00Z")],
        ),
        MergeRequest(6, at(11, 9), at(11, 9), None, "a6" * 20, state="opened"),
        MergeRequest(
            7,
            at(1, 9, month=12, year=2025),
            at(1, 10, month=12, year=2025),
            at(1, 10, month=12, year=2025),
            "a7" * 20,
            merge_commit_sha=M7,
            commits=[Commit("b8" * 20, "2025-11-30T12:00:00Z")],
        ),
    ]
    return Project(
        101, "acme/platform/billing", deployments, merge_requests, dora={"2026-01-08": 2}
    )


def web() -> Project:
    return Project(
        102,
        "acme/web",
        [
            Deployment(
                31,
                "production",
                "success",
                WS1,
                at(5, 15),
                at(5, 15, 13),
                at(5, 15, 2),
                at(5, 15, 12),
                merge_requests=[1],
            )
        ],
        [
            MergeRequest(
                1,
                at(5, 9),
                at(5, 14),
                at(5, 14),
                "f1" * 20,
                merge_commit_sha=WS1,
                commits=[Commit("f2" * 20, "2026-01-05T11:00:00+01:00")],
            )
        ],
        ultimate=False,
    )


def orphan() -> Project:
    return Project(103, "acme/orphan")


# source, external_id, service, environment, started, finished, status, commit
DEPLOYMENTS = [
    ("gl", "1", "billing", "staging", at(3, 10, 5), at(3, 10, 15), "success", S1),
    ("gl", "10", "billing", "staging", at(14, 11, 5), at(14, 11, 15), "success", S4),
    ("gl", "2", "billing", "production", at(4, 9, 10), at(4, 9, 20), "success", S1),
    ("gl", "3", "billing", "production", at(6, 9, 8), at(6, 9, 8), "failure", S2),
    ("gl", "31", "web", "production", at(5, 15, 2), at(5, 15, 12), "success", WS1),
    ("gl", "4", "billing", "production", at(8, 14), at(8, 14, 10), "success", S2),
    ("gl", "5", "billing", "production", at(9, 9), at(9, 9, 30), "cancelled", S3),
    ("gl", "6", "billing", "production", at(10, 12), at(10, 12, 5), "success", S3),
    ("gl", "9", "billing", "staging", at(10, 11), at(10, 11, 1), "cancelled", S3),
]
B = "acme/platform/billing"
# external_id, service, commit, first commit, opened, merged, deployment, link method
CHANGES = [
    (f"{B}!1", "billing", S1, at(2, 3, 30), at(2, 9), at(3, 9), "2", "source"),
    (f"{B}!2", "billing", S2, at(4, 16), at(5, 9), at(6, 8), "4", "source"),
    (f"{B}!3", "billing", M3, at(6, 9, 30), at(6, 10), at(7, 10), "4", "source"),
    (f"{B}!4", "billing", S3, at(9, 9), at(9, 10), at(10, 11, 30), "6", "source"),
    (f"{B}!5", "billing", M5, at(13, 8), at(13, 9), at(13, 10), None, None),
    (
        f"{B}!7",
        "billing",
        M7,
        at(30, 12, month=11, year=2025),
        at(1, 9, month=12, year=2025),
        at(1, 10, month=12, year=2025),
        "2",
        "source",
    ),
    ("acme/web!1", "web", WS1, at(5, 10), at(5, 9), at(5, 14), "31", "source"),
]
COMMITS = sorted(
    [("1", S1), ("2", S1), ("2", M7), ("4", S2), ("4", M3), ("6", S3), ("10", S4), ("31", WS1)]
)
CURSORS = [
    ("changes/acme/platform/billing", "2026-01-13T10:00:00Z"),
    ("changes/acme/web", "2026-01-05T14:00:00Z"),
    ("deployments/acme/platform/billing", "2026-01-14T10:02:00Z"),
    ("deployments/acme/web", "2026-01-05T15:13:00Z"),
]
DORA_WARNING = (
    "acme/platform/billing: GitLab's DORA deployment frequency differs from the successful "
    "production deployments this sync fetched on 1 day(s) (2026-01-08: GitLab 2, fetched 1); "
    "check production_environments and [sources.gl.environments]"
)


def deployments(db: Path) -> list[tuple[Any, ...]]:
    return table_rows(
        db,
        "deployments",
        "source, external_id, service_id, environment, started_at, finished_at, status, commit_sha",
    )


def changes(db: Path) -> list[tuple[Any, ...]]:
    return table_rows(
        db,
        "changes",
        "external_id, service_id, commit_sha, first_commit_at, opened_at, merged_at,"
        " deployment_external_id, link_method",
    )


commits = shipped_commits


def make_fake(*projects: Project) -> FakeGitLab:
    return FakeGitLab(list(projects) or [billing(), web()], total_limit=3)


fake = fake_fixture(make_fake)
token = token_fixture(TOKEN_ENV)


def new_warehouse(path: Path) -> Path:
    warehouse_of(path, "billing", "web")
    with write_snapshot(path) as con:
        con.execute(
            "UPDATE services SET repo_url = CASE service_id"
            " WHEN 'billing' THEN 'http://127.0.0.1/acme/platform/billing'"
            " ELSE 'https://github.com/acme/web' END"
        )
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return new_warehouse(tmp_path / "w.duckdb")


def write_config(
    path: Path, url: str, extra: str = "", services: str = '"acme/web" = "web"'
) -> Path:
    return write_sources(
        path,
        f"""[sources.gl]
type = "gitlab"
url = "{url}"
auth = "bearer"
token_env = "{TOKEN_ENV}"
page_size = 2
lookback_days = 30
concurrency = 1
{extra}

[sources.gl.services]
{services}
""",
    )


run = partial(sync_source, until=UNTIL)


def calls(fake: FakeGitLab, ending: str) -> list[dict[str, str]]:
    return [params for path, params in fake.log if path.endswith(ending)]


def assert_first_sync(db: Path) -> None:
    assert deployments(db) == DEPLOYMENTS
    assert changes(db) == CHANGES
    assert commits(db) == COMMITS
    assert cursors(db) == CURSORS


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse after one good first sync, copied by the tests that break things."""
    base = tmp_path_factory.mktemp("synced")
    db = new_warehouse(base / "w.duckdb")
    with token_set(TOKEN_ENV), make_fake().running() as server:
        assert run(write_config(base / "s.toml", server.url), db).ok
    return db


def test_first_sync_pages_maps_links_and_checks_dora(
    fake: FakeGitLab, warehouse: Path, tmp_path: Path
) -> None:
    result = run(write_config(tmp_path / "s.toml", fake.url), warehouse)
    assert result.ok, result.error
    assert_first_sync(warehouse)
    assert result.rows == {"deployments": 9, "changes": 7, "deployment_commits": 8}
    assert result.requests == 26
    assert result.warnings == [DORA_WARNING]
    paths = fake.paths()
    # the path is URL-encoded; the listings are paged by x-next-page although x-total is absent
    assert paths[:2] == [
        "/api/v4/projects/acme%2Fweb",
        "/api/v4/projects/acme%2Fplatform%2Fbilling",
    ]
    pages = calls(fake, "/projects/101/deployments")
    assert [p["page"] for p in pages] == ["1", "2", "3", "4", "5"]
    assert pages[0] == {
        "order_by": "updated_at",
        "sort": "asc",
        "updated_before": "2026-01-15T00:00:00Z",
        "updated_after": "2025-12-16T00:00:00Z",
        "page": "1",
        "per_page": "2",
    }
    head = requests.get(
        f"{fake.url}/api/v4/projects/101/deployments",
        params={"per_page": 2},
        headers={"Authorization": "Bearer good-token"},
        timeout=5,
    )
    assert "x-total" not in head.headers and head.headers["x-next-page"] == "2"
    assert [p["page"] for p in calls(fake, "/projects/101/merge_requests")] == ["1", "2", "3"]
    assert [p["page"] for p in calls(fake, "/merge_requests/2/commits")] == ["1", "2"]
    shipped = [p for p in fake.paths() if p.endswith("/merge_requests") and "deployments/" in p]
    assert shipped == [
        "/api/v4/projects/101/deployments/2/merge_requests",
        "/api/v4/projects/101/deployments/4/merge_requests",
        "/api/v4/projects/101/deployments/6/merge_requests",
        "/api/v4/projects/102/deployments/31/merge_requests",
    ]
    dora = calls(fake, "/projects/101/dora/metrics")
    assert dora == [
        {
            "metric": "deployment_frequency",
            "start_date": "2025-12-16",
            "end_date": "2026-01-14",
            "interval": "daily",
        }
    ]
    urls = dict(query(warehouse, "SELECT external_id, url FROM deployments"))
    assert urls["4"] == f"{fake.url}/acme/platform/billing/-/jobs/604"
    assert urls["6"] == f"{fake.url}/acme/platform/billing/-/environments/10101/deployments/6"
    assert set(fake.auth_headers) == {"authorization"}


def test_incremental_resync_fetches_little_and_keeps_links(
    fake: FakeGitLab, warehouse: Path, tmp_path: Path
) -> None:
    """Second run, nothing changed: billing asks for deployments updated after 14 09:02 (the
    cursor 10:02 minus the 1 h overlap: 7 still running, 10) and merge requests after 13 09:00
    (!5): lookup + deployments + merge requests + !5's commits = 4 requests (its DORA window
    has no whole day: 09:02 → 15th, after the last whole day, the 14th); web: lookup,
    deployments (31), DORA (days 6–14), 31's list, merge requests, commits = 6. 10 in all,
    rows 2 + 2 + 2, the warehouse unchanged.

    Third run after 7 succeeded (job 10:01–10:30, updated 10:31, shipping !5) and !3 got a
    comment (updated 14 12:00): 7 and 10 again, 7's list links !5 → 7; !3 is read again but
    keeps its link to 4. Billing's cursors move to 14 11:16 and 14 12:00."""
    config = write_config(tmp_path / "s.toml", fake.url)
    assert run(config, warehouse).ok
    before = contents(warehouse, exclude=("sync_runs", "sync_cursors"))
    fake.reset_log()
    second = run(config, warehouse)
    assert second.ok, second.error
    assert second.requests == 10
    assert second.rows == {"deployments": 2, "changes": 2, "deployment_commits": 2}
    assert calls(fake, "/projects/101/deployments")[0]["updated_after"] == "2026-01-14T09:02:00Z"
    assert calls(fake, "/projects/101/merge_requests")[0]["updated_after"] == (
        "2026-01-13T09:00:00Z"
    )
    assert contents(warehouse, exclude=("sync_runs", "sync_cursors")) == before
    assert cursors(warehouse) == CURSORS

    project = fake.projects[0]
    running = next(d for d in project.deployments if d.id == 7)
    running.status, running.job_finished_at, running.updated_at = (
        "success",
        at(14, 10, 30),
        at(14, 10, 31),
    )
    running.merge_requests = [5]
    next(m for m in project.merge_requests if m.iid == 3).updated_at = at(14, 12)
    third = run(config, warehouse)
    assert third.ok, third.error
    rows = deployments(warehouse)
    assert (
        "gl",
        "7",
        "billing",
        "production",
        at(14, 10, 1),
        at(14, 10, 30),
        "success",
        S4,
    ) in rows
    assert len(rows) == 10
    found = {r[0]: r for r in changes(warehouse)}
    assert found[f"{B}!5"][6:] == ("7", "source")
    assert found[f"{B}!3"][6:] == ("4", "source")  # read again, link kept
    assert len(found) == 7
    assert ("7", M5) in commits(warehouse)
    assert dict(cursors(warehouse))["deployments/acme/platform/billing"] == "2026-01-14T11:16:00Z"
    assert dict(cursors(warehouse))["changes/acme/platform/billing"] == "2026-01-14T12:00:00Z"


def test_since_refetches_everything_without_duplicates(
    fake: FakeGitLab, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "s.toml", fake.url)
    assert run(config, warehouse).ok
    again = run(config, warehouse, since=datetime(2025, 11, 1, tzinfo=UTC))
    assert again.ok, again.error
    assert_first_sync(warehouse)


def test_rate_limits_are_waited_for(fake: FakeGitLab, warehouse: Path, tmp_path: Path) -> None:
    """429 with Retry-After 7 → wait 7 s; 403 with RateLimit-Remaining 0 and a reset 30 s
    ahead → wait ≈30 s; a 200 saying RateLimit-Remaining 0, reset 20 s ahead → the next
    request waits ≈20 s. Each retried request succeeds; the data is the same."""
    now = int(time.time())
    fake.fail(
        "/api/v4/projects/101/deployments",
        Fault(429, "Retry later\n", {"Retry-After": "7", "RateLimit-Remaining": "0"}),
    )
    fake.fail(
        "/api/v4/projects/101/merge_requests",
        Fault(
            403,
            '{"message": "403 Forbidden"}',
            {**JSON, "RateLimit-Remaining": "0", "RateLimit-Reset": str(now + 30)},
        ),
    )
    fake.fail(
        "/api/v4/projects/acme%2Fweb",
        Fault(None, headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(now + 20)}),
    )
    sleeps = Sleeps()
    result = run(write_config(tmp_path / "s.toml", fake.url), warehouse, sleep=sleeps)
    assert_waited(result, sleeps, 3, retries=2)
    assert sleeps[0] == pytest.approx(20, abs=2)  # before the billing lookup
    assert sleeps[1] == 7.0
    assert sleeps[2] == pytest.approx(30, abs=2)
    assert_first_sync(warehouse)


FAILURES = {
    "401": (
        token_changed(TOKEN_ENV, "expired-token"),
        "gl: 401 Unauthorized from {url}/api/v4/projects/acme%2Fweb (401 Unauthorized) — the "
        "token in $GITLAB_TEST_TOKEN is missing, expired or revoked; create a personal, group "
        "or project access token with the read_api scope and export it",
    ),
    "403": (
        lambda fake, env: setattr(fake.projects[0], "reporter", False),
        "gl: 403 Forbidden from {url}/api/v4/projects/101/deployments (403 Forbidden) — the "
        "token may not read project acme/platform/billing: it needs the read_api scope and at "
        "least the Reporter role on the project",
    ),
    "404": (
        lambda fake, env: setattr(fake.projects[1], "visible", False),
        "gl: 404 Not Found from {url}/api/v4/projects/acme%2Fweb (404 Project Not Found) — "
        "GitLab has no project 'acme/web' (service web), or the token cannot see it; fix the "
        "project in [sources.gl] projects, [sources.gl.services] or services.repo_url",
    ),
    "429": (
        failing(
            "/api/v4/projects/101/deployments",
            Fault(429, "Retry later\n", {"Retry-After": "1"}),
            times=5,
        ),
        "gl: 429 Too Many Requests from {url}/api/v4/projects/101/deployments (Retry later) "
        "after 2 attempts — rate limited even after retries; lower concurrency in [sources.gl] "
        "or retry later",
    ),
    "500": (
        failing(
            "/api/v4/projects/102/merge_requests",
            Fault(500, '{"message": "500 Internal Server Error"}', JSON),
            times=5,
        ),
        "gl: 500 Internal Server Error from {url}/api/v4/projects/102/merge_requests (500 "
        "Internal Server Error) after 2 attempts — GitLab failed; check its health or status "
        "page and retry",
    ),
    "malformed JSON": (
        failing("/api/v4/projects/101/merge_requests", Fault(200, '[{"iid": 1,', JSON)),
        "gl: unexpected answer from {url}/api/v4/projects/101/merge_requests: malformed JSON "
        "(application/json, 11 bytes) — check that the url points at the right API (not a "
        "proxy or login page) and retry",
    ),
    "an object instead of a list": (
        failing("/api/v4/projects/101/deployments", Fault(200, '{"message": "ok"}', JSON)),
        "gl: unexpected answer from {url}/api/v4/projects/101/deployments: expected the answer "
        "to be a list — check that the url points at the right API (not a proxy or login page) "
        "and retry",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_one_line_and_leave_the_warehouse_unchanged(
    case: str,
    fake: FakeGitLab,
    synced: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "w.duckdb"
    db.write_bytes(synced.read_bytes())
    before = contents(db)
    breaks, expected = FAILURES[case]
    breaks(fake, monkeypatch)
    config = write_config(tmp_path / "s.toml", fake.url)
    result = run(config, db, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert_failed(result, db, before, "gl", expected.format(url=fake.url))


def test_a_listing_that_shrinks_while_paged_fails(
    fake: FakeGitLab, synced: Path, tmp_path: Path
) -> None:
    """Page 1 announces x-total 4 and has 2 items; page 2 is the last (empty x-next-page) with
    1: an item left the listing between the pages, offsets shifted, one may be skipped."""
    db = tmp_path / "w.duckdb"
    db.write_bytes(synced.read_bytes())
    before = contents(db)
    first = [{"iid": 1, "updated_at": "2026-01-03T09:05:00Z"}] * 2
    fake.fail(
        "/api/v4/projects/101/merge_requests",
        Fault(200, json.dumps(first), {**JSON, "x-total": "4", "x-page": "1", "x-next-page": "2"}),
        Fault(200, json.dumps(first[:1]), {**JSON, "x-page": "2", "x-next-page": ""}),
    )
    result = run(write_config(tmp_path / "s.toml", fake.url), db)
    assert result.error == (
        f"gl: {fake.url}/api/v4/projects/101/merge_requests listed 3 of the 4 items its first "
        "page announced (items left the listing while it was paged, so some may have been "
        "skipped); nothing was written — run the sync again (if it recurs, lower the sync's "
        "concurrency or sync at a quieter time)"
    )
    assert contents(db) == before


def test_an_earlier_deployment_to_another_production_environment_keeps_the_link(
    warehouse: Path, tmp_path: Path
) -> None:
    """prod-us and prod-eu are both stored as production. !1 went to prod-us with 41
    (finished 05 10:00), then to prod-eu with 42 (finished 05 12:00); GitLab lists it under
    both (first deployment per environment). Run 1 ends 05 11:00 and sees only 41: !1 → 41.
    Run 2 (no overlap) sees only 42; asking which of 42's merge requests reached prod-us
    before 12:00 says !1, so 42 does not take the link, and re-reading !1 (updated 04 10:00,
    the changes cursor: updated_after is inclusive for merge requests) does not erase it."""
    shop = Project(
        101,
        "acme/platform/billing",
        [
            Deployment(
                41,
                "prod-us",
                "success",
                S1,
                at(5, 9),
                at(5, 10, 1),
                at(5, 9, 50),
                at(5, 10),
                merge_requests=[1],
            ),
            Deployment(
                42,
                "prod-eu",
                "success",
                S1,
                at(5, 11),
                at(5, 12, 1),
                at(5, 11, 50),
                at(5, 12),
                merge_requests=[1],
            ),
        ],
        [
            MergeRequest(
                1,
                at(4, 9),
                at(4, 10),
                at(4, 10),
                "a1" * 20,
                merge_commit_sha=S1,
                commits=[Commit("b1" * 20, "2026-01-04T08:00:00Z")],
            )
        ],
        tiers={"prod-us": "production", "prod-eu": "production"},
    )
    extra = "dora_check = false\noverlap_hours = 0\n[sources.gl.environments]\n"
    extra += '"prod-us" = "production"\n'
    extra += '"prod-eu" = "production"'
    with make_fake(shop).running() as fake:
        config = write_config(tmp_path / "s.toml", fake.url, extra=extra, services="")
        first = run(config, warehouse, until=at(5, 11))
        assert first.ok, first.error
        assert changes(warehouse)[0][6:] == ("41", "source")
        fake.reset_log()
        second = run(config, warehouse)
        assert second.ok, second.error
        asked = calls(fake, "/projects/101/merge_requests")
    assert changes(warehouse)[0][6:] == ("41", "source")
    assert {
        "state": "merged",
        "environment": "prod-us",
        "deployed_before": "2026-01-05T12:00:00Z",
        "iids[]": "1",
        "page": "1",
        "per_page": "2",
    } in asked
    assert commits(warehouse) == [("41", S1), ("42", S1)]


def test_discover_lists_member_projects_by_keyset_and_warns_about_unmapped(
    warehouse: Path, tmp_path: Path
) -> None:
    """Keyset pages of 2: [101, 102] is full, so GitLab links to id_after=102, which has
    [103]. acme/orphan maps to no service: skipped, not fetched, one warning. No per-project
    lookups. A failing DORA call (500, twice) is a warning, not a failed run."""
    with make_fake(billing(), web(), orphan()).running() as fake:
        fake.fail("/api/v4/projects/101/dora/metrics", *[Fault(500, "{}", JSON)] * 2)
        config = write_config(tmp_path / "s.toml", fake.url, extra="discover = true")
        result = run(config, warehouse)
        listing = calls(fake, "/api/v4/projects")
    assert result.ok, result.error
    assert_first_sync(warehouse)
    assert [p.get("id_after") for p in listing] == [None, "102"]
    assert listing[0] == {
        "membership": "true",
        "archived": "false",
        "simple": "true",
        "pagination": "keyset",
        "order_by": "id",
        "sort": "asc",
        "per_page": "2",
    }
    assert not [p for p in fake.paths() if p.startswith("/api/v4/projects/acme")]
    assert not [p for p in fake.paths() if p.startswith("/api/v4/projects/103")]
    assert result.warnings == [
        "1 GitLab projects map to no service and were skipped (acme/orphan); map them under "
        "[sources.gl.services]",
        f"acme/platform/billing: DORA cross-check skipped (500 Internal Server Error from "
        f"{fake.url}/api/v4/projects/101/dora/metrics after 2 attempts)",
    ]


def test_projects_option_ids_and_private_token_header(
    fake: FakeGitLab, warehouse: Path, tmp_path: Path
) -> None:
    """projects = [101, "acme/web", "acme/nothing"]: 101 is looked up (its path maps through
    repo_url), acme/nothing maps to no service and is not fetched."""
    extra = 'projects = [101, "acme/web", "acme/nothing"]\ntoken_header = "private-token"'
    result = run(write_config(tmp_path / "s.toml", fake.url, extra=extra), warehouse)
    assert result.ok, result.error
    assert_first_sync(warehouse)
    assert set(fake.auth_headers) == {"private-token"}
    assert "/api/v4/projects/101" in fake.paths()
    assert "/api/v4/projects/acme%2Fnothing" not in fake.paths()
    assert result.warnings == [
        "1 GitLab projects map to no service and were skipped (acme/nothing); map them under "
        "[sources.gl.services]",
        DORA_WARNING,
    ]
    assert repr(PrivateTokenAuth("good-token")) == "PrivateTokenAuth(***)"


def test_a_record_that_cannot_be_a_row_is_skipped_and_reported(
    warehouse: Path, tmp_path: Path
) -> None:
    """Deployment 99 has a status GitLab may add one day ("paused"): skipped, one warning,
    everything else stored as in the first sync."""
    project = billing()
    project.deployments.append(
        Deployment(99, "production", "paused", S2, at(5, 9), at(5, 9, 30), at(5, 9, 1))
    )
    with make_fake(project, web()).running() as fake:
        result = run(write_config(tmp_path / "s.toml", fake.url), warehouse)
    assert result.ok, result.error
    assert_first_sync(warehouse)
    assert result.warnings == [
        DORA_WARNING,
        "acme/platform/billing: skipped 1 record(s) GitLab sent in an unexpected form "
        "(deployment 99: status 'paused' is not one of success, failure, cancelled)",
    ]


def test_no_known_project_is_a_warning(tmp_path: Path) -> None:
    db = warehouse_of(tmp_path / "w.duckdb", "billing")
    with make_fake().running() as fake:
        result = run(write_config(tmp_path / "s.toml", fake.url, services=""), db)
        assert fake.paths() == []
    assert result.ok and result.rows == {}
    assert result.warnings[0].startswith("no GitLab project to sync")


def test_the_fake_answers_as_gitlab_does(fake: FakeGitLab) -> None:
    """GitLab 16.0+ refuses updated_after without order_by=updated_at; 401 without a token."""
    url = f"{fake.url}/api/v4/projects/101/deployments"
    headers = {"Authorization": "Bearer good-token"}
    refused = requests.get(
        url, params={"updated_after": "2026-01-01T00:00:00Z"}, headers=headers, timeout=5
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "message": "400 Bad request - `updated_at` filter requires `updated_at` sort"
    }
    assert requests.get(url, timeout=5).json() == {"message": "401 Unauthorized"}
    small = requests.get(f"{fake.url}/api/v4/projects/102/deployments", headers=headers, timeout=5)
    assert small.headers["x-total"] == "1" and small.headers["x-next-page"] == ""


def config_error(tmp_path: Path, extra: str, auth: str = "bearer") -> str:
    path = write_config(tmp_path / "c.toml", "https://gitlab.example.com/api/v4", extra=extra)
    path.write_text(path.read_text().replace('auth = "bearer"', f'auth = "{auth}"'))
    with pytest.raises(ConfigError) as caught:
        GitLabConnector(load_config(path).sources[0])
    return str(caught.value)


def test_options_are_validated(tmp_path: Path) -> None:
    assert "takes no basic auth" in config_error(tmp_path, "", auth="basic")
    assert "token_header = 'x'" in config_error(tmp_path, 'token_header = "x"')
    assert "exclude each other" in config_error(tmp_path, 'discover = true\nprojects = ["a/b"]')
    assert "overlap_hours must be a number from 0 to 168" in config_error(
        tmp_path, "overlap_hours = 500"
    )
    assert "unknown key repos" in config_error(tmp_path, 'repos = ["a/b"]')
    path = write_config(tmp_path / "ok.toml", "https://gitlab.example.com/gitlab/api/v4")
    connector = GitLabConnector(load_config(path).sources[0])
    assert connector.url == "https://gitlab.example.com/gitlab"
    default = write_config(tmp_path / "d.toml", "")
    assert GitLabConnector(load_config(default).sources[0]).url == "https://gitlab.com"


def test_repo_urls_give_full_project_paths() -> None:
    assert repo_path("https://gitlab.com/acme/platform/billing.git", "gitlab.com") == (
        "acme/platform/billing"
    )
    assert repo_path("git@gitlab.com:acme/web.git", "gitlab.com") == "acme/web"
    assert repo_path("https://gitlab.com/acme/web/-/tree/main", "gitlab.com") == "acme/web"
    assert repo_path("https://git.example.com/gitlab/acme/web", "git.example.com", "/gitlab") == (
        "acme/web"
    )
    assert repo_path("https://github.com/acme/web", "gitlab.com") is None
    assert repo_path("https://gitlab.com/acme", "gitlab.com") is None


def test_the_catalogs_gitlab_project_maps_without_a_services_table(
    fake: FakeGitLab, warehouse: Path, tmp_path: Path
) -> None:
    """The catalog declares gitlab_project "acme/web" for web (its repo_url is on github.com,
    which GitLab cannot use); no [sources.gl.services] line: the same first sync as the mapped
    one, web's project included."""
    with write_snapshot(warehouse) as con:
        con.execute("UPDATE services SET gitlab_project = 'acme/web' WHERE service_id = 'web'")
    result = run(write_config(tmp_path / "s.toml", fake.url, services=""), warehouse)
    assert result.ok, result.error
    assert_first_sync(warehouse)
