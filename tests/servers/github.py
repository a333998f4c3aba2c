"""A fake GitHub REST API (stdlib http.server in a thread) that answers as docs.github.com says.

Endpoints, under an optional prefix (``/api/v3`` for GitHub Enterprise Server):

* ``/repos/{o}/{r}/deployments`` (newest first) and ``…/deployments/{id}/statuses`` (newest
  first; states error, failure, inactive, in_progress, queued, pending, success);
* ``/repos/{o}/{r}/compare/{base}...{head}`` over a linear history: ``status`` ahead /
  behind / identical, ``total_commits``, ``commits`` oldest first; without ``per_page`` or
  ``page`` the 250 most recent commits and no Link header, with them pages of ``per_page``;
* ``/repos/{o}/{r}/pulls`` (``state``, ``sort=created|updated``, ``direction``) and
  ``…/pulls/{n}/commits`` (at most 250 commits);
* ``/repos/{o}/{r}/issues`` (``labels`` — all must match —, ``state``, ``since`` on
  ``updated_at``), listing labelled pull requests too, with a ``pull_request`` key;
* ``/repos/{o}/{r}/releases`` (newest ``created_at`` first), ``…/git/ref/tags/{tag}`` and
  ``…/git/tags/{sha}`` (annotated tag objects).

Lists page with ``per_page`` (default 30, at most 100) and ``page``, and a ``Link`` header with
``next``/``last``/``first``/``prev`` URLs like GitHub's. Every answer carries
``x-ratelimit-limit/remaining/used/reset/resource``. Errors use GitHub's ``{"message",
"documentation_url", "status"}`` body: 401 Bad credentials, 403 "Resource not accessible by
personal access token" (:attr:`FakeRepo.denied`), 404 Not Found (also for a repository the
token cannot see). Faults are scripted per path (:meth:`FakeGitHub.fail`) and served first.
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlencode

from tests.servers.fake import FakeApi, Fault, Incoming, Reply

DOCS = "https://docs.github.com/rest"
COMPARE_LIMIT = 250
PULL_COMMITS_LIMIT = 250
JSON_TYPE = "application/json; charset=utf-8"


def sha(label: str) -> str:
    """A stable 40-hex commit SHA for a readable label."""
    return hashlib.sha1(label.encode()).hexdigest()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeStatus:
    state: str
    created_at: datetime
    log_url: str | None = None


@dataclass
class FakeDeployment:
    id: int
    sha: str
    environment: str
    created_at: datetime
    statuses: list[FakeStatus] = field(default_factory=list)  # oldest first


@dataclass
class FakeCommit:
    sha: str
    committed_at: datetime
    authored_at: datetime | None = None  # None: the commit has no author date


@dataclass
class FakePull:
    number: int
    created_at: datetime
    updated_at: datetime
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    commits: list[FakeCommit] = field(default_factory=list)
    labels: tuple[str, ...] = ()
    state: str = "closed"


@dataclass
class FakeIssue:
    number: int
    title: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    labels: tuple[str, ...] = ()
    body: str | None = None


@dataclass
class FakeRelease:
    id: int
    tag: str
    created_at: datetime
    published_at: datetime | None
    draft: bool = False
    prerelease: bool = False


@dataclass
class FakeRepo:
    full_name: str
    history: list[str] = field(default_factory=list)  # default branch, oldest commit first
    deployments: list[FakeDeployment] = field(default_factory=list)
    pulls: list[FakePull] = field(default_factory=list)
    issues: list[FakeIssue] = field(default_factory=list)
    releases: list[FakeRelease] = field(default_factory=list)
    tags: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (type, sha)
    tag_objects: dict[str, tuple[str, str]] = field(default_factory=dict)  # sha → (type, sha)
    denied: set[str] = field(default_factory=set)  # first path segment after the repo → 403
    visible: bool = True  # False: the token cannot see it → 404, as GitHub answers
    archived: bool = False
    user_owned: bool = False  # its owner is a user, not an organisation


def error(status: int, message: str) -> tuple[int, Any]:
    return status, {"message": message, "documentation_url": DOCS, "status": str(status)}


class FakeGitHub(FakeApi):
    """The server state; use :meth:`running` to serve it."""

    def __init__(
        self,
        repos: list[FakeRepo],
        *,
        tokens: set[str] | None = None,
        prefix: str = "",
        remaining: int = 5000,
        page_cap: int = 100,
    ) -> None:
        super().__init__()
        self.repos = {r.full_name.lower(): r for r in repos}
        self.tokens = tokens if tokens is not None else {"good-token"}
        self.prefix = prefix.rstrip("/")
        self.remaining = remaining
        self.page_cap = page_cap  # GitHub's is 100; smaller makes small fixtures span pages
        self.reset_at = int(time.time()) + 3600
        self.log: list[tuple[str, dict[str, str], dict[str, str]]] = []

    @property
    def url(self) -> str:
        return self.origin + self.prefix

    def log_entry(self, incoming: Incoming) -> tuple[str, dict[str, str], dict[str, str]]:
        return incoming.path, incoming.params(), dict(incoming.headers.items())

    def fault_path(self, incoming: Incoming) -> str | None:
        """Faults are scripted for paths without the prefix; None: outside the prefix."""
        if not incoming.path.startswith(self.prefix + "/"):
            return None
        return incoming.path[len(self.prefix) :]

    def fault_reply(self, fault: Fault) -> Reply:
        assert fault.status is not None
        return fault.status, {"Content-Type": JSON_TYPE, **fault.headers}, fault.body

    def reply(self, incoming: Incoming) -> Reply:
        path = self.fault_path(incoming)
        if path is None:
            return 404, {"Content-Type": JSON_TYPE}, json.dumps(error(404, "Not Found")[1])
        authorization = incoming.headers.get("Authorization")
        status, body, links = self.answer(path, incoming.params(), authorization)
        headers = {"Content-Type": JSON_TYPE, **self.quota_headers()}
        if links:
            headers["Link"] = links
        return status, headers, json.dumps(body)

    def quota_headers(self) -> dict[str, str]:
        with self._lock:
            self.remaining = max(0, self.remaining - 1)
            left = self.remaining
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(left),
            "x-ratelimit-used": str(5000 - left),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
        }

    # -- the API --------------------------------------------------------------------------

    def answer(
        self, path: str, params: dict[str, str], authorization: str | None
    ) -> tuple[int, Any, str]:
        """(status, JSON body, Link header) for one GET of ``path`` (prefix removed)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or token not in self.tokens:
            status, body = error(
                401, "Bad credentials" if authorization else "Requires authentication"
            )
            return status, body, ""
        parts = [unquote(p) for p in path.split("/") if p]
        if len(parts) == 3 and parts[0] in ("orgs", "users") and parts[2] == "repos":
            return self._owner_repos(parts[0] == "users", parts[1], path, params)
        if len(parts) < 4 or parts[0] != "repos":
            return *error(404, "Not Found"), ""
        repo = self.repos.get(f"{parts[1]}/{parts[2]}".lower())
        if repo is None or not repo.visible:
            return *error(404, "Not Found"), ""
        if parts[3] in repo.denied:
            return *error(403, "Resource not accessible by personal access token"), ""
        rest = parts[3:]
        base = f"/repos/{parts[1]}/{parts[2]}"
        return self._route(repo, base, rest, params)

    def _route(
        self, repo: FakeRepo, base: str, rest: list[str], params: dict[str, str]
    ) -> tuple[int, Any, str]:
        here = f"{base}/{'/'.join(rest)}"
        if rest == ["deployments"]:
            ordered = sorted(repo.deployments, key=lambda d: (d.created_at, d.id), reverse=True)
            return self._page([self._deployment(base, d) for d in ordered], here, params)
        if len(rest) == 3 and rest[0] == "deployments" and rest[2] == "statuses":
            found = next((d for d in repo.deployments if str(d.id) == rest[1]), None)
            if found is None:
                return *error(404, "Not Found"), ""
            statuses = [self._status(base, found, i, s) for i, s in enumerate(found.statuses)]
            return self._page(statuses[::-1], here, params)
        if len(rest) == 2 and rest[0] == "compare":
            return self._compare(repo, rest[1], here, params)
        if rest == ["pulls"]:
            return self._pulls(repo, here, params)
        if len(rest) == 3 and rest[0] == "pulls" and rest[2] == "commits":
            pull = next((p for p in repo.pulls if str(p.number) == rest[1]), None)
            if pull is None:
                return *error(404, "Not Found"), ""
            commits = [_commit(c) for c in pull.commits[:PULL_COMMITS_LIMIT]]
            return self._page(commits, here, params)
        if rest == ["issues"]:
            return self._issues(repo, base, here, params)
        if rest == ["releases"]:
            ordered = sorted(repo.releases, key=lambda r: (r.created_at, r.id), reverse=True)
            return self._page([_release(r) for r in ordered], here, params)
        if len(rest) >= 4 and rest[:3] == ["git", "ref", "tags"]:
            name = "/".join(rest[3:])
            if name not in repo.tags:
                return *error(404, "Not Found"), ""
            kind, target = repo.tags[name]
            body = {
                "ref": f"refs/tags/{name}",
                "node_id": "REF_x",
                "url": f"{self.url}{base}/git/refs/tags/{name}",
                "object": {"type": kind, "sha": target, "url": f"{self.url}{base}/git/x"},
            }
            return 200, body, ""
        if len(rest) == 3 and rest[:2] == ["git", "tags"]:
            if rest[2] not in repo.tag_objects:
                return *error(404, "Not Found"), ""
            kind, target = repo.tag_objects[rest[2]]
            body = {
                "node_id": "TAG_x",
                "tag": "v",
                "sha": rest[2],
                "url": f"{self.url}{base}/git/tags/{rest[2]}",
                "message": "release",
                "tagger": {
                    "name": "Mona",
                    "email": "m@example.com",
                    "date": "2026-01-01T00:00:00Z",
                },
                "object": {"type": kind, "sha": target, "url": f"{self.url}{base}/git/x"},
                "verification": {"verified": False, "reason": "unsigned"},
            }
            return 200, body, ""
        return *error(404, "Not Found"), ""

    def _owner_repos(
        self, user: bool, owner: str, path: str, params: dict[str, str]
    ) -> tuple[int, Any, str]:
        """``GET /orgs/{org}/repos`` or ``/users/{user}/repos``: 404 for an owner of the other
        kind (or none), as GitHub answers; the visible repositories by full name."""
        owned = [
            r
            for r in self.repos.values()
            if r.full_name.split("/")[0].lower() == owner.lower() and r.user_owned == user
        ]
        if not owned:
            return *error(404, "Not Found"), ""
        listed = sorted((r for r in owned if r.visible), key=lambda r: r.full_name.lower())
        return self._page([self._repo_json(r) for r in listed], path, params)

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        owner, name = repo.full_name.split("/")
        web = self.url.replace("/api/v3", "") if self.prefix else "https://github.com"
        return {
            "id": zlib.crc32(repo.full_name.encode()),
            "node_id": "R_x",
            "name": name,
            "full_name": repo.full_name,
            "private": True,
            "owner": {"login": owner, "type": "User" if repo.user_owned else "Organization"},
            "html_url": f"{web}/{repo.full_name}",
            "description": None,
            "fork": False,
            "url": f"{self.url}/repos/{repo.full_name}",
            "archived": repo.archived,
            "disabled": False,
            "default_branch": "main",
            "visibility": "private",
        }

    def _page(
        self, items: list[Any], path: str, params: dict[str, str], limit: int = 100
    ) -> tuple[int, Any, str]:
        try:
            size = min(limit, self.page_cap, max(1, int(params.get("per_page", 30))))
            page = max(1, int(params.get("page", 1)))
        except ValueError:
            return *error(422, "Invalid request."), ""
        chunk = items[(page - 1) * size : page * size]
        return 200, chunk, self._links(path, params, page, max(1, -(-len(items) // size)))

    def _links(self, path: str, params: dict[str, str], page: int, last: int) -> str:
        def link(number: int, rel: str) -> str:
            query = urlencode({**params, "page": number})
            return f'<{self.url}{path}?{query}>; rel="{rel}"'

        links = []
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        return ", ".join(links)

    def _deployment(self, base: str, d: FakeDeployment) -> dict[str, Any]:
        url = f"{self.url}{base}/deployments/{d.id}"
        return {
            "url": url,
            "id": d.id,
            "node_id": f"DE_{d.id}",
            "sha": d.sha,
            "ref": "main",
            "task": "deploy",
            "payload": {},
            "original_environment": d.environment,
            "environment": d.environment,
            "description": None,
            "creator": {"login": "octocat", "id": 1, "type": "User"},
            "created_at": iso(d.created_at),
            "updated_at": iso(d.statuses[-1].created_at if d.statuses else d.created_at),
            "statuses_url": f"{url}/statuses",
            "repository_url": f"{self.url}{base}",
            "transient_environment": False,
            "production_environment": d.environment == "production",
        }

    def _status(self, base: str, d: FakeDeployment, index: int, s: FakeStatus) -> dict[str, Any]:
        return {
            "url": f"{self.url}{base}/deployments/{d.id}/statuses/{index + 1}",
            "id": d.id * 100 + index + 1,
            "node_id": f"DES_{d.id}_{index}",
            "state": s.state,
            "creator": {"login": "octocat", "id": 1, "type": "User"},
            "description": "",
            "environment": d.environment,
            "target_url": s.log_url or "",
            "created_at": iso(s.created_at),
            "updated_at": iso(s.created_at),
            "deployment_url": f"{self.url}{base}/deployments/{d.id}",
            "repository_url": f"{self.url}{base}",
            "environment_url": "",
            "log_url": s.log_url or "",
        }

    def _compare(
        self, repo: FakeRepo, basehead: str, path: str, params: dict[str, str]
    ) -> tuple[int, Any, str]:
        base, sep, head = basehead.partition("...")
        if not sep or base not in repo.history or head not in repo.history:
            return *error(404, "Not Found"), ""
        low, high = repo.history.index(base), repo.history.index(head)
        shas = repo.history[low + 1 : high + 1] if high > low else []
        status = "ahead" if high > low else "identical" if high == low else "behind"
        body: dict[str, Any] = {
            "url": f"{self.url}{path}",
            "status": status,
            "ahead_by": max(0, high - low),
            "behind_by": max(0, low - high),
            "total_commits": len(shas),
            "base_commit": {"sha": base},
            "merge_base_commit": {"sha": base if high >= low else head},
            "files": [],
        }
        commits = [{"sha": s, "commit": {"message": s[:7]}} for s in shas]
        if "per_page" not in params and "page" not in params:
            body["commits"] = commits[-COMPARE_LIMIT:]
            return 200, body, ""
        status_code, chunk, links = self._page(commits, path, params)
        body["commits"] = chunk
        if int(params.get("page", 1)) > 1:
            del body["files"]  # only the first page lists files
        return status_code, body, links

    def _pulls(self, repo: FakeRepo, path: str, params: dict[str, str]) -> tuple[int, Any, str]:
        state = params.get("state", "open")
        chosen = [p for p in repo.pulls if state == "all" or p.state == state]
        key = "updated_at" if params.get("sort") == "updated" else "created_at"
        descending = params.get("direction", "desc") == "desc"
        chosen.sort(key=lambda p: (getattr(p, key), p.number), reverse=descending)
        base = path.rsplit("/pulls", 1)[0]
        return self._page([self._pull(base, p) for p in chosen], path, params)

    def _pull(self, base: str, p: FakePull) -> dict[str, Any]:
        return {
            "url": f"{self.url}{base}/pulls/{p.number}",
            "id": 9000 + p.number,
            "number": p.number,
            "state": p.state,
            "title": f"Change {p.number}",
            "html_url": f"https://github.com{base.removeprefix('/repos')}/pull/{p.number}",
            "created_at": iso(p.created_at),
            "updated_at": iso(p.updated_at),
            "closed_at": iso(p.updated_at) if p.state == "closed" else None,
            "merged_at": iso(p.merged_at) if p.merged_at else None,
            "merge_commit_sha": p.merge_commit_sha,
            "head": {"ref": f"change-{p.number}", "sha": p.commits[-1].sha if p.commits else None},
            "base": {"ref": "main"},
            "draft": False,
        }

    def _issues(
        self, repo: FakeRepo, base: str, path: str, params: dict[str, str]
    ) -> tuple[int, Any, str]:
        state = params.get("state", "open")
        wanted = {w.strip() for w in params.get("labels", "").split(",") if w.strip()}
        since = params.get("since")
        moment = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        items: list[tuple[datetime, int, dict[str, Any]]] = []
        for issue in repo.issues:
            is_state = "closed" if issue.closed_at else "open"
            if state not in ("all", is_state) or not wanted <= set(issue.labels):
                continue
            if moment is not None and issue.updated_at < moment:
                continue
            items.append((issue.created_at, issue.number, self._issue(base, issue)))
        for pull in repo.pulls:
            if not wanted or not wanted <= set(pull.labels):
                continue
            if state not in ("all", pull.state) or (moment and pull.updated_at < moment):
                continue
            entry = self._pull(base, pull)
            entry["labels"] = [{"id": 1, "name": n, "color": "ededed"} for n in pull.labels]
            entry["pull_request"] = {"url": entry["url"], "merged_at": entry["merged_at"]}
            items.append((pull.created_at, pull.number, entry))
        items.sort(key=lambda i: (i[0], i[1]), reverse=params.get("direction", "desc") == "desc")
        return self._page([i[2] for i in items], path, params)

    def _issue(self, base: str, issue: FakeIssue) -> dict[str, Any]:
        return {
            "url": f"{self.url}{base}/issues/{issue.number}",
            "id": 7000 + issue.number,
            "number": issue.number,
            "title": issue.title,
            "body": issue.body,
            "state": "closed" if issue.closed_at else "open",
            "state_reason": "completed" if issue.closed_at else None,
            "labels": [{"id": i, "name": n, "color": "ededed"} for i, n in enumerate(issue.labels)],
            "html_url": f"https://github.com{base.removeprefix('/repos')}/issues/{issue.number}",
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at) if issue.closed_at else None,
            "user": {"login": "octocat", "id": 1},
        }


def _commit(c: FakeCommit) -> dict[str, Any]:
    author: dict[str, Any] = {"name": "Mona", "email": "mona@example.com"}
    if c.authored_at is not None:
        author["date"] = iso(c.authored_at)
    return {
        "sha": c.sha,
        "commit": {
            "author": author,
            "committer": {"name": "Mona", "email": "m@example.com", "date": iso(c.committed_at)},
            "message": f"commit {c.sha[:7]}",
        },
        "parents": [],
    }


def _release(r: FakeRelease) -> dict[str, Any]:
    return {
        "id": r.id,
        "tag_name": r.tag,
        "target_commitish": "main",
        "name": r.tag,
        "draft": r.draft,
        "prerelease": r.prerelease,
        "created_at": iso(r.created_at),
        "published_at": iso(r.published_at) if r.published_at else None,
        "html_url": f"https://github.com/releases/tag/{r.tag}",
    }


# -- the contract source (tests/connectors/test_connector_contract.py) ----------------------

CONTRACT_TOKEN = "contract-token-5f1d2a"


def _day(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def contract_repos(populated: bool) -> list[FakeRepo]:
    """acme/a1 and acme/b1; populated: a few deployments, pull requests and one incident."""
    a1, b1 = FakeRepo("acme/a1"), FakeRepo("acme/b1")
    if not populated:
        return [a1, b1]
    a1.history = [sha(f"a1-{i}") for i in range(1, 6)]
    a1.deployments = [
        FakeDeployment(
            101,
            a1.history[1],
            "production",
            _day(3),
            [FakeStatus("in_progress", _day(3, 10, 1)), FakeStatus("success", _day(3, 10, 5))],
        ),
        FakeDeployment(
            102, a1.history[3], "staging", _day(7), [FakeStatus("failure", _day(7, 10, 4))]
        ),
        FakeDeployment(
            103, a1.history[4], "production", _day(8), [FakeStatus("success", _day(8, 10, 6))]
        ),
    ]
    a1.pulls = [
        FakePull(
            1,
            _day(1),
            _day(2, 12),
            _day(2, 12),
            a1.history[1],
            [FakeCommit(sha("a1-pr1"), _day(1, 9), _day(1, 8))],
        ),
        FakePull(
            2,
            _day(5),
            _day(6, 12),
            _day(6, 12),
            a1.history[4],
            [FakeCommit(sha("a1-pr2"), _day(5, 9), _day(5, 9))],
        ),
        FakePull(3, _day(5), _day(6, 13)),
    ]
    a1.issues = [
        FakeIssue(
            10,
            "Checkout errors",
            _day(9),
            _day(9, 15),
            _day(9, 15),
            ("incident", "sev2"),
            "Started after deployment 103.",
        ),
    ]
    b1.history = [sha(f"b1-{i}") for i in range(1, 3)]
    b1.deployments = [
        FakeDeployment(
            201, b1.history[1], "production", _day(4), [FakeStatus("success", _day(4, 10, 3))]
        ),
    ]
    b1.pulls = [
        FakePull(
            1,
            _day(2),
            _day(3, 9),
            _day(3, 9),
            b1.history[1],
            [FakeCommit(sha("b1-pr1"), _day(2, 9), _day(2, 9))],
        ),
    ]
    return [a1, b1]


@contextmanager
def contract_source(kind: str, populated: bool) -> Iterator[dict[str, Any]]:
    """The ``[sources.<name>]`` table of a GitHub source served by the fake."""
    fake = FakeGitHub(contract_repos(populated), tokens={CONTRACT_TOKEN})
    with fake.running() as server:
        yield {
            "type": kind,
            "url": server.url,
            "auth": "bearer",
            "token_env": "CONTRACT_TOKEN",
            "incident_label": "incident",
        }
