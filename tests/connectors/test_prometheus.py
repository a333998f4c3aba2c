"""Prometheus connector against a REAL Prometheus (and VictoriaMetrics) with a known history.

The history (built by :func:`history`) covers four clock hours, H0 = 2026-01-04 23:00 (warm-up,
never synced) and H1, H2, H3 = 2026-01-05 00:00, 01:00, 02:00. Every series has one sample a
minute at hh:mm:30. A counter grows by a fixed amount m(h) at each sample of hour h, so inside
the window (T − 1 h, T] evaluated at T = end of hour h the samples are T − 3570 s … T − 30 s,
all from hour h: Prometheus sees a rise of 59·m over 3540 s and extrapolates by 30 s at both
ends (both under 1.1 × the 60 s spacing), i.e. increase = 59·m × 3600/3540 = 60·m, exactly.
VictoriaMetrics uses the last sample before the window (T − 3630 s) instead: 60·m again.
Gauges count 60 samples per window in both engines.

Service a1 ({job="a1"}), per minute:

=====  =============  ===========  =============================================  =====  ======
hour   code 200       code 500     latency (non-cumulative, upper bound → count)   up=0   CPU s
=====  =============  ===========  =============================================  =====  ======
H1     50             0            50 ms: 30, 100 ms: 15, 250 ms: 5                none   15
H2     49             1            50 ms: 30, 100 ms: 15, 500 ms: 5                6 min  30
H3     100            0            50 ms: 80, 100 ms: 19, 2.5 s: 1                 none   15
=====  =============  ===========  =============================================  =====  ======

RSS memory is 250, 500, 750 MB in H1..H3 and the sources file sets a 1 GB limit for a1.

So per hour (× 60): requests 3000, 3000, 6000; errors 0, 60, 0; probes 60/60, 60/54, 60/60;
CPU 900 s / 3600 s = 0.25, 0.5, 0.25; memory 0.25, 0.5, 0.75; latency buckets
H1: 50 ms 1800, 100 ms 900, 250 ms 300; H2: 50 ms 1800, 100 ms 900, 500 ms 300;
H3: 50 ms 4800, 100 ms 1140, 2.5 s 60.

Over 2026-01-05 for a1: requests 12 000, errors 60 → error rate 60/12 000 = 0.5 %,
availability 99.5 %. Latency totals: ≤50 ms 8400, (50, 100] 2940, (100, 250] 300,
(250, 500] 300, (1, 2.5 s] 60. P95 rank = 0.95 × 12 000 = 11 400; cumulative 8400, 11 340,
11 640 → the (100, 250] bucket, P95 = 100 + 150 × (11 400 − 11 340)/300 = 130 ms.

Service b1 ({job="b1"}, mapped only in the sources file) exposes extra bounds 7.5 ms and 0.3 s:
20 requests a minute, 10 in (5, 7.5 ms] and 10 in (7.5, 10 ms] → each hour 1200 requests, all
in the 10 ms column (extra bounds ignored), no errors, no up/CPU series (NULL), no memory
limit (memory query skipped → NULL).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.appserver import REPO, free_port
from tests.connector_helpers import (
    cursors,
    sync_source,
    table_rows,
    warehouse_fixture,
    write_sources,
)
from tests.servers.prometheus import (
    Series,
    prometheus_server,
    victoria_metrics_server,
)
from tests.servers.scripted import scripted_server
from tests.servers.warehouse import contents, sync_runs

DAY = datetime(2026, 1, 5, tzinfo=UTC)
H0 = int((DAY - timedelta(hours=1)).timestamp())
BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, math.inf)
A1_LATENCY = [  # per minute, by hour H0..H3: upper bound (s) → count
    {0.05: 30, 0.1: 15, 0.25: 5},
    {0.05: 30, 0.1: 15, 0.25: 5},
    {0.05: 30, 0.1: 15, 0.5: 5},
    {0.05: 80, 0.1: 19, 2.5: 1},
]
B1_BOUNDS = (0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0, math.inf)
B1_LATENCY = [{0.0075: 10, 0.01: 10}] * 4


def _times() -> Iterator[tuple[int, int, int]]:
    """(hour index 0..3, minute, timestamp) of every sample."""
    for hour in range(4):
        for minute in range(60):
            yield hour, minute, H0 + hour * 3600 + minute * 60 + 30


def _counter(family: str, name: str, labels: dict[str, str], per_minute: list[float]) -> Series:
    series, value = Series(family, name, labels, "counter"), 0.0
    for hour, _minute, stamp in _times():
        value += per_minute[hour]
        series.points.append((stamp, value))
    return series


def _gauge(family: str, labels: dict[str, str], value: Any) -> Series:
    series = Series(family, family, labels, "gauge")
    series.points = [(stamp, value(hour, minute)) for hour, minute, stamp in _times()]
    return series


def _histogram(
    job: str, bounds: tuple[float, ...], per_minute: list[dict[float, int]]
) -> list[Series]:
    family = "http_request_duration_seconds"
    out = []
    for bound in bounds:
        le = "+Inf" if math.isinf(bound) else repr(bound)
        increments = [sum(c for b, c in hour.items() if b <= bound) for hour in per_minute]
        out.append(_counter(family, f"{family}_bucket", {"job": job, "le": le}, increments))
    totals = [sum(hour.values()) for hour in per_minute]
    sums = [sum(b * c for b, c in hour.items()) for hour in per_minute]
    out.append(_counter(family, f"{family}_count", {"job": job}, totals))
    out.append(_counter(family, f"{family}_sum", {"job": job}, sums))
    return out


def history() -> list[Series]:
    """The backfilled history of the module docstring, family by family."""
    requests = "http_requests"
    return [
        _counter(requests, f"{requests}_total", {"job": "a1", "code": "200"}, [50, 50, 49, 100]),
        _counter(requests, f"{requests}_total", {"job": "a1", "code": "500"}, [0, 0, 1, 0]),
        _counter(requests, f"{requests}_total", {"job": "b1", "code": "200"}, [20, 20, 20, 20]),
        *_histogram("a1", BOUNDS, A1_LATENCY),
        *_histogram("b1", B1_BOUNDS, B1_LATENCY),
        _gauge("up", {"job": "a1"}, lambda h, m: 0 if h == 2 and m >= 54 else 1),
        _counter(
            "process_cpu_seconds", "process_cpu_seconds_total", {"job": "a1"}, [15, 15, 30, 15]
        ),
        _gauge(
            "process_resident_memory_bytes",
            {"job": "a1"},
            lambda h, m: [250e6, 250e6, 500e6, 750e6][h],
        ),
    ]


def _hour(h: int) -> datetime:
    return DAY + timedelta(hours=h)


def _buckets(**counts: int) -> dict[str, int]:
    names = ("5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "inf")
    return {
        f"latency_le_{n}ms" if n != "inf" else "latency_le_inf": counts.get(f"b{n}", 0)
        for n in names
    }


# service, hour start, requests, errors, probes_total, probes_ok, cpu, memory, buckets
EXPECTED = [
    ("a1", _hour(0), 3000, 0, 60, 60, 0.25, 0.25, _buckets(b50=1800, b100=900, b250=300)),
    ("a1", _hour(1), 3000, 60, 60, 54, 0.5, 0.5, _buckets(b50=1800, b100=900, b500=300)),
    ("a1", _hour(2), 6000, 0, 60, 60, 0.25, 0.75, _buckets(b50=4800, b100=1140, b2500=60)),
    ("b1", _hour(0), 1200, 0, None, None, None, None, _buckets(b10=1200)),
    ("b1", _hour(1), 1200, 0, None, None, None, None, _buckets(b10=1200)),
    ("b1", _hour(2), 1200, 0, None, None, None, None, _buckets(b10=1200)),
]
COLUMNS = ", ".join(_buckets())


def samples(db: Path) -> list[tuple[Any, ...]]:
    return table_rows(
        db,
        "service_level_samples",
        "service_id, bucket_start, requests, errors, probes_total, probes_ok, cpu_utilisation,"
        f" memory_utilisation, bucket_seconds, environment, {COLUMNS}",
        "service_id, bucket_start",
    )


def assert_expected(db: Path, hours: int = 3) -> None:
    rows = samples(db)
    expected = [e for e in EXPECTED if e[1] < _hour(hours)]
    assert len(rows) == len(expected)
    for row, (service, start, req, err, total, ok, cpu, mem, buckets) in zip(
        rows, expected, strict=True
    ):
        assert row[:6] == (service, start, req, err, total, ok), row
        assert row[6] == (None if cpu is None else pytest.approx(cpu, rel=1e-9))
        assert row[7] == (None if mem is None else pytest.approx(mem, rel=1e-9))
        assert row[8:10] == (3600, "production")
        assert list(row[10:]) == list(buckets.values()), row
        assert sum(row[10:]) == req  # the 12 buckets add up to requests


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prometheus_server(tmp_path_factory.mktemp("prometheus"), history()) as url:
        yield url


def write_config(path: Path, url: str, extra: str = "", queries: str = "") -> Path:
    return write_sources(
        path,
        f"""[sources.prom]
