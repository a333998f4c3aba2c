"""Jira connector against a local fake of the documented REST API (tests/servers/jira.py).

Cloud data set (the Jira user's zone is Tokyo, +09:00; Jira sends every time in it, so UTC is
nine hours earlier). JQL ``project = OPS AND issuetype = Incident``, two issues per page,
``[sources.jira.services] "checkout" = "a1"``, b1 matches its service id directly:

========  =====================  ==========  =========================================
issue     updated (+09:00)       component   what it tests
========  =====================  ==========  =========================================
OPS-1     01-05 11:30            checkout    created 10:00, In Progress 10:05, Resolved
                                             11:30; Highest → SEV1; summary names deploy
                                             4f2a9c1 → linked to deployment ci/run-77
OPS-2     01-06 13:00            b1          impact start (customfield_10050) 08:00,
                                             created 08:30, In Progress 08:40, Resolved
                                             09:00, Reopened 10:00, In Progress 11:00,
                                             Resolved 12:00, Closed 13:00 → resolved at the
                                             LAST resolution 12:00 (Closed keeps it); High
OPS-3     01-08 09:00            checkout    created 01-07 20:00, In Progress 20:10,
                                             Resolved 21:00, Reopened 01-08 09:00 → open:
                                             resolved NULL though resolutiondate is set
OPS-4     01-09 11:00            a1          45 changelog entries: In Progress 09:02, 43
                                             label edits, Resolved 11:00. Search embeds the
                                             latest 40 only (not 09:02), so the changelog is
                                             read in full: 3 pages of 20 (server cap)
OPS-5     01-09 12:00            legacy-…    maps to no service → skipped, one warning
OPS-6     01-10 16:30            legacy-…,   imported already Closed, no changelog, no
                                 b1          priority → b1, SEV3, resolved = resolutiondate
OPS-7     (Task)                                  not an incident: not selected
WEB-1     01-09 13:00            b1          other project: only with the OR query
========  =====================  ==========  =========================================

Hand-computed rows (UTC = +09:00 − 9 h):

* OPS-1 a1 SEV1 started 01-05 01:00, ack 01:05, resolved 02:30
* OPS-2 b1 SEV2 started 01-05 23:00 (the custom field), ack 01-05 23:40, resolved 01-06 03:00
* OPS-3 a1 SEV3 started 01-07 11:00, ack 11:10, resolved NULL
* OPS-4 a1 SEV4 started 01-09 00:00, ack 00:02 (from the full changelog), resolved 02:00
* OPS-6 b1 SEV3 started 01-10 06:00, ack NULL, resolved 07:30

Cursor = newest ``updated`` = OPS-6, 01-10 16:30+09 = ``2026-01-10T07:30:00Z``. The next run
asks ``updated >= "2026/01/09 07:30"`` (cursor − 24 h), which Jira reads as Tokyo time =
01-08 22:30Z: OPS-4, OPS-5 and OPS-6 come back, OPS-3 (01-08 00:00Z) does not.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.sources.jira.streams import compose_jql, has_order_by
from data.warehouse import write_snapshot
from tests.connector_helpers import (
    Sleeps,
    assert_failed,
    assert_waited,
    cursors,
    failing,
    fake_fixture,
    sync_source,
    table_rows,
    token_changed,
    token_fixture,
    warehouse_of,
    write_sources,
)
from tests.servers.jira import TOKYO, FakeJira, Fault, Issue, edit, move
from tests.servers.warehouse import contents, query

TOKEN_ENV = "JIRA_TEST_TOKEN"
JQL = "project = OPS AND issuetype = Incident"
SEARCH = "/rest/api/3/search/jql"
STARTED = "customfield_10050"


def at(day: int, hour: int, minute: int = 0, tz: timezone = TOKYO) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=tz)


def z(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def cloud_issues() -> list[Issue]:
    labels = [edit(at(9, 9, 10 + n), "labels", None, f"step-{n}") for n in range(43)]
    return [
        Issue(
            "OPS-1",
            "Checkout errors after deploy 4f2a9c1",
            at(5, 10),
            at(5, 11, 30),
            status="Resolved",
            priority="Highest",
            components=["checkout"],
            resolutiondate=at(5, 11, 30),
            changes=[
                move(at(5, 10, 5), "Open", "In Progress"),
                edit(at(5, 10, 20), "priority", "High", "Highest"),
                move(at(5, 11, 30), "In Progress", "Resolved"),
            ],
        ),
        Issue(
            "OPS-2",
            "Payments latency",
            at(6, 8, 30),
            at(6, 13),
            status="Closed",
            priority="High",
            components=["b1"],
            resolutiondate=at(6, 12),
            custom={STARTED: "2026-01-06T08:00:00.000+0900"},
            changes=[
                move(at(6, 8, 40), "Open", "In Progress"),
                move(at(6, 9), "In Progress", "Resolved"),
                move(at(6, 10), "Resolved", "Reopened"),
                move(at(6, 11), "Reopened", "In Progress"),
                move(at(6, 12), "In Progress", "Resolved"),
                move(at(6, 13), "Resolved", "Closed"),
            ],
        ),
        Issue(
            "OPS-3",
            "Search index stale",
            at(7, 20),
            at(8, 9),
            status="Reopened",
            priority="Medium",
            components=["checkout"],
            resolutiondate=at(7, 21),
            changes=[
                move(at(7, 20, 10), "Open", "In Progress"),
                move(at(7, 21), "In Progress", "Resolved"),
                move(at(8, 9), "Resolved", "Reopened"),
            ],
        ),
        Issue(
            "OPS-4",
            "Disk full on db-2",
            at(9, 9),
            at(9, 11),
            status="Resolved",
            priority="Low",
            components=["a1"],
            resolutiondate=at(9, 11),
            changes=[
                move(at(9, 9, 2), "Open", "In Progress"),
                *labels,
                move(at(9, 11), "In Progress", "Resolved"),
            ],
        ),
        Issue(
            "OPS-5",
            "Legacy billing export failed",
            at(9, 11, 30),
            at(9, 12),
            priority="Lowest",
            components=["legacy-billing"],
        ),
        Issue(
            "OPS-6",
            "Imported: CDN outage",
            at(10, 15),
            at(10, 16, 30),
            status="Closed",
            priority=None,
            components=["legacy-billing", "b1"],
            resolutiondate=at(10, 16, 30),
        ),
        Issue("OPS-7", "Rotate keys", at(6, 9), at(6, 9), issuetype="Task", components=["a1"]),
        Issue("WEB-1", "Web login loop", at(9, 12, 30), at(9, 13), components=["b1"]),
    ]


def expected(url: str) -> list[tuple[Any, ...]]:
    def browse(key: str) -> str:
        return f"{url}/browse/{key}"

    return [
        ("OPS-1", "a1", "SEV1", "Checkout errors after deploy 4f2a9c1", z(5, 1), z(5, 1, 5),
         z(5, 2, 30), browse("OPS-1"), "4f2a9c1", "reference", "ci", "run-77"),
        ("OPS-2", "b1", "SEV2", "Payments latency", z(5, 23), z(5, 23, 40), z(6, 3),
         browse("OPS-2"), None, "window", None, None),
        ("OPS-3", "a1", "SEV3", "Search index stale", z(7, 11), z(7, 11, 10), None,
         browse("OPS-3"), None, "window", None, None),
        ("OPS-4", "a1", "SEV4", "Disk full on db-2", z(9, 0), z(9, 0, 2), z(9, 2),
         browse("OPS-4"), None, "window", None, None),
        ("OPS-6", "b1", "SEV3", "Imported: CDN outage", z(10, 6), None, z(10, 7, 30),
         browse("OPS-6"), None, "window", None, None),
    ]  # fmt: skip


COLUMNS = (
    "external_id, service_id, severity, title, started_at, acknowledged_at, resolved_at, url,"
    " deployment_ref, link_method, caused_by_deployment_source, caused_by_deployment_external_id"
)
UNMAPPED = (
    "1 Jira components map to no service and were skipped (legacy-billing); map them under "
    "[sources.jira.services]"
)


def incidents(db: Path) -> list[tuple[Any, ...]]:
    return table_rows(db, "incidents", COLUMNS)


fake = fake_fixture(lambda: FakeJira(cloud_issues(), changelog_page=20))
token = token_fixture(TOKEN_ENV)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Services a1 and b1, and one production deployment of a1 shipping commit 4f2a9c1…"""
    path = warehouse_of(tmp_path / "w.duckdb", "a1", "b1")
    with write_snapshot(path) as con:
        con.execute(
            "INSERT INTO deployments (source, external_id, service_id, environment, started_at,"
            " finished_at, status, commit_sha) VALUES ('ci', 'run-77', 'a1', 'production',"
            " $start, $end, 'success', '4f2a9c1e0b7d')",
            {"start": z(5, 0, 30), "end": z(5, 0, 40)},
        )
    return path


