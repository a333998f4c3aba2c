"""SonarQube and SonarQube Cloud (SonarCloud) → ``quality_snapshots``, one row per analysis.

**Projects → services.** A project is synced when a service names it
(``services.sonar_project_key``) or ``[sources.<name>.projects]`` maps it
(``"project key" = "service_id"``; the config wins). Projects on the server that map to no
service are **skipped, not fetched**, and counted in a warning so they can be mapped.
A mapped key the server does not know fails the run (404) — a typo must not silently drop a
service's quality data.

**Listing.** ``api/projects/search`` gives each project's ``lastAnalysisDate`` but needs
*Administer*; with ``project_listing = "auto"`` (default) a 403 falls back to
``api/components/search?qualifiers=TRK``, which a read-only token may call.

**Incremental.** Cursor per project (``quality_snapshots/<key>``) = date of the newest
analysis stored. With analysis dates from the listing, an unchanged project costs no request;
without them, one ``search_history`` call from the cursor tells. New analyses are fetched
from ``api/measures/search_history`` (``from`` = cursor, paged); the newest one is completed
with ``api/measures/component`` and ``api/qualitygates/project_status``. Rows are upserted on
``(source, project_key, analysed_at)``.

**Metrics.** ``api/metrics/search`` says which keys the server knows; each warehouse column
takes the first known key of its list in :data:`FIELDS` (10.x renamed issue counts and debt);
a column with no known key stays NULL and the run warns once.

**Auth.** ``auth = "bearer"`` (10.x+, SonarQube Cloud) or ``"basic"`` with the token as login
(older servers). SonarQube Cloud needs ``organization``; ``region = "eu"`` (sonarcloud.io) or
``"us"`` (sonarqube.us) sets the url.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.core.base import CursorUpdate, Found, Record, Row, SourceContext, Stream, Upsert
from connectors.core.config import SourceConfig, check_options
from connectors.core.errors import ConfigError, ConnectorError, HttpStatusError
from connectors.core.http.client import ClientPool
from connectors.core.http.clients import extract_with, retry_later, token_auth, unreachable_fix
from connectors.core.http.pool import bounded_map
from connectors.core.options import choice, page_size
from connectors.sources.sonarqube.api import (
    HISTORY_PAGE_SIZE,
    SEARCH_PAGE_SIZE,
    SonarApi,
    SonarProject,
    parse_date,
)
from i18n import _

STREAM = Stream(
    name="quality_snapshots",
    table="quality_snapshots",
    primary_key=("source", "project_key", "analysed_at"),
    cursor_field="analysed_at",
)
REGIONS = {"eu": "https://sonarcloud.io", "us": "https://sonarqube.us"}
LISTINGS = ("auto", "projects_search", "components_search")
OPTIONS = frozenset(
    {"organization", "region", "project_listing", "page_size", "history_page_size", "projects"}
)

# warehouse column → (kind, metric keys in order of preference)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "lines_to_cover": ("int", ("lines_to_cover",)),
    "uncovered_lines": ("int", ("uncovered_lines",)),
    "conditions_to_cover": ("int", ("conditions_to_cover",)),
    "uncovered_conditions": ("int", ("uncovered_conditions",)),
    "new_lines_to_cover": ("int", ("new_lines_to_cover",)),
    "new_uncovered_lines": ("int", ("new_uncovered_lines",)),
    "technical_debt_minutes": (
        "int",
        ("sqale_index", "software_quality_maintainability_remediation_effort"),
    ),
    "bugs": ("int", ("bugs", "software_quality_reliability_issues")),
    "vulnerabilities": ("int", ("vulnerabilities", "software_quality_security_issues")),
    "code_smells": ("int", ("code_smells", "software_quality_maintainability_issues")),
    "duplicated_lines_density": ("float", ("duplicated_lines_density",)),
    "quality_gate_status": ("text", ("alert_status",)),
    # Fetched for the schema v4 columns; the loader drops them on an older warehouse.
    "coverage": ("float", ("coverage",)),
    "new_coverage": ("float", ("new_coverage",)),
    "reliability_rating": ("rating", ("reliability_rating", "software_quality_reliability_rating")),
    "security_rating": ("rating", ("security_rating", "software_quality_security_rating")),
}
ESSENTIAL = ("lines_to_cover", "uncovered_lines")
_RATINGS = {1: "A", 2: "B", 3: "C", 4: "D", 5: "E"}


def convert(kind: str, value: str | None) -> object:
    """A Sonar measure string as the warehouse column's type; unparseable values are NULL."""
    if value is None:
        return None
    try:
        if kind == "int":
            return round(float(value))
        if kind == "float":
            return float(value)
        if kind == "rating":
            return _RATINGS.get(round(float(value)))
    except (ValueError, OverflowError):
        return None
    return value


def choose_metrics(known: set[str]) -> tuple[dict[str, str], list[str]]:
    """``{column: metric key}`` for the keys the server knows, and the columns left NULL."""
    chosen: dict[str, str] = {}
    missing: list[str] = []
    for column, (_kind, candidates) in FIELDS.items():
        key = next((k for k in candidates if k in known), None)
        if key is None:
            missing.append(column)
        else:
            chosen[column] = key
    return chosen, missing


