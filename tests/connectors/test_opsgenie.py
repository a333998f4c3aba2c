"""Opsgenie (legacy) connector against a local fake of the documented Alert API v2.

The fake is tests/servers/opsgenie.py; it answers in UTC with milliseconds. Alerts (created
given here in +09:00; ``report`` times are milliseconds after ``createdAt``). Services come
from tags ``service:<key>``: ``checkout`` → a1 via ``[sources.og.services]``, ``b1`` is a
warehouse service id already.

======= ================== ====================== ======================================
id      created (+09:00)   tags                   state
======= ================== ====================== ======================================
alert-6 2025-11-20 18:00   service:checkout       open, not acknowledged, P5
alert-1 2026-01-03 10:00   service:checkout, prod closed; ackTime 270000 (4 min 30 s),
                                                  closeTime 4500000 (75 min); P1; message
                                                  "Checkout 502s after deploy 8c1d2e3f"
alert-2 2026-01-05 23:30   service:b1             closed, never acknowledged; closeTime
                                                  2700000 (45 min); P3
alert-3 2026-01-08 09:00   service:checkout       open; created at .250 s, ackTime 90500
        :00.250                                   (90.5 s); P2
alert-4 2026-01-09 12:00   service:legacy-cron    unmapped → skipped
alert-5 2026-01-10 12:00   team:payments          no service tag → skipped
alert-7 2026-01-11 08:00   service:b1             closed; the list has no ``report``, so it is
                                                  fetched by id: ackTime 120000 (2 min),
                                                  closeTime 600000 (10 min); P2; description
                                                  "Rolled back release r-2026.01.10"
======= ================== ====================== ======================================

Hand-computed rows (UTC = +09:00 minus 9 h): alert-1 2026-01-03 01:00 / ack 01:04:30 /
resolved 02:15, SEV1, reference "8c1d2e3f"; alert-2 01-05 14:30 / – / 15:15, SEV3;
alert-3 01-08 00:00:00.250 / 00:01:30.750 / open, SEV2; alert-6 2025-11-20 09:00 / – / open,
SEV4 (P5); alert-7 01-10 23:00 / 23:02 / 23:10, SEV2, reference "r-2026.01.10" (from the
description, which only the by-id answer carries). MTTR: alert-1 75 min, alert-2 45 min,
alert-7 10 min.

First sync (until 2026-01-15 = 1768435200 s, lookback 365 days → 2025-01-15 = 1736899200 s,
page_size 2): one query ``createdAt >= 1736899200000 AND createdAt < 1768435200000``, 7 alerts →
4 pages, plus GET /v2/alerts/alert-7: 5 requests.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from connectors.core.config import load_config
from connectors.sources.oncall.opsgenie import LEGACY_WARNING, OpsgenieConnector
from connectors.sources.oncall.opsgenie_api import GenieKeyAuth
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
from tests.servers.opsgenie import JSON, THROTTLED, Alert, FakeOpsgenie, Fault
from tests.servers.warehouse import contents, query

TOKEN_ENV = "OG_TEST_TOKEN"
UNTIL = datetime(2026, 1, 15, tzinfo=UTC)
TOKYO = timezone(timedelta(hours=9))
MINUTE = timedelta(minutes=1)
FIRST_QUERY = "createdAt >= 1736899200000 AND createdAt < 1768435200000"


def jst(year: int, month: int, day: int, hour: int, minute: int = 0, ms: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, 0, ms * 1000, tzinfo=TOKYO)


def z(
    month: int, day: int, hour: int, minute: int = 0, second: int = 0, ms: int = 0, year: int = 2026
) -> datetime:
    return datetime(year, month, day, hour, minute, second, ms * 1000, tzinfo=UTC)


def alerts() -> list[Alert]:
    return [
        Alert(
            "alert-6", 6, "Old outage", jst(2025, 11, 20, 18), ["service:checkout"], "open", "P5"
        ),
        Alert(
            "alert-1",
            1,
            "Checkout 502s after deploy 8c1d2e3f",
            jst(2026, 1, 3, 10),
            ["service:checkout", "prod"],
            "closed",
            "P1",
            ack_after=timedelta(milliseconds=270_000),
            close_after=timedelta(milliseconds=4_500_000),
            entity="checkout",
        ),
        Alert(
            "alert-2",
            2,
            "b1 queue lag",
            jst(2026, 1, 5, 23, 30),
            ["service:b1"],
            "closed",
            "P3",
            close_after=timedelta(milliseconds=2_700_000),
            entity="b1",
        ),
        Alert(
            "alert-3",
            3,
            "Disk 90% on search",
            jst(2026, 1, 8, 9, 0, ms=250),
            ["service:checkout"],
            "open",
            "P2",
            ack_after=timedelta(milliseconds=90_500),
            entity="checkout",
        ),
        Alert(
            "alert-4",
            4,
            "cron missed",
            jst(2026, 1, 9, 12),
            ["service:legacy-cron"],
            entity="cron-host",
        ),
        Alert("alert-5", 5, "Cert expiring", jst(2026, 1, 10, 12), ["team:payments"]),
        Alert(
            "alert-7",
            7,
            "Payment provider timeouts",
            jst(2026, 1, 11, 8),
            ["service:b1"],
            "closed",
            "P2",
            ack_after=timedelta(milliseconds=120_000),
            close_after=timedelta(milliseconds=600_000),
            entity="b1",
            description="Rolled back release r-2026.01.10",
            report_in_list=False,
        ),
    ]


# id, service, severity, title, started, acknowledged, resolved, deployment_ref, link
EXPECTED = [
    (
        "alert-1",
        "a1",
        "SEV1",
        "Checkout 502s after deploy 8c1d2e3f",
        z(1, 3, 1),
        z(1, 3, 1, 4, 30),
        z(1, 3, 2, 15),
        "8c1d2e3f",
        "reference",
    ),
    (
        "alert-2",
        "b1",
        "SEV3",
        "b1 queue lag",
        z(1, 5, 14, 30),
        None,
        z(1, 5, 15, 15),
        None,
        "window",
    ),
    (
        "alert-3",
        "a1",
        "SEV2",
        "Disk 90% on search",
        z(1, 8, 0, 0, 0, 250),
        z(1, 8, 0, 1, 30, 750),
        None,
        None,
        "window",
    ),
    ("alert-6", "a1", "SEV4", "Old outage", z(11, 20, 9, year=2025), None, None, None, "window"),
    (
        "alert-7",
        "b1",
        "SEV2",
        "Payment provider timeouts",
        z(1, 10, 23),
        z(1, 10, 23, 2),
        z(1, 10, 23, 10),
        "r-2026.01.10",
        "reference",
    ),
]
COLUMNS = (
    "external_id, service_id, severity, title, started_at, acknowledged_at, resolved_at,"
    " deployment_ref, link_method"
)
UNMAPPED = (
    "2 Opsgenie tag values map to no service and were skipped ((no tag:service:), legacy-cron); "
    "map them under [sources.og.services]"
)


def stored(db: Path) -> list[tuple[Any, ...]]:
    return table_rows(db, "incidents", COLUMNS)


def cursors(db: Path) -> dict[str, str]:
    return dict(cursor_rows(db, "og"))


fake = fake_fixture(lambda: FakeOpsgenie(alerts()))
token = token_fixture(TOKEN_ENV, "og-key")
warehouse = warehouse_fixture("a1", "b1")


def write_config(
    path: Path, url: str, extra: str = "", services: str = '"checkout" = "a1"'
) -> Path:
    return write_sources(
        path,
        f"""[sources.og]
