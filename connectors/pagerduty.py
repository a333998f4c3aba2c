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
(space-separated ids, at most :data:`OPEN_LIMIT`) and fetched by id (``GET /incidents/{id}``)
until they resolve — the connector cannot read the warehouse, only its cursors. An id that is
gone (404) is dropped with a warning.

**Auth.** ``auth = "bearer"`` and ``token_env``; the key is sent as ``Token token=<key>``
(REST API key), or as ``Bearer <token>`` with ``token_type = "oauth"``. Read-only keys
suffice. ``region = "eu"`` selects ``https://api.eu.pagerduty.com``.

**Rate limits.** 960 requests a minute per key; 429 and ``ratelimit-reset`` are honoured by
:mod:`connectors.http`. Log entries are read with ``concurrency`` threads.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors import records
from connectors.base import CursorUpdate, Record, SourceContext, Stream
from connectors.config import SourceConfig, check_options
from connectors.errors import ConfigError, ConnectorError, HttpStatusError
from connectors.http import ClientPool
from connectors.mapping import ServiceMap, as_strings
from connectors.pagerduty_api import ACCEPT, MAX_OFFSET, PAGE_SIZE, PagerDutyApi, PagerDutyAuth
from connectors.pool import bounded_map

STREAM = Stream(
    name="incidents",
    table="incidents",
    primary_key=records.DEPLOYMENT_KEY,
    cursor_field="started_at",
)
OPEN_CURSOR = STREAM.cursor_key("open")
OPEN_LIMIT = 2000  # open incidents remembered for re-fetching by id
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
# A deployment id or commit SHA named after deploy/deployment/release/commit/sha, or a bare
# 40-character SHA. The first non-empty group of a match is the reference.
DEPLOYMENT_REF_PATTERN = (
    r"(?i)\b(?:deploy(?:ment)?|release|commit|sha)(?:\s+id)?[\s:#=]+"
    r"([0-9a-f]{7,40}\b|[a-z0-9][\w.-]*\d[\w.-]*)"
    r"|\b([0-9a-f]{40})\b"
)


# -- options shared with connectors/opsgenie.py ------------------------------------------


def int_option(source: SourceConfig, key: str, default: int, low: int, high: int) -> int:
    value = source.options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            f"[sources.{source.name}] {key} must be a whole number {low}..{high}",
            f"fix the value (default {default})",
        )
    return value


def bool_option(source: SourceConfig, key: str, default: bool) -> bool:
    value = source.options.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"[sources.{source.name}] {key} must be true or false", "fix the value")
    return value


def choice_option(source: SourceConfig, key: str, default: str, allowed: Sequence[str]) -> str:
    value = source.options.get(key, default)
    if value not in allowed:
        raise ConfigError(
            f"[sources.{source.name}] {key} = {value!r}", f"use one of {', '.join(allowed)}"
        )
    return str(value)


def severity_option(source: SourceConfig, key: str, default: str) -> str:
    return choice_option(source, key, default, records.SEVERITIES)


def ref_pattern(source: SourceConfig) -> re.Pattern[str] | None:
    """``deployment_ref_pattern`` compiled; ``""`` turns references off."""
    text = source.options.get("deployment_ref_pattern", DEPLOYMENT_REF_PATTERN)
    if not isinstance(text, str):
        raise ConfigError(
            f"[sources.{source.name}] deployment_ref_pattern must be a string", "quote the value"
        )
    if not text:
        return None
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise ConfigError(
            f"[sources.{source.name}] deployment_ref_pattern is not a valid regular expression "
            f"({exc})",
            "fix it (Python re syntax; the first group that matches is the reference)",
        ) from None
    if pattern.groups < 1:
        raise ConfigError(
            f"[sources.{source.name}] deployment_ref_pattern has no group",
            "put the deployment id or SHA in parentheses, e.g. deploy ([0-9a-f]{7,40})",
        )
    return pattern


def find_ref(pattern: re.Pattern[str] | None, texts: Iterable[Any]) -> str | None:
    """The first reference ``pattern`` finds in ``texts`` (trailing punctuation removed)."""
    if pattern is None:
        return None
    for text in texts:
        if not isinstance(text, str) or not text:
            continue
        for match in pattern.finditer(text):
            found = next((g for g in match.groups() if g), None)
            if found and found.rstrip(".-_"):
                return found.rstrip(".-_")
    return None


