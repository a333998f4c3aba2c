"""The few Opsgenie Alert API (v2) calls the connector needs, parsed and checked.

Shapes follow docs.opsgenie.com (Alert API, Pagination, Rate Limiting):

* ``GET /v2/alerts?query&offset&limit&sort=createdAt&order=asc`` → ``{"data": [alert…],
  "paging": {"next"?, "first", "last"}, "took", "requestId"}``; ``limit`` at most 100; the
  next page is the absolute ``paging.next`` URL (absent on the last page). Listed alerts carry
  ``id``, ``tinyId``, ``alias``, ``message``, ``status`` (open/closed), ``acknowledged``,
  ``tags``, ``createdAt``, ``updatedAt``, ``source``, ``owner``, ``priority`` (P1-P5) and
  ``report`` (``ackTime``/``closeTime`` in milliseconds after ``createdAt``) — but not
  ``entity``, ``description`` or ``details``.
* ``GET /v2/alerts/{id}?identifierType=id`` → ``{"data": alert with entity, description,
  details, actions}``.
* Deep offsets are refused (``offset + limit`` beyond about 20,000), so when ``paging.next``
  would pass :data:`MAX_OFFSET` the listing starts again from the ``createdAt`` of the last
  alert read (in the query, ``createdAt >= <epoch ms>``) and de-duplicates by id.
* Errors: ``{"message", "took", "requestId"}`` (read by the shared client).
* Rate limits: 429 with ``X-RateLimit-State: THROTTLED`` and ``X-RateLimit-Period-In-Sec``,
  no ``Retry-After``; :func:`retry_after_from_period` turns the period into a ``Retry-After``
  before the shared client decides how long to wait.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests

from connectors.core import records
from connectors.core.errors import ConnectorError, MalformedResponseError, PaginationLoopError
from connectors.core.http.client import HeaderAuth, HttpClient, short_url
from connectors.core.http.shapes import as_list, as_object
from i18n import _

PAGE_SIZE = 100
MAX_OFFSET = 20_000
REGIONS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}


class GenieKeyAuth(HeaderAuth):
    """``Authorization: GenieKey <key>``."""

    scheme = "GenieKey "


def retry_after_from_period(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Response hook: a throttled 429 says how long its window is, not when to retry."""
    if response.status_code != 429 or "Retry-After" in response.headers:
        return
    period = response.headers.get("X-RateLimit-Period-In-Sec", "").strip()
    if period.isdigit():
        response.headers["Retry-After"] = period


def epoch_ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)


def _created_ms(alert: dict[str, Any], url: str) -> int:
    created = alert.get("createdAt")
    try:
        return epoch_ms(records.utc(created, "createdAt"))
    except records.RowError as exc:
        raise MalformedResponseError(
            url, _("alert {value}: {exc}").format(value=alert["id"], exc=exc)
        ) from None


class OpsgenieApi:
    """Calls on one :class:`HttpClient` against ``base_url``."""

    def __init__(
        self,
        client: HttpClient,
        base_url: str,
        *,
        page_size: int = PAGE_SIZE,
        max_offset: int = MAX_OFFSET,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.max_offset = max_offset
        if retry_after_from_period not in client.hooks["response"]:
            client.hooks["response"].append(retry_after_from_period)
        self.queries: list[str] = []  # every listing query sent, in order

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _next(self, body: dict[str, Any], url: str) -> tuple[str, int] | None:
        """The next page's URL and the ``offset + limit`` it asks for, or None."""
        paging = body.get("paging")
        following = paging.get("next") if isinstance(paging, dict) else None
        if not following:
            return None
        if not isinstance(following, str):
            raise MalformedResponseError(url, _("expected paging.next to be a URL"))
        ours, theirs = urlsplit(self.base_url), urlsplit(following)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            raise ConnectorError(
                _(
                    "{short_url} sent a next page on another host ({netloc}); the API key "
                    "is not sent there"
                ).format(short_url=short_url(url), netloc=theirs.netloc),
                _("check url and region in the sources file"),
            )
        params = parse_qs(theirs.query)
        try:
            asked = int(params["offset"][-1]) + int(params.get("limit", [self.page_size])[-1])
        except (KeyError, ValueError):
            raise MalformedResponseError(url, _("paging.next has no offset")) from None
        return following, asked

    def alerts(
        self, start: datetime, end: datetime, extra: str | None
    ) -> dict[str, dict[str, Any]]:
        """Every alert created in ``[start, end)`` that matches ``extra``, by id."""
        found: dict[str, dict[str, Any]] = {}
        lower, upper = epoch_ms(start), epoch_ms(end)
        while True:
            query = f"createdAt >= {lower} AND createdAt < {upper}"
            if extra:
                query += f" AND ({extra})"
            self.queries.append(query)
            newest = self._listing(query, found)
            if newest is None:
                return found
            if newest <= lower:
                raise ConnectorError(
                    _(
                        "more than {max_offset} Opsgenie alerts were created in the same "
                        "millisecond; they cannot be listed"
                    ).format(max_offset=self.max_offset),
                    _("narrow the listing with query in the sources file"),
                )
            lower = newest  # inclusive: the alerts of that millisecond come again, once each

    def _listing(self, query: str, found: dict[str, dict[str, Any]]) -> int | None:
        """Read one query's pages into ``found``; the newest ``createdAt`` (epoch ms) read
        when the offset cap stopped it, else None."""
        url: str = self.url("v2/alerts")
        params: dict[str, str | int] | None = {
            "query": query,
            "offset": 0,
            "limit": self.page_size,
            "sort": "createdAt",
            "order": "asc",
        }
        seen: set[str] = set()
        newest: int | None = None
        while True:
            body = as_object(self.client.get_json(url, params), url, "the answer")
            for item in as_list(body.get("data"), url, "data"):
                alert = as_object(item, url, "an alert")
                if not isinstance(alert.get("id"), str):
                    raise MalformedResponseError(url, _("an alert without an id"))
                found[alert["id"]] = alert
                newest = max(newest or 0, _created_ms(alert, url))
            following = self._next(body, url)
            if following is None:
                return None
            next_url, asked = following
            if asked > self.max_offset:
                return newest
            if next_url in seen:
                raise PaginationLoopError(short_url(url), next_url)
            seen.add(next_url)
            url, params = next_url, None

    def alert(self, alert_id: str) -> dict[str, Any] | None:
        """One alert with its details, or None when Opsgenie no longer has it (404)."""
        url = self.url(f"v2/alerts/{quote(alert_id, safe='')}")
        try:
            body = self.client.get_json(url, {"identifierType": "id"})
        except ConnectorError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        alert = as_object(as_object(body, url, "the answer").get("data"), url, "data")
        if not isinstance(alert.get("id"), str):
            raise MalformedResponseError(url, _("an alert without an id"))
        return alert
