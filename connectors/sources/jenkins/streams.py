"""Jenkins (JSON remote-access API) → ``deployments`` and ``deployment_commits``.

**Jobs → deployments.** Every build of a configured deploy job is a deployment attempt:
``[[sources.<name>.jobs]]`` tables name the job by its full name (folders separated by
``/``), its ``service_id`` (or ``[sources.<name>.services]`` maps the job name) and its
``environment`` (default ``production``). Results map SUCCESS → success, FAILURE and
UNSTABLE → failure, ABORTED → cancelled; NOT_BUILT builds are skipped. A running build
(``building`` true or no result yet) is skipped and the cursor stays below it, so it is
fetched again until it ends. ``started_at`` is the build's ``timestamp`` (epoch ms, UTC),
``finished_at`` timestamp + ``duration``; ``commit_sha`` is the git plugin's
``lastBuiltRevision.SHA1`` (with several checkouts, the one whose remote matches the job's
``repo_url``, else the first); ``external_id`` is ``<job>#<number>``.

**Commits shipped.** Jenkins change sets list the commits *since the previous build*, not
since the previous successful one. So a successful build is stored with its own change set
plus those of the failed, aborted and not-built builds since the last successful build
(they shipped with it); the first build of a job has an empty change set. The linker
(connectors/core/linking.py) uses these lists to find the deployment that shipped each change.

**Incremental.** Two cursors per job: ``deployments/<job>`` = the highest build number up
to which every build is final and stored, and ``deployment_commits/<job>`` = the newest
successful build at or below it. A sync reads builds newer than the latter — the builds
after the last successful one are read again so their change sets reach the next success —
and writes the ones newer than the former. ``--since`` reads back to the last successful
build before it.

**Pagination.** ``allBuilds`` (``builds`` stops at the newest 100) with a ``tree`` and a
range ``{M,N}``, newest first, ``page_size`` builds a request, until a short page or a build
at or below the cursor: an unchanged job costs one request. Jenkins sends no rate-limit
headers; a proxy's 429/503 with ``Retry-After`` is honoured by the shared client.

**Auth.** ``auth = "basic"`` with ``username`` and the user's API token (``token_env``), or
``"none"`` for a Jenkins that lets anonymous read. The user needs Overall/Read and Job/Read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.core import records
from connectors.core.base import CursorUpdate, Found, Record, SourceContext, Stream
from connectors.core.config import SourceConfig, check_options
from connectors.core.errors import ConfigError, ConnectorError, HttpStatusError
from connectors.core.http.client import ClientPool
from connectors.core.http.clients import extract_with, retry_later, token_auth, unreachable_fix
from connectors.core.http.pool import bounded_map
from connectors.core.mapping import ServiceMap
from connectors.core.options import page_size
from connectors.sources.jenkins.api import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    JenkinsApi,
    JenkinsBuild,
    NotAJobError,
    job_path,
)
from i18n import _

DEPLOYMENTS = Stream(
    name="deployments",
    table="deployments",
    primary_key=records.DEPLOYMENT_KEY,
    cursor_field="external_id",
)
COMMITS = Stream(
    name="deployment_commits",
    table="deployment_commits",
    primary_key=records.COMMIT_KEY,
    cursor_field="deployment_external_id",
)
OPTIONS = frozenset({"jobs", "services", "page_size"})
JOB_KEYS = frozenset({"job", "service_id", "environment", "repo_url"})
RESULTS = {
    "SUCCESS": "success",
    "FAILURE": "failure",
    "UNSTABLE": "failure",
    "ABORTED": "cancelled",
    "NOT_BUILT": None,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class JobConfig:
    job: str
    service_id: str | None
    environment: str
    repo_url: str | None


@dataclass(frozen=True)
class Task:
    job: JobConfig
    service_id: str
    cursor: int | None  # every build up to here is final and stored
    base: int | None  # newest successful build at or below the cursor


@dataclass
class JobResult:
    task: Task
    deployments: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _repo(url: str) -> str:
    text = url.strip().rstrip("/").lower().removesuffix(".git")
    parts = [p for p in text.replace(":", "/").split("/") if p]
    return "/".join(parts[-2:])


def _moment(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def parse_jobs(source: SourceConfig) -> list[JobConfig]:
    """The ``[[sources.<name>.jobs]]`` tables, validated."""
    where = f"[[sources.{source.name}.jobs]]"
    example = f'{where}\njob = "deploy/checkout-api-prod"\nservice_id = "checkout-api"'
    tables = source.options.get("jobs", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(
            _("[sources.{name}] jobs must be tables").format(name=source.name),
            _("write {example}").format(example=example),
        )
    jobs: list[JobConfig] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, 1):
        unknown = set(table) - JOB_KEYS
        if unknown:
            raise ConfigError(
                _("{where} #{number} has unknown key {value}").format(
                    where=where, number=number, value=", ".join(sorted(unknown))
                ),
                _("known keys: {value}").format(value=", ".join(sorted(JOB_KEYS))),
            )
        name = table.get("job")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(
                _("{where} #{number} has no job").format(where=where, number=number),
                _("add job = ..., e.g. {example}").format(example=example),
            )
        name = name.strip()
        if name.startswith(("/", "job/")) or name.endswith("/") or "//" in name:
            raise ConfigError(
                _("{where} #{number}: job = {name} is not a job's full name").format(
                    where=where, number=number, name=repr(name)
                ),
                _(
                    'write the folders and the job separated by "/", e.g. '
                    '"deploy/checkout-api-prod" (not the URL path with job/)'
                ),
            )
        if name in seen:
            raise ConfigError(
                _("{where}: job {name} is listed twice").format(where=where, name=repr(name)),
                _("keep one table for it"),
            )
        seen.add(name)
        for key in ("service_id", "environment", "repo_url"):
            value = table.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(
                    _("{where} #{number} ({name}): {key} must be a text").format(
                        where=where, number=number, name=name, key=key
                    ),
                    _("fix it"),
                )
        jobs.append(
            JobConfig(
                job=name,
                service_id=table.get("service_id"),
                environment=table.get("environment", "production"),
                repo_url=table.get("repo_url"),
            )
        )
    return jobs


class JenkinsConnector:
    """Deploy jobs' builds → deployments (see the module docstring)."""

    streams: tuple[Stream, ...] = (DEPLOYMENTS, COMMITS)

    def __init__(self, source: SourceConfig) -> None:
        check_options(source, OPTIONS)
        self.source = source
        self.name = source.name
        where = f"[sources.{source.name}]"
        if not source.url:
            raise ConfigError(
                _("{where} has no url").format(where=where),
                _('add url = "https://jenkins.example.com"'),
            )
        if source.auth == "bearer":
            raise ConfigError(
                _('{where}: Jenkins has no bearer tokens (auth = "bearer")').format(where=where),
                _('use auth = "basic" with username and the user\'s API token in token_env'),
            )
        if source.auth == "basic" and not source.username:
            raise ConfigError(
                _('{where} uses auth = "basic" without username').format(where=where),
                _('add username = "<the Jenkins user whose API token token_env holds>"'),
            )
        self.page_size = page_size(
            source.options, "page_size", PAGE_SIZE, MAX_PAGE_SIZE, f"{where}:"
        )
        self.jobs = parse_jobs(source)

    @classmethod
    def from_config(cls, source: SourceConfig) -> JenkinsConnector:
        return cls(source)

    # -- errors ---------------------------------------------------------------------------

    def _explain(self, exc: ConnectorError, task: Task | None = None) -> ConnectorError:
        section = f"[sources.{self.name}]"
        user = f"user '{self.source.username}'" if self.source.auth == "basic" else "anonymous"
        if isinstance(exc, NotAJobError):
            return exc
        if not isinstance(exc, HttpStatusError):
            return unreachable_fix(
                exc, f"check url = {self.source.url} in {section} and that Jenkins is reachable"
            )
        if exc.status == 401:
            if self.source.auth == "none":
                return exc.with_fix(
                    f'Jenkins wants a login: set auth = "basic", username and token_env in '
                    f"{section}"
                )
            return exc.with_fix(
                f"Jenkins rejected {user} with the API token in {self.source.token_origin}; "
                "create an API token (your user → Security → API Token) and export it"
            )
        if exc.status == 403:
            what = f" or Job/Read on {task.job.job}" if task else ""
            if self.source.auth == "none":
                return exc.with_fix(
                    f"anonymous may not read this Jenkins (Overall/Read{what}); set "
                    f'auth = "basic", username and token_env in {section}'
                )
            return exc.with_fix(
                f"{user} lacks Overall/Read{what}; grant it (Manage Jenkins → Security) or "
                "use another user's token"
            )
        if exc.status == 404 and task is not None:
            return exc.with_fix(
                f"job '{task.job.job}' (service {task.service_id}) is not at "
                f"{self.source.url}/{job_path(task.job.job)}, or {user} lacks Job/Read on "
                f"it; fix job in [[sources.{self.name}.jobs]] (its full name, folders "
                "separated by /)"
            )
        if exc.status == 429:
            return exc.with_fix(retry_later(section))
        if exc.status >= 500:
            return exc.with_fix("Jenkins failed; check its log and health, then retry")
        return exc

    # -- extraction -----------------------------------------------------------------------

    def _jobs(self, ctx: SourceContext) -> list[JobConfig]:
        """The listed jobs, else every service's catalog jenkins_job (to production)."""
        if self.jobs:
            return self.jobs
        jobs = [
            JobConfig(job, s.service_id, "production", s.repo_url)
            for s in ctx.services
            if (job := (s.key("jenkins_job") or "").strip("/"))
        ]
        if not jobs:
            raise ConfigError(
                _("[sources.{name}] lists no deploy jobs and no service has a jenkins_job").format(
                    name=self.name
                ),
                _(
                    "set jenkins_job for your services in config/catalog.toml and apply it "
                    "(`python -m connectors discover` lists the server's jobs), or add "
                    '[[sources.{name}.jobs]] job = "deploy/checkout-api-prod" service_id = '
                    '"checkout-api"'
                ).format(name=self.name),
            )
        return jobs

    def _tasks(self, ctx: SourceContext) -> list[Task]:
        services = ServiceMap.for_source(self.source, ctx, catalog_field="jenkins_job")
        known = ctx.service_ids()
        tasks: list[Task] = []
        for job in self._jobs(ctx):
            if job.service_id in ctx.retired:
                ctx.warn(f"job {job.job!r} names retired service '{job.service_id}': not synced")
                continue
            if job.service_id is not None and job.service_id not in known:
                raise ConfigError(
                    _(
                        "[[sources.{name}.jobs]] job {job} names service '{service_id}', which "
                        "the warehouse does not have"
                    ).format(name=self.name, job=repr(job.job), service_id=job.service_id),
                    _("fix service_id, or add the service to the warehouse first"),
                )
            service_id = job.service_id or services.get(job.job)
            if service_id is None:
                continue
            tasks.append(
                Task(
                    job,
                    service_id,
                    _cursor(ctx.cursors.get(DEPLOYMENTS.cursor_key(job.job))),
                    _cursor(ctx.cursors.get(COMMITS.cursor_key(job.job))),
                )
            )
        services.warn_unmapped(ctx, "jobs")
        return tasks

    def discover(self, ctx: SourceContext) -> Iterator[Found]:
        """Jobs on the server that no job table, catalog jenkins_job or services line names
        (``connectors discover``): each would be the service's ``jenkins_job = "<full name>"``."""
        yield from extract_with(
            ctx, lambda pool: self._unmapped(pool, ctx), self._explain, auth=token_auth(self.source)
        )

    def _unmapped(self, pool: ClientPool, ctx: SourceContext) -> list[Found]:
        services = ServiceMap.for_source(self.source, ctx, catalog_field="jenkins_job")
        listed = {j.job.lower() for j in self.jobs if j.service_id}
        names = JenkinsApi(pool.client(), self.source.url, self.page_size).job_names()
        return [
            Found(self.name, "Jenkins job", name, name, "jenkins_job", name)
            for name in names
            if name.lower() not in listed and services.get(name) is None
        ]

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        tasks = self._tasks(ctx)
        # basic auth (username + API token) or none: bearer was refused with the options
        yield from extract_with(
            ctx,
            lambda pool: self._extract(pool, tasks, ctx),
            self._explain,
            auth=token_auth(self.source),
        )

    def _extract(self, pool: ClientPool, tasks: list[Task], ctx: SourceContext) -> Iterator[Record]:
        ctx.progress.start(len(tasks), "jobs")

        def work(task: Task) -> JobResult:
            try:
                api = JenkinsApi(pool.client(), self.source.url, self.page_size)
                return self._fetch(api, task, ctx.since, ctx.until)
            except ConnectorError as exc:
                raise self._explain(exc, task) from None

        results: list[JobResult] = []
        for result in bounded_map(work, tasks, self.source.concurrency):
            results.append(result)
            ctx.progress.advance()
        results.sort(key=lambda r: r.task.job.job)
        deployments = [row for r in results for row in r.deployments]
        commits = [row for r in results for row in r.commits]
        yield from records.upserts(deployments=deployments, commits=commits)
        cursors = {k: v for r in results for k, v in r.cursors.items()}
        if cursors:
            yield CursorUpdate(cursors)
        for result in results:
            for warning in result.warnings:
                ctx.warn(warning)

    def _fetch(
        self, api: JenkinsApi, task: Task, since: datetime | None, until: datetime
    ) -> JobResult:
        """Read the job's new builds (see the module docstring) and build its rows."""
        fetched: list[JenkinsBuild] = []
        stop = 0 if since is not None else (task.base or 0)
        for build in api.builds(task.job.job, stop):
            if (
                since is not None
                and build.final
                and build.result == "SUCCESS"
                and build.timestamp_ms is not None
                and _moment(build.timestamp_ms) < since
            ):
                break  # the last success before --since: its commits are already its own
            fetched.append(build)
        return self._rows(task, sorted(fetched, key=lambda b: b.number), since, until)

    def _rows(
        self,
        task: Task,
        builds: list[JenkinsBuild],
        since: datetime | None,
        until: datetime,
    ) -> JobResult:
        job = task.job.job
        out = JobResult(task)
        pending: list[str] = []  # change sets since the last successful build
        lowest_open: int | None = None
        highest_final: int | None = None
        successes: list[int] = []
        no_revision: list[int] = []
        several: set[str] = set()
        for build in builds:
            started = _moment(build.timestamp_ms) if build.timestamp_ms is not None else None
            if not build.final or (started is not None and started >= until):
                if lowest_open is None:
                    lowest_open = build.number
                continue
            highest_final = build.number
            result = build.result or ""
            if result not in RESULTS:
                out.warnings.append(
                    f"{job} #{build.number} has result {result!r}, not one Jenkins documents; "
                    "skipped"
                )
                continue
            status = RESULTS[result]
            shipped: list[str] = []
            if status == "success":
                shipped = list(dict.fromkeys([*pending, *build.commits]))
                pending = []
                successes.append(build.number)
            else:
                pending.extend(build.commits)
            if status is None:
                continue  # NOT_BUILT: no deployment, its changes ride with the next success
            if since is None:
                if task.cursor is not None and build.number <= task.cursor:
                    continue  # stored already; read again only for its change set
            elif started is not None and started < since:
                continue
            external_id = f"{job}#{build.number}"
            sha = self._revision(task, build, several)
            if sha is None:
                no_revision.append(build.number)
            try:
                if started is None:
                    raise records.RowError(_("timestamp is missing"))
                finished = (
                    started + timedelta(milliseconds=build.duration_ms)
                    if build.duration_ms is not None
                    else None
                )
                row = records.deployment(
                    source=self.name,
                    external_id=external_id,
                    service_id=task.service_id,
                    environment=task.job.environment,
                    started_at=started,
                    finished_at=finished,
                    status=status,
                    commit_sha=sha,
                    url=build.url,
                )
                commits = [records.deployment_commit(self.name, external_id, c) for c in shipped]
            except records.RowError as exc:
                out.warnings.append(f"{job} #{build.number} skipped: {exc}")
                continue
            out.deployments.append(row)
            out.commits.extend(commits)
        cursor = lowest_open - 1 if lowest_open is not None else highest_final
        values = [v for v in (task.cursor, cursor) if v is not None]
        if values and max(values) != task.cursor:
            out.cursors[DEPLOYMENTS.cursor_key(job)] = str(max(values))
        top = max(values) if values else None
        base = max((n for n in successes if top is not None and n <= top), default=None)
        if base is not None and base != task.base and (task.base is None or base > task.base):
            out.cursors[COMMITS.cursor_key(job)] = str(base)
        if no_revision:
            out.warnings.append(
                f"{len(no_revision)} build(s) of {job} carry no git revision (no git plugin "
                "BuildData); their commit_sha stays empty"
            )
        if several:
            out.warnings.append(
                f"builds of {job} checked out several repositories; commit_sha is the first "
                f"one's ({', '.join(sorted(several))}); set repo_url in its "
                f"[[sources.{self.name}.jobs]] table to choose"
            )
        return out

    @staticmethod
    def _revision(task: Task, build: JenkinsBuild, several: set[str]) -> str | None:
        """The commit the job deployed: from the BuildData whose remote is the job's repo."""
        if not build.revisions:
            return None
        if task.job.repo_url:
            wanted = _repo(task.job.repo_url)
            for revision in build.revisions:
                if any(_repo(u) == wanted for u in revision.remote_urls):
                    return revision.sha
            return None
        if len({r.sha for r in build.revisions}) > 1:
            first = build.revisions[0]
            several.add(", ".join(first.remote_urls) or "no remote URL")
        return build.revisions[0].sha
