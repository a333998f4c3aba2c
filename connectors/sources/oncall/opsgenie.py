"""Opsgenie (Alert API v2) → ``incidents``, one row per alert. **LEGACY.**

Atlassian stopped selling Opsgenie on 2025-06-04 and ends its support — and its REST API — on
2027-04-05; alerting moves to Jira Service Management (or Compass). Every run says so in a
warning. Plan the move; PagerDuty (``type = "pagerduty"``) is supported too.

**Services.** ``service_field`` says where an alert names its service: ``"tag:<prefix>"``
(default ``"tag:service:"``: a tag such as ``service:checkout-api``, the rest of the tag being
the key), ``"entity"``, ``"alias"``, ``"source"``, ``"owner"`` or ``"details:<key>"`` (an extra
property). The key maps through ``[sources.<name>.services]`` (``"checkout" = "checkout-api"``)
or is used as is when it is a warehouse service id. Alerts whose key maps to nothing are
skipped and the keys named in one warning.

**Rows.** ``started_at`` = ``createdAt``; ``acknowledged_at`` = ``createdAt`` +
``report.ackTime`` (ms) when acknowledged; ``resolved_at`` = ``createdAt`` +
``report.closeTime`` (ms) when the status is ``closed`` (``updatedAt`` if Opsgenie gave no
close time; counted in a warning). Severity from ``priority`` (P1…P5 → SEV1…SEV4). Title =
``message``. ``deployment_ref`` = the first match of ``deployment_ref_pattern`` in message,
alias, tags and (when fetched) description and details. ``url`` is built from ``web_url``
when set. The list lacks ``entity``, ``description`` and ``details``: with ``service_field``
``entity``/``details:…`` or ``fetch_details = true`` each alert costs one more request
(``GET /v2/alerts/{id}``), as does an alert whose ``report`` lacks a time it should have.

**Listing.** ``query`` (Opsgenie search syntax) is added to ``createdAt >= … AND createdAt <
…``; pages of ``page_size`` (≤ 100) sorted by ``createdAt`` ascending, following
``paging.next``. Past ``max_offset`` (20,000) the query restarts from the last ``createdAt``.

**Incremental.** Like PagerDuty's: cursor ``incidents`` = the ``until`` of the last run; a run
lists from it minus ``reopen_days`` (default 14; the first sync: ``lookback_days``, default
365); alerts still open at the last run are kept in ``incidents/open`` and fetched by id until
closed.

**Auth.** ``auth = "bearer"`` and ``token_env`` naming an API key with read access (an API
integration key or one from API key management); it is sent as ``GenieKey <key>``.
``region = "eu"`` selects ``https://api.eu.opsgenie.com``.

**Rate limits.** 429 carries ``X-RateLimit-Period-In-Sec``, which becomes the wait; see
:mod:`connectors.sources.oncall.opsgenie_api`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from connectors.core import records
from connectors.core.base import Record, SourceContext, Stream
from connectors.core.config import SourceConfig, check_options
from connectors.core.errors import ConfigError, ConnectorError, HttpStatusError
from connectors.core.http.client import ClientPool
from connectors.core.http.clients import extract_with, retry_later, unreachable_fix
from connectors.core.http.pool import bounded_map
from connectors.core.http.shapes import list_at, object_at
from connectors.core.mapping import ServiceMap
from connectors.core.options import find_ref, flag, text
from connectors.sources.oncall import shared as oncall
from connectors.sources.oncall.opsgenie_api import (
    MAX_OFFSET,
    PAGE_SIZE,
    REGIONS,
    GenieKeyAuth,
    OpsgenieApi,
)
from i18n import _

LEGACY_WARNING = (
    "Opsgenie is being retired by Atlassian (no new sales since 2025-06-04; support and the REST "
    "API end on 2027-04-05): plan the move to Jira Service Management, or to PagerDuty "
    '(type = "pagerduty"); see docs/connectors/opsgenie.md'
)
PLAIN_FIELDS = ("entity", "alias", "source", "owner")
DETAIL_FIELDS = ("entity",)
OPTIONS = frozenset(
    {
        "region",
        "services",
        "service_field",
        "query",
        "lookback_days",
        "reopen_days",
        "page_size",
        "max_offset",
        "fetch_details",
        "deployment_ref_pattern",
        "link_to_deployments",
        "web_url",
    }
)


def _ms(value: Any) -> int | None:
    """A ``report`` duration in milliseconds, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value)


