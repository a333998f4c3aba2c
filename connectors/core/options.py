"""Reading a source's options: one check and one message per kind of value, for every connector.

A sources file is written by hand, so a wrong value must fail the run at once with a message
that names the table, the key and what would be right — never a traceback, and never a value
quietly taken for another. Each function here reads one option from ``options`` (the
``[sources.<name>]`` table minus the common keys), returns it typed, and raises
:class:`~connectors.core.errors.ConfigError` otherwise.

``where`` is how the message starts: ``"[sources.<name>]:"`` for most connectors,
``"[sources.<name>]"`` for PagerDuty and Opsgenie (their messages read ``[sources.pd]
reopen_days must be …``). Callers pass it so each connector keeps its own wording. The
functions that take the source's ``name`` instead word it themselves: a list option like
:func:`connectors.core.mapping.as_strings` does, a sub-table by its own name.

Also here: the default pattern that finds a deployment reference (a deployment id or commit
SHA) in an incident's text, and the function that applies such a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from connectors.core.errors import ConfigError
from connectors.core.mapping import as_strings
from i18n import _

# A deployment id or commit SHA named after deploy/deployment/release/commit/sha, or a bare
# 40-character SHA. The first non-empty group of a match is the reference.
DEPLOYMENT_REF_PATTERN = (
    r"(?i)\b(?:deploy(?:ment)?|release|commit|sha)(?:\s+id)?[\s:#=]+"
    r"([0-9a-f]{7,40}\b|[a-z0-9][\w.-]*\d[\w.-]*)"
    r"|\b([0-9a-f]{40})\b"
)


def _is_whole(value: Any) -> bool:
    """TOML integers only: ``true`` is an int to Python but never a count."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """TOML integers or floats, never booleans."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _typed(
    options: Mapping[str, Any], key: str, default: Any, kind: type, wanted: str, where: str
) -> Any:
    """The value when it is of TOML type ``kind``: nothing is converted, since a quoted
    ``"false"`` or a bare number where a string belongs is a mistake, not a value."""
    value = options.get(key, default)
    if not isinstance(value, kind):
        fix = "quote the value" if kind is str else "fix the value"
        raise ConfigError(
            _("{where} {key} must be {wanted}").format(where=where, key=key, wanted=wanted), fix
        )
    return value


def number(
    options: Mapping[str, Any], key: str, default: float, low: float, high: float, where: str
) -> float:
    """A number of hours or days within ``low..high``: the bounds keep a typo (``overlap_hours
    = 1000``) from re-reading years of history or never looking back at all."""
    value = options.get(key, default)
    if not _is_number(value) or not low <= value <= high:
        raise ConfigError(
            _("{where} {key} must be a number from {low} to {high}").format(
                where=where, key=key, low=f"{low:g}", high=f"{high:g}"
            ),
            _("fix it"),
        )
    return float(value)


def hours(
    options: Mapping[str, Any], key: str, default: float, low: float, high: float, where: str
) -> timedelta:
    """:func:`number` as a duration, for options whose names end in ``_hours``."""
    return timedelta(hours=number(options, key, default, low, high, where))


def days(
    options: Mapping[str, Any], key: str, default: float, low: float, high: float, where: str
) -> timedelta:
    """:func:`number` as a duration, for options whose names end in ``_days``."""
    return timedelta(days=number(options, key, default, low, high, where))


def whole_number(
    options: Mapping[str, Any], key: str, default: int, low: int, high: int, where: str
) -> int:
    """A whole number within ``low..high``; the message names the default, so a user who only
    wanted it back knows what to write."""
    value = options.get(key, default)
    if not _is_whole(value) or not low <= value <= high:
        raise ConfigError(
            _("{where} {key} must be a whole number {low}..{high}").format(
                where=where, key=key, low=low, high=high
            ),
            _("fix the value (default {default})").format(default=default),
        )
    return int(value)


def whole_days(
    options: Mapping[str, Any], key: str, default: int, low: int, high: int, where: str
) -> timedelta:
    """:func:`whole_number` as a duration in days."""
    return timedelta(days=whole_number(options, key, default, low, high, where))


def page_size(options: Mapping[str, Any], key: str, default: int, maximum: int, where: str) -> int:
    """Items a request asks for: at least one, at most what the API serves (asking for more
    is refused by some servers and silently cut by others, which breaks offset paging)."""
    value = options.get(key, default)
    if not _is_whole(value) or not 1 <= value <= maximum:
        raise ConfigError(
            _("{where} {key} must be 1..{maximum}").format(where=where, key=key, maximum=maximum),
            _("fix it"),
        )
    return int(value)


