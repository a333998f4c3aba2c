"""Building blocks shared by the demo generators: the time line, random draws and Arrow inserts.

Times are int64 seconds since the Unix epoch (UTC) while generating, so every stream is plain
vectorised numpy; they become Arrow ``timestamp[us, UTC]`` columns only when inserted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

MINUTE = 60
HOUR = 3_600
DAY = 86_400
SOURCE = "demo"
# Story dates, in days before the end date: GitOps/CI-CD adoption (A), the major outage, and the
# day legacy-billing (errors) and search-api (latency) started to breach their targets.
ADOPTION_DAYS_BEFORE_END = 330
OUTAGE_DAYS_BEFORE_END = 450
OUTAGE_SERVICE = "payment-gateway"
DEGRADED_DAYS_BEFORE_END = 120
# Random stream keys: every generator draws from its own SeedSequence(seed, stream, chunk), so
# adding draws to one stream never changes another.
STREAM_PROFILES = 1
STREAM_DELIVERY = 2
STREAM_SAMPLES = 3
STREAM_QUALITY = 4
STREAM_LEDGER = 5
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def rng_for(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    """A generator that depends only on (seed, stream, chunk): the basis of determinism."""
    return np.random.default_rng([seed, stream, chunk])


def epoch(day: dt.date) -> int:
    """Seconds since the epoch at 00:00 UTC of ``day``."""
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


@dataclass(frozen=True)
class Timeline:
    """The history window [start, end) and the adoption date A that splits the story."""

    start: int
    end: int
    adoption: int

    @classmethod
    def ending(cls, end: dt.date, days: int) -> Timeline:
        adoption = end - dt.timedelta(days=ADOPTION_DAYS_BEFORE_END)
        return cls(epoch(end - dt.timedelta(days=days)), epoch(end), epoch(adoption))

    @property
    def days(self) -> int:
        return (self.end - self.start) // DAY

    def date(self, seconds: int) -> dt.date:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).date()

    def progress(self, t: np.ndarray | int, ramp_days: float) -> np.ndarray:
        """0 before adoption, rising linearly to 1 over ``ramp_days`` after it."""
        return np.clip((np.asarray(t) - self.adoption) / (ramp_days * DAY), 0.0, 1.0)

    def blend(
        self, t: np.ndarray | int, before: float, after: float, ramp_days: float
    ) -> np.ndarray:
        """A level that moves geometrically from ``before`` to ``after`` across the ramp."""
        p = self.progress(t, ramp_days)
        level: np.ndarray = np.exp(np.log(before) * (1.0 - p) + np.log(after) * p)
        return level


def weekday(t: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (t // DAY + 3) % 7


def stratified_uniform(n: int, rng: np.random.Generator, block: int = 8) -> np.ndarray:
    """Uniform draws whose every stretch of consecutive values covers (0, 1) evenly.

    A golden-ratio (Weyl) sequence from a random start, shuffled within small blocks. Callers
    order events by time first, so any window of a few hundred events gets an almost exact
    empirical distribution: medians land on target for every seed, single events look random.
    """
    u = (rng.random() + _GOLDEN * np.arange(n)) % 1.0
    order = np.argsort(np.arange(n) // block + rng.random(n), kind="stable")
    return u[order]


def stratified_flags(p: np.ndarray, rng: np.random.Generator, block: int = 50) -> np.ndarray:
    """Bernoulli(p) flags with the expected count hit exactly within each block of events."""
    n = len(p)
    if n == 0:
        return np.zeros(0, dtype=bool)
    blocks = np.arange(n) // block
    wanted = np.floor(np.bincount(blocks, weights=p) + rng.random(blocks[-1] + 1))
    order = np.argsort(blocks + rng.random(n), kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) % block
    flags: np.ndarray = rank < wanted[blocks]
    return flags


def loglogistic(
    median: np.ndarray, u: np.ndarray, shape: float, lo: float = 0.01, hi: float = 0.99
) -> np.ndarray:
    """Log-logistic quantiles: right-skewed durations whose median is exactly ``median``."""
    u = np.clip(u, lo, hi)
    return median * (u / (1.0 - u)) ** (1.0 / shape)


def log_uniform(rng: np.random.Generator, lo: float, hi: float, size: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(lo), math.log(hi), size))


_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")
_B36 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype="S1")


def hex_shas(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 40-hex commit SHAs as a fixed-width bytes array (no Python loop)."""
    raw = rng.integers(0, 256, size=(n, 20), dtype=np.uint8)
    return np.ascontiguousarray(_HEX[raw]).view("S40").ravel()


def base36(values: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width upper-case base-36 codes of non-negative integers."""
    digits = np.empty((len(values), width), dtype="S1")
    rest = np.asarray(values, dtype=np.int64).copy()
    for pos in range(width - 1, -1, -1):
        digits[:, pos] = _B36[rest % 36]
        rest //= 36
    return np.ascontiguousarray(digits).view(f"S{width}").ravel()


def text(values: np.ndarray) -> pa.Array:
    """A bytes array as an Arrow string column."""
    return pa.array(values).cast(pa.string())


def category(codes: np.ndarray, labels: list[str]) -> pa.DictionaryArray:
    """A dictionary-encoded string column: cheap for millions of repeated names."""
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(labels))


def timestamps(seconds: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    us = np.asarray(seconds, dtype=np.int64) * 1_000_000
    return pa.array(us, type=pa.timestamp("us", tz="UTC"), mask=null)


def rows_table(names: list[str], rows: Sequence[tuple[object, ...]]) -> pa.Table:
    """An Arrow table from a few Python row tuples (the small, hand-written tables)."""
    columns = zip(*rows, strict=True)
    return pa.table({name: list(col) for name, col in zip(names, columns, strict=True)})


def insert(con: duckdb.DuckDBPyConnection, table: str, chunk: pa.Table, select: str = "*") -> int:
    """Insert an Arrow chunk, matching columns by name; ``select`` derives the rest in SQL.

    Goes through a relation rather than ``con.register``: a registered Arrow table stays
    pinned until the transaction commits, which would hold every chunk of the 52 M-row
    enterprise build in memory at once.
    """
    con.from_arrow(chunk).query(
        "demo_chunk", f"INSERT INTO {table} BY NAME SELECT {select} FROM demo_chunk"
    )
    return int(chunk.num_rows)