class OpsgenieConnector:
    """Alert API v2 → incidents (see the module docstring)."""

    streams: tuple[Stream, ...] = (oncall.STREAM,)

    def __init__(self, source: SourceConfig) -> None:
        check_options(source, OPTIONS)
        self.source = source
        self.name = source.name
        where = f"[sources.{source.name}]"
        options = source.options
        self.common = oncall.IncidentOptions.read(
            source, "Opsgenie", REGIONS, PAGE_SIZE, MAX_OFFSET
        )
        self.url = self.common.url
        self.field = source.options.get("service_field", "tag:service:")
        if not isinstance(self.field, str) or not (
            self.field in PLAIN_FIELDS
            or self.field.startswith("tag:")
            or (self.field.startswith("details:") and len(self.field) > len("details:"))
        ):
            raise ConfigError(
                _("{where}: service_field = {field}").format(where=where, field=repr(self.field)),
                _(
                    'use "tag:<prefix>" (e.g. "tag:service:"), "entity", "alias", "source",'
                    ' "owner" or "details:<key>"'
                ),
            )
        self.query = text(options, "query", "", f"{where}:").strip() or None
        self.fetch_details = flag(options, "fetch_details", False, where) or (
            self.field in DETAIL_FIELDS or self.field.startswith("details:")
        )
        self.web_url = text(options, "web_url", "", f"{where}:").rstrip("/")

    @classmethod
    def from_config(cls, source: SourceConfig) -> OpsgenieConnector:
        return cls(source)

    # -- errors ---------------------------------------------------------------------------

    def _explain(self, exc: ConnectorError) -> ConnectorError:
        section = f"[sources.{self.name}]"
        if not isinstance(exc, HttpStatusError):
            return unreachable_fix(
                exc,
                f"check url = {self.url} in {section} (https://api.opsgenie.com, or "
                'region = "eu" for https://api.eu.opsgenie.com) and that it is reachable',
            )
        if exc.status == 401:
            return exc.with_fix(
                f"the API key in {self.source.token_origin} is missing or wrong (or belongs to "
                'the other region: EU accounts need region = "eu"); create an API key with read '
                "access and export it"
            )
        if exc.status == 403:
            return exc.with_fix(
                "the API key may not read alerts; give it the Read access right (API key "
                "management) or use an API integration key"
            )
        if exc.status == 404:
            return exc.with_fix(
                f"check url = {self.url} in {section}: it must be the REST API "
                "(https://api.opsgenie.com or https://api.eu.opsgenie.com)"
            )
        if exc.status in (400, 422):
            return exc.with_fix(f"Opsgenie refused the request; check query in {section}")
        if exc.status == 429:
            return exc.with_fix(retry_later(section))
        if exc.status >= 500:
            return exc.with_fix(
                "Opsgenie failed; check https://opsgenie.status.atlassian.com and retry"
            )
        return exc

    # -- extraction -----------------------------------------------------------------------

    def _api(self, pool: ClientPool) -> OpsgenieApi:
        return OpsgenieApi(
            pool.client(),
            self.url,
            page_size=self.common.page_size,
            max_offset=self.common.max_offset,
        )

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        ctx.warn(LEGACY_WARNING)
        yield from extract_with(
            ctx,
            lambda pool: self._extract(pool, ctx),
            self._explain,
            auth=GenieKeyAuth(self.source.require_token().value),
        )

    def _needs_detail(self, alert: Mapping[str, Any]) -> bool:
        if self.fetch_details:
            return True
        report = object_at(alert, "report")
        if alert.get("acknowledged") is True and _ms(report.get("ackTime")) is None:
            return True
        return alert.get("status") == "closed" and _ms(report.get("closeTime")) is None

    def _extract(self, pool: ClientPool, ctx: SourceContext) -> Iterator[Record]:
        smap = ServiceMap.for_source(self.source, ctx)
        known = ctx.service_ids()
        api = self._api(pool)
        start = self.common.start(ctx)
        listed = api.alerts(start, ctx.until, self.query) if start < ctx.until else {}
        detailed = oncall.refetch_open(ctx, listed, api.alert, "alert(s)", "Opsgenie")
        todo = sorted(listed.values(), key=lambda a: (str(a.get("createdAt")), a["id"]))
        ctx.progress.start(len(todo), "alerts")

        def complete(alert: dict[str, Any]) -> dict[str, Any]:
            if alert["id"] in detailed or not self._needs_detail(alert):
                return alert
            return self._api(pool).alert(alert["id"]) or alert

        completed: list[dict[str, Any]] = []
        for alert in bounded_map(complete, todo, self.source.concurrency):
            completed.append(alert)
            ctx.progress.advance()
        skipped = oncall.Skipped()
        unknown_priorities: set[str] = set()
        no_close: list[str] = []
        rows: list[dict[str, Any]] = []
        for alert in sorted(completed, key=lambda a: a["id"]):
            keys = self.keys(alert)
            label = keys[0] if keys else f"(no {self.field})"
            service_id = oncall.resolve_service(smap, known, keys, label)
            if service_id is None:
                continue
            try:
                rows.append(self.row(alert, service_id, unknown_priorities, no_close))
            except records.RowError as exc:
                skipped.add(str(exc), alert["id"])
        smap.warn_unmapped(ctx, f"Opsgenie {self.field.split(':')[0]} values")
        skipped.warn(ctx, "Opsgenie alert(s)")
        if unknown_priorities:
            ctx.warn(
                f"Opsgenie priorities {', '.join(sorted(unknown_priorities))} are not P1-P5; "
                "their alerts were stored as SEV3"
            )
        if no_close:
            ctx.warn(
                f"{len(no_close)} closed alert(s) had no report.closeTime; their updatedAt was "
                f"used as the resolution time ({', '.join(sorted(no_close)[:5])})"
            )
        yield from records.upserts(incidents=rows)
        yield oncall.cursors(ctx, rows, "Opsgenie alerts")

    # -- one alert ------------------------------------------------------------------------

    def keys(self, alert: Mapping[str, Any]) -> list[str]:
        """The service keys the alert names, by ``service_field``."""
        if self.field.startswith("tag:"):
            prefix = self.field[len("tag:") :]
            tags = list_at(alert, "tags")
            return [
                t[len(prefix) :].strip()
                for t in tags
                if isinstance(t, str) and t.startswith(prefix) and t[len(prefix) :].strip()
            ]
        if self.field.startswith("details:"):
            details = object_at(alert, "details")
            value = details.get(self.field[len("details:") :])
        else:
            value = alert.get(self.field)
        return [value.strip()] if isinstance(value, str) and value.strip() else []

    def row(
        self,
        alert: Mapping[str, Any],
        service_id: str,
        unknown_priorities: set[str],
        no_close: list[str],
    ) -> dict[str, Any]:
        """The ``incidents`` row of one Opsgenie alert."""
        created = records.utc(alert.get("createdAt"), "createdAt")
        report = object_at(alert, "report")
        ack_ms = _ms(report.get("ackTime"))
        acknowledged = created + timedelta(milliseconds=ack_ms) if ack_ms is not None else None
        resolved: datetime | None = None
        if alert.get("status") == "closed":
            close_ms = _ms(report.get("closeTime"))
            if close_ms is not None:
                resolved = created + timedelta(milliseconds=close_ms)
            else:
                resolved = records.utc(alert.get("updatedAt"), "updatedAt")
                no_close.append(str(alert.get("id")))
        priority = alert.get("priority")
        try:
            severity = records.severity(priority, default="SEV3")
        except records.RowError:
            unknown_priorities.add(str(priority))
            severity = "SEV3"
        tags = list_at(alert, "tags")
        details = alert.get("details")
        texts = [alert.get("message"), alert.get("alias"), alert.get("description"), *tags]
        if isinstance(details, dict) and details:
            texts.append(json.dumps(details, sort_keys=True))
        alert_id = alert.get("id")
        return records.incident(
            source=self.name,
            external_id=alert_id,
            service_id=service_id,
            severity=severity,
            title=alert.get("message"),
            started_at=created,
            acknowledged_at=acknowledged,
            resolved_at=resolved,
            url=f"{self.web_url}/alert/detail/{alert_id}/details" if self.web_url else None,
            deployment_ref=find_ref(self.common.pattern, texts),
            link_to_deployments=self.common.link,
        )