type = "opsgenie"
url = "{url}"
auth = "bearer"
token_env = "{TOKEN_ENV}"
page_size = 2
{extra}

[sources.og.services]
{services}
""",
    )


@pytest.fixture(scope="module")
def first_synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse after one successful sync of the fixture (copied by the tests that need it)."""
    folder = tmp_path_factory.mktemp("og-synced")
    db = warehouse_of(folder / "w.duckdb", "a1", "b1")
    with token_set(TOKEN_ENV, "og-key"), FakeOpsgenie(alerts()).running() as server:
        assert run(write_config(folder / "s.toml", server.url), db).ok
    assert stored(db) == EXPECTED
    return db


run = partial(sync_source, until=UNTIL)


def listing(fake: FakeOpsgenie) -> list[tuple[str, str]]:
    return [(r.params["query"], r.params["offset"]) for r in fake.requests("/v2/alerts")]


def test_first_sync_pages_maps_and_converts(
    fake: FakeOpsgenie, warehouse: Path, tmp_path: Path
) -> None:
    result = run(write_config(tmp_path / "s.toml", fake.url), warehouse)
    assert result.ok, result.error
    assert stored(warehouse) == EXPECTED
    assert result.rows == {"incidents": 5}
    assert result.requests == 5
    assert listing(fake) == [
        (FIRST_QUERY, "0"),
        (FIRST_QUERY, "2"),
        (FIRST_QUERY, "4"),
        (FIRST_QUERY, "6"),
    ]
    first = fake.requests("/v2/alerts")[0]
    assert first.params == {
        "query": FIRST_QUERY,
        "offset": "0",
        "limit": "2",
        "sort": "createdAt",
        "order": "asc",
    }
    assert first.headers["Authorization"] == "GenieKey og-key"
    assert [r.path for r in fake.requests() if r.path != "/v2/alerts"] == ["/v2/alerts/alert-7"]
    assert result.warnings == [
        LEGACY_WARNING,
        UNMAPPED,
        "2 incident(s) name a deployment that is not in the warehouse (og/alert-1 names "
        "'8c1d2e3f'; og/alert-7 names 'r-2026.01.10'); they stay unlinked until it is synced",
    ]
    assert "2027-04-05" in LEGACY_WARNING and "Jira Service Management" in LEGACY_WARNING
    assert cursors(warehouse) == {
        "incidents": "2026-01-15T00:00:00Z",
        "incidents/open": "alert-3 alert-6",
    }
    assert resolution_seconds(warehouse) == [
        ("alert-1", 4500.0),
        ("alert-2", 2700.0),
        ("alert-7", 600.0),
    ]


