"""GitLab (REST v4, gitlab.com or self-managed) → deployments, deployment_commits and changes.

**Projects → services.** ``projects = ["group/subgroup/name", 42, …]`` lists the projects
(full paths or numeric ids); ``discover = true`` lists every project the token's user is a
member of instead (keyset pagination). Without either: every project
``[sources.<name>.services]`` names (``"group/name" = "service_id"``), every catalog
``gitlab_project``, and every ``services.repo_url`` on the configured GitLab host — its full
path is read from the URL, so ``https://gitlab.com/acme/platform/billing`` works at any group
depth. A project maps to a service by, in order: ``[sources.<name>.services]``, the catalog's
``gitlab_project``, a ``repo_url`` on this host with that full path, a ``repo_url`` ending in
its last two path segments (any host). Projects that map to none are skipped (not fetched)
and counted in a warning. A listed project GitLab does not know (404) fails the run.

**Deployments.** ``GET /projects/:id/deployments?order_by=updated_at&sort=asc`` with
``updated_after`` (the cursor minus ``overlap_hours``) and ``updated_before`` (the run's
``until``). ``success``/``failed``/``canceled``/``skipped`` → success/failure/cancelled/cancelled;
``created``/``running``/``blocked`` are not final: skipped now, and the cursor stays at or before
them for ``pending_timeout_hours`` (a manual job that is never run must not pin it; when it
does run, GitLab bumps its ``updated_at`` and the next run sees it). ``external_id`` = the
deployment id, ``environment`` = ``environment.name`` renamed by ``[sources.<name>.environments]``,
``commit_sha`` = ``sha``, ``started_at`` = the job's ``started_at`` (else the deployment's
``created_at``: a manual job's deployment is created with its pipeline, days before it runs),
``finished_at`` = the job's ``finished_at`` (else ``updated_at``, for deployments created
through the API); started is never after finished (GitLab's own example has the job finish
0.4 s before the deployment row was created). ``url`` = the job page.

**Shipped merge requests.** For each successful deployment to a ``production_environments``
environment, ``GET …/deployments/:id/merge_requests``: GitLab links a merge request to the
*first* successful deployment of each environment that contains it. Those changes are stored
with ``deployment_external_id`` = that deployment (``link_method = "source"``); if several
production deployments fetched in one run list it, the earliest finished wins. With several
production environments (``environments`` renaming ``prod-eu`` and ``prod-us`` to
``production``), a merge request also deployed earlier to another one is not linked here
(``merge_requests?environment=…&deployed_before=…&iids[]=…``, one request per other
environment), so a later run cannot move a link to a later deployment. ``deployment_commits``
gets each successful deployment's ``sha`` and each shipped merge request's commit, so
:mod:`connectors.core.linking` knows GitLab services report commit lists.

**Changes.** ``GET /projects/:id/merge_requests?state=merged&order_by=updated_at&sort=asc`` in
the same window; ``external_id`` = ``group/name!iid``, ``commit_sha`` = ``merge_commit_sha``, else
``squash_commit_sha``, else ``sha`` (fast-forward); ``opened_at`` = ``created_at``;
``first_commit_at`` = the earliest ``authored_date`` of ``…/merge_requests/:iid/commits``.
Changes no deployment of this run names are written *without* the deployment columns, so
re-reading a merge request (a comment bumps ``updated_at``) never erases a stored link.

**DORA cross-check** (``dora_check``, default on). Where the instance has Ultimate,
``GET /projects/:id/dora/metrics?metric=deployment_frequency&interval=daily`` is compared, per
whole UTC day of the fetched window (at most the last 90), with the successful production
deployments fetched (GitLab's tier when it sends one, else ``production_environments``); a
difference is one warning naming both numbers. 403/404 (not licensed) is skipped silently;
any other failure of this call is a warning, never a failed run.

**Incremental.** Cursors per project, ``deployments/<path>`` and ``changes/<path>`` = newest
``updated_at`` seen (ISO-8601 UTC). A run starts ``overlap_hours`` before the cursor,
``--since`` overrides it, and a first run looks back ``lookback_days``.

**Pagination.** Offset pages (``per_page`` = ``page_size``, at most 100) followed through
``x-next-page``: GitLab omits ``x-total``/``x-total-pages`` above 10,000 records, so they are
never needed (a listing that shrinks while it is paged fails the run). The project listing
uses keyset pagination (``Link: rel="next"``), the only one of these lists that supports it.

**Auth and rate limits.** ``auth = "bearer"`` sends ``Authorization: Bearer``; with
``token_header = "private-token"`` the ``PRIVATE-TOKEN`` header instead. The token needs the
``read_api`` scope and at least the Reporter role. The shared client honours ``Retry-After``
on 429 and, when ``RateLimit-Remaining`` is 0, waits until ``RateLimit-Reset``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from connectors.core import records
from connectors.core.base import CursorUpdate, Found, Record, SourceContext, Stream, Upsert
from connectors.core.config import SourceConfig, check_options
from connectors.core.errors import ConfigError, ConnectorError, HttpStatusError
from connectors.core.http.client import BasicAuth, ClientPool, HeaderAuth
from connectors.core.http.clients import extract_with, retry_later, token_auth, unreachable_fix
from connectors.core.http.pool import bounded_map
from connectors.core.mapping import ServiceMap, as_strings, configured
from connectors.core.options import choice, days, flag, hours, page_size, renames
from connectors.sources.gitlab.api import PAGE_SIZE, GitLabApi, GitLabProject, PrivateTokenAuth
from i18n import _

log = logging.getLogger(__name__)

DEFAULT_URL = "https://gitlab.com"
DEPLOYMENTS = Stream("deployments", "deployments", records.DEPLOYMENT_KEY, "started_at")
COMMITS = Stream("deployment_commits", "deployment_commits", records.COMMIT_KEY, "")
CHANGES = Stream("changes", "changes", records.DEPLOYMENT_KEY, "merged_at")
OPTIONS = frozenset(
    {
        "projects",
        "discover",
        "services",
        "environments",
        "production_environments",
        "token_header",
        "dora_check",
        "overlap_hours",
        "lookback_days",
        "pending_timeout_hours",
        "page_size",
    }
)
TOKEN_HEADERS = ("authorization", "private-token")
PENDING = frozenset({"created", "running", "blocked"})
LINK_COLUMNS = ("deployment_source", "deployment_external_id", "link_method")
DORA_MAX_DAYS = 90


def repo_path(repo_url: str, host: str, base_path: str = "") -> str | None:
    """The project path of a clone or web URL on ``host`` (``None`` for other hosts):
    ``https://gitlab.com/a/b/c.git``, ``git@gitlab.com:a/b/c.git``, ``…/a/b/c/-/tree/main``."""
    text = repo_url.strip()
    if "://" in text:
        parts = urlsplit(text)
        found_host, path = (parts.hostname or "").lower(), parts.path
    elif "@" in text and ":" in text:
        found_host, _sep, path = text.split("@", 1)[1].partition(":")
        found_host = found_host.lower()
    else:
        return None
    if found_host != host.lower():
        return None
    path = path.split("/-/", 1)[0].strip("/")
    base = base_path.strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base) :].strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return path if path.count("/") >= 1 else None


