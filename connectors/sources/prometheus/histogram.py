"""Cumulative Prometheus histogram buckets → the warehouse's 12 non-cumulative counts.

The warehouse keeps Prometheus's default bounds (5 ms … 10 s, +Inf). For one service-hour the
connector has ``increase()`` of every ``le`` bucket: cumulative, fractional (extrapolated)
counts. :func:`to_warehouse_buckets` turns them into integers as follows:

1. **Bounds.** ``le`` values are parsed as numbers and multiplied by ``unit`` (seconds by
   default), so ``"0.005"``, ``"5e-3"`` and ``"0.0050"`` all match 5 ms. A bound matches a
   canonical one when equal to within 1e-9 relative. Extra bounds are ignored: the cumulative
   count *at* each canonical bound is all the warehouse needs. A missing canonical bound is,
   in mode ``"interpolate"`` (default), estimated by linear interpolation of the cumulative
   count between the nearest bounds below (or 0 at 0 s) and above — the same assumption
   ``histogram_quantile`` makes; with no finite bound above it, the count of the nearest bound
   below is used (those requests are counted as slower, never faster). Mode ``"strict"``
   refuses such a histogram instead. A histogram without ``+Inf`` is always refused.
2. **Monotonicity.** Cumulative counts are made non-decreasing (running maximum), as
   Prometheus does before computing quantiles.
3. **Total.** When the hour's ``requests`` (from the request counter) is known and the
   histogram is not empty, the cumulative counts are scaled by ``requests / count(+Inf)``:
   the histogram gives the *shape*, the request counter the *total*. Usually the factor is 1
   (both come from the same instrumentation); otherwise quantiles are unchanged by scaling.
4. **Rounding.** The scaled cumulative counts are rounded half up, clamped to
   ``[previous, total]``, and differenced. Hence every count is a non-negative integer and
   the 12 counts sum *exactly* to ``requests`` (or to the rounded histogram count when
   ``requests`` is unknown).

An empty histogram (count 0) yields 12 zeros, whatever ``requests`` says: with no latency
data the hour adds nothing to P95.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from connectors.core.errors import ConnectorError
from i18n import _

CANONICAL_BOUNDS_SECONDS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    math.inf,
)
COLUMNS: tuple[str, ...] = (
    "latency_le_5ms",
    "latency_le_10ms",
    "latency_le_25ms",
    "latency_le_50ms",
    "latency_le_100ms",
    "latency_le_250ms",
    "latency_le_500ms",
    "latency_le_1000ms",
    "latency_le_2500ms",
    "latency_le_5000ms",
    "latency_le_10000ms",
    "latency_le_inf",
)
MODES = ("interpolate", "strict")


class BoundsError(ConnectorError):
    """The histogram cannot be mapped onto the canonical bounds."""


def parse_le(label: str, unit: float = 1.0) -> float:
    """An ``le`` label value in seconds (``+Inf`` → inf)."""
    value = float(label)
    return value if math.isinf(value) else value * unit


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def _find(bounds: Sequence[float], target: float) -> int | None:
    for index, bound in enumerate(bounds):
        if bound == target or (
            not math.isinf(bound) and math.isclose(bound, target, rel_tol=1e-9, abs_tol=1e-12)
        ):
            return index
    return None


def cumulative_at_canonical(
    cumulative: Mapping[float, float], mode: str = "interpolate"
) -> list[float]:
    """The cumulative count at each canonical bound (steps 1 and 2 of the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    bounds = sorted(cumulative)
    if not bounds or not math.isinf(bounds[-1]):
        raise BoundsError(
            _("histogram has no +Inf bucket"), _("check the latency query returns every le bucket")
        )
    counts: list[float] = []
    running = 0.0
    for bound in bounds:
        value = cumulative[bound]
        running = max(running, value if math.isfinite(value) else running)
        counts.append(running)
    result: list[float] = []
    missing: list[float] = []
    for target in CANONICAL_BOUNDS_SECONDS:
        index = _find(bounds, target)
        if index is not None:
            result.append(counts[index])
            continue
        missing.append(target)
        below = [i for i, b in enumerate(bounds) if b < target]
        above = [i for i, b in enumerate(bounds) if target < b < math.inf]
        low_bound = bounds[below[-1]] if below else 0.0
        low_count = counts[below[-1]] if below else 0.0
        if above:
            high_bound, high_count = bounds[above[0]], counts[above[0]]
            share = (target - low_bound) / (high_bound - low_bound)
            result.append(low_count + (high_count - low_count) * share)
        else:
            result.append(low_count)
    if missing and mode == "strict":
        shown = ", ".join(f"{b:g}" for b in missing)
        raise BoundsError(
            _("histogram lacks the canonical bound(s) {shown} s").format(shown=shown),
            _('add them to the instrumentation, or set latency_bounds = "interpolate"'),
        )
    return result


def to_warehouse_buckets(
    cumulative: Mapping[float, float],
    requests: int | None = None,
    mode: str = "interpolate",
) -> list[int]:
    """Twelve non-cumulative integer counts for the warehouse (see the module docstring)."""
    at_bounds = cumulative_at_canonical(cumulative, mode)
    count = at_bounds[-1]
    if count <= 0:
        return [0] * len(COLUMNS)
    total = requests if requests is not None else _round_half_up(count)
    scale = total / count
    buckets: list[int] = []
    previous = 0
    for index, value in enumerate(at_bounds):
        rounded = total if index == len(at_bounds) - 1 else _round_half_up(value * scale)
        rounded = min(total, max(previous, rounded))
        buckets.append(rounded - previous)
        previous = rounded
    return buckets