def test_incremental_resync_rereads_recent_and_open_alerts_only(
    fake: FakeOpsgenie, warehouse: Path, tmp_path: Path
) -> None:
    """After the first sync: alert-6 closes 2026-01-16 00:00Z (56 days 15 h = 4,892,400,000 ms
    after 2025-11-20 09:00Z); alert-3 closes 2 h after creation (01-08 02:00:00.250Z); alert-8
    (service:b1, P4) is new, created 01-16 10:00+09:00 = 01:00Z, open.

    Second sync until 2026-01-20 (1768867200 s): one query from the cursor 01-15 minus
    reopen_days 14 = 01-01 (1767225600 s): alerts 1, 2, 3, 4, 5, 7, 8 in 4 pages; alert-6 is
    fetched by id (open at the last run), alert-7 again for its report: 6 requests."""
    config = write_config(tmp_path / "s.toml", fake.url)
    assert run(config, warehouse).ok
    fake.alerts["alert-6"].status = "closed"
    fake.alerts["alert-6"].close_after = timedelta(milliseconds=4_892_400_000)
    fake.alerts["alert-3"].status = "closed"
    fake.alerts["alert-3"].close_after = timedelta(hours=2)
    fake.alerts["alert-8"] = Alert(
        "alert-8", 8, "b1 slow", jst(2026, 1, 16, 10), ["service:b1"], "open", "P4"
    )
    fake.reset_log()
    second = run(config, warehouse, until=datetime(2026, 1, 20, tzinfo=UTC))
    assert second.ok, second.error
    recent = "createdAt >= 1767225600000 AND createdAt < 1768867200000"
    assert listing(fake) == [(recent, "0"), (recent, "2"), (recent, "4"), (recent, "6")]
    assert sorted(r.path for r in fake.requests() if r.path != "/v2/alerts") == [
        "/v2/alerts/alert-6",
        "/v2/alerts/alert-7",
    ]
    assert second.requests == 6 and second.rows == {"incidents": 6}
    rows = stored(warehouse)
    assert len(rows) == 6 and len({r[0] for r in rows}) == 6  # no duplicates
    assert rows[:2] == EXPECTED[:2] and rows[4] == EXPECTED[4]
    assert rows[2][4:7] == (z(1, 8, 0, 0, 0, 250), z(1, 8, 0, 1, 30, 750), z(1, 8, 2, 0, 0, 250))
    assert rows[3][4:7] == (z(11, 20, 9, year=2025), None, z(1, 16, 0))
    assert rows[5] == ("alert-8", "b1", "SEV4", "b1 slow", z(1, 16, 1), None, None, None, "window")
    assert cursors(warehouse) == {"incidents": "2026-01-20T00:00:00Z", "incidents/open": "alert-8"}


