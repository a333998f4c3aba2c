"""Delivery events of the demo: deployments, changes (pull requests) and incidents.

Generated per chunk of services, fully vectorised. The story levels (deployment rate, change
failure, lead time, time to restore) move from their "before" to their "after" value over a
ramp after the adoption date A. Durations and failure flags are drawn with stratified draws
over time-ordered events, so the medians and rates the dashboard shows hit their targets for
every seed, while individual events still look random.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from data.demo.common import (
    DAY,
    HOUR,
    MINUTE,
    OUTAGE_DAYS_BEFORE_END,
    OUTAGE_SERVICE,
    Timeline,
    base36,
    category,
    hex_shas,
    insert,
    loglogistic,
    stratified_flags,
    stratified_uniform,
    text,
    timestamps,
    weekday,
)

RAMP_DAYS = 90
DEPLOYS_PER_WEEKDAY = (0.4, 1.0)
DEPLOYS_PER_WEEKEND_DAY = 0.03
# Change failure rate targets over all successful production deployments (remediations
# included); the planned-deployment failure probability is scaled up by the share that gets a
# remediation deployment, which adds to the denominator.
CHANGE_FAILURE = (0.18, 0.08)
REMEDIATED_SHARE = (0.87, 0.66)
REMEDIATION_WANTED = 0.9
LEAD_TIME_DAYS = (5.0, 2.92)
RESOLVE_HOURS = (4.0, 0.5)
ACK_MINUTES = (20.0, 5.0)
CHANGES_PER_DEPLOY = {
    "before": [0.08, 0.2, 0.3, 0.25, 0.17],
    "after": [0.4, 0.35, 0.15, 0.07, 0.03],
}
SEVERITY_SHARE = [0.02, 0.10, 0.40, 0.48]
DEPLOYMENT_ID_BASE = 1_000_000_000

ENVIRONMENTS = ["production", "staging"]
PROD, STAGING = 0, 1
STATUSES = ["success", "failure", "cancelled"]
SUCCESS, FAILURE, CANCELLED = 0, 1, 2
CHANGE_TYPES = ["planned", "hotfix", "rollback"]
PLANNED, HOTFIX, ROLLBACK = 0, 1, 2
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]

_CAUSED_TITLES = [
    "Elevated 5xx on {} after deploy",
    "Regression in {} after release",
    "{} error rate spike following rollout",
    "Requests failing on {} after config change",
]
_OTHER_TITLES = [
    "Elevated 5xx on {}",
    "High latency on {}",
    "{} pods crash-looping",
    "Database connection pool exhausted on {}",
    "Failed health checks on {}",
    "Memory pressure on {}",
    "Queue backlog building on {}",
    "Upstream timeouts from {}",
    "TLS certificate expiring on {}",
    "Disk almost full on {} nodes",
]


@dataclass(frozen=True)
class Chunk:
    """The services generated together: names, stable indices and delivery traits."""

    names: list[str]
    index: np.ndarray
    deploy_rate: np.ndarray
    incidents_per_quarter: np.ndarray


Rows = dict[str, np.ndarray]
Rng = np.random.Generator
Con = duckdb.DuckDBPyConnection


def _concat(parts: list[Rows]) -> Rows:
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _take(rows: Rows, idx: np.ndarray) -> Rows:
    return {key: value[idx] for key, value in rows.items()}


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within runs of equal values of an already grouped array."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.r_[True, groups[1:] != groups[:-1]]
    starts = np.flatnonzero(first)
    return np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))


def _failure_probability(tl: Timeline, t: np.ndarray) -> np.ndarray:
    """Chance that a planned deployment is a failed change, so the CFR lands on target."""
    target = tl.blend(t, *CHANGE_FAILURE, RAMP_DAYS)
    share = tl.blend(t, *REMEDIATED_SHARE, RAMP_DAYS)
    probability: np.ndarray = target / (1.0 - target * share)
    return probability


def planned_deployments(tl: Timeline, chunk: Chunk, rng: np.random.Generator) -> Rows:
    """Production deployments: ~2 a week before A, ~1 per working day after, business hours."""
    days = tl.days
    day0 = tl.start + np.arange(days, dtype=np.int64) * DAY
    lo, hi = DEPLOYS_PER_WEEKDAY
    per_day = lo + (hi - lo) * tl.progress(day0 + 12 * HOUR, 60)
    per_day = np.where(weekday(day0) >= 5, DEPLOYS_PER_WEEKEND_DAY, per_day)
    counts = rng.poisson(per_day[None, :] * chunk.deploy_rate[:, None]).ravel()
    svc = np.repeat(np.repeat(np.arange(len(chunk.names)), days), counts)
    day = np.repeat(np.tile(np.arange(days), len(chunk.names)), counts)
    n = len(svc)
    hour = np.clip(rng.normal(13.5, 2.3, n), 7.0, 20.0)
    start = day0[day] + (hour * HOUR).astype(np.int64)
    order = np.lexsort((start, svc))
    svc, start = svc[order], start[order]
    draw = rng.random(n)
    status = np.select([draw < 0.03, draw < 0.045], [FAILURE, CANCELLED], SUCCESS)
    took = np.where(
        status == CANCELLED, rng.integers(MINUTE, 5 * MINUTE, n), rng.integers(180, 901, n)
    )
    return {
        "svc": svc,
        "environment": np.full(n, PROD),
        "started_at": start,
        "finished_at": start + took,
        "status": status,
        "change_type": np.full(n, PLANNED),
        "remediates": np.full(n, -1),
    }


def staging_for(prod: Rows, tl: Timeline, rng: np.random.Generator) -> Rows:
    """The staging deployment of the same commit that precedes each production deployment.

    Promotion waits 30 min-4 h before A and 10 min-1 h after it.
    """
    p = tl.progress(prod["started_at"], RAMP_DAYS)
    lo = np.log(30 * MINUTE) * (1 - p) + np.log(10 * MINUTE) * p
    hi = np.log(4 * HOUR) * (1 - p) + np.log(HOUR) * p
    gap = np.exp(rng.uniform(lo, hi)).astype(np.int64)
    return _staging(prod, gap, rng.integers(180, 901, len(gap)))


def _staging(prod: Rows, gap: np.ndarray, took: np.ndarray) -> Rows:
    """Successful staging rows finishing ``gap`` seconds before each production start."""
    n = len(prod["svc"])
    finish = prod["started_at"] - gap
    return {
        "svc": prod["svc"],
        "environment": np.full(n, STAGING),
        "started_at": finish - took,
        "finished_at": finish,
        "status": np.full(n, SUCCESS),
        "change_type": prod["change_type"],
        "remediates": np.full(n, -1),
    }


def broken_staging(staging: Rows, rng: np.random.Generator) -> Rows:
    """A few staging attempts that failed before the good one (never promoted)."""
    pick = np.flatnonzero(rng.random(len(staging["svc"])) < 0.05)
    rows = _take(staging, pick)
    start = rows["started_at"] - rng.integers(20 * MINUTE, 2 * HOUR, len(pick))
    rows.update(
        started_at=start,
        finished_at=start + rng.integers(2 * MINUTE, 10 * MINUTE, len(pick)),
        status=np.full(len(pick), FAILURE),
    )
    return rows


def failed_changes(tl: Timeline, prod: Rows, rng: np.random.Generator) -> np.ndarray:
    """Indices of successful planned production deployments that broke production."""
    ok = np.flatnonzero(prod["status"] == SUCCESS)
    ok = ok[np.argsort(prod["finished_at"][ok], kind="stable")]
    flags = stratified_flags(_failure_probability(tl, prod["finished_at"][ok]), rng)
    failed = ok[flags]
    restored: np.ndarray = failed[prod["finished_at"][failed] + 2 * HOUR < tl.end]
    return restored


def incidents(tl: Timeline, chunk: Chunk, prod: Rows, failed: np.ndarray, rng: Rng) -> Rows:
    """Deployment-caused incidents plus background ones, with ack and resolve times."""
    caused_start = prod["finished_at"][failed] + rng.integers(5 * MINUTE, 90 * MINUTE, len(failed))
    days = tl.days
    day0 = tl.start + np.arange(days, dtype=np.int64) * DAY
    counts = rng.poisson(np.repeat(chunk.incidents_per_quarter / 91.25, days)).ravel()
    other_svc = np.repeat(np.repeat(np.arange(len(chunk.names)), days), counts)
    other_start = np.repeat(np.tile(day0, len(chunk.names)), counts)
    other_start = other_start + rng.integers(0, DAY, len(other_svc))
    rows = {
        "svc": np.r_[prod["svc"][failed], other_svc],
        "started_at": np.r_[caused_start, other_start],
        "cause": np.r_[failed, np.full(len(other_svc), -1)],
        "severity": rng.choice(4, len(failed) + len(other_svc), p=SEVERITY_SHARE),
        "special": np.zeros(len(failed) + len(other_svc), dtype=bool),
    }
    rows = _concat([rows, _outage(tl, chunk)])
    rows = _take(rows, np.argsort(rows["started_at"], kind="stable"))
    return _respond(tl, rows, rng)


def _outage(tl: Timeline, chunk: Chunk) -> Rows:
    """The major outage named in the annotations, if its service is in this chunk."""
    here = [i for i, name in enumerate(chunk.names) if name == OUTAGE_SERVICE]
    start = tl.end - OUTAGE_DAYS_BEFORE_END * DAY + 14 * HOUR + 12 * MINUTE
    return {
        "svc": np.array(here, dtype=np.int64),
        "started_at": np.full(len(here), start),
        "cause": np.full(len(here), -1),
        "severity": np.zeros(len(here), dtype=np.int64),
        "special": np.ones(len(here), dtype=bool),
    }


def _respond(tl: Timeline, rows: Rows, rng: np.random.Generator) -> Rows:
    """Acknowledge and resolve times: ~20 min / ~4 h before A, ~5 min / ~30 min after."""
    start = rows["started_at"]
    n = len(start)
    ack = loglogistic(
        tl.blend(start, *ACK_MINUTES, RAMP_DAYS) * MINUTE,
        stratified_uniform(n, rng),
        2.0,
        0.02,
        0.97,
    )
    resolve = loglogistic(
        tl.blend(start, *RESOLVE_HOURS, RAMP_DAYS) * HOUR, stratified_uniform(n, rng), 1.6
    )
    ack = np.maximum(ack.astype(np.int64), 30)
    resolve = np.maximum(resolve.astype(np.int64), ack + 2 * MINUTE)
    ack = np.where(rows["special"], 4 * MINUTE, ack)
    resolve = np.where(rows["special"], 3 * HOUR + 5 * MINUTE, resolve)
    recent = start >= tl.end - 4 * DAY
    open_ = (rows["cause"] < 0) & (rows["severity"] >= 2) & recent & (rng.random(n) < 0.35)
    rows["acknowledged_at"] = start + ack
    rows["resolved_at"] = np.where(open_, -1, start + resolve)
    rows["resolved_at"][rows["resolved_at"] >= tl.end] = -1
    rows["acknowledged_at"][rows["acknowledged_at"] >= tl.end] = -1
    return rows


def remediations(incs: Rows, rng: np.random.Generator) -> tuple[Rows, Rows, Rows]:
    """Hotfix or rollback deployments that end deployment incidents.

    Returns the production rows, their fast-tracked staging rows and their one change each,
    all squeezed between the acknowledgement and the resolution of the incident.
    """
    pick = np.flatnonzero(
        (incs["cause"] >= 0)
        & (incs["resolved_at"] >= 0)
        & (incs["acknowledged_at"] >= 0)
        & (rng.random(len(incs["cause"])) < REMEDIATION_WANTED)
    )
    n = len(pick)
    finish = incs["resolved_at"][pick] - rng.integers(30, 180, n)
    start = finish - rng.integers(120, 300, n)
    prod = {
        "svc": incs["svc"][pick],
        "environment": np.full(n, PROD),
        "started_at": start,
        "finished_at": finish,
        "status": np.full(n, SUCCESS),
        "change_type": np.where(rng.random(n) < 0.6, HOTFIX, ROLLBACK),
        "remediates": incs["cause"][pick],
    }
    staging = _staging(prod, rng.integers(30, 120, n), rng.integers(60, 180, n))
    merged = staging["started_at"] - rng.integers(30, 180, n)
    ack = incs["acknowledged_at"][pick]
    keep = merged - ack >= 2 * MINUTE
    first = ack + ((merged - ack) * rng.uniform(0.0, 0.3, n)).astype(np.int64)
    opened = first + ((merged - first) * rng.uniform(0.3, 0.7, n)).astype(np.int64)
    changes = _take(
        {"svc": prod["svc"], "first_commit_at": first, "opened_at": opened, "merged_at": merged},
        keep,
    )
    changes["deployment"] = np.arange(int(keep.sum()))
    return _take(prod, keep), _take(staging, keep), changes


def planned_changes(tl: Timeline, prod: Rows, staging: Rows, rng: np.random.Generator) -> Rows:
    """1-5 pull requests per successful planned deployment, lead time ~5 d before, ~3 d after."""
    ok = np.flatnonzero(prod["status"] == SUCCESS)
    prev = np.full(len(ok), tl.start)
    same = prod["svc"][ok][1:] == prod["svc"][ok][:-1]
    prev[1:] = np.where(same, prod["started_at"][ok][:-1], tl.start)
    finish = prod["finished_at"][ok]
    after = rng.random(len(ok)) < tl.progress(finish, RAMP_DAYS)
    count = (
        np.where(
            after,
            rng.choice(5, len(ok), p=CHANGES_PER_DEPLOY["after"]),
            rng.choice(5, len(ok), p=CHANGES_PER_DEPLOY["before"]),
        )
        + 1
    )
    dep = np.repeat(ok, count)
    dep = dep[np.argsort(prod["finished_at"][dep], kind="stable")]
    n = len(dep)
    finish, stage_start = prod["finished_at"][dep], staging["started_at"][dep]
    u = stratified_uniform(n, rng)
    lead = loglogistic(tl.blend(finish, *LEAD_TIME_DAYS, RAMP_DAYS) * DAY, u, 2.2)
    lead = np.maximum(lead.astype(np.int64), finish - stage_start + 30 * MINUTE)
    prev_start = np.empty(len(prod["svc"]), dtype=np.int64)
    prev_start[ok] = prev
    lo = np.maximum.reduce(
        [finish - (0.8 * lead).astype(np.int64), prev_start[dep], np.full(n, tl.start + HOUR)]
    )
    hi = stage_start - 2 * MINUTE
    merged = np.where(hi > lo, lo + ((hi - lo) * rng.random(n)).astype(np.int64), hi - MINUTE)
    first = np.maximum(finish - lead, tl.start)
    opened = first + ((merged - first) * rng.uniform(0.2, 0.8, n)).astype(np.int64)
    return {
        "svc": prod["svc"][dep],
        "first_commit_at": first,
        "opened_at": opened,
        "merged_at": merged,
        "deployment": dep,
    }


def pending_changes(tl: Timeline, prod: Rows, n_services: int, rng: Rng) -> Rows:
    """A few pull requests merged after each service's last deployment: not shipped yet."""
    last = np.full(n_services, tl.end - 2 * DAY)
    np.maximum.at(last, prod["svc"], prod["started_at"])
    count = rng.integers(0, 3, n_services)
    svc = np.repeat(np.arange(n_services), count)
    n = len(svc)
    merged = last[svc] + ((tl.end - last[svc]) * rng.uniform(0.3, 0.95, n)).astype(np.int64)
    first = merged - loglogistic(np.full(n, 1.5 * DAY), rng.random(n), 2.2).astype(np.int64)
    opened = first + ((merged - first) * rng.uniform(0.2, 0.8, n)).astype(np.int64)
    return {
        "svc": svc,
        "first_commit_at": first,
        "opened_at": opened,
        "merged_at": merged,
        "deployment": np.full(n, -1),
    }


