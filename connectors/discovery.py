"""Discovery: what each source knows that maps to no service, with a suggested catalog line.

``python -m connectors discover`` asks every enabled source that can list things (SonarQube
projects, Prometheus ``job`` label values) for all of them, drops what the catalog already maps,
and suggests the service each remaining one most likely belongs to (name similarity of the key
and title against service ids and names). Nothing is mapped silently: a suggestion is a line
the user copies into config/catalog.toml and applies.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.core.base import Found, SourceContext
from connectors.core.config import SyncConfig
from connectors.core.errors import ConnectorError
from connectors.core.http.client import HttpStats
from connectors.core.progress import NullReporter, SourceProgress
from connectors.core.redact import redact
from connectors.registry import build_connector
from connectors.sync import read_retired, read_services
from data.warehouse import db_path, open_reader
from i18n import _

MIN_SIMILARITY = 0.6
CONTAINED = 0.8  # every word of one name among the other's: payments-ledger ~ ledger


@dataclass(frozen=True)
class Suggestion:
    found: Found
    service_id: str | None  # the most similar service, or None
    similarity: float

    @property
    def setting(self) -> str:
        """The catalog line that maps it: ``sonar_project_key = "acme:ledger"``."""
        return f"{self.found.field} = {_toml(self.found.value)}"

    def line(self) -> str:
        f = self.found
        what = f"{f.key} ({f.label})" if f.label and f.label != f.key else f.key
        setting = self.setting
        if self.service_id is None:
            return _("  {what}: no similar service; declare one with {setting}").format(
                what=what, setting=setting
            )
        return _(
            "  {what} → {service}? (similarity {similarity}): in its [[services]] entry, {setting}"
        ).format(
            what=what, service=self.service_id, similarity=f"{self.similarity:.2f}", setting=setting
        )


def _toml(value: str) -> str:
    """A TOML string for ``value``: literal quotes when it holds double quotes."""
    return f"'{value}'" if '"' in value and "'" not in value else f'"{value}"'


def _words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def suggest(found: Found, services: Sequence[tuple[str, str]]) -> Suggestion:
    """The service whose id or name is most like the found key or label (≥ 0.6), if any: the
    similarity of their words (difflib's ratio), or 0.8 when one's words all appear in the
    other's."""
    best, score = None, 0.0
    for service_id, name in services:
        for theirs in (found.key, found.label):
            for ours in (service_id, name):
                a, b = _words(theirs), _words(ours)
                ratio = difflib.SequenceMatcher(None, a, b).ratio()
                if (
                    a
                    and b
                    and (set(a.split()) <= set(b.split()) or set(b.split()) <= set(a.split()))
                ):
                    ratio = max(ratio, CONTAINED)
                if ratio > score:
                    best, score = service_id, ratio
    return Suggestion(found, best if score >= MIN_SIMILARITY else None, round(score, 2))


@dataclass
class SourceDiscovery:
    source: str
    suggestions: list[Suggestion]
    error: str | None = None
    listed: bool = True  # False: the source type cannot list what it knows


def discover(
    config: SyncConfig,
    *,
    db: str | os.PathLike[str] | None = None,
    names: Sequence[str] | None = None,
) -> list[SourceDiscovery]:
    """Unmapped things per selected source (all enabled ones by default); never raises for a
    source that fails: its error is one line, like a sync's."""
    con = open_reader(db_path(db))
    try:
        services = read_services(con)
        retired = read_retired(con)
        named = [
            (str(r[0]), str(r[1]))
            for r in con.execute(
                "SELECT service_id, name FROM services WHERE retired_on IS NULL ORDER BY 1"
            ).fetchall()
        ]
    finally:
        con.close()
    results = []
    for source in config.select(list(names) if names else None):
        connector = build_connector(source)
        lister = getattr(connector, "discover", None)
        if lister is None:
            results.append(SourceDiscovery(source.name, [], listed=False))
            continue
        ctx = SourceContext(
            source=source.name,
            services=services,
            cursors={},
            since=None,
            until=datetime.now(UTC),
            http=config.http,
            stats=HttpStats(),
            progress=SourceProgress(NullReporter(), source.name),
            linking=config.linking,
            url=source.url,
            retired=retired,
        )
        try:
            found = sorted(lister(ctx), key=lambda f: f.key)
        except ConnectorError as exc:
            text = f"{exc.problem} — {exc.fix}" if exc.fix else exc.problem
            results.append(SourceDiscovery(source.name, [], error=redact(f"{source.name}: {text}")))
            continue
        results.append(SourceDiscovery(source.name, [suggest(f, named) for f in found]))
    return results
