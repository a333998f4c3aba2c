"""GitHub connector against a local fake of the documented REST API (tests/servers/github.py).

The fake serves at most 2 items a page (``page_cap=2``), so every list below spans pages.
Runs end at UNTIL = 2026-01-07 00:00Z; the first run looks back 90 days (to 2025-10-09).

**acme/a1** (service a1 through ``services.repo_url``), history h0…h7 on main. Deployments
(GitHub environment ``prod`` is renamed to ``production``):

=====  =======  ===  ================  =========================================  ==========
id     env      sha  created           statuses (oldest first)                    stored as
=====  =======  ===  ================  =========================================  ==========
1000   prod     h0   2025-12-01 10:00  none (deleted)                             skipped, warned
1001   prod     h0   2025-12-02 10:00  queued — still, after > 24 h               skipped, warned
1002   prod     h1   01-02 10:00       queued, in_progress, success 10:05,        success 10:05
                                       inactive 01-04 (superseded)
1003   staging  h2   01-03 09:00       error 09:03                                failure 09:03
1004   prod     h4   01-04 10:00       in_progress, success 10:06                 success 10:06
1005   prod     h5   01-05 10:00       failure 10:04                              failure 10:04
1006   prod     h6   01-06 10:00       success 10:05                              success 10:05
1007   prod     h7   01-06 11:00       in_progress 11:01 (13 h old: waiting)      not yet
1008   staging  h6   01-06 12:00       pending, inactive 12:10                    cancelled 12:10
1009   prod     h7   01-07 12:00       success 12:05 — after UNTIL                not yet
=====  =======  ===  ================  =========================================  ==========

Six deployment rows. Commit lists (production successes in created order: 1002, 1004, 1006):
1002 is the first → none; 1004 = compare h1...h4 = h2, h3, h4; 1006 = compare h4...h6 (the
failed 1005 is no base) = h5, h6 → five deployment_commits rows. Cursor ``deployments/acme/a1``
= min(newest final 1008 at 01-06 12:00, waiting 1007 at 01-06 11:00) = 01-06 11:00.

Pull requests (closed, by updated desc): #15 (updated 01-08, after UNTIL: ignored), #14
(merged 01-05 09:40, merge h5, one commit with only a committer date 01-05 08:00), #13 (closed
unmerged), #12 (merged 01-03 11:00, merge h3, commits authored 01-02 20:00, 01-03 07:00,
01-03 08:30), #11 (merged 01-02 09:30, merge h1, commits authored 2025-12-31 16:00 and 01-01
07:00), #10 (updated 2025-09-01, before the window: paging stops), #9, #8 (never fetched).
→ three changes; first_commit_at 01-05 08:00, 01-02 20:00, 2025-12-31 16:00.

Issues labelled ``incident``: #21 (sev1, closed 01-04 13:00, "deployment 1004" → ref 1004),
#22 (P3, open, "commit <h5[:10]>" → that SHA), #23 (no severity label → default SEV2, closed
01-06 09:00); pull request #13 also carries the label and is dropped; #24 is labelled bug only.

**acme/b1** (service b1 through ``[sources.gh.services]``): 2001 production b1 01-01 10:00
success, 2002 staging b2 01-03 14:00 success; both first of their environment → no commits.

**c1** has a gitlab.com repo_url: not a GitHub repository, never requested.

Totals of the first run: 8 deployments, 5 deployment_commits, 3 changes, 3 incidents.
Requests: a1 = 5 deployment pages (10 items) + 10 status pages (1002 has 4 statuses → 2) +
3 compare pages (3 commits → 2, 2 commits → 1) + 3 pull pages + 4 pull-commit pages (#12 has
3 → 2) + 2 issue pages (4 items) = 27; b1 = 1 + 2 + 1 + 1 = 5; total 32.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from connectors.core.config import load_config
from connectors.core.errors import ConfigError
from connectors.sources.github.api import Status
from connectors.sources.github.streams import GitHubConnector, github_repo, label_severity, outcome
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
from tests.servers.github import (
    FakeCommit,
    FakeDeployment,
    FakeGitHub,
    FakeIssue,
    FakePull,
    FakeRelease,
    FakeRepo,
    FakeStatus,
    Fault,
    sha,
)
from tests.servers.warehouse import contents

TOKEN_ENV = "GITHUB_TEST_TOKEN"
UNTIL = datetime(2026, 1, 7, tzinfo=UTC)
H = [sha(f"a1-{i}") for i in range(8)]
B = [sha(f"b1-{i}") for i in range(3)]
JSON = {"Content-Type": "application/json; charset=utf-8"}


def at(month_day: str, hm: str = "00:00", year: int = 2026) -> datetime:
    month, day = (int(x) for x in month_day.split("-"))
    hour, minute = (int(x) for x in hm.split(":"))
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def dep(id: int, env: str, commit: str, created: datetime, *states: tuple[str, datetime]) -> Any:
    return FakeDeployment(id, commit, env, created, [FakeStatus(s, t) for s, t in states])


def repo_a1() -> FakeRepo:
    repo = FakeRepo("acme/a1", history=list(H))
    repo.deployments = [
        dep(1000, "prod", H[0], at("12-01", "10:00", 2025)),
        dep(1001, "prod", H[0], at("12-02", "10:00", 2025), ("queued", at("12-02", "10:00", 2025))),
        dep(
            1002,
            "prod",
            H[1],
            at("01-02", "10:00"),
            ("queued", at("01-02", "10:00")),
            ("in_progress", at("01-02", "10:01")),
            ("success", at("01-02", "10:05")),
            ("inactive", at("01-04", "10:06")),
        ),
        dep(1003, "staging", H[2], at("01-03", "09:00"), ("error", at("01-03", "09:03"))),
        dep(
            1004,
            "prod",
            H[4],
            at("01-04", "10:00"),
            ("in_progress", at("01-04", "10:01")),
            ("success", at("01-04", "10:06")),
        ),
        dep(1005, "prod", H[5], at("01-05", "10:00"), ("failure", at("01-05", "10:04"))),
        dep(1006, "prod", H[6], at("01-06", "10:00"), ("success", at("01-06", "10:05"))),
        dep(1007, "prod", H[7], at("01-06", "11:00"), ("in_progress", at("01-06", "11:01"))),
        dep(
            1008,
            "staging",
            H[6],
            at("01-06", "12:00"),
            ("pending", at("01-06", "12:00")),
            ("inactive", at("01-06", "12:10")),
        ),
        dep(1009, "prod", H[7], at("01-07", "12:00"), ("success", at("01-07", "12:05"))),
    ]

    def commit(label: str, authored: datetime | None, committed: datetime) -> FakeCommit:
        return FakeCommit(sha(label), committed, authored)

    repo.pulls = [
        FakePull(8, at("07-01", "09:00", 2025), at("07-01", "10:00", 2025)),
        FakePull(9, at("08-01", "09:00", 2025), at("08-01", "10:00", 2025)),
        FakePull(
            10,
            at("09-01", "09:00", 2025),
            at("09-01", "10:00", 2025),
            at("09-01", "10:00", 2025),
            H[0],
            [commit("pr10", at("08-31", "09:00", 2025), at("08-31", "09:00", 2025))],
        ),
        FakePull(
            11,
            at("01-01", "09:00"),
            at("01-02", "09:30"),
            at("01-02", "09:30"),
            H[1],
            [
                commit("pr11-a", at("12-31", "16:00", 2025), at("01-01", "08:00")),
                commit("pr11-b", at("01-01", "07:00"), at("01-01", "08:00")),
            ],
        ),
        FakePull(
            12,
            at("01-03", "08:00"),
            at("01-03", "12:00"),
            at("01-03", "11:00"),
            H[3],
            [
                commit("pr12-a", at("01-03", "07:00"), at("01-03", "07:00")),
                commit("pr12-b", at("01-02", "20:00"), at("01-03", "07:10")),
                commit("pr12-c", at("01-03", "08:30"), at("01-03", "08:30")),
            ],
        ),
        FakePull(13, at("01-04", "08:00"), at("01-04", "15:00"), labels=("incident",)),
        FakePull(
            14,
            at("01-05", "09:00"),
            at("01-05", "09:45"),
            at("01-05", "09:40"),
            H[5],
            [commit("pr14", None, at("01-05", "08:00"))],
        ),
        FakePull(
            15,
            at("01-06", "09:00"),
            at("01-08", "09:00"),
            at("01-08", "09:00"),
            H[7],
            [commit("pr15", at("01-06", "08:00"), at("01-06", "08:00"))],
        ),
    ]
    repo.issues = [
        FakeIssue(
            21,
            "Checkout 500s",
            at("01-04", "11:00"),
            at("01-04", "13:00"),
            at("01-04", "13:00"),
            ("incident", "sev1"),
            "Started right after deployment 1004 went out.",
        ),
        FakeIssue(
            22,
            "Slow search",
            at("01-05", "12:00"),
            at("01-05", "12:30"),
            None,
            ("bug", "incident", "P3"),
            f"Since commit {H[5][:10]} response times doubled",
        ),
        FakeIssue(
            23,
            "Login outage",
            at("01-06", "08:00"),
            at("01-06", "09:00"),
            at("01-06", "09:00"),
            ("incident",),
        ),
        FakeIssue(24, "Typo", at("01-05", "08:00"), at("01-05", "08:00"), None, ("bug",)),
    ]
    return repo


def repo_b1() -> FakeRepo:
    repo = FakeRepo("acme/b1", history=list(B))
    repo.deployments = [
        dep(2001, "production", B[1], at("01-01", "10:00"), ("success", at("01-01", "10:02"))),
        dep(2002, "staging", B[2], at("01-03", "14:00"), ("success", at("01-03", "14:02"))),
    ]
    return repo


def d(month_day: str, hm: str, year: int = 2026) -> datetime:
    return at(month_day, hm, year)


# external_id, service, environment, started, finished, status, commit
DEPLOYMENTS = [
    ("1002", "a1", "production", d("01-02", "10:00"), d("01-02", "10:05"), "success", H[1]),
    ("1003", "a1", "staging", d("01-03", "09:00"), d("01-03", "09:03"), "failure", H[2]),
    ("1004", "a1", "production", d("01-04", "10:00"), d("01-04", "10:06"), "success", H[4]),
    ("1005", "a1", "production", d("01-05", "10:00"), d("01-05", "10:04"), "failure", H[5]),
    ("1006", "a1", "production", d("01-06", "10:00"), d("01-06", "10:05"), "success", H[6]),
    ("1008", "a1", "staging", d("01-06", "12:00"), d("01-06", "12:10"), "cancelled", H[6]),
    ("2001", "b1", "production", d("01-01", "10:00"), d("01-01", "10:02"), "success", B[1]),
    ("2002", "b1", "staging", d("01-03", "14:00"), d("01-03", "14:02"), "success", B[2]),
]
COMMITS = sorted([("1004", H[2]), ("1004", H[3]), ("1004", H[4]), ("1006", H[5]), ("1006", H[6])])
# external_id, service, commit, first commit, opened, merged, url
CHANGES = [
    (
        "acme/a1#11",
        "a1",
        H[1],
        d("12-31", "16:00", 2025),
        d("01-01", "09:00"),
        d("01-02", "09:30"),
        "https://github.com/acme/a1/pull/11",
    ),
    (
        "acme/a1#12",
        "a1",
        H[3],
        d("01-02", "20:00"),
        d("01-03", "08:00"),
        d("01-03", "11:00"),
        "https://github.com/acme/a1/pull/12",
    ),
    (
        "acme/a1#14",
        "a1",
        H[5],
        d("01-05", "08:00"),
        d("01-05", "09:00"),
        d("01-05", "09:40"),
        "https://github.com/acme/a1/pull/14",
    ),
]
# external_id, service, severity, title, started, resolved, deployment_ref
INCIDENTS = [
    ("acme/a1#21", "a1", "SEV1", "Checkout 500s", d("01-04", "11:00"), d("01-04", "13:00"), "1004"),
    ("acme/a1#22", "a1", "SEV3", "Slow search", d("01-05", "12:00"), None, H[5][:10]),
    ("acme/a1#23", "a1", "SEV2", "Login outage", d("01-06", "08:00"), d("01-06", "09:00"), None),
]
CURSORS = [
    ("changes/acme/a1", "2026-01-05T09:45:00Z"),
    ("deployment_commits/acme/a1/production", f"2026-01-06T10:00:00Z {H[6]}"),
    ("deployment_commits/acme/b1/production", f"2026-01-01T10:00:00Z {B[1]}"),
    ("deployment_commits/acme/b1/staging", f"2026-01-03T14:00:00Z {B[2]}"),
    ("deployments/acme/a1", "2026-01-06T11:00:00Z"),
    ("deployments/acme/b1", "2026-01-03T14:00:00Z"),
    ("incidents/acme/a1", "2026-01-06T09:00:00Z"),
]


def deployments(db: Path) -> list[tuple[Any, ...]]:
    columns = "external_id, service_id, environment, started_at, finished_at, status, commit_sha"
    return table_rows(db, "deployments", columns)


commits = shipped_commits


def changes(db: Path) -> list[tuple[Any, ...]]:
    columns = "external_id, service_id, commit_sha, first_commit_at, opened_at, merged_at, url"
    return table_rows(db, "changes", columns)


def incidents(db: Path) -> list[tuple[Any, ...]]:
    columns = "external_id, service_id, severity, title, started_at, resolved_at, deployment_ref"
    return table_rows(db, "incidents", columns)


fake = fake_fixture(lambda: FakeGitHub([repo_a1(), repo_b1()], page_cap=2))
token = token_fixture(TOKEN_ENV)


def make_warehouse(path: Path) -> Path:
    """Services a1 (repo_url on github.com), b1 (no repo_url) and c1 (repo_url on gitlab.com)."""
    db = warehouse_of(path, "a1", "b1")
    with write_snapshot(db) as con:
        con.execute(
            "INSERT INTO services (service_id, team_id, name, repo_url)"
            " VALUES ('c1', 't1', 'c1', 'https://gitlab.com/acme/c1')"
        )
        con.execute(
            "UPDATE services SET repo_url = 'https://github.com/acme/a1' WHERE service_id = 'a1'"
        )
    return db


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "w.duckdb")


@pytest.fixture(scope="module")
def synced_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse after the first sync of the fixture (built once, copied per test)."""
    folder = tmp_path_factory.mktemp("synced")
    db = make_warehouse(folder / "w.duckdb")
    with token_set(TOKEN_ENV), FakeGitHub([repo_a1(), repo_b1()], page_cap=2).running() as server:
        # the fake's URL changes per test; the warehouse does not store it
        assert run(write_config(folder / "g.toml", server.url), db).ok
    return db