def _deployment_shas(deps: Rows, changes: Rows, shas: np.ndarray, rng: Rng) -> np.ndarray:
    """A deployment ships the merge commit of its newest change; staging the same commit."""
    out = hex_shas(rng, len(deps["svc"]))
    shipped = np.flatnonzero(changes["deployment"] >= 0)
    shipped = shipped[np.lexsort((changes["merged_at"][shipped], changes["deployment"][shipped]))]
    out[changes["deployment"][shipped]] = shas[shipped]  # later (newer) writes win
    return out


def _sequence(svc: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-service sequence numbers in time order (the basis of stable, unique ids)."""
    order = np.lexsort((t, svc))
    seq = np.empty(len(svc), dtype=np.int64)
    seq[order] = _rank_within(svc[order])
    return seq


def _nullable(values: np.ndarray) -> pa.Array:
    return pa.array(values, mask=values < 0)


def write_delivery(
    con: duckdb.DuckDBPyConnection, tl: Timeline, chunk: Chunk, rng: np.random.Generator
) -> dict[str, int]:
    """Generate and insert one chunk's deployments, changes and incidents."""
    prod = planned_deployments(tl, chunk, rng)
    staging = staging_for(prod, tl, rng)
    broken = broken_staging(staging, rng)
    failed = failed_changes(tl, prod, rng)
    incs = incidents(tl, chunk, prod, failed, rng)
    fix_prod, fix_staging, fix_changes = remediations(incs, rng)
    n_prod, n_fix = len(prod["svc"]), len(fix_prod["svc"])
    fix_offset = 2 * n_prod + len(broken["svc"])
    deps = _concat([prod, staging, broken, fix_prod, fix_staging])
    fix_changes["deployment"] = fix_changes["deployment"] + fix_offset
    changes = _concat(
        [
            planned_changes(tl, prod, staging, rng),
            fix_changes,
            pending_changes(tl, prod, len(chunk.names), rng),
        ]
    )
    shas = hex_shas(rng, len(changes["svc"]))
    dep_shas = _deployment_shas(deps, changes, shas, rng)
    dep_shas[n_prod : 2 * n_prod] = dep_shas[:n_prod]
    dep_shas[fix_offset + n_fix :] = dep_shas[fix_offset : fix_offset + n_fix]
    seq = _sequence(deps["svc"], deps["started_at"])
    dep_ids = DEPLOYMENT_ID_BASE + chunk.index[deps["svc"]] * 100_000 + seq
    return {
        "deployments": _insert_deployments(con, chunk, deps, dep_ids, dep_shas),
        "changes": _insert_changes(con, chunk, changes, dep_ids, shas, rng),
        "incidents": _insert_incidents(con, chunk, incs, dep_ids, rng),
    }


def _insert_deployments(
    con: Con, chunk: Chunk, deps: Rows, ids: np.ndarray, shas: np.ndarray
) -> int:
    remediates = np.where(deps["remediates"] >= 0, ids[deps["remediates"]], -1)
    table = pa.table(
        {
            "external_id": ids,
            "service_id": category(deps["svc"], chunk.names),
            "environment": category(deps["environment"], ENVIRONMENTS),
            "started_at": timestamps(deps["started_at"]),
            "finished_at": timestamps(deps["finished_at"]),
            "status": category(deps["status"], STATUSES),
            "commit_sha": text(shas),
            "change_type": category(deps["change_type"], CHANGE_TYPES),
            "remediates": _nullable(remediates),
        }
    )
    return insert(
        con,
        "deployments",
        table,
        "'demo' AS source, CAST(external_id AS VARCHAR) AS external_id,"
        " CAST(service_id AS VARCHAR) AS service_id, CAST(environment AS VARCHAR) AS environment,"
        " started_at, finished_at, CAST(status AS VARCHAR) AS status, commit_sha,"
        " 'https://github.com/acme/' || CAST(service_id AS VARCHAR) || '/deployments/'"
        " || CAST(external_id AS VARCHAR) AS url, CAST(change_type AS VARCHAR) AS change_type,"
        " CAST(remediates AS VARCHAR) AS remediates_external_id",
    )


def _insert_changes(
    con: Con, chunk: Chunk, changes: Rows, dep_ids: np.ndarray, shas: np.ndarray, rng: Rng
) -> int:
    first_pr = rng.integers(1, 400, len(chunk.names))
    order = np.lexsort((changes["opened_at"], changes["svc"]))
    pr = np.empty(len(order), dtype=np.int64)
    pr[order] = _rank_within(changes["svc"][order]) + first_pr[changes["svc"][order]]
    dep = changes["deployment"]
    table = pa.table(
        {
            "pr": pr,
            "service_id": category(changes["svc"], chunk.names),
            "commit_sha": text(shas),
            "first_commit_at": timestamps(changes["first_commit_at"]),
            "opened_at": timestamps(changes["opened_at"]),
            "merged_at": timestamps(changes["merged_at"]),
            "deployment": _nullable(np.where(dep >= 0, dep_ids[dep], -1)),
        }
    )
    return insert(
        con,
        "changes",
        table,
        "'demo' AS source,"
        " 'acme/' || CAST(service_id AS VARCHAR) || '#' || CAST(pr AS VARCHAR) AS external_id,"
        " CAST(service_id AS VARCHAR) AS service_id, commit_sha, first_commit_at, opened_at,"
        " merged_at, CASE WHEN deployment IS NOT NULL THEN 'demo' END AS deployment_source,"
        " CAST(deployment AS VARCHAR) AS deployment_external_id,"
        " 'https://github.com/acme/' || CAST(service_id AS VARCHAR) || '/pull/'"
        " || CAST(pr AS VARCHAR) AS url",
    )


def _titles(incs: Rows, names: list[str], rng: np.random.Generator) -> list[str]:
    pick = rng.integers(0, 1_000, len(incs["svc"]))
    titles = []
    for svc, cause, special, k in zip(
        incs["svc"], incs["cause"], incs["special"], pick, strict=True
    ):
        if special:
            titles.append(f"{names[svc]} down: primary database failover failed")
        else:
            pool = _CAUSED_TITLES if cause >= 0 else _OTHER_TITLES
            titles.append(pool[k % len(pool)].format(names[svc]))
    return titles


def _insert_incidents(con: Con, chunk: Chunk, incs: Rows, dep_ids: np.ndarray, rng: Rng) -> int:
    seq = _sequence(incs["svc"], incs["started_at"])
    number = chunk.index[incs["svc"]] * 10_000 + seq
    codes = base36((number * 1_000_003 + 4_711) % 36**6, 6)
    cause = np.where(incs["cause"] >= 0, dep_ids[incs["cause"]], -1)
    table = pa.table(
        {
            "code": text(codes),
            "service_id": category(incs["svc"], chunk.names),
            "severity": category(incs["severity"], SEVERITIES),
            "title": _titles(incs, chunk.names, rng),
            "started_at": timestamps(incs["started_at"]),
            "acknowledged_at": timestamps(incs["acknowledged_at"], incs["acknowledged_at"] < 0),
            "resolved_at": timestamps(incs["resolved_at"], incs["resolved_at"] < 0),
            "cause": _nullable(cause),
        }
    )
    return insert(
        con,
        "incidents",
        table,
        "'demo' AS source, 'P' || code AS external_id, CAST(service_id AS VARCHAR) AS service_id,"
        " CAST(severity AS VARCHAR) AS severity, title, started_at, acknowledged_at, resolved_at,"
        " CASE WHEN cause IS NOT NULL THEN 'demo' END AS caused_by_deployment_source,"
        " CAST(cause AS VARCHAR) AS caused_by_deployment_external_id,"
        " 'https://acme.pagerduty.com/incidents/P' || code AS url",
    )
