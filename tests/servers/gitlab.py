"""A fake GitLab REST API v4 (stdlib http.server in a thread) that answers as the docs describe.

Endpoints (all under ``/api/v4``):

* ``GET /projects`` — offset pages, or keyset pages with ``pagination=keyset&order_by=id``
  (``Link: <…&id_after=N>; rel="next"`` while a page is full, no ``x-total`` headers);
  ``membership=true`` lists the projects the token's user belongs to;
* ``GET /projects/:id`` — ``:id`` a number or the URL-encoded path (``acme%2Fa1``);
* ``GET /projects/:id/deployments`` — ``order_by`` (``id``, ``iid``, ``created_at``,
  ``updated_at``, ``finished_at``), ``sort``, ``updated_after``/``updated_before`` (strict;
  400 unless ``order_by=updated_at``, as GitLab 16.0+), ``environment``, ``status``;
* ``GET /projects/:id/deployments/:deployment_id/merge_requests``;
* ``GET /projects/:id/merge_requests`` — ``state``, ``order_by``, ``sort`` (default
  ``created_at`` ``desc``), ``updated_after``/``updated_before`` (inclusive), ``iids[]``,
  ``environment`` with ``deployed_before``/``deployed_after``;
* ``GET /projects/:id/merge_requests/:iid/commits`` — newest first;
* ``GET /projects/:id/dora/metrics`` — ``deployment_frequency`` per day, counted from the
  successful deployments to production-tier environments by finish date (or ``dora``
  overrides); 403 when the project is not on Ultimate.

Offset pages carry ``x-page``, ``x-per-page``, ``x-next-page`` (empty on the last page),
``x-prev-page`` and a ``Link`` header; ``x-total``, ``x-total-pages`` and ``rel="last"`` are
left out when the listing has more than ``total_limit`` records (10,000 on GitLab).
``per_page`` above 100 is served as 100. Errors use GitLab's ``{"message": "404 Project Not
Found"}`` bodies; tokens are accepted as ``Authorization: Bearer`` or ``PRIVATE-TOKEN``.

Faults are scripted per path (:meth:`FakeGitLab.fail`) and served before the normal answer; a
fault with ``status=None`` adds its headers to the normal answer (rate-limit headers on a 200).
Run ``python -m tests.servers.gitlab`` to serve the contract data set.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode

from tests.servers.fake import FakeApi, Incoming, Reply
from tests.servers.fake import Fault as Fault  # status None: the normal answer plus its headers

Params = dict[str, list[str]]
Answer = tuple[int, Any, dict[str, str]]

CONTRACT_TOKEN = "contract-token-5f1d2a"
DEPLOYMENT_ORDERS = ("id", "iid", "created_at", "updated_at", "finished_at")
MR_ORDERS = ("created_at", "updated_at", "title", "merged_at")


def gitlab_time(moment: datetime) -> str:
    """GitLab's timestamp form: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Deployment:
    id: int
    environment: str
    status: str  # created, running, success, failed, canceled, skipped, blocked
    sha: str
    created_at: datetime
    updated_at: datetime
    job_started_at: datetime | None = None
    job_finished_at: datetime | None = None
    api_created: bool = False  # created through the API: "deployable": null
    merge_requests: list[int] = field(default_factory=list)  # iids GitLab linked to it
    iid: int = 0

    @property
    def finished_at(self) -> datetime:
        return self.job_finished_at or self.updated_at


@dataclass
class Commit:
    sha: str
    authored_date: str  # as GitLab sends it, with the committer's offset: "…+03:00"


@dataclass
class MergeRequest:
    iid: int
    created_at: datetime
    updated_at: datetime
    merged_at: datetime | None
    sha: str
    merge_commit_sha: str | None = None
    squash_commit_sha: str | None = None
    commits: list[Commit] = field(default_factory=list)  # newest first, as GitLab lists them
    state: str = "merged"
    title: str = ""


