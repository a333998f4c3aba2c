"""Low-volume demo tables written by people, not machines: annotations, investments, actions.

Dates are fixed offsets from the end date so that the markers line up with the telemetry story
(adoption on A, the outage, the two breaches) at every scale.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import duckdb
import pyarrow as pa

from data.demo.common import (
    ADOPTION_DAYS_BEFORE_END,
    DEGRADED_DAYS_BEFORE_END,
    OUTAGE_DAYS_BEFORE_END,
    OUTAGE_SERVICE,
    SOURCE,
    STREAM_LEDGER,
    insert,
    rng_for,
    rows_table,
)
from data.demo.org import AVAILABILITY_BREACH, LATENCY_BREACH

# (id, days before end, scope, scope_id, kind, text)
_ANNOTATIONS = [
    (
        "reorg-identity",
        600,
        "team",
        "identity",
        "organisation",
        "Team reorganisation: the identity team is split out of platform",
    ),
    (
        "outage-payment-gateway",
        OUTAGE_DAYS_BEFORE_END,
        "service",
        OUTAGE_SERVICE,
        "incident",
        f"Major outage: {OUTAGE_SERVICE} down for 3 hours after a database failover",
    ),
    (
        "adoption-gitops",
        ADOPTION_DAYS_BEFORE_END,
        "organisation",
        None,
        "adoption",
        "GitOps and CI/CD pipeline adopted across all teams",
    ),
    (
        "migration-k8s-v2",
        200,
        "organisation",
        None,
        "release",
        "Platform migration: all services moved to Kubernetes platform v2",
    ),
    (
        "billing-db-move",
        DEGRADED_DAYS_BEFORE_END,
        "service",
        AVAILABILITY_BREACH,
        "release",
        f"{AVAILABILITY_BREACH} moved to the shared database cluster; 5xx errors up since",
    ),
    (
        "search-ranking-v3",
        DEGRADED_DAYS_BEFORE_END,
        "service",
        LATENCY_BREACH,
        "release",
        f"{LATENCY_BREACH}: ranking model v3 rolled out; queries are slower",
    ),
]

# (days before end, title, kpi, owner team, stage, days until closed or None, note)
_ACTIONS = [
    (255, "Trunk-based development and small pull requests", "lead_time", "platform", "act", 120,
     "Median lead time down from about 5 to 3 days; now the default for all teams."),
    (250, "Automated canary analysis gate in the pipeline", "change_failure_rate", "platform",
     "act", 140, "Failed changes below 10 % for two quarters."),
    (230, "On-call runbooks and PagerDuty auto-assignment", "mttr", "identity", "check", 110,
     "Median time to restore about 30 minutes; keep watching SEV2s."),
    (200, "Quarantine flaky tests and enforce coverage on new code", "coverage", "growth", "act",
     75, "New-code coverage above 80 % in every team."),
    (110, f"Fix connection-pool exhaustion in {AVAILABILITY_BREACH}", "availability", "payments",
     "do", None, "5xx still near 0.8 % since the database move; pool fix in review."),
    (100, f"Cache {LATENCY_BREACH} ranking results", "p95_latency", "growth", "do", None,
     "P95 above 600 ms since ranking v3; cache prototype in staging."),
    (60, f"Raise {AVAILABILITY_BREACH} test coverage to 70 %", "coverage", "payments", "plan",
     None, "Characterisation tests first, then refactoring."),
    (25, "Burn-rate alerting for tier-1 SLOs", "availability", "identity", "check", None,
     "Alerts live for identity; rolling out to the other teams."),
    (180, "Deployment frequency review in every team retro", "deployment_frequency",
     "platform", "act", 60, "Teams below daily deploys paired with platform."),
    (45, "Shared post-incident reviews across teams", "mttr", "payments", "plan", None,
     "Monthly review slot agreed; template drafted."),
]  # fmt: skip

_RECURRING = [
    ("tooling", "GitHub Enterprise seats", 4_200),
    ("tooling", "SonarQube Enterprise licence", 1_450),
    ("tooling", "PagerDuty incident response", 980),
    ("tooling", "Grafana Cloud observability", 2_600),
    ("platform", "Shared Kubernetes clusters", 9_500),
]
# (days after adoption, category, description, amount, booked once per team)
_ADOPTION_SPEND = [
    (-60, "consulting", "GitOps and CI/CD rollout consulting", 38_000, False),
    (-45, "platform", "CI/CD runner fleet and GitOps controllers", 52_000, False),
    (-20, "tooling", "Argo CD enterprise support, annual", 24_000, False),
    (0, "platform", "Platform engineering contractors", 31_000, False),
    (10, "training", "GitOps and CI/CD training", 6_500, True),
    (30, "platform", "Platform engineering contractors", 31_000, False),
]
_TRAINING = [
    "Kubernetes fundamentals course",
    "SRE workshop",
    "Test automation workshop",
    "Secure coding training",
    "Observability bootcamp",
]
_CONSULTING = ["Architecture review", "Security penetration test", "Cloud cost review"]


def write_annotations(con: duckdb.DuckDBPyConnection, end: dt.date) -> int:
    """The dated markers the charts show: adoption, reorganisation, outage, migrations."""
    rows = [
        (aid, end - dt.timedelta(days=days), scope, sid, kind, txt)
        for aid, days, scope, sid, kind, txt in _ANNOTATIONS
    ]
    names = ["annotation_id", "occurred_on", "scope", "scope_id", "kind", "text"]
    return insert(con, "annotations", rows_table(names, rows))


def write_actions(con: duckdb.DuckDBPyConnection, end: dt.date, teams: int) -> int:
    """PDCA actions of the last four quarters, owned by teams (never people)."""
    chosen = _ACTIONS if teams > 4 else _ACTIONS[:8]
    rows = []
    for n, (days, title, kpi, owner, stage, closed_after, note) in enumerate(chosen, 1):
        created = dt.datetime.combine(end - dt.timedelta(days=days), dt.time(9, 30), dt.UTC)
        closed = created + dt.timedelta(days=closed_after) if closed_after else None
        quarter = f"{created.year}-Q{(created.month - 1) // 3 + 1}"
        due = created.date() + dt.timedelta(days=90)
        status = "closed" if closed else "open"
        rows.append(
            (f"PDCA-{n:03d}", quarter, title, kpi, owner, stage, status, due, created, closed, note)
        )
    names = [
        "action_id",
        "quarter",
        "title",
        "kpi",
        "owner_team",
        "pdca_stage",
        "status",
        "due_on",
        "created_at",
        "closed_at",
        "note",
    ]
    return insert(con, "actions", rows_table(names, rows))


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, day = [], start.replace(day=1)
    while day < end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _ledger_rows(
    start: dt.date, end: dt.date, team_ids: list[str], seed: int
) -> list[tuple[dt.date, str, str, str, str | None]]:
    """(spent_on, category, amount, description, team_id) in booking order."""
    rng = rng_for(seed, STREAM_LEDGER)
    size = len(team_ids) / 4
    volume = size**0.9  # licences and shared platform get volume discounts
    rows: list[tuple[dt.date, str, str, str, str | None]] = []

    def book(day: dt.date, category: str, amount: float, what: str, team: str | None) -> None:
        rows.append((day, category, f"{amount:.2f}", what, team))

    def day_in(month: dt.date, first: int, last: int) -> dt.date:
        return month + dt.timedelta(days=int(rng.integers(first, last + 1)))

    for month in _months(start, end):
        for category, what, amount in _RECURRING:
            book(
                day_in(month, 0, 4), category, amount * volume * rng.uniform(0.93, 1.07), what, None
            )
        for _ in range(rng.poisson(0.1 * len(team_ids))):
            what, team = str(rng.choice(_TRAINING)), str(rng.choice(team_ids))
            book(day_in(month, 5, 26), "training", rng.uniform(1_500, 6_000), what, team)
        for _ in range(rng.poisson(0.15 * math.sqrt(size))):
            what = str(rng.choice(_CONSULTING))
            owner = str(rng.choice(team_ids)) if rng.random() < 0.5 else None
            book(day_in(month, 5, 26), "consulting", rng.uniform(8_000, 22_000), what, owner)
    adoption = end - dt.timedelta(days=ADOPTION_DAYS_BEFORE_END)
    for offset, category, what, amount, per_team in _ADOPTION_SPEND:
        day = adoption + dt.timedelta(days=offset)
        for payer in team_ids if per_team else [None]:
            scaled = amount * (1 if per_team else volume) * rng.uniform(0.95, 1.05)
            book(day, category, scaled, what, payer)
    return sorted((r for r in rows if start <= r[0] < end), key=lambda r: r[0])


# The demo ledger is drawn in EUR; a CNY organisation books the same story at a fixed demo rate
# (a round figure, not a market rate), so both demos show the same ROI percentages.
CURRENCY_RATES = {"EUR": Decimal(1), "CNY": Decimal(8)}


def write_investments(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    team_ids: list[str],
    seed: int,
    currency: str = "EUR",
) -> int:
    """A monthly ledger with a platform/tooling bulge around the adoption date, in ``currency``
    (one of CURRENCY_RATES)."""
    rate = CURRENCY_RATES[currency]
    rows = [
        (day, category, Decimal(amount) * rate, what, team)
        for day, category, amount, what, team in _ledger_rows(start, end, team_ids, seed)
    ]
    table = pa.table(
        {
            "source": [SOURCE] * len(rows),
            "external_id": [f"INV-{r[0]:%Y%m}-{n:05d}" for n, r in enumerate(rows, 1)],
            "spent_on": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "amount": pa.array([r[2] for r in rows], pa.decimal128(14, 2)),
            "currency": [currency] * len(rows),
            "description": [r[3] for r in rows],
            "team_id": pa.array([r[4] for r in rows], pa.string()),
        }
    )
    return insert(con, "investments", table)