@pytest.fixture
def synced(synced_once: Path, tmp_path: Path) -> Path:
    target = tmp_path / "synced.duckdb"
    shutil.copyfile(synced_once, target)
    return target


def write_config(path: Path, url: str, extra: str = "", services: str = '"acme/b1" = "b1"') -> Path:
    return write_sources(
        path,
        f"""[sources.gh]
type = "github"
url = "{url}"
auth = "bearer"
token_env = "{TOKEN_ENV}"
incident_label = "incident"
default_severity = "SEV2"
{extra}

[sources.gh.environments]
prod = "production"

[sources.gh.services]
{services}
""",
    )


run = partial(sync_source, until=UNTIL)


def test_first_sync_pages_maps_and_converts(
    fake: FakeGitHub, warehouse: Path, tmp_path: Path
) -> None:
    result = run(write_config(tmp_path / "g.toml", fake.url), warehouse)
    assert result.ok, result.error
    assert result.rows == {"deployments": 8, "deployment_commits": 5, "changes": 3, "incidents": 3}
    assert deployments(warehouse) == DEPLOYMENTS
    assert commits(warehouse) == COMMITS
    assert changes(warehouse) == CHANGES
    assert incidents(warehouse) == INCIDENTS
    assert cursors(warehouse) == CURSORS
    assert result.requests == 32
    paths = fake.paths()
    assert paths.count("/repos/acme/a1/deployments") == 5
    assert paths.count("/repos/acme/a1/pulls") == 3  # page 4 (#9, #8) is never asked for
    assert not any("acme/c1" in p for p in paths)
    assert "/repos/acme/a1/deployments/1009/statuses" not in paths  # after UNTIL
    assert result.warnings == [
        "1 deployment(s) came back without statuses (GitHub deletes them after 90 days on some "
        "servers) and were skipped; rows already stored are kept (acme/a1 1000)",
        "1 deployment(s) are still queued/pending/in progress after 24 h and are no longer "
        "waited for (acme/a1 1001); re-run with --since to pick them up later",
    ]
    # every request carries GitHub's media type, API version and the bearer token
    for _path, _params, headers in fake.log:
        assert headers["Accept"] == "application/vnd.github+json"
        assert headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert headers["Authorization"] == "Bearer good-token"
    listing = next(p for p in fake.log if p[0] == "/repos/acme/a1/pulls")
    assert listing[1] == {
        "state": "closed",
        "sort": "updated",
        "direction": "desc",
        "per_page": "100",
    }
    issues = next(p for p in fake.log if p[0] == "/repos/acme/a1/issues")
    assert issues[1] == {
        "labels": "incident",
        "state": "all",
        "since": "2025-10-09T00:00:00Z",
        "per_page": "100",
    }


