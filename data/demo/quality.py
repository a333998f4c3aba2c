"""Weekly SonarQube analyses of the demo: coverage climbing toward the 80 % target.

Sonar's overall coverage is (covered lines + covered conditions) / (lines + conditions); the
organisation figure weights services by their size. Each service gets a start and an end
coverage, shifted so the size-weighted organisation figure starts at ~55 % and ends at ~78 %,
and follows a slow climb before the adoption date and a faster one after it.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from data.demo.common import (
    DAY,
    HOUR,
    SOURCE,
    STREAM_QUALITY,
    Timeline,
    category,
    insert,
    rng_for,
    timestamps,
)
from data.demo.org import Organisation, Profiles

COVERAGE_START, COVERAGE_END = 0.55, 0.78
NEW_CODE_COVERAGE = (0.62, 0.85)
LINE_MINUS_TOTAL = 0.02  # line coverage runs a little above overall (conditions lag)


def _centred(
    level: float, spread: np.ndarray, weights: np.ndarray, lo: float, hi: float
) -> np.ndarray:
    """Per-service values around ``level`` whose size-weighted mean is exactly ``level``."""
    values = level + spread
    for _ in range(5):
        values = np.clip(values + level - np.average(values, weights=weights), lo, hi)
    return values


def progress(tl: Timeline, t: np.ndarray) -> np.ndarray:
    """0 → 0.3 slowly until adoption, then a faster, flattening climb to 1 at the end."""
    before = 0.3 * (t - tl.start) / (tl.adoption - tl.start)
    x = np.clip((t - tl.adoption) / (tl.end - tl.adoption), 0.0, 1.0)
    return np.where(t < tl.adoption, before, 0.3 + 0.7 * (1.0 - (1.0 - x) ** 1.6))


def _coverage_paths(
    prof: Profiles, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per service: conditions per line, and start and end overall coverage."""
    n = len(prof.lines_to_cover)
    ratio = rng.uniform(0.25, 0.35, n)
    weight = prof.lines_to_cover * (1.0 + ratio)
    lag = prof.coverage_lag
    stars = (rng.random(n) < 0.2) * rng.uniform(0.04, 0.09, n)
    end = _centred(COVERAGE_END, rng.normal(0, 0.015, n) + stars - lag, weight, 0.35, 0.95)
    start = _centred(COVERAGE_START, rng.normal(0, 0.04, n) - 0.7 * lag, 0.7 * weight, 0.25, 0.8)
    return ratio, start, np.maximum(end, start + 0.02)


def snapshots(tl: Timeline, prof: Profiles, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One analysis per service per week (nightly, on the service's own weekday)."""
    n = len(prof.lines_to_cover)
    weeks = tl.days // 7 + 1
    offset = rng.integers(0, 7, n) * DAY + rng.integers(2 * HOUR, 5 * HOUR, n)
    t = tl.start + offset[:, None] + np.arange(weeks)[None, :] * 7 * DAY
    svc = np.broadcast_to(np.arange(n)[:, None], t.shape)
    keep = t < tl.end
    t, svc = t[keep], svc[keep]
    m = len(t)
    g = progress(tl, t)
    frac = (t - tl.start) / (tl.end - tl.start)
    ratio, start, end = _coverage_paths(prof, rng)
    low = prof.coverage_lag[svc] > 0.1
    lines = np.rint(prof.lines_to_cover[svc] * (0.7 + 0.3 * frac) * rng.normal(1, 0.003, m))
    conditions = np.rint(lines * ratio[svc])
    total = np.clip(start[svc] + (end[svc] - start[svc]) * g + rng.normal(0, 0.004, m), 0, 1)
    line_cov = np.clip(total + LINE_MINUS_TOTAL, 0.0, 0.995)
    cond_cov = np.clip((total * (lines + conditions) - line_cov * lines) / conditions, 0.0, 1.0)
    new_lines = np.rint(rng.lognormal(np.log(400 * np.sqrt(lines / 20_000)), 0.6)) + 10
    lo, hi = NEW_CODE_COVERAGE
    new_cov = np.clip(lo + (hi - lo) * g - 0.08 * low + rng.normal(0, 0.04, m), 0.3, 0.99)
    debt_ratio = rng.uniform(0.02, 0.06, n)[svc] + 0.03 * low
    debt = np.rint(lines * 30 * debt_ratio * (1 - 0.35 * g))
    duplication = rng.uniform(2, 12, n)[svc] * (1 - 0.3 * g) + rng.normal(0, 0.2, m)
    gate_error = 0.03 + 0.25 * (new_cov < 0.7) + 0.2 * (total < 0.7)
    return {
        "svc": svc,
        "analysed_at": t,
        "lines_to_cover": lines.astype(np.int64),
        "uncovered_lines": np.rint(lines * (1 - line_cov)).astype(np.int64),
        "conditions_to_cover": conditions.astype(np.int64),
        "uncovered_conditions": np.rint(conditions * (1 - cond_cov)).astype(np.int64),
        "new_lines_to_cover": new_lines.astype(np.int64),
        "new_uncovered_lines": np.rint(new_lines * (1 - new_cov)).astype(np.int64),
        "technical_debt_minutes": debt.astype(np.int64),
        "bugs": rng.poisson(lines / 2_500 * (1 - 0.5 * g) * (1 + low)).astype(np.int32),
        "vulnerabilities": rng.poisson(lines / 9_000 * (1 - 0.6 * g)).astype(np.int32),
        "code_smells": np.rint(debt / rng.uniform(10, 20, n)[svc]).astype(np.int32),
        "duplicated_lines_density": np.round(np.clip(duplication, 0.3, 30.0), 1),
        "gate_error": rng.random(m) < gate_error,
    }


def write_quality(
    con: duckdb.DuckDBPyConnection, tl: Timeline, org: Organisation, prof: Profiles, seed: int
) -> int:
    """Insert the weekly analyses; project_key is the service's sonar_project_key."""
    rows = snapshots(tl, prof, rng_for(seed, STREAM_QUALITY))
    svc, gate = rows.pop("svc"), rows.pop("gate_error")
    table = pa.table(
        {
            "service_id": category(svc, org.service_ids),
            "analysed_at": timestamps(rows.pop("analysed_at")),
            **rows,
            "quality_gate_status": category(gate.astype(np.int32), ["OK", "ERROR"]),
        }
    )
    return insert(
        con,
        "quality_snapshots",
        table,
        f"* REPLACE (CAST(service_id AS VARCHAR) AS service_id,"
        f" CAST(quality_gate_status AS VARCHAR) AS quality_gate_status),"
        f" '{SOURCE}' AS source, 'acme_' || CAST(service_id AS VARCHAR) AS project_key",
    )