type = "prometheus"
url = "{url}"
{extra}

[sources.prom.queries]
{queries}

[[sources.prom.services]]
service_id = "a1"
memory_limit_bytes = 1e9

[[sources.prom.services]]
service_id = "b1"
selector = '{{job="b1"}}'
""",
    )


warehouse = warehouse_fixture(("a1", None, '{job="a1"}'), "b1")
run = sync_source


def test_known_answer_hour_assignment_and_incremental(
    prometheus_url: str, warehouse: Path, tmp_path: Path
) -> None:
    """H1 and H2 first (H3 ends at 03:00, after 02:10 − 5 min), then H3, then nothing."""
    config = write_config(tmp_path / "sources.toml", prometheus_url)
    first = run(config, warehouse, until=_hour(2) + timedelta(minutes=10), since=DAY)
    assert first.ok, first.error
    assert first.rows == {"service_level_samples": 4}
    assert_expected(warehouse, hours=2)

    second = run(config, warehouse, until=_hour(3) + timedelta(minutes=10))
    assert second.ok, second.error
    assert second.rows == {"service_level_samples": 2}
    assert second.requests == 13  # a1: 7 queries, b1: 6 (no memory limit) — one point each
    assert_expected(warehouse, hours=3)

    third = run(config, warehouse, until=_hour(3) + timedelta(minutes=20))
    assert third.ok and third.requests == 0 and third.rows == {}
    assert_expected(warehouse, hours=3)
    assert cursors(warehouse) == [
        ("service_level_samples/a1/production", "2026-01-05T03:00:00+00:00"),
        ("service_level_samples/b1/production", "2026-01-05T03:00:00+00:00"),
    ]
    assert [r[:3] for r in sync_runs(warehouse)] == [
        ("prom", "success", 4),
        ("prom", "success", 2),
        ("prom", "success", 0),
    ]


def test_rerun_and_split_queries_give_the_same_rows(
    prometheus_url: str, warehouse: Path, tmp_path: Path
) -> None:
    """One point per query (max_points_per_query = 1) and a re-run: same rows, no duplicates."""
    config = write_config(
        tmp_path / "sources.toml", prometheus_url, extra="max_points_per_query = 1"
    )
    until = _hour(3) + timedelta(minutes=10)
    result = run(config, warehouse, until=until, since=DAY)
    assert result.ok, result.error
    assert result.requests == 3 * 13  # three one-point chunks per query
    again = run(config, warehouse, until=until, since=DAY)
    assert again.ok
    assert_expected(warehouse, hours=3)


def test_scorecard_shows_the_synced_hours(
    prometheus_url: str, warehouse: Path, tmp_path: Path
) -> None:
    """The metrics CLI reads what the sync wrote: 99.5 % availability, 0.5 % errors, 130 ms."""
    config = write_config(tmp_path / "sources.toml", prometheus_url)
    cli = [sys.executable, "-m", "connectors", "sync", "--config", str(config)]
    cli += ["--db", str(warehouse), "--since", "2026-01-05", "--until", "2026-01-05T03:10"]
    done = subprocess.run([*cli, "--progress", "plain"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "service_level_samples: 6 rows" in done.stderr
    card = subprocess.run(
        [
            sys.executable,
            "-m",
            "metrics",
            "scorecard",
            "--start",
            "2026-01-05",
            "--end",
            "2026-01-05",
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
    values = {row["kpi"]: row["value"] for row in json.loads(card.stdout)}
    assert values["availability"] == pytest.approx(99.5)
    assert values["error_rate"] == pytest.approx(0.5)
    assert values["p95_latency"] == pytest.approx(130.0)


def test_promql_error_leaves_the_warehouse_unchanged(
    prometheus_url: str, warehouse: Path, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "sources.toml",
        prometheus_url,
        queries="errors = 'sum(increase(http_requests_total{$matchers}[$window])'",
    )
    before = contents(warehouse)
    result = run(config, warehouse, until=_hour(3) + timedelta(minutes=10), since=DAY)
    assert not result.ok
    prefix = r"prom: PromQL error in query 'errors' for service (a1|b1) \(production\): bad_data: "
    assert re.match(prefix + r"1:\d+: parse error: unclosed left parenthesis", result.error)
    assert result.error.endswith(
        "— fix queries.errors in [sources.prom] or in the service's entry; "
        "try it in the Prometheus UI first"
    )
    assert "\n" not in result.error
    assert contents(warehouse) == before
    assert sync_runs(warehouse) == [("prom", "failed", 0, result.error)]


def test_unreachable_server_is_one_clear_line(warehouse: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = write_config(tmp_path / "sources.toml", url)
    before = contents(warehouse)
    cli = [sys.executable, "-m", "connectors", "sync", "--config", str(config)]
    done = subprocess.run(
        [*cli, "--db", str(warehouse), "--progress", "none"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"prom: cannot reach {url}/api/v1/query_range")
    assert "connection refused" in lines[0] and f"check url = {url}" in lines[0]
    assert contents(warehouse) == before
    assert sync_runs(warehouse)[0][:2] == ("prom", "failed")


def test_same_known_answer_against_victoria_metrics(warehouse: Path, tmp_path: Path) -> None:
    """Prometheus-compatible engines work unchanged: VictoriaMetrics gives the same rows."""
    with victoria_metrics_server(tmp_path / "vm", history()) as url:
        config = write_config(tmp_path / "sources.toml", url)
        result = run(config, warehouse, until=_hour(3) + timedelta(minutes=10), since=DAY)
    assert result.ok, result.error
    assert_expected(warehouse, hours=3)


def test_headers_auth_and_answer_shape_errors(warehouse: Path, tmp_path: Path) -> None:
    """Against a scripted Prometheus-like API: tenant header sent, 401 and a non-sum query."""
    seen: list[dict[str, str]] = []
    answers = {"status": 200, "result": []}

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        seen.append(headers)
        if answers["status"] != 200:
            return answers["status"], {}, '{"status":"error","error":"unauthorized"}'
        body = {"status": "success", "data": {"resultType": "matrix", "result": answers["result"]}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    with scripted_server(route) as (url, _log):
        config = write_config(tmp_path / "s.toml", url, extra="")
        text = config.read_text().replace(
            "[sources.prom.queries]",
            '[sources.prom.headers]\n"X-Scope-OrgID" = "tenant-1"\n[sources.prom.queries]',
        )
        config.write_text(text)
        empty = run(config, warehouse, until=_hour(3), since=DAY)
        assert empty.ok and empty.rows == {}
        assert sorted(empty.warnings)[0] == (
            "service a1 (production): no query returned data between 2026-01-05T00:00:00+00:00"
            " and 2026-01-05T02:00:00+00:00; check its selector and the metric names"
        )
        assert {h.get("X-Scope-OrgID") for h in seen} == {"tenant-1"}
        series = {"metric": {"instance": "x"}, "values": [[_hour(1).timestamp(), "1"]]}
        answers["result"] = [series, series]
        two = run(config, warehouse, until=_hour(3), since=DAY)
        assert "returned 2 series; it must return one" in (two.error or "")
        answers["status"] = 401
        denied = run(config, warehouse, until=_hour(3), since=DAY)
    assert denied.error == (
        f"prom: 401 Unauthorized from {url}/api/v1/query_range (unauthorized) — the server "
        'wants credentials: set auth = "bearer" (or "basic") and token_env in [sources.prom]'
    )