def flag(options: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    """A boolean: ``"false"`` (quoted) would otherwise be truthy and mean the opposite."""
    return bool(_typed(options, key, default, bool, "true or false", where))


def choice(
    options: Mapping[str, Any],
    key: str,
    default: str,
    allowed: Sequence[str],
    where: str,
    fix: str | None = None,
) -> str:
    """One of ``allowed``; ``fix`` replaces the default advice (the list of choices) where a
    word on each choice helps more."""
    value = options.get(key, default)
    if value not in allowed:
        raise ConfigError(
            _("{where} {key} = {value}").format(where=where, key=key, value=repr(value)),
            fix or f"use one of {', '.join(allowed)}",
        )
    return str(value)


def text(options: Mapping[str, Any], key: str, default: str, where: str) -> str:
    """A string as written (it may be empty); a number or list is refused, not stringified."""
    return str(_typed(options, key, default, str, "a string", where))


def strings(
    options: Mapping[str, Any], key: str, name: str, allowed: Sequence[str] | None = None
) -> list[str]:
    """A string or list of strings (``[]`` when unset), each one of ``allowed`` when given, so
    a filter with a typo fails instead of matching nothing."""
    if key not in options:
        return []
    values = as_strings(options[key], key, name)
    if allowed is not None:
        wrong = [v for v in values if v not in allowed]
        if wrong:
            raise ConfigError(
                _("[sources.{name}] {key} has {value}").format(
                    name=name, key=key, value=", ".join(wrong)
                ),
                _("use some of {value}").format(value=", ".join(allowed)),
            )
    return values


def renames(options: Mapping[str, Any], key: str, name: str, product: str) -> dict[str, str]:
    """A ``[sources.<name>.<key>]`` table renaming ``product``'s environment names to the
    warehouse's (``"prod" = "production"``), so sources that spell them differently agree."""
    table = options.get(key, {})
    if not isinstance(table, dict) or not all(isinstance(v, str) and v for v in table.values()):
        raise ConfigError(
            _(
                "[sources.{name}.{key}] must map {product} environment names to warehouse names"
            ).format(name=name, key=key, product=product),
            _('[sources.{name}.{key}] "prod" = "production"').format(name=name, key=key),
        )
    return dict(table)


def regex(
    options: Mapping[str, Any], key: str, default: str | None, where: str, fix: str
) -> re.Pattern[str] | None:
    """A regular expression compiled now, so a broken one fails the run before any request
    rather than on the first incident; ``""`` (or no value and no default) turns the search
    off: None."""
    if options.get(key, default) in (None, ""):
        return None
    value = str(_typed(options, key, default, str, "a string", where))
    try:
        return re.compile(value)
    except re.error as exc:
        raise ConfigError(
            _("{where} {key} is not a regular expression ({exc})").format(
                where=where, key=key, exc=exc
            ),
            fix,
        ) from None


def ref_pattern(options: Mapping[str, Any], where: str) -> re.Pattern[str] | None:
    """``deployment_ref_pattern`` (default :data:`DEPLOYMENT_REF_PATTERN`): a group is
    required, since the reference is what a group captures, not the words around it."""
    pattern = regex(
        options,
        "deployment_ref_pattern",
        DEPLOYMENT_REF_PATTERN,
        where,
        "fix it (Python re syntax; the first group that matches is the reference)",
    )
    if pattern is not None and pattern.groups < 1:
        raise ConfigError(
            _("{where} deployment_ref_pattern has no group").format(where=where),
            _("put the deployment id or SHA in parentheses, e.g. deploy ([0-9a-f]{7,40})"),
        )
    return pattern


def find_ref(pattern: re.Pattern[str] | None, texts: Iterable[Any]) -> str | None:
    """The first reference ``pattern`` finds in ``texts``, trailing punctuation removed (a
    SHA at the end of a sentence must still match the deployment's)."""
    if pattern is None:
        return None
    for value in texts:
        if not isinstance(value, str) or not value:
            continue
        for match in pattern.finditer(value):
            found = next((g for g in match.groups() if g), None)
            if found and found.rstrip(".-_"):
                return found.rstrip(".-_")
    return None


def offset_cap(page_size: int, max_offset: int, section: str) -> None:
    """APIs that cap ``offset + limit`` need room for two pages below the cap, or a listing
    could never move past its first page; ``section`` is ``[sources.<name>]``."""
    if max_offset < 2 * page_size:
        raise ConfigError(
            _("{section}: max_offset must be at least twice page_size").format(section=section),
            _("raise max_offset"),
        )