def write_config(
    path: Path,
    url: str,
    extra: str = "",
    *,
    jql: str = JQL,
    name: str = "jira",
    services: str = '"checkout" = "a1"',
    auth: str = 'auth = "basic"\nusername = "ops@example.com"',
) -> Path:
    return write_sources(
        path,
        f"""[sources.{name}]
type = "jira"
url = "{url}"
{auth}
token_env = "{TOKEN_ENV}"
jql = {json.dumps(jql)}
page_size = 2
started_field = "{STARTED}"
deployment_regex = 'deploy ([0-9a-f]{{7,40}})'
{extra}

[sources.{name}.services]
{services}
""",
    )


run = sync_source


def cursor(db: Path, source: str = "jira") -> list[tuple[Any, ...]]:
    return cursors(db, source)


def test_first_sync_pages_by_token_and_maps_every_field(
    fake: FakeJira, warehouse: Path, tmp_path: Path
) -> None:
    result = run(write_config(tmp_path / "j.toml", fake.url), warehouse)
    assert result.ok, result.error
    assert incidents(warehouse) == expected(fake.url)
    assert result.rows == {"incidents": 5}
    assert result.warnings == [UNMAPPED]
    assert cursor(warehouse) == [("incidents", "2026-01-10T07:30:00Z")]
    # status list 1, search 3 pages of 2 issues, OPS-4's changelog 3 pages of 20 (45 entries)
    assert result.requests == 7
    searches = fake.requests_to(SEARCH)
    assert [p.get("nextPageToken") is None for p in searches] == [True, False, False]
    assert {p["jql"] for p in searches} == {f"({JQL}) ORDER BY updated ASC, key ASC"}
    assert searches[0]["maxResults"] == "2" and searches[0]["expand"] == "changelog"
    assert searches[0]["fields"] == (
        f"summary,status,priority,created,updated,resolutiondate,components,{STARTED}"
    )
    changelog = fake.requests_to("/rest/api/3/issue/OPS-4/changelog")
    assert [p["startAt"] for p in changelog] == ["0", "20", "40"]
    assert not [p for p in fake.paths() if p.endswith("/search")]  # 410 Gone on Cloud


