"""Your own organisation from nothing (issue 15): `python -m data init` makes an empty
warehouse, `python -m data catalog apply` declares teams and services from config/catalog.toml
with a reviewable diff, and a CSV import fills it. No demo row anywhere."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest

from connectors.__main__ import main as connectors_main
from connectors.csv.importer import import_csv
from data.__main__ import main
from data.catalog.apply import apply
from data.catalog.model import CatalogError
from data.catalog.tomlfile import parse_catalog, read_catalog
from data.warehouse import open_reader
from metrics.core.catalog import services, validate_scope
from metrics.core.filters import Filters
from metrics.core.scorecard import records, scorecard
from metrics.core.targets import load_targets
from tests.servers.warehouse import query

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "catalog.example.toml"

CATALOG = """\
[[teams]]
id = "commerce"
name = "Commerce"
owner_group = "commerce-leads@example.com"

[[teams]]
id = "payments"
name = "Payments"
parent = "commerce"

[[services]]
id = "checkout-api"
name = "Checkout API"
team = "payments"
tier = "TIER-1"
environments = ["Production", "staging", "production"]
repo_url = "https://github.com/acme/checkout-api"

[[services]]
id = "ledger"
name = "Ledger"
team = "payments"
"""


def import_ledger_deployment(db: Path) -> None:
    """One successful production deployment of ledger (d-1, 2026-01-05), through the CSV
    import as a user would."""
    import_csv(
        "deployments",
        b"external_id,service_id,environment,started_at,status,finished_at\n"
        b"d-1,ledger,production,2026-01-05T09:00:00Z,success,2026-01-05T09:05:00Z\n",
        db=db,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    db = tmp_path / "org" / "w.duckdb"  # the folder does not exist yet
    code, out, _ = cli(capsys, "init", "--db", str(db))
    assert code == 0 and out.startswith(f"{db}: created an empty warehouse (schema v9)")
    return db


def test_init_creates_an_empty_warehouse_once(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    con = duckdb.connect(str(empty), read_only=True)
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    rows = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    con.close()
    assert rows.pop("schema_migrations") == 9
    assert set(rows.values()) == {0} and {"teams", "services", "deployments"} <= set(rows)
    before = digest(empty)
    code, out, _ = cli(capsys, "init", "--db", str(empty))
    assert (code, out) == (0, f"{empty}: already a TechPulse warehouse; nothing changed\n")
    assert digest(empty) == before


def test_init_refuses_a_foreign_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "crm.duckdb"
    duckdb.connect(str(foreign)).execute("CREATE TABLE customers (id INT)").close()
    before = digest(foreign)
    code, _, err = cli(capsys, "init", "--db", str(foreign))
    assert code == 2 and "not a TechPulse warehouse" in err
    assert digest(foreign) == before


def test_a_dry_run_writes_nothing_and_yes_writes_the_catalog(
    empty: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "catalog.toml"
    file.write_text(CATALOG, encoding="utf-8")
    before = digest(empty)
    code, out, _ = cli(capsys, "catalog", "apply", str(file), "--db", str(empty))
    assert code == 0 and digest(empty) == before
    assert out.splitlines() == [
        "teams: 2 added, 0 changed, 0 retired, 0 returned",
        "  + team commerce",
        "  + team payments",
        "services: 2 added, 0 changed, 0 retired, 0 returned",
        "  + service checkout-api",
        "  + service ledger",
        "dry run: nothing was written; run again with --yes to apply",
    ]
    code, out, _ = cli(capsys, "catalog", "apply", str(file), "--db", str(empty), "--yes")
    assert code == 0 and out.splitlines()[-1] == f"applied to {empty}"
    assert query(
        empty, "SELECT team_id, name, parent_team_id, owner_group, retired_on FROM teams ORDER BY 1"
    ) == [
        ("commerce", "Commerce", None, "commerce-leads@example.com", None),
        ("payments", "Payments", "commerce", None, None),
    ]
    # tier lower-cased; environments lower-cased, de-duplicated, in file order; defaults filled
    assert query(
        empty,
        "SELECT service_id, team_id, tier, lifecycle, environments, repo_url FROM services"
        " ORDER BY 1",
    ) == [
        (
            "checkout-api",
            "payments",
            "tier-1",
            "production",
            "production,staging",
            "https://github.com/acme/checkout-api",
        ),
        ("ledger", "payments", "tier-2", "production", None, None),
    ]
    code, out, _ = cli(capsys, "catalog", "apply", str(file), "--db", str(empty), "--yes")
    assert out.splitlines()[-1] == "the warehouse already matches the catalog; nothing to do"


def test_change_retire_and_return_keep_history(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apply(parse_catalog(CATALOG), empty)
    # history for ledger, through the product's own CSV import
    import_csv(
        "deployments",
        b"external_id,service_id,environment,started_at,status\nd-1,ledger,production,2026-01-05T09:00:00Z,success\n",
        db=empty,
    )
    without_ledger = CATALOG.split('[[services]]\nid = "ledger"')[0].replace(
        'name = "Payments"', 'name = "Payments & Billing"'
    )
    plan = apply(parse_catalog(without_ledger), empty, today=dt.date(2026, 12, 1))
    assert plan.lines() == [
        "teams: 0 added, 1 changed, 0 retired, 0 returned",
        "  ~ team payments: name: 'Payments' → 'Payments & Billing'",
        "services: 0 added, 0 changed, 1 retired, 0 returned",
        "  - service ledger (retired; its history stays)",
    ]
    assert query(empty, "SELECT service_id, retired_on FROM services ORDER BY 1") == [
        ("checkout-api", None),
        ("ledger", dt.date(2026, 12, 1)),
    ]
    assert query(empty, "SELECT external_id, service_id FROM deployments") == [("d-1", "ledger")]
    plan = apply(parse_catalog(CATALOG), empty)
    assert plan.returned["services"] == ["ledger"]
    assert query(empty, "SELECT retired_on FROM services WHERE service_id = 'ledger'") == [(None,)]


BAD = """\
[[teams]]
id = "Payments"
name = "Payments"