def test_past_the_offset_cap_the_query_moves_on_by_created_at(
    warehouse: Path, tmp_path: Path
) -> None:
    """With offset + limit capped at 4 and pages of 2, the first query reads alert-6, 1, 2, 3,
    then starts again from alert-3's createdAt (2026-01-08 00:00:00.250Z = 1767830400250 ms,
    inclusive): alert-3 again, 4, 5, 7. Each alert is stored once."""
    with FakeOpsgenie(alerts(), max_offset=4).running() as server:
        result = run(write_config(tmp_path / "s.toml", server.url, "max_offset = 4"), warehouse)
        assert result.ok, result.error
        moved = "createdAt >= 1767830400250 AND createdAt < 1768435200000"
        assert listing(server) == [
            (FIRST_QUERY, "0"),
            (FIRST_QUERY, "2"),
            (moved, "0"),
            (moved, "2"),
        ]
    assert stored(warehouse) == EXPECTED


def test_a_throttled_answer_waits_for_its_period(
    fake: FakeOpsgenie, warehouse: Path, tmp_path: Path
) -> None:
    """Opsgenie's 429 has no Retry-After but X-RateLimit-Period-In-Sec: 60 → one 60 s wait."""
    busy = '{"message": "You are making too many requests!", "took": 0.0, "requestId": "r-1"}'
    fake.fail("/v2/alerts", Fault(429, busy, THROTTLED))
    sleeps = Sleeps()
    result = run(write_config(tmp_path / "s.toml", fake.url), warehouse, sleep=sleeps)
    assert_waited(result, sleeps, 1, retries=1)
    assert sleeps == [60.0]
    assert stored(warehouse) == EXPECTED


def test_entity_as_service_field_fetches_every_alert(
    fake: FakeOpsgenie, warehouse: Path, tmp_path: Path
) -> None:
    """Entities: checkout (alerts 1, 3), b1 (2, 7), cron-host (4), none (5, 6). The list has no
    entity, so all 7 alerts are fetched by id (4 + 7 = 11 requests); alert-6 now maps to
    nothing."""
    config = write_config(tmp_path / "s.toml", fake.url, 'service_field = "entity"')
    result = run(config, warehouse)
    assert result.ok, result.error
    assert result.requests == 11
    assert stored(warehouse) == [r for r in EXPECTED if r[0] != "alert-6"]
    assert (
        "2 Opsgenie entity values map to no service and were skipped ((no entity), cron-host); "
        "map them under [sources.og.services]" in result.warnings
    )


def test_query_option_is_added_to_the_search(
    fake: FakeOpsgenie, warehouse: Path, tmp_path: Path
) -> None:
    result = run(write_config(tmp_path / "s.toml", fake.url, 'query = "priority: P1"'), warehouse)
    assert result.ok, result.error
    assert listing(fake) == [(FIRST_QUERY + " AND (priority: P1)", "0")]
    assert stored(warehouse) == [EXPECTED[0]]