def test_incremental_resync_reads_from_the_cursor_minus_a_day(
    fake: FakeJira, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "j.toml", fake.url)
    assert run(config, warehouse).ok
    fake.reset_log()
    again = run(config, warehouse)
    assert again.ok, again.error
    bound = f'({JQL}) AND updated >= "2026/01/09 07:30" ORDER BY updated ASC, key ASC'
    assert {p["jql"] for p in fake.requests_to(SEARCH)} == {bound}
    # OPS-4, OPS-5, OPS-6 (2 pages); OPS-4's changelog again; OPS-5 unmapped
    assert again.rows == {"incidents": 2}
    assert again.requests == 1 + 2 + 3
    assert incidents(warehouse) == expected(fake.url)  # no duplicates, nothing changed

    reopened = fake.issue("OPS-3")
    reopened.changes.append(move(at(11, 10), "Reopened", "Resolved"))
    reopened.status, reopened.updated, reopened.resolutiondate = "Resolved", at(11, 10), at(11, 10)
    third = run(config, warehouse)
    assert third.ok, third.error
    assert third.rows == {"incidents": 3}  # OPS-4, OPS-6 and the newly resolved OPS-3
    rows = {r[0]: r for r in incidents(warehouse)}
    assert len(rows) == 5
    assert rows["OPS-3"][6] == z(11, 1)  # resolved again 01-11 10:00+09
    assert cursor(warehouse) == [("incidents", "2026-01-11T01:00:00Z")]


