"""CSV import (connectors/csv/importer.py): every expected row and message is worked out by hand
from the small files written in each test, never copied from the code's output.

The warehouse of every test: teams payments and identity; services checkout-api and search
(payments) and login (identity). A refused file must leave the warehouse byte-for-byte as it
was, sync_runs included (:func:`refused` checks that for every error test).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import connectors.csv.importer as csv_import
from connectors.__main__ import main
from connectors.core.linking import LinkSettings
from connectors.csv.columns import KINDS
from connectors.csv.importer import CsvImportError, ImportResult, import_csv
from data.warehouse import write_snapshot
from tests.servers.warehouse import contents, query
from tests.ui.test_app import APP, _real_navigation  # noqa: F401  (autouse fixture)
from tests.ui.test_app_sync import table_rows
from ui.access import auth
from ui.admin.csv_upload import run_upload

DOCS = Path(__file__).resolve().parents[2] / "docs" / "csv-import.md"
DEPLOY_HEADER = "external_id,service_id,environment,started_at,status"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with write_snapshot(path, fresh=True) as con:
        con.execute(
            "INSERT INTO teams (team_id, name, cost_centre) VALUES ('payments', 'Payments', NULL)"
        )
        con.execute(
            "INSERT INTO teams (team_id, name, cost_centre) VALUES ('identity', 'Identity', NULL)"
        )
        for service, team in (("checkout-api", "payments"), ("search", "payments")):
            con.execute(
                "INSERT INTO services (service_id, team_id, name) VALUES ($s, $t, $s)",
                {"s": service, "t": team},
            )
        con.execute(
            "INSERT INTO services (service_id, team_id, name) VALUES ('login', 'identity', 'x')"
        )
    return path


def run(kind: str, text: str | bytes, db: Path, **options: Any) -> ImportResult:
    data = text.encode() if isinstance(text, str) else text
    return import_csv(kind, data, db=db, linking=LinkSettings(), **options)


def refused(kind: str, text: str | bytes, db: Path, **options: Any) -> list[str]:
    """The error lines of a refused file; asserts that nothing at all was written."""
    before = contents(db, exclude=())
    with pytest.raises(CsvImportError) as caught:
        run(kind, text, db, **options)
    assert contents(db, exclude=()) == before, "a refused file must change nothing"
    return [str(e) for e in caught.value.errors]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- every kind, by hand --------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_documented_sample_of_every_kind_imports(kind: str, db: Path) -> None:
    # The samples (docs and page) use service checkout-api and team payments, which exist;
    # the commit list names the deployments sample's d-1042.
    if kind == "deployment_commits":
        run("deployments", KINDS["deployments"].sample(), db)
    result = run(kind, KINDS[kind].sample(), db)
    assert (result.rows, result.new, result.changed) == (1, 1, 0)


def test_deployments_are_normalised_like_synced_ones(db: Path) -> None:
    text = (
        "external_id,service_id,environment,started_at,finished_at,status,commit_sha,url,"
        "change_type,remediates_external_id\n"
        "d-1,checkout-api,production,2026-01-05T10:00:00+01:00,2026-01-05T10:05:00+01:00,"
        "succeeded,ABCDEF1234567,https://ci.example.com/1,,\n"
        "d-2,checkout-api,production,2026-01-06T08:00:00Z,2026-01-06T08:10:00z,Failed,,,,\n"
        "d-3,checkout-api,production,2026-01-07 12:00:00-05:00,,canceled,,,Hotfix,d-2\n"
    )
    result = run("deployments", text, db)
    assert (result.rows, result.new, result.changed, result.unchanged) == (3, 3, 0, 0)
    rows = query(
        db,
        "SELECT source, external_id, started_at, finished_at, status, commit_sha, change_type,"
        " remediates_external_id FROM deployments ORDER BY external_id",
    )
    # +01:00 is one hour ahead of UTC, -05:00 five hours behind; statuses via records.status
    assert rows == [
        (
            "csv",
            "d-1",
            utc(2026, 1, 5, 9),
            utc(2026, 1, 5, 9, 5),
            "success",
            "abcdef1234567",
            "planned",
            None,
        ),
        (
            "csv",
            "d-2",
            utc(2026, 1, 6, 8),
            utc(2026, 1, 6, 8, 10),
            "failure",
            None,
            "planned",
            None,
        ),
        ("csv", "d-3", utc(2026, 1, 7, 17), None, "cancelled", None, "hotfix", "d-2"),
    ]


def test_changes_and_incidents_link_to_imported_deployments(db: Path) -> None:
    run(
        "deployments",
        f"{DEPLOY_HEADER},finished_at,commit_sha\n"
        "d-1,checkout-api,production,2026-01-05T09:00:00Z,success,2026-01-05T09:05:00Z,"
        "abcdef1234567\n",
        db,
    )
    run(
        "changes",
        "external_id,service_id,commit_sha,first_commit_at,opened_at,merged_at\n"
        "pr-1,checkout-api,abcdef1234567,2026-01-04T09:00:00Z,2026-01-04T12:00:00Z,"
        "2026-01-05T08:00:00Z\n"
        "pr-2,search,,2026-01-04T09:00:00Z,,2026-01-05T08:00:00Z\n",
        db,
    )
    # pr-1: d-1 deployed exactly its commit ("sha" beats "time"); search never deployed.
    assert query(
        db,
        "SELECT external_id, deployment_source, deployment_external_id, link_method"
        " FROM changes ORDER BY 1",
    ) == [("pr-1", "csv", "d-1", "sha"), ("pr-2", None, None, None)]
    run(
        "incidents",
        "external_id,service_id,severity,title,started_at,resolved_at,deployment_ref\n"
        'INC-1,checkout-api,P1,"Checkout down, again",2026-01-05T10:00:00Z,'
        "2026-01-05T11:30:00Z,d-1\n"
        "INC-2,checkout-api,high,,2026-01-05T12:00:00Z,,\n"
        "INC-3,search,SEV-3,,2026-01-05T12:00:00Z,,\n",
        db,
    )
    # INC-1 names d-1; INC-2 falls 2 h 55 min after d-1 finished (window 24 h); search has
    # no production deployment. P1 → SEV1, high → SEV2, SEV-3 → SEV3.
    assert query(
        db,
        "SELECT external_id, severity, title, resolved_at, caused_by_deployment_external_id,"
        " link_method FROM incidents ORDER BY 1",
    ) == [
        ("INC-1", "SEV1", "Checkout down, again", utc(2026, 1, 5, 11, 30), "d-1", "reference"),
        ("INC-2", "SEV2", None, None, "d-1", "window"),
        ("INC-3", "SEV3", None, None, None, "window"),
    ]


def test_devlake_upper_case_environments_link_and_the_links_are_reported(db: Path) -> None:
    """DevLake exports ``PRODUCTION``: stored as production, so pr-1 links by its commit to d-1;
    pr-2 (search) has no deployment. Before v7 the row kept PRODUCTION and nothing linked."""
    result = run(
        "deployments",
        f"{DEPLOY_HEADER},finished_at,commit_sha\n"
        "d-1,checkout-api,PRODUCTION,2026-01-05T09:00:00Z,SUCCESS,2026-01-05T09:05:00Z,"
        "abcdef1234567\n"
        "d-2,search, Staging ,2026-01-05T09:00:00Z,success,2026-01-05T09:05:00Z,\n",
        db,
    )
    assert query(db, "SELECT external_id, environment FROM deployments ORDER BY 1") == [
        ("d-1", "production"),
        ("d-2", "staging"),
    ]
    assert result.links == (
        "linked in the warehouse: 0 of 0 changes to the production deployment that shipped "
        "them, 0 of 0 incidents to the deployment that caused them"
    )
    result = run(
        "changes",
        "external_id,service_id,commit_sha,merged_at\n"
        "pr-1,checkout-api,abcdef1234567,2026-01-05T08:00:00Z\n"
        "pr-2,search,,2026-01-05T08:00:00Z\n",
        db,
    )
    assert result.links == (
        "linked in the warehouse: 1 of 2 changes to the production deployment that shipped "
        "them, 0 of 0 incidents to the deployment that caused them"
    )
    assert result.as_dict()["linked"] == {
        "changes": 2,
        "changes_linked": 1,
        "incidents": 0,
        "incidents_linked": 0,
    }


def test_an_environment_mapping_that_links_nothing_says_so(db: Path) -> None:
    run(
        "deployments",
        f"{DEPLOY_HEADER},finished_at\nd-1,search,prod,2026-01-05T09:00:00Z,success,"
        "2026-01-05T09:05:00Z\n",
        db,
    )
    result = run(
        "changes", "external_id,service_id,merged_at\npr-2,search,2026-01-05T08:00:00Z\n", db
    )
    assert result.links == (
        "linked in the warehouse: 0 of 1 changes to the production deployment that shipped "
        "them, 0 of 0 incidents to the deployment that caused them — successful deployments "
        "are in prod, not in production_environments (production): set [linking] "
        "production_environments in the sources file if one of them is production"
    )
    result = import_csv(
        "changes",
        b"external_id,service_id,merged_at\npr-2,search,2026-01-05T08:00:00Z\n",
        db=db,
        linking=LinkSettings(production_environments=("prod",)),
    )
    assert result.links is not None and result.links.startswith(
        "linked in the warehouse: 1 of 1 changes"
    )


def test_investments_annotations_and_quality(db: Path) -> None:
    run(
        "investments",
        "external_id,spent_on,category,amount,currency,description,team_id\n"
        'inv-1,2026-01-31,tooling,12500.5,eur,"CI runners, January",payments\n'
        "inv-2,2026-02-28,training,800,USD,,\n",
        db,
    )
    assert query(db, "SELECT * FROM investments ORDER BY external_id") == [
        (
            "csv",
            "inv-1",
            date(2026, 1, 31),
            "tooling",
            Decimal("12500.50"),
            "EUR",
            "CI runners, January",
            "payments",
        ),
        ("csv", "inv-2", date(2026, 2, 28), "training", Decimal("800.00"), "USD", None, None),
    ]
    run(
        "annotations",
        "annotation_id,occurred_on,scope,scope_id,kind,text\n"
        'a-1,2026-01-05,Organization,,release,"v2 ""Phoenix"" released"\n'
        "a-2,2026-01-06,team,payments,adoption,Trunk-based development\n"
        "a-3,2026-01-07,SERVICE,search,incident,Search outage\n",
        db,
    )
    assert query(db, "SELECT * FROM annotations ORDER BY annotation_id") == [
        ("a-1", date(2026, 1, 5), "organisation", None, "release", 'v2 "Phoenix" released'),
        ("a-2", date(2026, 1, 6), "team", "payments", "adoption", "Trunk-based development"),
        ("a-3", date(2026, 1, 7), "service", "search", "incident", "Search outage"),
    ]
    run(
        "quality",
        "project_key,service_id,analysed_at,lines_to_cover,uncovered_lines,coverage,"
        "quality_gate_status,reliability_rating\n"
        "acme:checkout,checkout-api,2026-01-14T12:00:00Z,1000,250,75.0,passed,b\n"
        "acme:checkout,checkout-api,2026-01-15T12:00:00+02:00,1000,200,80,ERROR,A\n",
        db,
    )
    assert query(
        db,
        "SELECT source, analysed_at, lines_to_cover, uncovered_lines, coverage,"
        " quality_gate_status, reliability_rating, bugs FROM quality_snapshots ORDER BY 2",
    ) == [
        ("csv", utc(2026, 1, 14, 12), 1000, 250, 75.0, "OK", "B", None),
        ("csv", utc(2026, 1, 15, 10), 1000, 200, 80.0, "ERROR", "A", None),
    ]


# --- idempotence, sources, the run record ---------------------------------------------------

THREE = (
    f"{DEPLOY_HEADER}\n"
    "d-1,checkout-api,production,2026-01-05T09:00:00Z,success\n"
    "d-2,checkout-api,production,2026-01-06T09:00:00Z,success\n"
    "d-3,search,staging,2026-01-07T09:00:00Z,failed\n"
)


def test_reimporting_changes_nothing_and_an_edit_replaces_the_row(db: Path) -> None:
    first = run("deployments", THREE, db)
    stored = contents(db)
    again = run("deployments", THREE, db)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)
    assert contents(db) == stored, "only a new sync_runs row"
    edited = run("deployments", THREE.replace("d-3,search,staging", "d-3,search,production"), db)
    assert (edited.new, edited.changed, edited.unchanged) == (0, 1, 2)
    assert query(db, "SELECT environment FROM deployments WHERE external_id = 'd-3'") == [
        ("production",)
    ]
    runs = query(
        db,
        "SELECT run_id, source, stream, status, rows_written, details FROM sync_runs"
        " ORDER BY started_at",
    )
    assert [r[0] for r in runs] == [first.run_id, again.run_id, edited.run_id]
    assert [r[1:5] for r in runs] == [
        ("csv", "deployments", "success", 3),
        ("csv", "deployments", "success", 0),
        ("csv", "deployments", "success", 1),
    ]
    details = json.loads(runs[2][5])
    assert details["kind"] == "deployments" and details["rows"] == {"deployments": 1}
    assert (details["new"], details["changed"], details["unchanged"]) == (0, 1, 2)


def test_each_source_keeps_its_own_rows(db: Path) -> None:
    run("deployments", THREE, db)
    run("deployments", THREE, db, source="jenkins-export")
    assert query(db, "SELECT source, count(*) FROM deployments GROUP BY 1 ORDER BY 1") == [
        ("csv", 3),
        ("jenkins-export", 3),
    ]
    assert refused("deployments", THREE, db, source="my source") == [
        "source 'my source' is not a valid name; use letters, digits, '.', '_' or '-' (up to "
        "64 characters), e.g. csv or jira-export"
    ]


def test_a_header_only_file_writes_nothing(db: Path) -> None:
    before = contents(db, exclude=())
    result = run("deployments", DEPLOY_HEADER + "\n", db)
    assert (result.rows, result.run_id) == (0, None)
    assert result.message() == (
        "the file has a header but no rows: nothing was imported into deployments"
    )
    assert contents(db, exclude=()) == before


def test_one_bad_row_among_many_writes_nothing(db: Path) -> None:
    good = "".join(
        f"d-{i},checkout-api,production,2026-01-05T09:00:00Z,success\n" for i in range(999)
    )
    text = f"{DEPLOY_HEADER}\n{good}d-999,checkout-api,production,2026-01-05T09:00:00Z,maybe\n"
    # header = line 1, d-0 … d-998 = lines 2 … 1000, the bad row is line 1001
    assert refused("deployments", text, db) == [
        "line 1001: status 'maybe' is not one of success, failure, cancelled (or succeeded, "
        "ok, failed, error, canceled, aborted, skipped …)"
    ]


def test_the_warehouse_is_checked_again_inside_the_write(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service removed between validation and write: the write refuses, nothing changes."""
    validate = csv_import._validate

    def validate_then_remove(*args: Any, **kwargs: Any) -> Any:
        batch = validate(*args, **kwargs)
        with write_snapshot(db) as con:
            con.execute("DELETE FROM services WHERE service_id = 'search'")
        return batch

    monkeypatch.setattr(csv_import, "_validate", validate_then_remove)
    before = contents(db, exclude=())
    with pytest.raises(CsvImportError) as caught:
        run("deployments", THREE, db)
    assert [str(e) for e in caught.value.errors] == [
        "line 4: service_id 'search' is not a service in the warehouse"
    ]
    after = contents(db, exclude=())
    assert after["deployments"] == before["deployments"] == []
    assert after["sync_runs"] == []


