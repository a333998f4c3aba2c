"""The few PagerDuty REST API v2 calls the connector needs, parsed and checked.

Shapes follow developer.pagerduty.com (REST API v2):

* ``GET /incidents?since&until&time_zone=UTC&sort_by=created_at:asc&limit&offset``
  (+ ``statuses[]``, ``service_ids[]``) → ``{"incidents": [...], "limit", "offset", "more",
  "total": null}``. ``since``/``until`` select by creation time and may span at most 6 months,
  so a long history is walked in consecutive windows of :data:`WINDOW` (180 days).
* Classic pagination: ``limit`` at most 100; ``offset + limit`` may not exceed 10,000 (the API
  answers 400 past it). A window whose listing would pass that cap is split in two halves,
  recursively, and listed again (rows are de-duplicated by incident id).
* ``GET /incidents/{id}/log_entries?time_zone=UTC&limit&offset`` → ``{"log_entries": [...],
  "more", ...}``; entries have ``type`` (``acknowledge_log_entry``, ``resolve_log_entry`` …)
  and ``created_at``. No date range is sent: the log of one incident is read whole.
* ``GET /incidents/{id}`` → ``{"incident": {...}}``.
* Errors: ``{"error": {"message", "code", "errors": [...]}}`` (read by the shared
  :func:`connectors.core.http.client.error_detail`).
* Rate limits (960 requests a minute per key): ``ratelimit-limit``, ``ratelimit-remaining``,
  ``ratelimit-reset`` (seconds) on every answer and 429 when used up; the shared client waits
  for the reset.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.core.errors import ConnectorError, HttpStatusError, MalformedResponseError
from connectors.core.http.client import HeaderAuth, HttpClient, decode_json, short_url
from connectors.core.http.shapes import as_list, as_object
from i18n import _

ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE_SIZE = 100  # classic pagination refuses more
MAX_OFFSET = 10_000  # offset + limit may not exceed this
WINDOW = timedelta(days=180)  # since/until may span at most 6 months
MIN_WINDOW = timedelta(seconds=2)  # a window this short is never split further

Params = dict[str, str | int | list[str]]


class PagerDutyAuth(HeaderAuth):
    """``Authorization: Token token=<key>`` (REST API keys) or ``Bearer <token>`` (OAuth)."""

    def __init__(self, token: str, *, oauth: bool = False) -> None:
        super().__init__(token)
        self.scheme = "Bearer " if oauth else "Token token="


def iso(moment: datetime) -> str:
    """A ``since``/``until`` value: ISO-8601 UTC with a Z."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def windows(
    start: datetime, end: datetime, width: timedelta = WINDOW
) -> list[tuple[datetime, datetime]]:
    """Consecutive, non-overlapping ``[since, until)`` windows of at most ``width``."""
    found: list[tuple[datetime, datetime]] = []
    current = start
    while current < end:
        following = min(current + width, end)
        found.append((current, following))
        current = following
    return found


