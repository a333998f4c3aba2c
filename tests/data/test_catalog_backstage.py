"""Backstage descriptors as the catalog (issue 15): a tree of catalog-info.yaml files written
here, read into the same validated catalog as config/catalog.toml and applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.__main__ import main
from data.catalog.backstage import read_backstage
from data.catalog.model import CatalogError, Service, Team
from tests.servers.warehouse import query

GROUPS = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: commerce
spec:
  type: department
  profile:
    displayName: Commerce
    email: commerce-leads@example.com
  children: [payments]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  title: Payments team
spec:
  type: team
  parent: group:default/commerce
  children: []
"""

CHECKOUT = """\
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: checkout
spec:
  owner: group:payments
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
  title: Checkout API
  annotations:
    github.com/project-slug: acme/checkout-api
    sonarqube.org/project-key: acme_checkout-api
    pagerduty.com/service-id: PABC123
    jenkins.io/job-full-name: checkout/deploy
    techpulse.io/tier: tier-1
    techpulse.io/environments: production,staging
    techpulse.io/prometheus-selector: '{job="checkout-api"}'
spec:
  type: service
  lifecycle: production
  system: checkout
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: checkout-openapi
spec:
  type: openapi
  owner: payments
"""

LEDGER = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger
  annotations:
    backstage.io/source-location: url:https://git.example.com/acme/ledger/
    gitlab.com/project-slug: acme/ledger
spec:
  type: service
  lifecycle: experimental
  owner: payments
"""


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_groups_systems_and_components_become_the_catalog(tmp_path: Path) -> None:
    root = tree(
        tmp_path / "repos",
        {
            "org/catalog-info.yaml": GROUPS,
            "checkout/catalog-info.yaml": CHECKOUT,
            "ledger/catalog-info.yml": LEDGER,
            "ledger/docs/other.yaml": "kind: Component\nmetadata: {name: ignored}\n",
        },
    )
    catalog = read_backstage(root)
    assert catalog.teams == (
        Team("commerce", "Commerce", owner_group="commerce-leads@example.com"),
        Team("payments", "Payments team", parent_team_id="commerce"),
    )
    assert catalog.services == (
        Service(
            "checkout-api",
            "payments",  # from its system's owner
            "Checkout API",
            tier="tier-1",
            lifecycle="production",
            environments="production,staging",
            repo_url="https://github.com/acme/checkout-api",
            prometheus_selector='{job="checkout-api"}',
            sonar_project_key="acme_checkout-api",
            jenkins_job="checkout/deploy",
            pagerduty_service="PABC123",
        ),
        Service(
            "ledger",
            "payments",
            "ledger",
            lifecycle="experimental",
            repo_url="https://git.example.com/acme/ledger",
            gitlab_project="acme/ledger",
        ),
    )


def test_a_tree_applies_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path / "repos", {"a/catalog-info.yaml": GROUPS, "b/catalog-info.yaml": LEDGER})
    db = tmp_path / "w.duckdb"
    assert main(["init", "--db", str(db)]) == 0
    assert main(["catalog", "apply", str(root), "--db", str(db), "--yes"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"applied to {db}"
    assert query(db, "SELECT service_id, team_id, lifecycle FROM services") == [
        ("ledger", "payments", "experimental")
    ]


def test_a_person_as_owner_and_bad_yaml_are_refused_with_file_and_line(tmp_path: Path) -> None:
    person = LEDGER.replace("owner: payments", "owner: user:default/jane.doe")
    root = tree(
        tmp_path / "repos",
        {
            "a/catalog-info.yaml": GROUPS,
            "b/catalog-info.yaml": person,
            "c/catalog-info.yaml": "kind: Component\nmetadata: [unclosed\n",
        },
    )
    with pytest.raises(CatalogError) as caught:
        read_backstage(root)
    texts = [p.text() for p in caught.value.problems]
    b, c = root / "b" / "catalog-info.yaml", root / "c" / "catalog-info.yaml"
    assert texts[0] == (
        f"line 1: {b}: component ledger: owner 'user:default/jane.doe' is not a group; "
        "TechPulse measures teams, never a person — name the owning group"
    )
    assert texts[1].startswith(f"line 3: {c}: not valid YAML (")
    assert len(texts) == 2


def test_an_empty_folder_says_what_it_looked_for(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        read_backstage(tmp_path)
    assert caught.value.problems[0].text() == f"no catalog-info.yaml under {tmp_path}"