def test_incremental_resync_fetches_little_and_duplicates_nothing(
    fake: FakeGitHub, synced: Path, tmp_path: Path
) -> None:
    """Second run to 2026-01-08 after: 1007 succeeded at 01-07 11:30; 2003 (b1 production,
    b2, 01-06 15:00) succeeded; PR #16 merged 01-07 10:00 (merge h7, one commit); #22 closed
    01-07 09:00.

    a1 deployments start at cursor 01-06 11:00 − 1 h = 10:00: pages [1009, 1008], [1007,
    1006], [1005 → older: stop] = 3 list requests, 4 status requests. Production successes
    1006, 1007, 1009: 1006 is the stored last success itself (no base, rows kept), 1007 =
    compare h6...h7 = h7, 1009 deployed h7 again (no new commit). Pulls start 01-05 08:45:
    [#15 after UNTIL, #16], [#14, #13 → stop]; commits of #16 and #14. Issues since 01-06
    08:00: #23, #22 (one page). b1 starts 01-03 13:00: [2003, 2002], [2001 → stop], 2 status
    requests, compare b1...b2 = b2 against the stored production success; pulls 1, issues 1.
    Requests: a1 3+4+1+2+2+1 = 13, b1 2+2+1+1+1 = 7 → 20.
    """
    config = write_config(tmp_path / "g.toml", fake.url)
    a1, b1 = fake.repos["acme/a1"], fake.repos["acme/b1"]
    waiting = next(x for x in a1.deployments if x.id == 1007)
    waiting.statuses.append(FakeStatus("success", at("01-07", "11:30")))
    b1.deployments.append(
        dep(2003, "production", B[2], at("01-06", "15:00"), ("success", at("01-06", "15:04")))
    )
    a1.pulls.append(
        FakePull(
            16,
            at("01-06", "18:00"),
            at("01-07", "10:00"),
            at("01-07", "10:00"),
            H[7],
            [FakeCommit(sha("pr16"), at("01-06", "20:00"), at("01-06", "20:00"))],
        )
    )
    slow = next(i for i in a1.issues if i.number == 22)
    slow.closed_at = slow.updated_at = at("01-07", "09:00")
    fake.reset_log()
    result = run(config, synced, until=at("01-08"))
    assert result.ok, result.error
    assert result.rows == {"deployments": 6, "deployment_commits": 2, "changes": 2, "incidents": 2}
    assert result.requests == 20
    assert result.warnings == []
    assert fake.paths().count("/repos/acme/a1/deployments") == 3
    new = [
        ("1007", "a1", "production", d("01-06", "11:00"), d("01-07", "11:30"), "success", H[7]),
        ("1009", "a1", "production", d("01-07", "12:00"), d("01-07", "12:05"), "success", H[7]),
        ("2003", "b1", "production", d("01-06", "15:00"), d("01-06", "15:04"), "success", B[2]),
    ]
    assert deployments(synced) == sorted(DEPLOYMENTS + new)
    assert commits(synced) == sorted([*COMMITS, ("1007", H[7]), ("2003", B[2])])
    assert len(changes(synced)) == 4 and changes(synced)[:3] == CHANGES
    assert incidents(synced)[1][5] == at("01-07", "09:00")
    stored = dict(cursors(synced))
    assert stored["deployments/acme/a1"] == "2026-01-07T12:00:00Z"
    assert stored["deployment_commits/acme/a1/production"] == f"2026-01-07T12:00:00Z {H[7]}"
    assert stored["deployment_commits/acme/b1/production"] == f"2026-01-06T15:00:00Z {B[2]}"
    assert stored["changes/acme/a1"] == "2026-01-07T10:00:00Z"
    assert stored["incidents/acme/a1"] == "2026-01-07T09:00:00Z"


