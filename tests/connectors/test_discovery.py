"""Discovery (issue 15): what SonarQube and Prometheus know that maps to no service, with a
suggested catalog line; nothing is mapped, nothing is written. Against the SonarQube fake and
a server answering Prometheus' documented label-values API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.__main__ import main
from tests.connector_helpers import set_token, write_sources
from tests.servers.scripted import scripted_server
from tests.servers.sonar import FakeSonar, Project
from tests.servers.warehouse import build_warehouse, contents

TOKEN_ENV = "SONAR_DISCOVER_TOKEN"


def label_values(
    path: str, params: dict[str, str], headers: dict[str, str]
) -> tuple[int, dict[str, str], str]:
    if path != "/api/v1/label/job/values":
        return 404, {}, "404 page not found"
    body = {"status": "success", "data": ["checkout-api", "node-exporter", "payments-ledger"]}
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


def test_discover_lists_unmapped_things_with_suggestions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Services: checkout-api (Sonar key acme:checkout, selector {job="checkout-api"}) and
    ledger. Sonar also has acme:ledger ("Ledger", similar to the service ledger) and acme:zz
    ("Prototype", like nothing); Prometheus also has node-exporter and payments-ledger.
    Similarities: "Ledger" = "ledger" → 1.00; "payments ledger" holds every word of "ledger"
    → 0.80 (its difflib ratio alone is 2·6 / (15 + 6) = 0.57); "prototype", "acme zz" and
    "node exporter" share no word with a service and no ratio reaches 0.6 (the closest, "node
    exporter" ~ "ledger", matches 3 letters, "d" and "er", of 19: 2·3 / 19 = 0.32)."""
    set_token(monkeypatch, TOKEN_ENV, "good-token")
    monkeypatch.setenv("TECHPULSE_SECRETS", "/nonexistent/secrets.toml")
    db = build_warehouse(
        tmp_path / "w.duckdb",
        [("checkout-api", "acme:checkout", '{job="checkout-api"}'), ("ledger", None, None)],
    )
    before = contents(db)
    sonar = FakeSonar(
        [
            Project("acme:checkout", name="Checkout API"),
            Project("acme:ledger", name="Ledger"),
            Project("acme:zz", name="Prototype"),
        ]
    )
    with sonar.running() as fake, scripted_server(label_values) as (prom_url, _):
        config = write_sources(
            tmp_path / "sources.toml",
            f'[sources.sonar]\ntype = "sonarqube"\nurl = "{fake.url}"\nauth = "bearer"\n'
            f'token_env = "{TOKEN_ENV}"\n\n'
            f'[sources.prom]\ntype = "prometheus"\nurl = "{prom_url}"\n',
        )
        code = main(["discover", "--config", str(config), "--db", str(db)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [
        "sonar: 2 SonarQube projects map to no service",
        "  acme:ledger (Ledger) → ledger? (similarity 1.00): in its [[services]] entry, "
        'sonar_project_key = "acme:ledger"',
        '  acme:zz (Prototype): no similar service; declare one with sonar_project_key = "acme:zz"',
        "prom: 2 Prometheus jobs map to no service",
        "  node-exporter: no similar service; declare one with prometheus_selector = "
        "'{job=\"node-exporter\"}'",
        "  payments-ledger → ledger? (similarity 0.80): in its [[services]] entry, "
        "prometheus_selector = '{job=\"payments-ledger\"}'",
        "Add each line to the service's [[services]] entry in config/catalog.toml and apply it "
        "(python -m data catalog apply config/catalog.toml --yes); nothing was mapped.",
    ]
    assert contents(db) == before


def test_a_failing_source_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = build_warehouse(tmp_path / "w.duckdb", [("a1", None, None)])
    config = write_sources(
        tmp_path / "sources.toml",
        '[sources.prom]\ntype = "prometheus"\nurl = "http://127.0.0.1:9"\n',
    )
    assert main(["discover", "--config", str(config), "--db", str(db)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: prom: cannot reach http://127.0.0.1:9"), err


def test_every_connector_names_what_it_found_in_both_languages() -> None:
    """Each source's Found.what (the second argument where it builds a Found) has a singular
    and plural entry, so discover's lines and the Data sources list never show a bare noun."""
    import re
    from pathlib import Path

    import i18n
    from connectors.core.base import FOUND_NOUNS, Found

    sources = Path(__file__).resolve().parents[2] / "connectors" / "sources"
    said = {
        m.group(1)
        for path in sources.rglob("*.py")
        for m in re.finditer(r'Found\(\s*self\.name,\s*"([^"]+)"', path.read_text("utf-8"))
    }
    assert len(said) == 7 and said <= set(FOUND_NOUNS)
    found = Found("gh", "GitHub repository", "acme/x", "x", "repo_url", "…")
    assert (found.noun(), found.noun(3)) == ("GitHub repository", "GitHub repositories")
    with i18n.using("zh-CN"):
        assert found.noun(3) == "GitHub 仓库"