def test_since_refetches_without_duplicates(
    fake: FakeJira, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "j.toml", fake.url)
    assert run(config, warehouse).ok
    fake.reset_log()
    again = run(config, warehouse, since=datetime(2026, 1, 6, tzinfo=UTC))
    assert again.ok
    # since − 24 h = 01-05 00:00 → read as Tokyo = 01-04 15:00Z: every incident again
    assert {p["jql"] for p in fake.requests_to(SEARCH)} == {
        f'({JQL}) AND updated >= "2026/01/05 00:00" ORDER BY updated ASC, key ASC'
    }
    assert again.rows == {"incidents": 5}
    assert incidents(warehouse) == expected(fake.url)


def test_user_time_zone_west_of_utc_misses_nothing(warehouse: Path, tmp_path: Path) -> None:
    """A user in UTC−8: the JQL bound "2026/01/10 12:00" would mean 20:00Z. An issue updated
    at 13:00Z, one hour after the cursor, must still come back: with the 24-hour overlap the
    bound is "2026/01/09 12:00" = 01-09 20:00Z."""
    pacific = timezone(timedelta(hours=-8))
    first = Issue("OPS-1", "a", at(10, 3, tz=pacific), at(10, 4, tz=pacific), components=["a1"])
    with FakeJira([first], user_tz=pacific).running() as server:
        config = write_config(tmp_path / "j.toml", server.url)
        assert run(config, warehouse).ok
        assert cursor(warehouse) == [("incidents", "2026-01-10T12:00:00Z")]
        late = Issue("OPS-2", "b", at(10, 4, tz=pacific), at(10, 5, tz=pacific), components=["b1"])
        server.issues.append(late)  # updated 13:00Z
        result = run(config, warehouse)
    assert result.ok, result.error
    assert result.rows == {"incidents": 2}
    assert [r[0] for r in incidents(warehouse)] == ["OPS-1", "OPS-2"]
    assert cursor(warehouse) == [("incidents", "2026-01-10T13:00:00Z")]


def test_jql_is_parenthesised_so_its_or_stays_inside(
    fake: FakeJira, warehouse: Path, tmp_path: Path
) -> None:
    """Unparenthesised, ``… OR project = WEB AND updated >= …`` would bound only WEB and
    re-read every OPS incident on each run."""
    jql = "project = OPS AND issuetype = Incident OR project = WEB"
    config = write_config(tmp_path / "j.toml", fake.url, jql=jql)
    first = run(config, warehouse)
    assert first.ok and first.rows == {"incidents": 6}  # the five above and WEB-1
    fake.reset_log()
    second = run(config, warehouse)
    assert second.ok
    assert {p["jql"] for p in fake.requests_to(SEARCH)} == {
        f'({jql}) AND updated >= "2026/01/09 07:30" ORDER BY updated ASC, key ASC'
    }
    assert second.rows == {"incidents": 3}  # OPS-4, WEB-1, OPS-6 (OPS-5 unmapped)


def test_order_by_in_jql_is_refused(fake: FakeJira, warehouse: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "j.toml", fake.url, jql=f"{JQL} order by created DESC")
    result = run(config, warehouse)
    assert result.error == (
        "jira: [sources.jira]: jql has an ORDER BY clause — remove it: the connector orders "
        "by updated to sync incrementally"
    )
    assert fake.paths() == []
    assert has_order_by('summary ~ "order by" AND project = OPS') is False
    assert compose_jql("a = 1 OR b = 2", z(9, 7, 31)) == (
        '(a = 1 OR b = 2) AND updated >= "2026/01/09 07:31" ORDER BY updated ASC, key ASC'
    )


# -- Data Center ----------------------------------------------------------------------------

NEW_YORK = timezone(timedelta(hours=-5))
SEV, DEPLOY, SERVICE = "customfield_10070", "customfield_10060", "customfield_10080"


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return at(day, hour, minute, tz=NEW_YORK)


