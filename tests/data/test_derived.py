"""Derived tables stay in step with their sources (daily rollup, shipped changes, deployment
outcomes), and the UTC time macros. Expected values are written out by hand from the rows
each test inserts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from data import demo, schema
from data.derived import (
    DERIVED,
    bring_in_step,
    derived_differences,
    fingerprints,
    refresh_service_level_daily,
    rollup_differences,
)
from data.warehouse import open_reader, upgrade, write_snapshot

UTC = dt.UTC
DAILY = (
    "SELECT service_id, environment, CAST(day AS VARCHAR), samples, requests, errors,"
    " latency_le_100ms, latency_le_inf, cpu_sum, cpu_samples"
    " FROM service_level_daily ORDER BY ALL"
)


def _sample(
    con: duckdb.DuckDBPyConnection,
    service: str,
    hour: str,
    requests: int,
    errors: int,
    cpu: float | None = None,
    environment: str = "production",
) -> None:
    """One hourly row; all requests in the 100 ms bucket except the errors, slower than 10 s."""
    con.execute(
        "INSERT INTO service_level_samples (service_id, environment, bucket_start,"
        " bucket_seconds, requests, errors, cpu_utilisation, latency_le_100ms, latency_le_inf)"
        " VALUES ($s, $e, CAST($h AS TIMESTAMPTZ), 3600, $r, $x, $c, $r - $x, $x)",
        {"s": service, "e": environment, "h": hour, "r": requests, "x": errors, "c": cpu},
    )


def _catalogue(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('t', 'Team', NULL)")
    con.execute(
        "INSERT INTO services (service_id, team_id, name) VALUES ('a', 't', 'A'), ('b', 't', 'B')"
    )


def test_migration_rolls_up_an_older_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "v4.duckdb"
    con = duckdb.connect(str(db))
    con.execute("BEGIN")
    schema.migrate(con, target=4)
    _catalogue(con)
    # a: two hours on 5 Jan (UTC), one just before midnight UTC that is 6 Jan in Berlin.
    _sample(con, "a", "2026-01-05 10:00:00+00", 1000, 2, 0.5)
    _sample(con, "a", "2026-01-05 23:00:00+00", 500, 0, 0.25)
    _sample(con, "a", "2026-01-06 00:30:00+01", 100, 1)  # = 5 Jan 23:30 UTC
    _sample(con, "b", "2026-01-06 08:00:00+00", 40, 4, 0.75)
    con.execute("COMMIT")
    con.close()

    assert upgrade(db) == (4, schema.LATEST_VERSION)
    reader = open_reader(db)
    assert reader.execute(DAILY).fetchall() == [
        # a on 5 Jan: 3 rows, 1000 + 500 + 100 requests, 2 + 0 + 1 errors, fast = 998 + 500 + 99,
        # CPU 0.5 + 0.25 over the 2 hours that report it
        ("a", "production", "2026-01-05", 3, 1600, 3, 1597, 3, 0.75, 2),
        ("b", "production", "2026-01-06", 1, 40, 4, 36, 4, 0.75, 1),
    ]
    assert rollup_differences(reader) == 0


def test_refreshing_a_window_recomputes_whole_days_only(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        _catalogue(con)
        _sample(con, "a", "2026-01-05 10:00:00+00", 1000, 2)
        _sample(con, "a", "2026-01-06 10:00:00+00", 200, 0)
        _sample(con, "b", "2026-01-06 10:00:00+00", 300, 3)
        refresh_service_level_daily(con)
    with write_snapshot(db) as con:
        # a connector replaces a's hours from 6 Jan 09:00 to 12:00 with one new row ...
        con.execute(
            "DELETE FROM service_level_samples WHERE service_id = 'a'"
            " AND bucket_start >= '2026-01-06 09:00:00+00'"
            " AND bucket_start < '2026-01-06 12:00:00+00'"
        )
        _sample(con, "a", "2026-01-06 11:00:00+00", 50, 5)
        # ... and a stale rollup row elsewhere shows what the refresh must leave alone.
        con.execute("UPDATE service_level_daily SET requests = 7 WHERE service_id = 'b'")
        assert rollup_differences(con) == 2  # b's stale day, and a's 6 Jan not yet refreshed
        refresh_service_level_daily(
            con,
            service_id="a",
            environment="production",
            start=dt.datetime(2026, 1, 6, 9, tzinfo=UTC),
            end=dt.datetime(2026, 1, 6, 12, tzinfo=UTC),
        )
        rows = con.execute(DAILY).fetchall()
        # the backstop sees the totals disagree (b's 7 vs 300) and rebuilds before commit
    assert rows == [
        ("a", "production", "2026-01-05", 1, 1000, 2, 998, 2, None, 0),
        ("a", "production", "2026-01-06", 1, 50, 5, 45, 5, None, 0),
        ("b", "production", "2026-01-06", 1, 7, 3, 297, 3, None, 0),
    ]
    published = open_reader(db)
    assert published.execute(
        "SELECT requests FROM service_level_daily WHERE service_id = 'b'"
    ).fetchall() == [(300,)]
    assert rollup_differences(published) == 0


def test_a_writer_that_forgets_the_rollup_is_caught_before_commit(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        _catalogue(con)
        _sample(con, "a", "2026-01-05 10:00:00+00", 1000, 2)
        _sample(con, "a", "2026-01-05 11:00:00+00", 10, 0, environment="staging")
    reader = open_reader(db)
    assert reader.execute(DAILY).fetchall() == [
        ("a", "production", "2026-01-05", 1, 1000, 2, 998, 2, None, 0),
        ("a", "staging", "2026-01-05", 1, 10, 0, 10, 0, None, 0),
    ]


def test_naive_times_are_refused(tmp_path: Path) -> None:
    with write_snapshot(tmp_path / "w.duckdb") as con, pytest.raises(ValueError, match="naive"):
        refresh_service_level_daily(con, start=dt.datetime(2026, 1, 5))


def test_demo_rollup_matches_the_hourly_rows(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    demo.build(db, "demo", seed=3, end=dt.date(2026, 3, 31))
    reader = open_reader(db)
    assert rollup_differences(reader) == 0
    hourly, daily = reader.execute(
        "SELECT (SELECT sum(latency_le_500ms) FROM service_level_samples),"
        " (SELECT sum(latency_le_500ms) FROM service_level_daily)"
    ).fetchone()
    assert hourly == daily > 0


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_time_macros_are_utc_whatever_the_session_zone(tmp_path: Path, zone: str) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db):
        pass
    con = open_reader(db)
    con.execute(f"SET TimeZone = '{zone}'")
    row = con.execute(
        "SELECT"
        " CAST(utc_bucket('7 days', TIMESTAMPTZ '2026-01-12 23:30:00+00',"
        "   TIMESTAMPTZ '2026-01-05 00:00:00+00') AT TIME ZONE 'UTC' AS VARCHAR),"
        " CAST(utc_bucket('1 month', TIMESTAMPTZ '2026-03-01 00:30:00+02',"
        "   TIMESTAMPTZ '2026-01-01 00:00:00+00') AT TIME ZONE 'UTC' AS VARCHAR),"
        " CAST(utc_date(TIMESTAMPTZ '2026-01-06 00:30:00+01') AS VARCHAR),"
        " hours_between(TIMESTAMPTZ '2026-01-05 22:00:00+00', TIMESTAMPTZ '2026-01-06 01:30:00+01')"
    ).fetchone()
    # 12 Jan 23:30 is in the week from 12 Jan; 1 Mar 00:30+02 is 28 Feb 22:30 UTC, so February;
    # 6 Jan 00:30+01 is 5 Jan UTC; 22:00 UTC to 00:30 UTC next day is 2.5 h.
    assert row == ("2026-01-12 00:00:00", "2026-02-01 00:00:00", "2026-01-05", 2.5)


def _delivery(con: duckdb.DuckDBPyConnection) -> None:
    """d1 ships c1, c2 and c4 (deployed from its branch at 10:00, merged at 11:00) and causes an
    incident; d2 is fine; d3 (a hotfix) repairs d2;
    d4 failed to deploy (not a successful deployment, so in neither table)."""
    con.execute(
        "INSERT INTO deployments (source, external_id, service_id, environment, started_at,"
        " finished_at, status, change_type, remediates_external_id) VALUES"
        " ('gh', 'd1', 'a', 'production', '2026-01-05 09:50:00+00', '2026-01-05 10:00:00+00',"
        "  'success', 'planned', NULL),"
        " ('gh', 'd2', 'a', 'production', '2026-01-06 09:50:00+00', '2026-01-06 10:00:00+00',"
        "  'success', 'planned', NULL),"
        " ('gh', 'd3', 'a', 'production', '2026-01-06 11:50:00+00', '2026-01-06 12:00:00+00',"
        "  'success', 'hotfix', 'd2'),"
        " ('gh', 'd4', 'b', 'production', '2026-01-07 09:50:00+00', '2026-01-07 10:00:00+00',"
        "  'failure', 'planned', NULL)"
    )
    con.execute(
        "INSERT INTO changes (source, external_id, service_id, first_commit_at, merged_at,"
        " deployment_source, deployment_external_id) VALUES"
        " ('gh', 'c1', 'a', '2026-01-04 10:00:00+00', '2026-01-05 04:00:00+00', 'gh', 'd1'),"
        " ('gh', 'c2', 'a', '2026-01-05 07:30:00+00', NULL, 'gh', 'd1'),"
        " ('gh', 'c3', 'b', '2026-01-06 10:00:00+00', NULL, 'gh', 'd4'),"
        " ('gh', 'c4', 'a', '2026-01-05 08:00:00+00', '2026-01-05 11:00:00+00', 'gh', 'd1')"
    )
    con.execute(
        "INSERT INTO incidents (source, external_id, service_id, severity, started_at,"
        " caused_by_deployment_source, caused_by_deployment_external_id) VALUES"
        " ('pd', 'i1', 'a', 'SEV2', '2026-01-05 11:00:00+00', 'gh', 'd1')"
    )


SHIPPED = (
    "SELECT service_id, CAST(deployed_at AT TIME ZONE 'UTC' AS VARCHAR), lead_time_h,"
    " merge_to_deploy_h FROM shipped_changes ORDER BY ALL"
)
OUTCOMES = "SELECT external_id, change_type, failed FROM deployment_outcomes ORDER BY ALL"


def test_shipped_changes_and_outcomes_follow_their_sources(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        _catalogue(con)
        _delivery(con)
    reader = open_reader(db)
    # c1: 4 Jan 10:00 -> 5 Jan 10:00 = 24 h, merged 04:00 -> 6 h; c2: 07:30 -> 10:00 = 2.5 h;
    # c3 shipped by a failed deployment: not shipped. c4: 08:00 -> 10:00 = 2 h of lead time;
    # merged an hour after d1 finished: no merge-to-deploy time (not -1 h).
    assert reader.execute(SHIPPED).fetchall() == [
        ("a", "2026-01-05 10:00:00", 2.0, None),
        ("a", "2026-01-05 10:00:00", 2.5, None),
        ("a", "2026-01-05 10:00:00", 24.0, 6.0),
    ]
    # each row names its change, so lead times can be compared with another tool row by row
    assert reader.execute(
        "SELECT change_source, change_external_id, lead_time_h FROM shipped_changes ORDER BY 2"
    ).fetchall() == [("gh", "c1", 24.0), ("gh", "c2", 2.5), ("gh", "c4", 2.0)]
    assert reader.execute(OUTCOMES).fetchall() == [
        ("d1", "planned", True),  # caused i1
        ("d2", "planned", True),  # repaired by the hotfix d3
        ("d3", "hotfix", False),
    ]
    assert reader.execute(
        "SELECT service_id, environment, CAST(started_at AT TIME ZONE 'UTC' AS VARCHAR),"
        " resolved_at FROM deployment_incidents"
    ).fetchall() == [("a", "production", "2026-01-05 11:00:00", None)]  # i1, caused by d1
    # first deployment of any status: b's is the failed d4
    assert reader.execute(
        "SELECT service_id, CAST(first_deployed AT TIME ZONE 'UTC' AS VARCHAR)"
        " FROM service_first_deployments ORDER BY ALL"
    ).fetchall() == [("a", "2026-01-05 10:00:00"), ("b", "2026-01-07 10:00:00")]
    # A later sync marks d4 successful: both tables follow without the writer asking.
    with write_snapshot(db) as con:
        con.execute("UPDATE deployments SET status = 'success' WHERE external_id = 'd4'")
    reader = open_reader(db)
    # c3: 6 Jan 10:00 -> 7 Jan 10:00 = 24 h
    assert ("b", "2026-01-07 10:00:00", 24.0, None) in reader.execute(SHIPPED).fetchall()
    assert ("d4", "planned", False) in reader.execute(OUTCOMES).fetchall()
    assert all(derived_differences(reader, d) == 0 for d in DERIVED)


def test_unrelated_writes_rebuild_nothing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        _catalogue(con)
        _delivery(con)
    with write_snapshot(db) as con:
        before = fingerprints(con)
        con.execute(
            "INSERT INTO annotations (annotation_id, occurred_on, scope, kind, text)"
            " VALUES ('n1', DATE '2026-01-05', 'organisation', 'note', 'a note')"
        )
        assert bring_in_step(con, before) == []
        con.execute("UPDATE incidents SET severity = 'SEV1'")
        assert bring_in_step(con, before) == ["deployment_outcomes", "deployment_incidents"]


def test_the_loader_refreshes_its_windows_without_the_backstop(tmp_path: Path) -> None:
    """A connector run's windows are rolled up by Loader.finish() (dict rows and Arrow rows);
    the commit backstop then finds nothing to rebuild."""
    import pyarrow as pa

    from connectors.core.base import ReplaceWindow
    from connectors.core.load import Loader
    from data.derived import daily_in_step

    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        _catalogue(con)
        _sample(con, "a", "2026-01-04 10:00:00+00", 70, 7)  # outside every window: kept as is
        _sample(con, "a", "2026-01-05 01:00:00+00", 999, 9)  # replaced by the window below
    with write_snapshot(db) as con:
        loader = Loader(con, "prometheus")
        hour = dt.datetime(2026, 1, 5, 1, tzinfo=UTC)
        row = {"service_id": "a", "environment": "production", "bucket_seconds": 3600}
        loader.apply(
            ReplaceWindow(
                table="service_level_samples",
                match={"service_id": "a", "environment": "production"},
                time_column="bucket_start",
                start=dt.datetime(2026, 1, 5, tzinfo=UTC),
                end=dt.datetime(2026, 1, 6, tzinfo=UTC),
                rows=[
                    {**row, "bucket_start": hour, "requests": 100, "errors": 1},
                    {**row, "bucket_start": hour.replace(hour=2), "requests": 50, "errors": 0},
                ],
            )
        )
        loader.apply(
            ReplaceWindow(
                table="service_level_samples",
                match={"service_id": "b", "environment": "production"},
                time_column="bucket_start",
                start=dt.datetime(2026, 1, 6, tzinfo=UTC),
                end=dt.datetime(2026, 1, 6, 12, tzinfo=UTC),
                rows=pa.table(
                    {
                        "service_id": ["b"],
                        "environment": ["production"],
                        "bucket_start": [dt.datetime(2026, 1, 6, 8, tzinfo=UTC)],
                        "bucket_seconds": [3600],
                        "requests": [40],
                        "errors": [4],
                    }
                ),
            )
        )
        loader.finish()
        assert not daily_in_step(con)  # in step already: the backstop rebuilt nothing
        rows = con.execute(
            "SELECT service_id, CAST(day AS VARCHAR), samples, requests, errors"
            " FROM service_level_daily ORDER BY ALL"
        ).fetchall()
    # a on 5 Jan: 100 + 50 requests, 1 + 0 errors (the 999 hour was replaced)
    assert rows == [
        ("a", "2026-01-04", 1, 70, 7),
        ("a", "2026-01-05", 2, 150, 1),
        ("b", "2026-01-06", 1, 40, 4),
    ]
    assert loader.rows["service_level_samples"] == 3


def test_queued_windows_keep_one_at_a_time_semantics(tmp_path: Path) -> None:
    """Windows are written in batches, but a window overlapping an earlier one of the same
    service replaces that one's rows exactly as applying them one by one would."""
    from connectors.core.base import ReplaceWindow
    from connectors.core.load import Loader

    def window(service: str, day: int, requests: int) -> ReplaceWindow:
        start = dt.datetime(2026, 1, day, tzinfo=UTC)
        row = {
            "service_id": service,
            "environment": "production",
            "bucket_start": start + dt.timedelta(hours=3),
            "bucket_seconds": 3600,
            "requests": requests,
            "errors": 0,
        }
        return ReplaceWindow(
            table="service_level_samples",
            match={"service_id": service, "environment": "production"},
            time_column="bucket_start",
            start=start,
            end=start + dt.timedelta(days=1),
            rows=[row],
        )

    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        _catalogue(con)
        loader = Loader(con, "prometheus")
        for record in (window("a", 5, 10), window("b", 5, 20), window("a", 5, 30)):
            loader.apply(record)  # the third replaces the first: a's 5 Jan holds 30
        loader.apply(window("a", 6, 40))
        loader.finish()
        rows = con.execute(
            "SELECT service_id, CAST(bucket_start AT TIME ZONE 'UTC' AS VARCHAR), requests"
            " FROM service_level_samples ORDER BY ALL"
        ).fetchall()
    assert rows == [
        ("a", "2026-01-05 03:00:00", 30),
        ("a", "2026-01-06 03:00:00", 40),
        ("b", "2026-01-05 03:00:00", 20),
    ]
    assert rollup_differences(open_reader(db)) == 0


