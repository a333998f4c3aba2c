"""Every KPI as data: name, label, unit, direction, target kind and the definition users read."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

SQL_DIR = Path(__file__).with_name("sql")


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    unit: str
    direction: Literal["higher", "lower"]
    target_kind: Literal["threshold", "dora"]
    definition: str
    decimals: int = 1

    @property
    def sql(self) -> str:
        return _sql_text(self.name)


@cache
def _sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "availability",
        "Availability",
        "%",
        "higher",
        "threshold",
        "Share of requests served without a server error: 1 − Σ errors ÷ Σ requests over every "
        "selected service and hour, weighted by requests (a busy service counts more than a "
        "quiet one; never a mean of per-service percentages).",
        decimals=3,
    ),
    Kpi(
        "p95_latency",
        "P95 latency",
        "ms",
        "lower",
        "threshold",
        "95th-percentile request latency. Latency histograms of all selected services and hours "
        "are summed first, then the percentile is interpolated inside its bucket the way "
        "Prometheus's histogram_quantile does. Percentiles are never averaged.",
        decimals=0,
    ),
    Kpi(
        "error_rate",
        "Error rate",
        "%",
        "lower",
        "threshold",
        "Σ failed requests (HTTP 5xx) ÷ Σ requests over the selected services and period, "
        "weighted by requests.",
        decimals=3,
    ),
    Kpi(
        "coverage",
        "Test coverage",
        "%",
        "higher",
        "threshold",
        "SonarQube coverage at the end of the period: the latest analysis of each project (at "
        "most 90 days old), combined as (covered lines + covered conditions) ÷ (lines to cover + "
        "conditions to cover), so large codebases weigh more.",
    ),
    Kpi(
        "deployment_frequency",
        "Deployment frequency (per service)",
        "per week",
        "higher",
        "dora",
        "Successful deployments to the chosen environment per deployable service per week: "
        "deployments ÷ services in scope that deploy there ÷ weeks in the period.",
        decimals=2,
    ),
    Kpi(
        "lead_time",
        "Lead time for changes (median)",
        "h",
        "lower",
        "dora",
        "Median time from a change's first commit to the finish of the successful deployment "
        "that shipped it to the chosen environment, over changes shipped in the period.",
    ),
    Kpi(
        "change_failure_rate",
        "Change failure rate",
        "%",
        "lower",
        "dora",
        "Share of successful deployments that caused an incident or had to be repaired by a "
        "rollback or hotfix deployment.",
    ),
    Kpi(
        "time_to_restore",
        "Failed deployment recovery time (median)",
        "h",
        "lower",
        "dora",
        "Median time from the start to the resolution of incidents caused by a deployment, over "
        "such incidents started in the period and resolved.",
        decimals=2,
    ),
    Kpi(
        "mttr",
        "MTTR (median)",
        "h",
        "lower",
        "threshold",
        "Median time to restore service: from incident start to resolution, over all incidents "
        "started in the period and resolved (open incidents are not counted until resolved).",
        decimals=2,
    ),
)

BY_NAME: dict[str, Kpi] = {k.name: k for k in KPIS}
