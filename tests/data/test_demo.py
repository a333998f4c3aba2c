"""The demo organisation: deterministic, well-formed, and telling the story the app shows.

Every figure is computed here with plain SQL against the built warehouse (no metrics module),
so a generator change that breaks the story fails here first.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from data import demo

END = dt.date(2026, 11, 25)
E = dt.datetime.combine(END, dt.time(), dt.UTC)
A = E - dt.timedelta(days=330)
BEFORE = (A - dt.timedelta(days=180), A)  # the 180 days before adoption
AFTER = (E - dt.timedelta(days=180), E)  # the last 180 days
DATA_TABLES = [t for t in demo.TABLES if not t.startswith("sync_")]
# Every timestamp/date column that records something that already happened.
PAST_COLUMNS = {
    "deployments": ["started_at", "finished_at"],
    "changes": ["first_commit_at", "opened_at", "merged_at"],
    "incidents": ["started_at", "acknowledged_at", "resolved_at"],
    "service_level_samples": ["bucket_start"],
    "quality_snapshots": ["analysed_at"],
    "investments": ["spent_on"],
    "annotations": ["occurred_on"],
    "actions": ["created_at", "closed_at"],
}
BUCKETS = ", ".join(
    f"sum(latency_le_{b})"
    for b in [
        "5ms",
        "10ms",
        "25ms",
        "50ms",
        "100ms",
        "250ms",
        "500ms",
        "1000ms",
        "2500ms",
        "5000ms",
        "10000ms",
        "inf",
    ]
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    return path, demo.build(path, "demo", seed=42, end=END)


@pytest.fixture(scope="module")
def con(built):
    connection = duckdb.connect(str(built[0]), read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


def one(con, sql: str, **params):
    return con.execute(sql, params).fetchall()[0]


def fingerprint(path: Path, table: str) -> str:
    """md5 over a canonical, sorted text rendering of every row of ``table``."""
    with duckdb.connect(str(path), read_only=True) as c:
        c.execute("SET TimeZone = 'UTC'")
        return c.execute(
            f"SELECT md5(coalesce(string_agg(r, chr(10) ORDER BY r), '')) "
            f"FROM (SELECT CAST(t AS VARCHAR) AS r FROM {table} t)"
        ).fetchall()[0][0]


# --- determinism ---------------------------------------------------------------------------


def test_same_inputs_give_identical_tables(built, tmp_path):
    again = tmp_path / "again.duckdb"
    assert demo.build(again, "demo", seed=42, end=END) == built[1]
    for table in demo.TABLES:
        assert fingerprint(again, table) == fingerprint(built[0], table), table


def test_another_seed_gives_other_deployments(built, tmp_path):
    other = tmp_path / "other.duckdb"
    demo.build(other, "demo", seed=7, end=END)
    assert fingerprint(other, "deployments") != fingerprint(built[0], "deployments")


# --- shape ---------------------------------------------------------------------------------


def test_every_table_is_filled(built, con):
    counts = built[1]
    assert set(counts) == set(demo.TABLES)
    for table in demo.TABLES:
        assert counts[table] > 0, table
        assert one(con, f"SELECT count(*) FROM {table}")[0] == counts[table]
    assert counts["teams"] == 4 and counts["services"] == 16
    assert counts["service_level_samples"] == 16 * 730 * 24


def test_nothing_at_or_after_end(con):
    for table, columns in PAST_COLUMNS.items():
        for column in columns:
            late = one(con, f"SELECT count(*) FROM {table} WHERE {column} >= $e", e=E)[0]
            assert late == 0, f"{table}.{column}"
    start = E - dt.timedelta(days=730)
    assert one(con, "SELECT min(bucket_start) FROM service_level_samples")[0] == start


def test_sources_and_handles(con):
    for table in ["deployments", "changes", "incidents", "quality_snapshots", "investments"]:
        assert one(con, f"SELECT count(*) FROM {table} WHERE source <> 'demo'")[0] == 0
    bad = one(
        con,
        """SELECT count(*) FROM services WHERE repo_url <> 'https://github.com/acme/' || service_id
           OR sonar_project_key <> 'acme_' || service_id
           OR prometheus_selector <> '{job="' || service_id || '"}'""",
    )[0]
    assert bad == 0
    assert (
        one(
            con,
            "SELECT count(*) FROM deployments WHERE NOT regexp_full_match(commit_sha, "
            "'[0-9a-f]{40}')",
        )[0]
        == 0
    )
    orphans = one(
        con,
        """SELECT count(*) FROM quality_snapshots q JOIN services s USING (service_id)
           WHERE q.project_key <> s.sonar_project_key""",
    )[0]
    assert orphans == 0


def test_latency_buckets_sum_to_requests(con):
    columns = [c for c in BUCKETS.split(", ")]
    total = " + ".join(c[4:-1] for c in columns)
    assert one(con, f"SELECT count(*) FROM service_level_samples WHERE {total} <> requests")[0] == 0


def test_values_in_range(con):
    bad_samples = one(
        con,
        """SELECT count(*) FROM service_level_samples
           WHERE errors < 0 OR errors > requests OR probes_ok < 0 OR probes_ok > probes_total
              OR cpu_utilisation NOT BETWEEN 0 AND 1 OR memory_utilisation NOT BETWEEN 0 AND 1
              OR bucket_seconds <> 3600 OR environment <> 'production'
              OR least(latency_le_5ms, latency_le_10ms, latency_le_25ms, latency_le_50ms,
                       latency_le_100ms, latency_le_250ms, latency_le_500ms, latency_le_1000ms,
                       latency_le_2500ms, latency_le_5000ms, latency_le_10000ms,
                       latency_le_inf) < 0""",
    )[0]
    assert bad_samples == 0
    bad_quality = one(
        con,
        """SELECT count(*) FROM quality_snapshots
           WHERE uncovered_lines NOT BETWEEN 0 AND lines_to_cover
              OR uncovered_conditions NOT BETWEEN 0 AND conditions_to_cover
              OR new_uncovered_lines NOT BETWEEN 0 AND new_lines_to_cover
              OR lines_to_cover NOT BETWEEN 3000 AND 70000
              OR duplicated_lines_density NOT BETWEEN 0 AND 100
              OR least(technical_debt_minutes, bugs, vulnerabilities, code_smells) < 0
              OR quality_gate_status NOT IN ('OK', 'ERROR')""",
    )[0]
    assert bad_quality == 0
    weekly = one(
        con,
        """SELECT min(n), max(n) FROM (SELECT count(*) n FROM quality_snapshots
           GROUP BY service_id, floor(epoch(analysed_at) / (7 * 86400)))""",
    )
    assert weekly == (1, 1)
    assert (
        one(con, "SELECT count(*) FROM investments WHERE amount <= 0 OR currency <> 'EUR'")[0] == 0
    )


# --- delivery events are consistent --------------------------------------------------------


def test_every_production_deployment_is_staged_first(con):
    unstaged = one(
        con,
        """SELECT count(*) FROM deployments p WHERE p.environment = 'production' AND NOT EXISTS (
             SELECT 1 FROM deployments s WHERE s.environment = 'staging' AND s.status = 'success'
               AND s.service_id = p.service_id AND s.commit_sha = p.commit_sha
               AND s.finished_at <= p.started_at)""",
    )[0]
    assert unstaged == 0
    durations = one(
        con,
        """SELECT min(finished_at - started_at), max(finished_at - started_at) FROM deployments
           WHERE change_type = 'planned' AND status = 'success'""",
    )
    assert dt.timedelta(minutes=3) <= durations[0] <= durations[1] <= dt.timedelta(minutes=15)
    assert one(
        con,
        "SELECT avg((status = 'failure')::INT) FROM deployments WHERE environment = 'production'",
    )[0] == pytest.approx(0.03, abs=0.01)


def test_changes_ship_with_their_production_deployment(con):
    per_deploy = one(
        con,
        """SELECT min(n), max(n), count(*) FROM (
             SELECT d.external_id, count(c.external_id) n FROM deployments d
             LEFT JOIN changes c ON c.deployment_external_id = d.external_id
             WHERE d.environment = 'production' AND d.status = 'success' GROUP BY 1)""",
    )
    assert per_deploy[:2] == (1, 5)
    misplaced = one(
        con,
        """SELECT count(*) FROM changes c JOIN deployments d
             ON d.source = c.deployment_source AND d.external_id = c.deployment_external_id
           WHERE d.environment <> 'production' OR d.status <> 'success'
              OR d.service_id <> c.service_id
              OR NOT (c.first_commit_at < c.opened_at AND c.opened_at < c.merged_at
                      AND c.merged_at < d.started_at)""",
    )[0]
    assert misplaced == 0
    merged_after_staging = one(
        con,
        """SELECT count(*) FROM changes c JOIN deployments d
             ON d.source = c.deployment_source AND d.external_id = c.deployment_external_id
           JOIN deployments s ON s.environment = 'staging' AND s.status = 'success'
             AND s.service_id = d.service_id AND s.commit_sha = d.commit_sha
           WHERE c.merged_at >= s.started_at""",
    )[0]
    assert merged_after_staging == 0
    pending = one(
        con,
        """SELECT count(*), min(merged_at) FROM changes
           WHERE deployment_external_id IS NULL""",
    )
    assert 0 < pending[0] <= 32 and pending[1] >= E - dt.timedelta(days=10)


def test_failed_changes_get_incidents_and_remediations(con):
    bad_links = one(
        con,
        """SELECT count(*) FROM incidents i LEFT JOIN deployments d
             ON d.external_id = i.caused_by_deployment_external_id
           WHERE i.caused_by_deployment_external_id IS NOT NULL AND (d.external_id IS NULL
              OR d.environment <> 'production' OR d.status <> 'success'
              OR i.started_at <= d.finished_at)""",
    )[0]
    assert bad_links == 0
    fixes = one(
        con,
        """SELECT count(*), count(*) FILTER (WHERE r.started_at > i.started_at
                                              AND r.finished_at <= i.resolved_at)
           FROM deployments r JOIN incidents i
             ON i.caused_by_deployment_external_id = r.remediates_external_id
           WHERE r.environment = 'production'""",
    )
    caused = one(con, "SELECT count(*) FROM incidents WHERE caused_by_deployment_source = 'demo'")
    fixes_started_before_ack = one(
        con,
        """SELECT count(*) FROM changes c JOIN deployments r
             ON r.external_id = c.deployment_external_id
           JOIN incidents i ON i.caused_by_deployment_external_id = r.remediates_external_id
           WHERE c.first_commit_at < i.acknowledged_at""",
    )[0]
    assert fixes_started_before_ack == 0
    assert fixes[0] == fixes[1] and fixes[0] > 0.6 * caused[0]
    kinds = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT change_type FROM deployments WHERE remediates_external_id IS NOT NULL"
        ).fetchall()
    }
    assert kinds == {"hotfix", "rollback"}


def test_incidents_are_well_formed(con):
    bad = one(
        con,
        """SELECT count(*) FROM incidents WHERE severity NOT IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')
              OR acknowledged_at < started_at OR resolved_at < acknowledged_at
              OR url <> 'https://acme.pagerduty.com/incidents/' || external_id""",
    )[0]
    assert bad == 0
    unresolved = one(
        con, "SELECT count(*), min(started_at) FROM incidents WHERE resolved_at IS NULL"
    )
    assert unresolved[0] <= 10
    assert unresolved[0] == 0 or unresolved[1] >= E - dt.timedelta(days=5)
    per_quarter = one(
        con,
        """SELECT count(*) / 16 / 8 FROM incidents
           WHERE caused_by_deployment_external_id IS NULL""",
    )[0]
    assert 2 <= per_quarter <= 4


# --- the story -----------------------------------------------------------------------------


def test_deployment_frequency_rises(con):
    def per_week(window):
        return one(
            con,
            """SELECT count(*) / 16 / (180 / 7) FROM deployments WHERE environment = 'production'
               AND change_type = 'planned' AND started_at >= $lo AND started_at < $hi""",
            lo=window[0],
            hi=window[1],
        )[0]

    assert per_week(BEFORE) == pytest.approx(2, rel=0.25)
    assert per_week(AFTER) == pytest.approx(5, rel=0.2)


def test_lead_time_falls_by_forty_percent(con):
    before, after = one(
        con,
        """SELECT median(d.finished_at - c.first_commit_at) FILTER (WHERE d.finished_at >= $b0
                                                                    AND d.finished_at < $b1),
                  median(d.finished_at - c.first_commit_at) FILTER (WHERE d.finished_at >= $a0)
           FROM changes c JOIN deployments d
             ON d.source = c.deployment_source AND d.external_id = c.deployment_external_id""",
        b0=BEFORE[0],
        b1=BEFORE[1],
        a0=AFTER[0],
    )
    assert 0.55 <= after / before <= 0.65
    assert dt.timedelta(days=4) <= before <= dt.timedelta(days=6)


def test_time_to_restore_falls(con):
    def medians(window):
        return one(
            con,
            """SELECT median(resolved_at - started_at), median(acknowledged_at - started_at)
               FROM incidents WHERE started_at >= $lo AND started_at < $hi""",
            lo=window[0],
            hi=window[1],
        )

    resolve, ack = medians(BEFORE)
    assert dt.timedelta(hours=3.5) <= resolve <= dt.timedelta(hours=4.5)
    assert dt.timedelta(minutes=15) <= ack <= dt.timedelta(minutes=25)
    resolve, ack = medians(AFTER)
    assert dt.timedelta(minutes=25) <= resolve <= dt.timedelta(minutes=35)
    assert dt.timedelta(minutes=3) <= ack <= dt.timedelta(minutes=7)


def test_change_failure_rate_falls(con):
    def rate(window):
        return one(
            con,
            """SELECT avg((EXISTS (SELECT 1 FROM incidents i
                                   WHERE i.caused_by_deployment_external_id = d.external_id)
                           OR EXISTS (SELECT 1 FROM deployments r
                                      WHERE r.remediates_external_id = d.external_id))::INT)
               FROM deployments d WHERE d.environment = 'production' AND d.status = 'success'
                 AND d.finished_at >= $lo AND d.finished_at < $hi""",
            lo=window[0],
            hi=window[1],
        )[0]

    assert rate(BEFORE) == pytest.approx(0.18, abs=0.025)
    assert rate(AFTER) == pytest.approx(0.08, abs=0.015)


def test_exactly_one_service_breaches_availability(con):
    rows = con.execute(
        """SELECT service_id, 1 - sum(errors) / sum(requests) AS availability
           FROM service_level_samples WHERE bucket_start >= $e - INTERVAL 90 DAY
           GROUP BY service_id HAVING availability < 0.995""",
        {"e": E},
    ).fetchall()
    assert [r[0] for r in rows] == ["legacy-billing"]
    assert rows[0][1] == pytest.approx(0.992, abs=0.001)


def test_exactly_one_service_breaches_p95_latency(con):
    rows = con.execute(
        f"""SELECT service_id, histogram_quantile(0.95, [{BUCKETS}], latency_bounds_ms()) AS p95
            FROM service_level_samples WHERE bucket_start >= $e - INTERVAL 90 DAY
            GROUP BY service_id ORDER BY p95 DESC""",
        {"e": E},
    ).fetchall()
    breaching = [(s, p) for s, p in rows if p > 500]
    assert [s for s, _ in breaching] == ["search-api"]
    assert 650 <= breaching[0][1] <= 800
    assert all(100 <= p <= 350 for _, p in rows[1:])


def test_coverage_climbs_toward_target(con):
    latest, first = one(
        con,
        """WITH ranked AS (
             SELECT *, row_number() OVER (PARTITION BY service_id ORDER BY analysed_at DESC) AS l,
                       row_number() OVER (PARTITION BY service_id ORDER BY analysed_at) AS f
             FROM quality_snapshots)
           SELECT sum(lines_to_cover - uncovered_lines + conditions_to_cover
                      - uncovered_conditions) FILTER (WHERE l = 1)
                  / sum(lines_to_cover + conditions_to_cover) FILTER (WHERE l = 1),
                  sum(lines_to_cover - uncovered_lines + conditions_to_cover
                      - uncovered_conditions) FILTER (WHERE f = 1)
                  / sum(lines_to_cover + conditions_to_cover) FILTER (WHERE f = 1)
           FROM ranked""",
    )
    assert 0.76 <= latest <= 0.795
    assert latest - first >= 0.15


def test_story_markers(con):
    adoption = one(
        con,
        "SELECT occurred_on, scope FROM annotations"
        " WHERE kind = 'adoption' AND text ILIKE '%GitOps%'",
    )
    assert adoption == (END - dt.timedelta(days=330), "organisation")
    assert 4 <= one(con, "SELECT count(*) FROM annotations")[0] <= 6
    around = one(
        con,
        """SELECT sum(amount) FILTER (WHERE spent_on BETWEEN $a - 45 AND $a + 45),
                  sum(amount) FILTER (WHERE spent_on BETWEEN $a - 180 AND $a - 90)
           FROM investments WHERE category IN ('platform', 'tooling', 'consulting')""",
        a=A.date(),
    )
    assert around[0] > 2 * around[1]
    actions = one(
        con,
        """SELECT count(*), count(DISTINCT quarter), count(*) FILTER (WHERE status = 'closed'
                  AND closed_at IS NOT NULL), count(*) FILTER (WHERE owner_team NOT IN
                  (SELECT team_id FROM teams)) FROM actions""",
    )
    assert 6 <= actions[0] <= 10 and actions[1] <= 4 and actions[2] > 0 and actions[3] == 0


def test_sync_bookkeeping(con, built):
    runs = con.execute(
        "SELECT stream, status, rows_written, finished_at FROM sync_runs ORDER BY stream"
    ).fetchall()
    assert {r[0] for r in runs} == set(demo.STREAMS)
    for stream, status, written, finished in runs:
        assert status == "success" and written == built[1][stream]
        assert E < finished < E + dt.timedelta(minutes=30)
    newest = one(
        con, "SELECT cursor_value FROM sync_cursors WHERE stream = 'service_level_samples'"
    )
    assert newest[0] == (E - dt.timedelta(hours=1)).isoformat()


# --- the command line ----------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-m", "data.demo", *args], cwd=root, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "nope"], "invalid choice: 'nope'"),
        (["--end", "2026-13-01"], "'2026-13-01' is not a valid date"),
        (["--seed", "-3"], "not a non-negative integer"),
    ],
)
def test_cli_rejects_bad_arguments(args, message, tmp_path):
    result = run_cli(*args, "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_cli_builds_and_summarises(tmp_path):
    path = tmp_path / "cli.duckdb"
    result = run_cli("--end", "2026-11-25", "--seed", "3", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert "service_level_samples" in result.stdout and "280,320" in result.stdout
    assert path.exists()


# --- a CNY organisation --------------------------------------------------------------------


def test_the_cny_demo_books_the_same_ledger_at_eight_yuan_a_euro(built, tmp_path):
    """`--currency CNY` books every entry at the demo's fixed 8 CNY per EUR, exactly (the
    amounts are decimals), and with config/roi.cny.toml (every money setting × 8) the ROI
    ratios are the EUR demo's: the model is linear in money."""
    import dataclasses

    from metrics.core.filters import Filters
    from metrics.reports.roi import DEFAULT_CONFIG, load_assumptions, roi_report

    cny = tmp_path / "cny.duckdb"
    demo.build(cny, "demo", seed=42, end=END, currency="CNY")
    ledger = "SELECT currency, count(*), sum(amount) FROM investments GROUP BY currency"
    with duckdb.connect(str(built[0]), read_only=True) as c:
        [(eur_code, eur_rows, eur_sum)] = c.execute(ledger).fetchall()
    with duckdb.connect(str(cny), read_only=True) as c:
        [(cny_code, cny_rows, cny_sum)] = c.execute(ledger).fetchall()
    assert (eur_code, cny_code) == ("EUR", "CNY")
    assert cny_rows == eur_rows and cny_sum == 8 * eur_sum

    euro = load_assumptions(DEFAULT_CONFIG)
    yuan = load_assumptions(DEFAULT_CONFIG.with_name("roi.cny.toml"))
    money = {"average_salary", "annual_revenue", "cost_per_downtime_hour"}
    for field in dataclasses.fields(euro):
        mine, theirs = getattr(yuan, field.name), getattr(euro, field.name)
        if field.name == "currency":
            assert (mine, theirs) == ("CNY", "EUR")
        elif field.name in money:
            assert mine == 8 * theirs, field.name
        else:
            assert mine == theirs, field.name
    filters = Filters(start=END - dt.timedelta(days=365), end=END - dt.timedelta(days=1))
    baseline = "2025-Q3"
    with duckdb.connect(str(built[0]), read_only=True) as c:
        eur_report = roi_report(c, filters, baseline, euro)
    with duckdb.connect(str(cny), read_only=True) as c:
        cny_report = roi_report(c, filters, baseline, yuan)
    assert set(cny_report["currency"]) == {"CNY"}
    assert cny_report["roi"].tolist() == pytest.approx(eur_report["roi"].tolist(), rel=1e-9)
    assert cny_report["investment_cumulative"].tolist() == pytest.approx(
        [8 * v for v in eur_report["investment_cumulative"]], rel=1e-12
    )


def test_the_demo_command_names_the_cny_assumptions(tmp_path):
    done = subprocess.run(
        [
            *(sys.executable, "-m", "data.demo", "--currency", "CNY", "--lang", "zh-CN"),
            *("--end", END.isoformat(), "--db", str(tmp_path / "cny.duckdb")),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "账目币种 CNY" in done.stdout
    assert "TECHPULSE_ROI=config/roi.cny.toml" in done.stdout.splitlines()[-1]
