"""Discovery (issue 15) for the sources that list repositories, projects, services, components
and jobs: GitHub, GitLab, PagerDuty, Jira and Jenkins, each against its local fake answering
the documented listing API (pagination included). Nothing is mapped, nothing is written.

Every case has the same two services: ``checkout-api``, which the catalog maps through the
source's key, and ``ledger``, which nothing maps yet. Each source also knows one thing whose
words hold "ledger" (suggested for ``ledger`` with similarity 0.80: every word of one name
among the other's) and one thing like nothing: its difflib ratio to "checkout api" and to
"ledger" stays below 0.6 (the highest, "tools cleanup" ~ "checkout api", is 2·4 / 25 = 0.32).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.__main__ import main
from data.warehouse import write_snapshot
from tests.connector_helpers import set_token, write_sources
from tests.servers.github import FakeGitHub, FakeRepo
from tests.servers.gitlab import FakeGitLab, Project
from tests.servers.jenkins import FakeJenkins, Job
from tests.servers.jira import FakeJira, Issue
from tests.servers.pagerduty import FakePagerDuty
from tests.servers.warehouse import build_warehouse, contents

TOKEN_ENV = "DISCOVERY_TEST_TOKEN"
APPLY = (
    "Add each line to the service's [[services]] entry in config/catalog.toml and apply it "
    "(python -m data catalog apply config/catalog.toml --yes); nothing was mapped."
)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return build_warehouse(
        tmp_path / "w.duckdb", [("checkout-api", None, None), ("ledger", None, None)]
    )


def catalog(db: Path, column: str, value: str) -> None:
    with write_snapshot(db) as con:
        con.execute(
            f"UPDATE services SET {column} = $v WHERE service_id = 'checkout-api'", {"v": value}
        )


def discover(
    tmp_path: Path,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    section: str,
) -> list[str]:
    set_token(monkeypatch, TOKEN_ENV, "good-token")
    config = write_sources(tmp_path / "sources.toml", section)
    before = contents(db)
    code = main(["discover", "--config", str(config), "--db", str(db)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert contents(db) == before
    return captured.out.splitlines()


def test_github_lists_the_owners_repositories_by_page_without_archived_ones(
    tmp_path: Path,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """acme has 4 repositories, listed 2 a page (2 requests); checkout-api is mapped by its
    repo_url and old-site is archived, so 2 remain. The owner comes from the mapped one."""
    catalog(warehouse, "repo_url", "https://github.com/acme/checkout-api")
    repos = [
        FakeRepo("acme/checkout-api"),
        FakeRepo("acme/old-site", archived=True),
        FakeRepo("acme/payments-ledger"),
        FakeRepo("acme/zz-proto"),
    ]
    with FakeGitHub(repos, page_cap=2).running() as fake:
        section = (
            f'[sources.gh]\ntype = "github"\nurl = "{fake.url}"\nauth = "bearer"\n'
            f'token_env = "{TOKEN_ENV}"\n'
        )
        out = discover(tmp_path, warehouse, monkeypatch, capsys, section)
        listed = [(path, params.get("page")) for path, params, _ in fake.log if "/repos" in path]
    assert listed == [("/orgs/acme/repos", None), ("/orgs/acme/repos", "2")]
    assert out == [
        "gh: 2 GitHub repositories map to no service",
        "  acme/payments-ledger (payments-ledger) → ledger? (similarity 0.80): in its "
        '[[services]] entry, repo_url = "https://github.com/acme/payments-ledger"',
        "  acme/zz-proto (zz-proto): no similar service; declare one with repo_url = "
        '"https://github.com/acme/zz-proto"',
        APPLY,
    ]


def test_github_falls_back_to_a_users_repositories(
    tmp_path: Path,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """owners = ["mona"]: /orgs/mona/repos is 404 (mona is a user), /users/mona/repos lists."""
    repos = [FakeRepo("mona/ledger", user_owned=True)]
    with FakeGitHub(repos).running() as fake:
        section = (
            f'[sources.gh]\ntype = "github"\nurl = "{fake.url}"\nauth = "bearer"\n'
            f'token_env = "{TOKEN_ENV}"\nowners = ["mona"]\n'
        )
        out = discover(tmp_path, warehouse, monkeypatch, capsys, section)
        paths = [path for path, _, _ in fake.log]
    assert paths == ["/orgs/mona/repos", "/users/mona/repos"]
    assert out[:2] == [
        "gh: 1 GitHub repository maps to no service",
        "  mona/ledger (ledger) → ledger? (similarity 1.00): in its [[services]] entry, "
        'repo_url = "https://github.com/mona/ledger"',
    ]


def test_gitlab_lists_member_projects(
    tmp_path: Path,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Member projects 201 acme/checkout-api (the catalog's gitlab_project), 202 acme/ledger
    and 203 acme/zz-proto; 204 is not a member project, so not listed. Keyset pages of 2."""
    catalog(warehouse, "gitlab_project", "acme/checkout-api")
    projects = [
        Project(201, "acme/checkout-api"),
        Project(202, "acme/ledger"),
        Project(203, "acme/zz-proto"),
        Project(204, "other/ledger-tools", member=False),
    ]
    with FakeGitLab(projects).running() as fake:
        section = (
            f'[sources.gl]\ntype = "gitlab"\nurl = "{fake.url}"\nauth = "bearer"\n'
            f'token_env = "{TOKEN_ENV}"\npage_size = 2\n'
        )
        out = discover(tmp_path, warehouse, monkeypatch, capsys, section)
        after = [params.get("id_after") for path, params in fake.log if path == "/api/v4/projects"]
    assert after == [None, "202"]
    assert out == [
        "gl: 2 GitLab projects map to no service",
        "  acme/ledger → ledger? (similarity 0.80): in its [[services]] entry, "
        'gitlab_project = "acme/ledger"',
        '  acme/zz-proto: no similar service; declare one with gitlab_project = "acme/zz-proto"',
        APPLY,
    ]