def open_ids(cursors: Mapping[str, str]) -> list[str]:
    """The ids the ``incidents/open`` cursor remembers."""
    return [i for i in cursors.get(OPEN_CURSOR, "").split() if i]


def open_cursor(ctx: SourceContext, still_open: dict[str, datetime], what: str) -> str:
    """The ``incidents/open`` value: the newest :data:`OPEN_LIMIT` open ids, sorted."""
    newest = sorted(still_open, key=lambda i: (still_open[i], i), reverse=True)
    if len(newest) > OPEN_LIMIT:
        ctx.warn(
            f"{len(newest)} {what} are open; only the newest {OPEN_LIMIT} are re-checked by id "
            "(older ones are refreshed while they are within reopen_days)"
        )
        newest = newest[:OPEN_LIMIT]
    return " ".join(sorted(newest))


def resolve_service(
    smap: ServiceMap, known: set[str], keys: Sequence[str], label: str
) -> str | None:
    """The service of the first key mapped under ``services``, else of the first key that is
    a warehouse service id; None (and ``label`` remembered as unmapped) otherwise."""
    explicit = {k.lower() for k in smap.keys()}  # noqa: SIM118 (a method, not a dict)
    for key in keys:
        if key.lower() in explicit:
            return smap.get(key)
    for key in keys:
        if key in known:
            return key
    smap.unmapped.add(label)
    return None