def dc_issues() -> list[Issue]:
    def option(value: str) -> dict[str, str]:
        return {"self": "http://jira/rest/api/2/customFieldOption/1", "value": value, "id": "1"}

    return [
        Issue(
            "OPS-11",
            "Payments down",
            ny(3, 9),
            ny(3, 12),
            status="Closed",
            custom={SEV: option("SEV-1"), DEPLOY: "deploy-2026-01-03.1", SERVICE: option("b1")},
            changes=[
                move(ny(3, 9, 2), "Open", "Triage"),
                move(ny(3, 9, 10), "Triage", "In Progress"),
                move(ny(3, 10), "In Progress", "Mitigated"),
                move(ny(3, 12), "Mitigated", "Closed"),
            ],
        ),
        Issue(
            "OPS-12",
            "Checkout slow",
            ny(4, 23),
            ny(5, 1),
            status="Mitigated",
            custom={SEV: option("SEV-3"), SERVICE: option("a1")},
            changes=[
                move(ny(4, 23, 30), "Open", "In Progress"),
                move(ny(5, 1), "In Progress", "Mitigated"),
            ],
        ),
        Issue(
            "OPS-13",
            "Search errors",
            ny(6, 8),
            ny(6, 8, 30),
            status="In Progress",
            priority="High",
            custom={SEV: None, SERVICE: option("a1")},
            changes=[move(ny(6, 8, 30), "Open", "In Progress")],
        ),
        Issue("OPS-14", "Old thing", ny(7, 8), ny(7, 9), custom={SERVICE: option("mainframe")}),
        Issue("OPS-15", "No service", ny(8, 8), ny(8, 9)),
        Issue(
            "OPS-16",
            "Odd priority",
            ny(9, 8),
            ny(9, 9),
            priority="Urgent",
            custom={SERVICE: option("a1")},
        ),
    ]


DC_OPTIONS = f"""flavor = "data_center"
severity_field = "{SEV}"
deployment_field = "{DEPLOY}"
service_field = "{SERVICE}"
resolved_statuses = ["Mitigated", "Closed"]
acknowledged_statuses = ["In Progress"]"""


def dc_config(tmp_path: Path, url: str, auth: str = 'auth = "bearer"') -> Path:
    """Source ``dc`` with :data:`DC_OPTIONS` and no [sources.dc.services] mapping."""
    return write_config(tmp_path / "dc.toml", url, DC_OPTIONS, name="dc", services="", auth=auth)


def test_data_center_pages_by_start_at_with_custom_fields(tmp_path: Path) -> None:
    """New York (−05:00). OPS-11: SEV-1 option → SEV1, b1, created 09:00 = 14:00Z, ack = first
    In Progress 09:10 = 14:10Z (Triage at 09:02 does not count), resolved = first of Mitigated
    /Closed 10:00 = 15:00Z. OPS-12: SEV3, a1, created 01-04 23:00 = 01-05 04:00Z, ack 04:30Z,
    resolved 01-05 01:00 = 06:00Z. OPS-13: severity field empty → priority High → SEV2, a1,
    13:00Z, ack 13:30Z, open. OPS-14 maps to nothing, OPS-15 has no service, OPS-16's priority
    "Urgent" is no severity: all three skipped and reported. Six issues, pages of two:
    startAt 0, 2, 4; no status list is needed (resolved_statuses given)."""
    db = warehouse_of(tmp_path / "w.duckdb", "a1", "b1")
    with FakeJira(dc_issues(), flavor="data_center", user_tz=NEW_YORK).running() as server:
        config = dc_config(tmp_path, server.url)
        result = run(config, db)
        searches = server.requests_to("/rest/api/2/search")
    assert result.ok, result.error
    assert [p["startAt"] for p in searches] == ["0", "2", "4"]
    assert result.requests == 3
    assert query(
        db,
        "SELECT external_id, service_id, severity, started_at, acknowledged_at, resolved_at,"
        " deployment_ref FROM incidents ORDER BY external_id",
    ) == [
        ("OPS-11", "b1", "SEV1", z(3, 14), z(3, 14, 10), z(3, 15), "deploy-2026-01-03.1"),
        ("OPS-12", "a1", "SEV3", z(5, 4), z(5, 4, 30), z(5, 6), None),
        ("OPS-13", "a1", "SEV2", z(6, 13), z(6, 13, 30), None, None),
    ]
    assert result.warnings == [
        f"1 values of {SERVICE} map to no service and were skipped (mainframe); map them under "
        "[sources.dc.services]",
        f"1 issue(s) have no {SERVICE} and were skipped (OPS-15); set it on them or choose "
        "service_field in [sources.dc]",
        "1 issue(s) could not be stored and were skipped (OPS-16 (severity 'Urgent' is not "
        "SEV1-SEV4, P1-P5 or critical/high/medium/low))",
        "1 incident(s) name a deployment that is not in the warehouse (dc/OPS-11 names "
        "'deploy-2026-01-03.1'); they stay unlinked until it is synced",
    ]
    assert cursor(db, "dc") == [("incidents", "2026-01-09T14:00:00Z")]


