"""The GitHub REST API calls the GitHub connector needs, parsed and checked.

Every call sends ``Accept: application/vnd.github+json`` and ``X-GitHub-Api-Version:
2022-11-28`` (:data:`HEADERS`); paths are appended to the base URL, so GitHub Enterprise
Server's ``https://HOST/api/v3`` works unchanged. Lists are paged with ``per_page=100`` and the
``Link: <…>; rel="next"`` header, which is followed only to the same host (the token must
not travel elsewhere). Shapes, as documented:

* ``GET /repos/{o}/{r}/deployments``: a list, newest first, of ``{"id", "sha", "ref",
  "environment", "created_at", …}``;
* ``GET /repos/{o}/{r}/deployments/{id}/statuses``: a list of ``{"id", "state",
  "created_at", "log_url", "target_url", …}``; ``state`` is one of error, failure,
  inactive, in_progress, queued, pending, success;
* ``GET /repos/{o}/{r}/compare/{base}...{head}``: ``{"status", "total_commits",
  "commits": [{"sha", …}], "files"}``; commits in chronological order. Without paging
  parameters the list stops at 250 commits; with ``per_page`` it pages through all of them;
* ``GET /repos/{o}/{r}/pulls?state=closed&sort=updated&direction=desc``: a list of
  ``{"number", "html_url", "created_at", "updated_at", "merged_at", "merge_commit_sha"}``;
* ``GET /repos/{o}/{r}/pulls/{n}/commits``: at most 250 commits ``{"sha", "commit":
  {"author": {"date"}, "committer": {"date"}}}``;
* ``GET /repos/{o}/{r}/issues?labels=…&state=all&since=…``: issues *and pull requests* (those
  carry a ``"pull_request"`` key and are dropped here);
* ``GET /repos/{o}/{r}/releases``: ``{"id", "tag_name", "draft", "prerelease",
  "published_at", "html_url"}``;
* ``GET /repos/{o}/{r}/git/ref/tags/{tag}`` → ``{"object": {"type": "commit" | "tag",
  "sha"}}``; an annotated tag's object needs ``GET /repos/{o}/{r}/git/tags/{sha}``, whose
  ``object`` is the commit (or, rarely, another tag).

Errors come back as ``{"message": "Bad credentials", "documentation_url": …}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from connectors.core import records
from connectors.core.errors import HttpStatusError, MalformedResponseError
from connectors.core.http.client import HttpClient, short_url
from connectors.core.http.pagination import LinkHeaderPaginator, Page, Params, paginate
from connectors.core.http.shapes import as_list, as_object
from i18n import _

API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
HEADERS = {"Accept": MEDIA_TYPE, "X-GitHub-Api-Version": API_VERSION}
PER_PAGE = 100
MAX_TAG_DEPTH = 5  # a tag of a tag of … a commit


@dataclass(frozen=True)
class Deployment:
    id: int
    sha: str
    environment: str
    created_at: datetime


@dataclass(frozen=True)
class Status:
    id: int
    state: str
    created_at: datetime
    url: str | None


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str | None
    created_at: datetime
    updated_at: datetime
    merged_at: datetime | None
    merge_commit_sha: str | None


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    url: str | None
    state: str
    labels: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class Release:
    id: int
    tag: str
    draft: bool
    prerelease: bool
    published_at: datetime | None
    url: str | None


@dataclass(frozen=True)
class Comparison:
    shas: list[str]
    total: int | None  # total_commits as GitHub reports it


class SameHostLinks(LinkHeaderPaginator):
    """Link-header pagination that refuses a next page on another host (the Authorization
    header would go with it)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        parts = urlsplit(base_url)
        self.origin = (parts.scheme, parts.netloc)

    def advance(self, page: Page, url: str, params: Params) -> tuple[str, Params] | None:
        following = super().advance(page, url, params)
        if following is not None:
            parts = urlsplit(following[0])
            if (parts.scheme, parts.netloc) != self.origin:
                raise MalformedResponseError(
                    short_url(url),
                    _("the next page is on another host ({netloc})").format(netloc=parts.netloc),
                )
        return following


def _int(entry: dict[str, Any], key: str, url: str, what: str) -> int:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedResponseError(
            url, _("{what} without an integer {key}").format(what=what, key=key)
        )
    return value


