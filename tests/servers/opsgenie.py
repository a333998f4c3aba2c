"""A fake Opsgenie Alert API v2 (stdlib http.server in a thread) that answers as documented.

Endpoints: ``GET /v2/alerts`` (``query``, ``offset``, ``limit`` 1..100, ``sort``, ``order``;
``{"data", "paging": {"first", "last", "next"?}, "took", "requestId"}`` with absolute paging
URLs, also in ``X-Paging-*`` headers; list items lack ``entity``, ``description`` and
``details``, like Opsgenie's) and ``GET /v2/alerts/{id}?identifierType=id`` (the full alert).
Times are UTC with milliseconds (``2026-01-03T01:00:00.000Z``); ``report.ackTime`` and
``report.closeTime`` are milliseconds after ``createdAt``.

The query understands what the connector sends — ``createdAt >= <ms>``, ``createdAt < <ms>``
(also ``>``, ``<=``) — and ``field: value`` terms for status, tag, priority, entity, joined
with ``AND`` and optionally in parentheses; anything else answers 422. ``offset + limit`` past
:attr:`FakeOpsgenie.max_offset` (20,000 by default) answers 422 too.

Authentication is ``Authorization: GenieKey <key>``; errors use Opsgenie's body
``{"message", "took", "requestId"}``; a throttled answer is 429 with ``X-RateLimit-State:
THROTTLED`` and ``X-RateLimit-Period-In-Sec``. Faults are scripted per path
(:meth:`FakeOpsgenie.fail`); every request is logged in :attr:`FakeOpsgenie.log`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from tests.servers.fake import FakeApi, Incoming, Reply
from tests.servers.fake import Fault as Fault  # the tests script faults with it

CONTRACT_TOKEN = "contract-token-5f1d2a"
JSON = {"Content-Type": "application/json"}
THROTTLED = {
    **JSON,
    "X-RateLimit-State": "THROTTLED",
    "X-RateLimit-Reason": "ACCOUNT",
    "X-RateLimit-Period-In-Sec": "60",
}
_TIME_TERM = re.compile(r"^(createdAt)\s*(>=|<=|>|<)\s*(\d+)$")
_FIELD_TERM = re.compile(r"^(status|tag|priority|entity)\s*:\s*(\S+)$")


@dataclass
class Alert:
    id: str
    tiny_id: int
    message: str
    created: datetime
    tags: list[str] = field(default_factory=list)
    status: str = "open"  # open or closed
    priority: str = "P3"
    ack_after: timedelta | None = None  # report.ackTime
    close_after: timedelta | None = None  # report.closeTime (closed alerts)
    entity: str = ""
    description: str = ""
    details: dict[str, str] = field(default_factory=dict)
    report_in_list: bool = True  # False: the list answer has no report (GET has it)

    @property
    def acknowledged(self) -> bool:
        return self.ack_after is not None

    @property
    def updated(self) -> datetime:
        changes = [d for d in (self.ack_after, self.close_after) if d is not None]
        return self.created + max(changes, default=timedelta(0))


@dataclass
class Request:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


def render(moment: datetime) -> str:
    """An Opsgenie time: UTC, milliseconds, Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.astimezone(UTC).microsecond // 1000:03d}Z"
    )


def epoch_ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