# --- line numbers ---------------------------------------------------------------------------

MULTILINE = (
    "external_id,service_id,severity,title,started_at,resolved_at\n"  # line 1
    'INC-1,checkout-api,SEV2,"Checkout\n'  # line 2
    'down, again",2026-01-05T10:00:00Z,\n'  # line 3
    "\n"  # line 4: blank, skipped
    'INC-2,checkout-api,SEV2,"a ""quoted""\n'  # line 5
    'title",2026-01-05T12:00:00Z,2026-01-05T11:00:00Z\n'  # line 6
    "INC-3,checkout-api,SEV9,,2026-01-05T12:00:00Z,\n"  # line 7
)
MULTILINE_ERRORS = [
    "line 5: resolved before started: resolved_at '2026-01-05T11:00:00Z' is before "
    "started_at '2026-01-05T12:00:00Z'",
    "line 7: severity 'SEV9' is not SEV1-SEV4, P1-P5 or critical/high/medium/low",
]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_numbers_count_multi_line_values_and_blank_lines(db: Path, newline: str) -> None:
    assert refused("incidents", MULTILINE.replace("\n", newline), db) == MULTILINE_ERRORS


def test_multi_line_values_are_kept_and_bom_and_crlf_are_read(db: Path) -> None:
    text = MULTILINE.split("INC-2")[0].replace("\n", "\r\n")
    run("incidents", b"\xef\xbb\xbf" + text.encode(), db)
    # inside quotes the CRLF is data: the title keeps it
    assert query(db, "SELECT external_id, title FROM incidents") == [
        ("INC-1", "Checkout\r\ndown, again")
    ]


