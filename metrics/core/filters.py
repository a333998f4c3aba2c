"""The filters every KPI query takes: period, team, service and environment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from i18n import _

UTC = dt.UTC
MAX_PERIOD_DAYS = 3 * 366 + 1


class FilterError(ValueError):
    """A filter value a user can correct; the message says how."""


@dataclass(frozen=True)
class Filters:
    """A reporting scope. ``start`` and ``end`` are inclusive calendar days in UTC."""

    start: dt.date
    end: dt.date
    team: str | None = None
    service: str | None = None
    environment: str = "production"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise FilterError(
                _(
                    "the period ends ({end}) before it starts ({start}); choose an end date on "
                    "or after the start date"
                ).format(end=self.end, start=self.start)
            )
        if self.days > MAX_PERIOD_DAYS:
            raise FilterError(
                _("the period is {days} days long; choose at most {limit} days").format(
                    days=self.days, limit=MAX_PERIOD_DAYS
                )
            )
        for name in ("team", "service", "environment"):
            value = getattr(self, name)
            if value is not None and not _is_identifier_text(value):
                raise FilterError(
                    _(
                        "{name} must be a short text identifier (at most 200 printable characters)"
                    ).format(name=name)
                )
        # environments are stored in lower case (connectors.core.records.environment_name)
        object.__setattr__(self, "environment", self.environment.strip().lower())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_ts(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=UTC)

    @property
    def end_ts(self) -> dt.datetime:
        """Exclusive end: midnight UTC after the last day."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=UTC)

    def previous(self) -> Filters:
        """The period of the same length just before this one, same scope."""
        length = dt.timedelta(days=self.days)
        return replace(self, start=self.start - length, end=self.end - length)

    def scope_params(self) -> dict[str, Any]:
        return {"team": self.team, "service": self.service, "environment": self.environment}


def _is_identifier_text(value: object) -> bool:
    """Printable text of at most 200 characters that UTF-8 can carry (no lone surrogates,
    no control characters): anything else cannot be a team, service or environment id."""
    if not isinstance(value, str) or len(value) > 200 or not value.isprintable():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_date(text: str, name: str) -> dt.date:
    """An ISO date (YYYY-MM-DD), or a FilterError naming the parameter."""
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise FilterError(
            _("{name} {text} is not a date; use YYYY-MM-DD").format(name=name, text=repr(text))
        ) from None
