"""GitHub (REST, github.com or Enterprise Server) → deployments, deployment_commits, changes and
incidents.

**Repositories → services.** ``repos = ["owner/name", …]`` lists the repositories; without it,
every repository ``[sources.<name>.services]`` names (``"owner/name" = "service_id"``) plus
every ``services.repo_url`` on github.com or on the configured server. Each repository belongs
to one service; a listed repository that maps to none is skipped and reported in a warning.

**Deployments** (``deployments_from = "deployments"``, the default). ``GET …/deployments``
(newest first, 100 a page, Link header) down to the window start, and each deployment's
statuses. The latest status decides: ``success`` → success, ``failure``/``error`` → failure,
``inactive`` → the outcome of the last success/failure before it (GitHub marks a deployment
inactive when a newer one replaces it), else cancelled; ``queued``/``pending``/``in_progress``
→ not final: skipped now and fetched again next run (the cursor does not pass it) until
``pending_timeout_hours``. ``started_at`` = the deployment's ``created_at``, ``finished_at`` =
``created_at`` of the deciding status, ``commit_sha`` = its ``sha``, ``environment`` as GitHub
names it, renamed by ``[sources.<name>.environments]``. GitHub Enterprise Server deletes
statuses after 90 days, so a deployment is stored when first seen final and old ones are not
fetched again; one that comes back without statuses is skipped (never overwriting the stored
row) and counted in a warning.

**Releases** (``deployments_from = "releases"``): each published release (drafts always,
prereleases unless ``include_prereleases``) is a successful deployment to
``release_environment`` at ``published_at``; its commit is the tag's (``git/ref/tags/…``,
through ``git/tags/…`` for annotated tags). The release list is read in full each run (it is
ordered by the tagged commit's date, not by publication).

**Deployment commits.** For each successful deployment, the commits new since the previous
successful deployment of the same repository and environment, from ``compare/{base}...{head}``
(100 a page, every page; GitHub stops an *unpaged* compare at 250 commits). The first
deployment of an environment has no base and gets no commit list. The previous success is
kept in a cursor (``deployment_commits/<repo>/<environment>`` = ``"<time> <sha>"``).

**Changes.** Merged pull requests from ``pulls?state=closed&sort=updated&direction=desc``,
paged until ``updated_at`` falls before the window; ``external_id`` = ``owner/name#number``,
``commit_sha`` = ``merge_commit_sha``, ``first_commit_at`` = the earliest commit author date
of ``pulls/{n}/commits`` (GitHub lists at most 250). The shipping deployment is left to
:mod:`connectors.core.linking`.

**Incidents** (only with ``incident_label``): ``issues?labels=…&state=all&since=…``, pull
requests dropped; ``resolved_at`` = ``closed_at``; severity from a ``sev1``…``sev4`` /
``P1``…``P4`` label (the worst wins), else ``default_severity``; ``deployment_ref`` = the first
match of ``deployment_ref_pattern`` in title and body (a commit SHA or deployment id).

**Incremental.** Cursors per repository: ``deployments/<repo>`` = created_at of the newest
final deployment (or of the oldest one still pending, whichever is older; releases: newest
published_at), ``changes/<repo>`` and ``incidents/<repo>`` = newest ``updated_at`` seen. A
run starts ``overlap_hours`` before the cursor, ``--since`` overrides it, and a first run
looks back ``lookback_days``. Nothing after ``until`` is read.

**Rate limits.** One request at a time per token (GitHub's secondary limits punish
concurrency), so ``concurrency`` is ignored. The shared client waits for ``Retry-After`` and,
when ``x-ratelimit-remaining`` is 0, until ``x-ratelimit-reset``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.core import records
from connectors.core.base import CursorUpdate, Found, Record, SourceContext, Stream
from connectors.core.config import SourceConfig, check_options
from connectors.core.errors import ConfigError, ConnectorError, HttpStatusError
from connectors.core.http.clients import client_pool, token_auth, unreachable_fix
from connectors.core.mapping import ServiceMap, as_strings
from connectors.core.options import choice, days, flag, hours, regex, renames
from connectors.sources.github.api import HEADERS, Deployment, GitHubApi, Status
from i18n import _

DEFAULT_URL = "https://api.github.com"
DEPLOYMENTS = Stream("deployments", "deployments", records.DEPLOYMENT_KEY, "started_at")
COMMITS = Stream("deployment_commits", "deployment_commits", records.COMMIT_KEY, "")
CHANGES = Stream("changes", "changes", records.DEPLOYMENT_KEY, "merged_at")
INCIDENTS = Stream("incidents", "incidents", records.DEPLOYMENT_KEY, "started_at")
OPTIONS = frozenset(
    {
        "repos",
        "services",
        "environments",
        "deployments_from",
        "release_environment",
        "include_prereleases",
        "incident_label",
        "deployment_ref_pattern",
        "default_severity",
        "overlap_hours",
        "lookback_days",
        "pending_timeout_hours",
        "owners",
    }
)
DEFAULT_REF_PATTERN = (
    r"(?i)\b(?:deployment|deploy|commit|sha)\s*[:#]?\s*([0-9a-f]{7,40}|\d+)\b|\b([0-9a-f]{40})\b"
)
PERMISSIONS = "Deployments: read, Pull requests: read, Contents: read, Issues: read"
NEEDS = {
    "deployments": "Deployments: read",
    "deployment statuses": "Deployments: read",
    "commits between deployments": "Contents: read",
    "releases": "Contents: read",
    "tags": "Contents: read",
    "pull requests": "Pull requests: read",
    "issues": "Issues: read",
}
FINAL = {"success": "success", "failure": "failure", "error": "failure"}
WAITING = frozenset({"queued", "pending", "in_progress"})
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SEVERITY_LABEL = re.compile(r"^(?:sev|p)\s*-?\s*[1-5]$", re.IGNORECASE)


def outcome(statuses: list[Status]) -> tuple[str, Status] | None:
    """(status, deciding status) of a deployment whose statuses are sorted oldest first, or
    None while it is not final (no status yet, or queued/pending/in_progress)."""
    if not statuses:
        return None
    latest = statuses[-1]
    if latest.state in FINAL:
        return FINAL[latest.state], latest
    if latest.state == "inactive":
        for earlier in reversed(statuses[:-1]):
            if earlier.state in FINAL:
                return FINAL[earlier.state], earlier
        return "cancelled", latest
    return None


def label_severity(labels: tuple[str, ...], default: str) -> str:
    """The worst sev1…sev4 / P1…P4 label, else ``default``."""
    found = [records.severity(label) for label in labels if _SEVERITY_LABEL.match(label.strip())]
    return min(found) if found else default


def github_repo(url: str, hosts: set[str]) -> str | None:
    """``owner/name`` of a repository URL on one of ``hosts`` (https, ssh or bare host/path)."""
    text = url.strip()
    if text.startswith("git@") and ":" in text:
        host, _sep, path = text[4:].partition(":")
    else:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        host, path = parts.hostname or "", parts.path
    segments = [s for s in path.split("/") if s]
    if host.lower() not in hosts or len(segments) != 2:
        return None
    name = segments[1][:-4] if segments[1].endswith(".git") else segments[1]
    repo = f"{segments[0]}/{name}"
    return repo if _REPO.match(repo) else None


@dataclass
class Fetched:
    """Rows and cursors of one run."""

    deployments: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    no_status: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    # (repo, environment, created_at) of deployments whose outcome is unknown (statuses gone)
    unknown: list[tuple[str, str, datetime]] = field(default_factory=list)


@dataclass(frozen=True)
class Shipped:
    """A successful deployment, for the commit lists."""

    external_id: str
    environment: str
    created_at: datetime
    sha: str


class GitHubConnector:
    """GitHub REST API → delivery and incident rows (see the module docstring)."""

    def __init__(self, source: SourceConfig) -> None:
        check_options(source, OPTIONS)
        self.source = source
        self.name = source.name
        where = f"[sources.{source.name}]"
        options = source.options
        self.url = (source.url or DEFAULT_URL).rstrip("/")
        if source.auth == "basic":
            raise ConfigError(
                _("{where}: auth = 'basic'").format(where=where),
                _('GitHub takes tokens: use auth = "bearer"'),
            )
        self.repos = [
            self._repo(r) for r in as_strings(options.get("repos", []), "repos", self.name)
        ]
        self.environments = renames(options, "environments", self.name, "GitHub")
        self.mode = choice(
            options,
            "deployments_from",
            "deployments",
            ("deployments", "releases"),
            f"{where}:",
            'use "deployments" or "releases"',
        )
        self.release_environment = options.get("release_environment", "production")
        if not isinstance(self.release_environment, str) or not self.release_environment:
            raise ConfigError(
                _("{where}: release_environment must be a name").format(where=where), _("fix it")
            )
        self.prereleases = flag(options, "include_prereleases", False, f"{where}:")
        self.label = options.get("incident_label")
        if self.label is not None and (not isinstance(self.label, str) or not self.label):
            raise ConfigError(
                _("{where}: incident_label must be a label name").format(where=where), _("fix it")
            )
        self.ref_pattern = regex(
            options, "deployment_ref_pattern", DEFAULT_REF_PATTERN, f"{where}:", "fix it"
        )
        try:
            self.default_severity = records.severity(options.get("default_severity", "SEV3"))
        except records.RowError as exc:
            raise ConfigError(
                _("{where}: default_severity: {exc}").format(where=where, exc=exc),
                _("use SEV1…SEV4"),
            ) from None
        self.overlap = hours(options, "overlap_hours", 1, 0, 168, f"{where}:")
        self.lookback = days(options, "lookback_days", 90, 1, 3650, f"{where}:")
        self.pending_timeout = hours(options, "pending_timeout_hours", 24, 1, 720, f"{where}:")
        self.streams: tuple[Stream, ...] = (DEPLOYMENTS, COMMITS, CHANGES) + (
            (INCIDENTS,) if self.label else ()
        )
        host = (urlsplit(self.url).hostname or "").lower()
        self.hosts = {"github.com", host.removeprefix("api.")}

    @classmethod
    def from_config(cls, source: SourceConfig) -> GitHubConnector:
        return cls(source)

    def _repo(self, value: str) -> str:
        if not _REPO.match(value):
            raise ConfigError(
                _("[sources.{name}] repos: {value} is not owner/name").format(
                    name=self.name, value=repr(value)
                ),
                _('e.g. "acme/checkout"'),
            )
        return value

    # -- errors ---------------------------------------------------------------------------

    def _explain(self, exc: ConnectorError, repo: str, service: str, what: str) -> ConnectorError:
        section = f"[sources.{self.name}]"
        if not isinstance(exc, HttpStatusError):
            return unreachable_fix(exc, f"check url = {self.url} in {section} and the network")
        limited = exc.fix.startswith("the server is rate limiting") or (
            "rate limit" in exc.detail.lower()
        )
        if exc.status == 401:
            if self.source.auth == "none":
                return exc.with_fix(
                    f'GitHub wants a token: set auth = "bearer" and token_env in {section}'
                )
            return exc.with_fix(
                f"GitHub rejected the token from {self.source.token_origin}: it is wrong, "
                f"expired or revoked; create a fine-grained token with repository permissions "
                f"{PERMISSIONS} (or a classic token with the repo scope) and export it"
            )
        if exc.status in (403, 429) and limited:
            return exc.with_fix(
                "GitHub's rate limit is used up even after waiting; retry after its reset "
                "(this connector already sends one request at a time)"
            )
        if exc.status == 403:
            return exc.with_fix(
                f"the token may not read {what} of {repo}: grant the repository permission "
                f'"{NEEDS.get(what, PERMISSIONS)}" (a fine-grained token needs {PERMISSIONS}; '
                "a classic token the repo scope)"
            )
        if exc.status == 404:
            return exc.with_fix(
                f"repository {repo} (service {service}) does not exist or the token cannot see "
                f"it; check repos / [sources.{self.name}.services] / services.repo_url and the "
                "token's repository access"
            )
        if exc.status >= 500:
            return exc.with_fix(
                "GitHub failed; check https://www.githubstatus.com (or your GitHub Enterprise "
                "server) and retry later"
            )
        return exc

    # -- helpers --------------------------------------------------------------------------

    def _begin(self, ctx: SourceContext, stream: Stream, repo: str) -> tuple[str, datetime]:
        """The cursor key of ``stream`` for ``repo``, and where its reading starts."""
        key = stream.cursor_key(repo)
        overlap = self.overlap.total_seconds() / 3600
        start = records.overlap(ctx.cursors.get(key), ctx.since, overlap)
        return key, start if start is not None else ctx.until - self.lookback

    def _environment(self, name: str) -> str:
        return self.environments.get(name, name)

    def _repositories(self, ctx: SourceContext, services: ServiceMap) -> list[str]:
        if self.repos:
            return list(dict.fromkeys(self.repos))
        explicit: list[str] = services.keys()  # ServiceMap's own keys(), not a dict's
        found = [k for k in explicit if _REPO.match(k)]
        for service in ctx.services:
            repo = github_repo(service.repo_url, self.hosts) if service.repo_url else None
            if repo is not None:
                found.append(repo)
        unique: dict[str, str] = {}
        for repo in found:
            unique.setdefault(repo.lower(), repo)
        return list(unique.values())

    def _row(self, found: Fetched, what: str, build: Any, **values: Any) -> dict[str, Any] | None:
        try:
            row: dict[str, Any] = build(source=self.name, **values)
            return row
        except records.RowError as exc:
            found.skipped.append(f"{what}: {exc}")
            return None

    # -- discovery ------------------------------------------------------------------------

    def discover(self, ctx: SourceContext) -> Iterator[Found]:
        """Repositories of ``owners`` (organisations or users; by default the owners of the
        repositories already mapped) that map to no service, archived ones left out
        (``connectors discover``): each would be the service's ``repo_url``."""
        pool = client_pool(ctx, token_auth(self.source), HEADERS)
        try:
            api = GitHubApi(pool.client(), self.url)
            services = ServiceMap.for_source(self.source, ctx, by_repo_url=True)
            known = self._repositories(ctx, services)
            owners = (
                as_strings(self.source.options["owners"], "owners", self.name)
                if "owners" in self.source.options
                else list(dict.fromkeys(r.split("/")[0] for r in known))
            )
            if not owners:
                raise ConfigError(
                    _("[sources.{name}]: no owner to list: no repository is mapped yet").format(
                        name=self.name
                    ),
                    _('add owners = ["your-org"] to [sources.{name}]').format(name=self.name),
                )
            mapped = {r.lower() for r in known}
            found: list[Found] = []
            for owner in owners:
                try:
                    listed = api.owner_repositories(owner)
                except ConnectorError as exc:
                    raise self._explain(exc, f"{owner}/*", "-", "repositories") from None
                for name, url, archived in listed:
                    if archived or name.lower() in mapped or services.get(name) is not None:
                        continue
                    found.append(
                        Found(
                            self.name,
                            "GitHub repository",
                            name,
                            name.split("/")[-1],
                            "repo_url",
                            url,
                        )
                    )
            return iter(found)
        finally:
            pool.close()

    # -- extraction -----------------------------------------------------------------------

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        if self.source.concurrency not in (1, 8):  # 8 is the unset default
            ctx.warn(
                f"concurrency = {self.source.concurrency} is ignored: GitHub allows one request "
                "at a time per token"
            )
        pool = client_pool(ctx, token_auth(self.source), HEADERS)
        try:
            api = GitHubApi(pool.client(), self.url)
            services = ServiceMap.for_source(self.source, ctx, by_repo_url=True)
            repos = self._repositories(ctx, services)
            tasks = [(repo, services.get(repo)) for repo in repos]
            services.warn_unmapped(ctx, "repositories")
            mapped = [(repo, service) for repo, service in tasks if service is not None]
            ctx.progress.start(len(mapped), "repositories")
            found = Fetched()
            for repo, service in mapped:
                self._repository(api, ctx, repo, service, found)
                ctx.progress.advance()
        finally:
            pool.close()
        self._warn(ctx, found)
        yield from records.upserts(found.deployments, found.changes, found.incidents, found.commits)
        if found.cursors:
            yield CursorUpdate(found.cursors)

    def _warn(self, ctx: SourceContext, found: Fetched) -> None:
        if found.no_status:
            ctx.warn(
                f"{len(found.no_status)} deployment(s) came back without statuses (GitHub "
                f"deletes them after 90 days on some servers) and were skipped; rows already "
                f"stored are kept ({', '.join(found.no_status[:5])})"
            )
        if found.stale:
            ctx.warn(
                f"{len(found.stale)} deployment(s) are still queued/pending/in progress after "
                f"{self.pending_timeout.total_seconds() / 3600:g} h and are no longer waited for "
                f"({', '.join(found.stale[:5])}); re-run with --since to pick them up later"
            )
        if found.skipped:
            ctx.warn(
                f"{len(found.skipped)} GitHub record(s) could not be stored and were skipped "
                f"(first: {found.skipped[0]})"
            )
        if found.partial:
            ctx.warn(
                f"{len(found.partial)} deployment(s) were stored without all their commits "
                f"(first: {found.partial[0]})"
            )

    def _repository(
        self, api: GitHubApi, ctx: SourceContext, repo: str, service: str, found: Fetched
    ) -> None:
        step = "deployments"
        try:
            if self.mode == "releases":
                step = "releases"
                shipped = self._releases(api, ctx, repo, service, found)
            else:
                shipped = self._deployments(api, ctx, repo, service, found)
            step = "commits between deployments"
            self._commits(api, ctx, repo, shipped, found)
            step = "pull requests"
            self._changes(api, ctx, repo, service, found)
            if self.label:
                step = "issues"
                self._incidents(api, ctx, repo, service, found)
        except ConnectorError as exc:
            if isinstance(exc, HttpStatusError) and "/statuses" in exc.url:
                step = "deployment statuses"
            elif isinstance(exc, HttpStatusError) and "/git/" in exc.url:
                step = "tags"
            raise self._explain(exc, repo, service, step) from None

    def _deployments(
        self, api: GitHubApi, ctx: SourceContext, repo: str, service: str, found: Fetched
    ) -> list[Shipped]:
        key, start = self._begin(ctx, DEPLOYMENTS, repo)
        newest_final: datetime | None = None
        oldest_waiting: datetime | None = None
        shipped: list[Shipped] = []
        for deployment in api.deployments(repo):
            if deployment.created_at >= ctx.until:
                continue
            if deployment.created_at < start:
                break
            statuses = api.statuses(repo, deployment.id)
            result = outcome(statuses)
            age = ctx.until - deployment.created_at
            if result is None:
                if age <= self.pending_timeout:
                    moment = deployment.created_at
                    oldest_waiting = (
                        moment if oldest_waiting is None else min(oldest_waiting, moment)
                    )
                elif statuses:
                    found.stale.append(f"{repo} {deployment.id}")
                else:
                    found.no_status.append(f"{repo} {deployment.id}")
                    environment = self._environment(deployment.environment)
                    found.unknown.append((repo, environment, deployment.created_at))
                continue
            status, deciding = result
            newest_final = max(newest_final or deployment.created_at, deployment.created_at)
            row = self._deployment_row(found, repo, service, deployment, status, deciding)
            if row is not None and status == "success":
                shipped.append(
                    Shipped(
                        row["external_id"],
                        row["environment"],
                        deployment.created_at,
                        deployment.sha,
                    )
                )
        marks = [m for m in (newest_final, oldest_waiting) if m is not None]
        if marks:
            found.cursors[key] = records.cursor_time(min(marks))
        return shipped

    def _deployment_row(
        self,
        found: Fetched,
        repo: str,
        service: str,
        deployment: Deployment,
        status: str,
        deciding: Status,
    ) -> dict[str, Any] | None:
        row = self._row(
            found,
            f"{repo} deployment {deployment.id}",
            records.deployment,
            external_id=str(deployment.id),
            service_id=service,
            environment=self._environment(deployment.environment),
            started_at=deployment.created_at,
            finished_at=deciding.created_at,
            status=status,
            commit_sha=deployment.sha,
            url=deciding.url,
        )
        if row is not None:
            found.deployments.append(row)
        return row

    def _releases(
        self, api: GitHubApi, ctx: SourceContext, repo: str, service: str, found: Fetched
    ) -> list[Shipped]:
        key, start = self._begin(ctx, DEPLOYMENTS, repo)
        newest: datetime | None = None
        shipped: list[Shipped] = []
        for release in api.releases(repo):
            published = release.published_at
            if release.draft or published is None or (release.prerelease and not self.prereleases):
                continue
            if not start <= published < ctx.until:
                continue
            newest = max(newest or published, published)
            try:
                sha: str | None = api.tag_commit(repo, release.tag)
            except HttpStatusError as exc:
                if exc.status != 404:
                    raise
                found.partial.append(f"{repo} release {release.tag}: the tag is gone")
                sha = None
            row = self._row(
                found,
                f"{repo} release {release.tag}",
                records.deployment,
                external_id=f"release-{release.id}",
                service_id=service,
                environment=self._environment(self.release_environment),
                started_at=published,
                finished_at=published,
                status="success",
                commit_sha=sha,
                url=release.url,
            )
            if row is None:
                continue
            found.deployments.append(row)
            if sha is not None:
                shipped.append(Shipped(row["external_id"], row["environment"], published, sha))
        if newest is not None:
            found.cursors[key] = records.cursor_time(newest)
        return shipped

    def _commits(
        self, api: GitHubApi, ctx: SourceContext, repo: str, shipped: list[Shipped], found: Fetched
    ) -> None:
        """Commit lists of successful deployments: compare with the previous success."""
        by_environment: dict[str, list[Shipped]] = {}
        for item in shipped:
            by_environment.setdefault(item.environment, []).append(item)
        for environment, items in sorted(by_environment.items()):
            key = COMMITS.cursor_key(repo, environment)
            stored = ctx.cursors.get(key, "")
            when, _sep, stored_sha = stored.partition(" ")
            previous: tuple[datetime, str] | None = (
                (records.utc(when, "cursor"), stored_sha) if when and stored_sha else None
            )
            gaps = [t for r, e, t in found.unknown if r == repo and e == environment]
            earlier: Shipped | None = None
            for item in sorted(items, key=lambda s: (s.created_at, s.external_id)):
                base: tuple[datetime, str] | None = None
                if earlier is not None:
                    base = (earlier.created_at, earlier.sha)
                elif previous is not None and previous[0] < item.created_at:
                    base = previous
                earlier = item
                if base is None or base[1] == item.sha:
                    continue
                if any(base[0] < t < item.created_at for t in gaps):
                    continue  # a deployment in between lost its statuses: it may have shipped
                self._compare(api, repo, base[1], item, found)
            newest = max(items, key=lambda s: (s.created_at, s.external_id))
            if previous is None or newest.created_at >= previous[0]:
                found.cursors[key] = f"{records.cursor_time(newest.created_at)} {newest.sha}"

    def _compare(self, api: GitHubApi, repo: str, base: str, item: Shipped, found: Fetched) -> None:
        try:
            comparison = api.compare(repo, base, item.sha)
        except HttpStatusError as exc:
            if exc.status not in (404, 422):
                raise
            found.partial.append(
                f"{repo} deployment {item.external_id}: GitHub cannot compare {base[:7]}..."
                f"{item.sha[:7]} ({exc.detail or exc.status})"
            )
            return
        if comparison.total is not None and comparison.total > len(comparison.shas):
            found.partial.append(
                f"{repo} deployment {item.external_id}: compare listed "
                f"{len(comparison.shas)} of {comparison.total} commits"
            )
        for sha in dict.fromkeys(comparison.shas):
            found.commits.append(records.deployment_commit(self.name, item.external_id, sha))

    def _changes(
        self, api: GitHubApi, ctx: SourceContext, repo: str, service: str, found: Fetched
    ) -> None:
        key, start = self._begin(ctx, CHANGES, repo)
        newest: datetime | None = None
        for pull in api.pulls(repo):
            if pull.updated_at < start:
                break
            if pull.updated_at >= ctx.until:
                continue
            newest = max(newest or pull.updated_at, pull.updated_at)
            if pull.merged_at is None:
                continue
            dates = api.pull_commit_dates(repo, pull.number)
            row = self._row(
                found,
                f"{repo}#{pull.number}",
                records.change,
                external_id=f"{repo}#{pull.number}",
                service_id=service,
                commit_sha=pull.merge_commit_sha,
                first_commit_at=min(dates) if dates else None,
                opened_at=pull.created_at,
                merged_at=pull.merged_at,
                url=pull.url,
            )
            if row is not None:
                found.changes.append(row)
        if newest is not None:
            found.cursors[key] = records.cursor_time(newest)

    def _reference(self, text: str) -> str | None:
        if self.ref_pattern is None:
            return None
        match = self.ref_pattern.search(text)
        if match is None:
            return None
        groups = [g for g in match.groups() if g]
        return groups[0] if groups else match.group(0)

    def _incidents(
        self, api: GitHubApi, ctx: SourceContext, repo: str, service: str, found: Fetched
    ) -> None:
        assert self.label is not None
        key, start = self._begin(ctx, INCIDENTS, repo)
        newest: datetime | None = None
        for issue in api.issues(repo, self.label, start):
            if issue.updated_at >= ctx.until:
                continue
            newest = max(newest or issue.updated_at, issue.updated_at)
            row = self._row(
                found,
                f"{repo}#{issue.number}",
                records.incident,
                external_id=f"{repo}#{issue.number}",
                service_id=service,
                severity=label_severity(issue.labels, self.default_severity),
                title=issue.title,
                started_at=issue.created_at,
                acknowledged_at=None,
                resolved_at=issue.closed_at if issue.state == "closed" else None,
                url=issue.url,
                deployment_ref=self._reference(f"{issue.title}\n{issue.body}"),
            )
            if row is not None:
                found.incidents.append(row)
        if newest is not None:
            found.cursors[key] = records.cursor_time(newest)