# --- refused files: each message by hand ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (
            "deployments",
            f"{DEPLOY_HEADER},stauts\n",
            [
                "line 1: unknown column 'stauts' (did you mean status?); deployments columns "
                "are external_id, service_id, environment, started_at, finished_at, status, "
                "commit_sha, url, change_type, remediates_external_id"
            ],
        ),
        (
            "deployments",
            "source,external_id,service_id,environment,started_at,status,Status\n",
            [
                "line 1: column source is not read from the file: it is set with --source "
                "(default csv); remove the column",
                "line 1: column status appears twice (columns 6 and 7)",
            ],
        ),
        (
            "deployments",
            "external_id,,environment\n",
            [
                "line 1: column 2 has no name",
                "line 1: missing required column(s): service_id, started_at, status",
            ],
        ),
        (
            "deployments",
            "external_id;service_id;environment;started_at;status\n",
            [
                "line 1: the header is one column 'external_id;service_id;environment;"
                "started_at;status': the file seems to separate columns with semicolons; save "
                "it with commas (in Excel: Save As → CSV UTF-8 (Comma delimited))"
            ],
        ),
        (
            "deployments",
            f"{DEPLOY_HEADER}\nd-1,checkout-api,production,2026-01-05T09:00:00Z\n"
            "d-2,checkout-api,production,2026-01-05T09:00:00Z,success,extra\n",
            ["line 2: 4 fields, the header has 5", "line 3: 6 fields, the header has 5"],
        ),
        (
            "deployments",
            f'{DEPLOY_HEADER}\nd-1,checkout-api,production,2026-01-05T09:00:00Z,ok"\n',
            [
                "line 2: a double quote inside the unquoted value of column 5; put the whole "
                'value in double quotes and double the quote inside it ("") (rows after it '
                "were not checked)"
            ],
        ),
        (
            "deployments",
            f'{DEPLOY_HEADER}\nd-1,checkout-api,production,2026-01-05T09:00:00Z,"ok\n',
            ['line 2: the quoted value of column 5 is never closed (a " is missing)'],
        ),
        (
            "deployments",
            f'{DEPLOY_HEADER}\n"d-\n1",checkout-api,production,2026-01-05T09:00:00Z,ok\n',
            ["line 2: external_id contains a line break or control character"],
        ),
        (
            "deployments",
            f"{DEPLOY_HEADER}\n"
            "d-1,checkout-api,production,2026-01-05T09:00:00+99:00,success\n"
            "d-2,checkout-api,production,2026-01-05T09:00:00-12:30,success\n"
            "d-3,checkout-api,production,2026-01-05T09:00:00+14:00,success\n"
            "d-4,checkout-api,production,2026-01-05T09:00:00-1200,success\n"
            "d-5,checkout-api,production,0001-01-05T09:00:00Z,success\n"
            "d-6,checkout-api,production,9999-01-05T09:00:00+05:30,success\n",
            [
                "line 2: started_at '2026-01-05T09:00:00+99:00' has an offset outside -12:00 "
                "to +14:00",
                "line 3: started_at '2026-01-05T09:00:00-12:30' has an offset outside -12:00 "
                "to +14:00",
                "line 6: started_at '0001-01-05T09:00:00Z' has a year outside 1970 to 2100",
                "line 7: started_at '9999-01-05T09:00:00+05:30' has a year outside 1970 to 2100",
            ],
        ),
        (
            "deployments",
            f"{DEPLOY_HEADER},finished_at,commit_sha,url,change_type,remediates_external_id\n"
            "d-1,checkout-apl,production,2026-01-05 09:00:00,ok,2026-02-30T10:00:00Z,xyz,"
            "ftp://x,rollback,d-1\n"
            "d-2,login,production,05/01/2026 09:00,ok,,,,planned,d-1\n"
            "d-1,search,,,,2026-01-05T10:00:00Z,,,,\n",
            [
                "line 2: started_at '2026-01-05 09:00:00' has no time zone: add Z or an offset "
                "like +01:00, or give a time zone (--timezone, or the field on the upload page)",
                "line 2: finished_at '2026-02-30T10:00:00Z' is not a valid time",
                "line 2: commit_sha 'xyz' is not a commit SHA (7 to 64 hexadecimal digits)",
                "line 2: url 'ftp://x' is not an http(s) URL",
                "line 2: a deployment cannot remediate itself (remediates_external_id = "
                "external_id)",
                "line 2: service_id 'checkout-apl' is not a service in the warehouse (did you "
                "mean 'checkout-api'?)",
                "line 3: started_at '05/01/2026 09:00' is not an ISO-8601 time like "
                "2026-01-31T14:05:00Z",
                "line 3: remediates_external_id is set but change_type is planned; use hotfix "
                "or rollback",
                "line 4: environment is missing",
                "line 4: started_at is missing",
                "line 4: status is missing",
                "line 4: external_id 'd-1' repeats line 2",
            ],
        ),
        (
            "deployments",
            f"{DEPLOY_HEADER},finished_at\n"
            "d-1,search,production,2026-01-05T10:00:00Z,ok,2026-01-05T09:59:59Z\n",
            [
                "line 2: finished before started: finished_at '2026-01-05T09:59:59Z' is before "
                "started_at '2026-01-05T10:00:00Z'"
            ],
        ),
        (
            "changes",
            "external_id,service_id,first_commit_at,opened_at,merged_at,deployment_external_id\n"
            "pr-1,search,2026-01-05T10:00:00Z,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z,d-404\n",
            [
                "line 2: merged before its first commit: merged_at '2026-01-05T09:00:00Z' is "
                "before first_commit_at '2026-01-05T10:00:00Z'",
                "line 2: deployment_external_id 'd-404' is not a deployment of source csv in "
                "the warehouse; import the deployments first (with the same --source) or "
                "leave it empty",
            ],
        ),
        (
            "incidents",
            "external_id,service_id,severity,started_at,acknowledged_at,resolved_at\n"
            "INC-1,search,urgent,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z,"
            "2026-01-05T08:30:00+01:00\n",
            [
                "line 2: severity 'urgent' is not SEV1-SEV4, P1-P5 or critical/high/medium/low",
                "line 2: resolved before started: resolved_at '2026-01-05T08:30:00+01:00' is "
                "before started_at '2026-01-05T10:00:00Z'",
                "line 2: acknowledged before started: acknowledged_at '2026-01-05T09:00:00Z' is "
                "before started_at '2026-01-05T10:00:00Z'",
                "line 2: resolved before acknowledged: resolved_at '2026-01-05T08:30:00+01:00' "
                "is before acknowledged_at '2026-01-05T09:00:00Z'",
            ],
        ),
        (
            "investments",
            "external_id,spent_on,category,amount,currency,team_id\n"
            'inv-1,31.01.2026,tooling,"12,50",EURO,paymnts\n'
            "inv-2,2026-02-30,tooling,-5,EUR,\n"
            "inv-3,2026-02-01,,1.234,EUR,\n",
            [
                "line 2: spent_on '31.01.2026' is not a date like 2026-01-31",
                "line 2: amount '12,50' is not an amount like 1234.50 (a dot for decimals, at "
                "most 2 decimals and 12 digits before the dot, no thousands separator)",
                "line 2: currency 'EURO' is not an ISO 4217 code such as EUR or USD",
                "line 2: team_id 'paymnts' is not a team in the warehouse (did you mean "
                "'payments'?)",
                "line 3: spent_on '2026-02-30' is not a valid date",
                "line 3: amount '-5' is negative",
                "line 4: category is missing",
                "line 4: amount '1.234' is not an amount like 1234.50 (a dot for decimals, at "
                "most 2 decimals and 12 digits before the dot, no thousands separator)",
            ],
        ),
        (
            "annotations",
            "annotation_id,occurred_on,scope,scope_id,kind,text\n"
            "a-1,2026-01-05,team,,adoption,x\n"
            "a-2,2026-01-05,organisation,payments,release,x\n"
            "a-3,2026-01-05,service,payments,outage,x\n"
            "a-4,2026-01-05,squad,checkout-api,release,\n",
            [
                "line 2: scope_id is missing: scope team or service needs a team_id or service_id",
                "line 3: scope_id must be empty when scope is organisation",
                "line 4: kind 'outage' is not one of adoption, incident, organisation, release",
                "line 4: scope_id 'payments' is not a service in the warehouse",
                "line 5: scope 'squad' is not one of organisation, team, service",
                "line 5: text is missing",
            ],
        ),
        (
            "quality",
            "project_key,service_id,analysed_at,lines_to_cover,uncovered_lines,bugs,coverage,"
            "new_uncovered_lines,security_rating\n"
            "p,search,2026-01-14T12:00:00Z,200,300,-3,120,5,F\n"
            "p,search,2026-01-14T13:00:00+01:00,200,100,1.5,50,,A\n",
            [
                "line 2: bugs '-3' is negative",
                "line 2: coverage '120' is not a percentage from 0 to 100",
                "line 2: security_rating 'F' is not one of A, B, C, D, E",
                "line 2: uncovered_lines 300 is more than lines_to_cover 200",
                "line 2: new_uncovered_lines is given without new_lines_to_cover",
                "line 3: bugs '1.5' is not a whole number",
                "line 3: project_key 'p' with analysed_at '2026-01-14T13:00:00+01:00' repeats "
                "line 2",
            ],
        ),
    ],
)
def test_refused_files_name_the_line_and_the_fix(
    db: Path, kind: str, text: str, expected: list[str]
) -> None:
    assert refused(kind, text, db) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty: its first line must be the header"),
        (b"\xef\xbb\xbf\r\n\n", "the file is empty: its first line must be the header"),
        (
            f"{DEPLOY_HEADER}\nd-1,caf\xe9,x\n".encode("latin-1"),
            "line 2: not valid UTF-8 (byte 0xE9); save the file as UTF-8 (in Excel: Save As → "
            "CSV UTF-8)",
        ),
        (
            f"{DEPLOY_HEADER}\n".encode("utf-16"),
            "line 1: the file is UTF-16 (byte order mark 0xFF 0xFE); save it as UTF-8 (in "
            "Excel: Save As → CSV UTF-8)",
        ),
        (
            f"{DEPLOY_HEADER}\nd-1\n\nd\x00".encode(),
            "line 4: contains a NUL byte (0x00): this looks like a UTF-16 or binary file, not a "
            "UTF-8 CSV; save it as CSV UTF-8",
        ),
        (
            f"{DEPLOY_HEADER}\rd-1,checkout-api,production,2026-01-05T09:00:00Z,ok\r".encode(),
            "the file uses CR (classic Mac) line ends; save it with LF or CRLF line ends",
        ),
    ],
)
def test_encoding_mistakes_are_reported(db: Path, data: bytes, expected: str) -> None:
    assert refused("deployments", data, db) == [expected]


