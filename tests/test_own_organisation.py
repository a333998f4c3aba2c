"""Your own organisation end to end (issue 15), with no demo row anywhere.

`python -m data init` → the catalog from a Backstage tree written here (team ``pay``; services
a1 and b1 with their GitHub slugs, Sonar keys and, for a1, a Prometheus selector) → sync from a
REAL Prometheus (the known history of tests/connectors/test_prometheus.py), the GitHub and
PagerDuty fakes (the scenario of tests/connectors/test_delivery_from_sources.py) and the
SonarQube fake → the pages show the synced organisation.

Hand-computed figures, 2026-01-01 … 2026-01-14, production:

* DORA (see test_delivery_from_sources): 1.25 deployments per service per week, lead time
  26.5 h, change failure rate 40 %, recovery 2.5 h;
* service levels (see test_prometheus): a1 on 5 January, H1–H3: 12,000 requests, 60 errors →
  availability 99.5 %, error rate 0.5 %, P95 130 ms; b1 has no selector, so no samples;
* coverage (SonarQube's formula on summed counts): acme:a1 analysed 3 January with 100 lines
  (20 uncovered) and 10 conditions (5 uncovered) → 85 covered of 110; acme:b1 analysed 7
  January with 300 lines (30 uncovered) → 270 of 300; together 355 / 410 = 86.59 %.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.core.config import load_config
from connectors.sync import sync
from data.__main__ import main as data_main
from data.warehouse import open_reader
from metrics.core.filters import Filters
from metrics.core.scorecard import records, scorecard
from metrics.core.targets import load_targets
from tests.connectors.test_connector_contract import toml_source
from tests.connectors.test_delivery_from_sources import (
    PERIOD,
    TOKEN,
    UNTIL,
    github_repos,
    pagerduty_incidents,
)
from tests.connectors.test_prometheus import history
from tests.servers.github import FakeGitHub
from tests.servers.pagerduty import FakePagerDuty
from tests.servers.postgres import postgres_server
from tests.servers.prometheus import prometheus_server
from tests.servers.sonar import Analysis, FakeSonar, Project
from tests.servers.warehouse import query
from tests.ui.test_app import _real_navigation, run_app  # noqa: F401  (autouse fixture)

SONAR_A1 = {"lines_to_cover": "100", "uncovered_lines": "20", "conditions_to_cover": "10",
            "uncovered_conditions": "5", "alert_status": "OK"}  # fmt: skip
SONAR_B1 = {"lines_to_cover": "300", "uncovered_lines": "30", "conditions_to_cover": "0",
            "uncovered_conditions": "0", "alert_status": "OK"}  # fmt: skip


def component(name: str, annotations: dict[str, str]) -> str:
    notes = "".join(f"    {k}: '{v}'\n" for k, v in annotations.items())
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata:\n  name: {name}\n  annotations:\n{notes}"
        "spec:\n  type: service\n  lifecycle: production\n  owner: group:default/pay\n"
    )


def backstage_tree(root: Path) -> Path:
    files = {
        "org/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Group\n"
        "metadata:\n  name: pay\nspec:\n  type: team\n  profile:\n    displayName: Payments\n",
        "a1/catalog-info.yaml": component(
            "a1",
            {
                "github.com/project-slug": "acme/a1",
                "sonarqube.org/project-key": "acme:a1",
                "techpulse.io/prometheus-selector": '{job="a1"}',
                "pagerduty.com/service-id": "PA1",
            },
        ),
        "b1/catalog-info.yaml": component(
            "b1",
            {
                "github.com/project-slug": "acme/b1",
                "sonarqube.org/project-key": "acme:b1",
                "pagerduty.com/service-id": "PB1",
            },
        ),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module", params=["ducklake-sqlite", "file", "ducklake-postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The embedded default's form (a DuckLake on one SQLite catalog file, its Parquet files
    beside it, no data path set), the older single warehouse file, and DuckLake on a real
    PostgreSQL catalog with its files in a local folder (issue 16): every test runs on each."""
    folder = tmp_path_factory.mktemp("acme-store")
    if request.param == "file":
        yield folder / "acme.duckdb"
        return
    if request.param == "ducklake-sqlite":
        with pytest.MonkeyPatch.context() as env:
            env.delenv("TECHPULSE_DATA_PATH", raising=False)
            env.delenv("TECHPULSE_STATE_DIR", raising=False)
            yield Path(f"ducklake:sqlite:{folder / 'techpulse.sqlite'}")
        return
    with postgres_server() as dsn, pytest.MonkeyPatch.context() as env:
        env.setenv("TECHPULSE_DATA_PATH", str(folder / "lake-files"))
        env.setenv("TECHPULSE_STATE_DIR", str(folder))
        yield Path(f"ducklake:postgres:{dsn}")


