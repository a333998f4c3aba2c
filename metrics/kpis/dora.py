"""DORA performance tiers from the published State of DevOps benchmark tables.

The 2023 report's table (default) and the 2021 report's table are encoded as bounds on the
values TechPulse computes (deployments per service per week, hours, percent). Where a report's
bands overlap or leave gaps (2023 gives the same frequency and lead-time band to medium and low
performers), a value better than a tier's bound earns that tier, checked from elite down.
"""

from __future__ import annotations

from dataclasses import dataclass

TIERS = ("elite", "high", "medium", "low")
WEEKS_PER_MONTH = 52 / 12


@dataclass(frozen=True)
class Band:
    """Bounds to reach elite, high and medium; anything else is low."""

    elite: float
    high: float
    medium: float
    higher_is_better: bool
    text: tuple[str, str, str, str]

    def tier(self, value: float) -> str:
        for tier, bound in zip(TIERS, (self.elite, self.high, self.medium), strict=False):
            if (value >= bound) if self.higher_is_better else (value <= bound):
                return tier
        return "low"


BENCHMARKS: dict[int, dict[str, Band]] = {
    2023: {
        "deployment_frequency": Band(
            7.0,
            1.0,
            1 / WEEKS_PER_MONTH,
            True,
            (
                "on demand (daily or more)",
                "daily to weekly",
                "weekly to monthly",
                "monthly or less",
            ),
        ),
        "lead_time": Band(
            24.0,
            7 * 24.0,
            30 * 24.0,
            False,
            ("under a day", "a day to a week", "a week to a month", "over a month"),
        ),
        "change_failure_rate": Band(
            5.0, 10.0, 15.0, False, ("5 % or less", "10 % or less", "15 % or less", "over 15 %")
        ),
        "time_to_restore": Band(
            1.0,
            24.0,
            7 * 24.0,
            False,
            ("under an hour", "under a day", "a day to a week", "over a week"),
        ),
    },
    2021: {
        "deployment_frequency": Band(
            7.0,
            1 / WEEKS_PER_MONTH,
            1 / (6 * WEEKS_PER_MONTH),
            True,
            (
                "on demand (daily or more)",
                "weekly to monthly",
                "monthly to every 6 months",
                "less than every 6 months",
            ),
        ),
        "lead_time": Band(
            1.0,
            7 * 24.0,
            6 * 30 * 24.0,
            False,
            ("under an hour", "a day to a week", "a month to 6 months", "over 6 months"),
        ),
        "change_failure_rate": Band(
            15.0, 30.0, 30.0, False, ("0–15 %", "16–30 %", "16–30 %", "over 30 %")
        ),
        "time_to_restore": Band(
            1.0,
            24.0,
            7 * 24.0,
            False,
            ("under an hour", "under a day", "a day to a week", "over a week"),
        ),
    },
}


def tier(metric: str, value: float | None, year: int = 2023) -> str | None:
    """The DORA tier of ``value`` for ``metric`` in the ``year`` table; None without a value."""
    if value is None:
        return None
    return BENCHMARKS[year][metric].tier(value)


def tier_rank(name: str) -> int:
    """0 for elite … 3 for low."""
    return TIERS.index(name)


def tier_label(metric: str, tier_name: str | None, year: int = 2023) -> str | None:
    """The benchmark's band for a tier, e.g. 'daily to weekly' for high deployment frequency."""
    if tier_name is None:
        return None
    return BENCHMARKS[year][metric].text[tier_rank(tier_name)]