class PagerDutyApi:
    """Calls on one :class:`HttpClient` (one per thread) against ``base_url``."""

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

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    # -- requests -------------------------------------------------------------------------

    def _get(self, url: str, params: Params | None = None) -> Any:
        return decode_json(self.client.get(url, params=params))

    def _pages(self, url: str, params: Params, key: str) -> Iterator[tuple[list[Any], int]]:
        """(items, offset) of every page, following ``more``; stops before passing the cap
        and says so by yielding ``([], -1)``."""
        offset = 0
        seen: set[str] = set()
        while True:
            body = as_object(
                self._get(url, {**params, "offset": offset, "limit": self.page_size}),
                url,
                "the answer",
            )
            items = as_list(body.get(key), url, key)
            more = body.get("more")
            if not isinstance(more, bool):
                raise MalformedResponseError(url, _("expected more to be true or false"))
            ids = {str(i.get("id")) for i in items if isinstance(i, dict)}
            if items and ids <= seen:
                raise ConnectorError(
                    _(
                        "{short_url} answered offset {offset} with items it had already sent; "
                        "stopped to avoid an endless loop"
                    ).format(short_url=short_url(url), offset=offset),
                    _("report it to PagerDuty; lower page_size as a workaround"),
                )
            seen |= ids
            yield items, offset
            if not more:
                return
            if not items:
                raise ConnectorError(
                    _(
                        "{short_url} said more items follow offset {offset} but sent none; "
                        "nothing was written"
                    ).format(short_url=short_url(url), offset=offset),
                    _("the listing probably changed during the sync: run it again"),
                )
            offset += len(items)
            if offset + self.page_size > self.max_offset:
                yield [], -1
                return

    # -- services -------------------------------------------------------------------------

    def services(self) -> list[tuple[str, str]]:
        """(id, name) of every service on the account (``GET /services``, all pages)."""
        url = self.url("services")
        found: list[tuple[str, str]] = []
        for items, offset in self._pages(url, {}, "services"):
            if offset < 0:
                break
            for item in items:
                service = as_object(item, url, "a service")
                if not isinstance(service.get("id"), str):
                    raise MalformedResponseError(url, _("a service without an id"))
                found.append((service["id"], str(service.get("name") or service["id"])))
        return found

    # -- incidents ------------------------------------------------------------------------

    def incidents(
        self,
        start: datetime,
        end: datetime,
        *,
        statuses: list[str],
        services: list[str],
    ) -> dict[str, dict[str, Any]]:
        """Every incident created in ``[start, end)``, by id."""
        found: dict[str, dict[str, Any]] = {}
        base: Params = {"time_zone": "UTC", "sort_by": "created_at:asc"}
        if statuses:
            base["statuses[]"] = statuses
        if services:
            base["service_ids[]"] = services
        for since, until in windows(start, end):
            self._window(since, until, base, found)
        return found

    def _window(
        self, since: datetime, until: datetime, base: Params, found: dict[str, dict[str, Any]]
    ) -> None:
        url = self.url("incidents")
        batch: dict[str, dict[str, Any]] = {}
        for items, offset in self._pages(
            url, {**base, "since": iso(since), "until": iso(until)}, "incidents"
        ):
            if offset < 0:  # the offset cap: list both halves instead
                if until - since <= MIN_WINDOW:
                    raise ConnectorError(
                        _(
                            "more than {max_offset} PagerDuty incidents were created between {iso} "
                            "and {iso2}; they cannot be listed"
                        ).format(max_offset=self.max_offset, iso=iso(since), iso2=iso(until)),
                        _("narrow the listing with filter_services or statuses"),
                    )
                middle = since + (until - since) / 2
                middle = middle.replace(microsecond=0)
                self._window(since, middle, base, found)
                self._window(middle, until, base, found)
                return
            for item in items:
                incident = as_object(item, url, "an incident")
                if not isinstance(incident.get("id"), str):
                    raise MalformedResponseError(url, _("an incident without an id"))
                batch[incident["id"]] = incident
        found.update(batch)

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        """One incident, or None when PagerDuty no longer has it (404)."""
        url = self.url(f"incidents/{incident_id}")
        try:
            body = self._get(url)
        except HttpStatusError as exc:
            if exc.status == 404:
                return None
            raise
        incident = as_object(as_object(body, url, "the answer").get("incident"), url, "incident")
        if not isinstance(incident.get("id"), str):
            raise MalformedResponseError(url, _("an incident without an id"))
        return incident

    def log_entries(self, incident_id: str) -> list[dict[str, Any]]:
        """Every log entry of one incident (all pages)."""
        url = self.url(f"incidents/{incident_id}/log_entries")
        entries: list[dict[str, Any]] = []
        for items, offset in self._pages(url, {"time_zone": "UTC"}, "log_entries"):
            if offset < 0:
                break  # past the cap nothing more can be listed; use what was read
            entries += [as_object(e, url, "a log entry") for e in items]
        return entries