def test_pagerduty_lists_the_accounts_services(
    tmp_path: Path,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Three services, 2 a page (offset 0 and 2); PCHK001 is the catalog's pagerduty_service."""
    catalog(warehouse, "pagerduty_service", "PCHK001")
    services = [
        ("PCHK001", "Checkout API"),
        ("PLED002", "Payments ledger"),
        ("PXYZ003", "Zeta cron"),
    ]
    fake_server = FakePagerDuty([], services=services, tokens={"good-token"})
    with fake_server.running() as fake:
        section = (
            f'[sources.pd]\ntype = "pagerduty"\nurl = "{fake.url}"\nauth = "bearer"\n'
            f'token_env = "{TOKEN_ENV}"\npage_size = 2\n'
        )
        out = discover(tmp_path, warehouse, monkeypatch, capsys, section)
        offsets = [r.get("offset") for r in fake.requests("/services")]
    assert offsets == ["0", "2"]
    assert out == [
        "pd: 2 PagerDuty services map to no service",
        "  PLED002 (Payments ledger) → ledger? (similarity 0.80): in its [[services]] entry, "
        'pagerduty_service = "PLED002"',
        '  PXYZ003 (Zeta cron): no similar service; declare one with pagerduty_service = "PXYZ003"',
        APPLY,
    ]


def at(day: int) -> datetime:
    return datetime(2026, 1, day, 9, tzinfo=UTC)


def test_jira_lists_the_components_of_the_jqls_projects(
    tmp_path: Path,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The JQL names project OPS; its components are checkout (the catalog's jira_component),
    ledger-core and Tools cleanup. WEB's component is not asked for."""
    catalog(warehouse, "jira_component", "checkout")
    issues = [
        Issue("OPS-1", "a", at(1), at(1), components=["checkout", "ledger-core"]),
        Issue("OPS-2", "b", at(2), at(2), components=["Tools cleanup"]),
        Issue("WEB-1", "c", at(3), at(3), components=["web-ledger"]),
    ]
    with FakeJira(issues).running() as fake:
        section = (
            f'[sources.jira]\ntype = "jira"\nurl = "{fake.url}"\nauth = "basic"\n'
            f'username = "ops@example.com"\ntoken_env = "{TOKEN_ENV}"\n'
            'jql = "project = OPS AND issuetype = Incident"\n'
        )
        out = discover(tmp_path, warehouse, monkeypatch, capsys, section)
        asked = [p for p in fake.paths() if "/project/" in p]
    assert asked == ["/rest/api/3/project/OPS/components"]
    assert out == [
        "jira: 2 Jira components map to no service",
        "  Tools cleanup (Tools cleanup in OPS): no similar service; declare one with "
        'jira_component = "Tools cleanup"',
        "  ledger-core (ledger-core in OPS) → ledger? (similarity 0.80): in its [[services]] "
        'entry, jira_component = "ledger-core"',
        APPLY,
    ]


def test_jenkins_lists_jobs_inside_folders(
    tmp_path: Path,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Jobs in folders two deep: deploy/checkout-api-prod (the catalog's jenkins_job),
    deploy/ledger/ledger-deploy and tools/cleanup; one request for the whole tree."""
    catalog(warehouse, "jenkins_job", "deploy/checkout-api-prod")
    jobs = [
        Job("deploy/checkout-api-prod"),
        Job("deploy/ledger/ledger-deploy"),
        Job("tools/cleanup"),
    ]
    with FakeJenkins(jobs).running() as fake:
        section = (
            f'[sources.ci]\ntype = "jenkins"\nurl = "{fake.url}"\nauth = "basic"\n'
            f'username = "deployer"\ntoken_env = "{TOKEN_ENV}"\n'
        )
        out = discover(tmp_path, warehouse, monkeypatch, capsys, section)
        assert [path for path, _ in fake.log] == ["/api/json"]
    assert out == [
        "ci: 2 Jenkins jobs map to no service",
        "  deploy/ledger/ledger-deploy → ledger? (similarity 0.80): in its [[services]] entry, "
        'jenkins_job = "deploy/ledger/ledger-deploy"',
        '  tools/cleanup: no similar service; declare one with jenkins_job = "tools/cleanup"',
        APPLY,
    ]


def sections(url: str) -> dict[str, str]:
    token = f'token_env = "{TOKEN_ENV}"\n'
    return {
        "github": f'[sources.s]\ntype = "github"\nurl = "{url}"\nauth = "bearer"\n{token}'
        'owners = ["acme"]\n',
        "gitlab": f'[sources.s]\ntype = "gitlab"\nurl = "{url}"\nauth = "bearer"\n{token}',
        "pagerduty": f'[sources.s]\ntype = "pagerduty"\nurl = "{url}"\nauth = "bearer"\n{token}',
        "jira": f'[sources.s]\ntype = "jira"\nurl = "{url}"\nauth = "basic"\n'
        f'username = "ops@example.com"\n{token}jql = "project = OPS"\n',
        "jenkins": f'[sources.s]\ntype = "jenkins"\nurl = "{url}"\nauth = "basic"\n'
        f'username = "deployer"\n{token}',
    }


FAKES = {
    "github": lambda: FakeGitHub([FakeRepo("acme/ledger")]),
    "gitlab": lambda: FakeGitLab([Project(202, "acme/ledger")]),
    "pagerduty": lambda: FakePagerDuty([], services=[("PLED002", "Ledger")], tokens={"good-token"}),
    "jira": lambda: FakeJira([Issue("OPS-1", "a", at(1), at(1), components=["ledger"])]),
    "jenkins": lambda: FakeJenkins([Job("deploy/ledger")]),
}


@pytest.mark.parametrize("kind", list(FAKES))
def test_a_wrong_token_is_one_line_without_the_token_and_nothing_changes(
    kind: str,
    tmp_path: Path,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each listing API refuses the token (401): discovery prints one error line that names
    the source and the token's origin ($DISCOVERY_TEST_TOKEN) and a fix, never the token; the
    exit code is 2 and the warehouse is unchanged."""
    secret = "wrong-token-5e3a9c"
    set_token(monkeypatch, TOKEN_ENV, secret)
    before = contents(warehouse)
    with FAKES[kind]().running() as fake:
        config = write_sources(tmp_path / "sources.toml", sections(fake.url)[kind])
        code = main(["discover", "--config", str(config), "--db", str(warehouse)])
    captured = capsys.readouterr()
    assert code == 2
    errors = captured.err.splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: s: "), errors
    assert "401" in errors[0] and f"${TOKEN_ENV}" in errors[0] and " — " in errors[0], errors[0]
    assert secret not in captured.out + captured.err
    assert contents(warehouse) == before
