"""Jenkins connector against a local fake of the documented JSON API (tests/servers/jenkins.py).

Data (UTC; durations in brackets; ``page_size = 2`` so every job is read over several pages):

``deploy/checkout-api-prod`` (Pipeline, folder ``deploy``) → checkout-api, production,
``repo_url`` = git@github.com:acme/checkout-api.git:

  #1 SUCCESS   01-05 10:00 [90 s]   revision r1, change set —  (a job's first build has none)
  #2 FAILURE   01-06 10:00 [60 s]   r2, changes c2a c2b
  #3 ABORTED   01-07 10:00 [30 s]   r3, c3
  #4 NOT_BUILT 01-07 12:00 [0 s]    no revision, no changes                 → skipped
  #5 UNSTABLE  01-08 10:00 [120 s]  r5, c5
  #6 SUCCESS   01-09 10:00 [150 s]  r6 (a shared library's BuildData L comes first), c6
  #7 running   01-10 10:00          r7, c7                                  → skipped

``billing deploy`` (freestyle, top level, a space in its name) → billing through
``[sources.jenkins.services]``, environment staging:

  #1 SUCCESS 01-04 09:00 [45 s] rb1, —    #2 SUCCESS 01-06 09:00 [45 s] rb2, b2
  #3 FAILURE 01-08 09:00 [45 s] rb3, b3

``deploy/orphan`` is listed without a service and not mapped: skipped, one warning.

Hand-computed first sync: checkout 5 deployments (#1 #2 #3 #5 #6), billing 3 = 8 rows.
Commits shipped: checkout #6 = everything since the last success #1: c2a c2b c3 c5 c6 (5);
billing #2 = b2 (1) → 6 rows. Requests: checkout 7 builds in pages {0,2} {2,4} {4,6} {6,8}
(the last one short) = 4; billing 3 builds in {0,2} {2,4} = 2; orphan none → 6.
Cursors: checkout 6 (#7 is running) with last success 6; billing 3 with last success 2.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.core.config import load_config
from connectors.sources.jenkins.streams import JenkinsConnector
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
    warehouse_fixture,
    write_sources,
)
from tests.servers.jenkins import (
    JSON_TYPE,
    Build,
    FakeJenkins,
    Fault,
    Job,
    proxy_login_page,
    sha,
)
from tests.servers.warehouse import contents, query

TOKEN_ENV = "JENKINS_TEST_TOKEN"
CHECKOUT = "deploy/checkout-api-prod"
BILLING = "billing deploy"
CHECKOUT_PATH = "/job/deploy/job/checkout-api-prod/api/json"
BILLING_PATH = "/job/billing%20deploy/api/json"
FIELDS = (
    "number,result,building,timestamp,duration,url,actions[lastBuiltRevision[SHA1],"
    "remoteUrls],changeSets[items[commitId]],changeSet[items[commitId]]"
)
FIRST_PAGE = f"allBuilds[{FIELDS}]{{0,2}}"
BASIC = "Basic ZGVwbG95ZXI6Z29vZC10b2tlbg=="  # deployer:good-token


def T(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=UTC)


def r(n: int | str) -> str:
    return sha("checkout", n)


def c(name: str) -> str:
    return sha("commit", name)


LIBRARY = sha("library", 1)


def jobs() -> list[Job]:
    return [
        Job(
            CHECKOUT,
            [
                Build(1, "SUCCESS", T(5, 10), 90_000, r(1)),
                Build(2, "FAILURE", T(6, 10), 60_000, r(2), [c("2a"), c("2b")]),
                Build(3, "ABORTED", T(7, 10), 30_000, r(3), [c("3")]),
                Build(4, "NOT_BUILT", T(7, 12), 0, None),
                Build(5, "UNSTABLE", T(8, 10), 120_000, r(5), [c("5")]),
                Build(6, "SUCCESS", T(9, 10), 150_000, r(6), [c("6")], library=LIBRARY),
                Build(7, None, T(10, 10), 0, r(7), [c("7")], building=True),
            ],
            repo="https://github.com/acme/checkout-api.git",
        ),
        Job(
            BILLING,
            [
                Build(1, "SUCCESS", T(4, 9), 45_000, sha("billing", 1)),
                Build(2, "SUCCESS", T(6, 9), 45_000, sha("billing", 2), [c("b2")]),
                Build(3, "FAILURE", T(8, 9), 45_000, sha("billing", 3), [c("b3")]),
            ],
            kind="freestyle",
            repo="https://github.com/acme/billing.git",
        ),
        Job("deploy/orphan", [Build(1, "SUCCESS", T(5, 8), 1000, sha("orphan", 1))]),
    ]


def expected(url: str) -> list[tuple[Any, ...]]:
    """external_id, service, environment, started, finished, status, commit_sha, url."""
    co = f"{url}/job/deploy/job/checkout-api-prod"
    bi = f"{url}/job/billing%20deploy"
    return [
        (f"{BILLING}#1", "billing", "staging", T(4, 9), T(4, 9, 0, 45), "success",
         sha("billing", 1), f"{bi}/1/"),
        (f"{BILLING}#2", "billing", "staging", T(6, 9), T(6, 9, 0, 45), "success",
         sha("billing", 2), f"{bi}/2/"),
        (f"{BILLING}#3", "billing", "staging", T(8, 9), T(8, 9, 0, 45), "failure",
         sha("billing", 3), f"{bi}/3/"),
        (f"{CHECKOUT}#1", "checkout-api", "production", T(5, 10), T(5, 10, 1, 30), "success",
         r(1), f"{co}/1/"),
        (f"{CHECKOUT}#2", "checkout-api", "production", T(6, 10), T(6, 10, 1, 0), "failure",
         r(2), f"{co}/2/"),
        (f"{CHECKOUT}#3", "checkout-api", "production", T(7, 10), T(7, 10, 0, 30), "cancelled",
         r(3), f"{co}/3/"),
        (f"{CHECKOUT}#5", "checkout-api", "production", T(8, 10), T(8, 10, 2, 0), "failure",
         r(5), f"{co}/5/"),
        (f"{CHECKOUT}#6", "checkout-api", "production", T(9, 10), T(9, 10, 2, 30), "success",
         r(6), f"{co}/6/"),
    ]  # fmt: skip


COMMITS = sorted(
    [(f"{CHECKOUT}#6", c(x)) for x in ("2a", "2b", "3", "5", "6")] + [(f"{BILLING}#2", c("b2"))]
)
CURSORS = [
    ("deployment_commits/billing deploy", "2"),
    ("deployment_commits/deploy/checkout-api-prod", "6"),
    ("deployments/billing deploy", "3"),
    ("deployments/deploy/checkout-api-prod", "6"),
]
UNMAPPED = (
    "1 jobs map to no service and were skipped (deploy/orphan); map them under "
    "[sources.jenkins.services]"
)


def deployments(db: Path) -> list[tuple[Any, ...]]:
    return table_rows(
        db,
        "deployments",
        "external_id, service_id, environment, started_at, finished_at, status, commit_sha, url",
    )


shipped = shipped_commits


fake = fake_fixture(lambda: FakeJenkins(jobs()))
token = token_fixture(TOKEN_ENV)
warehouse = warehouse_fixture("checkout-api", "billing")


JOBS = f"""
[[sources.jenkins.jobs]]
job = "{CHECKOUT}"
service_id = "checkout-api"
repo_url = "git@github.com:acme/checkout-api.git"

