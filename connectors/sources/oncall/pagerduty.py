"""PagerDuty (REST API v2) → ``incidents``, one row per PagerDuty incident.

**Services.** An incident belongs to the warehouse service its PagerDuty service maps to:
``[sources.<name>.services]`` maps a PagerDuty service id (``"PXXXXXX" = "checkout-api"``)
or name (``"Checkout API" = "checkout-api"``); a PagerDuty service whose name *is* a
warehouse service id needs no line. Incidents of unmapped services are skipped and their
services named in one warning. ``filter_services`` narrows the listing server-side
(``service_ids[]``), ``statuses`` likewise (``statuses[]``).

**Rows.** ``started_at`` = ``created_at`` (first trigger). ``acknowledged_at`` = the earliest
``acknowledge_log_entry`` of the incident's log (``GET /incidents/{id}/log_entries``, paged):
the incident's own ``acknowledgements`` list is emptied once it resolves. ``resolved_at`` =
``resolved_at``, else ``last_status_change_at`` when the status is ``resolved``, else the
``resolve_log_entry`` time. Severity: ``priority.summary`` (P1…P5 → SEV1…SEV4), else urgency
(``high`` → ``high_urgency_severity``, default SEV2; ``low`` → ``low_urgency_severity``,
default SEV4). ``deployment_ref``: the first match of ``deployment_ref_pattern`` in the title,
description and body details (a deployment id or commit SHA the linker then matches). A record
that cannot be a row (a time without zone, resolved before created) is skipped and counted in a
warning.

**Windows.** ``since``/``until`` select incidents by creation time and may span at most six
months, so a first sync walks ``lookback_days`` (default 365) in consecutive 180-day windows.
PagerDuty lists at most 10,000 items per query (``offset + limit``); a window that would pass
it is split in halves and listed again.

**Incremental.** Cursor ``incidents`` = the ``until`` of the last run. A run lists from the
cursor minus ``reopen_days`` (default 14), so recent incidents are re-read with their current
status. Older incidents still open at the last run are kept in the cursor ``incidents/open``
(space-separated ids, at most :data:`connectors.sources.oncall.shared.OPEN_LIMIT`) and fetched by id
(``GET /incidents/{id}``) until they resolve — the connector cannot read the warehouse, only
its cursors. An id that is gone (404) is dropped with a warning. Options, window, cursors and
service resolution are shared with Opsgenie (:mod:`connectors.sources.oncall.shared`).

**Auth.** ``auth = "bearer"`` and ``token_env``; the key is sent as ``Token token=<key>``
(REST API key), or as ``Bearer <token>`` with ``token_type = "oauth"``. Read-only keys
suffice. ``region = "eu"`` selects ``https://api.eu.pagerduty.com``.

**Rate limits.** 960 requests a minute per key; 429 and ``ratelimit-reset`` are honoured by
:mod:`connectors.core.http.client`. Log entries are read with ``concurrency`` threads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connectors.core import records
from connectors.core.base import Found, Record, SourceContext, Stream
from connectors.core.config import SourceConfig, check_options
from connectors.core.errors import ConnectorError, HttpStatusError
from connectors.core.http.client import ClientPool
from connectors.core.http.clients import extract_with, retry_later, unreachable_fix
from connectors.core.http.pool import bounded_map
from connectors.core.http.shapes import object_at
from connectors.core.mapping import ServiceMap
from connectors.core.options import choice, find_ref, strings
from connectors.sources.oncall import shared as oncall
from connectors.sources.oncall.pagerduty_api import (
    ACCEPT,
    MAX_OFFSET,
    PAGE_SIZE,
    PagerDutyApi,
    PagerDutyAuth,
)

REGIONS = {"us": "https://api.pagerduty.com", "eu": "https://api.eu.pagerduty.com"}
STATUSES = ("triggered", "acknowledged", "resolved")
TOKEN_TYPES = ("api_key", "oauth")
OPTIONS = frozenset(
    {
        "region",
        "services",
        "filter_services",
        "statuses",
        "lookback_days",
        "reopen_days",
        "page_size",
        "max_offset",
        "high_urgency_severity",
        "low_urgency_severity",
        "deployment_ref_pattern",
        "link_to_deployments",
        "token_type",
    }
)


class PagerDutyConnector:
    """REST API v2 → incidents (see the module docstring)."""

    streams: tuple[Stream, ...] = (oncall.STREAM,)

    def __init__(self, source: SourceConfig) -> None:
        check_options(source, OPTIONS)
        self.source = source
        self.name = source.name
        where = f"[sources.{source.name}]"
        options = source.options
        self.common = oncall.IncidentOptions.read(
            source, "PagerDuty", REGIONS, PAGE_SIZE, MAX_OFFSET
        )
        self.url = self.common.url
        self.oauth = choice(options, "token_type", "api_key", TOKEN_TYPES, where) == "oauth"
        self.filter_services = strings(options, "filter_services", self.name)
        self.statuses = strings(options, "statuses", self.name, STATUSES)
        self.high = choice(options, "high_urgency_severity", "SEV2", records.SEVERITIES, where)
        self.low = choice(options, "low_urgency_severity", "SEV4", records.SEVERITIES, where)

    @classmethod
    def from_config(cls, source: SourceConfig) -> PagerDutyConnector:
        return cls(source)

    # -- errors ---------------------------------------------------------------------------

    def _explain(self, exc: ConnectorError) -> ConnectorError:
        section = f"[sources.{self.name}]"
        if not isinstance(exc, HttpStatusError):
            return unreachable_fix(
                exc,
                f"check url = {self.url} in {section} (https://api.pagerduty.com, or "
                "https://api.eu.pagerduty.com for EU accounts) and that it is reachable",
            )
        if exc.status == 401:
            kind = "OAuth token" if self.oauth else "REST API key"
            return exc.with_fix(
                f"the {kind} in {self.source.token_origin} is missing, revoked or of another "
                "kind; create a read-only API key (Integrations → API Access Keys) and export "
                'it, or set token_type = "oauth" for an OAuth token'
            )
        if exc.status == 403:
            return exc.with_fix(
                "the key may not read these incidents; use a read-only account API key, or "
                "grant the key's user access to the services"
            )
        if exc.status == 404:
            return exc.with_fix(
                f"check url = {self.url} in {section}: it must be the REST API "
                "(https://api.pagerduty.com), not the web app or the Events API"
            )
        if exc.status == 400:
            return exc.with_fix(
                f"PagerDuty refused the request; check filter_services and statuses in {section}"
            )
        if exc.status == 429:
            return exc.with_fix(retry_later(section, " (960 requests a minute per key)"))
        if exc.status >= 500:
            return exc.with_fix("PagerDuty failed; check https://status.pagerduty.com and retry")
        return exc

    # -- extraction -----------------------------------------------------------------------

    def _api(self, pool: ClientPool) -> PagerDutyApi:
        return PagerDutyApi(
            pool.client(),
            self.url,
            page_size=self.common.page_size,
            max_offset=self.common.max_offset,
        )

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        yield from extract_with(
            ctx,
            lambda pool: self._extract(pool, ctx),
            self._explain,
            auth=PagerDutyAuth(self.source.require_token().value, oauth=self.oauth),
            headers={"Accept": ACCEPT},
        )

    def discover(self, ctx: SourceContext) -> Iterator[Found]:
        """Services on the account that map to no TechPulse service (``connectors discover``):
        each would be the service's ``pagerduty_service = "<id>"``."""
        yield from extract_with(
            ctx,
            lambda pool: self._unmapped(pool, ctx),
            self._explain,
            auth=PagerDutyAuth(self.source.require_token().value, oauth=self.oauth),
            headers={"Accept": ACCEPT},
        )

    def _unmapped(self, pool: ClientPool, ctx: SourceContext) -> list[Found]:
        smap = ServiceMap.for_source(self.source, ctx, catalog_field="pagerduty_service")
        known = ctx.service_ids()
        return [
            Found(self.name, "PagerDuty service", sid, name, "pagerduty_service", sid)
            for sid, name in self._api(pool).services()
            if oncall.resolve_service(smap, known, [sid, name], name) is None
        ]

    def _extract(self, pool: ClientPool, ctx: SourceContext) -> Iterator[Record]:
        smap = ServiceMap.for_source(self.source, ctx, catalog_field="pagerduty_service")
        known = ctx.service_ids()
        api = self._api(pool)
        start = self.common.start(ctx)
        listed = (
            api.incidents(start, ctx.until, statuses=self.statuses, services=self.filter_services)
            if start < ctx.until
            else {}
        )
        oncall.refetch_open(ctx, listed, api.incident, "incident(s)", "PagerDuty")
        chosen: list[tuple[dict[str, Any], str]] = []
        for incident in sorted(listed.values(), key=lambda i: str(i.get("created_at"))):
            service = object_at(incident, "service")
            keys = [k for k in (service.get("id"), service.get("summary")) if isinstance(k, str)]
            label = f"{keys[1]} ({keys[0]})" if len(keys) == 2 else "".join(keys) or "(no service)"
            service_id = oncall.resolve_service(smap, known, keys, label)
            if service_id is not None:
                chosen.append((incident, service_id))
        smap.warn_unmapped(ctx, "PagerDuty services")
        ctx.progress.start(len(chosen), "incidents")
        skipped = oncall.Skipped()
        unknown_priorities: set[str] = set()

        def work(item: tuple[dict[str, Any], str]) -> dict[str, Any] | None:
            incident, service_id = item
            entries = self._api(pool).log_entries(incident["id"])
            try:
                return self.row(incident, service_id, entries, unknown_priorities)
            except records.RowError as exc:
                skipped.add(str(exc), incident["id"])
                return None

        rows: list[dict[str, Any]] = []
        for row in bounded_map(work, chosen, self.source.concurrency):
            if row is not None:
                rows.append(row)
            ctx.progress.advance()
        skipped.warn(ctx, "PagerDuty incident(s)")
        if unknown_priorities:
            ctx.warn(
                f"PagerDuty priorities {', '.join(sorted(unknown_priorities))} are not P1-P5 or "
                "SEV1-SEV4; their incidents were given a severity from urgency"
            )
        rows.sort(key=lambda r: r["external_id"])
        yield from records.upserts(incidents=rows)
        yield oncall.cursors(ctx, rows, "PagerDuty incidents")

    # -- one incident ---------------------------------------------------------------------

    def severity(self, incident: Mapping[str, Any], unknown: set[str]) -> str:
        priority = incident.get("priority")
        if isinstance(priority, dict):
            label = priority.get("summary") or priority.get("name")
            if isinstance(label, str) and label.strip():
                try:
                    return records.severity(label)
                except records.RowError:
                    unknown.add(label)
        return self.low if incident.get("urgency") == "low" else self.high

    def row(
        self,
        incident: Mapping[str, Any],
        service_id: str,
        entries: Sequence[Mapping[str, Any]],
        unknown_priorities: set[str],
    ) -> dict[str, Any]:
        """The ``incidents`` row of one PagerDuty incident and its log entries."""
        created = records.utc(incident.get("created_at"), "created_at")
        acks = [
            records.utc(e.get("created_at"), "log entry created_at")
            for e in entries
            if e.get("type") == "acknowledge_log_entry"
        ]
        resolves = [
            records.utc(e.get("created_at"), "log entry created_at")
            for e in entries
            if e.get("type") == "resolve_log_entry"
        ]
        resolved = records.optional_utc(incident.get("resolved_at"), "resolved_at")
        if resolved is None and incident.get("status") == "resolved":
            resolved = records.optional_utc(
                incident.get("last_status_change_at"), "last_status_change_at"
            )
            if resolved is None and resolves:
                resolved = max(resolves)
        body = object_at(incident, "body")
        details = body.get("details")
        if isinstance(details, dict | list):
            details = json.dumps(details)
        return records.incident(
            source=self.name,
            external_id=incident.get("id"),
            service_id=service_id,
            severity=self.severity(incident, unknown_priorities),
            title=incident.get("title") or incident.get("summary"),
            started_at=created,
            acknowledged_at=min(acks) if acks else None,
            resolved_at=resolved,
            url=incident.get("html_url"),
            deployment_ref=find_ref(
                self.common.pattern,
                (incident.get("title"), incident.get("description"), details),
            ),
            link_to_deployments=self.common.link,
        )