def _no_whole_table_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the size-bound checks fail loudly; returns the log of any call."""
    import data.derived as module

    calls: list[str] = []

    def fingerprinted(con: duckdb.DuckDBPyConnection) -> None:
        calls.append("fingerprints")
        raise AssertionError("a declared write took whole-table fingerprints")

    monkeypatch.setattr(module, "fingerprints", fingerprinted)
    monkeypatch.setattr(module, "daily_in_step", lambda con: calls.append("daily") or False)
    return calls


def test_a_declared_write_costs_its_own_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: a writer that declares its tables skips the fingerprints and the rollup's
    totals check (both scan whole tables), yet every derived table stays exactly in step."""
    from connectors.core.base import ReplaceWindow, Upsert
    from connectors.core.load import Loader
    from data.derived import Declared

    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        _catalogue(con)
        _delivery(con)
    calls = _no_whole_table_scans(monkeypatch)
    hour = dt.datetime(2026, 1, 5, 1, tzinfo=UTC)
    samples = Declared()
    with write_snapshot(db, declared=samples) as con:
        loader = Loader(con, "prometheus", samples)
        row = {"service_id": "a", "environment": "production", "bucket_seconds": 3600}
        loader.apply(
            ReplaceWindow(
                "service_level_samples",
                {"service_id": "a", "environment": "production"},
                "bucket_start",
                hour,
                hour + dt.timedelta(hours=1),
                [{**row, "bucket_start": hour, "requests": 10, "errors": 1}],
            )
        )
        loader.finish()
    assert samples.tables == {"service_level_samples"} and not samples.daily_pending
    # d5 (b, 8 Jan 10:00) ships nothing but is a successful deployment: an outcome row
    delivery = Declared()
    with write_snapshot(db, declared=delivery) as con:
        loader = Loader(con, "gh", delivery)
        loader.apply(
            Upsert(
                "deployments",
                ("source", "external_id"),
                [
                    {
                        "source": "gh",
                        "external_id": "d5",
                        "service_id": "b",
                        "environment": "production",
                        "started_at": dt.datetime(2026, 1, 8, 9, 50, tzinfo=UTC),
                        "finished_at": dt.datetime(2026, 1, 8, 10, tzinfo=UTC),
                        "status": "success",
                        "change_type": "planned",
                    }
                ],
            )
        )
        loader.finish()
    assert calls == []
    monkeypatch.undo()
    reader = open_reader(db)
    assert reader.execute(
        "SELECT CAST(day AS VARCHAR), samples, requests, errors FROM service_level_daily"
    ).fetchall() == [("2026-01-05", 1, 10, 1)]
    assert ("d5", "planned", False) in reader.execute(OUTCOMES).fetchall()
    assert all(derived_differences(reader, d) == 0 for d in DERIVED)
    assert rollup_differences(reader) == 0


def test_a_declared_writer_that_skips_the_rollup_still_meets_the_backstop(
    tmp_path: Path,
) -> None:
    """Declaring hourly samples without refreshing their days leaves daily_pending set, so the
    totals check still runs before commit and rebuilds the rollup."""
    from data.derived import Declared

    db = tmp_path / "w.duckdb"
    with write_snapshot(db) as con:
        _catalogue(con)
    declared = Declared()
    with write_snapshot(db, declared=declared) as con:  # no migration: no rebuild of everything
        _sample(con, "a", "2026-01-05 01:00:00+00", 30, 3)
        declared.wrote("service_level_samples")
    assert declared.daily_pending
    reader = open_reader(db)
    assert reader.execute(
        "SELECT CAST(day AS VARCHAR), samples, requests, errors FROM service_level_daily"
    ).fetchall() == [("2026-01-05", 1, 30, 3)]