class FakeOpsgenie(FakeApi):
    """The server state; use :meth:`running` to serve it."""

    def __init__(
        self,
        alerts: list[Alert],
        *,
        keys: set[str] | None = None,
        forbidden_keys: set[str] | None = None,
        max_offset: int = 20_000,
    ) -> None:
        super().__init__()
        self.alerts = {a.id: a for a in alerts}
        self.keys = keys if keys is not None else {"og-key"}
        self.forbidden_keys = forbidden_keys or set()
        self.max_offset = max_offset
        self.log: list[Request] = []

    def log_entry(self, incoming: Incoming) -> Request:
        params = incoming.params(keep_blank=True)
        return Request(incoming.path, params, dict(incoming.headers))

    def reply(self, incoming: Incoming) -> Reply:
        status, body, headers = self.answer(self.log_entry(incoming))
        headers = {
            **JSON,
            **headers,
            "X-Request-ID": str(uuid.uuid4()),
            "X-Response-Time": "0.011",
            "X-RateLimit-State": "OK",
        }
        return status, headers, json.dumps(body)

    # -- the API --------------------------------------------------------------------------

    @staticmethod
    def message(status: int, text: str) -> tuple[int, dict[str, Any]]:
        return status, {"message": text, "took": 0.002, "requestId": str(uuid.uuid4())}

    def answer(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme != "GenieKey" or key not in self.keys | self.forbidden_keys:
            return (*self.message(401, "Could not authenticate"), {})
        if key in self.forbidden_keys:
            return (*self.message(403, "You are not authorized for this operation"), {})
        if request.path == "/v2/alerts":
            return self._list(request)
        parts = request.path.strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["v2", "alerts"]:
            if request.params.get("identifierType", "id") != "id":
                return (*self.message(422, "this fake knows identifierType=id only"), {})
            alert = self.alerts.get(parts[2])
            if alert is None:
                return (*self.message(404, "Alert does not exist"), {})
            return 200, self._body(self.item(alert, full=True)), {}
        return (*self.message(404, "Could not find the requested resource"), {})

    def _body(self, data: Any, **extra: Any) -> dict[str, Any]:
        return {"data": data, **extra, "took": 0.011, "requestId": str(uuid.uuid4())}

    def matches(self, alert: Alert, query: str) -> bool | str:
        """Whether ``alert`` matches ``query``, or the reason the query is refused."""
        terms = [t.strip() for t in query.split(" AND ") if t.strip()]
        for term in terms:
            inner = term[1:-1].strip() if term.startswith("(") and term.endswith(")") else term
            if inner != term:
                found = self.matches(alert, inner)
                if found is not True:
                    return found
                continue
            timed = _TIME_TERM.match(inner)
            if timed:
                created, value = epoch_ms(alert.created), int(timed[3])
                ok = {
                    ">=": created >= value,
                    ">": created > value,
                    "<=": created <= value,
                    "<": created < value,
                }[timed[2]]
            elif named := _FIELD_TERM.match(inner):
                key, value = named[1], named[2]
                ok = {
                    "status": alert.status == value,
                    "tag": value in alert.tags,
                    "priority": alert.priority == value,
                    "entity": alert.entity == value,
                }[key]
            else:
                return f"Invalid query: {inner}"
            if not ok:
                return False
        return True

    def _list(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        params = request.params
        try:
            offset = int(params.get("offset", 0))
            limit = int(params.get("limit", 20))
        except ValueError:
            return (*self.message(422, "offset and limit must be numbers"), {})
        if not 1 <= limit <= 100:
            return (*self.message(422, "limit must be between 1 and 100"), {})
        if offset + limit > self.max_offset:
            return (*self.message(422, f"offset + limit must not exceed {self.max_offset}"), {})
        if params.get("sort", "createdAt") != "createdAt":
            return (*self.message(422, "this fake sorts by createdAt only"), {})
        query = params.get("query", "")
        chosen = []
        for alert in sorted(self.alerts.values(), key=lambda a: (a.created, a.id)):
            verdict = self.matches(alert, query)
            if isinstance(verdict, str):
                return (*self.message(422, verdict), {})
            if verdict:
                chosen.append(alert)
        if params.get("order", "desc") == "desc":
            chosen.reverse()
        page = chosen[offset : offset + limit]

        def link(at: int) -> str:
            fields = {"query": query, "offset": at, "limit": limit, "sort": "createdAt"}
            return f"{self.url}/v2/alerts?" + urlencode(
                {**fields, "order": params.get("order", "desc")}
            )

        paging = {"first": link(0), "last": link(max(0, (len(chosen) - 1) // limit * limit))}
        headers = {"X-Paging-First": paging["first"], "X-Paging-Last": paging["last"]}
        if offset + limit < len(chosen):
            paging["next"] = link(offset + limit)
            headers["X-Paging-Next"] = paging["next"]
        items = [self.item(a) for a in page]
        return 200, self._body(items, paging=paging), headers

    def item(self, alert: Alert, *, full: bool = False) -> dict[str, Any]:
        report: dict[str, Any] = {}
        if alert.ack_after is not None:
            report.update(ackTime=_ms(alert.ack_after), acknowledgedBy="ada@example.com")
        if alert.status == "closed" and alert.close_after is not None:
            report.update(closeTime=_ms(alert.close_after), closedBy="ada@example.com")
        found: dict[str, Any] = {
            "id": alert.id,
            "tinyId": str(alert.tiny_id),
            "alias": f"alias-{alert.id}",
            "message": alert.message,
            "status": alert.status,
            "acknowledged": alert.acknowledged,
            "isSeen": True,
            "tags": list(alert.tags),
            "snoozed": False,
            "count": 1,
            "lastOccurredAt": render(alert.created),
            "createdAt": render(alert.created),
            "updatedAt": render(alert.updated),
            "source": "Datadog",
            "owner": "ada@example.com" if alert.acknowledged else "",
            "priority": alert.priority,
            "responders": [{"type": "team", "id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c"}],
            "integration": {"id": "4513b7ea-3b91-b7e4", "name": "Datadog", "type": "Datadog"},
        }
        if full or alert.report_in_list:
            found["report"] = report
        if full:
            found.update(
                actions=[],
                entity=alert.entity,
                description=alert.description,
                details=dict(alert.details),
            )
        return found


def contract_alerts() -> list[Alert]:
    """Four alerts of services a1 and b1 (tags service:a1 / service:b1) in 2026-01-02..13."""
    tokyo = timezone(timedelta(hours=9))

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 1, day, hour, minute, tzinfo=tokyo)

    minutes = timedelta(minutes=1)
    return [
        Alert(
            "c0ntract-a1-closed",
            1,
            "a1 errors after deploy 0123abcd",
            at(2, 10),
            ["service:a1"],
            "closed",
            "P2",
            4 * minutes,
            60 * minutes,
        ),
        Alert(
            "c0ntract-b1-closed",
            2,
            "b1 latency",
            at(5, 3),
            ["service:b1"],
            "closed",
            "P4",
            None,
            90 * minutes,
        ),
        Alert(
            "c0ntract-a1-open", 3, "a1 disk", at(12, 8), ["service:a1"], "open", "P3", 20 * minutes
        ),
        Alert(
            "c0ntract-b1-open", 4, "b1 backlog", at(13, 22), ["service:b1", "prod"], "open", "P1"
        ),
    ]


@contextmanager
def contract_source(kind: str, populated: bool) -> Iterator[dict[str, Any]]:
    """The ``[sources.<name>]`` table for the connector contract test."""
    fake = FakeOpsgenie(contract_alerts() if populated else [], keys={CONTRACT_TOKEN})
    with fake.running() as server:
        yield {
            "type": kind,
            "url": server.url,
            "auth": "bearer",
            "token_env": "CONTRACT_TOKEN",
            "lookback_days": 30,
        }
