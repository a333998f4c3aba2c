"""What a connector is: declared streams, and an ``extract`` that yields canonical records.

A connector never opens the warehouse and never computes a KPI. It reads what it needs from a
:class:`SourceContext` (services, its own cursors, the time window) and yields records:

* :class:`Upsert` — rows replacing any row with the same natural key;
* :class:`ReplaceWindow` — for tables without a key (``service_level_samples``): every row of
  one entity inside a time window is deleted, then the fetched rows inserted;
* :class:`CursorUpdate` — new incremental positions of stream partitions.

:mod:`connectors.sync` applies them all in one transaction per source run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import pyarrow as pa

from connectors.core.http.client import HttpSettings, HttpStats
from connectors.core.linking import LinkSettings
from i18n import N_, _

Row = Mapping[str, object]


@dataclass(frozen=True)
class Stream:
    """A stream a connector yields: target table, natural key and cursor field (Singer-style).

    Cursors are kept per partition: ``sync_cursors.stream`` is ``"<name>/<partition>"``, e.g.
    ``quality_snapshots/acme:billing`` or ``service_level_samples/checkout-api/production``.
    """

    name: str
    table: str
    primary_key: tuple[str, ...]
    cursor_field: str

    def cursor_key(self, *partition: str) -> str:
        return "/".join((self.name, *partition))


@dataclass(frozen=True)
class Upsert:
    table: str
    key: tuple[str, ...]
    rows: Sequence[Row]


@dataclass(frozen=True)
class ReplaceWindow:
    """Delete ``table`` rows matching ``match`` with ``start <= time_column < end``, then insert.

    ``rows`` may be an Arrow table with the warehouse's column names: the bulk path, for
    connectors that build columns (no Python work per value in the loader)."""

    table: str
    match: Mapping[str, object]
    time_column: str
    start: datetime
    end: datetime
    rows: Sequence[Row] | pa.Table


@dataclass(frozen=True)
class CursorUpdate:
    """New positions, ``{stream partition: value}`` (ISO-8601 timestamps here)."""

    values: Mapping[str, str]


Record = Upsert | ReplaceWindow | CursorUpdate


@dataclass(frozen=True)
class ServiceInfo:
    """A row of the warehouse's ``services`` table, as connectors see it."""

    service_id: str
    team_id: str
    sonar_project_key: str | None
    prometheus_selector: str | None
    repo_url: str | None = None
    # the catalog's other source keys: gitlab_project, jenkins_job, pagerduty_service,
    # jira_component → value (only the ones set)
    keys: Mapping[str, str] = field(default_factory=dict)

    def key(self, catalog_field: str) -> str | None:
        return self.keys.get(catalog_field)


class ProgressSink(Protocol):
    def start(self, total: int, unit: str) -> None: ...

    def advance(self, done: int = 1) -> None: ...


@dataclass(frozen=True)
class Found:
    """Something a source knows that no service maps: shown by ``connectors discover`` with the
    catalog line that would map it (``field = value`` in the service's entry)."""

    source: str
    what: str  # "SonarQube project", "Prometheus job"
    key: str
    label: str
    field: str  # the catalog field: sonar_project_key, prometheus_selector, …
    value: str

    def noun(self, count: int = 1) -> str:
        """``what`` in the reader's language, for one or several ("GitHub repositories")."""
        one, several = FOUND_NOUNS.get(self.what, (self.what, self.what))
        return _(one if count == 1 else several)


FOUND_NOUNS = {  # every connector's Found.what: (one, several), marked for translation
    "GitHub repository": (N_("GitHub repository"), N_("GitHub repositories")),
    "GitLab project": (N_("GitLab project"), N_("GitLab projects")),
    "Jenkins job": (N_("Jenkins job"), N_("Jenkins jobs")),
    "Jira component": (N_("Jira component"), N_("Jira components")),
    "PagerDuty service": (N_("PagerDuty service"), N_("PagerDuty services")),
    "Prometheus job": (N_("Prometheus job"), N_("Prometheus jobs")),
    "SonarQube project": (N_("SonarQube project"), N_("SonarQube projects")),
}


@dataclass
class SourceContext:
    """Everything a connector may know about the warehouse and the run."""

    source: str
    services: Sequence[ServiceInfo]
    cursors: Mapping[str, str]
    since: datetime | None
    until: datetime
    http: HttpSettings
    stats: HttpStats
    progress: ProgressSink
    warnings: list[str] = field(default_factory=list)
    sleep: Callable[[float], None] | None = None
    linking: LinkSettings = field(default_factory=LinkSettings)  # [linking] of the sources file
    url: str = ""  # the source's configured URL: the only origin its credentials go to
    # services the catalog retired: not in ``services``, so nothing new is synced for them
    retired: frozenset[str] = frozenset()

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def service_ids(self) -> set[str]:
        return {s.service_id for s in self.services}


class Connector(Protocol):
    """The contract every connector module implements (see connectors/registry.py)."""

    name: str
    streams: tuple[Stream, ...]

    def extract(self, ctx: SourceContext) -> Iterator[Record]: ...
