"""The few GitLab REST API (v4) calls the connector needs, paginated and checked.

Shapes follow GitLab's documentation (``doc/api/*.md``):

* ``GET /projects/:id`` (``:id`` a number or the URL-encoded path, ``group%2Fname``) and
  ``GET /projects?membership=true&pagination=keyset&order_by=id&sort=asc`` (keyset
  pagination: the next page is only in ``Link: <…>; rel="next"``);
* ``GET /projects/:id/deployments?order_by=updated_at&sort=asc&updated_after=&updated_before=``
  (GitLab 16.0+ answers 400 to an ``updated_*`` filter without ``order_by=updated_at``):
  ``[{"id", "iid", "sha", "created_at", "updated_at", "status", "environment": {"id", "name"},
  "deployable": null | {"started_at", "finished_at", "web_url", …}}]``;
* ``GET /projects/:id/deployments/:deployment_id/merge_requests`` — the merge requests first
  deployed to that environment by that deployment, in the merge request list format;
* ``GET /projects/:id/merge_requests?state=merged&order_by=updated_at&sort=asc&updated_after=``:
  ``[{"iid", "created_at", "updated_at", "merged_at", "sha", "merge_commit_sha",
  "squash_commit_sha", "web_url", "references": {"full"}}]``;
* ``GET /projects/:id/merge_requests/:iid/commits``: ``[{"id", "authored_date", …}]``;
* ``GET /projects/:id/dora/metrics?metric=deployment_frequency&interval=daily`` (Ultimate):
  ``[{"date": "2026-01-01", "value": 3}]``.

Offset pagination (every list but the keyset one) follows the ``x-next-page`` header, which
GitLab always sends (empty on the last page). ``x-total``/``x-total-pages`` are omitted above
10,000 records, so they are only used to notice a listing that shrank while it was paged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests

from connectors.core.errors import ConnectorError, MalformedResponseError
from connectors.core.http.client import HeaderAuth, HttpClient, short_url
from connectors.core.http.pagination import LinkHeaderPaginator, Page, Paginator, Params, paginate
from connectors.core.http.shapes import as_list, as_object
from connectors.core.records import cursor_time
from i18n import _

PAGE_SIZE = 100  # GitLab's maximum per_page


class PrivateTokenAuth(HeaderAuth):
    """``PRIVATE-TOKEN: <token>`` (personal, project or group access token)."""

    header = "PRIVATE-TOKEN"


def _header_int(response: requests.Response, name: str) -> int | None:
    value = (response.headers.get(name) or "").strip()
    return int(value) if value.isdigit() else None


class NextPagePaginator(Paginator):
    """GitLab offset pagination: ``?page=N&per_page=M``, the next page from ``x-next-page``.

    Without that header (stripped by a proxy) the ``Link`` next URL's page is used, else a
    full page means there may be another. When the first page reported ``x-total`` and the
    listing ends with fewer items, items moved out of the (time-filtered) listing while it
    was paged — offsets shifted and some item may have been skipped — so the run fails
    instead of storing a hole and moving the cursor past it.
    """

    def __init__(self, per_page: int = PAGE_SIZE, max_pages: int = 10_000) -> None:
        super().__init__(max_pages)
        self.per_page = per_page
        self._total: int | None = None
        self._count = 0

    def reset(self) -> None:
        super().reset()
        self._total, self._count = None, 0

    def start(self, params: Params) -> Params:
        return {**params, "page": 1, "per_page": self.per_page}

    def advance(self, page: Page, url: str, params: Params) -> tuple[str, Params] | None:
        requested = int(params["page"])
        served = _header_int(page.response, "x-page") or requested
        self.guard(url, f"page={served}")
        items = page.body if isinstance(page.body, list) else []
        self._count += len(items)
        if page.number == 1:
            self._total = _header_int(page.response, "x-total")
        following = self._next_page(page, len(items))
        if following is None or not items:
            if self._total is not None and self._count < self._total:
                raise ConnectorError(
                    _(
                        "{short_url} listed {count} of the {total} items its first page "
                        "announced (items left the listing while it was paged, so some may have"
                        " been skipped); nothing was written"
                    ).format(short_url=short_url(url), count=self._count, total=self._total),
                    _(
                        "run the sync again (if it recurs, lower the sync's concurrency or sync"
                        " at a quieter time)"
                    ),
                )
            return None
        return url, {**params, "page": following}

    def _next_page(self, page: Page, count: int) -> int | None:
        header = page.response.headers.get("x-next-page")
        if header is not None:
            text = header.strip()
            return int(text) if text.isdigit() else None
        link = page.response.links.get("next", {}).get("url")
        if link:
            found = parse_qs(urlsplit(link).query).get("page", [""])[-1]
            return int(found) if found.isdigit() else None
        served = _header_int(page.response, "x-page") or page.number
        return served + 1 if count >= self.per_page else None


@dataclass(frozen=True)
class GitLabProject:
    id: int
    path: str  # path_with_namespace, e.g. "acme/platform/billing"
    web_url: str | None


def updated_between(after: datetime | None, before: datetime, **params: str) -> Params:
    """A listing's parameters for items updated between ``after`` and ``before``, oldest update
    first: GitLab 16.0+ refuses an ``updated_*`` filter without ``order_by=updated_at``."""
    found: Params = {
        **params,
        "order_by": "updated_at",
        "sort": "asc",
        "updated_before": cursor_time(before),
    }
    if after is not None:
        found["updated_after"] = cursor_time(after)
    return found


def project_ref(ref: str | int) -> str:
    """``ref`` as the ``:id`` path segment: a number, or the path URL-encoded (``a%2Fb``)."""
    text = str(ref).strip().strip("/")
    return text if text.isdigit() else quote(text, safe="")


def _project(item: Any, url: str) -> GitLabProject:
    entry = as_object(item, url, "a project")
    if not isinstance(entry.get("id"), int) or not isinstance(
        entry.get("path_with_namespace"), str
    ):
        raise MalformedResponseError(
            short_url(url), _("a project without id or path_with_namespace")
        )
    web = entry.get("web_url")
    return GitLabProject(
        entry["id"], entry["path_with_namespace"], web if isinstance(web, str) else None
    )


class GitLabApi:
    """Calls on one :class:`HttpClient` (one per thread) against ``{base_url}/api/v4``."""

    def __init__(self, client: HttpClient, base_url: str, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.root = f"{base_url.rstrip('/')}/api/v4"
        self.page_size = page_size

    def url(self, path: str) -> str:
        return f"{self.root}/{path.lstrip('/')}"

    def _pages(self, path: str, params: Params) -> Iterator[dict[str, Any]]:
        url = self.url(path)
        for page in paginate(self.client, url, params, NextPagePaginator(self.page_size)):
            for item in as_list(page.body, url, "the answer"):
                yield as_object(item, url, "a list item")

    # -- projects -------------------------------------------------------------------------

    def project(self, ref: str | int) -> GitLabProject:
        url = self.url(f"projects/{project_ref(ref)}")
        return _project(self.client.get_json(url), url)

    def member_projects(self) -> list[GitLabProject]:
        """Every non-archived project the token's user is a member of (keyset pagination)."""
        url = self.url("projects")
        params: Params = {
            "membership": "true",
            "archived": "false",
            "simple": "true",
            "pagination": "keyset",
            "order_by": "id",
            "sort": "asc",
            "per_page": self.page_size,
        }
        found: list[GitLabProject] = []
        for page in paginate(self.client, url, params, LinkHeaderPaginator()):
            found.extend(_project(item, url) for item in as_list(page.body, url, "the answer"))
        return found

    # -- delivery -------------------------------------------------------------------------

    def deployments(
        self, project: int, after: datetime | None, before: datetime
    ) -> Iterator[dict[str, Any]]:
        """Deployments updated in (after, before), oldest update first."""
        return self._pages(f"projects/{project}/deployments", updated_between(after, before))

    def deployment_merge_requests(self, project: int, deployment: int) -> list[dict[str, Any]]:
        """The merge requests GitLab linked to ``deployment`` (first deployed to its
        environment by it)."""
        return list(self._pages(f"projects/{project}/deployments/{deployment}/merge_requests", {}))

    def merge_requests(
        self, project: int, after: datetime | None, before: datetime
    ) -> Iterator[dict[str, Any]]:
        """Merged merge requests updated in [after, before], oldest update first."""
        params = updated_between(after, before, state="merged")
        return self._pages(f"projects/{project}/merge_requests", params)

    def deployed_before(
        self, project: int, environment: str, before: datetime, iids: list[int]
    ) -> set[int]:
        """Which of ``iids`` were deployed to ``environment`` before ``before``."""
        url = self.url(f"projects/{project}/merge_requests")
        found: set[int] = set()
        for start in range(0, len(iids), self.page_size):
            chunk = iids[start : start + self.page_size]
            params = {
                "state": "merged",
                "environment": environment,
                "deployed_before": cursor_time(before),
                "iids[]": chunk,
            }
            paginator = NextPagePaginator(self.page_size)
            for page in paginate(self.client, url, params, paginator):  # type: ignore[arg-type]
                for item in as_list(page.body, url, "the answer"):
                    iid = as_object(item, url, "a merge request").get("iid")
                    if isinstance(iid, int):
                        found.add(iid)
        return found

    def merge_request_commits(self, project: int, iid: int) -> list[dict[str, Any]]:
        return list(self._pages(f"projects/{project}/merge_requests/{iid}/commits", {}))

    def deployment_frequency(self, project: int, start: date, end: date) -> dict[date, int]:
        """GitLab's own daily count of successful production deployments (Ultimate only)."""
        url = self.url(f"projects/{project}/dora/metrics")
        body = self.client.get_json(
            url,
            {
                "metric": "deployment_frequency",
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "interval": "daily",
            },
        )
        counts: dict[date, int] = {}
        for item in as_list(body, url, "the answer"):
            entry = as_object(item, url, "a metric")
            day, value = entry.get("date"), entry.get("value")
            if not isinstance(day, str) or not isinstance(value, int | float):
                raise MalformedResponseError(short_url(url), _("a metric without date or value"))
            try:
                counts[date.fromisoformat(day[:10])] = int(value)
            except ValueError:
                raise MalformedResponseError(
                    short_url(url), _("date {day}").format(day=repr(day))
                ) from None
        return counts