@dataclass
class Project:
    id: int
    path: str
    deployments: list[Deployment] = field(default_factory=list)
    merge_requests: list[MergeRequest] = field(default_factory=list)
    ultimate: bool = True  # False: the DORA API answers 403
    dora: dict[str, int] = field(default_factory=dict)  # day → value overriding the count
    tiers: dict[str, str] = field(default_factory=lambda: {"production": "production"})
    visible: bool = True  # False: 404, as GitLab answers for projects the user cannot see
    reporter: bool = True  # False: 403 on deployments (the user is only a Guest)
    member: bool = True  # listed by membership=true

    def environment_id(self, name: str) -> int:
        names = sorted({d.environment for d in self.deployments})
        return self.id * 100 + names.index(name) + 1


class FakeGitLab(FakeApi):
    """The server state; use :meth:`running` to serve it. Faults are scripted for raw paths
    (``/api/v4/projects/1/deployments``)."""

    def __init__(
        self,
        projects: list[Project],
        *,
        tokens: set[str] | None = None,
        total_limit: int = 10_000,
        delay: float = 0.0,
    ) -> None:
        super().__init__(delay=delay)
        self.projects = projects
        self.tokens = tokens if tokens is not None else {"good-token"}
        self.total_limit = total_limit
        self.log: list[tuple[str, dict[str, str]]] = []
        self.auth_headers: list[str] = []  # which header carried the token, per request

    def record(self, incoming: Incoming) -> None:
        sent = {k.lower() for k in incoming.headers}
        via = "private-token" if "private-token" in sent else "authorization"
        with self._lock:
            self.log.append((incoming.path, incoming.params()))
            self.auth_headers.append(via)

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.auth_headers.clear()

    def reply(self, incoming: Incoming) -> Reply:
        headers = dict(incoming.headers.items())
        status, body, extra = self.answer(incoming.path, incoming.multi(), headers)
        return status, {"Content-Type": "application/json", **extra}, json.dumps(body)

    # -- the API --------------------------------------------------------------------------

    def token_of(self, headers: dict[str, str]) -> str | None:
        lowered = {k.lower(): v for k, v in headers.items()}
        if "private-token" in lowered:
            return lowered["private-token"]
        scheme, _, value = lowered.get("authorization", "").partition(" ")
        return value if scheme.lower() == "bearer" else None

    def answer(self, raw_path: str, params: Params, headers: dict[str, str]) -> Answer:
        if self.token_of(headers) not in self.tokens:
            return 401, {"message": "401 Unauthorized"}, {}
        if not raw_path.startswith("/api/v4/"):
            return 404, {"error": "404 Not Found"}, {}
        parts = [unquote(p) for p in raw_path[len("/api/v4/") :].split("/")]
        if parts == ["projects"]:
            return self._projects(params, raw_path)
        if len(parts) < 2 or parts[0] != "projects":
            return 404, {"error": "404 Not Found"}, {}
        project = self._find(parts[1])
        if project is None:
            return 404, {"message": "404 Project Not Found"}, {}
        rest = parts[2:]
        if not rest:
            return 200, self._project_json(project, simple=False), {}
        if rest == ["deployments"]:
            return self._deployments(project, params, raw_path)
        if len(rest) == 3 and rest[0] == "deployments" and rest[2] == "merge_requests":
            return self._deployment_mrs(project, rest[1], params, raw_path)
        if rest == ["merge_requests"]:
            return self._merge_requests(project, params, raw_path)
        if len(rest) == 3 and rest[0] == "merge_requests" and rest[2] == "commits":
            return self._commits(project, rest[1], params, raw_path)
        if rest == ["dora", "metrics"]:
            return self._dora(project, params)
        return 404, {"error": "404 Not Found"}, {}

    def _find(self, ref: str) -> Project | None:
        for project in self.projects:
            if (ref.isdigit() and project.id == int(ref)) or project.path.lower() == ref.lower():
                return project if project.visible else None
        return None

    def _web(self, project: Project) -> str:
        return f"{self.url}/{project.path}"

    def _paged(self, items: list[Any], params: Params, raw_path: str) -> Answer:
        page = max(1, int(_one(params, "page") or 1))
        per_page = min(100, max(1, int(_one(params, "per_page") or 20)))
        total = len(items)
        pages = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        counted = total <= self.total_limit
        headers = {
            "x-page": str(page),
            "x-per-page": str(per_page),
            "x-next-page": str(page + 1) if page * per_page < total else "",
            "x-prev-page": str(page - 1) if page > 1 else "",
        }
        if counted:
            headers["x-total"] = str(total)
            headers["x-total-pages"] = str(pages)

        def link(number: int) -> str:
            query = {k: v for k, v in params.items() if k != "page"}
            query["page"] = [str(number)]
            return f"<{self.url}{raw_path}?{urlencode(query, doseq=True)}>"

        links = []
        if page > 1:
            links.append(f'{link(page - 1)}; rel="prev"')
        if headers["x-next-page"]:
            links.append(f'{link(page + 1)}; rel="next"')
        links.append(f'{link(1)}; rel="first"')
        if counted:
            links.append(f'{link(pages)}; rel="last"')
        headers["Link"] = ", ".join(links)
        return 200, chunk, headers

    # -- projects -------------------------------------------------------------------------

    def _project_json(self, project: Project, *, simple: bool) -> dict[str, Any]:
        name = project.path.rsplit("/", 1)[-1]
        item: dict[str, Any] = {
            "id": project.id,
            "description": None,
            "name": name,
            "name_with_namespace": project.path.replace("/", " / "),
            "path": name,
            "path_with_namespace": project.path,
            "created_at": "2025-06-01T09:00:00.000Z",
            "default_branch": "main",
            "web_url": self._web(project),
            "http_url_to_repo": f"{self._web(project)}.git",
            "avatar_url": None,
            "star_count": 0,
            "last_activity_at": "2026-01-14T12:00:00.000Z",
        }
        if not simple:
            item.update({"archived": False, "visibility": "private", "open_issues_count": 0})
        return item

    def _projects(self, params: Params, raw_path: str) -> Answer:
        chosen = [p for p in self.projects if p.visible]
        if _one(params, "membership") == "true":
            chosen = [p for p in chosen if p.member]
        simple = _one(params, "simple") == "true"
        if _one(params, "pagination") == "keyset":
            if _one(params, "order_by") != "id" or _one(params, "sort") not in ("asc", "desc"):
                return 405, {"message": "405 Method Not Allowed"}, {}
            per_page = min(100, max(1, int(_one(params, "per_page") or 20)))
            after = int(_one(params, "id_after") or 0)
            ordered = sorted((p for p in chosen if p.id > after), key=lambda p: p.id)
            chunk = ordered[:per_page]
            headers: dict[str, str] = {}
            if len(chunk) == per_page:  # GitLab links on while pages are full
                query = {k: v for k, v in params.items() if k != "id_after"}
                query["id_after"] = [str(chunk[-1].id)]
                headers["Link"] = (
                    f'<{self.url}{raw_path}?{urlencode(query, doseq=True)}>; rel="next"'
                )
            return 200, [self._project_json(p, simple=simple) for p in chunk], headers
        ordered = sorted(chosen, key=lambda p: p.id)
        return self._paged(
            [self._project_json(p, simple=simple) for p in ordered], params, raw_path
        )

    # -- deployments ----------------------------------------------------------------------

    def _deployment_json(self, project: Project, d: Deployment) -> dict[str, Any]:
        user = {"id": 1, "name": "Administrator", "username": "root", "state": "active"}
        deployable = None
        if not d.api_created:
            job_status = {"blocked": "manual", "created": "created"}.get(d.status, d.status)
            job_id = 600 + d.id
            deployable = {
                "id": job_id,
                "status": job_status,
                "stage": "deploy",
                "name": f"deploy-{d.environment}",
                "ref": "main",
                "tag": False,
                "coverage": None,
                "allow_failure": False,
                "created_at": gitlab_time(d.created_at),
                "started_at": gitlab_time(d.job_started_at) if d.job_started_at else None,
                "finished_at": gitlab_time(d.job_finished_at) if d.job_finished_at else None,
                "duration": None,
                "user": user,
                "commit": {
                    "id": d.sha,
                    "short_id": d.sha[:8],
                    "title": "Merge branch 'feature' into 'main'",
                    "created_at": gitlab_time(d.created_at),
                },
                "pipeline": {
                    "id": 300 + d.id,
                    "ref": "main",
                    "sha": d.sha,
                    "status": job_status,
                    "web_url": f"{self._web(project)}/-/pipelines/{300 + d.id}",
                },
                "web_url": f"{self._web(project)}/-/jobs/{job_id}",
                "runner": None,
            }
        return {
            "id": d.id,
            "iid": d.iid or d.id,
            "ref": "main",
            "sha": d.sha,
            "created_at": gitlab_time(d.created_at),
            "updated_at": gitlab_time(d.updated_at),
            "status": d.status,
            "user": user,
            "environment": {
                "id": project.environment_id(d.environment),
                "name": d.environment,
                "external_url": f"https://{d.environment}.example.com",
            },
            "deployable": deployable,
        }

    def _deployments(self, project: Project, params: Params, raw_path: str) -> Answer:
        if not project.reporter:
            return 403, {"message": "403 Forbidden"}, {}
        order = _one(params, "order_by") or "id"
        if order not in DEPLOYMENT_ORDERS:
            return 400, {"error": "order_by does not have a valid value"}, {}
        sort = _one(params, "sort") or "asc"
        after, before = _one(params, "updated_after"), _one(params, "updated_before")
        if (after or before) and order != "updated_at":
            return (
                400,
                {"message": "400 Bad request - `updated_at` filter requires `updated_at` sort"},
                {},
            )
        chosen = list(project.deployments)
        if after:
            chosen = [d for d in chosen if d.updated_at > parse_time(after)]
        if before:
            chosen = [d for d in chosen if d.updated_at < parse_time(before)]
        if _one(params, "environment"):
            chosen = [d for d in chosen if d.environment == _one(params, "environment")]
        if _one(params, "status"):
            chosen = [d for d in chosen if d.status == _one(params, "status")]
        keys = {
            "id": lambda d: (d.id,),
            "iid": lambda d: (d.iid or d.id,),
            "created_at": lambda d: (d.created_at, d.id),
            "updated_at": lambda d: (d.updated_at, d.id),
            "finished_at": lambda d: (d.finished_at, d.id),
        }
        chosen.sort(key=keys[order], reverse=sort == "desc")
        items = [self._deployment_json(project, d) for d in chosen]
        return self._paged(items, params, raw_path)

    def _deployment_mrs(
        self, project: Project, deployment_id: str, params: Params, raw_path: str
    ) -> Answer:
        found = next((d for d in project.deployments if str(d.id) == deployment_id), None)
        if found is None:
            return 404, {"message": "404 Not found"}, {}
        chosen = [m for m in project.merge_requests if m.iid in found.merge_requests]
        chosen.sort(key=lambda m: (m.created_at, m.iid), reverse=True)
        return self._paged([self._mr_json(project, m) for m in chosen], params, raw_path)

    # -- merge requests -------------------------------------------------------------------

    def _mr_json(self, project: Project, m: MergeRequest) -> dict[str, Any]:
        user = {"id": 7, "name": "Dev", "username": "dev", "state": "active"}
        return {
            "id": project.id * 1000 + m.iid,
            "iid": m.iid,
            "project_id": project.id,
            "title": m.title or f"Change {m.iid}",
            "description": "",
            "state": m.state,
            "merged_by": user if m.merged_at else None,
            "merge_user": user if m.merged_at else None,
            "merged_at": gitlab_time(m.merged_at) if m.merged_at else None,
            "closed_by": None,
            "closed_at": None,
            "created_at": gitlab_time(m.created_at),
            "updated_at": gitlab_time(m.updated_at),
            "target_branch": "main",
            "source_branch": f"feature-{m.iid}",
            "author": user,
            "draft": False,
            "work_in_progress": False,
            "merge_status": "can_be_merged",
            "detailed_merge_status": "not_open",
            "sha": m.sha,
            "merge_commit_sha": m.merge_commit_sha,
            "squash_commit_sha": m.squash_commit_sha,
            "squash": m.squash_commit_sha is not None,
            "web_url": f"{self._web(project)}/-/merge_requests/{m.iid}",
            "references": {
                "short": f"!{m.iid}",
                "relative": f"!{m.iid}",
                "full": f"{project.path}!{m.iid}",
            },
        }

    def _deployed(self, project: Project, m: MergeRequest, env: str) -> list[Deployment]:
        return [
            d
            for d in project.deployments
            if d.environment == env and d.status == "success" and m.iid in d.merge_requests
        ]

    def _merge_requests(self, project: Project, params: Params, raw_path: str) -> Answer:
        state = _one(params, "state") or "all"
        order = _one(params, "order_by") or "created_at"
        if order not in MR_ORDERS:
            return 400, {"error": "order_by does not have a valid value"}, {}
        sort = _one(params, "sort") or "desc"
        chosen = [m for m in project.merge_requests if state == "all" or m.state == state]
        if _one(params, "updated_after"):
            chosen = [
                m for m in chosen if m.updated_at >= parse_time(_one(params, "updated_after"))
            ]
        if _one(params, "updated_before"):
            limit = parse_time(_one(params, "updated_before"))
            chosen = [m for m in chosen if m.updated_at <= limit]
        iids = params.get("iids[]")
        if iids:
            chosen = [m for m in chosen if str(m.iid) in iids]
        env = _one(params, "environment")
        if env:
            chosen = [m for m in chosen if self._deployed(project, m, env)]
            if _one(params, "deployed_before"):
                limit = parse_time(_one(params, "deployed_before"))
                chosen = [
                    m
                    for m in chosen
                    if any(d.finished_at < limit for d in self._deployed(project, m, env))
                ]
            if _one(params, "deployed_after"):
                limit = parse_time(_one(params, "deployed_after"))
                chosen = [
                    m
                    for m in chosen
                    if any(d.finished_at > limit for d in self._deployed(project, m, env))
                ]
        keys = {
            "created_at": lambda m: (m.created_at, m.iid),
            "updated_at": lambda m: (m.updated_at, m.iid),
            "title": lambda m: (m.title, m.iid),
            "merged_at": lambda m: (m.merged_at or datetime.min.replace(tzinfo=UTC), m.iid),
        }
        chosen.sort(key=keys[order], reverse=sort == "desc")
        return self._paged([self._mr_json(project, m) for m in chosen], params, raw_path)

    def _commits(self, project: Project, iid: str, params: Params, raw_path: str) -> Answer:
        found = next((m for m in project.merge_requests if str(m.iid) == iid), None)
        if found is None:
            return 404, {"message": "404 Not found"}, {}
        items = [
            {
                "id": c.sha,
                "short_id": c.sha[:8],
                "created_at": c.authored_date,
                "parent_ids": [],
                "title": f"Commit {c.sha[:8]}",
                "message": f"Commit {c.sha[:8]}",
                "author_name": "Dev",
                "author_email": "dev@example.com",
                "authored_date": c.authored_date,
                "committer_name": "Dev",
                "committer_email": "dev@example.com",
                "committed_date": c.authored_date,
                "trailers": {},
                "web_url": f"{self._web(project)}/-/commit/{c.sha}",
            }
            for c in found.commits
        ]
        return self._paged(items, params, raw_path)

    # -- DORA -----------------------------------------------------------------------------

    def _dora(self, project: Project, params: Params) -> Answer:
        if not project.ultimate:
            return 403, {"message": "403 Forbidden"}, {}
        metric = _one(params, "metric")
        if metric not in (
            "deployment_frequency",
            "lead_time_for_changes",
            "time_to_restore_service",
            "change_failure_rate",
        ):
            return 400, {"error": "metric does not have a valid value"}, {}
        if (_one(params, "interval") or "daily") != "daily":
            return 400, {"message": "this fake serves interval=daily only"}, {}
        try:
            end = date.fromisoformat(_one(params, "end_date") or "2026-01-15")
            start = date.fromisoformat(_one(params, "start_date") or str(end - timedelta(90)))
        except ValueError:
            return 400, {"error": "start_date is invalid"}, {}
        if end < start or (end - start).days > 180:
            return 400, {"message": "Date range must be shorter than 180 days."}, {}
        counts: dict[date, int] = {}
        for d in project.deployments:
            tier = project.tiers.get(d.environment, "other")
            if d.status == "success" and tier == "production":
                day = d.finished_at.astimezone(UTC).date()
                counts[day] = counts.get(day, 0) + 1
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        body = [
            {"date": d.isoformat(), "value": project.dora.get(d.isoformat(), counts.get(d, 0))}
            for d in days
        ]
        return 200, body, {}