@pytest.fixture(scope="module")
def organisation(backend: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("acme")
    db = backend
    assert data_main(["init", "--db", str(db)]) == 0
    tree = backstage_tree(folder / "repos")
    assert data_main(["catalog", "apply", str(tree), "--db", str(db), "--yes"]) == 0
    sonar = FakeSonar(
        [
            Project("acme:a1", [Analysis(datetime(2026, 1, 3, 9, tzinfo=UTC), SONAR_A1)]),
            Project("acme:b1", [Analysis(datetime(2026, 1, 7, 9, tzinfo=UTC), SONAR_B1)]),
        ],
        tokens={TOKEN},
    )
    with pytest.MonkeyPatch.context() as env, ExitStack() as stack:
        env.setenv("E2E_TOKEN", TOKEN)
        env.setenv("TECHPULSE_SECRETS", "/nonexistent/secrets.toml")
        prom = stack.enter_context(prometheus_server(folder / "prometheus", history()))
        github = stack.enter_context(FakeGitHub(github_repos(), tokens={TOKEN}).running())
        pagerduty = stack.enter_context(
            FakePagerDuty(pagerduty_incidents(), tokens={TOKEN}).running()
        )
        sonar_url = stack.enter_context(sonar.running()).url
        auth = {"auth": "bearer", "token_env": "E2E_TOKEN"}
        tables = {
            "prom": {"type": "prometheus", "url": prom},
            "github": {"type": "github", "url": github.url, **auth},
            "pagerduty": {
                "type": "pagerduty",
                "url": pagerduty.url,
                "lookback_days": 30,  # services map through the catalog's PagerDuty ids
                **auth,
            },
            "sonar": {"type": "sonarqube", "url": sonar_url, **auth},
        }
        config = folder / "sources.toml"
        config.write_text("".join(toml_source(n, t) for n, t in tables.items()), encoding="utf-8")
        sources = load_config(config)
        metrics_day = datetime(2026, 1, 5, 3, 10, tzinfo=UTC)
        since = datetime(2026, 1, 5, tzinfo=UTC)
        first = sync(
            sources, db=db, names=["prom"], since=since, until=metrics_day, sleep=lambda _s: None
        )
        rest = sync(
            sources,
            db=db,
            names=["github", "pagerduty", "sonar"],
            until=UNTIL,
            sleep=lambda _s: None,
        )
    assert first.ok and rest.ok, [r.error for r in (*first.results, *rest.results)]
    return db


def test_no_demo_row_and_every_source_landed(organisation: Path) -> None:
    assert query(organisation, "SELECT count(*) FROM sync_runs WHERE source = 'demo'") == [(0,)]
    assert query(organisation, "SELECT team_id, name FROM teams") == [("pay", "Payments")]
    assert query(organisation, "SELECT DISTINCT source FROM sync_runs ORDER BY 1") == [
        ("github",),
        ("pagerduty",),
        ("prom",),
        ("sonar",),
    ]


def test_the_scorecard_has_the_hand_computed_figures(organisation: Path) -> None:
    con = open_reader(organisation)
    period = Filters(start=date(2026, 1, 1), end=date(2026, 1, 14))
    rows = {r["kpi"]: r["value"] for r in records(scorecard(con, period, load_targets()))}
    assert rows["deployment_frequency"] == pytest.approx(1.25)
    assert rows["lead_time"] == pytest.approx(26.5)
    assert rows["change_failure_rate"] == pytest.approx(40.0)
    assert rows["time_to_restore"] == pytest.approx(2.5)
    assert rows["availability"] == pytest.approx(99.5)
    assert rows["error_rate"] == pytest.approx(0.5)
    assert rows["p95_latency"] == pytest.approx(130.0)
    assert rows["coverage"] == pytest.approx(100 * 355 / 410)


def test_every_page_shows_the_organisation(
    organisation: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_app(organisation, monkeypatch, **PERIOD)
    shown = {m.label: m.value for m in app.metric}
    assert shown["Availability"] == "99.500 %", json.dumps(shown)
    assert shown["Deployment frequency (per service)"] == "1.25 per week", json.dumps(shown)
    for page in ("delivery", "reliability", "quality", "incidents", "export", "data-sources"):
        app.switch_page(f"pages/{page}.py").run()
        assert not app.exception, (page, [e.value for e in app.exception])
        assert not any("no data" in i.value.lower() for i in app.info), page
    app.switch_page("pages/quality.py").run()
    assert {m.label: m.value for m in app.metric}["Test coverage"] == "86.6 %"


def test_coverage_says_what_each_service_lacks(organisation: Path) -> None:
    from metrics.core.coverage import coverage

    frame = coverage(open_reader(organisation))
    lacking = dict(zip(frame["service_id"], frame["missing"], strict=True))
    assert lacking["a1"] == ""
    assert lacking["b1"].startswith("Service levels (availability, P95, errors): Prometheus")