def test_data_center_reads_a_cut_changelog_from_the_issue(tmp_path: Path) -> None:
    """With one embedded entry (total 4 / 2), OPS-11 and OPS-12 are read from
    /rest/api/2/issue/{key}: OPS-11's ack is still the In Progress move at 14:10Z, not the
    only embedded (oldest) entry, Triage at 14:02Z."""
    db = warehouse_of(tmp_path / "w.duckdb", "a1", "b1")
    fake = FakeJira(dc_issues(), flavor="data_center", user_tz=NEW_YORK, embedded_limit=1)
    with fake.running() as server:
        config = dc_config(tmp_path, server.url)
        result = run(config, db)
    assert result.ok, result.error
    issue_reads = [p for p in server.paths() if "/issue/" in p]
    assert issue_reads == ["/rest/api/2/issue/OPS-11", "/rest/api/2/issue/OPS-12"]
    assert query(db, "SELECT acknowledged_at, resolved_at FROM incidents ORDER BY 1") == [
        (z(3, 14, 10), z(3, 15)),
        (z(5, 4, 30), z(5, 6)),
        (z(6, 13, 30), None),
    ]


def test_data_center_empty_page_before_total_fails(tmp_path: Path) -> None:
    db = warehouse_of(tmp_path / "w.duckdb", "a1", "b1")
    before = contents(db)
    empty = json.dumps({"startAt": 2, "maxResults": 2, "total": 6, "issues": []})
    with FakeJira(dc_issues(), flavor="data_center", user_tz=NEW_YORK).running() as server:
        server.fail("/rest/api/2/search", Fault(200, empty, params={"startAt": "2"}))
        config = dc_config(tmp_path, server.url)
        result = run(config, db)
    assert not result.ok
    assert "page 2 came back empty after 2 of the 6 items" in (result.error or ""), result.error
    assert contents(db) == before


def test_data_center_captcha_is_explained(tmp_path: Path) -> None:
    db = warehouse_of(tmp_path / "w.duckdb", "a1")
    denied = {"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE; login-url=http://j/login.jsp"}
    with FakeJira(dc_issues(), flavor="data_center").running() as server:
        server.fail("/rest/api/2/search", Fault(403, "", denied))
        config = dc_config(tmp_path, server.url, auth='auth = "basic"\nusername = "svc-techpulse"')
        result = run(config, db)
    assert result.error == (
        f"dc: 403 Forbidden from {server.url}/rest/api/2/search — Jira wants a CAPTCHA after "
        "failed logins: log in once in a browser as svc-techpulse, then retry"
    )


def test_wrong_flavor_is_named(fake: FakeJira, warehouse: Path, tmp_path: Path) -> None:
    dc_on_cloud = run(
        write_config(tmp_path / "a.toml", fake.url, 'flavor = "data_center"'), warehouse
    )
    assert dc_on_cloud.error == (
        f"jira: 410 Gone from {fake.url}/rest/api/2/search (The requested API has been removed."
        " Please migrate to the /rest/api/3/search/jql API. A full migration guideline is "
        "available at https://developer.atlassian.com/changelog/#CHANGE-2046) — this Jira "
        'Cloud site removed /search; set flavor = "cloud" in [sources.jira]'
    )
    with FakeJira(dc_issues(), flavor="data_center", login="ops@example.com").running() as dc:
        cloud_on_dc = run(write_config(tmp_path / "b.toml", dc.url), warehouse)
    assert cloud_on_dc.error == (
        f"jira: 404 Not Found from {dc.url}/rest/api/3/status (null for uri: {dc.url}"
        f"/rest/api/3/status) — {dc.url} has no Jira Cloud REST API v3: for Jira Data Center "
        'or Server set flavor = "data_center" in [sources.jira], else check url'
    )
    assert query(warehouse, "SELECT count(*) FROM incidents") == [(0,)]