def _str(entry: dict[str, Any], key: str, url: str, what: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedResponseError(url, _("{what} without {key}").format(what=what, key=key))
    return value


def _optional_str(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return value if isinstance(value, str) and value else None


def _time(entry: dict[str, Any], key: str, url: str, what: str) -> datetime:
    try:
        return records.utc(entry.get(key), f"{what} {key}")
    except records.RowError as exc:
        raise MalformedResponseError(url, str(exc)) from None


def _optional_time(entry: dict[str, Any], key: str, url: str, what: str) -> datetime | None:
    try:
        return records.optional_utc(entry.get(key), f"{what} {key}")
    except records.RowError as exc:
        raise MalformedResponseError(url, str(exc)) from None


class GitHubApi:
    """Calls on one :class:`HttpClient` against ``base_url`` (``https://api.github.com`` or a
    GitHub Enterprise Server ``https://HOST/api/v3``)."""

    def __init__(self, client: HttpClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    def url(self, repo: str, *parts: str) -> str:
        return "/".join((self.base_url, "repos", repo, *parts))

    def _pages(self, url: str, params: Params) -> Iterator[tuple[str, Any]]:
        """(page URL, decoded body) of every page; stop iterating to stop fetching."""
        paginator = SameHostLinks(self.base_url)
        for page in paginate(self.client, url, {**params, "per_page": PER_PAGE}, paginator):
            yield short_url(page.response.url or url), page.body

    def _items(self, url: str, params: Params, what: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for page_url, body in self._pages(url, params):
            for item in as_list(body, page_url, "the answer"):
                yield page_url, as_object(item, page_url, what)

    # -- repositories ---------------------------------------------------------------------

    def owner_repositories(self, owner: str) -> list[tuple[str, str, bool]]:
        """(full_name, html_url, archived) of every repository of an organisation
        (``GET /orgs/{org}/repos?type=all``), or of a user when no organisation has that
        name (``GET /users/{user}/repos``)."""
        found = []
        try:
            listed = list(
                self._items(f"{self.base_url}/orgs/{owner}/repos", {"type": "all"}, "a repository")
            )
        except HttpStatusError as exc:
            if exc.status != 404:
                raise
            listed = list(
                self._items(
                    f"{self.base_url}/users/{owner}/repos", {"type": "owner"}, "a repository"
                )
            )
        for page_url, item in listed:
            name = _str(item, "full_name", page_url, "a repository")
            url = _optional_str(item, "html_url") or f"https://github.com/{name}"
            found.append((name, url, bool(item.get("archived"))))
        return found

    # -- deployments ----------------------------------------------------------------------

    def deployments(self, repo: str) -> Iterator[Deployment]:
        """Every deployment of ``repo``, newest first; stop iterating to stop paging."""
        for url, entry in self._items(self.url(repo, "deployments"), {}, "a deployment"):
            yield Deployment(
                id=_int(entry, "id", url, "a deployment"),
                sha=_str(entry, "sha", url, "a deployment"),
                environment=_str(entry, "environment", url, "a deployment"),
                created_at=_time(entry, "created_at", url, "deployment"),
            )

    def statuses(self, repo: str, deployment_id: int) -> list[Status]:
        """The statuses of one deployment, oldest first (GitHub lists them newest first)."""
        found: list[Status] = []
        path = self.url(repo, "deployments", str(deployment_id), "statuses")
        for url, entry in self._items(path, {}, "a deployment status"):
            found.append(
                Status(
                    id=_int(entry, "id", url, "a deployment status"),
                    state=_str(entry, "state", url, "a deployment status"),
                    created_at=_time(entry, "created_at", url, "deployment status"),
                    url=_optional_str(entry, "log_url") or _optional_str(entry, "target_url"),
                )
            )
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def compare(self, repo: str, base: str, head: str) -> Comparison:
        """The commits reachable from ``head`` and not from ``base``, every page of them."""
        shas: list[str] = []
        total: int | None = None
        for url, body in self._pages(self.url(repo, "compare", f"{base}...{head}"), {}):
            answer = as_object(body, url, "the answer")
            if total is None and isinstance(answer.get("total_commits"), int):
                total = int(answer["total_commits"])
            for item in as_list(answer.get("commits"), url, "commits"):
                shas.append(_str(as_object(item, url, "a commit"), "sha", url, "a commit"))
        return Comparison(shas, total)

    # -- pull requests --------------------------------------------------------------------

    def pulls(self, repo: str) -> Iterator[PullRequest]:
        """Closed pull requests, most recently updated first; stop iterating to stop paging."""
        params: Params = {"state": "closed", "sort": "updated", "direction": "desc"}
        for url, entry in self._items(self.url(repo, "pulls"), params, "a pull request"):
            yield PullRequest(
                number=_int(entry, "number", url, "a pull request"),
                url=_optional_str(entry, "html_url"),
                created_at=_time(entry, "created_at", url, "pull request"),
                updated_at=_time(entry, "updated_at", url, "pull request"),
                merged_at=_optional_time(entry, "merged_at", url, "pull request"),
                merge_commit_sha=_optional_str(entry, "merge_commit_sha"),
            )

    def pull_commit_dates(self, repo: str, number: int) -> list[datetime]:
        """Author dates (committer date when absent) of a pull request's commits (≤ 250)."""
        dates: list[datetime] = []
        path = self.url(repo, "pulls", str(number), "commits")
        for url, entry in self._items(path, {}, "a commit"):
            commit = as_object(entry.get("commit"), url, "a commit's commit")
            for role in ("author", "committer"):
                person = commit.get(role)
                if isinstance(person, dict) and person.get("date"):
                    dates.append(_time(person, "date", url, f"commit {role}"))
                    break
        return dates

    # -- issues ---------------------------------------------------------------------------

    def issues(self, repo: str, label: str, since: datetime | None) -> Iterator[Issue]:
        """Issues with ``label`` updated at or after ``since``; pull requests are dropped."""
        params: Params = {"labels": label, "state": "all"}
        if since is not None:
            params["since"] = records.cursor_time(since)
        for url, entry in self._items(self.url(repo, "issues"), params, "an issue"):
            if "pull_request" in entry:
                continue
            labels = []
            for item in as_list(entry.get("labels", []), url, "labels"):
                name = item.get("name") if isinstance(item, dict) else item
                if isinstance(name, str):
                    labels.append(name)
            yield Issue(
                number=_int(entry, "number", url, "an issue"),
                title=str(entry.get("title") or ""),
                body=str(entry.get("body") or ""),
                url=_optional_str(entry, "html_url"),
                state=_str(entry, "state", url, "an issue"),
                labels=tuple(labels),
                created_at=_time(entry, "created_at", url, "issue"),
                updated_at=_time(entry, "updated_at", url, "issue"),
                closed_at=_optional_time(entry, "closed_at", url, "issue"),
            )

    # -- releases -------------------------------------------------------------------------

    def releases(self, repo: str) -> Iterator[Release]:
        for url, entry in self._items(self.url(repo, "releases"), {}, "a release"):
            yield Release(
                id=_int(entry, "id", url, "a release"),
                tag=_str(entry, "tag_name", url, "a release"),
                draft=bool(entry.get("draft")),
                prerelease=bool(entry.get("prerelease")),
                published_at=_optional_time(entry, "published_at", url, "release"),
                url=_optional_str(entry, "html_url"),
            )

    def tag_commit(self, repo: str, tag: str) -> str:
        """The commit SHA a tag points at, through annotated tag objects."""
        url = self.url(repo, "git", "ref", "tags", quote(tag, safe="/"))
        target = as_object(
            as_object(self.client.get_json(url), url, "the answer").get("object"), url, "object"
        )
        for _round in range(MAX_TAG_DEPTH):
            kind = _str(target, "type", url, "a tag reference")
            sha = _str(target, "sha", url, "a tag reference")
            if kind == "commit":
                return sha
            if kind != "tag":
                raise MalformedResponseError(
                    short_url(url), _("tag {tag} points at a {kind}").format(tag=tag, kind=kind)
                )
            url = self.url(repo, "git", "tags", sha)
            body = as_object(self.client.get_json(url), url, "the answer")
            target = as_object(body.get("object"), url, "object")
        raise MalformedResponseError(
            short_url(url), _("tag {tag} is nested too deeply").format(tag=tag)
        )
