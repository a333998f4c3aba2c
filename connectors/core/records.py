"""Canonical delivery and incident rows, built the same way by every connector and the CSV import.

A connector reads its API and calls :func:`deployment`, :func:`change`, :func:`incident` and
:func:`deployment_commit`; these normalise what every source spells differently (time zones,
status words, severities) and refuse impossible rows with a :class:`RowError` that names the
field, so a bad record is reported instead of stored.

Time: every timestamp becomes an aware UTC ``datetime``. A source time without an offset is
refused unless the connector says which zone it is in: guessing would shift lead times by hours.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from connectors.core.base import Upsert
from i18n import _

DEPLOYMENT_KEY = ("source", "external_id")
COMMIT_KEY = ("source", "deployment_external_id", "commit_sha")
STATUSES = ("success", "failure", "cancelled")
CHANGE_TYPES = ("planned", "hotfix", "rollback")
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")

_STATUS_WORDS = {
    "success": "success",
    "succeeded": "success",
    "successful": "success",
    "ok": "success",
    "passed": "success",
    "failure": "failure",
    "failed": "failure",
    "error": "failure",
    "errored": "failure",
    "unstable": "failure",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "aborted": "cancelled",
    "skipped": "cancelled",
}
_SEVERITY = re.compile(r"^(?:sev|p|s)?\s*-?\s*([1-5])$", re.IGNORECASE)
_SEVERITY_WORDS = {
    "critical": "SEV1",
    "highest": "SEV1",
    "blocker": "SEV1",
    "high": "SEV2",
    "major": "SEV2",
    "medium": "SEV3",
    "moderate": "SEV3",
    "low": "SEV4",
    "lowest": "SEV4",
    "minor": "SEV4",
    "trivial": "SEV4",
    "info": "SEV4",
    "informational": "SEV4",
}


class RowError(ValueError):
    """A source record that cannot become a warehouse row; the message names the field."""


def utc(value: Any, field: str, *, assume: timezone | None = None) -> datetime:
    """``value`` (ISO-8601 text, epoch seconds or a datetime) as an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise RowError(
                _("{field} {value} is not a valid epoch time").format(
                    field=field, value=repr(value)
                )
            ) from None
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # +0100 (Jira, Java) → +01:00
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise RowError(
                _("{field} {value} is not an ISO-8601 time").format(field=field, value=repr(value))
            ) from None
    else:
        raise RowError(_("{field} is missing").format(field=field))
    if moment.tzinfo is None:
        if assume is None:
            raise RowError(
                _("{field} {value} has no time zone (add Z or an offset like +01:00)").format(
                    field=field, value=repr(value)
                )
            )
        moment = moment.replace(tzinfo=assume)
    return moment.astimezone(UTC)


def optional_utc(value: Any, field: str, *, assume: timezone | None = None) -> datetime | None:
    """:func:`utc`, or None for a missing or empty value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return utc(value, field, assume=assume)


def status(value: Any, field: str = "status") -> str:
    """success, failure or cancelled from the many words sources use."""
    word = str(value or "").strip().lower()
    if word not in _STATUS_WORDS:
        raise RowError(
            _("{field} {value} is not one of success, failure, cancelled").format(
                field=field, value=repr(value)
            )
        )
    return _STATUS_WORDS[word]


def severity(value: Any, default: str = "SEV3") -> str:
    """SEV1 (worst) … SEV4 from P1/SEV-2/critical/high/…; P5 and SEV5 become SEV4."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    text = str(value).strip()
    match = _SEVERITY.match(text)
    if match:
        return f"SEV{min(4, int(match[1]))}"
    word = _SEVERITY_WORDS.get(text.lower())
    if word is None:
        raise RowError(
            _("severity {value} is not SEV1-SEV4, P1-P5 or critical/high/medium/low").format(
                value=repr(value)
            )
        )
    return word


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def web_url(value: Any) -> str | None:
    """An http(s) link to the record at its source, else None. Every connector's ``url`` passes
    here, so a ``javascript:``, ``data:`` or ``file:`` value from a source never reaches a page
    as a link; the row itself is kept (a deployment is not lost over its link)."""
    text = _text(value)
    if text is None or any(ch.isspace() or ord(ch) < 32 for ch in text):
        return None
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in {"http", "https"} or not rest or rest[0] in "/?#":
        return None
    return text


def _required(value: Any, field: str) -> str:
    text = _text(value)
    if text is None:
        raise RowError(_("{field} is missing").format(field=field))
    return text


def environment_name(value: Any) -> str:
    """An environment as stored: trimmed, in lower case. DevLake writes ``PRODUCTION``, GitHub
    often ``Production``; as with status words, case carries no meaning, and a mixed-case name
    would silently miss ``[linking] production_environments`` and the page filters."""
    return _required(value, "environment").lower()


def deployment(
    *,
    source: str,
    external_id: Any,
    service_id: str,
    environment: str,
    started_at: datetime,
    finished_at: datetime | None,
    status: str,
    commit_sha: str | None = None,
    url: str | None = None,
    change_type: str = "planned",
    remediates_external_id: str | None = None,
) -> dict[str, Any]:
    """A ``deployments`` row. ``finished_at`` is when the change went live (NULL if unknown)."""
    if status not in STATUSES:
        raise RowError(
            _("status {status} is not one of {value}").format(
                status=repr(status), value=", ".join(STATUSES)
            )
        )
    if change_type not in CHANGE_TYPES:
        raise RowError(
            _("change_type {change_type} is not one of {value}").format(
                change_type=repr(change_type), value=", ".join(CHANGE_TYPES)
            )
        )
    if finished_at is not None and finished_at < started_at:
        raise RowError(_("finished before it started"))
    return {
        "source": source,
        "external_id": _required(external_id, "external_id"),
        "service_id": _required(service_id, "service_id"),
        "environment": environment_name(environment),
        "started_at": started_at,
        "finished_at": finished_at,
        "status": status,
        "commit_sha": _text(commit_sha),
        "url": web_url(url),
        "change_type": change_type,
        "remediates_external_id": _text(remediates_external_id),
    }


