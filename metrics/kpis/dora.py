"""DORA performance tiers from the published State of DevOps benchmark tables.

The 2023 report's table (default) and the 2021 report's table are encoded as bounds on the
values TechPulse computes (deployments per service per week, hours, percent). Where a report's
bands overlap or leave gaps (2023 gives the same frequency and lead-time band to medium and low
performers), a value better than a tier's bound earns that tier, checked from elite down.
"""

from __future__ import annotations

from dataclasses import dataclass

from i18n import N_, _

TIERS = ("elite", "high", "medium", "low")
# lower case: the names stand mid-sentence ("high tier or better"), as they always read here
TIER_NAMES = {"elite": N_("elite"), "high": N_("high"), "medium": N_("medium"), "low": N_("low")}
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
                N_("on demand (daily or more)"),
                N_("daily to weekly"),
                N_("weekly to monthly"),
                N_("monthly or less"),
            ),
        ),
        "lead_time": Band(
            24.0,
            7 * 24.0,
            30 * 24.0,
            False,
            (N_("under a day"), N_("a day to a week"), N_("a week to a month"), N_("over a month")),
        ),
        "change_failure_rate": Band(
            5.0,
            10.0,
            15.0,
            False,
            (N_("5 % or less"), N_("10 % or less"), N_("15 % or less"), N_("over 15 %")),
        ),
        "time_to_restore": Band(
            1.0,
            24.0,
            7 * 24.0,
            False,
            (N_("under an hour"), N_("under a day"), N_("a day to a week"), N_("over a week")),
        ),
    },
    2021: {
        "deployment_frequency": Band(
            7.0,
            1 / WEEKS_PER_MONTH,
            1 / (6 * WEEKS_PER_MONTH),
            True,
            (
                N_("on demand (daily or more)"),
                N_("weekly to monthly"),
                N_("monthly to every 6 months"),
                N_("less than every 6 months"),
            ),
        ),
        "lead_time": Band(
            1.0,
            7 * 24.0,
            6 * 30 * 24.0,
            False,
            (
                N_("under an hour"),
                N_("a day to a week"),
                N_("a month to 6 months"),
                N_("over 6 months"),
            ),
        ),
        "change_failure_rate": Band(
            15.0, 30.0, 30.0, False, (N_("0–15 %"), N_("16–30 %"), N_("16–30 %"), N_("over 30 %"))
        ),
        "time_to_restore": Band(
            1.0,
            24.0,
            7 * 24.0,
            False,
            (N_("under an hour"), N_("under a day"), N_("a day to a week"), N_("over a week")),
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
    return _(BENCHMARKS[year][metric].text[tier_rank(tier_name)])


def tier_name(tier_id: str) -> str:
    """A tier's name in the current language ("high" → "High" / "高效能")."""
    return _(TIER_NAMES[tier_id]) if tier_id in TIER_NAMES else tier_id