def test_times_without_offset_need_a_time_zone(db: Path) -> None:
    text = (
        f"{DEPLOY_HEADER}\n"
        "d-1,search,production,2026-01-05 10:00,ok\n"
        "d-2,search,production,2026-07-05T10:00:00,ok\n"
        "d-3,search,production,2026-07-05T10:00:00Z,ok\n"
    )
    assert refused("deployments", text, db, timezone="Mars/Olympus") == [
        "time zone 'Mars/Olympus' is unknown; use an IANA name such as UTC, Europe/Berlin or "
        "America/New_York"
    ]
    run("deployments", text, db, timezone="Europe/Berlin")
    # Berlin is UTC+1 in January and UTC+2 in July; a time with Z keeps its own offset
    assert query(db, "SELECT external_id, started_at FROM deployments ORDER BY 1") == [
        ("d-1", utc(2026, 1, 5, 9)),
        ("d-2", utc(2026, 7, 5, 8)),
        ("d-3", utc(2026, 7, 5, 10)),
    ]


# --- the command line -----------------------------------------------------------------------


def test_cli_prints_the_first_20_errors_then_how_many_more(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "".join(f"d-{i},nowhere,production,2026-01-05T09:00:00Z,ok\n" for i in range(25))
    path = tmp_path / "bad.csv"
    path.write_text(f"{DEPLOY_HEADER}\n{rows}", encoding="utf-8")
    before = contents(db, exclude=())
    assert main(["import", "deployments", str(path), "--db", str(db)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"error: {path} was not imported (25 errors; nothing was written):"
    assert err[1] == "line 2: service_id 'nowhere' is not a service in the warehouse"
    assert err[20] == "line 21: service_id 'nowhere' is not a service in the warehouse"
    assert err[21:] == ["and 5 more"]
    assert contents(db, exclude=()) == before


def test_cli_imports_and_reports_in_json(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "three.csv"
    path.write_text(THREE, encoding="utf-8")
    argv = ["import", "deployments", str(path), "--db", str(db), "--source", "ci-export"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "imported 3 deployments rows into deployments (source ci-export): 3 new, 0 changed, "
        "0 unchanged in "
    )
    assert out.splitlines()[1] == (
        "linked in the warehouse: 0 of 0 changes to the production deployment that shipped "
        "them, 0 of 0 incidents to the deployment that caused them"
    )
    assert main([*argv, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {k: report[k] for k in ("ok", "rows", "new", "changed", "unchanged", "source")} == {
        "ok": True,
        "rows": 3,
        "new": 0,
        "changed": 0,
        "unchanged": 3,
        "source": "ci-export",
    }
    path.write_text(THREE.replace("success", "maybe", 1), encoding="utf-8")
    assert main([*argv, "--format", "json"]) == 2
    assert json.loads(capsys.readouterr().out) == {
        "ok": False,
        "total": 1,
        "errors": [
            "line 2: status 'maybe' is not one of success, failure, cancelled (or succeeded, "
            "ok, failed, error, canceled, aborted, skipped …)"
        ],
    }


def test_cli_refuses_missing_files_and_warehouses(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["import", "incidents", str(missing), "--db", str(db)]) == 2
    assert capsys.readouterr().err.splitlines()[1] == f"{missing}: no such file"
    assert main(["import", "incidents", str(tmp_path), "--db", str(db)]) == 2
    assert capsys.readouterr().err.splitlines()[1] == f"{tmp_path} is a directory, not a CSV file"
    path = tmp_path / "x.csv"
    path.write_text(THREE, encoding="utf-8")
    assert main(["import", "deployments", str(path), "--db", str(tmp_path / "none.duckdb")]) == 2
    assert capsys.readouterr().err.startswith(f"error: No warehouse at {tmp_path / 'none.duckdb'}")


# --- the docs -------------------------------------------------------------------------------


def test_the_docs_list_every_column_and_sample() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for kind, spec in KINDS.items():
        assert f"## {kind}" in text.lower() or f"### {kind}" in text.lower(), kind
        for column in spec.columns:
            assert f"| `{column.name}` |" in text, (kind, column.name)
        assert spec.sample().strip() in text, f"the sample of {kind}"


# --- the Data sources page ------------------------------------------------------------------


def data_sources(db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv("TECHPULSE_DB", str(db))
    monkeypatch.setenv("TECHPULSE_SOURCES", str(tmp_path / "none.toml"))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/data-sources.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_page_shows_the_columns_of_the_chosen_kind(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = data_sources(db, monkeypatch, tmp_path)
    assert "Import a CSV file" in [s.value for s in app.subheader]
    assert app.file_uploader, "admins (everyone without login) may upload"
    app.selectbox(key="csv_import_kind").select("incidents").run()
    frame = next(t.value for t in app.table if "Meaning" in t.value.columns)  # the kind's columns
    assert list(frame.index) == [c.name for c in KINDS["incidents"].columns]
    assert frame.loc["resolved_at", "Required"] == "no"
    assert (
        frame.loc["severity", "Values"]
        == "one of SEV1, SEV2, SEV3, SEV4, unknown (default unknown)"
    )


def test_page_upload_imports_or_lists_the_rows_to_fix(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = data_sources(db, monkeypatch, tmp_path)
    bad = THREE.replace("d-3,search", "d-3,serch").encode()
    app.file_uploader(key="csv_import_file").set_value(("deploys.csv", bad, "text/csv")).run()
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.error[0].value.startswith("**deploys\\.csv was not imported**: 1 problem found.")
    problems = next(t.value for t in app.table if "Problem" in t.value.columns)
    assert problems.to_dict("index") == {
        "4": {
            "Problem": "service_id 'serch' is not a service in the warehouse (did you mean "
            "'search'?)"
        }
    }
    assert table_rows(app, "deployments") == 0
    app.file_uploader(key="csv_import_file").set_value(
        ("deploys.csv", THREE.encode(), "text/csv")
    ).run()
    app.button[0].click().run()
    assert app.success[0].value.startswith(
        "**deploys\\.csv**: imported 3 deployments rows into deployments \\(source csv\\)\\: 3 new"
    )
    assert table_rows(app, "deployments") == 3


def test_page_upload_needs_the_admin_role(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(auth, "may", lambda action: action != "sync")
    app = data_sources(db, monkeypatch, tmp_path)
    assert not app.file_uploader
    assert "Importing a file needs the admin role." in [c.value for c in app.caption]
    assert app.table, "the documented columns are shown to everyone"


def test_upload_function_never_raises(db: Path, tmp_path: Path) -> None:
    outcome = run_upload("deployments", b"\xff\xfe", "x.csv", db=db)
    assert (outcome.ok, outcome.total, outcome.errors) == (
        False,
        1,
        [
            {
                "line": 1,
                "problem": "the file is UTF-16 (byte order mark 0xFF 0xFE); save it as UTF-8 "
                "(in Excel: Save As → CSV UTF-8)",
            }
        ],
    )
    missing = run_upload("deployments", THREE.encode(), "x.csv", db=tmp_path / "none.duckdb")
    assert not missing.ok and missing.message.startswith("No warehouse at")


def test_unpadded_times_and_long_fractions_are_read(db: Path) -> None:
    """As other tools export them (seen converting DevLake's fixtures): no leading zeros, nine
    fraction digits, a naive time under --timezone. Berlin is UTC+1 on 5 January."""
    text = (
        f"{DEPLOY_HEADER}\n"
        "d-1,search,production,2026-1-5T9:05:00Z,ok\n"
        "d-2,search,production,2026-01-05 09:05:00.123456789+01:00,ok\n"
        "d-3,search,production,2026-1-5 9:05,ok\n"
    )
    run("deployments", text, db, timezone="Europe/Berlin")
    assert query(db, "SELECT external_id, started_at FROM deployments ORDER BY 1") == [
        ("d-1", utc(2026, 1, 5, 9, 5)),
        ("d-2", utc(2026, 1, 5, 8, 5, 0, 123456)),
        ("d-3", utc(2026, 1, 5, 8, 5)),
    ]


def test_commit_lists_link_changes_by_commit_not_by_time(db: Path) -> None:
    """d-1 shipped aaa1111 and bbb2222; d-2 shipped ccc3333. pr-b (bbb2222, merged 08:00 before
    d-1) links to d-1 by commit; pr-c (ccc3333, merged before d-1 too) waits for d-2 instead of
    taking d-1 by time; pr-x (a commit in no list) stays unlinked. A re-import changes nothing."""
    run(
        "deployments",
        f"{DEPLOY_HEADER},finished_at\n"
        "d-1,checkout-api,production,2026-01-05T09:00:00Z,success,2026-01-05T09:05:00Z\n"
        "d-2,checkout-api,production,2026-01-06T09:00:00Z,success,2026-01-06T09:05:00Z\n",
        db,
    )
    lists = "deployment_external_id,commit_sha\nd-1,aaa1111\nd-1,BBB2222\nd-2,ccc3333\n"
    result = run("deployment_commits", lists, db)
    assert (result.rows, result.new, result.changed) == (3, 3, 0)
    run(
        "changes",
        "external_id,service_id,commit_sha,merged_at\n"
        "pr-b,checkout-api,bbb2222,2026-01-05T08:00:00Z\n"
        "pr-c,checkout-api,ccc3333,2026-01-05T08:30:00Z\n"
        "pr-x,checkout-api,ddd4444,2026-01-05T08:45:00Z\n",
        db,
    )
    assert query(
        db, "SELECT external_id, deployment_external_id, link_method FROM changes ORDER BY 1"
    ) == [("pr-b", "d-1", "commit"), ("pr-c", "d-2", "commit"), ("pr-x", None, None)]
    again = run("deployment_commits", lists, db)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)
    assert refused(
        "deployment_commits", "deployment_external_id,commit_sha\nd-9,aaa1111\n", db
    ) == [
        "line 2: deployment_external_id 'd-9' is not a deployment of source csv in the "
        "warehouse; import the deployments first (with the same --source) or leave it empty"
    ]


def test_a_tool_without_severities_imports_as_unknown(db: Path) -> None:
    text = (
        "external_id,service_id,started_at,resolved_at\n"
        "INC-1,checkout-api,2026-01-05T10:00:00Z,2026-01-05T11:30:00Z\n"
    )
    run("incidents", text, db)
    with_column = "external_id,service_id,severity,started_at\nINC-2,search,,2026-01-05T12:00:00Z\n"
    run("incidents", with_column, db)
    run(
        "incidents",
        "external_id,service_id,severity,started_at\nINC-3,search,Unknown,2026-01-05T12:00:00Z\n",
        db,
    )
    assert query(db, "SELECT external_id, severity FROM incidents ORDER BY 1") == [
        ("INC-1", "unknown"),
        ("INC-2", "unknown"),
        ("INC-3", "unknown"),
    ]
