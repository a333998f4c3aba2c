"""When the worker runs a source: ``every = "15m"`` or a five-field cron expression, in UTC.

An interval counts from the end of the source's previous run, so a slow run never piles up
behind itself; a cron expression names wall-clock moments (UTC) and its next moment after the
previous run is taken. Cron parsing is croniter's, not ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

from connectors.core.errors import ConfigError
from i18n import _

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+)\s*([smhd])")
_WHOLE = re.compile(r"(\s*\d+\s*[smhd]\s*)+")
MIN_SECONDS, MAX_SECONDS = 1, 7 * 86400


def parse_duration(text: str, where: str) -> timedelta:
    """``"90s"``, ``"15m"``, ``"1h30m"``, ``"1d"`` → a duration from 1 second to 7 days."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text.lower()):
        raise ConfigError(
            _("{where}: {text} is not a duration").format(where=where, text=repr(text)),
            _('write it as a number and a unit (s, m, h, d), e.g. "15m" or "1h30m"'),
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(text.lower()))
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ConfigError(
            _("{where}: {text} is out of range").format(where=where, text=repr(text)),
            _("use 1s to 7d"),
        )
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Schedule:
    """Either an interval or a cron expression; :meth:`next_run` answers for both."""

    every: timedelta | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ValueError("a schedule is an interval or a cron expression, exactly one")

    def next_run(self, previous_end: datetime) -> datetime:
        """The moment after ``previous_end`` (aware, UTC) at which the source runs again."""
        if self.every is not None:
            return previous_end + self.every
        assert self.cron is not None
        start = previous_end.astimezone(UTC).replace(tzinfo=None)
        following: datetime = croniter(self.cron, start).get_next(datetime)
        return following.replace(tzinfo=UTC)

    def interval_hint(self) -> timedelta:
        """About how long between runs: the interval, or the gap between two cron moments."""
        if self.every is not None:
            return self.every
        base = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday: weekly expressions give a week
        first = self.next_run(base)
        return self.next_run(first) - first

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron} (UTC)"
        assert self.every is not None
        return f"every {format_duration(self.every)}"


def parse_schedule(every: object, cron: object, where: str) -> Schedule | None:
    """A source's ``every`` or ``cron`` (never both); None when it has neither."""
    if every is not None and cron is not None:
        raise ConfigError(
            _("{where} has both every and cron").format(where=where), _("keep one of them")
        )
    if every is not None:
        return Schedule(every=parse_duration(str(every) if every else "", where))
    if cron is None:
        return None
    text = str(cron).strip() if isinstance(cron, str) else ""
    if len(text.split()) != 5 or not croniter.is_valid(text):
        raise ConfigError(
            _("{where}: cron {cron} is not a five-field cron expression").format(
                where=where, cron=repr(cron)
            ),
            _('write minute hour day month weekday in UTC, e.g. cron = "0 */6 * * *"'),
        )
    return Schedule(cron=text)


def format_duration(span: timedelta) -> str:
    """The shortest exact form: 90 s → "1m30s", 3600 s → "1h"."""
    seconds = int(span.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def until_text(moment: datetime, now: datetime) -> str:
    """ "in 11 min", "in 2 h", "now": a reader's rounding of a future moment."""
    return _("in {span}").format(span=span_text(moment - now)) if moment > now else _("now")


def ago_text(moment: datetime, now: datetime) -> str:
    """ "2 min ago", "just now" for a past moment."""
    if now - moment < timedelta(seconds=60):
        return _("just now")
    return _("{span} ago").format(span=span_text(now - moment))


def span_text(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 60:
        return _("{n} s").format(n=max(int(seconds), 1))
    if seconds < 3600:
        return _("{n} min").format(n=int(seconds // 60))
    if seconds < 86400 * 2:
        return _("{n} h").format(n=f"{seconds / 3600:.1f}".removesuffix(".0"))
    return _("{n} days").format(n=int(seconds // 86400))
