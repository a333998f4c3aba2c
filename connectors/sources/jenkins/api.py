"""The one Jenkins remote-access (JSON) call the connector needs, paged, parsed and checked.

``GET {url}/job/<a>/job/<b>/api/json?tree=allBuilds[…]{M,N}`` (Jenkins' *remote access API*,
``…/api/`` on any page):

* ``tree`` names the properties to return, sub-properties in ``[…]``; properties an object
  does not have are left out, so one tree serves Pipeline runs (``changeSets``, a list) and
  freestyle builds (``changeSet``, one object). Every object keeps its ``_class``.
* ``builds`` holds only the newest 100 builds (since Jenkins 1.485); ``allBuilds`` holds
  them all but appears only when asked for by ``tree``.
* A range ``{M,N}`` after an array property returns its elements M (inclusive) to N
  (exclusive), 0-based; builds are listed newest first, so ``{0,100}`` is the newest 100.
* ``actions`` lists every action of a build; those without the requested properties come
  back as ``{}`` or ``{"_class": …}``. The git plugin's ``BuildData`` action carries
  ``lastBuiltRevision.SHA1`` (a Pipeline that loads a shared library has one per checkout,
  each with its ``remoteUrls``).
* ``result`` is ``SUCCESS``, ``UNSTABLE``, ``FAILURE``, ``NOT_BUILT`` or ``ABORTED``, and
  ``null`` while the build runs (``building`` is then true); ``timestamp`` is the start in
  epoch milliseconds and ``duration`` milliseconds (0 while running).

Errors are HTML pages: 404 for a job that does not exist *or that the user may not see*
(Job/Read), 401 for a wrong API token, 403 when the user (or anonymous) lacks Overall/Read.
A reverse proxy's login page answers 200 with HTML, which is reported as such.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from connectors.core.errors import ConnectorError, MalformedResponseError, PaginationLoopError
from connectors.core.http.client import HttpClient, short_url
from i18n import _

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
BUILD_FIELDS = (
    "number,result,building,timestamp,duration,url,"
    "actions[lastBuiltRevision[SHA1],remoteUrls],"
    "changeSets[items[commitId]],changeSet[items[commitId]]"
)


@dataclass(frozen=True)
class Revision:
    """One git ``BuildData`` action: the commit built and the repositories it came from."""

    sha: str
    remote_urls: tuple[str, ...]


@dataclass(frozen=True)
class JenkinsBuild:
    number: int
    result: str | None
    building: bool
    timestamp_ms: int | None
    duration_ms: int | None
    url: str | None
    revisions: tuple[Revision, ...]
    commits: tuple[str, ...]

    @property
    def final(self) -> bool:
        return not self.building and self.result is not None


def job_path(job: str) -> str:
    """``deploy/checkout-api-prod`` → ``job/deploy/job/checkout-api-prod`` (segments quoted)."""
    return "/".join(f"job/{quote(part, safe='')}" for part in job.split("/"))


def tree(start: int, end: int) -> str:
    return f"allBuilds[{BUILD_FIELDS}]{{{start},{end}}}"


def decode(response: requests.Response) -> Any:
    """The JSON body, or a MalformedResponseError that says when it was an HTML page."""
    url = short_url(response.url)
    kind = response.headers.get("Content-Type", "")
    text = response.text.lstrip()[:200].lower()
    if "html" in kind or text.startswith(("<!doctype html", "<html")):
        login = "login" in response.text.lower() or "sign in" in response.text.lower()
        what = "a login page" if login else "an HTML page"
        raise MalformedResponseError(
            url,
            _("{what} instead of JSON ({value}, {len} bytes)").format(
                what=what, value=kind or "no content type", len=len(response.content)
            ),
        )
    try:
        return response.json()
    except ValueError:
        raise MalformedResponseError(
            url,
            _("malformed JSON ({value}, {len} bytes)").format(
                value=kind or "no content type", len=len(response.content)
            ),
        ) from None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _revisions(actions: Any, url: str) -> tuple[Revision, ...]:
    if actions is None:
        return ()
    if not isinstance(actions, list):
        raise MalformedResponseError(url, _("expected a build's actions to be a list"))
    found: list[Revision] = []
    for action in actions:
        if not isinstance(action, dict):
            continue  # Jenkins writes null for actions it cannot serialise
        revision = action.get("lastBuiltRevision")
        sha = revision.get("SHA1") if isinstance(revision, dict) else None
        if isinstance(sha, str) and sha:
            remotes = action.get("remoteUrls")
            urls = (
                tuple(u for u in remotes if isinstance(u, str)) if isinstance(remotes, list) else ()
            )
            found.append(Revision(sha.lower(), urls))
    return tuple(found)


def _commits(build: dict[str, Any], url: str) -> tuple[str, ...]:
    sets: list[Any] = []
    if isinstance(build.get("changeSets"), list):
        sets.extend(build["changeSets"])
    if isinstance(build.get("changeSet"), dict):
        sets.append(build["changeSet"])
    shas: list[str] = []
    for change_set in sets:
        items = change_set.get("items") if isinstance(change_set, dict) else None
        if items is None:
            continue
        if not isinstance(items, list):
            raise MalformedResponseError(url, _("expected a change set's items to be a list"))
        for item in items:
            sha = item.get("commitId") if isinstance(item, dict) else None
            if isinstance(sha, str) and sha:
                shas.append(sha.lower())
    return tuple(dict.fromkeys(shas))


def parse_build(item: Any, url: str) -> JenkinsBuild:
    if not isinstance(item, dict) or _int(item.get("number")) is None:
        raise MalformedResponseError(url, _("expected every build to be an object with a number"))
    result = item.get("result")
    return JenkinsBuild(
        number=item["number"],
        result=result if isinstance(result, str) else None,
        building=item.get("building") is True,
        timestamp_ms=_int(item.get("timestamp")),
        duration_ms=_int(item.get("duration")),
        url=item.get("url") if isinstance(item.get("url"), str) else None,
        revisions=_revisions(item.get("actions"), url),
        commits=_commits(item, url),
    )


class NotAJobError(ConnectorError):
    """The path names a folder (or another item without builds), not a job."""

    def __init__(self, url: str, job: str, kind: str) -> None:
        super().__init__(
            f"{url} is a {kind}, not a job with builds",
            f'name a job inside it: job = "{job}/<job name>" (folders separated by /)',
        )
        self.job = job


FOLDER_DEPTH = 4


def folder_tree(depth: int) -> str:
    """``jobs[fullName,jobs[fullName,…]]`` nested ``depth`` times."""
    inner = "jobs[fullName]"
    for _round in range(depth - 1):
        inner = f"jobs[fullName,{inner}]"
    return inner


class JenkinsApi:
    """Calls on one :class:`HttpClient` (one per thread) against ``base_url``."""

    def __init__(self, client: HttpClient, base_url: str, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size

    def job_url(self, job: str) -> str:
        return f"{self.base_url}/{job_path(job)}/api/json"

    def job_names(self) -> list[str]:
        """Full names of every job, folders (and multibranch projects) opened down to
        ``FOLDER_DEPTH`` levels: one request, the tree naming only ``fullName`` and ``jobs``."""
        url = f"{self.base_url}/api/json"
        body = decode(self.client.get(url, params={"tree": folder_tree(FOLDER_DEPTH)}))
        if not isinstance(body, dict) or not isinstance(body.get("jobs", []), list):
            raise MalformedResponseError(short_url(url), _("expected an object with jobs"))
        names: list[str] = []

        def walk(items: list[Any]) -> None:
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("fullName"), str):
                    raise MalformedResponseError(short_url(url), _("a job without a fullName"))
                children = item.get("jobs")
                if isinstance(children, list):
                    walk(children)
                else:
                    names.append(item["fullName"])

        walk(body.get("jobs", []))
        return sorted(names)

    def builds(self, job: str, stop: int, max_pages: int = 10_000) -> Iterator[JenkinsBuild]:
        """Builds of ``job`` numbered above ``stop``, newest first, one range at a time.

        Paging ends at an empty or short page, or at the first build numbered ``stop`` or
        less. A build started while paging shifts the positions by one, so a build seen
        twice is yielded once; a page of nothing but builds already seen means the server
        ignores the range (a loop), which stops the run."""
        url = self.job_url(job)
        seen: set[int] = set()
        start = 0
        for _round in range(max_pages):
            end = start + self.page_size
            body = decode(self.client.get(url, params={"tree": tree(start, end)}))
            if not isinstance(body, dict):
                raise MalformedResponseError(short_url(url), _("expected a job object"))
            items = body.get("allBuilds")
            if items is None:
                kind = str(body.get("_class", "")).rsplit(".", 1)[-1] or "item"
                raise NotAJobError(short_url(url), job, kind)
            if not isinstance(items, list):
                raise MalformedResponseError(short_url(url), _("expected allBuilds to be a list"))
            builds = [parse_build(item, short_url(url)) for item in items]
            fresh = [b for b in builds if b.number not in seen]
            if builds and not fresh:
                raise PaginationLoopError(short_url(url), f"{{{start},{end}}}")
            for build in fresh:
                seen.add(build.number)
                if build.number <= stop:
                    return
                yield build
            if len(items) < self.page_size:
                return
            start = end