def change(
    *,
    source: str,
    external_id: Any,
    service_id: str,
    commit_sha: str | None,
    first_commit_at: datetime | None,
    opened_at: datetime | None,
    merged_at: datetime | None,
    url: str | None = None,
    deployment_source: str | None = None,
    deployment_external_id: str | None = None,
) -> dict[str, Any]:
    """A ``changes`` row. Leave the deployment empty unless the source itself names it: the
    linker (connectors/core/linking.py) finds the shipping deployment across all sources."""
    if merged_at is not None and first_commit_at is not None and merged_at < first_commit_at:
        # Rebased or amended commits can carry an author date after the merge; lead time
        # then starts at the merge rather than going negative.
        first_commit_at = merged_at
    linked = deployment_external_id is not None
    return {
        "source": source,
        "external_id": _required(external_id, "external_id"),
        "service_id": _required(service_id, "service_id"),
        "commit_sha": _text(commit_sha),
        "first_commit_at": first_commit_at,
        "opened_at": opened_at,
        "merged_at": merged_at,
        "deployment_source": (deployment_source or source) if linked else None,
        "deployment_external_id": _text(deployment_external_id),
        "url": web_url(url),
        "link_method": "source" if linked else None,
    }


def incident(
    *,
    source: str,
    external_id: Any,
    service_id: str,
    severity: str,
    title: str | None,
    started_at: datetime,
    acknowledged_at: datetime | None,
    resolved_at: datetime | None,
    url: str | None = None,
    deployment_ref: str | None = None,
    caused_by_source: str | None = None,
    caused_by_external_id: str | None = None,
    link_to_deployments: bool = True,
) -> dict[str, Any]:
    """An ``incidents`` row.

    The cause is, in order: the deployment the source names (``caused_by_*``), a reference
    (deployment id or commit SHA in ``deployment_ref``), or — when ``link_to_deployments`` —
    the last production deployment of the service within the configured window. The last two
    are resolved by the linker once every source's deployments are in the warehouse."""
    if severity not in SEVERITIES:
        raise RowError(
            _("severity {severity} is not one of {value}").format(
                severity=repr(severity), value=", ".join(SEVERITIES)
            )
        )
    if resolved_at is not None and resolved_at < started_at:
        raise RowError(_("resolved before started"))
    if acknowledged_at is not None and acknowledged_at < started_at:
        # Some tools stamp the acknowledgement of a back-dated incident before its start.
        acknowledged_at = started_at
    if acknowledged_at is not None and resolved_at is not None and acknowledged_at > resolved_at:
        acknowledged_at = resolved_at
    explicit = caused_by_external_id is not None
    ref = _text(deployment_ref)
    method = "window" if link_to_deployments else None
    if explicit or ref:
        method = "source" if explicit else "reference"
    return {
        "source": source,
        "external_id": _required(external_id, "external_id"),
        "service_id": _required(service_id, "service_id"),
        "severity": severity,
        "title": _text(title),
        "started_at": started_at,
        "acknowledged_at": acknowledged_at,
        "resolved_at": resolved_at,
        "caused_by_deployment_source": (caused_by_source or source) if explicit else None,
        "caused_by_deployment_external_id": _text(caused_by_external_id),
        "url": web_url(url),
        "deployment_ref": ref,
        "link_method": method,
    }


def deployment_commit(source: str, deployment_external_id: str, sha: str) -> dict[str, Any]:
    """A ``deployment_commits`` row: ``sha`` went live with that deployment."""
    return {
        "source": source,
        "deployment_external_id": _required(deployment_external_id, "deployment_external_id"),
        "commit_sha": _required(sha, "commit_sha").lower(),
    }


def upserts(
    deployments: list[dict[str, Any]] | None = None,
    changes: list[dict[str, Any]] | None = None,
    incidents: list[dict[str, Any]] | None = None,
    commits: list[dict[str, Any]] | None = None,
) -> list[Upsert]:
    """The records for these rows, in an order the loader and linker expect."""
    found: list[Upsert] = []
    if deployments:
        found.append(Upsert("deployments", DEPLOYMENT_KEY, deployments))
    if commits:
        found.append(Upsert("deployment_commits", COMMIT_KEY, commits))
    if changes:
        found.append(Upsert("changes", DEPLOYMENT_KEY, changes))
    if incidents:
        found.append(Upsert("incidents", DEPLOYMENT_KEY, incidents))
    return found


def cursor_time(moment: datetime) -> str:
    """A cursor value: ISO-8601 UTC with a Z, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def overlap(cursor: str | None, since: datetime | None, hours: float) -> datetime | None:
    """Where an incremental fetch starts: ``since`` when given, else the cursor minus an overlap
    (late updates: a deployment's status, an incident's resolution), else None (everything)."""
    if since is not None:
        return since
    if not cursor:
        return None
    return utc(cursor, "cursor") - timedelta(hours=hours)
