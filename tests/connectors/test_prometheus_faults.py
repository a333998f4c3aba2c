"""The Prometheus connector's fault matrix, against a scripted server answering as the HTTP API
documents (``/api/v1/query_range``: ``{"status": "success", "data": {"resultType": "matrix",
"result": [...]}}`` or ``{"status": "error", "errorType": ..., "error": ...}``).

Every fault ends in retry-then-success (the rows land exactly once) or in one clear error line
naming the source, with the warehouse exactly as before and a failed ``sync_runs`` row.
Prometheus does not paginate, so the pagination faults of the matrix (an empty page in the
middle, a repeated page token) belong to the SonarQube tests; a series split over two range
queries is the closest case here and is covered in test_connectors_prometheus.py.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.connector_helpers import assert_one_line_error, sync_source, warehouse_of, write_sources
from tests.servers.scripted import scripted_server
from tests.servers.warehouse import contents, sync_runs

DAY = datetime(2026, 1, 5, tzinfo=UTC)
UNTIL = DAY + timedelta(hours=3)
HOUR1 = (DAY + timedelta(hours=1)).timestamp()


def matrix(value: str = "1", labels: tuple[str, ...] = ()) -> str:
    """A matrix answer: one series, or one per ``le`` label (a cumulative histogram)."""
    result = [{"metric": {"le": le} if le else {}, "values": [[HOUR1, value]]} for le in labels]
    if not labels:
        result = [{"metric": {}, "values": [[HOUR1, value]]}]
    return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}})


def ok_answer(query: str) -> tuple[int, dict[str, str], str]:
    """What a healthy Prometheus answers: one request an hour, all of them under 100 ms."""
    labels = ("0.1", "+Inf") if "_bucket" in query else ()
    return 200, {"Content-Type": "application/json"}, matrix(labels=labels)


# fault name -> (answers for the first requests, then OK; expected error text or None = success)
FAULTS: dict[str, tuple[list[tuple[int, dict[str, str], str] | str], str | None]] = {
    "429 with Retry-After, then success": ([(429, {"Retry-After": "0"}, "slow down")], None),
    "429 without Retry-After, then success": ([(429, {}, "slow down")], None),
    "503, then success": ([(503, {}, "unavailable")], None),
    "502 twice, then success": ([(502, {}, "bad gateway")] * 2, None),
    "500 every time": ([(500, {}, "boom")] * 99, "500"),
    "401": ([(401, {}, '{"status":"error","error":"unauthorized"}')], "401 Unauthorized"),
    "403": ([(403, {}, '{"status":"error","error":"forbidden"}')], "403"),
    "404 (wrong base URL)": ([(404, {}, "404 page not found")], "404"),
    "PromQL error (400 bad_data)": (
        [(400, {}, '{"status":"error","errorType":"bad_data","error":"parse error"}')],
        "bad_data",
    ),
    "truncated JSON": (
        [(200, {"Content-Type": "application/json"}, matrix()[:40])],
        "not a Prometheus answer",
    ),
    "malformed JSON": (
        [(200, {"Content-Type": "application/json"}, "{not json")],
        "not a Prometheus answer",
    ),
    "result of the wrong type": (
        [
            (
                200,
                {},
                json.dumps(
                    {"status": "success", "data": {"resultType": "matrix", "result": {"a": 1}}}
                ),
            )
        ],
        "prom:",
    ),
    "sample value that is not a number": ([(200, {}, matrix("lots"))], "prom:"),
    "status error inside a 200 (undocumented)": (
        [(200, {}, '{"status":"error","errorType":"timeout","error":"query timed out"}')],
        "not a Prometheus answer",
    ),
    "read timeout every time": (["sleep"] * 99, "prom:"),
    "duplicate series for one query": (
        [
            (
                200,
                {},
                matrix().replace(
                    '"result": [',
                    f'"result": [{{"metric": {{"x": "1"}}, "values": [[{HOUR1}, "1"]]}}, ',
                ),
            )
        ],
        "must return one",
    ),
}


def config(path: Path, url: str) -> Path:
    return write_sources(
        path,
        f"""[sources.prom]
type = "prometheus"
url = "{url}"

[[sources.prom.services]]
service_id = "a1"
""",
        max_attempts=3,
        read_timeout=0.5,
    )


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_matrix(tmp_path: Path, fault: str) -> None:
    script, expected = FAULTS[fault]
    answers = list(script)

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        answer = answers.pop(0) if answers else ok_answer(params.get("query", ""))
        if answer == "sleep":
            time.sleep(1.0)  # past read_timeout
            return ok_answer(params.get("query", ""))
        return answer

    db = warehouse_of(tmp_path / "w.duckdb", ("a1", None, '{job="a1"}'))
    before = contents(db)
    with scripted_server(route) as (url, log):
        result = sync_source(config(tmp_path / "s.toml", url), db, since=DAY, until=UNTIL)
    if expected is None:
        assert result.ok, result.error
        assert result.rows == {"service_level_samples": 1}, result.rows  # exactly once
        assert len(log) > 1  # it did retry
    else:
        assert_one_line_error(result, "prom", expected)
        assert contents(db) == before, "a failed source must leave the warehouse as it was"
        assert sync_runs(db)[-1][:2] == ("prom", "failed")


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        (
            '[[sources.prom.services]]\nservice_id = "checkout"\nselector = \'{job="c"}\'\n',
            "prom: every [[sources.prom.services]] entry was skipped (no such service in the "
            "warehouse, or no selector): nothing to sync — declare the services in "
            "config/catalog.toml and apply it",
        ),
        (
            "",
            "prom: [sources.prom]: no service has a prometheus_selector and the source lists no "
            "services entries: nothing to sync — set prometheus_selector for your services",
        ),
    ],
)
def test_a_sync_that_maps_nothing_fails_with_the_fix(
    tmp_path: Path, services: str, expected: str
) -> None:
    """Every mapped service skipped used to end "all ok" with exit 0; now the source fails,
    before any request, and the warehouse is unchanged."""
    db = warehouse_of(tmp_path / "w.duckdb", "a1")  # a1 has no selector
    before = contents(db)
    config = write_sources(
        tmp_path / "sources.toml",
        f'[sources.prom]\ntype = "prometheus"\nurl = "http://127.0.0.1:9"\n{services}',
    )
    result = sync_source(config, db)
    assert result.status == "failed" and result.error is not None
    assert result.error.startswith(expected), result.error
    assert result.requests == 0
    assert contents(db) == before


def test_a_new_service_starts_at_midnight_utc(tmp_path: Path) -> None:
    """Without --since or a cursor, history starts lookback_days back at 00:00 UTC: until
    2026-01-05 03:00 less the 5 settle minutes is 02:55, floored to the hour 02:00; 30 days
    before is 2025-12-06 02:00, whose day starts 2025-12-06 00:00 (before: 02:00, a partial
    first day). A range query is evaluated at the end of each hour, so the first query starts
    at 01:00: the hour 00:00-01:00 (before: 03:00, the hour from 02:00)."""
    db = warehouse_of(tmp_path / "w.duckdb", ("a1", None, '{job="a1"}'))

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        return ok_answer(params.get("query", ""))

    with scripted_server(route) as (url, log):
        result = sync_source(config(tmp_path / "s.toml", url), db, until=UNTIL)
    assert result.ok, result.error
    starts = {float(params["start"]) for _, params in log if "start" in params}
    assert min(starts) == datetime(2025, 12, 6, 1, tzinfo=UTC).timestamp()
