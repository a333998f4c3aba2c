"""What the on-call connectors (PagerDuty, Opsgenie) share: options, window and open cursor.

Both list incidents (alerts) by creation time in a window, re-read the recent ones for their
current status, and follow older ones that were still open at the last run by id, since the
connector cannot read the warehouse, only its cursors. The ``incidents`` cursor is the
``until`` of the last run; ``incidents/open`` holds the ids still open then.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.core import records
from connectors.core.base import CursorUpdate, SourceContext, Stream
from connectors.core.config import SourceConfig
from connectors.core.errors import ConfigError
from connectors.core.mapping import ServiceMap
from connectors.core.options import choice, flag, offset_cap, ref_pattern, whole_days, whole_number
from i18n import _

STREAM = Stream(
    name="incidents",
    table="incidents",
    primary_key=records.DEPLOYMENT_KEY,
    cursor_field="started_at",
)
OPEN_CURSOR = STREAM.cursor_key("open")
OPEN_LIMIT = 2000  # open incidents remembered for re-fetching by id


@dataclass(frozen=True)
class IncidentOptions:
    """The options both connectors take, read with the same checks and defaults."""

    url: str
    lookback: timedelta
    reopen: timedelta
    page_size: int
    max_offset: int
    pattern: re.Pattern[str] | None
    link: bool

    @classmethod
    def read(
        cls,
        source: SourceConfig,
        product: str,
        regions: Mapping[str, str],
        page_size: int,
        max_offset: int,
    ) -> IncidentOptions:
        """``page_size`` and ``max_offset`` are the API's limits (and the defaults)."""
        where = f"[sources.{source.name}]"
        options = source.options
        region = choice(options, "region", "us", tuple(regions), where)
        if source.auth != "bearer":
            raise ConfigError(
                _('{where}: {product} needs an API key, sent as auth = "bearer"').format(
                    where=where, product=product
                ),
                _('set auth = "bearer" and token_env = "NAME_OF_ENV_VAR"'),
            )
        size = whole_number(options, "page_size", page_size, 1, page_size, where)
        cap = whole_number(options, "max_offset", max_offset, 2, max_offset, where)
        offset_cap(size, cap, where)
        return cls(
            url=source.url or regions[region],
            lookback=whole_days(options, "lookback_days", 365, 1, 3650, where),
            reopen=whole_days(options, "reopen_days", 14, 0, 180, where),
            page_size=size,
            max_offset=cap,
            pattern=ref_pattern(options, where),
            link=flag(options, "link_to_deployments", True, where),
        )

    def start(self, ctx: SourceContext) -> datetime:
        """Where the listing starts: ``--since``, else the cursor minus ``reopen_days`` (recent
        incidents are re-read with their current status), else ``lookback_days`` back."""
        if ctx.since is not None:
            return ctx.since
        cursor = ctx.cursors.get(STREAM.cursor_key())
        if cursor:
            return records.utc(cursor, "cursor") - self.reopen
        return ctx.until - self.lookback


def refetch_open(
    ctx: SourceContext,
    listed: dict[str, dict[str, Any]],
    fetch: Callable[[str], dict[str, Any] | None],
    kind: str,
    product: str,
) -> set[str]:
    """Add to ``listed`` the records open at the last run that this listing missed, fetched
    by id; returns the ids fetched. ``fetch`` answers None for an id that is gone, which is
    dropped with one warning naming ``kind`` (``"incident(s)"``) and ``product``."""
    fetched: set[str] = set()
    gone: list[str] = []
    for record_id in open_ids(ctx.cursors):
        if record_id in listed:
            continue
        found = fetch(record_id)
        if found is None:
            gone.append(record_id)
        else:
            listed[record_id] = found
            fetched.add(record_id)
    if gone:
        ctx.warn(
            f"{len(gone)} {kind} open at the last sync are gone from {product} and are no "
            f"longer re-checked ({', '.join(sorted(gone)[:5])})"
        )
    return fetched


def open_ids(cursors: Mapping[str, str]) -> list[str]:
    """The ids the ``incidents/open`` cursor remembers."""
    return [i for i in cursors.get(OPEN_CURSOR, "").split() if i]


def open_cursor(ctx: SourceContext, still_open: dict[str, datetime], what: str) -> str:
    """The ``incidents/open`` value: the newest :data:`OPEN_LIMIT` open ids, sorted (a cursor
    must stay small; older ones are refreshed while they are within ``reopen_days``)."""
    newest = sorted(still_open, key=lambda i: (still_open[i], i), reverse=True)
    if len(newest) > OPEN_LIMIT:
        ctx.warn(
            f"{len(newest)} {what} are open; only the newest {OPEN_LIMIT} are re-checked by id "
            "(older ones are refreshed while they are within reopen_days)"
        )
        newest = newest[:OPEN_LIMIT]
    return " ".join(sorted(newest))


def cursors(ctx: SourceContext, rows: Sequence[Mapping[str, Any]], what: str) -> CursorUpdate:
    """Both cursors after a run: its ``until``, and the rows still unresolved."""
    still_open = {r["external_id"]: r["started_at"] for r in rows if r["resolved_at"] is None}
    return CursorUpdate(
        {
            STREAM.cursor_key(): records.cursor_time(ctx.until),
            OPEN_CURSOR: open_cursor(ctx, still_open, what),
        }
    )


def resolve_service(
    smap: ServiceMap, known: set[str], keys: Sequence[str], label: str
) -> str | None:
    """The service of the first key mapped under ``services`` or by the catalog, else of the
    first key that is a warehouse service id; None (and ``label`` remembered as unmapped)
    otherwise."""
    explicit = {k.lower() for k in [*smap.keys(), *smap.catalog_keys()]}
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