[[sources.jenkins.jobs]]
job = "{BILLING}"
environment = "staging"

[[sources.jenkins.jobs]]
job = "deploy/orphan"

[sources.jenkins.services]
"{BILLING}" = "billing"
"""


def write_config(
    path: Path,
    url: str,
    extra: str = "",
    jobs: str = JOBS,
    auth: str = 'auth = "basic"\nusername = "deployer"',
    concurrency: int = 1,
) -> Path:
    return write_sources(
        path,
        f"""[sources.jenkins]
type = "jenkins"
url = "{url}"
{auth}
token_env = "{TOKEN_ENV}"
concurrency = {concurrency}
page_size = 2
{extra}
{jobs}
""",
    )


run = sync_source


def trees(fake: FakeJenkins, path: str) -> list[str]:
    return [p["tree"] for q, p in fake.requests() if q == path]


def test_first_sync_pages_maps_and_accumulates_change_sets(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    result = run(write_config(tmp_path / "j.toml", fake.url, concurrency=4), warehouse)
    assert result.ok, result.error
    assert deployments(warehouse) == expected(fake.url)
    assert shipped(warehouse) == COMMITS
    assert result.rows == {"deployments": 8, "deployment_commits": 6}
    assert result.requests == 6
    assert result.warnings == [UNMAPPED]
    assert cursors(warehouse) == CURSORS
    assert trees(fake, CHECKOUT_PATH) == [
        f"allBuilds[{FIELDS}]{{{m},{m + 2}}}" for m in (0, 2, 4, 6)
    ]
    assert trees(fake, BILLING_PATH) == [f"allBuilds[{FIELDS}]{{{m},{m + 2}}}" for m in (0, 2)]
    assert not any("orphan" in p for p, _ in fake.requests())
    assert query(warehouse, "SELECT DISTINCT source, change_type FROM deployments") == [
        ("jenkins", "planned")
    ]


def test_incremental_resync_reads_one_page_per_job_and_duplicates_nothing(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "j.toml", fake.url)
    assert run(config, warehouse).ok
    fake.reset_log()
    unchanged = run(config, warehouse)
    assert unchanged.ok, unchanged.error
    # checkout: {0,2} = #7 (running) and #6 (the last success: stop); billing: #3, #2 (stop)
    assert unchanged.requests == 2 and unchanged.rows == {}
    assert [p for p, _ in fake.requests()] == [CHECKOUT_PATH, BILLING_PATH]
    assert cursors(warehouse) == CURSORS
    # #7 finishes; billing #4 succeeds and ships b3 (its failed predecessor) and b4
    running = fake.jobs[CHECKOUT].builds[-1]
    running.building, running.result, running.duration_ms = False, "SUCCESS", 100_000
    fake.jobs[BILLING].builds.append(
        Build(4, "SUCCESS", T(10, 9), 45_000, sha("billing", 4), [c("b4")])
    )
    fake.reset_log()
    changed = run(config, warehouse)
    assert changed.ok, changed.error
    # checkout {0,2}: #7 #6; billing {0,2}: #4 #3, {2,4}: #2 (stop) → 3 requests
    assert changed.requests == 3
    assert changed.rows == {"deployments": 2, "deployment_commits": 3}
    url = fake.url
    assert deployments(warehouse) == sorted(
        [
            *expected(url),
            (f"{CHECKOUT}#7", "checkout-api", "production", T(10, 10), T(10, 10, 1, 40),
             "success", r(7), f"{url}/job/deploy/job/checkout-api-prod/7/"),
            (f"{BILLING}#4", "billing", "staging", T(10, 9), T(10, 9, 0, 45), "success",
             sha("billing", 4), f"{url}/job/billing%20deploy/4/"),
        ]
    )  # fmt: skip
    assert shipped(warehouse) == sorted(
        [*COMMITS, (f"{CHECKOUT}#7", c("7")), (f"{BILLING}#4", c("b3")), (f"{BILLING}#4", c("b4"))]
    )
    assert cursors(warehouse) == [
        ("deployment_commits/billing deploy", "4"),
        ("deployment_commits/deploy/checkout-api-prod", "7"),
        ("deployments/billing deploy", "4"),
        ("deployments/deploy/checkout-api-prod", "7"),
    ]


def test_since_reads_back_to_the_last_success_before_it(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    """--since 01-08: checkout is read down to #1 (the last success before it): 4 pages;
    billing down to #2 (success, 01-06): 1 page. Rewritten: checkout #5 #6, billing #3."""
    config = write_config(tmp_path / "j.toml", fake.url)
    assert run(config, warehouse).ok
    before = contents(warehouse, exclude=("sync_runs", "sync_cursors"))
    again = run(config, warehouse, since=T(8, 0))
    assert again.ok, again.error
    assert again.requests == 5
    assert again.rows == {"deployments": 3, "deployment_commits": 5}
    assert contents(warehouse, exclude=("sync_runs", "sync_cursors")) == before
    assert cursors(warehouse) == CURSORS