class Skipped:
    """Records that could not become rows, counted per reason for one warning."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reasons: dict[str, list[str]] = {}

    def add(self, reason: str, external_id: str) -> None:
        with self._lock:
            self.reasons.setdefault(reason, []).append(external_id)

    def warn(self, ctx: SourceContext, what: str) -> None:
        for reason, ids in sorted(self.reasons.items()):
            sample = ", ".join(sorted(ids)[:5]) + (" …" if len(ids) > 5 else "")
            ctx.warn(f"{len(ids)} {what} skipped: {reason} ({sample})")


# -- the connector ---------------------------------------------------------------------


def _text_list(source: SourceConfig, key: str, allowed: Sequence[str] | None = None) -> list[str]:
    if key not in source.options:
        return []
    values = as_strings(source.options[key], key, source.name)
    if allowed is not None:
        wrong = [v for v in values if v not in allowed]
        if wrong:
            raise ConfigError(
                f"[sources.{source.name}] {key} has {', '.join(wrong)}",
                f"use some of {', '.join(allowed)}",
            )
    return values


class PagerDutyConnector:
    """REST API v2 → incidents (see the module docstring)."""

    streams: tuple[Stream, ...] = (STREAM,)

    def __init__(self, source: SourceConfig) -> None:
        check_options(source, OPTIONS)
        self.source = source
        self.name = source.name
        where = f"[sources.{source.name}]"
        region = choice_option(source, "region", "us", tuple(REGIONS))
        self.url = source.url or REGIONS[region]
        if source.auth not in ("bearer",):
            raise ConfigError(
                f'{where}: PagerDuty needs an API key, sent as auth = "bearer"',
                'set auth = "bearer" and token_env = "NAME_OF_ENV_VAR"',
            )
        self.oauth = choice_option(source, "token_type", "api_key", TOKEN_TYPES) == "oauth"
        self.filter_services = _text_list(source, "filter_services")
        self.statuses = _text_list(source, "statuses", STATUSES)
        self.lookback = timedelta(days=int_option(source, "lookback_days", 365, 1, 3650))
        self.reopen = timedelta(days=int_option(source, "reopen_days", 14, 0, 180))
        self.page_size = int_option(source, "page_size", PAGE_SIZE, 1, PAGE_SIZE)
        self.max_offset = int_option(source, "max_offset", MAX_OFFSET, 2, MAX_OFFSET)
        if self.max_offset < 2 * self.page_size:
            raise ConfigError(
                f"{where}: max_offset must be at least twice page_size", "raise max_offset"
            )
        self.high = severity_option(source, "high_urgency_severity", "SEV2")
        self.low = severity_option(source, "low_urgency_severity", "SEV4")
        self.pattern = ref_pattern(source)
        self.link = bool_option(source, "link_to_deployments", True)

    @classmethod
    def from_config(cls, source: SourceConfig) -> PagerDutyConnector:
        return cls(source)

    # -- errors ---------------------------------------------------------------------------

    def _explain(self, exc: ConnectorError) -> ConnectorError:
        section = f"[sources.{self.name}]"
        if not isinstance(exc, HttpStatusError):
            if exc.fix.startswith("check the url"):
                return exc.with_fix(
                    f"check url = {self.url} in {section} (https://api.pagerduty.com, or "
                    "https://api.eu.pagerduty.com for EU accounts) and that it is reachable"
                )
            return exc
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
            return exc.with_fix(
                f"rate limited even after retries (960 requests a minute per key); lower "
                f"concurrency in {section} or retry later"
            )
        if exc.status >= 500:
            return exc.with_fix("PagerDuty failed; check https://status.pagerduty.com and retry")
        return exc

    # -- extraction -----------------------------------------------------------------------

    def _api(self, pool: ClientPool) -> PagerDutyApi:
        return PagerDutyApi(
            pool.client(), self.url, page_size=self.page_size, max_offset=self.max_offset
        )

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        pool = ClientPool(
            ctx.http,
            auth=PagerDutyAuth(self.source.require_token().value, oauth=self.oauth),
            stats=ctx.stats,
            sleep=ctx.sleep if ctx.sleep is not None else time.sleep,
            headers={"Accept": ACCEPT},
        )
        try:
            yield from self._extract(pool, ctx)
        except ConnectorError as exc:
            raise self._explain(exc) from None
        finally:
            pool.close()

    def start(self, ctx: SourceContext) -> datetime:
        """Where the listing starts (see the module docstring)."""
        if ctx.since is not None:
            return ctx.since
        cursor = ctx.cursors.get(STREAM.cursor_key())
        if cursor:
            return records.utc(cursor, "cursor") - self.reopen
        return ctx.until - self.lookback

    def _extract(self, pool: ClientPool, ctx: SourceContext) -> Iterator[Record]:
        smap = ServiceMap.for_source(self.source, ctx)
        known = ctx.service_ids()
        api = self._api(pool)
        start = self.start(ctx)
        listed = (
            api.incidents(start, ctx.until, statuses=self.statuses, services=self.filter_services)
            if start < ctx.until
            else {}
        )
        gone: list[str] = []
        for incident_id in open_ids(ctx.cursors):
            if incident_id in listed:
                continue
            found = api.incident(incident_id)
            if found is None:
                gone.append(incident_id)
            else:
                listed[incident_id] = found
        if gone:
            ctx.warn(
                f"{len(gone)} incident(s) open at the last sync are gone from PagerDuty and are "
                f"no longer re-checked ({', '.join(sorted(gone)[:5])})"
            )
        chosen: list[tuple[dict[str, Any], str]] = []
        for incident in sorted(listed.values(), key=lambda i: str(i.get("created_at"))):
            service = incident.get("service") if isinstance(incident.get("service"), dict) else {}
            keys = [k for k in (service.get("id"), service.get("summary")) if isinstance(k, str)]
            label = f"{keys[1]} ({keys[0]})" if len(keys) == 2 else "".join(keys) or "(no service)"
            service_id = resolve_service(smap, known, keys, label)
            if service_id is not None:
                chosen.append((incident, service_id))
        smap.warn_unmapped(ctx, "PagerDuty services")
        ctx.progress.start(len(chosen), "incidents")
        skipped = Skipped()
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
        still_open = {r["external_id"]: r["started_at"] for r in rows if r["resolved_at"] is None}
        yield CursorUpdate(
            {
                STREAM.cursor_key(): records.cursor_time(ctx.until),
                OPEN_CURSOR: open_cursor(ctx, still_open, "PagerDuty incidents"),
            }
        )

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
        body = incident.get("body") if isinstance(incident.get("body"), dict) else {}
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
                self.pattern,
                (incident.get("title"), incident.get("description"), details),
            ),
            link_to_deployments=self.link,
        )
