"""Jira (Cloud or Data Center) → ``incidents``, one row per issue the configured JQL selects.

**Which issues.** ``jql`` (required) names the incidents, e.g. ``project = OPS AND issuetype =
Incident``. The connector sends ``(<jql>) AND updated >= "<yyyy/MM/dd HH:mm>" ORDER BY updated
ASC, key ASC``; a ``jql`` with its own ``ORDER BY`` is refused (the sync needs this order).

**Incremental.** One cursor, ``incidents`` = the newest ``updated`` seen (UTC). A run asks
for issues updated since the cursor minus **24 hours**: JQL dates have no zone and Jira reads
them in the *Jira user's* time zone (UTC−12 … UTC+14), so an exact UTC cursor could skip up to
12 hours of updates; Cloud's search index may also lag a little behind writes. Rows are
upserted on ``(source, issue key)``, so the overlap only re-reads. ``--since`` is honoured the
same way (minus 24 hours). A first run reads everything the JQL selects.

**Pagination.** Cloud: ``GET /rest/api/3/search/jql`` by ``nextPageToken`` (a repeated token
stops the run); the removed ``/rest/api/{2,3}/search`` (410 Gone) is never called. Data
Center: ``GET /rest/api/2/search`` by ``startAt`` until ``total``; an empty page before the
total fails the run instead of dropping issues. Changelogs come embedded
(``expand=changelog``); one cut short (Cloud embeds the latest 40) is read in full from
``/rest/api/3/issue/{key}/changelog`` (Data Center: ``/rest/api/2/issue/{key}``).

**Mapping.** ``external_id`` = issue key; ``title`` = summary; ``url`` = ``<url>/browse/<key>``.

* ``started_at`` = the ``started_field`` custom field (impact start) when set on the issue,
  else ``created``.
* ``resolved_at``: NULL unless the issue's *current* status is a resolved one (category
  *Done*, or one of ``resolved_statuses``); then the time of the **last** transition from an
  unresolved into a resolved status — reopened and resolved again counts from the last
  resolution, Resolved → Closed keeps the first. Without such a transition in the changelog
  (an issue created resolved, an import) ``resolutiondate``.
* ``acknowledged_at``: the first status change of all (the issue left its initial status),
  or, with ``acknowledged_statuses``, the first transition into one of them; NULL if none.
* ``severity``: ``priority.name`` (Highest → SEV1, High → SEV2, Medium → SEV3, Low and
  Lowest → SEV4; P1/SEV2/critical… too) or the ``severity_field`` custom field (priority
  when it is empty); neither → SEV3.
* ``service_id``: the first of the issue's ``service_field`` values (``components`` by
  default, or a custom field) that ``[sources.<name>.services]`` maps, or that *is* a service
  id. Issues with no mapped value are skipped and counted in one warning.
* ``deployment_ref``: the ``deployment_field`` custom field, or the ``deployment_regex``
  match (group 1 if it has one) in the summary; the linker resolves it to a deployment.

An issue that cannot be a row (resolved before it started, an unknown severity word, a date
without zone) is skipped and reported in one warning; the run goes on.

**Auth.** Cloud: ``auth = "basic"`` with ``username`` = the Atlassian account e-mail and the
API token. Data Center: ``auth = "bearer"`` with a personal access token (or basic).

**Rate limits.** Cloud answers 429 with ``Retry-After`` and ``X-RateLimit-*`` headers; the
shared client waits as told (and before the next request when a 2xx says none are left).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.core.base import CursorUpdate, Found, Record, SourceContext, Stream
from connectors.core.config import SourceConfig, check_options
from connectors.core.errors import ConfigError, ConnectorError, HttpStatusError, UnreachableError
from connectors.core.http.clients import client_pool, token_auth
from connectors.core.mapping import ServiceMap, as_strings, configured
from connectors.core.options import choice, page_size, regex
from connectors.core.records import RowError, cursor_time, incident, optional_utc, severity, upserts
from connectors.core.records import utc as to_utc
from connectors.sources.jira.api import JiraApi, Status, embedded_changelog
from i18n import _

STREAM = Stream(
    name="incidents",
    table="incidents",
    primary_key=("source", "external_id"),
    cursor_field="",  # the cursor is Jira's `updated`, which the warehouse does not store
)
FLAVORS = ("cloud", "data_center")
OVERLAP = timedelta(hours=24)
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
OPTIONS = frozenset(
    {
        "flavor",
        "jql",
        "started_field",
        "resolved_statuses",
        "acknowledged_statuses",
        "severity_field",
        "service_field",
        "services",
        "deployment_field",
        "deployment_regex",
        "page_size",
        "projects",
    }
)
_JQL_PROJECTS = re.compile(
    r"\bproject\s*(?:=\s*(\"[^\"]+\"|'[^']+'|[A-Za-z0-9_]+)|in\s*\(([^)]*)\))", re.IGNORECASE
)


def jql_projects(jql: str) -> list[str]:
    """Project keys a JQL names with ``project = KEY`` or ``project in (A, B)``."""
    keys: list[str] = []
    for single, several in _JQL_PROJECTS.findall(jql):
        for key in [single] if single else several.split(","):
            key = key.strip().strip("\"'")
            if key:
                keys.append(key)
    return list(dict.fromkeys(keys))


_FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def has_order_by(jql: str) -> bool:
    """Whether ``jql`` has an ORDER BY clause (outside quoted strings)."""
    return bool(_ORDER_BY.search(_QUOTED.sub('""', jql)))


def jql_time(moment: datetime) -> str:
    """A JQL date-time literal (minutes; Jira reads it in the user's zone, hence the overlap)."""
    return moment.astimezone(UTC).strftime("%Y/%m/%d %H:%M")


def compose_jql(jql: str, start: datetime | None) -> str:
    """The query sent: the user's JQL (parenthesised, so its ORs stay inside), the updated
    bound and the order the incremental sync relies on."""
    query = f"({jql.strip()})"
    if start is not None:
        query += f' AND updated >= "{jql_time(start)}"'
    return query + " ORDER BY updated ASC, key ASC"


def text_of(value: Any) -> str | None:
    """A field value as text: option objects (``value``/``name``), the first of a list."""
    if isinstance(value, list):
        return next((t for t in (text_of(v) for v in value) if t), None)
    if isinstance(value, dict):
        value = value.get("value", value.get("name"))
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def names_of(value: Any) -> list[str]:
    """Every name in a components-like field (objects with ``name``/``value``, or strings)."""
    items = value if isinstance(value, list) else [value]
    return [t for t in (text_of(v) for v in items) if t]


@dataclass(frozen=True)
class Transition:
    at: datetime
    from_id: str | None
    from_name: str | None
    to_id: str | None
    to_name: str | None


def transitions(histories: list[dict[str, Any]]) -> list[Transition]:
    """Status changes in time order (changelogs come newest or oldest first)."""
    found: list[tuple[datetime, int, int, Transition]] = []
    for index, history in enumerate(histories):
        items = [
            i
            for i in history.get("items") or []
            if isinstance(i, dict)
            and (i.get("fieldId") or i.get("field")) == "status"
            and i.get("fieldtype", "jira") == "jira"
        ]
        if not items:
            continue
        at = to_utc(history.get("created"), "changelog created")
        ident = str(history.get("id", ""))
        order = int(ident) if ident.isdigit() else index
        for item in items:

            def text(key: str, item: dict[str, Any] = item) -> str | None:
                value = item.get(key)
                return None if value is None else str(value)

            found.append(
                (
                    at,
                    order,
                    len(found),
                    Transition(at, text("from"), text("fromString"), text("to"), text("toString")),
                )
            )
    return [t for *_, t in sorted(found, key=lambda f: f[:3])]


class StatusSet:
    """Statuses by id or (case-insensitive) name."""

    def __init__(self, ids: set[str], names: set[str]) -> None:
        self.ids, self.names = ids, {n.lower() for n in names}

    @classmethod
    def done(cls, statuses: list[Status]) -> StatusSet:
        done = [s for s in statuses if s.category == "done"]
        return cls({s.id for s in done}, {s.name for s in done})

    @classmethod
    def named(cls, names: list[str]) -> StatusSet:
        return cls(set(names), set(names))

    def __contains__(self, status: tuple[str | None, str | None]) -> bool:
        ident, name = status
        return (ident is not None and ident in self.ids) or (
            name is not None and name.lower() in self.names
        )


def resolved_time(
    fields: dict[str, Any], moves: list[Transition], resolved: StatusSet
) -> datetime | None:
    """When the current resolution began (see the module docstring), or None while open."""
    status = fields.get("status")
    current = (str(status.get("id")), str(status.get("name"))) if isinstance(status, dict) else None
    if current is None or current not in resolved:
        return None
    last = None
    for move in moves:
        if (move.to_id, move.to_name) in resolved and (
            move.from_id,
            move.from_name,
        ) not in resolved:
            last = move.at
    return last or optional_utc(fields.get("resolutiondate"), "resolutiondate")


def acknowledged_time(moves: list[Transition], statuses: StatusSet | None) -> datetime | None:
    for move in moves:
        if statuses is None or (move.to_id, move.to_name) in statuses:
            return move.at
    return None


class JiraConnector:
    """REST search by JQL → incidents (see the module docstring)."""

    streams: tuple[Stream, ...] = (STREAM,)

    def __init__(self, source: SourceConfig) -> None:
        check_options(source, OPTIONS)
        self.source = source
        self.name = source.name
        self.section = f"[sources.{source.name}]"
        options = source.options
        self.flavor = choice(
            options,
            "flavor",
            "cloud",
            FLAVORS,
            f"{self.section}:",
            'use "cloud" (*.atlassian.net) or "data_center" (Jira Server / Data Center)',
        )
        self.url = source.url.rstrip("/")
        if not self.url:
            raise ConfigError(
                _("{section} has no url").format(section=self.section),
                _('add url = "https://your-site.atlassian.net"'),
            )
        jql = options.get("jql")
        if not isinstance(jql, str) or not jql.strip():
            raise ConfigError(
                _("{section} has no jql").format(section=self.section),
                _(
                    'add jql = "project = OPS AND issuetype = Incident" (the issues that '
                    "are incidents)"
                ),
            )
        if has_order_by(jql):
            raise ConfigError(
                _("{section}: jql has an ORDER BY clause").format(section=self.section),
                _("remove it: the connector orders by updated to sync incrementally"),
            )
        self.jql = jql.strip()
        self.started_field = self._field("started_field")
        self.severity_field = self._field("severity_field")
        self.deployment_field = self._field("deployment_field")
        self.service_field = self._field("service_field") or "components"
        self.resolved_statuses = self._statuses("resolved_statuses")
        self.acknowledged_statuses = self._statuses("acknowledged_statuses")
        self.deployment_regex = regex(
            options,
            "deployment_regex",
            None,
            f"{self.section}:",
            'e.g. deployment_regex = "deploy ([0-9a-f]{7,40})"',
        )
        self.page_size = page_size(
            options, "page_size", PAGE_SIZE, MAX_PAGE_SIZE, f"{self.section}:"
        )
        if source.auth == "basic" and not source.username:
            who = "your Atlassian account e-mail" if self.flavor == "cloud" else "your Jira login"
            raise ConfigError(
                _('{section} uses auth = "basic" without a username').format(section=self.section),
                _('add username = "<{who}>"').format(who=who),
            )
        configured(source)  # validates [sources.<name>.services] early

    def _field(self, option: str) -> str | None:
        value = self.source.options.get(option)
        if value is None:
            return None
        if not isinstance(value, str) or not _FIELD_ID.match(value):
            raise ConfigError(
                _("{section}: {option} must be a Jira field id").format(
                    section=self.section, option=option
                ),
                _(
                    'e.g. {option} = "customfield_10050" (Jira admin → Custom fields → the id)'
                ).format(option=option),
            )
        return value

    def _statuses(self, option: str) -> StatusSet | None:
        value = self.source.options.get(option)
        return None if value is None else StatusSet.named(as_strings(value, option, self.name))

    @classmethod
    def from_config(cls, source: SourceConfig) -> JiraConnector:
        return cls(source)

    # -- errors ---------------------------------------------------------------------------

    def _explain(self, exc: ConnectorError, api: JiraApi, jql: str) -> ConnectorError:
        if isinstance(exc, UnreachableError):
            return exc.with_fix(
                f"check url = {self.url} in {self.section} and that Jira is reachable"
            )
        if not isinstance(exc, HttpStatusError):
            return exc
        exc = api.errors.explain(exc)
        searching = exc.url.endswith(("/search", "/search/jql"))
        if exc.status == 400 and searching:
            return exc.with_fix(f"fix jql in {self.section} (sent as: {jql})")
        if exc.status == 401:
            return exc.with_fix(self._auth_fix())
        if exc.status == 403:
            if "CAPTCHA" in api.errors.denied.upper():
                return exc.with_fix(
                    "Jira wants a CAPTCHA after failed logins: log in once in a browser as "
                    f"{self.source.username or 'this user'}, then retry"
                )
            return exc.with_fix(
                "the account lacks Browse projects permission for these issues (or an IP "
                "allowlist blocks it); grant it or use another account"
            )
        if exc.status == 404 and "/project/" in exc.url:
            return exc.with_fix(
                f"check the project keys (projects in {self.section}, else the jql's) and that "
                "the account may browse them"
            )
        if exc.status == 404 and "/issue/" in exc.url:
            return exc.with_fix("the issue was deleted or moved during the sync; run it again")
        if exc.status == 404 and self.flavor == "cloud":
            return exc.with_fix(
                f"{self.url} has no Jira Cloud REST API v3: for Jira Data Center or Server set "
                f'flavor = "data_center" in {self.section}, else check url'
            )
        if exc.status == 404:
            return exc.with_fix(
                f"no Jira REST API under {self.url}: check url in {self.section} (with the "
                "context path, e.g. https://jira.example.com/jira)"
            )
        if exc.status == 410:
            return exc.with_fix(
                f'this Jira Cloud site removed /search; set flavor = "cloud" in {self.section}'
            )
        if exc.status == 429:
            return exc.with_fix(
                "Jira is rate limiting this account even after retries; retry later or sync "
                "less often"
            )
        if exc.status >= 500:
            where = "status.atlassian.com" if self.flavor == "cloud" else "the server's health"
            return exc.with_fix(f"Jira failed; check {where} and retry later")
        return exc

    def _auth_fix(self) -> str:
        origin = self.source.token_origin
        if self.source.auth == "none":
            return f"Jira wants credentials: set auth, username and token_env in {self.section}"
        if self.flavor == "cloud" and self.source.auth == "basic":
            return (
                f"check username = {self.source.username} (the Atlassian account e-mail) and "
                f"the API token in {origin} (create one at "
                "id.atlassian.com/manage-profile/security/api-tokens)"
            )
        if self.flavor == "cloud":
            return (
                f'Jira Cloud API tokens need auth = "basic" with username = the account e-mail '
                f"in {self.section}"
            )
        if self.source.auth == "bearer":
            return (
                f"the personal access token in {origin} is wrong, expired or revoked; create "
                "one under Profile → Personal Access Tokens"
            )
        return f"check username and the password or token in {origin}"

    # -- extraction -----------------------------------------------------------------------

    def start(self, ctx: SourceContext) -> datetime | None:
        """Where this run's ``updated >=`` bound goes (None: everything)."""
        if ctx.since is not None:
            return ctx.since - OVERLAP
        cursor = ctx.cursors.get(STREAM.cursor_key())
        return to_utc(cursor, "cursor") - OVERLAP if cursor else None

    def fields(self) -> list[str]:
        wanted = ["summary", "status", "priority", "created", "updated", "resolutiondate"]
        extra = [self.service_field, self.started_field, self.severity_field]
        extra.append(self.deployment_field)
        return list(dict.fromkeys([*wanted, *(f for f in extra if f)]))

    def _service_map(self, ctx: SourceContext) -> ServiceMap:
        """Components map by the services lines, the catalog's jira_component, or being a
        service id."""
        return ServiceMap(
            self.name,
            {**{s: s for s in sorted(ctx.service_ids())}, **configured(self.source)},
            ctx.services,
            catalog_field="jira_component",
            retired=ctx.retired,
        )

    def discover(self, ctx: SourceContext) -> Iterator[Found]:
        """Components of the projects (``projects``, else those the JQL names) that map to no
        service (``connectors discover``): each would be its ``jira_component``."""
        projects = (
            as_strings(self.source.options["projects"], "projects", self.name)
            if "projects" in self.source.options
            else jql_projects(self.jql)
        )
        if self.service_field != "components":
            raise ConfigError(
                _(
                    "{section}: services come from {service_field}, not components, so "
                    "there is nothing to list"
                ).format(section=self.section, service_field=self.service_field),
                _("map that field's values under [sources.<name>.services]"),
            )
        if not projects:
            raise ConfigError(
                _("{section}: the jql names no project, so there are no components to list").format(
                    section=self.section
                ),
                _('add projects = ["OPS"] (the project keys whose components are services)'),
            )
        pool = client_pool(ctx, token_auth(self.source))
        api = JiraApi(pool.client(), self.url, self.flavor)
        services = self._service_map(ctx)
        found: dict[str, Found] = {}
        try:
            for project in projects:
                for name in api.components(project):
                    if services.get(name) is None:
                        label = f"{name} in {project}"
                        found.setdefault(
                            name.lower(),
                            Found(self.name, "Jira component", name, label, "jira_component", name),
                        )
        except ConnectorError as exc:
            raise self._explain(exc, api, self.jql) from None
        finally:
            pool.close()
        yield from found.values()

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        pool = client_pool(ctx, token_auth(self.source))
        api = JiraApi(pool.client(), self.url, self.flavor)
        jql = compose_jql(self.jql, self.start(ctx))
        try:
            records = self._extract(api, ctx, jql)
        except ConnectorError as exc:
            raise self._explain(exc, api, jql) from None
        finally:
            pool.close()
        yield from records

    def _extract(self, api: JiraApi, ctx: SourceContext, jql: str) -> list[Record]:
        resolved = self.resolved_statuses or StatusSet.done(api.statuses())
        services = self._service_map(ctx)
        ctx.progress.start(0, "issues")
        rows: list[dict[str, Any]] = []
        skipped: list[str] = []
        without_service: list[str] = []
        newest: datetime | None = None
        for page in api.search(jql, self.fields(), self.page_size):
            for issue in page:
                key, fields = issue["key"], issue["fields"]
                try:
                    updated = optional_utc(fields.get("updated"), "updated")
                    if updated is not None and (newest is None or updated > newest):
                        newest = updated
                    names = names_of(fields.get(self.service_field))
                    if not names:
                        without_service.append(key)
                        continue
                    service_id = services.first(names)
                    if service_id is None:
                        continue
                    rows.append(self._row(api, issue, service_id, resolved))
                except RowError as exc:
                    skipped.append(f"{key} ({exc})")
            ctx.progress.advance(len(page))
        self._warn(ctx, services, skipped, without_service)
        records: list[Record] = list(upserts(incidents=rows))
        cursor = ctx.cursors.get(STREAM.cursor_key())
        if newest is not None:
            if cursor and to_utc(cursor, "cursor") > newest:
                newest = to_utc(cursor, "cursor")
            records.append(CursorUpdate({STREAM.cursor_key(): cursor_time(newest)}))
        return records

    def _warn(
        self,
        ctx: SourceContext,
        services: ServiceMap,
        skipped: list[str],
        without_service: list[str],
    ) -> None:
        what = (
            "Jira components"
            if self.service_field == "components"
            else (f"values of {self.service_field}")
        )
        services.warn_unmapped(ctx, what)
        if without_service:
            ctx.warn(
                f"{len(without_service)} issue(s) have no {self.service_field} and were skipped "
                f"({_sample(without_service)}); set it on them or choose service_field in "
                f"{self.section}"
            )
        if skipped:
            ctx.warn(
                f"{len(skipped)} issue(s) could not be stored and were skipped ({_sample(skipped)})"
            )

    def _row(
        self, api: JiraApi, issue: dict[str, Any], service_id: str, resolved: StatusSet
    ) -> dict[str, Any]:
        key, fields = issue["key"], issue["fields"]
        histories, complete = embedded_changelog(issue)
        if not complete:
            histories = api.changelog(key)
        moves = transitions(histories)
        created = to_utc(fields.get("created"), "created")
        started = created
        if self.started_field:
            started = optional_utc(fields.get(self.started_field), self.started_field) or created
        level = text_of(fields.get(self.severity_field)) if self.severity_field else None
        summary = text_of(fields.get("summary"))
        return incident(
            source=self.name,
            external_id=key,
            service_id=service_id,
            severity=severity(level or text_of(fields.get("priority"))),
            title=summary,
            started_at=started,
            acknowledged_at=acknowledged_time(moves, self.acknowledged_statuses),
            resolved_at=resolved_time(fields, moves, resolved),
            url=f"{self.url}/browse/{key}",
            deployment_ref=self._deployment_ref(fields, summary),
        )

    def _deployment_ref(self, fields: dict[str, Any], summary: str | None) -> str | None:
        if self.deployment_field:
            found = text_of(fields.get(self.deployment_field))
            if found:
                return found
        if self.deployment_regex and summary:
            match = self.deployment_regex.search(summary)
            if match:
                return match.group(1) if match.groups() else match.group(0)
        return None


def _sample(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