def test_since_refetches_without_duplicates_and_keeps_deleted_statuses(
    fake: FakeGitHub, synced: Path, tmp_path: Path
) -> None:
    """A re-fetch from 2026-01-01 after GitHub deleted the statuses of 1004: the stored 1004
    row stays as it was (never overwritten by a status-less answer), nothing is duplicated."""
    config = write_config(tmp_path / "g.toml", fake.url)
    before = (deployments(synced), commits(synced), changes(synced), incidents(synced))
    next(x for x in fake.repos["acme/a1"].deployments if x.id == 1004).statuses.clear()
    again = run(config, synced, since=at("01-01"))
    assert again.ok, again.error
    assert (
        deployments(synced),
        commits(synced),
        changes(synced),
        incidents(synced),
    ) == before
    assert any("without statuses" in w and "acme/a1 1004" in w for w in again.warnings)


def test_rate_limits_wait_for_the_reset(fake: FakeGitHub, warehouse: Path, tmp_path: Path) -> None:
    """b1 is synced first: its deployments answer 403 with the quota used up (reset in 30 s),
    its pulls 429 with Retry-After 7 (a secondary limit), its issues 200 announcing remaining
    0 (reset in 20 s) — so the next request, a1's deployments, waits for that reset."""
    now = int(time.time())
    fake.fail(
        "/repos/acme/b1/deployments",
        Fault(
            403,
            '{"message": "API rate limit exceeded for user ID 1."}',
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(now + 30)},
        ),
    )
    fake.fail(
        "/repos/acme/b1/pulls",
        Fault(
            429, '{"message": "You have exceeded a secondary rate limit."}', {"Retry-After": "7"}
        ),
    )
    fake.fail(
        "/repos/acme/b1/issues",
        Fault(200, "[]", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(now + 20)}),
    )
    sleeps = Sleeps()
    result = run(write_config(tmp_path / "g.toml", fake.url), warehouse, sleep=sleeps)
    assert_waited(result, sleeps, 3, retries=2)
    assert 28 <= sleeps[0] <= 30
    assert sleeps[1] == 7
    assert 18 <= sleeps[2] <= 20
    assert deployments(warehouse) == DEPLOYMENTS  # every row once