@dataclass(frozen=True)
class Task:
    project_key: str
    service_id: str
    cursor: datetime | None


class SonarQubeConnector:
    """Web API → quality snapshots (see the module docstring)."""

    streams: tuple[Stream, ...] = (STREAM,)

    def __init__(self, source: SourceConfig) -> None:
        check_options(source, OPTIONS)
        self.source = source
        self.name = source.name
        where = f"[sources.{source.name}]"
        options = source.options
        self.organization = options.get("organization")
        region = options.get("region")
        if region is not None:  # optional: the url may say where the server is
            region = choice(options, "region", "", tuple(REGIONS), f"{where}:")
        self.url = source.url or (REGIONS[region] if region else "")
        if source.type == "sonarcloud" and not self.url:
            self.url = REGIONS["eu"]
        if not self.url:
            raise ConfigError(
                _("{where} has no url").format(where=where),
                _('add url = "https://sonar.example.com"'),
            )
        if source.type == "sonarcloud" and not self.organization:
            raise ConfigError(
                _("{where}: SonarQube Cloud needs an organization").format(where=where),
                _('add organization = "<your organization key>"'),
            )
        self.listing = choice(options, "project_listing", "auto", LISTINGS, f"{where}:")
        self.page_size = page_size(
            options, "page_size", SEARCH_PAGE_SIZE, SEARCH_PAGE_SIZE, f"{where}:"
        )
        self.history_page_size = page_size(
            options, "history_page_size", HISTORY_PAGE_SIZE, HISTORY_PAGE_SIZE, f"{where}:"
        )
        projects = options.get("projects", {})
        if not isinstance(projects, dict) or not all(isinstance(v, str) for v in projects.values()):
            raise ConfigError(
                _("{where}: projects must map project keys to service ids").format(where=where),
                _('[sources.{name}.projects] "acme:billing" = "billing-api"').format(
                    name=source.name
                ),
            )
        self.projects: dict[str, str] = dict(projects)
        self._local = threading.local()

    @classmethod
    def from_config(cls, source: SourceConfig) -> SonarQubeConnector:
        return cls(source)

    # -- errors ---------------------------------------------------------------------------

    def _explain(self, exc: ConnectorError, task: Task | None = None) -> ConnectorError:
        section = f"[sources.{self.name}]"
        if not isinstance(exc, HttpStatusError):
            return unreachable_fix(
                exc, f"check url = {self.url} in {section} and that the server is reachable"
            )
        if exc.status == 401:
            if self.source.auth == "none":
                return exc.with_fix(
                    f'the server wants a token: set auth = "bearer" and token_env in {section}'
                )
            older = (
                '; servers older than 10.0 need auth = "basic"'
                if self.source.auth == "bearer"
                else ""
            )
            return exc.with_fix(
                f"the token in {self.source.token_origin} is missing or expired; create a "
                f"user token (My Account → Security) and export it{older}"
            )
        if exc.status == 403:
            what = f"project {task.project_key}" if task else "this request"
            org = f" in organization {self.organization}" if self.organization else ""
            return exc.with_fix(
                f"the token's user lacks Browse permission on {what}{org}; grant it or use "
                "another token"
            )
        if exc.status == 404 and task is not None:
            return exc.with_fix(
                f"project key '{task.project_key}' (service {task.service_id}) is not on the "
                f"server; fix services.sonar_project_key or {section[:-1]}.projects]"
            )
        if exc.status == 429:
            return exc.with_fix(retry_later(section))
        if exc.status >= 500:
            return exc.with_fix("the server failed; check its health (api/system/health) and retry")
        return exc

    # -- helpers --------------------------------------------------------------------------

    def _api(self, pool: ClientPool) -> SonarApi:
        return SonarApi(pool.client(), self.url, self.organization)

    def _list(self, api: SonarApi, ctx: SourceContext) -> tuple[list[SonarProject], bool]:
        """Projects on the server, and whether they carry analysis dates."""
        if self.listing in ("auto", "projects_search"):
            try:
                return api.projects(admin=True, page_size=self.page_size), True
            except HttpStatusError as exc:
                if exc.status != 403 or self.listing != "auto":
                    raise
                ctx.warn(
                    "the token may not call api/projects/search (needs Administer), so projects "
                    "are listed without analysis dates and each unchanged project costs one "
                    'request; set project_listing = "components_search" to skip this attempt'
                )
        return api.projects(admin=False, page_size=self.page_size), False

    def _mapping(self, ctx: SourceContext) -> dict[str, str]:
        mapping = {s.sonar_project_key: s.service_id for s in ctx.services if s.sonar_project_key}
        known = ctx.service_ids()
        for key, service_id in self.projects.items():
            if service_id in ctx.retired:
                ctx.warn(
                    f"[sources.{self.name}.projects] maps '{key}' to retired service "
                    f"'{service_id}'; skipped (its history stays)"
                )
                continue
            if service_id not in known:
                ctx.warn(
                    f"[sources.{self.name}.projects] maps '{key}' to unknown service "
                    f"'{service_id}'; skipped"
                )
                continue
            mapping[key] = service_id
        return mapping

    def discover(self, ctx: SourceContext) -> Iterator[Found]:
        """Projects on the server that map to no service (``connectors discover``)."""
        yield from extract_with(
            ctx,
            lambda pool: self._unmapped(pool, ctx),
            self._explain,
            auth=token_auth(self.source, token_as_login=True),
        )

    def _unmapped(self, pool: ClientPool, ctx: SourceContext) -> list[Found]:
        listed, _total = self._list(self._api(pool), ctx)
        mapping = self._mapping(ctx)
        return [
            Found(self.name, "SonarQube project", p.key, p.name, "sonar_project_key", p.key)
            for p in listed
            if p.key not in mapping
        ]

    # -- extraction -----------------------------------------------------------------------

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        yield from extract_with(
            ctx,
            lambda pool: self._extract(pool, ctx),
            self._explain,
            auth=token_auth(self.source, token_as_login=True),  # basic: older servers
        )

    def _extract(self, pool: ClientPool, ctx: SourceContext) -> Iterator[Record]:
        api = self._api(pool)
        mapping = self._mapping(ctx)
        if not mapping:  # nothing would be synced because of configuration: a failure
            raise ConfigError(
                _(
                    "[sources.{name}]: no service has a sonar_project_key and the source "
                    "maps no projects: nothing to sync"
                ).format(name=self.name),
                _(
                    "set sonar_project_key for your services in config/catalog.toml and "
                    "apply it (`python -m connectors discover` lists the server's "
                    "projects), or add [sources.{name}.projects]"
                ).format(name=self.name),
            )
        chosen, missing = choose_metrics(api.metric_keys())
        stored_missing = [c for c in missing if c not in ("coverage", "new_coverage")]
        if stored_missing:
            ctx.warn(
                f"the server knows no metric for {', '.join(stored_missing)}; "
                "those columns stay empty"
            )
        if any(c in missing for c in ESSENTIAL):
            raise ConnectorError(
                _("the server at {url} has no coverage metrics ({value})").format(
                    url=self.url, value=", ".join(ESSENTIAL)
                ),
                _("check that url points at SonarQube and that the coverage plugin is installed"),
            )
        listed, dated = self._list(api, ctx)
        by_key = {p.key: p for p in listed}
        unmapped = sorted(k for k in by_key if k not in mapping)
        if unmapped:
            shown = ", ".join(unmapped[:5]) + (" …" if len(unmapped) > 5 else "")
            ctx.warn(
                f"{len(unmapped)} project(s) map to no service and were skipped ({shown}); map "
                f"them with services.sonar_project_key or [sources.{self.name}.projects]"
            )
        tasks: list[Task] = []
        for key, service_id in sorted(mapping.items()):
            value = ctx.cursors.get(STREAM.cursor_key(key))
            cursor = parse_date(value) if value else None
            project = by_key.get(key)
            if dated and project is not None and ctx.since is None:
                if project.last_analysis is None:
                    continue  # never analysed: nothing to fetch
                if cursor is not None and project.last_analysis <= cursor:
                    continue  # unchanged since the last sync
            tasks.append(Task(key, service_id, cursor))
        ctx.progress.start(len(tasks), "projects")
        metrics = sorted(set(chosen.values()))
        rows: list[Row] = []
        cursors: dict[str, str] = {}

        def work(task: Task) -> tuple[Task, list[Row], str | None]:
            try:
                return task, *self._fetch(self._api(pool), task, chosen, metrics, ctx.since)
            except ConnectorError as exc:
                raise self._explain(exc, task) from None

        for task, project_rows, newest in bounded_map(work, tasks, self.source.concurrency):
            rows.extend(project_rows)
            if newest is not None:
                cursors[STREAM.cursor_key(task.project_key)] = newest
            ctx.progress.advance()
        if rows:
            yield Upsert(STREAM.table, STREAM.primary_key, rows)
        if cursors:
            yield CursorUpdate(cursors)

    def _fetch(
        self,
        api: SonarApi,
        task: Task,
        chosen: dict[str, str],
        metrics: list[str],
        since: datetime | None,
    ) -> tuple[list[Row], str | None]:
        history = api.history(
            task.project_key, metrics, since or task.cursor, self.history_page_size
        )
        if not history:
            return [], None
        newest = max(history)
        if since is None and task.cursor is not None and newest <= task.cursor:
            return [], None
        current = api.current(task.project_key, metrics)
        gate = api.gate(task.project_key)
        rows: list[Row] = []
        for analysed_at, values in sorted(history.items()):
            if analysed_at == newest:
                values = {**values, **current}
            row: dict[str, Any] = {
                "source": self.name,
                "project_key": task.project_key,
                "service_id": task.service_id,
                "analysed_at": analysed_at,
            }
            for column, key in chosen.items():
                row[column] = convert(FIELDS[column][0], values.get(key))
            if analysed_at == newest and gate is not None:
                row["quality_gate_status"] = gate
            rows.append(row)
        cursor = max(newest, task.cursor) if task.cursor else newest
        return rows, cursor.astimezone(UTC).isoformat()
