"""PagerDuty connector against a local fake of the documented REST API v2.

The fake is tests/servers/pagerduty.py.

Data (the fake's account zone is +09:00; lists are asked for in UTC, GET /incidents/{id}
answers in +09:00). PagerDuty services: PCHK001 "Checkout API" → a1 (mapped by id),
PBIL001 "Billing" → b1 (mapped by name), PCRON01 "Legacy cron" unmapped.

====== ======= ================= ========================================================
id     service created (+09:00)  log (+09:00) and state
====== ======= ================= ========================================================
PINC0  a1      2025-08-01 18:00  ack 18:30; acknowledged; high urgency, no priority
PINC1  a1      2026-01-03 10:00  notify 10:01, ack 10:05, ack 10:20, resolve 11:30; P1
PINC2  b1      2026-01-05 23:30  ack 01-06 00:10, resolve 01-06 01:00; the answer has no
                                 resolved_at field (→ last_status_change_at); high urgency
PINC3  a1      2026-01-08 09:00  triggered; low urgency; custom priority "Urgent"
PINC4  cron    2026-01-09 12:00  resolved; unmapped → skipped
PINC5  b1      2026-01-10 12:00  ack 12:15; acknowledged; P3
====== ======= ================= ========================================================

Hand-computed rows (UTC = +09:00 minus 9 h): PINC0 started 2025-08-01 09:00, acknowledged
09:30, open, SEV2 (high urgency); PINC1 01-03 01:00 / 01:05 (the first of two acks) / 02:30,
SEV1, reference "4f2a9c1e" from "after deploy 4f2a9c1e"; PINC2 01-05 14:30 / 15:10 / 16:00,
SEV2; PINC3 01-08 00:00, open, SEV4 (urgency low: "Urgent" is no known priority), reference
"v2.4.1"; PINC5 01-10 03:00 / 03:15 / open, SEV3. MTTR of the two resolved rows: PINC1 90 min,
PINC2 90 min.

First sync (until 2026-01-15, lookback 365 days, page_size 2): windows of at most 180 days
from 2025-01-15: [2025-01-15, 2025-07-14) (17+28+31+30+31+30+13 = 180 days), [2025-07-14,
2026-01-10) (18+31+30+31+30+31+9 = 180), [2026-01-10, 2026-01-15). Listing requests: 1 (empty)
+ 3 (PINC0-4: 2+2+1) + 1 (PINC5) = 5. Log entries (2 per page) for the five mapped incidents:
PINC0 2 entries → 1, PINC1 5 → 3, PINC2 3 → 2, PINC3 1 → 1, PINC5 2 → 1: 8. Total 13.
"""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from connectors.sources.oncall.pagerduty_api import PagerDutyAuth
from data.warehouse import write_snapshot
from tests.connector_helpers import (
    Sleeps,
    assert_failed,
    assert_waited,
    failing,
    fake_fixture,
    resolution_seconds,
    sync_source,
    table_rows,
    token_changed,
    token_fixture,
    token_set,
    warehouse_fixture,
    warehouse_of,
    write_sources,
)
from tests.connector_helpers import cursors as cursor_rows
from tests.servers.pagerduty import (
    ACCOUNT_TZ,
    JSON,
    FakePagerDuty,
    Fault,
    Incident,
    LogEntry,
    Request,
)
from tests.servers.warehouse import contents, query

TOKEN_ENV = "PD_TEST_TOKEN"
UNTIL = datetime(2026, 1, 15, tzinfo=UTC)
CHECKOUT, BILLING, CRON = (
    ("PCHK001", "Checkout API"),
    ("PBIL001", "Billing"),
    ("PCRON01", "Legacy cron"),
)
SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"


def jst(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ACCOUNT_TZ)