# -- rate limits, faults --------------------------------------------------------------------


def test_429_with_retry_after_is_waited_out(
    fake: FakeJira, warehouse: Path, tmp_path: Path
) -> None:
    """Jira Cloud's 429: Retry-After in seconds plus X-RateLimit-* (reset as yyyy-MM-ddTHH:mmZ)."""
    headers = {
        "Retry-After": "7",
        "X-RateLimit-Limit": "350",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "2026-01-15T10:01Z",
        "RateLimit-Reason": "jira-burst-based",
    }
    fake.fail(SEARCH, Fault(429, "", headers, params={"expand": "changelog"}))
    sleeps = Sleeps()
    result = run(write_config(tmp_path / "j.toml", fake.url), warehouse, sleep=sleeps)
    assert_waited(result, sleeps, 1, retries=1)
    assert sleeps == [7.0]
    assert incidents(warehouse) == expected(fake.url)


def test_quota_used_up_on_a_2xx_delays_the_next_request(
    fake: FakeJira, warehouse: Path, tmp_path: Path
) -> None:
    """The status list answers 200 with X-RateLimit-Remaining 0: the search waits for reset."""
    reset = datetime.fromtimestamp(time.time() + 90, UTC).replace(second=0, microsecond=0)
    headers = {
        "Content-Type": "application/json",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
    }
    fake.fail("/rest/api/3/status", Fault(200, json.dumps(fake.status_list()), headers))
    sleeps = Sleeps()
    result = run(write_config(tmp_path / "j.toml", fake.url), warehouse, sleep=sleeps)
    assert_waited(result, sleeps, 1, retries=0)
    assert sleeps[0] == pytest.approx(reset.timestamp() - time.time(), abs=3)
    assert result.rows == {"incidents": 5}


def test_a_repeated_page_token_stops_the_run(
    fake: FakeJira, warehouse: Path, tmp_path: Path
) -> None:
    page = json.dumps({"issues": [], "nextPageToken": "CAEQAA", "isLast": False})
    kind = {"Content-Type": "application/json"}
    fake.fail(SEARCH, Fault(200, page, kind), Fault(200, page, kind))
    before = contents(warehouse)
    result = run(write_config(tmp_path / "j.toml", fake.url), warehouse)
    assert result.error == (
        f"jira: {fake.url}/rest/api/3/search/jql repeated page token 'CAEQAA'; stopped to avoid "
        "an endless loop — report it to the server's maintainers; lower page_size as a "
        "workaround"
    )
    assert contents(warehouse) == before


