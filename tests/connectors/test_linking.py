"""The cross-source linker (connectors/core/linking.py) against a hand-built warehouse.

Deployments come from source ``ci``, changes from ``vcs``, incidents from ``pd`` — no single
source knows the links. Times are January 2026, UTC.

Deployments (all ``success`` unless said):

==== ==== ========== ============ ================================
id   svc  env        finished     commits shipped (deployment_commits)
==== ==== ========== ============ ================================
d1   a1   production 05 10:00     aaa1…, aaa2…
d2   a1   production 07 10:00     aaa3…
d3   a1   staging    06 10:00     aaa9…  (not production)
d4   a1   production 06 12:00     failure (ships nothing)
d5   b1   production 08 09:00     none listed; deploys bbbbbbb1…
d6   b1   production 09 09:00     none listed; deploys bbbbbbb2…
==== ==== ========== ============ ================================

Expected change links (a1 lists commits, so a1 never falls back to time):

* ch1 commit aaa1 → d1 by ``commit``; ch2 aaa3 → d2 by ``commit``;
* ch3 a1 commit aaa9 is only in staging d3's list → unlinked (a1 has lists: not shipped yet);
* ch4 b1 commit ``bbbbbbb2`` (7+ chars, a prefix of d6's SHA) → d6 by ``sha``, although by time
  (merged 08 08:00) d5 would come first: sha outranks time;
* ch5 b1 merged 08 10:00, unknown commit → first b1 production deployment finished at or after
  it: d6 (09 09:00) by ``time``;
* ch6 b1 merged 10 00:00 → nothing after → unlinked;
* ch7 names d5 itself (``source``) and ch8 is a demo-style row (deployment given, no method):
  both untouched.

Expected incident links (window 24 h):

* i1 a1 started 07 15:00 → d2 finished 5 h before → ``window`` d2;
* i2 a1 started 09 12:00 → d2 is 50 h before → unlinked;
* i3 b1 names ``d5`` → d5; i4 b1 names ``BBBBBBB2`` → d6 (started 09 08:50, before i4);
* i5 b1 names ``nope123`` → unlinked and reported;
* i6 names d1 itself (``source``), i7 has no method: both untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from connectors.core.linking import LinkSettings, link, unmatched_warning
from data.warehouse import write_snapshot
from tests.servers.warehouse import build_warehouse, query

SHA = {n: f"aaa{n}" + "0" * 36 for n in (1, 2, 3, 9)}
B1, B2 = "bbbbbbb1" + "0" * 32, "bbbbbbb2" + "0" * 32


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


DEPLOYMENTS = [
    # id, service, environment, started, finished, status, commit
    ("d1", "a1", "production", at(5, 9), at(5, 10), "success", SHA[2]),
    ("d2", "a1", "production", at(7, 9), at(7, 10), "success", SHA[3]),
    ("d3", "a1", "staging", at(6, 9), at(6, 10), "success", SHA[9]),
    ("d4", "a1", "production", at(6, 11), at(6, 12), "failure", SHA[9]),
    ("d5", "b1", "production", at(8, 8), at(8, 9), "success", B1),
    ("d6", "b1", "production", at(9, 8, 50), at(9, 9), "success", B2),
]
COMMITS = [("d1", SHA[1]), ("d1", SHA[2]), ("d2", SHA[3]), ("d3", SHA[9])]
CHANGES = [
    # id, service, commit, merged, deployment given, link method given
    ("ch1", "a1", SHA[1], at(4), None, None),
    ("ch2", "a1", SHA[3], at(5, 12), None, None),
    ("ch3", "a1", SHA[9], at(5), None, None),
    ("ch4", "b1", "bbbbbbb2", at(8, 8), None, None),
    ("ch5", "b1", "f" * 40, at(8, 10), None, None),
    ("ch6", "b1", "e" * 40, at(10), None, None),
    ("ch7", "b1", "d" * 40, at(8, 1), "d5", "source"),
    ("ch8", "a1", "c" * 40, at(4, 1), "d2", None),
]
INCIDENTS = [
    # id, service, started, deployment_ref, method, caused by (given)
    ("i1", "a1", at(7, 15), None, "window", None),
    ("i2", "a1", at(9, 12), None, "window", None),
    ("i3", "b1", at(9, 10), "d5", "reference", None),
    ("i4", "b1", at(9, 10), "BBBBBBB2", "reference", None),
    ("i5", "b1", at(9, 10), "nope123", "reference", None),
    ("i6", "a1", at(5, 11), None, "source", "d1"),
    ("i7", "a1", at(7, 11), None, None, None),
]


def fill(con: duckdb.DuckDBPyConnection) -> None:
    for d in DEPLOYMENTS:
        con.execute(
            "INSERT INTO deployments (source, external_id, service_id, environment, started_at,"
            " finished_at, status, commit_sha) VALUES ('ci', ?, ?, ?, ?, ?, ?, ?)",
            list(d),
        )
    for deployment, sha in COMMITS:
        con.execute("INSERT INTO deployment_commits VALUES ('ci', ?, ?)", [deployment, sha])
    for ch in CHANGES:
        ident, service, sha, merged, shipped, method = ch
        con.execute(
            "INSERT INTO changes (source, external_id, service_id, commit_sha, first_commit_at,"
            " merged_at, deployment_source, deployment_external_id, link_method)"
            " VALUES ('vcs', ?, ?, ?, ?, ?, ?, ?, ?)",
            [ident, service, sha, merged, merged, "ci" if shipped else None, shipped, method],
        )
    for i in INCIDENTS:
        ident, service, started, ref, method, cause = i
        con.execute(
            "INSERT INTO incidents (source, external_id, service_id, severity, started_at,"
            " resolved_at, deployment_ref, link_method, caused_by_deployment_source,"
            " caused_by_deployment_external_id) VALUES ('pd', ?, ?, 'SEV2', ?, ?, ?, ?, ?, ?)",
            [ident, service, started, started, ref, method, "ci" if cause else None, cause],
        )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = build_warehouse(tmp_path / "w.duckdb", [("a1", None, None), ("b1", None, None)])
    with write_snapshot(path) as con:
        fill(con)
    return path


def linked(db: Path) -> dict[str, Any]:
    changes = query(
        db, "SELECT external_id, deployment_external_id, link_method FROM changes ORDER BY 1"
    )
    incidents = query(
        db,
        "SELECT external_id, caused_by_deployment_external_id, link_method FROM incidents"
        " ORDER BY 1",
    )
    return {"changes": changes, "incidents": incidents}


def run_link(db: Path, settings: LinkSettings | None = None) -> Any:
    with write_snapshot(db) as con:
        return link(con, settings)


def test_links_changes_and_incidents_across_sources(db: Path) -> None:
    report = run_link(db)
    assert linked(db) == {
        "changes": [
            ("ch1", "d1", "commit"),
            ("ch2", "d2", "commit"),
            ("ch3", None, None),
            ("ch4", "d6", "sha"),
            ("ch5", "d6", "time"),
            ("ch6", None, None),
            ("ch7", "d5", "source"),
            ("ch8", "d2", None),
        ],
        "incidents": [
            ("i1", "d2", "window"),
            ("i2", None, "window"),
            ("i3", "d5", "reference"),
            ("i4", "d6", "reference"),
            ("i5", None, "reference"),
            ("i6", "d1", "source"),
            ("i7", None, None),
        ],
    }
    assert report.changes == {"commit": 2, "sha": 1, "time": 1}
    assert report.incidents == {"window": 1, "reference": 2}
    warning = unmatched_warning(report)
    assert warning is not None and "1 incident(s)" in warning and "'nope123'" in warning
    # the source of every link is the deployment's own source
    assert query(
        db,
        "SELECT DISTINCT deployment_source FROM changes WHERE link_method <> 'source'"
        " AND deployment_source IS NOT NULL",
    ) == [("ci",)]


def test_lead_time_and_change_failure_follow_the_links(db: Path) -> None:
    """shipped_changes (lead time) and deployment_outcomes are rebuilt from the links.

    Lead times in hours, first commit (= merge here) to the shipping deployment's finish:
    ch1 04 00:00 → d1 05 10:00 = 34; ch2 05 12:00 → d2 07 10:00 = 46; ch4 08 08:00 → d6
    09 09:00 = 25; ch5 08 10:00 → d6 = 23; ch7 08 01:00 → d5 08 09:00 = 8; ch8 04 01:00 → d2
    07 10:00 = 81."""
    run_link(db)
    rows = query(db, "SELECT round(lead_time_h, 6) FROM shipped_changes ORDER BY 1")
    assert [r[0] for r in rows] == [8, 23, 25, 34, 46, 81]
    failed = query(db, "SELECT external_id FROM deployment_outcomes WHERE failed ORDER BY 1")
    assert failed == [("d1",), ("d2",), ("d5",), ("d6",)]  # i6→d1, i1→d2, i3→d5, i4→d6


def test_relinking_follows_new_deployments_and_settings(db: Path) -> None:
    run_link(db)
    with write_snapshot(db) as con:  # a later a1 deployment, 1 h before i1
        con.execute(
            "INSERT INTO deployments (source, external_id, service_id, environment, started_at,"
            " finished_at, status, commit_sha) VALUES ('ci', 'd7', 'a1', 'production', ?, ?,"
            " 'success', ?)",
            [at(7, 13), at(7, 14), "9" * 40],
        )
        con.execute("INSERT INTO deployment_commits VALUES ('ci', 'd7', ?)", [SHA[9]])
        link(con)
    after = linked(db)
    assert ("i1", "d7", "window") in after["incidents"]
    assert ("ch3", "d7", "commit") in after["changes"]  # aaa9 now reached production
    run_link(db, LinkSettings(incident_window_hours=0.5))  # d7 is 1 h before i1
    assert ("i1", None, "window") in linked(db)["incidents"]
    run_link(db, LinkSettings(production_environments=("staging",)))
    # only d3 is "production" now: ch3's aaa9 is in d3's list; b1 has no staging deployment
    changes = dict((c[0], c[1]) for c in linked(db)["changes"])
    assert changes["ch3"] == "d3" and changes["ch1"] is None and changes["ch5"] is None
    assert changes["ch7"] == "d5"  # the source's own link never moves


def test_a_second_pass_writes_nothing(db: Path) -> None:
    run_link(db)
    with write_snapshot(db) as con:
        before = con.execute("SELECT sum(hash(c)) FROM changes AS c").fetchone()
        con.execute("CREATE TEMP TABLE t AS SELECT * FROM incidents")
        link(con)
        assert con.execute("SELECT sum(hash(c)) FROM changes AS c").fetchone() == before
        diff = con.execute(
            "SELECT count(*) FROM (SELECT * FROM incidents EXCEPT SELECT * FROM t)"
        ).fetchone()
        assert diff == (0,)
