"""A warehouse filled only from connectors shows correct DORA figures on the Delivery page.

The warehouse starts with nothing but a service catalogue: team ``pay`` owning ``a1`` and
``b1`` (repositories ``acme/a1`` and ``acme/b1`` in ``services.repo_url``). Then GitHub (fake
REST API: deployments, statuses, compare, pull requests) and PagerDuty (fake REST v2:
incidents, log entries) are synced with the real CLI code path; the linker joins them.

GitHub, production deployments (created → final status, UTC, January 2026):

======  ====  ======  ======================  =========  ==========================
id      repo  commit  finished                status     compare with previous success
======  ====  ======  ======================  =========  ==========================
301     a1    c2      03 10:30                success    first: no compare
302     a1    c4      06 10:20                failure    —
303     a1    c4      06 14:30                success    c2...c4 → c3, c4
304     a1    c6      10 09:30                success    c4...c6 → c5, c6
305     a1    c6      09 12:00 (staging)      success    not production
401     b1    d2      05 10:10                success    first: no compare
402     b1    d3      12 10:10                success    d2...d3 → d3
======  ====  ======  ======================  =========  ==========================

Merged pull requests → shipping deployment → lead time (first commit → deployment finish):

* a1#1 merge c2, first commit 02 08:00 → 301 by ``sha`` (301 lists no commits) → 26.5 h
* a1#2 merge c3, first commit 04 09:00 → 303 by ``commit`` → 53.5 h
* a1#3 merge c4, first commit 05 12:00 → 303 by ``commit`` → 26.5 h
* a1#4 merge c6, first commit 08 10:00 → 304 by ``commit`` → 47.5 h
* b1#1 merge d2, first commit 04 10:00 → 401 by ``sha`` → 24 h 10 min
* b1#2 merge d3, first commit 11 10:00 → 402 by ``commit`` → 24 h 10 min

PagerDuty incidents (window 24 h):

* INC1 a1 triggered 06 16:00, resolved 18:00 → 303 finished 1.5 h before → 2 h to restore
* INC2 b1 triggered 08 10:00 → b1's last deployment (401) is 71.8 h before → not linked
* INC3 a1 triggered 11 09:30 naming commit c6 → 304 by ``reference``, resolved 12:30 → 3 h

DORA over 2026-01-01 … 2026-01-14 (two weeks), production:

* deployment frequency: 5 successful deployments (301, 303, 304, 401, 402) ÷ 2 services ÷
  2 weeks = **1.25 per service per week**;
* lead time (median of 24.17, 24.17, 26.5, 26.5, 47.5, 53.5) = **26.5 h**;
* change failure rate: 303 and 304 caused incidents → 2 ÷ 5 = **40 %**;
* recovery time (median of 2 and 3) = **2.5 h**.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.core.config import load_config
from connectors.sync import sync
from data.warehouse import open_reader, write_snapshot
from metrics.core.filters import Filters
from metrics.core.scorecard import scorecard
from metrics.core.targets import load_targets
from metrics.kpis.delivery import DORA_KPIS
from tests.connectors.test_connector_contract import toml_source
from tests.servers.github import (
    FakeCommit,
    FakeDeployment,
    FakeGitHub,
    FakePull,
    FakeRepo,
    FakeStatus,
    sha,
)
from tests.servers.pagerduty import FakePagerDuty, Incident, LogEntry
from tests.servers.warehouse import build_warehouse, query
from tests.ui.test_app import run_app

TOKEN = "e2e-token-0c41"
UNTIL = datetime(2026, 1, 15, tzinfo=UTC)
PERIOD = {"start": "2026-01-01", "end": "2026-01-14"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def deployment(
    ident: int, commit: str, env: str, created: datetime, state: str, done: datetime
) -> FakeDeployment:
    return FakeDeployment(ident, commit, env, created, [FakeStatus(state, done)])


def pull(number: int, merge: str, first: datetime, merged: datetime) -> FakePull:
    return FakePull(
        number, first, merged, merged, merge, [FakeCommit(sha(f"pr-{merge}"), first, first)]
    )


def github_repos() -> list[FakeRepo]:
    c = {i: sha(f"c{i}") for i in range(1, 7)}
    d = {i: sha(f"d{i}") for i in range(1, 4)}
    a1 = FakeRepo("acme/a1", history=[c[i] for i in range(1, 7)])
    a1.deployments = [
        deployment(301, c[2], "production", at(3, 10), "success", at(3, 10, 30)),
        deployment(302, c[4], "production", at(6, 10), "failure", at(6, 10, 20)),
        deployment(303, c[4], "production", at(6, 14), "success", at(6, 14, 30)),
        deployment(305, c[6], "staging", at(9, 11), "success", at(9, 12)),
        deployment(304, c[6], "production", at(10, 9), "success", at(10, 9, 30)),
    ]
    a1.pulls = [
        pull(1, c[2], at(2, 8), at(2, 12)),
        pull(2, c[3], at(4, 9), at(5, 10)),
        pull(3, c[4], at(5, 12), at(6, 9)),
        pull(4, c[6], at(8, 10), at(9, 10)),
    ]
    b1 = FakeRepo("acme/b1", history=[d[i] for i in range(1, 4)])
    b1.deployments = [
        deployment(401, d[2], "production", at(5, 10), "success", at(5, 10, 10)),
        deployment(402, d[3], "production", at(12, 10), "success", at(12, 10, 10)),
    ]
    b1.pulls = [pull(1, d[2], at(4, 10), at(4, 20)), pull(2, d[3], at(11, 10), at(11, 20))]
    return [a1, b1]


def pagerduty_incidents() -> list[Incident]:
    a1, b1 = ("PA1", "Checkout"), ("PB1", "Billing")

    def resolved(
        ident: str, n: int, title: str, svc: tuple[str, str], start: datetime, end: datetime
    ) -> Incident:
        log = [LogEntry("trigger_log_entry", start), LogEntry("resolve_log_entry", end)]
        return Incident(ident, n, title, svc, start, "resolved", log, priority="P2")

    return [
        resolved("INC1", 1, "Checkout errors", a1, at(6, 16), at(6, 18)),
        resolved("INC2", 2, "Billing slow", b1, at(8, 10), at(8, 11)),
        resolved(
            "INC3",
            3,
            f"Payments fail since commit {sha('c6')[:10]}",
            a1,
            at(11, 9, 30),
            at(11, 12, 30),
        ),
    ]


@contextmanager
def sources() -> Iterator[dict[str, dict[str, Any]]]:
    with ExitStack() as stack:
        github = stack.enter_context(
            FakeGitHub(github_repos(), tokens={TOKEN}, page_cap=2).running()
        )
        pagerduty = stack.enter_context(
            FakePagerDuty(pagerduty_incidents(), tokens={TOKEN}).running()
        )
        tables = {
            "github": {
                "type": "github",
                "url": github.url,
                "auth": "bearer",
                "token_env": "E2E_TOKEN",
            },
            "pagerduty": {
                "type": "pagerduty",
                "url": pagerduty.url,
                "auth": "bearer",
                "token_env": "E2E_TOKEN",
                "lookback_days": 30,
                "services": {"PA1": "a1", "Billing": "b1"},
            },
        }
        yield tables


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("E2E_TOKEN", TOKEN)
    monkeypatch.setenv("TECHPULSE_SECRETS", "/nonexistent/secrets.toml")
    db = build_warehouse(
        tmp_path / "w.duckdb", [("a1", None, None), ("b1", None, None)], team="pay"
    )
    with write_snapshot(db) as con:
        con.execute("UPDATE services SET repo_url = 'https://github.com/acme/' || service_id")
    with sources() as tables:
        config = tmp_path / "sources.toml"
        config.write_text("".join(toml_source(name, t) for name, t in tables.items()))
        summary = sync(load_config(config), db=db, until=UNTIL, sleep=lambda _s: None)
    assert summary.ok, [r.error for r in summary.results]
    return db


def test_links_are_drawn_across_sources(warehouse: Path) -> None:
    changes = query(
        warehouse,
        "SELECT external_id, deployment_external_id, link_method FROM changes ORDER BY 1",
    )
    assert [(c[0], c[2]) for c in changes] == [
        ("acme/a1#1", "sha"),
        ("acme/a1#2", "commit"),
        ("acme/a1#3", "commit"),
        ("acme/a1#4", "commit"),
        ("acme/b1#1", "sha"),
        ("acme/b1#2", "commit"),
    ]
    shipped = [c[1] for c in changes]
    assert all(shipped), shipped
    assert [s.rsplit("/", 1)[-1] for s in shipped] == ["301", "303", "303", "304", "401", "402"]
    incidents = query(
        warehouse,
        "SELECT i.external_id, d.source, d.commit_sha, i.link_method FROM incidents AS i"
        " LEFT JOIN deployments AS d ON d.source = i.caused_by_deployment_source"
        " AND d.external_id = i.caused_by_deployment_external_id ORDER BY 1",
    )
    assert incidents == [
        ("INC1", "github", sha("c4"), "window"),  # 303 deployed c4
        ("INC2", None, None, "window"),
        ("INC3", "github", sha("c6"), "reference"),  # 304 deployed c6 (305 was staging)
    ]


def test_scorecard_dora_figures(warehouse: Path) -> None:
    con = open_reader(warehouse)
    try:
        period = Filters(start=date(2026, 1, 1), end=date(2026, 1, 14))
        frame = scorecard(con, period, load_targets(), DORA_KPIS, sparklines=False)
    finally:
        con.close()
    rows = {r["kpi"]: r for r in frame.to_dict("records")}
    assert rows["deployment_frequency"]["value"] == pytest.approx(1.25)
    assert rows["lead_time"]["value"] == pytest.approx(26.5)
    assert rows["change_failure_rate"]["value"] == pytest.approx(40.0)
    assert rows["time_to_restore"]["value"] == pytest.approx(2.5)


def test_delivery_page_shows_them(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_app(warehouse, monkeypatch, **PERIOD)
    app.switch_page("pages/delivery.py").run()
    assert not app.exception, [e.value for e in app.exception]
    shown = {m.label: m.value for m in app.metric}
    assert shown["Deployment frequency (per service)"] == "1.25 per week", json.dumps(shown)
    assert shown["Lead time for changes (median)"] == "26.5 h", json.dumps(shown)
    assert shown["Change failure rate"] == "40.0 %", json.dumps(shown)
    assert shown["Failed deployment recovery time (median)"] == "2.50 h", json.dumps(shown)
