"""Contract sources for the connectors of "Connectors I" (Prometheus, SonarQube, SonarCloud).

Prometheus is faked here by a scripted server answering ``/api/v1/query_range`` as documented
(the real binary is exercised in test_connectors_prometheus.py); SonarQube by FakeSonar.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from tests.servers.scripted import scripted_server
from tests.servers.sonar import Analysis, FakeSonar, Project

TOKEN = "contract-token-5f1d2a"
HOUR = datetime(2026, 1, 5, 1, tzinfo=UTC).timestamp()
VALUES = {
    "lines_to_cover": "100",
    "uncovered_lines": "20",
    "conditions_to_cover": "10",
    "uncovered_conditions": "5",
    "sqale_index": "60",
    "bugs": "1",
    "vulnerabilities": "0",
    "code_smells": "3",
    "duplicated_lines_density": "1.5",
    "alert_status": "OK",
}


def _matrix(populated: bool, query: str) -> str:
    result: list[dict[str, Any]] = []
    if populated:
        labels = ("0.1", "+Inf") if "_bucket" in query else (None,)
        result = [{"metric": {"le": le} if le else {}, "values": [[HOUR, "10"]]} for le in labels]
    return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}})


@contextmanager
def _prometheus(populated: bool) -> Iterator[dict[str, Any]]:
    def route(
        path: str, params: dict[str, str], _h: dict[str, str]
    ) -> tuple[int, dict[str, str], str]:
        if path != "/api/v1/query_range":
            return 404, {}, "404 page not found"
        return (
            200,
            {"Content-Type": "application/json"},
            _matrix(populated, params.get("query", "")),
        )

    with scripted_server(route) as (url, _log):
        yield {"type": "prometheus", "url": url, "lookback_days": 14}


@contextmanager
def _sonar(kind: str, populated: bool) -> Iterator[dict[str, Any]]:
    def analyses(day: int) -> list[Analysis]:
        moment = datetime(2026, 1, day, 9, tzinfo=UTC)
        return [Analysis(moment, VALUES)] if populated else []

    fake = FakeSonar(
        [Project("acme:a1", analyses(3)), Project("acme:b1", analyses(7))],
        tokens={TOKEN},
        organization="acme" if kind == "sonarcloud" else None,
    )
    with fake.running() as server:
        table: dict[str, Any] = {
            "type": kind,
            "url": server.url,
            "auth": "bearer",
            "token_env": "CONTRACT_TOKEN",
        }
        if kind == "sonarcloud":
            table["organization"] = "acme"
        yield table


@contextmanager
def contract_source(kind: str, populated: bool) -> Iterator[dict[str, Any]]:
    if kind == "prometheus":
        with _prometheus(populated) as table:
            yield table
    else:
        with _sonar(kind, populated) as table:
            yield table