def _one(params: Params, name: str) -> str:
    values = params.get(name)
    return values[-1] if values else ""


# -- the contract data set ----------------------------------------------------------------


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def contract_projects(populated: bool) -> list[Project]:
    """acme/a1 and acme/b1; when ``populated``, a few deployments and merge requests each."""
    a1 = Project(1, "acme/a1")
    b1 = Project(2, "acme/b1")
    if populated:
        a1.merge_requests = [
            MergeRequest(
                1,
                _at(2, 9),
                _at(3, 10),
                _at(3, 10),
                "a" * 40,
                merge_commit_sha="1" * 40,
                commits=[Commit("c" * 40, "2026-01-02T11:00:00+02:00")],
            ),
            MergeRequest(
                2,
                _at(5, 9),
                _at(6, 12),
                _at(6, 11),
                "b" * 40,
                squash_commit_sha="2" * 40,
                commits=[Commit("d" * 40, "2026-01-05T08:00:00Z")],
            ),
        ]
        a1.deployments = [
            Deployment(
                11,
                "staging",
                "success",
                "1" * 40,
                _at(3, 11),
                _at(3, 11, 20),
                _at(3, 11, 5),
                _at(3, 11, 15),
                merge_requests=[1],
            ),
            Deployment(
                12,
                "production",
                "success",
                "1" * 40,
                _at(4, 9),
                _at(4, 9, 30),
                _at(4, 9, 10),
                _at(4, 9, 25),
                merge_requests=[1],
            ),
            Deployment(
                13,
                "production",
                "failed",
                "2" * 40,
                _at(7, 9),
                _at(7, 9, 30),
                _at(7, 9, 10),
                _at(7, 9, 20),
            ),
            Deployment(
                14,
                "production",
                "success",
                "2" * 40,
                _at(8, 9),
                _at(8, 9, 40),
                _at(8, 9, 10),
                _at(8, 9, 35),
                merge_requests=[2],
            ),
        ]
        b1.merge_requests = [
            MergeRequest(
                1,
                _at(9, 9),
                _at(10, 10),
                _at(10, 10),
                "e" * 40,
                merge_commit_sha="3" * 40,
                commits=[Commit("f" * 40, "2026-01-09T10:00:00Z")],
            ),
        ]
        b1.deployments = [
            Deployment(
                21,
                "production",
                "success",
                "3" * 40,
                _at(11, 9),
                _at(11, 9, 30),
                api_created=True,
                merge_requests=[1],
            ),
        ]
    return [a1, b1]


@contextmanager
def contract_source(kind: str, populated: bool) -> Iterator[dict[str, Any]]:
    """The ``[sources.<name>]`` table of a fake GitLab for
    tests/connectors/test_connector_contract.py."""
    fake = FakeGitLab(contract_projects(populated), tokens={CONTRACT_TOKEN})
    with fake.running():
        yield {
            "type": kind,
            "url": fake.url,
            "auth": "bearer",
            "token_env": "CONTRACT_TOKEN",
            "projects": ["acme/a1", "acme/b1"],
            "lookback_days": 30,
        }


def main(argv: list[str] | None = None) -> None:
    """Serve the contract data set until killed; prints the URL on the first line."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.servers.gitlab")
    parser.add_argument("--token", default="good-token")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added per answer")
    args = parser.parse_args(argv)
    fake = FakeGitLab(contract_projects(True), tokens={args.token}, delay=args.delay)
    fake.serve_until_interrupted()


if __name__ == "__main__":
    main()