def test_a_shared_library_checkout_without_repo_url_is_reported(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    """Without repo_url, #6's first BuildData (the library) is taken, and the run says so."""
    config = write_config(
        tmp_path / "j.toml",
        fake.url,
        jobs=JOBS.replace('repo_url = "git@github.com:acme/checkout-api.git"\n', ""),
    )
    result = run(config, warehouse)
    assert result.ok, result.error
    assert query(
        warehouse,
        "SELECT commit_sha FROM deployments WHERE external_id = $id",
        {"id": f"{CHECKOUT}#6"},
    ) == [(LIBRARY,)]
    assert (
        f"builds of {CHECKOUT} checked out several repositories; commit_sha is the first one's "
        "(https://github.com/acme/jenkins-lib.git); set repo_url in its [[sources.jenkins.jobs]] "
        "table to choose"
    ) in result.warnings


def test_change_sets_link_changes_to_the_successful_deployment(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    """c5 was built by #5 (UNSTABLE) but went live with #6: the linker follows the commit list."""
    with write_snapshot(warehouse) as con:
        con.execute(
            "INSERT INTO changes (source, external_id, service_id, commit_sha, merged_at)"
            " VALUES ('github', 'acme/checkout-api#5', 'checkout-api', $sha, $merged)",
            {"sha": c("5"), "merged": T(8, 9)},
        )
    assert run(write_config(tmp_path / "j.toml", fake.url), warehouse).ok
    assert query(
        warehouse, "SELECT deployment_source, deployment_external_id, link_method FROM changes"
    ) == [("jenkins", f"{CHECKOUT}#6", "commit")]


def test_builds_started_during_paging_are_not_duplicated(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    """Page {0,2} is answered before #8 starts, the rest after: positions shift by one, #6 comes
    twice and is stored once; #8 (newer than the first page) waits for the next sync."""
    status, headers, body = fake.answer(CHECKOUT_PATH, {"tree": FIRST_PAGE}, BASIC)
    assert status == 200
    fake.fail(CHECKOUT_PATH, Fault(200, body, headers))
    fake.jobs[CHECKOUT].builds.append(Build(8, "FAILURE", T(11, 10), 1000, r(8)))
    config = write_config(tmp_path / "j.toml", fake.url)
    first = run(config, warehouse)
    assert first.ok, first.error
    assert deployments(warehouse) == expected(fake.url)
    # {0,2}: 7 6 (scripted), {2,4}: 6 5, {4,6}: 4 3, {6,8}: 2 1, {8,10}: empty
    assert len(trees(fake, CHECKOUT_PATH)) == 5
    for _ in range(2):  # #8 comes with the next sync; #7 still runs, so the cursor stays at 6
        assert run(config, warehouse).ok
        assert [d[0] for d in deployments(warehouse)][-2:] == [f"{CHECKOUT}#6", f"{CHECKOUT}#8"]
        assert ("deployments/deploy/checkout-api-prod", "6") in cursors(warehouse)


def test_retry_after_and_transient_errors_are_retried(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    """A proxy answers 429 with Retry-After: 7, then Jenkins 503s once: both retried."""
    fake.fail(CHECKOUT_PATH, Fault(429, "slow down", {"Retry-After": "7"}))
    fake.fail(BILLING_PATH, Fault(503, "<html><body>Jenkins is restarting</body></html>"))
    sleeps = Sleeps()
    result = run(write_config(tmp_path / "j.toml", fake.url), warehouse, sleep=sleeps)
    assert_waited(result, sleeps, 2, retries=2)
    assert 7.0 in sleeps
    assert result.requests == 8  # the 6 of a first sync and 2 retried
    assert deployments(warehouse) == expected(fake.url)


def test_a_used_up_rate_limit_makes_the_next_request_wait(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    """A 200 with X-RateLimit-Remaining: 0 and a reset 3 s ahead: the next page waits for it."""
    body = fake.answer(CHECKOUT_PATH, {"tree": FIRST_PAGE}, BASIC)[2]
    headers = {
        "Content-Type": JSON_TYPE,
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(time.time()) + 3),
    }
    fake.fail(CHECKOUT_PATH, Fault(200, body, headers))
    sleeps = Sleeps()
    result = run(write_config(tmp_path / "j.toml", fake.url), warehouse, sleep=sleeps)
    assert_waited(result, sleeps, 1)
    assert 0 < sleeps[0] <= 3.0
    assert deployments(warehouse) == expected(fake.url)


def _no_checkout(fake: FakeJenkins, _env: pytest.MonkeyPatch) -> None:
    fake.jobs.pop(CHECKOUT)


def _no_job_read(fake: FakeJenkins, _env: pytest.MonkeyPatch) -> None:
    fake.jobs[CHECKOUT].readers = {"someone-else"}


NOT_FOUND = (
    "jenkins: 404 Not Found from {url}/job/deploy/job/checkout-api-prod/api/json — job "
    "'deploy/checkout-api-prod' (service checkout-api) is not at "
    "{url}/job/deploy/job/checkout-api-prod, or user 'deployer' lacks Job/Read on it; fix job "
    "in [[sources.jenkins.jobs]] (its full name, folders separated by /)"
)
FAILURES = {
    "401 wrong token": (
        token_changed(TOKEN_ENV, "revoked-token"),
        "jenkins: 401 Unauthorized from {url}/job/deploy/job/checkout-api-prod/api/json — "
        "Jenkins rejected user 'deployer' with the API token in $JENKINS_TEST_TOKEN; create an "
        "API token (your user → Security → API Token) and export it",
    ),
    "403 no Overall/Read": (
        lambda fake, env: setattr(fake, "overall_readers", set()),
        "jenkins: 403 Forbidden from {url}/job/deploy/job/checkout-api-prod/api/json — user "
        "'deployer' lacks Overall/Read or Job/Read on deploy/checkout-api-prod; grant it "
        "(Manage Jenkins → Security) or use another user's token",
    ),
    "404 no such job": (_no_checkout, NOT_FOUND),
    "404 no Job/Read": (_no_job_read, NOT_FOUND),
    "500 after retries": (
        failing(BILLING_PATH, Fault(500, "<html><body>Oops!</body></html>"), times=5),
        "jenkins: 500 Internal Server Error from {url}/job/billing%20deploy/api/json after 2 "
        "attempts — Jenkins failed; check its log and health, then retry",
    ),
    "malformed JSON": (
        # '{"_class": "x", "allBuilds": [' is 30 bytes
        failing(
            CHECKOUT_PATH, Fault(200, '{"_class": "x", "allBuilds": [', {"Content-Type": JSON_TYPE})
        ),
        "jenkins: unexpected answer from {url}/job/deploy/job/checkout-api-prod/api/json: "
        "malformed JSON (application/json;charset=utf-8, 30 bytes) — check that the url points "
        "at the right API (not a proxy or login page) and retry",
    ),
    "proxy login page": (
        failing(
            BILLING_PATH,
            Fault(200, proxy_login_page(), {"Content-Type": "text/html;charset=utf-8"}),
        ),
        "jenkins: unexpected answer from {url}/job/billing%20deploy/api/json: a login page "
        f"instead of JSON (text/html;charset=utf-8, {len(proxy_login_page().encode())} bytes) — "
        "check that the url points at the right API (not a proxy or login page) and retry",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_one_line_and_leave_the_warehouse_unchanged(
    case: str,
    fake: FakeJenkins,
    warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_config(tmp_path / "j.toml", fake.url)
    assert run(config, warehouse).ok
    before = contents(warehouse)
    breaks, line = FAILURES[case]
    breaks(fake, monkeypatch)
    result = run(config, warehouse, since=T(1, 0))
    assert_failed(result, warehouse, before, "jenkins", line.format(url=fake.url))
    assert "good-token" not in (result.error or "") and "revoked" not in (result.error or "")


def test_anonymous_without_overall_read_is_told_to_log_in(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "j.toml", fake.url, auth='auth = "none"')
    before = contents(warehouse)
    result = run(config, warehouse)
    assert result.error == (
        f"jenkins: 403 Forbidden from {fake.url}/job/deploy/job/checkout-api-prod/api/json — "
        "anonymous may not read this Jenkins (Overall/Read or Job/Read on "
        'deploy/checkout-api-prod); set auth = "basic", username and token_env in '
        "[sources.jenkins]"
    )
    assert contents(warehouse) == before
    fake.anonymous_read = True
    assert run(config, warehouse).ok
    assert deployments(warehouse) == expected(fake.url)


def test_a_folder_named_as_job_fails_with_a_hint(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    folder = '[[sources.jenkins.jobs]]\njob = "deploy"\nservice_id = "checkout-api"\n'
    result = run(write_config(tmp_path / "j.toml", fake.url, jobs=folder), warehouse)
    assert result.error == (
        f"jenkins: {fake.url}/job/deploy/api/json is a Folder, not a job with builds — name a "
        'job inside it: job = "deploy/<job name>" (folders separated by /)'
    )


def test_an_unknown_service_fails_before_any_request(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    jobs_toml = JOBS.replace('service_id = "checkout-api"', 'service_id = "checkout"')
    result = run(write_config(tmp_path / "j.toml", fake.url, jobs=jobs_toml), warehouse)
    assert result.error == (
        "jenkins: [[sources.jenkins.jobs]] job 'deploy/checkout-api-prod' names service "
        "'checkout', which the warehouse does not have — fix service_id, or add the service "
        "to the warehouse first"
    )
    assert fake.requests() == []
    mapped = JOBS.replace(f'"{BILLING}" = "billing"', f'"{BILLING}" = "payments"')
    result = run(write_config(tmp_path / "m.toml", fake.url, jobs=mapped), warehouse)
    assert result.error is not None and "maps to service payments" in result.error


def test_a_build_with_impossible_times_is_skipped_with_a_warning(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    fake.jobs[BILLING].builds[2].duration_ms = -5000
    result = run(write_config(tmp_path / "j.toml", fake.url), warehouse)
    assert result.ok, result.error
    assert f"{BILLING} #3 skipped: finished before it started" in result.warnings
    assert [d[0] for d in deployments(warehouse)] == [
        f"{BILLING}#1", f"{BILLING}#2", *(f"{CHECKOUT}#{n}" for n in (1, 2, 3, 5, 6))
    ]  # fmt: skip


def test_a_server_ignoring_the_range_is_stopped(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    """Every page answers builds #7 and #6: the second page repeats the first."""
    page = (
        '{"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob", "allBuilds": ['
        '{"number": 7, "building": true, "result": null},'
        '{"number": 6, "building": false, "result": "SUCCESS", "timestamp": 1767949200000}]}'
    )
    fake.fail(CHECKOUT_PATH, *[Fault(200, page, {"Content-Type": JSON_TYPE})] * 3)
    before = contents(warehouse)
    result = run(write_config(tmp_path / "j.toml", fake.url), warehouse)
    assert result.error is not None and "repeated page token '{2,4}'" in result.error
    assert contents(warehouse) == before


CONFIG_ERRORS = {
    "no job key": (
        '[[sources.jenkins.jobs]]\nservice_id = "billing"\n',
        "[[sources.jenkins.jobs]] #1 has no job",
    ),
    "duplicate": (
        '[[sources.jenkins.jobs]]\njob = "a"\n[[sources.jenkins.jobs]]\njob = "a"\n',
        "[[sources.jenkins.jobs]]: job 'a' is listed twice",
    ),
    "unknown key": (
        '[[sources.jenkins.jobs]]\njob = "a"\nenv = "prod"\n',
        "[[sources.jenkins.jobs]] #1 has unknown key env",
    ),
    "url path": (
        '[[sources.jenkins.jobs]]\njob = "job/deploy/job/a"\n',
        "[[sources.jenkins.jobs]] #1: job = 'job/deploy/job/a' is not a job's full name",
    ),
    "empty environment": (
        '[[sources.jenkins.jobs]]\njob = "a"\nenvironment = ""\n',
        "[[sources.jenkins.jobs]] #1 (a): environment must be a text",
    ),
}


def set_catalog(db: Path, sql: str) -> None:
    with write_snapshot(db) as con:
        con.execute(sql)


def test_without_job_tables_the_catalogs_jenkins_job_names_the_jobs(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    """Only checkout-api declares jenkins_job = deploy/checkout-api-prod (the catalog's
    jenkins.io/job-full-name) and repo_url, which picks its revision in #6 over the shared
    library's: its 5 final builds are read, to production; billing's job is not fetched, as
    no service names it."""
    set_catalog(
        warehouse,
        f"UPDATE services SET jenkins_job = '{CHECKOUT}', repo_url = "
        "'https://github.com/acme/checkout-api' WHERE service_id = 'checkout-api'",
    )
    result = run(write_config(tmp_path / "j.toml", fake.url, jobs=""), warehouse)
    assert result.ok, result.error
    assert deployments(warehouse) == [d for d in expected(fake.url) if d[1] == "checkout-api"]
    assert result.warnings == []
    assert not any("billing" in p for p, _ in fake.requests())


def test_no_job_tables_and_no_jenkins_job_fails_with_the_fix(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    before = contents(warehouse)
    result = run(write_config(tmp_path / "j.toml", fake.url, jobs=""), warehouse)
    assert result.error is not None
    assert result.error.startswith(
        "jenkins: [sources.jenkins] lists no deploy jobs and no service has a jenkins_job — set "
        "jenkins_job for your services in config/catalog.toml"
    )
    assert contents(warehouse) == before


def test_a_retired_service_gets_nothing_new(
    fake: FakeJenkins, warehouse: Path, tmp_path: Path
) -> None:
    """billing is retired: its job (mapped through [sources.jenkins.services]) is not read and
    one warning says so; checkout-api's 5 deployments are written as before."""
    set_catalog(
        warehouse, "UPDATE services SET retired_on = DATE '2026-01-01' WHERE service_id = 'billing'"
    )
    result = run(write_config(tmp_path / "j.toml", fake.url), warehouse)
    assert result.ok, result.error
    assert deployments(warehouse) == [d for d in expected(fake.url) if d[1] == "checkout-api"]
    assert result.warnings == [
        "[sources.jenkins.services] maps billing deploy to retired services: not synced "
        "(their history stays); remove the lines or return the services",
        "2 jobs map to no service and were skipped (billing deploy, deploy/orphan); map them "
        "under [sources.jenkins.services]",
    ]


def refused_problem(tmp_path: Path, **options: str) -> str | None:
    """The ``problem`` of the error building the connector of ``write_config(**options)``."""
    source = load_config(write_config(tmp_path / "j.toml", "http://127.0.0.1:9", **options))
    with pytest.raises(Exception) as caught:
        JenkinsConnector.from_config(source.sources[0])
    return getattr(caught.value, "problem", None)


@pytest.mark.parametrize("case", list(CONFIG_ERRORS))
def test_configuration_errors(case: str, tmp_path: Path) -> None:
    jobs_toml, problem = CONFIG_ERRORS[case]
    assert refused_problem(tmp_path, jobs=jobs_toml) == problem


@pytest.mark.parametrize(
    ("auth", "problem"),
    [
        ('auth = "bearer"', '[sources.jenkins]: Jenkins has no bearer tokens (auth = "bearer")'),
        ('auth = "basic"', '[sources.jenkins] uses auth = "basic" without username'),
    ],
)
def test_auth_configuration_errors(auth: str, problem: str, tmp_path: Path) -> None:
    assert refused_problem(tmp_path, auth=auth) == problem


def test_the_fake_answers_as_jenkins_documents(fake: FakeJenkins) -> None:
    """builds = newest 100, allBuilds = all (only through tree), {M,N} 0-based, M inclusive,
    N exclusive, newest first; {M,}, {,N}, {N}; properties an object lacks are left out."""
    fake.jobs["big"] = Job("big", [Build(n, "SUCCESS", T(1, 0), 1) for n in range(1, 131)])
    auth = ("deployer", "good-token")
    url = f"{fake.url}/job/big/api/json"

    def get(tree: str | None) -> Any:
        return requests.get(
            url, params={"tree": tree} if tree else None, auth=auth, timeout=5
        ).json()

    assert len(get("builds[number]")["builds"]) == 100
    assert get("builds[number]")["builds"][0] == {
        "_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun", "number": 130
    }  # fmt: skip
    assert len(get("allBuilds[number]")["allBuilds"]) == 130
    assert "allBuilds" not in get(None) and len(get(None)["builds"]) == 100
    assert [b["number"] for b in get("allBuilds[number]{0,3}")["allBuilds"]] == [130, 129, 128]
    assert [b["number"] for b in get("allBuilds[number]{128,}")["allBuilds"]] == [2, 1]
    assert [b["number"] for b in get("allBuilds[number]{,2}")["allBuilds"]] == [130, 129]
    assert [b["number"] for b in get("allBuilds[number]{5}")["allBuilds"]] == [125]
    assert get("allBuilds[number]{130,230}")["allBuilds"] == []
    one = get("allBuilds[changeSet[items[commitId]],actions[lastBuiltRevision[SHA1]]]{0,1}")
    build = one["allBuilds"][0]
    assert "changeSet" not in build  # a Pipeline run has changeSets, not changeSet
    assert {} in build["actions"]
    missing = requests.get(f"{fake.url}/job/nope/api/json", auth=auth, timeout=5)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    wrong = requests.get(url, auth=("deployer", "bad"), timeout=5)
    assert wrong.status_code == 401 and "Invalid password/token" in wrong.text
    anonymous = requests.get(url, timeout=5)
    assert anonymous.status_code == 403
    assert anonymous.headers["X-Required-Permission"] == "hudson.model.Hudson.Read"