@dataclass(frozen=True)
class Target:
    project: GitLabProject
    service_id: str


@dataclass(frozen=True)
class Fetched:
    """A final deployment as stored, plus what linking and the DORA check need."""

    id: int
    row: dict[str, Any]
    gitlab_environment: str
    tier: str | None

    @property
    def finished(self) -> datetime:
        moment = self.row["finished_at"]
        assert isinstance(moment, datetime)
        return moment


@dataclass
class ProjectResult:
    deployments: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)
    linked: list[dict[str, Any]] = field(default_factory=list)
    unlinked: list[dict[str, Any]] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)


class GitLabConnector:
    """REST v4 → deployments, deployment commits and merged merge requests (see the module
    docstring)."""

    streams: tuple[Stream, ...] = (DEPLOYMENTS, COMMITS, CHANGES)

    def __init__(self, source: SourceConfig) -> None:
        check_options(source, OPTIONS)
        self.source = source
        self.name = source.name
        where = f"[sources.{source.name}]"
        options = source.options
        url = (source.url or DEFAULT_URL).rstrip("/")
        if url.endswith("/api/v4"):
            url = url[: -len("/api/v4")]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                _("{where}: url = {url}").format(where=where, url=repr(url)),
                _('use e.g. url = "https://gitlab.com"'),
            )
        self.url = url
        self.host = parts.hostname.lower()
        self.base_path = parts.path
        if source.auth == "basic":
            raise ConfigError(
                _("{where}: GitLab's API takes no basic auth").format(where=where),
                _('use auth = "bearer" with a personal, group or project access token'),
            )
        self.token_header = choice(
            options, "token_header", "authorization", TOKEN_HEADERS, f"{where}:"
        )
        projects = options.get("projects")
        if projects is not None and (
            not isinstance(projects, list)
            or not all(
                (isinstance(p, str) and p.strip("/")) or (isinstance(p, int) and p > 0)
                for p in projects
            )
        ):
            raise ConfigError(
                _("{where}: projects must be a list of project paths or ids").format(where=where),
                _('e.g. projects = ["acme/platform/billing", 42]'),
            )
        self.projects: list[str] = [str(p).strip("/") for p in projects or []]
        self.all_member_projects = flag(options, "discover", False, f"{where}:")
        if self.all_member_projects and self.projects:
            raise ConfigError(
                _("{where}: projects and discover = true exclude each other").format(where=where),
                _("list the projects, or let discover find them"),
            )
        self.environments = renames(options, "environments", self.name, "GitLab")
        # Default: [linking] production_environments of the sources file (set in extract).
        self._production_option = (
            {  # stored environments are lower case (records.environment_name)
                name.strip().lower()
                for name in as_strings(
                    options["production_environments"], "production_environments", source.name
                )
            }
            if "production_environments" in options
            else None
        )
        self.production = self._production_option or {"production"}
        self.dora_check = flag(options, "dora_check", True, f"{where}:")
        self.overlap = hours(options, "overlap_hours", 1, 0, 168, f"{where}:")
        self.lookback = days(options, "lookback_days", 90, 1, 3650, f"{where}:")
        self.pending_timeout = hours(options, "pending_timeout_hours", 24, 1, 720, f"{where}:")
        self.page_size = page_size(options, "page_size", PAGE_SIZE, PAGE_SIZE, f"{where}:")
        configured(source)  # validate [sources.<name>.services] now

    @classmethod
    def from_config(cls, source: SourceConfig) -> GitLabConnector:
        return cls(source)

    # -- errors ---------------------------------------------------------------------------

    def _explain(self, exc: ConnectorError, what: str | None = None) -> ConnectorError:
        section = f"[sources.{self.name}]"
        if not isinstance(exc, HttpStatusError):
            return unreachable_fix(
                exc, f"check url = {self.url} in {section} and that GitLab is reachable"
            )
        if exc.status == 401:
            if self.source.auth == "none":
                return exc.with_fix(
                    f'GitLab wants a token: set auth = "bearer" and token_env in {section}'
                )
            return exc.with_fix(
                f"the token in {self.source.token_origin} is missing, expired or revoked; "
                "create a personal, group or project access token with the read_api scope "
                "and export it"
            )
        if exc.status == 403 and "rate limit" not in exc.fix:
            return exc.with_fix(
                f"the token may not read {what or 'this'}: it needs the read_api scope and at "
                "least the Reporter role on the project"
            )
        if exc.status == 404 and what is not None:
            return exc.with_fix(
                f"GitLab has no {what}, or the token cannot see it; fix the project in "
                f"{section} projects, [sources.{self.name}.services] or services.repo_url"
            )
        if exc.status == 429:
            return exc.with_fix(retry_later(section))
        if exc.status >= 500:
            return exc.with_fix("GitLab failed; check its health or status page and retry")
        return exc

    # -- helpers --------------------------------------------------------------------------

    def _auth(self) -> HeaderAuth | BasicAuth | None:
        """Bearer or PRIVATE-TOKEN (basic auth was refused when the options were read)."""
        if self.token_header == "private-token" and self.source.auth != "none":
            return PrivateTokenAuth(self.source.require_token().value)
        return token_auth(self.source)

    def _api(self, pool: ClientPool) -> GitLabApi:
        return GitLabApi(pool.client(), self.url, self.page_size)

    def _start(self, ctx: SourceContext, cursor: str | None) -> datetime:
        start = records.overlap(cursor, ctx.since, self.overlap.total_seconds() / 3600)
        return start if start is not None else ctx.until - self.lookback

    def _stored_environment(self, name: str) -> str:
        return self.environments.get(name, name)

    def _production_names(self) -> set[str]:
        """GitLab environment names stored as a production environment."""
        renamed = {g for g, stored in self.environments.items() if stored in self.production}
        return renamed | {p for p in self.production if p not in self.environments}

    # -- projects -------------------------------------------------------------------------

    def _derived(self, ctx: SourceContext) -> dict[str, tuple[str, str]]:
        """``{path lower: (path, service)}`` from every service's gitlab_project and every
        services.repo_url on this host."""
        found: dict[str, tuple[str, str]] = {}
        for service in ctx.services:
            project = service.key("gitlab_project")
            if project:
                found.setdefault(
                    project.strip("/").lower(), (project.strip("/"), service.service_id)
                )
        for service in ctx.services:
            path = repo_path(service.repo_url or "", self.host, self.base_path)
            if path:
                found.setdefault(path.lower(), (path, service.service_id))
        return found

    def _service_of(self, ctx: SourceContext, services: ServiceMap) -> Callable[..., str | None]:
        """A project's service by path (and id): explicit, catalog, repo_url on this host,
        then any repo_url ending in its last two segments."""
        explicit = {k.lower(): v for k, v in configured(self.source).items()}
        derived = self._derived(ctx)

        def service_of(path: str, project_id: int | None = None) -> str | None:
            keys = [path] if project_id is None else [path, str(project_id)]
            for key in keys:
                found = explicit.get(key.lower()) or derived.get(key.lower(), ("", ""))[1]
                if found:
                    return found
            return services.first([path])  # remembers the path (not the id) when unmapped

        return service_of

    def discover(self, ctx: SourceContext) -> Iterator[Found]:
        """Projects the token's user is a member of (its groups' included) that map to no
        service (``connectors discover``)."""
        yield from extract_with(
            ctx, lambda pool: self._unmapped(pool, ctx), self._explain, auth=self._auth()
        )

    def _unmapped(self, pool: ClientPool, ctx: SourceContext) -> list[Found]:
        services = ServiceMap.for_source(self.source, ctx, by_repo_url=True)
        service_of = self._service_of(ctx, services)
        return [
            Found(self.name, "GitLab project", p.path, p.path, "gitlab_project", p.path)
            for p in self._api(pool).member_projects()
            if service_of(p.path, p.id) is None
        ]

    def _targets(self, pool: ClientPool, ctx: SourceContext, services: ServiceMap) -> list[Target]:
        service_of = self._service_of(ctx, services)
        api = self._api(pool)
        if self.all_member_projects:
            listed = api.member_projects()
            chosen = [(p, service_of(p.path, p.id)) for p in listed]
            return self._unique([Target(p, s) for p, s in chosen if s])
        if self.projects:
            refs = list(self.projects)
        else:
            refs = [*configured(self.source), *(path for path, _ in self._derived(ctx).values())]
        tasks: list[tuple[str, str | None]] = []
        seen: set[str] = set()
        for ref in refs:
            if ref.lower() in seen:
                continue
            seen.add(ref.lower())
            # a path maps before its lookup (unmapped ones are not fetched); an id after it
            tasks.append((ref, None if ref.isdigit() else service_of(ref)))
        tasks = [(ref, s) for ref, s in tasks if ref.isdigit() or s]
        if not tasks and not self.projects:
            ctx.warn(
                f"no GitLab project to sync: list them in [sources.{self.name}] projects, map "
                f"them under [sources.{self.name}.services], or set services.repo_url to "
                f"project URLs on {self.host}"
            )

        def lookup(task: tuple[str, str | None]) -> Target | None:
            ref, service_id = task
            what = f"project '{ref}'" + (f" (service {service_id})" if service_id else "")
            try:
                project = self._api(pool).project(ref)
            except ConnectorError as exc:
                raise self._explain(exc, what) from None
            service_id = service_id or service_of(project.path, project.id)
            return Target(project, service_id) if service_id else None

        found = bounded_map(lookup, tasks, self.source.concurrency)
        return self._unique([t for t in found if t is not None])

    @staticmethod
    def _unique(targets: list[Target]) -> list[Target]:
        by_id = {t.project.id: t for t in sorted(targets, key=lambda t: t.project.path)}
        return sorted(by_id.values(), key=lambda t: t.project.path)

    # -- extraction -----------------------------------------------------------------------

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        self.production = self._production_option or set(ctx.linking.production_environments)
        yield from extract_with(
            ctx, lambda pool: self._extract(pool, ctx), self._explain, auth=self._auth()
        )

    def _extract(self, pool: ClientPool, ctx: SourceContext) -> Iterator[Record]:
        services = ServiceMap.for_source(self.source, ctx, by_repo_url=True)
        targets = self._targets(pool, ctx, services)
        services.warn_unmapped(ctx, "GitLab projects")
        ctx.progress.start(len(targets), "projects")

        def work(target: Target) -> ProjectResult:
            try:
                return self._sync_project(self._api(pool), target, ctx)
            except ConnectorError as exc:
                raise self._explain(exc, f"project {target.project.path}") from None

        total = ProjectResult()
        for result in bounded_map(work, targets, self.source.concurrency):
            total.deployments += result.deployments
            total.commits += result.commits
            total.linked += result.linked
            total.unlinked += result.unlinked
            total.cursors.update(result.cursors)
            for warning in result.warnings:
                ctx.warn(warning)
            ctx.progress.advance()
        yield from records.upserts(
            deployments=total.deployments, changes=total.linked, commits=total.commits
        )
        if total.unlinked:
            yield Upsert(CHANGES.table, CHANGES.primary_key, total.unlinked)
        if total.cursors:
            yield CursorUpdate(total.cursors)

    def _sync_project(self, api: GitLabApi, target: Target, ctx: SourceContext) -> ProjectResult:
        result = ProjectResult()
        path = target.project.path
        key = DEPLOYMENTS.cursor_key(path)
        start = self._start(ctx, ctx.cursors.get(key))
        cursor, found = self._deployments(api, target, start, ctx, result)
        if cursor is not None:
            result.cursors[key] = cursor
        shipped = self._shipped(api, target, found, result)
        changes_key = CHANGES.cursor_key(path)
        newest = self._changes(api, target, ctx, shipped, result)
        if newest is not None:
            result.cursors[changes_key] = newest
        if result.bad:
            shown = "; ".join(result.bad[:3]) + (" …" if len(result.bad) > 3 else "")
            result.warnings.append(
                f"{path}: skipped {len(result.bad)} record(s) GitLab sent in an unexpected "
                f"form ({shown})"
            )
        return result

    # -- deployments ----------------------------------------------------------------------

    def _deployments(
        self,
        api: GitLabApi,
        target: Target,
        start: datetime,
        ctx: SourceContext,
        result: ProjectResult,
    ) -> tuple[str | None, list[Fetched]]:
        """Store final deployments; return the new cursor (None: leave it as it is) and them."""
        newest: datetime | None = None
        hold: datetime | None = None
        found: list[Fetched] = []
        for item in api.deployments(target.project.id, start, ctx.until):
            try:
                updated = records.utc(item.get("updated_at"), "updated_at")
                if str(item.get("status")) in PENDING:
                    if ctx.until - updated <= self.pending_timeout:
                        hold = updated if hold is None else min(hold, updated)
                    continue
                newest = updated if newest is None else max(newest, updated)
                found.append(self._deployment(item, target))
            except records.RowError as exc:
                result.bad.append(f"deployment {item.get('id')}: {exc}")
        for deployment in found:
            result.deployments.append(deployment.row)
            if deployment.row["status"] == "success" and deployment.row["commit_sha"]:
                result.commits.append(
                    records.deployment_commit(
                        self.name, deployment.row["external_id"], deployment.row["commit_sha"]
                    )
                )
        if self.dora_check:
            warning = self._dora(api, target, start, ctx.until, found)
            if warning:
                result.warnings.append(warning)
        return self._deployment_cursor(ctx, target, newest, hold), found

    def _deployment_cursor(
        self, ctx: SourceContext, target: Target, newest: datetime | None, hold: datetime | None
    ) -> str | None:
        old = ctx.cursors.get(DEPLOYMENTS.cursor_key(target.project.path))
        if hold is not None:  # never past a deployment that may still finish
            value = hold if newest is None else min(newest, hold)
            return records.cursor_time(value)
        if newest is None:
            return None
        if old and records.utc(old, "cursor") > newest:
            return old
        return records.cursor_time(newest)

    def _deployment(self, item: dict[str, Any], target: Target) -> Fetched:
        deployment_id = item.get("id")
        if not isinstance(deployment_id, int):
            raise records.RowError(_("id is missing"))
        environment = item.get("environment")
        if not isinstance(environment, dict) or not isinstance(environment.get("name"), str):
            raise records.RowError(_("environment.name is missing"))
        job = item.get("deployable") if isinstance(item.get("deployable"), dict) else {}
        assert isinstance(job, dict)
        created = records.utc(item.get("created_at"), "created_at")
        updated = records.utc(item.get("updated_at"), "updated_at")
        started = records.optional_utc(job.get("started_at"), "deployable.started_at") or created
        finished = records.optional_utc(job.get("finished_at"), "deployable.finished_at") or updated
        url = job.get("web_url")
        if not isinstance(url, str) and target.project.web_url and "iid" in item:
            url = (
                f"{target.project.web_url}/-/environments/{environment.get('id')}"
                f"/deployments/{item['iid']}"
            )
        name = environment["name"]
        row = records.deployment(
            source=self.name,
            external_id=str(deployment_id),
            service_id=target.service_id,
            environment=self._stored_environment(name),
            started_at=min(started, finished),
            finished_at=finished,
            status=records.status(item.get("status")),
            commit_sha=item.get("sha") if isinstance(item.get("sha"), str) else None,
            url=url if isinstance(url, str) else None,
        )
        tier = environment.get("tier")
        return Fetched(deployment_id, row, name, tier if isinstance(tier, str) else None)

    # -- shipped merge requests -----------------------------------------------------------

    def _shipped(
        self, api: GitLabApi, target: Target, found: list[Fetched], result: ProjectResult
    ) -> dict[int, tuple[datetime, int, dict[str, Any]]]:
        """``{iid: (finished, deployment id, merge request)}``: the earliest successful
        production deployment of this run that GitLab says shipped each merge request."""
        shipped: dict[int, tuple[datetime, int, dict[str, Any]]] = {}
        production = self._production_names()
        candidates = [
            d
            for d in found
            if d.row["status"] == "success" and d.row["environment"] in self.production
        ]
        for deployment in sorted(candidates, key=lambda d: (d.finished, d.id)):
            merge_requests = api.deployment_merge_requests(target.project.id, deployment.id)
            iids = [m["iid"] for m in merge_requests if isinstance(m.get("iid"), int)]
            earlier: set[int] = set()
            for other in sorted(production - {deployment.gitlab_environment}):
                if iids:
                    earlier |= api.deployed_before(
                        target.project.id, other, deployment.finished, iids
                    )
            for merge_request in merge_requests:
                iid = merge_request.get("iid")
                if not isinstance(iid, int):
                    result.bad.append("a shipped merge request without iid")
                    continue
                sha = _commit_sha(merge_request)
                if sha:
                    result.commits.append(
                        records.deployment_commit(self.name, str(deployment.id), sha)
                    )
                if iid in earlier or iid in shipped:
                    continue  # shipped to production earlier (sorted: earliest first)
                shipped[iid] = (deployment.finished, deployment.id, merge_request)
        return shipped

    # -- changes --------------------------------------------------------------------------

    def _changes(
        self,
        api: GitLabApi,
        target: Target,
        ctx: SourceContext,
        shipped: dict[int, tuple[datetime, int, dict[str, Any]]],
        result: ProjectResult,
    ) -> str | None:
        key = CHANGES.cursor_key(target.project.path)
        old = ctx.cursors.get(key)
        start = self._start(ctx, old)
        listed: dict[int, dict[str, Any]] = {}
        newest: datetime | None = None
        for item in api.merge_requests(target.project.id, start, ctx.until):
            try:
                updated = records.utc(item.get("updated_at"), "updated_at")
            except records.RowError as exc:
                result.bad.append(f"merge request {item.get('iid')}: {exc}")
                continue
            newest = updated if newest is None else max(newest, updated)
            if isinstance(item.get("iid"), int):
                listed[item["iid"]] = item
            else:
                result.bad.append("a merge request without iid")
        todo = {**{iid: m for iid, (_f, _d, m) in shipped.items()}, **listed}
        for iid in sorted(todo):
            link = shipped.get(iid)
            try:
                row = self._change(api, target, iid, todo[iid], link[1] if link else None)
            except records.RowError as exc:
                result.bad.append(f"merge request !{iid}: {exc}")
                continue
            if link:
                result.linked.append(row)
            else:  # leave any stored link alone: INSERT OR REPLACE keeps columns not given
                result.unlinked.append({k: v for k, v in row.items() if k not in LINK_COLUMNS})
        if newest is None:
            return None
        if old and records.utc(old, "cursor") > newest:
            return old
        return records.cursor_time(newest)

    def _change(
        self,
        api: GitLabApi,
        target: Target,
        iid: int,
        item: dict[str, Any],
        deployment_id: int | None,
    ) -> dict[str, Any]:
        authored = [
            records.utc(c.get("authored_date"), "commit authored_date")
            for c in api.merge_request_commits(target.project.id, iid)
            if c.get("authored_date")
        ]
        url = item.get("web_url")
        return records.change(
            source=self.name,
            external_id=f"{target.project.path}!{iid}",
            service_id=target.service_id,
            commit_sha=_commit_sha(item),
            first_commit_at=min(authored) if authored else None,
            opened_at=records.optional_utc(item.get("created_at"), "created_at"),
            merged_at=records.optional_utc(item.get("merged_at"), "merged_at"),
            url=url if isinstance(url, str) else None,
            deployment_external_id=str(deployment_id) if deployment_id is not None else None,
        )

    # -- DORA cross-check -----------------------------------------------------------------

    def _is_dora_production(self, deployment: Fetched) -> bool:
        if deployment.tier is not None:
            return deployment.tier == "production"
        return deployment.row["environment"] in self.production

    def _dora(
        self,
        api: GitLabApi,
        target: Target,
        start: datetime,
        until: datetime,
        found: list[Fetched],
    ) -> str | None:
        """A warning when GitLab's daily deployment frequency differs from what was fetched,
        over the whole UTC days the fetch covered."""
        first = _day_on_or_after(start)
        last = until.astimezone(UTC).date() - timedelta(days=1)  # the last whole day
        first = max(first, last - timedelta(days=DORA_MAX_DAYS - 1))
        if first > last:
            return None
        ours: dict[date, int] = {}
        for deployment in found:
            day = deployment.finished.astimezone(UTC).date()
            if (
                deployment.row["status"] == "success"
                and self._is_dora_production(deployment)
                and first <= day <= last
            ):
                ours[day] = ours.get(day, 0) + 1
        path = target.project.path
        try:
            theirs = api.deployment_frequency(target.project.id, first, last)
        except HttpStatusError as exc:
            if exc.status in (403, 404):
                log.info("%s: no DORA metrics (%s); cross-check skipped", path, exc.status)
                return None
            return f"{path}: DORA cross-check skipped ({exc.problem})"
        except ConnectorError as exc:
            return f"{path}: DORA cross-check skipped ({exc.problem})"
        covered = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        differ = [(d, theirs.get(d, 0), ours.get(d, 0)) for d in covered]
        differ = [x for x in differ if x[1] != x[2]]
        if not differ:
            return None
        shown = "; ".join(f"{d.isoformat()}: GitLab {g}, fetched {o}" for d, g, o in differ[:3])
        more = f"; and {len(differ) - 3} more day(s)" if len(differ) > 3 else ""
        return (
            f"{path}: GitLab's DORA deployment frequency differs from the successful production "
            f"deployments this sync fetched on {len(differ)} day(s) ({shown}{more}); check "
            f"production_environments and [sources.{self.name}.environments]"
        )


def _commit_sha(merge_request: dict[str, Any]) -> str | None:
    for key in ("merge_commit_sha", "squash_commit_sha", "sha"):
        value = merge_request.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _day_on_or_after(moment: datetime) -> date:
    utc_moment = moment.astimezone(UTC)
    day = utc_moment.date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return day if utc_moment == midnight else day + timedelta(days=1)