ISSUE_GONE = '{"errorMessages":["Issue does not exist or you do not have permission to see it."]}'
FAILURES: dict[str, tuple[Any, str]] = {
    "400 bad JQL": (
        lambda fake, env, path: path.write_text(
            path.read_text().replace("issuetype = Incident", "issuetype = Incidnet")
        ),
        "jira: 400 Bad Request from {url}/rest/api/3/search/jql (The value 'Incidnet' does not "
        "exist for the field 'issuetype'.) — fix jql in [sources.jira] (sent as: (project = OPS"
        ' AND issuetype = Incidnet) AND updated >= "2026/01/09 07:30" ORDER BY updated ASC, '
        "key ASC)",
    ),
    "401": (
        token_changed(TOKEN_ENV, "revoked-token"),
        "jira: 401 Unauthorized from {url}/rest/api/3/status (Client must be authenticated to "
        "access this resource.) — check username = ops@example.com (the Atlassian account "
        "e-mail) and the API token in $JIRA_TEST_TOKEN (create one at "
        "id.atlassian.com/manage-profile/security/api-tokens)",
    ),
    "403": (
        failing(
            SEARCH, Fault(403, '{"errorMessages":["You do not have permission."],"errors":{}}')
        ),
        "jira: 403 Forbidden from {url}/rest/api/3/search/jql (You do not have permission.) — "
        "the account lacks Browse projects permission for these issues (or an IP allowlist "
        "blocks it); grant it or use another account",
    ),
    "404": (
        failing("/rest/api/3/issue/OPS-4/changelog", Fault(404, ISSUE_GONE)),
        "jira: 404 Not Found from {url}/rest/api/3/issue/OPS-4/changelog (Issue does not exist "
        "or you do not have permission to see it.) — the issue was deleted or moved during the "
        "sync; run it again",
    ),
    "429": (
        failing(SEARCH, Fault(429, "", {"Retry-After": "1"}), times=4),
        "jira: 429 Too Many Requests from {url}/rest/api/3/search/jql after 2 attempts — Jira "
        "is rate limiting this account even after retries; retry later or sync less often",
    ),
    "500": (
        failing(
            SEARCH, Fault(500, '{"errorMessages":["Internal server error"],"errors":{}}'), times=4
        ),
        "jira: 500 Internal Server Error from {url}/rest/api/3/search/jql (Internal server "
        "error) after 2 attempts — Jira failed; check status.atlassian.com and retry later",
    ),
    "malformed JSON": (
        failing(SEARCH, Fault(200, '{"issues": [', {"Content-Type": "application/json"})),
        "jira: unexpected answer from {url}/rest/api/3/search/jql: malformed JSON "
        "(application/json, 12 bytes) — check that the url points at the right API (not a "
        "proxy or login page) and retry",
    ),
    "issues not a list": (
        failing(
            SEARCH,
            Fault(200, '{"issues": {}, "isLast": true}', {"Content-Type": "application/json"}),
        ),
        "jira: unexpected answer from {url}/rest/api/3/search/jql: expected issues to be a list "
        "— check that the url points at the right API (not a proxy or login page) and retry",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_one_line_and_leave_the_warehouse_unchanged(
    case: str,
    fake: FakeJira,
    warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_config(tmp_path / "j.toml", fake.url)
    assert run(config, warehouse).ok
    before = contents(warehouse)
    breaks, line = FAILURES[case]
    breaks(fake, monkeypatch, config)
    result = run(config, warehouse)
    assert_failed(result, warehouse, before, "jira", line.format(url=fake.url))


def test_configuration_errors(tmp_path: Path, warehouse: Path) -> None:
    url = "http://127.0.0.1:9"
    cases = {
        'flavor = "server"': "jira: [sources.jira]: flavor = 'server' — use \"cloud\" "
        '(*.atlassian.net) or "data_center" (Jira Server / Data Center)',
        "page_size = 1001": "jira: [sources.jira]: page_size must be 1..1000 — fix it",
        'severity_field = "Severity level"': "jira: [sources.jira]: severity_field must be a "
        'Jira field id — e.g. severity_field = "customfield_10050" (Jira admin → Custom fields '
        "→ the id)",
        "resolved = 1": "jira: [sources.jira] has unknown key resolved — known keys for type "
        "jira: acknowledged_statuses, auth, concurrency, cron, deployment_field, "
        "deployment_regex, enabled, every, flavor, jql, page_size, projects, resolved_statuses, "
        "service_field, services, severity_field, started_field, token_env, token_secret, type, "
        "url, username",
    }
    for n, (extra, line) in enumerate(cases.items()):
        path = write_config(tmp_path / f"c{n}.toml", url, extra)
        if extra.startswith("page_size"):
            path.write_text(path.read_text().replace("page_size = 2\n", ""))
        assert run(path, warehouse).error == line
    no_user = write_config(tmp_path / "u.toml", url, auth='auth = "basic"')
    assert run(no_user, warehouse).error == (
        'jira: [sources.jira] uses auth = "basic" without a username — add username = '
        '"<your Atlassian account e-mail>"'
    )
    assert query(warehouse, "SELECT count(*) FROM sync_runs WHERE status = 'failed'") == [(5,)]


def test_the_catalogs_jira_component_maps_without_a_services_table(
    fake: FakeJira, warehouse: Path, tmp_path: Path
) -> None:
    """The catalog declares jira_component "Checkout" for a1 (case differs from Jira's
    "checkout"); no [sources.jira.services] line: the same 5 incidents as the mapped sync."""
    with write_snapshot(warehouse) as con:
        con.execute("UPDATE services SET jira_component = 'Checkout' WHERE service_id = 'a1'")
    result = run(write_config(tmp_path / "j.toml", fake.url, services=""), warehouse)
    assert result.ok, result.error
    assert incidents(warehouse) == expected(fake.url)
    assert result.warnings == [UNMAPPED]
