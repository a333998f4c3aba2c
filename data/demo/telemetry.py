"""Machine telemetry of the demo: hourly service-level samples and weekly Sonar analyses.

Service-level samples are the bulk of the warehouse (52.6 M rows at enterprise scale), so each
service's whole history is one set of numpy arrays and inserts go through Arrow in chunks of
services. Latency is a per-hour lognormal turned into exact histogram counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from data.demo.common import (
    DAY,
    DEGRADED_DAYS_BEFORE_END,
    HOUR,
    STREAM_SAMPLES,
    Timeline,
    category,
    insert,
    rng_for,
    timestamps,
    weekday,
)
from data.demo.org import AVAILABILITY_BREACH, LATENCY_BREACH, Organisation, Profiles

BOUNDS_MS = np.array([5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000], dtype=float)
LATENCY_COLUMNS = [f"latency_le_{int(b)}ms" for b in BOUNDS_MS] + ["latency_le_inf"]
MU_STEP = 0.002  # log-ms resolution at which hourly latency distributions are tabulated
PROBES_PER_HOUR = 60
# legacy-billing: error ratio before / after the degradation; search-api: log-latency shift.
BREACH_ERROR_RATIO = (0.003, 0.008)
BREACH_LATENCY_SHIFT = 0.87
BREACH_LATENCY_SIGMA = 0.62


@dataclass(frozen=True)
class HourGrid:
    """Hourly bucket starts and the shared traffic shape (mean 1) every service follows."""

    t: np.ndarray
    load: np.ndarray
    degraded: np.ndarray
    week_phase: np.ndarray


def hour_grid(tl: Timeline) -> HourGrid:
    t = tl.start + np.arange(tl.days * 24, dtype=np.int64) * HOUR
    hour = (t // HOUR) % 24
    diurnal = 0.3 + 0.7 * (0.5 - 0.5 * np.cos(2 * np.pi * (hour - 4) / 24))
    weekly = np.where(weekday(t) >= 5, 0.7, 1.0)
    growth = 1.0 + 0.2 * (t - tl.start) / (365 * DAY)
    load = diurnal * weekly * growth
    degraded_from = tl.end - DEGRADED_DAYS_BEFORE_END * DAY
    return HourGrid(
        t=t,
        load=load / load.mean(),
        degraded=np.clip((t - degraded_from) / (3 * DAY), 0.0, 1.0),
        week_phase=((t - tl.start) % (7 * DAY)) / (7 * DAY),
    )


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf and scipy is no dep."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                + t * 1.061405429))))  # fmt: skip
    value: np.ndarray = sign * (1.0 - poly * np.exp(-x * x))
    return value


def bucket_probabilities(mu: np.ndarray, sigma: float) -> np.ndarray:
    """P(latency in each histogram bucket) for lognormal(mu, sigma) in ms; rows sum to 1."""
    z = (np.log(BOUNDS_MS)[None, :] - mu[:, None]) / (sigma * np.sqrt(2.0))
    cdf = np.concatenate([0.5 * (1.0 + _erf(z)), np.ones((len(mu), 1))], axis=1)
    return np.diff(cdf, axis=1, prepend=0.0)


def latency_counts(
    requests: np.ndarray, mu: np.ndarray, sigma: float, rng: np.random.Generator
) -> np.ndarray:
    """Non-cumulative bucket counts summing exactly to ``requests`` (shape: rows x 12).

    Hours share tabulated distributions (mu rounded to MU_STEP). Counts are rounded
    stochastically and the remainder goes to the most likely bucket, so the sum is exact.
    """
    q = np.rint(mu / MU_STEP).astype(np.int64)
    lo = q.min()
    table = bucket_probabilities(np.arange(lo, q.max() + 1) * MU_STEP, sigma)
    probs, mode = table[q - lo], table.argmax(axis=1)[q - lo]
    rows = np.arange(len(requests))
    counts = np.floor(requests[:, None] * probs + rng.random(probs.shape)).astype(np.int64)
    counts[rows, mode] += requests - counts.sum(axis=1)
    bad = counts[rows, mode] < 0
    if bad.any():
        floor = np.floor(requests[bad, None] * probs[bad]).astype(np.int64)
        floor[np.arange(bad.sum()), mode[bad]] += requests[bad] - floor.sum(axis=1)
        counts[bad] = floor
    result: np.ndarray = counts
    return result


def service_samples(
    grid: HourGrid, prof: Profiles, i: int, role: str, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One service's hourly history: traffic, errors, latency, probes, CPU and memory."""
    n = len(grid.t)
    noise = rng.lognormal(-(0.08**2) / 2, 0.08, n)
    requests = np.rint(prof.requests_per_hour[i] * grid.load * noise).astype(np.int64)
    ratio = np.full(n, prof.error_ratio[i])
    probe_fail = np.full(n, 0.0005)
    mu = np.log(prof.latency_median_ms[i]) + 0.12 * (grid.load - 1.0) + rng.normal(0, 0.04, n)
    sigma = prof.latency_sigma[i]
    if role == AVAILABILITY_BREACH:
        before, after = BREACH_ERROR_RATIO
        ratio = before + (after - before) * grid.degraded
        probe_fail = 0.002 + 0.006 * grid.degraded
    elif role == LATENCY_BREACH:
        mu = mu + BREACH_LATENCY_SHIFT * grid.degraded
        sigma = BREACH_LATENCY_SIGMA
    ratio = np.clip(ratio * rng.lognormal(-(0.3**2) / 2, 0.3, n), 0.0, 1.0)
    cpu = prof.cpu_base[i] + prof.cpu_swing[i] * (grid.load - 0.3) + rng.normal(0, 0.02, n)
    memory = prof.memory_base[i] + 0.05 * grid.load + 0.04 * grid.week_phase
    return {
        "requests": requests,
        "errors": rng.binomial(requests, ratio),
        "probes_ok": PROBES_PER_HOUR - rng.binomial(PROBES_PER_HOUR, probe_fail),
        "cpu_utilisation": np.clip(cpu, 0.02, 0.98),
        "memory_utilisation": np.clip(memory + rng.normal(0, 0.01, n), 0.05, 0.95),
        "latency": latency_counts(requests, mu, sigma, rng),
    }


