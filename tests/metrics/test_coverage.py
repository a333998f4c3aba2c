"""Coverage per service (issue 15): after a first import, which KPI families each service has
data for and which source would fill the rest; on a warehouse made with the product's own
commands, no demo row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from connectors.csv.importer import import_csv
from data.catalog.apply import apply
from data.catalog.tomlfile import parse_catalog
from data.warehouse import init_warehouse, open_reader
from metrics.core.coverage import coverage, summary

CATALOG = """\
[[teams]]
id = "payments"
name = "Payments"

[[services]]
id = "checkout"
name = "Checkout"
team = "payments"

[[services]]
id = "ledger"
name = "Ledger"
team = "payments"

[[services]]
id = "old"
name = "Old"
team = "payments"
"""


def test_coverage_names_what_is_missing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    init_warehouse(db)
    apply(parse_catalog(CATALOG), db)
    apply(parse_catalog(CATALOG.split('[[services]]\nid = "old"')[0]), db)  # old retired
    import_csv(
        "deployments",
        b"external_id,service_id,environment,started_at,status,finished_at,commit_sha\n"
        b"d-1,checkout,production,2026-01-05T09:00:00Z,success,2026-01-05T09:05:00Z,abc1234\n"
        b"d-2,checkout,production,2026-01-06T09:00:00Z,success,2026-01-06T09:05:00Z,def5678\n",
        db=db,
    )
    import_csv(
        "changes",
        b"external_id,service_id,commit_sha,first_commit_at,merged_at\n"
        b"pr-1,checkout,abc1234,2026-01-04T09:00:00Z,2026-01-05T08:00:00Z\n",
        db=db,
    )
    frame = coverage(open_reader(db))
    assert frame[
        ["service_id", "deployments", "lead_time", "incidents", "service_levels", "quality"]
    ].values.tolist() == [
        ["checkout", 2, 1, 0, 0, 0],
        ["ledger", 0, 0, 0, 0, 0],
    ]
    missing = dict(zip(frame["service_id"], frame["missing"], strict=True))
    assert missing["checkout"] == (
        "Incidents (MTTR, MTTA): PagerDuty, Opsgenie, Jira, or the incidents CSV; "
        "Service levels (availability, P95, errors): Prometheus or VictoriaMetrics, with the "
        "service's prometheus_selector; Code quality (coverage): SonarQube, with the service's "
        "sonar_project_key, or the quality CSV"
    )
    assert missing["ledger"].startswith("Deployments (frequency, change failure): GitHub")
    assert summary(frame) == [
        "Deployments (frequency, change failure): 1 of 2 services",
        "Lead time (changes shipped): 1 of 2 services",
        "Incidents (MTTR, MTTA): 0 of 2 services",
        "Service levels (availability, P95, errors): 0 of 2 services",
        "Code quality (coverage): 0 of 2 services",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "metrics", "coverage", "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Deployments (frequency, change failure): 1 of 2 services"
    assert done.stdout.splitlines()[-1].startswith("  ledger (payments): missing Deployments")


def test_brief_lists_twenty_services_still_missing_data_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    """22 services without any fact (what `make sync` prints after a first sync): the five
    summary lines, the first 20 services by id (s01…s20), then one line for s21 and s22."""
    db = tmp_path / "w.duckdb"
    init_warehouse(db)
    services = "".join(
        f'[[services]]\nid = "s{n:02d}"\nname = "S{n}"\nteam = "payments"\n\n' for n in range(1, 23)
    )
    apply(parse_catalog('[[teams]]\nid = "payments"\nname = "Payments"\n\n' + services), db)
    done = subprocess.run(
        [sys.executable, "-m", "metrics", "coverage", "--brief", "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Deployments (frequency, change failure): 0 of 22 services"
    assert [line.split(" ")[2] for line in lines[5:25]] == [f"s{n:02d}" for n in range(1, 21)]
    assert lines[25:] == ["  … and 2 more services: `python -m metrics coverage`"]
