"""A tiny warehouse built in code, small enough that every KPI can be computed by hand.

Period under test: 2026-01-01 .. 2026-01-14 (14 days); the previous period is
2025-12-18 .. 2025-12-31. Teams: alpha (services a1, a2) and beta (service b1).
The expected values are derived step by step in tests/metrics/test_scorecard.py.
"""

from __future__ import annotations

from pathlib import Path

from data.warehouse import write_snapshot

TEAMS = [("alpha", "Alpha", None), ("beta", "Beta", None)]
SERVICES = [("a1", "alpha"), ("a2", "alpha"), ("b1", "beta")]

# service, environment, hour (UTC), requests, errors, {bucket: count}
SAMPLES = [
    (
        "a1",
        "production",
        "2026-01-05 10:00",
        1000,
        2,
        {
            "latency_le_50ms": 500,
            "latency_le_100ms": 300,
            "latency_le_250ms": 150,
            "latency_le_500ms": 50,
        },
    ),
    (
        "a2",
        "production",
        "2026-01-06 10:00",
        3000,
        9,
        {
            "latency_le_100ms": 2000,
            "latency_le_250ms": 600,
            "latency_le_500ms": 300,
            "latency_le_1000ms": 100,
        },
    ),
    ("b1", "production", "2026-01-07 10:00", 1000, 20, {"latency_le_25ms": 1000}),
    ("a1", "production", "2025-12-20 10:00", 1000, 1, {"latency_le_100ms": 1000}),
    ("a1", "staging", "2026-01-05 10:00", 500, 100, {"latency_le_inf": 500}),
]

# service, analysed_at, lines_to_cover, uncovered_lines, conditions_to_cover, uncovered_conditions
QUALITY = [
    ("a1", "2025-12-15 00:00", 1000, 300, 200, 100),
    ("a1", "2026-01-03 00:00", 1000, 200, 200, 100),
    ("a1", "2026-01-10 00:00", 1000, 100, 200, 50),
    ("b1", "2026-01-12 00:00", 3000, 900, 0, 0),
    ("a2", "2025-09-01 00:00", 5000, 0, 0, 0),
]

# id, service, environment, finished_at, status, change_type, remediates
DEPLOYMENTS = [
    ("d1", "a1", "production", "2026-01-02 12:00", "success", "planned", None),
    ("d2", "a1", "production", "2026-01-05 12:00", "success", "planned", None),
    ("d3", "a1", "production", "2026-01-05 14:00", "success", "rollback", "d2"),
    ("d4", "a2", "production", "2026-01-08 09:00", "success", "planned", None),
    ("d5", "a2", "production", "2026-01-08 11:00", "success", "hotfix", "d4"),
    ("d6", "b1", "production", "2026-01-10 09:00", "failure", "planned", None),
    ("d7", "b1", "production", "2026-01-11 09:00", "success", "planned", None),
    ("d8", "a1", "staging", "2026-01-04 12:00", "success", "planned", None),
    ("d9", "b1", "production", "2025-12-20 12:00", "success", "planned", None),
]

# id, service, first_commit_at, deployment id
CHANGES = [
    ("c1", "a1", "2026-01-01 10:00", "d1"),
    ("c2", "a1", "2026-01-03 12:00", "d2"),
    ("c3", "a2", "2026-01-07 09:00", "d4"),
    ("c4", "b1", "2026-01-01 09:00", "d7"),
    ("c5", "a1", "2026-01-03 00:00", "d8"),
    ("c6", "b1", "2026-01-02 00:00", "d6"),
]

# id, service, started_at, acknowledged_at, resolved_at, caused_by deployment
INCIDENTS = [
    ("i1", "a1", "2026-01-05 13:00", "2026-01-05 13:10", "2026-01-05 14:30", "d2"),
    ("i2", "b1", "2026-01-09 08:00", "2026-01-09 08:30", "2026-01-09 12:00", None),
    ("i3", "a2", "2026-01-12 00:00", None, None, None),
    ("i4", "a2", "2025-12-22 00:00", "2025-12-22 01:00", "2025-12-22 06:00", None),
]


def build_fixture(path: Path) -> Path:
    """Write the fixture warehouse to ``path`` through the normal writer."""
    with write_snapshot(path, fresh=True) as con:
        con.executemany("INSERT INTO teams (team_id, name, cost_centre) VALUES (?, ?, ?)", TEAMS)
        con.executemany(
            "INSERT INTO services (service_id, team_id, name) VALUES (?, ?, ?)",
            [(s, t, s.upper()) for s, t in SERVICES],
        )
        for service, env, hour, requests, errors, buckets in SAMPLES:
            columns = ", ".join(buckets)
            marks = ", ".join("?" for _ in buckets)
            con.execute(
                "INSERT INTO service_level_samples (service_id, environment, bucket_start,"
                f" bucket_seconds, requests, errors, {columns})"
                f" VALUES (?, ?, ?::TIMESTAMPTZ, 3600, ?, ?, {marks})",
                [service, env, hour, requests, errors, *buckets.values()],
            )
        con.executemany(
            "INSERT INTO quality_snapshots (source, project_key, service_id, analysed_at,"
            " lines_to_cover, uncovered_lines, conditions_to_cover, uncovered_conditions)"
            " VALUES ('fx', ?, ?, ?::TIMESTAMPTZ, ?, ?, ?, ?)",
            [(f"acme_{q[0]}", *q) for q in QUALITY],
        )
        con.executemany(
            "INSERT INTO deployments (source, external_id, service_id, environment, started_at,"
            " finished_at, status, change_type, remediates_external_id)"
            " VALUES ('fx', ?, ?, ?, ?::TIMESTAMPTZ - INTERVAL 10 MINUTE, ?::TIMESTAMPTZ, ?, ?, ?)",
            [(d[0], d[1], d[2], d[3], d[3], d[4], d[5], d[6]) for d in DEPLOYMENTS],
        )
        con.executemany(
            "INSERT INTO changes (source, external_id, service_id, first_commit_at,"
            " deployment_source, deployment_external_id)"
            " VALUES ('fx', ?, ?, ?::TIMESTAMPTZ, 'fx', ?)",
            CHANGES,
        )
        con.executemany(
            "INSERT INTO incidents (source, external_id, service_id, severity, started_at,"
            " acknowledged_at, resolved_at, caused_by_deployment_source,"
            " caused_by_deployment_external_id) VALUES ('fx', ?, ?, 'SEV2', ?::TIMESTAMPTZ,"
            " ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, CASE WHEN ? IS NULL THEN NULL ELSE 'fx' END, ?)",
            [(i[0], i[1], i[2], i[3], i[4], i[5], i[5]) for i in INCIDENTS],
        )
        con.execute(
            "INSERT INTO annotations VALUES ('adopt', '2026-01-06', 'organisation', NULL,"
            " 'adoption', 'CI/CD adopted')"
        )
        con.execute(
            "INSERT INTO sync_runs (run_id, source, stream, started_at, finished_at, status,"
            " rows_written, error) VALUES ('r1', 'fx', 'deployments', '2026-01-15 00:00:00+00',"
            " '2026-01-15 00:05:00+00', 'success', 9, NULL)"
        )
    return path