INTERNAL = '{"message": "Internal Server Error", "took": 0.0, "requestId": "r"}'
ELSEWHERE = '{"data": [], "paging": {"next": "https://evil.example/v2/alerts?offset=2&limit=2"}}'
FAILURES = {
    "401": (
        token_changed(TOKEN_ENV, "wrong-key"),
        "",
        "og: 401 Unauthorized from {url}/v2/alerts (Could not authenticate) — the API key in "
        "$OG_TEST_TOKEN is missing or wrong (or belongs to the other region: EU accounts need "
        'region = "eu"); create an API key with read access and export it',
    ),
    "403": (
        lambda fake, env: setattr(fake, "forbidden_keys", {"og-key"}),
        "",
        "og: 403 Forbidden from {url}/v2/alerts (You are not authorized for this operation) — "
        "the API key may not read alerts; give it the Read access right (API key management) "
        "or use an API integration key",
    ),
    "404": (
        lambda fake, env: None,
        "/opsgenie",
        "og: 404 Not Found from {url}/opsgenie/v2/alerts (Could not find the requested "
        "resource) — check url = {url}/opsgenie in [sources.og]: it must be the REST API "
        "(https://api.opsgenie.com or https://api.eu.opsgenie.com)",
    ),
    "500": (
        failing("/v2/alerts", Fault(500, INTERNAL, JSON), times=5),
        "",
        "og: 500 Internal Server Error from {url}/v2/alerts (Internal Server Error) after 2 "
        "attempts — Opsgenie failed; check https://opsgenie.status.atlassian.com and retry",
    ),
    "502 on the by-id fetch": (
        failing("/v2/alerts/alert-7", Fault(502, "<html>bad</html>"), times=5),
        "",
        "og: 502 Bad Gateway from {url}/v2/alerts/alert-7 after 2 attempts — Opsgenie failed; "
        "check https://opsgenie.status.atlassian.com and retry",
    ),
    "malformed JSON": (
        failing("/v2/alerts", Fault(200, '{"data": [', JSON)),
        "",
        "og: unexpected answer from {url}/v2/alerts: malformed JSON (application/json, 10 bytes) "
        "— check that the url points at the right API (not a proxy or login page) and retry",
    ),
    "data missing": (
        failing("/v2/alerts", Fault(200, '{"took": 0.1}', JSON)),
        "",
        "og: unexpected answer from {url}/v2/alerts: expected data to be a list — check that "
        "the url points at the right API (not a proxy or login page) and retry",
    ),
    "a next page on another host": (
        failing("/v2/alerts", Fault(200, ELSEWHERE, JSON)),
        "",
        "og: {url}/v2/alerts sent a next page on another host (evil.example); the API key is "
        "not sent there — check url and region in the sources file",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_one_line_and_leave_the_warehouse_unchanged(
    case: str,
    fake: FakeOpsgenie,
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
    assert_failed(result, warehouse, before, "og", expected.format(url=fake.url))


def test_regions_auth_and_web_urls(fake: FakeOpsgenie, warehouse: Path, tmp_path: Path) -> None:
    assert repr(GenieKeyAuth("og-secret")) == "GenieKeyAuth(***)"
    eu = load_config(write_config(tmp_path / "eu.toml", "", 'region = "eu"')).sources[0]
    assert OpsgenieConnector(eu).url == "https://api.eu.opsgenie.com"
    us = load_config(write_config(tmp_path / "us.toml", "")).sources[0]
    assert OpsgenieConnector(us).url == "https://api.opsgenie.com"
    config = write_config(
        tmp_path / "s.toml", fake.url, 'web_url = "https://acme.app.opsgenie.com"'
    )
    assert run(config, warehouse).ok
    urls = query(warehouse, "SELECT url FROM incidents WHERE external_id = 'alert-1'")
    assert urls == [("https://acme.app.opsgenie.com/alert/detail/alert-1/details",)]


CONFIG_ERRORS = {
    'service_field = "team"': "og: [sources.og]: service_field = 'team' — use \"tag:<prefix>\" "
    '(e.g. "tag:service:"), "entity", "alias", "source", "owner" or "details:<key>"',
    'region = "apac"': "og: [sources.og] region = 'apac' — use one of us, eu",
    "max_offset = 3": "og: [sources.og]: max_offset must be at least twice page_size — raise "
    "max_offset",
}


@pytest.mark.parametrize("extra", list(CONFIG_ERRORS))
def test_invalid_options_are_one_line(extra: str, warehouse: Path, tmp_path: Path) -> None:
    result = run(write_config(tmp_path / "s.toml", "http://127.0.0.1:9", extra), warehouse)
    assert result.error == CONFIG_ERRORS[extra]