[[teams]]
id = "a"
name = "A"
parent = "b"

[[teams]]
id = "b"
name = "B"
parent = "a"

[[services]]
id = "checkout-api"
name = "Checkout"
team = "growth"
tier = "gold"

[[services]]
id = "checkout-api"
team = "a"
owner = "jane"
"""


def test_every_problem_is_listed_with_its_line_and_nothing_is_written(
    empty: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(BAD)
    assert [p.text() for p in caught.value.problems] == [
        "line 1: team 'Payments': id 'Payments' is not an id: lower-case letters, digits, '.', "
        "'_' or '-', up to 64, e.g. checkout-api",
        "line 5: team a: its parents form a cycle through 'a'",
        "line 10: team b: its parents form a cycle through 'b'",
        "line 15: service checkout-api: tier 'gold' is not one of tier-1, tier-2, tier-3",
        "line 21: service 'checkout-api': name is required",
        "line 21: service 'checkout-api': unknown key(s) owner; known: id, team, name, tier, "
        "lifecycle, environments, repo_url, prometheus_selector, sonar_project_key, "
        "gitlab_project, jenkins_job, pagerduty_service, jira_component, renamed_from",
    ]
    file = tmp_path / "bad.toml"
    file.write_text(BAD, encoding="utf-8")
    before = digest(empty)
    code, _, err = cli(capsys, "catalog", "apply", str(file), "--db", str(empty), "--yes")
    assert (
        code == 2
        and err.splitlines()[-1] == f"{file}: nothing was written; fix the file and run again"
    )
    assert digest(empty) == before


def test_bad_toml_names_its_line() -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog('[[teams]]\nid = "a"\nname = "A\n')
    assert caught.value.problems[0].line == 3


def test_the_example_file_is_valid(tmp_path: Path) -> None:
    catalog = read_catalog(EXAMPLE)
    assert [t.team_id for t in catalog.teams] == ["commerce", "payments"]
    assert [s.service_id for s in catalog.services] == ["checkout-api"]


def test_a_missing_file_says_how_to_start(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        read_catalog(tmp_path / "nope.toml")
    assert "copy config/catalog.example.toml" in caught.value.problems[0].text()


def test_from_nothing_to_a_kpi(
    empty: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """init → catalog → CSV import → scorecard: 4 successful deployments (the failed one does not
    count) of the one deployable service over the 2 weeks 2026-01-01..14 = 4 / 1 / 2 = 2.0 per
    service per week; the demo is nowhere."""
    apply(parse_catalog(CATALOG), empty)

    rows = "".join(
        f"d-{i},checkout-api,production,2026-01-{day:02d}T09:00:00Z,{status},"
        f"2026-01-{day:02d}T09:05:00Z\n"
        for i, (day, status) in enumerate(
            [(2, "success"), (5, "success"), (6, "failure"), (9, "success"), (13, "success")]
        )
    )
    import_csv(
        "deployments",
        ("external_id,service_id,environment,started_at,status,finished_at\n" + rows).encode(),
        db=empty,
    )
    con = open_reader(empty)
    card = {
        r["kpi"]: r
        for r in records(
            scorecard(con, Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14)), load_targets())
        )
    }
    assert card["deployment_frequency"]["value"] == pytest.approx(2.0)
    assert con.execute("SELECT count(*) FROM sync_runs WHERE source = 'demo'").fetchone() == (0,)


def test_a_rename_moves_the_history(empty: Path) -> None:
    """ledger becomes general-ledger: its deployment, its derived rows and its annotation move
    with it; nothing is retired; the scorecard of the new id counts the old deployment."""
    apply(parse_catalog(CATALOG), empty)
    import_ledger_deployment(empty)
    import_csv(
        "annotations",
        b"annotation_id,occurred_on,scope,scope_id,kind,text\n"
        b"a-1,2026-01-05,service,ledger,release,Ledger v2\n",
        db=empty,
    )
    renamed = CATALOG.replace(
        'id = "ledger"\nname = "Ledger"',
        'id = "general-ledger"\nname = "Ledger"\nrenamed_from = "ledger"',
    )
    plan = apply(parse_catalog(renamed), empty)
    assert plan.lines()[:2] == [
        "renamed: 1",
        "  ⇒ service ledger renamed to general-ledger (its history moves with it)",
    ]
    assert plan.retired["services"] == [] and plan.added["services"] == []
    assert query(empty, "SELECT service_id FROM services ORDER BY 1") == [
        ("checkout-api",),
        ("general-ledger",),
    ]
    assert query(empty, "SELECT external_id, service_id FROM deployments") == [
        ("d-1", "general-ledger")
    ]
    assert query(empty, "SELECT service_id FROM deployment_outcomes") == [("general-ledger",)]
    assert query(empty, "SELECT scope_id FROM annotations") == [("general-ledger",)]
    again = apply(parse_catalog(renamed), empty)
    assert again.empty  # applied once: the rename is done


def test_renamed_from_a_listed_service_is_refused() -> None:
    """CATALOG is 22 lines; a blank line, then the new [[services]] header on line 24."""
    both = (
        CATALOG
        + '\n[[services]]\nid = "ledger-2"\nname = "L2"\nteam = "payments"\n'
        + 'renamed_from = "ledger"\n'
    )
    with pytest.raises(CatalogError) as caught:
        parse_catalog(both)
    assert [p.text() for p in caught.value.problems] == [
        "line 24: service ledger-2: renamed_from 'ledger' is still listed as a service; remove "
        "that entry (its history moves here)"
    ]


def test_teams_and_services_from_csv_add_without_retiring(
    empty: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A spreadsheet of one team's services: added to the catalog already there, nothing
    retired; a row naming an unknown team is refused with its line, nothing written."""

    apply(parse_catalog(CATALOG), empty)
    teams = tmp_path / "teams.csv"
    teams.write_text("id,name,parent\ngrowth,Growth,commerce\n", encoding="utf-8")
    services = tmp_path / "services.csv"
    services.write_text(
        "id,name,team,tier,environments\n"
        'search,Search,growth,tier-1,"production;staging"\n'
        "ledger,Ledger v2,payments,,\n",
        encoding="utf-8",
    )
    assert connectors_main(["import", "teams", str(teams), "--db", str(empty)]) == 0
    assert connectors_main(["import", "services", str(services), "--db", str(empty)]) == 0
    out = capsys.readouterr().out
    assert "  ~ service ledger: name: 'Ledger' → 'Ledger v2'" in out
    assert query(
        empty, "SELECT service_id, team_id, tier, environments, retired_on FROM services ORDER BY 1"
    ) == [
        ("checkout-api", "payments", "tier-1", "production,staging", None),
        ("ledger", "payments", "tier-2", None, None),
        ("search", "growth", "tier-1", "production,staging", None),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,team\nbilling,Billing,finance\n", encoding="utf-8")
    before = digest(empty)
    assert connectors_main(["import", "services", str(bad), "--db", str(empty)]) == 2
    err = capsys.readouterr().err
    assert (
        err.splitlines()[0]
        == "error: line 2: service billing: team 'finance' is not declared in [[teams]]"
    )
    assert digest(empty) == before
    assert connectors_main(["import", "teams", str(services), "--db", str(empty)]) == 2
    assert "holds services (a team column means services), not teams" in capsys.readouterr().err


def test_a_retired_service_leaves_current_lists_but_keeps_its_past(empty: Path) -> None:
    """ledger retired: not among the services offered by the filters, its deployment still
    counts for team payments, and a deep link to it still resolves."""

    apply(parse_catalog(CATALOG), empty)
    import_ledger_deployment(empty)
    apply(parse_catalog(CATALOG.split('[[services]]\nid = "ledger"')[0]), empty)
    con = open_reader(empty)
    assert services(con)["service_id"].tolist() == ["checkout-api"]
    assert sorted(services(con, include_retired=True)["service_id"]) == ["checkout-api", "ledger"]
    validate_scope(con, Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14), service="ledger"))
    validate_scope(con, Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14), team="payments"))
    assert query(empty, "SELECT count(*) FROM deployment_outcomes WHERE service_id = 'ledger'") == [
        (1,)
    ]
