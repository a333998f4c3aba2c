"""The demo organisation: teams, services and the per-service traits the generators share.

The demo scale uses four hand-named teams with four hand-named services each; the enterprise
scale keeps those and adds generated ones, so the story's protagonists (``legacy-billing``
breaching availability, ``search-api`` breaching latency) exist exactly once at every scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from data.demo.common import STREAM_PROFILES, insert, log_uniform, rng_for

AVAILABILITY_BREACH = "legacy-billing"
LATENCY_BREACH = "search-api"
# How far (fraction) below the organisation a service's test coverage sits.
COVERAGE_LAGGARDS = {"legacy-billing": 0.17, "ab-testing": 0.07}

_NAMED = {
    "payments": [
        ("checkout-api", "tier-1"),
        ("payment-gateway", "tier-1"),
        ("legacy-billing", "tier-2"),
        ("invoice-service", "tier-2"),
    ],
    "platform": [
        ("api-gateway", "tier-1"),
        ("config-service", "tier-2"),
        ("notification-service", "tier-2"),
        ("job-scheduler", "tier-3"),
    ],
    "growth": [
        ("search-api", "tier-1"),
        ("web-frontend", "tier-1"),
        ("recommendations", "tier-2"),
        ("ab-testing", "tier-3"),
    ],
    "identity": [
        ("identity-provider", "tier-1"),
        ("session-service", "tier-1"),
        ("user-profile", "tier-2"),
        ("audit-log", "tier-3"),
    ],
}
_DOMAINS = [
    *_NAMED,
    "discovery",
    "catalog",
    "orders",
    "logistics",
    "pricing",
    "fraud",
    "messaging",
    "analytics",
    "mobile",
    "partners",
    "loyalty",
    "inventory",
    "billing",
    "support",
    "marketing",
    "data",
]
_AREAS = ["", "eu", "us", "apac", "b2b", "retail", "core", "ml", "edge", "ops"]
_COMPONENTS = {
    "api": "tier-1",
    "worker": "tier-2",
    "web": "tier-1",
    "events": "tier-2",
    "scheduler": "tier-3",
    "reports": "tier-3",
    "gateway": "tier-1",
    "cache": "tier-2",
    "admin": "tier-3",
    "sync": "tier-2",
}
_UPPER = {"api", "ab", "eu", "us", "apac", "b2b", "ml"}


def _display(slug: str) -> str:
    return " ".join(w.upper() if w in _UPPER else w.capitalize() for w in slug.split("-"))


@dataclass(frozen=True)
class Organisation:
    """Teams and services in a fixed order; a service's position is its stable index."""

    team_ids: list[str]
    service_ids: list[str]
    service_team: np.ndarray
    tiers: list[str]

    @property
    def size(self) -> int:
        return len(self.service_ids)

    def index(self, service_id: str) -> int:
        return self.service_ids.index(service_id)


def organisation(teams: int, services_per_team: int) -> Organisation:
    """The first ``teams`` teams (area-major order) with ``services_per_team`` services each."""
    if teams > len(_DOMAINS) * len(_AREAS) or services_per_team > len(_COMPONENTS):
        raise ValueError("scale too large for the name catalogue")
    team_ids = [d if not a else f"{d}-{a}" for a in _AREAS for d in _DOMAINS][:teams]
    service_ids: list[str] = []
    tiers: list[str] = []
    owner: list[int] = []
    for t, team in enumerate(team_ids):
        named = _NAMED.get(team, [])
        generated = [(f"{team}-{c}", tier) for c, tier in _COMPONENTS.items()]
        for sid, tier in (named + generated)[:services_per_team]:
            service_ids.append(sid)
            tiers.append(tier)
            owner.append(t)
    if len(set(service_ids)) != len(service_ids):
        raise ValueError("service names collide")
    return Organisation(team_ids, service_ids, np.array(owner), tiers)


@dataclass(frozen=True)
class Profiles:
    """Per-service traits (arrays indexed like Organisation.service_ids)."""

    requests_per_hour: np.ndarray
    latency_median_ms: np.ndarray
    latency_sigma: np.ndarray
    error_ratio: np.ndarray
    cpu_base: np.ndarray
    cpu_swing: np.ndarray
    memory_base: np.ndarray
    deploy_rate: np.ndarray
    incidents_per_quarter: np.ndarray
    lines_to_cover: np.ndarray
    coverage_lag: np.ndarray


def profiles(org: Organisation, seed: int) -> Profiles:
    """Draw the traits: busy tier-1 front doors, quiet tier-3 back offices, two outliers."""
    rng = rng_for(seed, STREAM_PROFILES)
    n = org.size
    tier = np.array([int(t[-1]) for t in org.tiers])
    busy = np.select(
        [tier == 1, tier == 2],
        [log_uniform(rng, 15_000, 60_000, n), log_uniform(rng, 2_000, 15_000, n)],
        log_uniform(rng, 300, 3_000, n),
    )
    lag = np.where(rng.random(n) < (0.08 if n > 100 else 0.0), 0.15, 0.0)
    lines = log_uniform(rng, 5_000, 60_000, n)
    for (name, behind), size in zip(COVERAGE_LAGGARDS.items(), (24_000, 9_000), strict=True):
        lag[org.index(name)], lines[org.index(name)] = behind, size
    median_ms = log_uniform(rng, 38, 75, n)
    median_ms[org.index(LATENCY_BREACH)] = 85.0  # the story calibrates its breach from here
    return Profiles(
        requests_per_hour=busy,
        latency_median_ms=median_ms,
        latency_sigma=rng.uniform(0.55, 0.7, n),
        error_ratio=log_uniform(rng, 0.0002, 0.0008, n),
        cpu_base=rng.uniform(0.12, 0.3, n),
        cpu_swing=rng.uniform(0.15, 0.35, n),
        memory_base=rng.uniform(0.3, 0.55, n),
        deploy_rate=rng.uniform(0.8, 1.2, n),
        incidents_per_quarter=rng.uniform(2.0, 4.0, n),
        lines_to_cover=lines,
        coverage_lag=lag,
    )


def write_catalogue(con: duckdb.DuckDBPyConnection, org: Organisation) -> None:
    """Insert teams and services with their repository, Sonar and Prometheus handles."""
    teams = pa.table(
        {
            "team_id": org.team_ids,
            "name": [_display(t) for t in org.team_ids],
            "cost_centre": [f"CC-{1001 + i}" for i in range(len(org.team_ids))],
        }
    )
    insert(con, "teams", teams)
    services = pa.table(
        {
            "service_id": org.service_ids,
            "team_id": [org.team_ids[t] for t in org.service_team],
            "name": [_display(s) for s in org.service_ids],
            "tier": org.tiers,
        }
    )
    insert(
        con,
        "services",
        services,
        "*, 'https://github.com/acme/' || service_id AS repo_url,"
        " 'acme_' || service_id AS sonar_project_key,"
        " '{job=\"' || service_id || '\"}' AS prometheus_selector",
    )
