"""Every KPI as data: name, label, unit, direction, target kind and the definition users read.

A KPI's number comes from one column of one query in ``metrics/sql/<query>.sql``. Several KPIs
share a query (all service levels come from one scan of the hourly samples), so the scorecard
runs each query once per period.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from i18n import N_, _

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"

TargetKind = Literal["threshold", "dora", "none"]


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    unit: str
    direction: Literal["higher", "lower"]
    target_kind: TargetKind
    definition: str
    group: str
    query: str
    decimals: int = 1
    n_column: str = "n"
    headline: bool = False

    @property
    def column(self) -> str:
        return self.name

    @property
    def sql(self) -> str:
        return sql_text(self.query)

    def label_text(self) -> str:
        """The label in the reader's language."""
        return _(self.label)

    def definition_text(self) -> str:
        """The definition in the reader's language."""
        return _(self.definition)


@cache
def sql_text(query: str) -> str:
    return (SQL_DIR / f"{query}.sql").read_text(encoding="utf-8")


DELIVERY, SERVICE, QUALITY, INCIDENTS = (
    N_("Delivery"),
    N_("Service levels"),
    N_("Code quality"),
    N_("Incidents"),
)

KPIS: tuple[Kpi, ...] = (
    # --- service levels ------------------------------------------------------------------
    Kpi(
        "availability",
        N_("Availability"),
        "%",
        "higher",
        "threshold",
        N_(
            "Share of requests served without a server error: 1 − Σ errors ÷ Σ requests over every "
            "selected service and hour, weighted by requests (a busy service counts more than a "
            "quiet one; never a mean of per-service percentages)."
        ),
        SERVICE,
        "service_levels",
        decimals=3,
        n_column="n_requests",
        headline=True,
    ),
    Kpi(
        "p95_latency",
        N_("P95 latency"),
        "ms",
        "lower",
        "threshold",
        N_(
            "95th-percentile request latency. Latency histograms of all selected services and "
            "hours "
            "are summed first, then the percentile is interpolated inside its bucket the way "
            "Prometheus's histogram_quantile does. Percentiles are never averaged."
        ),
        SERVICE,
        "service_levels",
        decimals=0,
        n_column="n_requests",
        headline=True,
    ),
    Kpi(
        "error_rate",
        N_("Error rate"),
        "%",
        "lower",
        "threshold",
        N_(
            "Σ failed requests (HTTP 5xx) ÷ Σ requests over the selected services and period, "
            "weighted by requests."
        ),
        SERVICE,
        "service_levels",
        decimals=3,
        n_column="n_requests",
        headline=True,
    ),
    Kpi(
        "uptime",
        N_("Uptime (probes)"),
        "%",
        "higher",
        "threshold",
        N_(
            "Uptime-based availability for services measured only by synthetic probes: Σ "
            "successful probes ÷ Σ probes."
        ),
        SERVICE,
        "service_levels",
        decimals=3,
        n_column="n_probes",
    ),
    Kpi(
        "p95_hours_within_target",
        N_("Hours meeting the P95 target"),
        "%",
        "higher",
        "threshold",
        N_(
            "Share of hours in which the P95 latency of the selected services (from the hour's "
            "summed histograms) was at or below the P95 latency target."
        ),
        SERVICE,
        "p95_hours",
    ),
    Kpi(
        "cpu_mean",
        N_("CPU utilisation (mean)"),
        "%",
        "lower",
        "none",
        N_("Mean of the hourly mean CPU utilisation over the selected service-hours."),
        SERVICE,
        "service_levels",
        n_column="n_cpu",
    ),
    Kpi(
        "cpu_p95",
        N_("CPU utilisation (P95)"),
        "%",
        "lower",
        "none",
        N_("95th percentile of hourly mean CPU utilisation over the selected service-hours."),
        SERVICE,
        "utilisation",
        n_column="n_cpu",
    ),
    Kpi(
        "memory_mean",
        N_("Memory utilisation (mean)"),
        "%",
        "lower",
        "none",
        N_("Mean of the hourly mean memory utilisation over the selected service-hours."),
        SERVICE,
        "service_levels",
        n_column="n_memory",
    ),
    Kpi(
        "memory_p95",
        N_("Memory utilisation (P95)"),
        "%",
        "lower",
        "none",
        N_("95th percentile of hourly mean memory utilisation over the selected service-hours."),
        SERVICE,
        "utilisation",
        n_column="n_memory",
    ),
    # --- code quality --------------------------------------------------------------------
    Kpi(
        "coverage",
        N_("Test coverage"),
        "%",
        "higher",
        "threshold",
        N_(
            "SonarQube coverage at the end of the period: the latest analysis of each project (at "
            "most 90 days old), combined as (covered lines + covered conditions) ÷ (lines to "
            "cover + "
            "conditions to cover), so large codebases weigh more."
        ),
        QUALITY,
        "quality",
        n_column="n_lines",
        headline=True,
    ),
    Kpi(
        "new_code_coverage",
        N_("New-code coverage"),
        "%",
        "higher",
        "threshold",
        N_(
            "Coverage of new code at the end of the period: Σ covered new lines ÷ Σ new lines to "
            "cover over the latest analysis of each project."
        ),
        QUALITY,
        "quality",
        n_column="n_new_lines",
    ),
    Kpi(
        "tech_debt_days",
        N_("Technical debt"),
        "days",
        "lower",
        "none",
        N_(
            "SonarQube remediation effort (sqale_index) of the latest analysis of each project, "
            "summed, in 8-hour days."
        ),
        QUALITY,
        "quality",
        n_column="n_projects",
    ),
    Kpi(
        "bugs",
        N_("Open bugs"),
        "count",
        "lower",
        "none",
        N_("Bugs open in the latest analysis of each project, summed."),
        QUALITY,
        "quality",
        decimals=0,
        n_column="n_projects",
    ),
    Kpi(
        "vulnerabilities",
        N_("Open vulnerabilities"),
        "count",
        "lower",
        "none",
        N_("Vulnerabilities open in the latest analysis of each project, summed."),
        QUALITY,
        "quality",
        decimals=0,
        n_column="n_projects",
    ),
    Kpi(
        "code_smells",
        N_("Code smells"),
        "count",
        "lower",
        "none",
        N_("Code smells open in the latest analysis of each project, summed."),
        QUALITY,
        "quality",
        decimals=0,
        n_column="n_projects",
    ),
    Kpi(
        "duplication",
        N_("Duplicated lines"),
        "%",
        "lower",
        "none",
        N_(
            "Duplicated-lines density of the latest analysis of each project, weighted by lines to "
            "cover."
        ),
        QUALITY,
        "quality",
        n_column="n_lines",
    ),
    Kpi(
        "quality_gate_pass_rate",
        N_("Quality gate pass rate"),
        "%",
        "higher",
        "threshold",
        N_("Share of projects whose latest analysis passed the quality gate (status OK)."),
        QUALITY,
        "quality",
        n_column="n_projects",
    ),
    # --- delivery (DORA) ----------------------------------------------------------------
    Kpi(
        "deployment_frequency",
        N_("Deployment frequency (per service)"),
        "per week",
        "higher",
        "dora",
        N_(
            "Successful deployments to the chosen environment per deployable service per week: "
            "deployments ÷ services in scope that deploy there ÷ weeks in the period."
        ),
        DELIVERY,
        "deployment_frequency",
        decimals=2,
        headline=True,
    ),
    Kpi(
        "deployments_per_day",
        N_("Deployments per day"),
        "per day",
        "higher",
        "none",
        N_(
            "Successful deployments to the chosen environment per day, all selected services "
            "together."
        ),
        DELIVERY,
        "deployment_frequency",
        decimals=2,
    ),
    Kpi(
        "lead_time",
        N_("Lead time for changes (median)"),
        "h",
        "lower",
        "dora",
        N_(
            "Median time from a change's first commit to the finish of the successful deployment "
            "that shipped it to the chosen environment, over changes shipped in the period."
        ),
        DELIVERY,
        "lead_time",
        headline=True,
    ),
    Kpi(
        "lead_time_p90",
        N_("Lead time for changes (P90)"),
        "h",
        "lower",
        "none",
        N_("90th percentile of the same lead times: how long the slowest tenth of changes wait."),
        DELIVERY,
        "lead_time",
    ),
    Kpi(
        "merge_to_deploy",
        N_("Merge to deploy (median)"),
        "h",
        "lower",
        "none",
        N_(
            "Median time from merge into the main branch to the finish of the deployment that "
            "shipped the change: the pipeline's share of lead time. A change deployed before its "
            "merge (from its branch) has no merge-to-deploy time and is left out."
        ),
        DELIVERY,
        "lead_time",
        n_column="n_merged",
    ),
    Kpi(
        "change_failure_rate",
        N_("Change failure rate"),
        "%",
        "lower",
        "dora",
        N_(
            "Share of successful deployments that caused an incident or had to be repaired by a "
            "rollback or hotfix deployment."
        ),
        DELIVERY,
        "change_failure_rate",
        headline=True,
    ),
    Kpi(
        "rework_rate",
        N_("Deployment rework rate"),
        "%",
        "lower",
        "none",
        N_(
            "DORA 2024's fifth metric: unplanned deployments (hotfixes and rollbacks made to "
            "repair "
            "a user-facing defect) ÷ all successful deployments."
        ),
        DELIVERY,
        "change_failure_rate",
    ),
    Kpi(
        "time_to_restore",
        N_("Failed deployment recovery time (median)"),
        "h",
        "lower",
        "dora",
        N_(
            "Median time from the start to the resolution of incidents caused by a deployment, "
            "over "
            "such incidents started in the period and resolved."
        ),
        DELIVERY,
        "time_to_restore",
        decimals=2,
        headline=True,
    ),
    # --- incidents ----------------------------------------------------------------------
    Kpi(
        "incident_count",
        N_("Incidents"),
        "count",
        "lower",
        "none",
        N_("Incidents started in the period (an incident counts in the period it started in)."),
        INCIDENTS,
        "incidents",
        decimals=0,
        n_column="n_started",
    ),
    Kpi(
        "mttr",
        N_("MTTR (median)"),
        "h",
        "lower",
        "threshold",
        N_(
            "Median time to restore service: from incident start to resolution, over all incidents "
            "started in the period and resolved (open incidents are not counted until resolved)."
        ),
        INCIDENTS,
        "incidents",
        decimals=2,
        n_column="n_resolved",
        headline=True,
    ),
    Kpi(
        "mttr_mean",
        N_("MTTR (mean)"),
        "h",
        "lower",
        "none",
        N_(
            "Mean time to restore over the same incidents; a few long outages pull it above the "
            "median."
        ),
        INCIDENTS,
        "incidents",
        decimals=2,
        n_column="n_resolved",
    ),
    Kpi(
        "mtta",
        N_("MTTA (median)"),
        "h",
        "lower",
        "none",
        N_("Median time from incident start to the first acknowledgement by a responder."),
        INCIDENTS,
        "incidents",
        decimals=2,
        n_column="n_acknowledged",
    ),
    Kpi(
        "mtta_mean",
        N_("MTTA (mean)"),
        "h",
        "lower",
        "none",
        N_("Mean time from incident start to the first acknowledgement."),
        INCIDENTS,
        "incidents",
        decimals=2,
        n_column="n_acknowledged",
    ),
)

BY_NAME: dict[str, Kpi] = {k.name: k for k in KPIS}
HEADLINE: tuple[Kpi, ...] = tuple(k for k in KPIS if k.headline)