def test_github_enterprise_base_url_with_a_path(warehouse: Path, tmp_path: Path) -> None:
    with FakeGitHub([repo_a1(), repo_b1()], prefix="/api/v3").running() as server:
        assert server.url.endswith("/api/v3")
        result = run(write_config(tmp_path / "g.toml", server.url), warehouse)
        paths = server.paths()
    assert result.ok, result.error
    assert paths and all(p.startswith("/api/v3/repos/") for p in paths)
    assert deployments(warehouse) == DEPLOYMENTS
    assert commits(warehouse) == COMMITS


def test_releases_as_deployments(warehouse: Path, tmp_path: Path) -> None:
    """v1.0 (lightweight tag → h1, published 01-02 12:00), v1.1 (annotated tag object t1 → h4,
    01-04 12:00), v1.2-rc1 (prerelease, skipped), v2.0 (draft, skipped), v1.3 (01-05, its tag
    is gone: stored without a commit). Commits of v1.1 = compare h1...h4 = h2, h3, h4."""
    repo = FakeRepo("acme/a1", history=list(H))
    repo.releases = [
        FakeRelease(501, "v1.0", at("01-02", "11:00"), at("01-02", "12:00")),
        FakeRelease(502, "v1.1", at("01-04", "11:00"), at("01-04", "12:00")),
        FakeRelease(503, "v1.2-rc1", at("01-05", "09:00"), at("01-05", "10:00"), prerelease=True),
        FakeRelease(504, "v2.0", at("01-05", "11:00"), None, draft=True),
        FakeRelease(505, "v1.3", at("01-05", "12:00"), at("01-05", "13:00")),
    ]
    repo.tags = {"v1.0": ("commit", H[1]), "v1.1": ("tag", sha("t1")), "v1.2-rc1": ("commit", H[5])}
    repo.tag_objects = {sha("t1"): ("commit", H[4])}
    with FakeGitHub([repo, FakeRepo("acme/b1")], page_cap=2).running() as server:
        config = write_config(tmp_path / "g.toml", server.url, 'deployments_from = "releases"')
        result = run(config, warehouse)
        paths = server.paths()
    assert result.ok, result.error
    assert deployments(warehouse) == [
        (
            "release-501",
            "a1",
            "production",
            d("01-02", "12:00"),
            d("01-02", "12:00"),
            "success",
            H[1],
        ),
        (
            "release-502",
            "a1",
            "production",
            d("01-04", "12:00"),
            d("01-04", "12:00"),
            "success",
            H[4],
        ),
        (
            "release-505",
            "a1",
            "production",
            d("01-05", "13:00"),
            d("01-05", "13:00"),
            "success",
            None,
        ),
    ]
    assert commits(warehouse) == sorted(
        [("release-502", H[2]), ("release-502", H[3]), ("release-502", H[4])]
    )
    assert f"/repos/acme/a1/git/tags/{sha('t1')}" in paths
    assert "/repos/acme/a1/deployments" not in paths
    assert result.warnings == [
        "1 deployment(s) were stored without all their commits (first: acme/a1 release v1.3: "
        "the tag is gone)"
    ]


