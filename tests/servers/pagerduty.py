"""A fake PagerDuty REST API v2 (stdlib http.server in a thread) that answers as documented.

Endpoints: ``GET /incidents`` (``since``/``until`` on creation time, at most 6 months apart;
``statuses[]``, ``service_ids[]``, ``time_zone``; classic pagination with ``limit`` ≤ 100,
``more``, ``total`` null, and 400 once ``offset + limit`` passes :attr:`FakePagerDuty.max_offset`,
10,000 like the real API), ``GET /incidents/{id}`` (no ``time_zone``: times in the account's zone,
+09:00 here) and ``GET /incidents/{id}/log_entries`` (newest first, paged the same way).

Authentication is ``Authorization: Token token=<key>`` (or ``Bearer <token>`` for OAuth
tokens); errors use PagerDuty's body ``{"error": {"message", "code", "errors"?}}`` and every
answer carries ``ratelimit-limit``/``ratelimit-remaining``/``ratelimit-reset``. An incident's
``acknowledgements`` are empty unless it is acknowledged now, as in PagerDuty.

Faults are scripted per path (:meth:`FakePagerDuty.fail`) and served before the normal answer.
Every request is logged in :attr:`FakePagerDuty.log`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.servers.fake import FakeApi, Incoming, Reply
from tests.servers.fake import Fault as Fault  # the tests script faults with it

ACCOUNT_TZ = timezone(timedelta(hours=9))  # the account's time zone (Asia/Tokyo)
ZONES = {"UTC": UTC, "Etc/UTC": UTC, "Asia/Tokyo": ACCOUNT_TZ}
WEB = "https://acme.pagerduty.com"
CONTRACT_TOKEN = "contract-token-5f1d2a"
JSON = {"Content-Type": "application/json"}


@dataclass
class LogEntry:
    type: str  # trigger_log_entry, acknowledge_log_entry, resolve_log_entry, notify_log_entry …
    at: datetime


@dataclass
class Incident:
    id: str
    number: int
    title: str
    service: tuple[str, str]  # (PagerDuty service id, name)
    created: datetime
    status: str  # triggered, acknowledged or resolved
    log: list[LogEntry] = field(default_factory=list)
    urgency: str = "high"
    priority: str | None = None  # "P1" … "P5", or a custom name
    body: str | None = None  # body.details, only in GET /incidents/{id}
    with_resolved_at: bool = True  # False: an answer without the resolved_at field

    def times(self, kind: str) -> list[datetime]:
        return sorted(e.at for e in self.log if e.type == kind)

    @property
    def resolved(self) -> datetime | None:
        found = self.times("resolve_log_entry")
        return found[-1] if self.status == "resolved" and found else None

    @property
    def last_status_change(self) -> datetime:
        if self.status == "resolved" and self.resolved:
            return self.resolved
        acks = self.times("acknowledge_log_entry")
        return acks[-1] if self.status == "acknowledged" and acks else self.created


@dataclass
class Request:
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]

    def get(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else None


def render(moment: datetime, zone: timezone) -> str:
    """A PagerDuty time: ``2026-01-03T01:00:00Z`` in UTC, ``…+09:00`` in other zones."""
    text = moment.astimezone(zone).isoformat()
    return text.replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def six_months_after(moment: datetime) -> datetime:
    month = moment.month + 6
    year, month = moment.year + (month - 1) // 12, (month - 1) % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def error(status: int, message: str, code: int, *details: str) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"message": message, "code": code}
    if details:
        body["errors"] = list(details)
    return status, {"error": body}


class FakePagerDuty(FakeApi):
    """The server state; use :meth:`running` to serve it."""

    def __init__(
        self,
        incidents: list[Incident],
        *,
        tokens: set[str] | None = None,
        oauth_tokens: set[str] | None = None,
        forbidden_tokens: set[str] | None = None,
        max_offset: int = 10_000,
        services: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.incidents = {i.id: i for i in incidents}
        # the account's services: by default those the incidents name, in id order
        self.services = services or sorted({i.service for i in incidents})
        self.tokens = tokens if tokens is not None else {"pd-key"}
        self.oauth_tokens = oauth_tokens or set()
        self.forbidden_tokens = forbidden_tokens or set()
        self.max_offset = max_offset
        self.log: list[Request] = []

    def log_entry(self, incoming: Incoming) -> Request:
        params = incoming.multi(keep_blank=True)
        return Request(incoming.path, params, dict(incoming.headers))

    def reply(self, incoming: Incoming) -> Reply:
        status, body = self.answer(self.log_entry(incoming))
        headers = {
            **JSON,
            "ratelimit-limit": "960",
            "ratelimit-remaining": "900",
            "ratelimit-reset": "30",
        }
        return status, headers, json.dumps(body)

    # -- the API --------------------------------------------------------------------------

    def answer(self, request: Request) -> tuple[int, Any]:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token = None
        if scheme == "Token" and value.startswith("token="):
            token = value[len("token=") :]
            token = token if token in self.tokens | self.forbidden_tokens else None
        elif scheme == "Bearer":
            token = value if value in self.oauth_tokens else None
        if token is None:
            return error(401, "Authentication failed", 2006)
        if token in self.forbidden_tokens:
            return error(403, "Access Denied", 2010)
        zone_name = request.get("time_zone")
        zone = ZONES.get(zone_name or "Asia/Tokyo")
        if zone is None:
            return error(400, "Invalid Input Provided", 2001, "Time zone is not valid.")
        parts = request.path.strip("/").split("/")
        if parts == ["incidents"]:
            return self._incidents(request, zone)
        if parts == ["services"]:
            return self._page(request, "services", [self._service_json(s) for s in self.services])
        if len(parts) in (2, 3) and parts[0] == "incidents":
            incident = self.incidents.get(parts[1])
            if incident is None:
                return error(404, "Not Found", 2100)
            if len(parts) == 2:
                # the documented GET /incidents/{id} takes no time_zone: the account's zone
                return 200, {"incident": self._incident(incident, ACCOUNT_TZ, full=True)}
            if parts[2] == "log_entries":
                return self._log_entries(request, incident, zone)
        return error(404, "Not Found", 2100)

    def _page(self, request: Request, key: str, items: list[Any]) -> tuple[int, Any]:
        """Classic pagination: ``limit`` (at most 100), ``offset``, ``more``, ``total``."""
        try:
            offset = int(request.get("offset") or 0)
            limit = int(request.get("limit") or 25)
        except ValueError:
            return error(400, "Invalid Input Provided", 2001, "Offset and limit must be numbers.")
        limit = max(1, min(limit, 100))  # the answer echoes the limit used
        if offset + limit > self.max_offset:
            return error(
                400,
                "Invalid Input Provided",
                2001,
                f"Offset must be less than {self.max_offset - limit + 1}.",
            )
        chunk = items[offset : offset + limit]
        total = len(items) if request.get("total") == "true" else None
        body = {key: chunk, "limit": limit, "offset": offset, "total": total}
        body["more"] = offset + len(chunk) < len(items)
        return 200, body

    def _incidents(self, request: Request, zone: timezone) -> tuple[int, Any]:
        try:
            until = parse_time(request.get("until") or datetime.now(UTC).isoformat())
            since = parse_time(request.get("since") or (until - timedelta(days=30)).isoformat())
        except ValueError:
            return error(400, "Invalid time values in 'since' and/or 'until' parameters", 2004)
        if until < since or six_months_after(since) < until:
            return error(400, "Invalid Query Date Range", 2005, "The maximum range is 6 months.")
        if request.get("sort_by") not in (None, "created_at", "created_at:asc"):
            return error(400, "Invalid Input Provided", 2001, "this fake sorts by created_at")
        statuses = request.params.get("statuses[]", [])
        services = request.params.get("service_ids[]", [])
        chosen = [
            i
            for i in sorted(self.incidents.values(), key=lambda i: (i.created, i.id))
            if since <= i.created < until
            and (not statuses or i.status in statuses)
            and (not services or i.service[0] in services)
        ]
        return self._page(request, "incidents", [self._incident(i, zone) for i in chosen])

    def _log_entries(self, request: Request, incident: Incident, zone: timezone) -> tuple[int, Any]:
        newest_first = sorted(incident.log, key=lambda e: e.at, reverse=True)
        entries = [self._entry(incident, e, n, zone) for n, e in enumerate(newest_first)]
        return self._page(request, "log_entries", entries)

    def _reference(self, incident: Incident) -> dict[str, Any]:
        return {
            "id": incident.id,
            "type": "incident_reference",
            "summary": f"[#{incident.number}] {incident.title}",
            "self": f"{self.url}/incidents/{incident.id}",
            "html_url": f"{WEB}/incidents/{incident.id}",
        }

    def _service_json(self, service: tuple[str, str]) -> dict[str, Any]:
        """A service as ``GET /services`` lists it (the documented fields we read, and more)."""
        service_id, name = service
        return {
            "id": service_id,
            "type": "service",
            "summary": name,
            "name": name,
            "description": None,
            "status": "active",
            "self": f"{self.url}/services/{service_id}",
            "html_url": f"{WEB}/service-directory/{service_id}",
            "created_at": "2025-01-01T00:00:00+09:00",
        }

    def _service(self, incident: Incident) -> dict[str, Any]:
        service_id, name = incident.service
        return {
            "id": service_id,
            "type": "service_reference",
            "summary": name,
            "self": f"{self.url}/services/{service_id}",
            "html_url": f"{WEB}/service-directory/{service_id}",
        }

    def _entry(self, incident: Incident, entry: LogEntry, n: int, zone: timezone) -> dict[str, Any]:
        entry_id = f"R{incident.id}{n:03d}"
        return {
            "id": entry_id,
            "type": entry.type,
            "summary": entry.type.replace("_log_entry", "").replace("_", " ").capitalize(),
            "self": f"{self.url}/log_entries/{entry_id}",
            "html_url": None,
            "created_at": render(entry.at, zone),
            "agent": {"id": "PUSER01", "type": "user_reference", "summary": "Ada Lovelace"},
            "channel": {"type": "web_ui"},
            "service": self._service(incident),
            "incident": self._reference(incident),
            "teams": [],
            "contexts": [],
        }

    def _incident(
        self, incident: Incident, zone: timezone, *, full: bool = False
    ) -> dict[str, Any]:
        user = {"id": "PUSER01", "type": "user_reference", "summary": "Ada Lovelace"}
        acks = []
        if incident.status == "acknowledged":
            acks = [
                {"at": render(at, zone), "acknowledger": user}
                for at in incident.times("acknowledge_log_entry")
            ]
        priority = None
        if incident.priority is not None:
            priority = {
                "id": f"PPRI{incident.priority[-1:]}",
                "type": "priority",
                "summary": incident.priority,
                "name": incident.priority,
                "self": f"{self.url}/priorities/PPRI{incident.priority[-1:]}",
            }
        found: dict[str, Any] = {
            **self._reference(incident),
            "type": "incident",
            "incident_number": incident.number,
            "title": incident.title,
            "description": incident.title,
            "created_at": render(incident.created, zone),
            "updated_at": render(incident.last_status_change, zone),
            "status": incident.status,
            "incident_key": f"key-{incident.id.lower()}",
            "service": self._service(incident),
            "assignments": []
            if incident.status == "resolved"
            else [{"at": render(incident.created, zone), "assignee": user}],
            "assigned_via": "escalation_policy",
            "last_status_change_at": render(incident.last_status_change, zone),
            "last_status_change_by": self._service(incident),
            "first_trigger_log_entry": {
                "id": f"R{incident.id}TRG",
                "type": "trigger_log_entry_reference",
                "summary": "Triggered through the API.",
            },
            "alert_counts": {"all": 1, "triggered": 0, "resolved": 1},
            "is_mergeable": True,
            "escalation_policy": {
                "id": "PESC001",
                "type": "escalation_policy_reference",
                "summary": "Default",
            },
            "teams": [],
            "pending_actions": [],
            "acknowledgements": acks,
            "alert_grouping": None,
            "urgency": incident.urgency,
            "priority": priority,
            "incidents_responders": [],
            "responder_requests": [],
            "subscriber_requests": [],
            "conference_bridge": None,
        }
        if incident.with_resolved_at:
            found["resolved_at"] = render(incident.resolved, zone) if incident.resolved else None
        if full and incident.body is not None:
            found["body"] = {"type": "incident_body", "details": incident.body}
        return found


def contract_incidents() -> list[Incident]:
    """Four incidents of services a1 and b1 in 2026-01-02..13 (times in +09:00)."""

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 1, day, hour, minute, tzinfo=ACCOUNT_TZ)

    a1, b1 = ("PA1SVC1", "Service a1"), ("PB1SVC1", "Service b1")
    return [
        Incident(
            "QA1FIRST",
            1,
            "a1 errors after deploy 0123abcd",
            a1,
            at(2, 10),
            "resolved",
            [
                LogEntry("trigger_log_entry", at(2, 10)),
                LogEntry("acknowledge_log_entry", at(2, 10, 4)),
                LogEntry("resolve_log_entry", at(2, 11)),
            ],
            priority="P2",
        ),
        Incident(
            "QB1FIRST",
            2,
            "b1 latency",
            b1,
            at(5, 3),
            "resolved",
            [
                LogEntry("trigger_log_entry", at(5, 3)),
                LogEntry("resolve_log_entry", at(5, 4, 30)),
            ],
            urgency="low",
        ),
        Incident(
            "QA1OPEN",
            3,
            "a1 disk filling up",
            a1,
            at(12, 8),
            "acknowledged",
            [
                LogEntry("trigger_log_entry", at(12, 8)),
                LogEntry("acknowledge_log_entry", at(12, 8, 20)),
            ],
        ),
        Incident(
            "QB1OPEN",
            4,
            "b1 queue backlog",
            b1,
            at(13, 22),
            "triggered",
            [LogEntry("trigger_log_entry", at(13, 22))],
            priority="P1",
        ),
    ]


@contextmanager
def contract_source(kind: str, populated: bool) -> Iterator[dict[str, Any]]:
    """The ``[sources.<name>]`` table for the connector contract test."""
    fake = FakePagerDuty(contract_incidents() if populated else [], tokens={CONTRACT_TOKEN})
    with fake.running() as server:
        yield {
            "type": kind,
            "url": server.url,
            "auth": "bearer",
            "token_env": "CONTRACT_TOKEN",
            "lookback_days": 30,
            "services": {"PA1SVC1": "a1", "Service b1": "b1"},
        }