def z(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def trigger(at: datetime) -> LogEntry:
    return LogEntry("trigger_log_entry", at)


def ack(at: datetime) -> LogEntry:
    return LogEntry("acknowledge_log_entry", at)


def resolve(at: datetime) -> LogEntry:
    return LogEntry("resolve_log_entry", at)


def incidents() -> list[Incident]:
    return [
        Incident(
            "PINC0",
            10,
            "Payment timeouts",
            CHECKOUT,
            jst(2025, 8, 1, 18),
            "acknowledged",
            [trigger(jst(2025, 8, 1, 18)), ack(jst(2025, 8, 1, 18, 30))],
            body=f"Root cause: commit {SHA}",
        ),
        Incident(
            "PINC1",
            11,
            "Checkout 500s after deploy 4f2a9c1e",
            CHECKOUT,
            jst(2026, 1, 3, 10),
            "resolved",
            [
                trigger(jst(2026, 1, 3, 10)),
                LogEntry("notify_log_entry", jst(2026, 1, 3, 10, 1)),
                ack(jst(2026, 1, 3, 10, 5)),
                ack(jst(2026, 1, 3, 10, 20)),
                resolve(jst(2026, 1, 3, 11, 30)),
            ],
            priority="P1",
        ),
        Incident(
            "PINC2",
            12,
            "Invoice run stuck",
            BILLING,
            jst(2026, 1, 5, 23, 30),
            "resolved",
            [
                trigger(jst(2026, 1, 5, 23, 30)),
                ack(jst(2026, 1, 6, 0, 10)),
                resolve(jst(2026, 1, 6, 1)),
            ],
            with_resolved_at=False,
        ),
        Incident(
            "PINC3",
            13,
            "Slow search (release v2.4.1)",
            CHECKOUT,
            jst(2026, 1, 8, 9),
            "triggered",
            [trigger(jst(2026, 1, 8, 9))],
            urgency="low",
            priority="Urgent",
        ),
        Incident(
            "PINC4",
            14,
            "Cron missed",
            CRON,
            jst(2026, 1, 9, 12),
            "resolved",
            [trigger(jst(2026, 1, 9, 12)), resolve(jst(2026, 1, 9, 13))],
        ),
        Incident(
            "PINC5",
            15,
            "Refund webhook errors",
            BILLING,
            jst(2026, 1, 10, 12),
            "acknowledged",
            [trigger(jst(2026, 1, 10, 12)), ack(jst(2026, 1, 10, 12, 15))],
            priority="P3",
        ),
    ]


WEB = "https://acme.pagerduty.com/incidents/"
# id, service, severity, title, started, acknowledged, resolved, url, deployment_ref, link
EXPECTED = [
    (
        "PINC0",
        "a1",
        "SEV2",
        "Payment timeouts",
        z(8, 1, 9, year=2025),
        z(8, 1, 9, 30, year=2025),
        None,
        WEB + "PINC0",
        None,
        "window",
    ),
    (
        "PINC1",
        "a1",
        "SEV1",
        "Checkout 500s after deploy 4f2a9c1e",
        z(1, 3, 1),
        z(1, 3, 1, 5),
        z(1, 3, 2, 30),
        WEB + "PINC1",
        "4f2a9c1e",
        "reference",
    ),
    (
        "PINC2",
        "b1",
        "SEV2",
        "Invoice run stuck",
        z(1, 5, 14, 30),
        z(1, 5, 15, 10),
        z(1, 5, 16),
        WEB + "PINC2",
        None,
        "window",
    ),
    (
        "PINC3",
        "a1",
        "SEV4",
        "Slow search (release v2.4.1)",
        z(1, 8, 0),
        None,
        None,
        WEB + "PINC3",
        "v2.4.1",
        "reference",
    ),
    (
        "PINC5",
        "b1",
        "SEV3",
        "Refund webhook errors",
        z(1, 10, 3),
        z(1, 10, 3, 15),
        None,
        WEB + "PINC5",
        None,
        "window",
    ),
]
COLUMNS = (
    "external_id, service_id, severity, title, started_at, acknowledged_at, resolved_at, url,"
    " deployment_ref, link_method"
)
UNMAPPED = (
    "1 PagerDuty services map to no service and were skipped (Legacy cron (PCRON01)); map them "
    "under [sources.pd.services]"
)
UNKNOWN_PRIORITY = (
    "PagerDuty priorities Urgent are not P1-P5 or SEV1-SEV4; their incidents were given a "
    "severity from urgency"
)


def stored(db: Path) -> list[tuple[Any, ...]]:
    return table_rows(db, "incidents", COLUMNS)


def cursors(db: Path) -> dict[str, str]:
    return dict(cursor_rows(db, "pd"))


fake = fake_fixture(lambda: FakePagerDuty(incidents()))
token = token_fixture(TOKEN_ENV, "pd-key")
warehouse = warehouse_fixture("a1", "b1")


@pytest.fixture(scope="module")
def first_synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse after one successful sync of the fixture (copied by the tests that need it)."""
    folder = tmp_path_factory.mktemp("pd-synced")
    db = warehouse_of(folder / "w.duckdb", "a1", "b1")
    with token_set(TOKEN_ENV, "pd-key"), FakePagerDuty(incidents()).running() as server:
        assert run(write_config(folder / "s.toml", server.url), db).ok
    assert stored(db) == EXPECTED
    return db


def write_config(path: Path, url: str, extra: str = "", services: str = "") -> Path:
    return write_sources(
        path,
        f"""[sources.pd]
type = "pagerduty"
url = "{url}"
auth = "bearer"
token_env = "{TOKEN_ENV}"
page_size = 2
{extra}

[sources.pd.services]
{services or '"PCHK001" = "a1"' + chr(10) + '"Billing" = "b1"'}
""",
    )


run = partial(sync_source, until=UNTIL)


def listing(fake: FakePagerDuty) -> list[tuple[str | None, str | None, str | None]]:
    return [(r.get("since"), r.get("until"), r.get("offset")) for r in fake.requests("/incidents")]


def test_first_sync_walks_windows_pages_and_log_entries(
    fake: FakePagerDuty, warehouse: Path, tmp_path: Path
) -> None:
    result = run(write_config(tmp_path / "s.toml", fake.url), warehouse)
    assert result.ok, result.error
    assert stored(warehouse) == EXPECTED
    assert result.rows == {"incidents": 5}
    assert result.requests == 13 and len(fake.requests()) == 13
    assert listing(fake) == [
        ("2025-01-15T00:00:00Z", "2025-07-14T00:00:00Z", "0"),
        ("2025-07-14T00:00:00Z", "2026-01-10T00:00:00Z", "0"),
        ("2025-07-14T00:00:00Z", "2026-01-10T00:00:00Z", "2"),
        ("2025-07-14T00:00:00Z", "2026-01-10T00:00:00Z", "4"),
        ("2026-01-10T00:00:00Z", "2026-01-15T00:00:00Z", "0"),
    ]
    windows = sorted({(s, u) for s, u, _ in listing(fake)})
    parsed = [
        (datetime.fromisoformat(s or ""), datetime.fromisoformat(u or "")) for s, u in windows
    ]
    assert parsed[0][0] == UNTIL - timedelta(days=365) and parsed[-1][1] == UNTIL
    for (_, end), (following, _) in itertools.pairwise(parsed):
        assert end == following  # consecutive, no gap and no overlap
    assert all(timedelta(0) < u - s <= timedelta(days=180) for s, u in parsed)
    first = fake.requests("/incidents")[0]
    assert first.headers["Authorization"] == "Token token=pd-key"
    assert first.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert first.get("time_zone") == "UTC" and first.get("limit") == "2"
    logs = [r.path for r in fake.requests() if r.path.endswith("/log_entries")]
    assert sorted(logs) == sorted(
        [
            "/incidents/PINC0/log_entries",
            "/incidents/PINC3/log_entries",
            "/incidents/PINC5/log_entries",
        ]
        + ["/incidents/PINC1/log_entries"] * 3
        + ["/incidents/PINC2/log_entries"] * 2
    )
    assert result.warnings == [
        UNMAPPED,
        UNKNOWN_PRIORITY,
        "2 incident(s) name a deployment that is not in the warehouse (pd/PINC1 names "
        "'4f2a9c1e'; pd/PINC3 names 'v2.4.1'); they stay unlinked until it is synced",
    ]
    assert cursors(warehouse) == {
        "incidents": "2026-01-15T00:00:00Z",
        "incidents/open": "PINC0 PINC3 PINC5",
    }
    assert resolution_seconds(warehouse) == [("PINC1", 5400.0), ("PINC2", 5400.0)]


def test_incremental_resync_rereads_recent_and_open_incidents_only(
    fake: FakePagerDuty, warehouse: Path, tmp_path: Path
) -> None:
    """After the first sync: PINC0 (older than the re-read window, open) resolves 2026-01-16
    09:00+09:00 = 00:00Z; PINC3 is acknowledged 01-17 09:50+09:00 (00:50Z) and resolved
    10:00+09:00 (01:00Z); PINC6 (Billing, P2) is new: 01-16 10:00+09:00 = 01:00Z, ack 10:02
    (01:02Z), resolved 10:45 (01:45Z).

    Second sync until 2026-01-20: one window from the cursor 01-15 minus reopen_days 14 =
    01-01 to 01-20 (PINC1-6: 3 pages of 2), PINC0 fetched by id (its GET answer, in +09:00,
    carries the body naming commit 9fceb02…), and nothing older."""
    config = write_config(tmp_path / "s.toml", fake.url)
    assert run(config, warehouse).ok
    pinc0, pinc3 = fake.incidents["PINC0"], fake.incidents["PINC3"]
    pinc0.status = "resolved"
    pinc0.log.append(resolve(jst(2026, 1, 16, 9)))
    pinc3.status = "resolved"
    pinc3.log += [ack(jst(2026, 1, 17, 9, 50)), resolve(jst(2026, 1, 17, 10))]
    fake.incidents["PINC6"] = Incident(
        "PINC6",
        16,
        "Card declines spike",
        BILLING,
        jst(2026, 1, 16, 10),
        "resolved",
        [
            trigger(jst(2026, 1, 16, 10)),
            ack(jst(2026, 1, 16, 10, 2)),
            resolve(jst(2026, 1, 16, 10, 45)),
        ],
        priority="P2",
    )
    fake.reset_log()
    second = run(config, warehouse, until=datetime(2026, 1, 20, tzinfo=UTC))
    assert second.ok, second.error
    assert listing(fake) == [
        ("2026-01-01T00:00:00Z", "2026-01-20T00:00:00Z", "0"),
        ("2026-01-01T00:00:00Z", "2026-01-20T00:00:00Z", "2"),
        ("2026-01-01T00:00:00Z", "2026-01-20T00:00:00Z", "4"),
    ]
    assert [r.path for r in fake.requests() if not r.path.endswith("log_entries")].count(
        "/incidents/PINC0"
    ) == 1
    assert second.rows == {"incidents": 6}
    rows = stored(warehouse)
    assert len(rows) == 6 and len({r[0] for r in rows}) == 6  # no duplicates
    assert rows[0] == (
        "PINC0",
        "a1",
        "SEV2",
        "Payment timeouts",
        z(8, 1, 9, year=2025),
        z(8, 1, 9, 30, year=2025),
        z(1, 16, 0),
        WEB + "PINC0",
        SHA,
        "reference",
    )
    assert rows[1:3] == EXPECTED[1:3]
    assert rows[3][4:7] == (z(1, 8, 0), z(1, 17, 0, 50), z(1, 17, 1))
    assert rows[4] == EXPECTED[4]
    assert rows[5] == (
        "PINC6",
        "b1",
        "SEV2",
        "Card declines spike",
        z(1, 16, 1),
        z(1, 16, 1, 2),
        z(1, 16, 1, 45),
        WEB + "PINC6",
        None,
        "window",
    )
    assert cursors(warehouse) == {
        "incidents": "2026-01-20T00:00:00Z",
        "incidents/open": "PINC5",
    }


def test_a_window_past_the_offset_cap_is_split_in_halves(warehouse: Path, tmp_path: Path) -> None:
    """With a cap of 4 (offset + limit ≤ 4) and pages of 2, window [2025-07-14, 2026-01-10)
    (PINC0-4) stops before offset 4 and is listed again as [07-14, 10-12) (PINC0: 18+31+30+11
    = 90 days) and [10-12, 01-10) (PINC1-4: two pages)."""
    with FakePagerDuty(incidents(), max_offset=4).running() as server:
        config = write_config(tmp_path / "s.toml", server.url, "max_offset = 4")
        result = run(config, warehouse)
        assert result.ok, result.error
        assert listing(server) == [
            ("2025-01-15T00:00:00Z", "2025-07-14T00:00:00Z", "0"),
            ("2025-07-14T00:00:00Z", "2026-01-10T00:00:00Z", "0"),
            ("2025-07-14T00:00:00Z", "2026-01-10T00:00:00Z", "2"),
            ("2025-07-14T00:00:00Z", "2025-10-12T00:00:00Z", "0"),
            ("2025-10-12T00:00:00Z", "2026-01-10T00:00:00Z", "0"),
            ("2025-10-12T00:00:00Z", "2026-01-10T00:00:00Z", "2"),
            ("2026-01-10T00:00:00Z", "2026-01-15T00:00:00Z", "0"),
        ]
    assert stored(warehouse) == EXPECTED


def test_rate_limits_wait_for_the_reset(
    fake: FakePagerDuty, warehouse: Path, tmp_path: Path
) -> None:
    """A 429 with ratelimit-reset 20 is retried after 20 s; a 200 saying ratelimit-remaining 0
    (reset 7 s) makes the next request on that client wait about 7 s. Nothing really sleeps."""
    limited = {
        **JSON,
        "ratelimit-limit": "960",
        "ratelimit-remaining": "0",
        "ratelimit-reset": "20",
    }
    body = '{"error": {"message": "Rate Limit Exceeded", "code": 2020}}'
    fake.fail("/incidents", Fault(429, body, limited))
    page = Request(
        "/incidents/PINC1/log_entries",
        {"time_zone": ["UTC"], "limit": ["2"], "offset": ["0"]},
        {"Authorization": "Token token=pd-key"},
    )
    status, first_page = fake.answer(page)
    assert status == 200 and first_page["more"] is True
    used_up = {**limited, "ratelimit-reset": "7"}
    fake.fail("/incidents/PINC1/log_entries", Fault(200, json.dumps(first_page), used_up))
    sleeps = Sleeps()
    config = write_config(tmp_path / "s.toml", fake.url, "concurrency = 1")
    result = run(config, warehouse, sleep=sleeps)
    assert_waited(result, sleeps, 2, retries=1)
    assert sleeps[0] == 20.0 and 6.0 < sleeps[1] <= 7.0
    assert stored(warehouse) == EXPECTED


RATE_LIMITED = '{"error": {"message": "Rate Limit Exceeded", "code": 2020}}'
INTERNAL = '{"error": {"message": "An internal error has occurred.", "code": 2000}}'
FAILURES = {
    "401": (
        token_changed(TOKEN_ENV, "revoked-key"),
        "",
        "pd: 401 Unauthorized from {url}/incidents (Authentication failed) — the REST "
        "API key in $PD_TEST_TOKEN is missing, revoked or of another kind; create a read-only "
        'API key (Integrations → API Access Keys) and export it, or set token_type = "oauth" '
        "for an OAuth token",
    ),
    "403": (
        lambda fake, env: setattr(fake, "forbidden_tokens", {"pd-key"}),
        "",
        "pd: 403 Forbidden from {url}/incidents (Access Denied) — the key may not "
        "read these incidents; use a read-only account API key, or grant the key's user access "
        "to the services",
    ),
    "404": (
        lambda fake, env: None,
        "/api/v1",
        "pd: 404 Not Found from {url}/api/v1/incidents (Not Found) — check url = "
        "{url}/api/v1 in [sources.pd]: it must be the REST API (https://api.pagerduty.com), not "
        "the web app or the Events API",
    ),
    "429": (
        failing(
            "/incidents",
            Fault(429, RATE_LIMITED, {**JSON, "ratelimit-remaining": "0", "ratelimit-reset": "1"}),
            times=5,
        ),
        "",
        "pd: 429 Too Many Requests from {url}/incidents (Rate Limit Exceeded) after 2 "
        "attempts — rate limited even after retries (960 requests a minute per key); lower "
        "concurrency in [sources.pd] or retry later",
    ),
    "500": (
        failing("/incidents", Fault(500, INTERNAL, JSON), times=5),
        "",
        "pd: 500 Internal Server Error from {url}/incidents (An internal error has occurred.) "
        "after 2 attempts — PagerDuty failed; check https://status.pagerduty.com and retry",
    ),
    "malformed JSON": (
        failing("/incidents", Fault(200, '{"incidents": [', JSON)),
        "",
        "pd: unexpected answer from {url}/incidents: malformed JSON (application/json, 15 bytes) "
        "— check that the url points at the right API (not a proxy or login page) and retry",
    ),
    "more missing": (
        failing("/incidents", Fault(200, '{"incidents": []}', JSON)),
        "",
        "pd: unexpected answer from {url}/incidents: expected more to be true or false — check "
        "that the url points at the right API (not a proxy or login page) and retry",
    ),
    "log entries 500": (
        failing("/incidents/PINC2/log_entries", Fault(502, "<html>bad gateway</html>"), times=5),
        "",
        "pd: 502 Bad Gateway from {url}/incidents/PINC2/log_entries after 2 attempts — "
        "PagerDuty failed; check https://status.pagerduty.com and retry",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_one_line_and_leave_the_warehouse_unchanged(
    case: str,
    fake: FakePagerDuty,
    first_synced: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warehouse = Path(shutil.copyfile(first_synced, tmp_path / "w.duckdb"))
    before = contents(warehouse)
    breaks, suffix, expected = FAILURES[case]
    breaks(fake, monkeypatch)
    config = write_config(tmp_path / "s.toml", fake.url + suffix)
    result = run(config, warehouse, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert_failed(result, warehouse, before, "pd", expected.format(url=fake.url))


def test_an_open_incident_gone_from_pagerduty_is_dropped_with_a_warning(
    fake: FakePagerDuty, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "s.toml", fake.url)
    assert run(config, warehouse).ok
    del fake.incidents["PINC0"]
    second = run(config, warehouse)
    assert second.ok, second.error
    assert (
        "1 incident(s) open at the last sync are gone from PagerDuty and are no longer "
        "re-checked (PINC0)" in second.warnings
    )
    assert cursors(warehouse)["incidents/open"] == "PINC3 PINC5"
    assert stored(warehouse) == EXPECTED  # the stored row stays as last seen


def test_a_reference_links_the_deployment_that_caused_it(
    fake: FakePagerDuty, warehouse: Path, tmp_path: Path
) -> None:
    """A production deployment of a1 of commit 4f2a9c1e…, finished 2026-01-02, is named by
    PINC1 ("after deploy 4f2a9c1e"): the linker makes it PINC1's cause."""
    with write_snapshot(warehouse) as con:
        con.execute(
            "INSERT INTO deployments (source, external_id, service_id, environment, started_at,"
            " finished_at, status, commit_sha) VALUES ('ci', 'd-77', 'a1', 'production',"
            " '2026-01-02 10:00:00+00', '2026-01-02 10:05:00+00', 'success',"
            " '4f2a9c1e7b0d4c3a2b1f0e9d8c7b6a5f4e3d2c1b')"
        )
    result = run(write_config(tmp_path / "s.toml", fake.url), warehouse)
    assert result.ok, result.error
    caused = query(
        warehouse,
        "SELECT external_id, caused_by_deployment_source, caused_by_deployment_external_id"
        " FROM incidents WHERE caused_by_deployment_external_id IS NOT NULL",
    )
    assert caused == [("PINC1", "ci", "d-77")]


def test_oauth_tokens_are_sent_as_bearer_and_hidden(warehouse: Path, tmp_path: Path) -> None:
    assert repr(PagerDutyAuth("pd-secret")) == "PagerDutyAuth(***)"
    with FakePagerDuty(incidents(), tokens=set(), oauth_tokens={"pd-key"}).running() as server:
        config = write_config(tmp_path / "s.toml", server.url, 'token_type = "oauth"')
        result = run(config, warehouse)
        assert result.ok, result.error
        assert server.requests()[0].headers["Authorization"] == "Bearer pd-key"
    assert stored(warehouse) == EXPECTED


def test_filters_are_sent_as_documented(
    fake: FakePagerDuty, warehouse: Path, tmp_path: Path
) -> None:
    """filter_services and statuses become repeated service_ids[] and statuses[]; only
    Checkout API's resolved incident (PINC1) is left."""
    extra = 'filter_services = ["PCHK001"]\nstatuses = ["resolved"]'
    result = run(write_config(tmp_path / "s.toml", fake.url, extra), warehouse)
    assert result.ok, result.error
    first = fake.requests("/incidents")[0]
    assert first.params["service_ids[]"] == ["PCHK001"] and first.params["statuses[]"] == [
        "resolved"
    ]
    assert stored(warehouse) == [EXPECTED[1]]


CONFIG_ERRORS = {
    'region = "mars"': "pd: [sources.pd] region = 'mars' — use one of us, eu",
    "reopen_days = 999": "pd: [sources.pd] reopen_days must be a whole number 0..180 — fix the "
    "value (default 14)",
    'statuses = ["open"]': "pd: [sources.pd] statuses has open — use some of triggered, "
    "acknowledged, resolved",
    'high_urgency_severity = "P1"': "pd: [sources.pd] high_urgency_severity = 'P1' — use one of "
    "SEV1, SEV2, SEV3, SEV4",
    'deployment_ref_pattern = "deploy [0-9a-f]+"': "pd: [sources.pd] deployment_ref_pattern has "
    "no group — put the deployment id or SHA in parentheses, e.g. deploy ([0-9a-f]{7,40})",
    "lookback = 30": "pd: [sources.pd] has unknown key lookback — known keys for type pagerduty: "
    "auth, concurrency, cron, deployment_ref_pattern, enabled, every, filter_services, "
    "high_urgency_severity, "
    "link_to_deployments, lookback_days, low_urgency_severity, max_offset, page_size, region, "
    "reopen_days, services, statuses, token_env, token_secret, token_type, type, url, username",
}


@pytest.mark.parametrize("extra", list(CONFIG_ERRORS))
def test_invalid_options_are_one_line(extra: str, warehouse: Path, tmp_path: Path) -> None:
    result = run(write_config(tmp_path / "s.toml", "http://127.0.0.1:9", extra), warehouse)
    assert result.error == CONFIG_ERRORS[extra]


def test_a_mapping_to_an_unknown_service_fails(
    fake: FakePagerDuty, warehouse: Path, tmp_path: Path
) -> None:
    before = contents(warehouse)
    result = run(
        write_config(tmp_path / "s.toml", fake.url, services='"PCHK001" = "nope"'), warehouse
    )
    assert result.error == (
        "pd: [sources.pd.services] maps to service nope, which the warehouse does not have — "
        "fix the service id, or add the service to the warehouse first"
    )
    assert contents(warehouse) == before


def test_the_catalogs_pagerduty_service_maps_without_a_services_table(
    fake: FakePagerDuty, warehouse: Path, tmp_path: Path
) -> None:
    """The catalog declares pagerduty_service PCHK001 for a1 and pbil001 (case differs) for b1,
    as Backstage's pagerduty.com/service-id does; no [sources.pd.services] line: the same 5
    incidents as the mapped first sync, and the same single unmapped service."""
    with write_snapshot(warehouse) as con:
        con.execute(
            "UPDATE services SET pagerduty_service = CASE service_id WHEN 'a1' THEN 'PCHK001'"
            " ELSE 'pbil001' END"
        )
    result = run(write_config(tmp_path / "s.toml", fake.url, services="# none"), warehouse)
    assert result.ok, result.error
    assert stored(warehouse) == EXPECTED
    assert result.warnings[0] == UNMAPPED