def test_unmapped_repositories_and_concurrency_are_reported(
    fake: FakeGitHub, warehouse: Path, tmp_path: Path
) -> None:
    extra = 'repos = ["acme/a1", "acme/orphan"]\nconcurrency = 4'
    result = run(write_config(tmp_path / "g.toml", fake.url, extra), warehouse)
    assert result.ok, result.error
    assert not any("orphan" in p or "acme/b1" in p for p in fake.paths())
    assert result.warnings[:2] == [
        "concurrency = 4 is ignored: GitHub allows one request at a time per token",
        "1 repositories map to no service and were skipped (acme/orphan); map them under "
        "[sources.gh.services]",
    ]
    assert [r[0] for r in deployments(warehouse)] == [
        "1002",
        "1003",
        "1004",
        "1005",
        "1006",
        "1008",
    ]


FIX_401 = (
    "GitHub rejected the token from $GITHUB_TEST_TOKEN: it is wrong, expired or revoked; create "
    "a fine-grained token with repository permissions Deployments: read, Pull requests: read, "
    "Contents: read, Issues: read (or a classic token with the repo scope) and export it"
)
FAILURES: dict[str, tuple[Any, str]] = {
    "401": (
        token_changed(TOKEN_ENV, "expired-token"),
        "gh: 401 Unauthorized from {url}/repos/acme/b1/deployments (Bad credentials) — " + FIX_401,
    ),
    "403 missing permission": (
        lambda fake, env: fake.repos["acme/a1"].denied.add("pulls"),
        "gh: 403 Forbidden from {url}/repos/acme/a1/pulls (Resource not accessible by personal "
        "access token) — the token may not read pull requests of acme/a1: grant the repository "
        'permission "Pull requests: read" (a fine-grained token needs Deployments: read, Pull '
        "requests: read, Contents: read, Issues: read; a classic token the repo scope)",
    ),
    "404": (
        lambda fake, env: setattr(fake.repos["acme/a1"], "visible", False),
        "gh: 404 Not Found from {url}/repos/acme/a1/deployments (Not Found) — repository acme/a1 "
        "(service a1) does not exist or the token cannot see it; check repos / "
        "[sources.gh.services] / services.repo_url and the token's repository access",
    ),
    "502": (
        failing("/repos/acme/a1/pulls", Fault(502, "<html>bad gateway</html>"), times=3),
        "gh: 502 Bad Gateway from {url}/repos/acme/a1/pulls after 2 attempts — GitHub failed; "
        "check https://www.githubstatus.com (or your GitHub Enterprise server) and retry later",
    ),
    "malformed JSON": (
        failing("/repos/acme/a1/deployments", Fault(200, '[{"id": 1', JSON)),
        "gh: unexpected answer from {url}/repos/acme/a1/deployments: malformed JSON "
        "(application/json; charset=utf-8, 9 bytes) — check that the url points at the right "
        "API (not a proxy or login page) and retry",
    ),
    "an object instead of a list": (
        failing("/repos/acme/a1/issues", Fault(200, '{"message": "x"}', JSON)),
        "gh: unexpected answer from {url}/repos/acme/a1/issues: expected the answer to be a "
        "list — check that the url points at the right API (not a proxy or login page) and retry",
    ),
    "a next page on another host": (
        failing(
            "/repos/acme/b1/pulls",
            Fault(200, "[]", {**JSON, "Link": '<http://elsewhere.example/x?page=2>; rel="next"'}),
        ),
        "gh: unexpected answer from {url}/repos/acme/b1/pulls: the next page is on another host "
        "(elsewhere.example) — check that the url points at the right API (not a proxy or login "
        "page) and retry",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_one_line_and_leave_the_warehouse_unchanged(
    case: str,
    fake: FakeGitHub,
    synced: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_config(tmp_path / "g.toml", fake.url)
    before = contents(synced)
    breaks, expected = FAILURES[case]
    breaks(fake, monkeypatch)
    result = run(config, synced, since=at("01-01"))
    assert_failed(result, synced, before, "gh", expected.format(url=fake.url))
    assert "good-token" not in json.dumps(result.as_dict())


def test_first_sync_of_an_empty_warehouse_is_one_transaction(
    fake: FakeGitHub, warehouse: Path, tmp_path: Path
) -> None:
    """A failure after some repositories were read writes nothing at all (b1 is read, then
    a1's statuses fail)."""
    before = contents(warehouse)
    fake.fail("/repos/acme/a1/deployments/1006/statuses", *[Fault(500, "{}")] * 3)
    result = run(write_config(tmp_path / "g.toml", fake.url), warehouse)
    assert result.error is not None and "/repos/acme/a1/deployments/1006/statuses" in result.error
    assert contents(warehouse) == before


# -- pure mapping rules --------------------------------------------------------------------


def statuses(*states: str) -> list[Status]:
    return [Status(i, s, datetime(2026, 1, 1, i, tzinfo=UTC), None) for i, s in enumerate(states)]


def test_deployment_outcome_rules() -> None:
    def verdict(*states: str) -> tuple[str, int] | None:
        found = outcome(statuses(*states))
        return None if found is None else (found[0], found[1].id)

    assert verdict() is None
    assert verdict("queued") is None
    assert verdict("pending", "in_progress") is None
    assert verdict("in_progress", "success") == ("success", 1)
    assert verdict("failure") == ("failure", 0)
    assert verdict("error") == ("failure", 0)
    assert verdict("success", "inactive") == ("success", 0)  # superseded
    assert verdict("failure", "success", "inactive") == ("success", 1)
    assert verdict("success", "failure", "inactive") == ("failure", 1)
    assert verdict("queued", "inactive") == ("cancelled", 1)
    assert verdict("failure", "in_progress") is None  # being retried


def test_repository_urls_and_severity_labels() -> None:
    hosts = {"github.com", "github.example.com"}
    assert github_repo("https://github.com/acme/a1", hosts) == "acme/a1"
    assert github_repo("https://github.com/acme/a1.git/", hosts) == "acme/a1"
    assert github_repo("git@github.com:acme/a1.git", hosts) == "acme/a1"
    assert github_repo("github.example.com/acme/a1", hosts) == "acme/a1"
    assert github_repo("https://gitlab.com/acme/a1", hosts) is None
    assert github_repo("https://github.com/acme", hosts) is None
    assert github_repo("https://github.com/acme/a1/tree/main", hosts) is None
    assert label_severity(("incident", "P2", "sev4"), "SEV3") == "SEV2"  # the worst wins
    assert label_severity(("incident", "high"), "SEV3") == "SEV3"  # only sev/P labels count
    assert label_severity(("SEV-1",), "SEV3") == "SEV1"


def test_default_deployment_reference_pattern(tmp_path: Path) -> None:
    config = write_config(tmp_path / "g.toml", "http://127.0.0.1:9")
    connector = GitHubConnector(load_config(config).sources[0])
    full = "0123456789abcdef0123456789abcdef01234567"
    assert connector._reference("Broke after deployment 4711") == "4711"
    assert connector._reference("caused by commit: abc1234") == "abc1234"
    assert connector._reference(f"see {full} for details") == full
    assert connector._reference("deployed on Friday, 3 users affected") is None
    assert [s.name for s in connector.streams] == [
        "deployments",
        "deployment_commits",
        "changes",
        "incidents",
    ]
    no_label = tmp_path / "n.toml"
    no_label.write_text(config.read_text().replace('incident_label = "incident"\n', ""))
    assert "incidents" not in [
        s.name for s in GitHubConnector(load_config(no_label).sources[0]).streams
    ]
    default = write_config(tmp_path / "d.toml", "")
    assert GitHubConnector(load_config(default).sources[0]).url == "https://api.github.com"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('deployments_from = "tags"', "deployments_from = 'tags'"),
        ('repos = ["acme"]', "repos: 'acme' is not owner/name"),
        ('deployment_ref_pattern = "("', "deployment_ref_pattern is not a regular expression"),
        ('default_severity = "urgent"', "default_severity: severity 'urgent' is not"),
        ("overlap_hours = -1", "overlap_hours must be a number from 0 to 168"),
        ('auth = "basic"', "auth = 'basic'"),
        ('reviewers = "x"', "unknown key reviewers"),
    ],
)
def test_bad_options_are_refused(extra: str, message: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "g.toml", "http://127.0.0.1:9", extra)
    text = config.read_text()
    key = extra.split(" ", 1)[0]
    if key in ("default_severity", "auth"):  # replace the line write_config writes
        text = "\n".join(line for line in text.splitlines() if not line.startswith(key + " "))
        text = text.replace("[sources.gh]\n", f"[sources.gh]\n{extra}\n", 1)
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        GitHubConnector(load_config(config).sources[0])
    assert message in str(caught.value) and str(caught.value).startswith("[sources.gh]")