def _samples_table(grid: HourGrid, names: list[str], parts: list[dict[str, Any]]) -> pa.Table:
    n = len(grid.t)
    rows = n * len(parts)
    latency = np.concatenate([p["latency"] for p in parts]).T
    columns = {
        "service_id": category(np.repeat(np.arange(len(names)), n), names),
        "environment": category(np.zeros(rows, dtype=np.int32), ["production"]),
        "bucket_start": timestamps(np.tile(grid.t, len(parts))),
        "bucket_seconds": pa.array(np.full(rows, HOUR, dtype=np.int32)),
        "requests": np.concatenate([p["requests"] for p in parts]),
        "errors": np.concatenate([p["errors"] for p in parts]),
        "probes_total": pa.array(np.full(rows, PROBES_PER_HOUR, dtype=np.int32)),
        "probes_ok": np.concatenate([p["probes_ok"] for p in parts]).astype(np.int32),
        "cpu_utilisation": np.concatenate([p["cpu_utilisation"] for p in parts]),
        "memory_utilisation": np.concatenate([p["memory_utilisation"] for p in parts]),
    }
    columns |= {name: np.ascontiguousarray(latency[k]) for k, name in enumerate(LATENCY_COLUMNS)}
    return pa.table(columns)


def write_samples(
    con: duckdb.DuckDBPyConnection,
    tl: Timeline,
    org: Organisation,
    prof: Profiles,
    seed: int,
    chunk: int,
) -> int:
    """Insert hourly production samples for every service, ``chunk`` services per insert."""
    grid = hour_grid(tl)
    written = 0
    for first in range(0, org.size, chunk):
        names = org.service_ids[first : first + chunk]
        parts = [
            service_samples(grid, prof, first + k, name, rng_for(seed, STREAM_SAMPLES, first + k))
            for k, name in enumerate(names)
        ]
        written += insert(
            con,
            "service_level_samples",
            _samples_table(grid, names, parts),
            "* REPLACE (CAST(service_id AS VARCHAR) AS service_id,"
            " CAST(environment AS VARCHAR) AS environment)",
        )
    return written
