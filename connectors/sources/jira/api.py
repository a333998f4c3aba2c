"""The few Jira REST calls the Jira connector needs, parsed and checked.

Shapes follow Atlassian's REST references:

* Cloud ``GET /rest/api/3/search/jql`` (``jql``, ``fields``, ``expand``, ``maxResults``,
  ``nextPageToken``): ``{"issues": […], "nextPageToken"?, "isLast"}``. No ``total``; the token
  is absent on the last page. ``/rest/api/{2,3}/search`` answer ``410 Gone`` on Cloud since
  the 2025 deprecation and are never called for ``flavor = "cloud"``.
* Data Center ``GET /rest/api/2/search`` (``startAt``, ``maxResults``): ``{"startAt",
  "maxResults", "total", "issues"}``; the server may serve fewer issues than asked.
* ``expand=changelog`` embeds ``{"startAt", "maxResults", "total", "histories": […]}``. Cloud's
  search embeds only the most recent entries (40 on the new endpoint); when ``total`` says more
  exist, Cloud's ``GET /rest/api/3/issue/{key}/changelog`` (``startAt``/``maxResults`` ≤ 100,
  ``{"values", "total", "isLast"}``, oldest first) gives them all. Data Center embeds the
  whole changelog; ``GET /rest/api/2/issue/{key}?expand=changelog`` is the fallback there.
* ``GET /rest/api/{3,2}/status``: ``[{"id", "name", "statusCategory": {"key": "done" | …}}]``.
* Errors: ``{"errorMessages": […], "errors": {field: message}}`` — HttpClient does not read
  this shape, so a response hook keeps the last one to put in the failure message.

Times arrive as ``2026-01-05T10:00:00.000+0900`` (the user's zone) and become UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from connectors.core.errors import HttpStatusError, IncompletePagesError, MalformedResponseError
from connectors.core.http.client import HttpClient, short_url
from connectors.core.http.pagination import CursorPaginator, OffsetPaginator, Page, Params, paginate
from connectors.core.http.shapes import as_list, as_object
from connectors.core.redact import redact
from i18n import _

CHANGELOG_PAGE_SIZE = 100  # the documented maximum of /issue/{key}/changelog


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: str  # "new", "indeterminate" or "done"


class ErrorBodies:
    """A session response hook remembering Jira's explanation of the last error answer."""

    def __init__(self) -> None:
        self.message = ""
        self.denied = ""

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code < 400:
            return
        self.message = redact(jira_error(response))
        self.denied = response.headers.get("X-Authentication-Denied-Reason", "")

    def explain(self, exc: HttpStatusError) -> HttpStatusError:
        """``exc`` with Jira's own message as its detail (when the generic client found none)."""
        if not self.message or exc.detail:
            return exc
        return HttpStatusError(exc.status, exc.reason, exc.url, self.message, exc.attempts)


def jira_error(response: requests.Response) -> str:
    """``errorMessages`` and ``errors`` of a Jira error body, else its first line of text."""
    try:
        body = response.json()
    except ValueError:
        lines = response.text.strip().splitlines()
        return lines[0][:300] if lines and "<" not in lines[0] else ""
    if not isinstance(body, dict):
        return ""
    parts = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {text}" for field, text in errors.items()]
    if not parts and body.get("message"):
        parts.append(str(body["message"]))
    return "; ".join(parts)[:500]


def _int(body: Any, key: str) -> int | None:
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class CheckedOffsets(OffsetPaginator):
    """``startAt``/``maxResults`` paging that fails on an empty page before ``total`` (the
    listing changed mid-sync: stopping would drop the rest) and honours ``isLast``."""

    def advance(self, page: Page, url: str, params: Params) -> tuple[str, Params] | None:
        offset = int(params[self.offset_param])
        total = self.total(page.body) if self.total else None
        if not self.items(page.body) and total is not None and offset < total:
            raise IncompletePagesError(short_url(url), page.number, offset, total)
        following = super().advance(page, url, params)
        if isinstance(page.body, dict) and page.body.get("isLast") is True:
            return None
        return following


class JiraApi:
    """Calls on one :class:`HttpClient` against ``base_url`` (``cloud``: API v3, else v2)."""

    def __init__(self, client: HttpClient, base_url: str, flavor: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.cloud = flavor == "cloud"
        self.version = "3" if self.cloud else "2"
        self.errors = ErrorBodies()
        client.hooks["response"].append(self.errors)

    def url(self, path: str) -> str:
        return f"{self.base_url}/rest/api/{self.version}/{path}"

    def statuses(self) -> list[Status]:
        url = self.url("status")
        found = []
        for item in as_list(self.client.get_json(url), url, "the status list"):
            entry = as_object(item, url, "a status")
            category = entry.get("statusCategory")
            key = category.get("key") if isinstance(category, dict) else None
            if "id" not in entry or "name" not in entry:
                raise MalformedResponseError(short_url(url), _("a status without id or name"))
            found.append(Status(str(entry["id"]), str(entry["name"]), str(key or "")))
        return found

    def components(self, project: str) -> list[str]:
        """Names of a project's components (``GET …/project/{key}/components``, one list)."""
        url = self.url(f"project/{quote(project, safe='')}/components")
        names = []
        for item in as_list(self.client.get_json(url), url, "the component list"):
            entry = as_object(item, url, "a component")
            if not isinstance(entry.get("name"), str):
                raise MalformedResponseError(short_url(url), _("a component without a name"))
            names.append(entry["name"])
        return names

    def search(self, jql: str, fields: list[str], page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of issues matching ``jql``, each with ``fields`` and its changelog."""
        params: dict[str, str | int] = {
            "jql": jql,
            "fields": ",".join(fields),
            "expand": "changelog",
        }
        if self.cloud:
            url = self.url("search/jql")
            params["maxResults"] = page_size
            paginator: CursorPaginator | CheckedOffsets = CursorPaginator(
                cursor_param="nextPageToken", next_cursor=lambda body: _next_token(body, url)
            )
        else:
            url = self.url("search")
            paginator = CheckedOffsets(
                offset_param="startAt",
                limit_param="maxResults",
                limit=page_size,
                items=_issues_or_empty,
                total=lambda body: _int(body, "total"),
            )
        for page in paginate(self.client, url, params, paginator):
            body = as_object(page.body, url, "the search answer")
            issues = [_issue(item, url) for item in as_list(body.get("issues"), url, "issues")]
            yield issues

    def changelog(self, key: str) -> list[dict[str, Any]]:
        """Every changelog entry of issue ``key`` (when the embedded one was cut short)."""
        if not self.cloud:
            url = self.url(f"issue/{quote(key)}")
            body = as_object(
                self.client.get_json(url, {"fields": "status", "expand": "changelog"}),
                url,
                "the issue",
            )
            log = as_object(body.get("changelog"), url, "changelog")
            return [
                as_object(h, url, "a history")
                for h in as_list(log.get("histories"), url, "histories")
            ]
        url = self.url(f"issue/{quote(key)}/changelog")
        paginator = CheckedOffsets(
            offset_param="startAt",
            limit_param="maxResults",
            limit=CHANGELOG_PAGE_SIZE,
            items=lambda body: body.get("values", []) if isinstance(body, dict) else [],
            total=lambda body: _int(body, "total"),
        )
        found: list[dict[str, Any]] = []
        for page in paginate(self.client, url, {}, paginator):
            body = as_object(page.body, url, "the changelog page")
            found += [
                as_object(h, url, "a history") for h in as_list(body.get("values"), url, "values")
            ]
        return found


def _next_token(body: Any, url: str) -> str | None:
    """The next page's token; none on the last page (``isLast``, or no token at all)."""
    if not isinstance(body, dict) or body.get("isLast") is True:
        return None
    token = body.get("nextPageToken")
    if isinstance(token, str) and token:
        return token
    if body.get("isLast") is False:  # more pages, but no way to ask for them
        raise MalformedResponseError(short_url(url), _("isLast is false but no nextPageToken"))
    return None


def _issues_or_empty(body: Any) -> list[Any]:
    issues = body.get("issues") if isinstance(body, dict) else None
    return issues if isinstance(issues, list) else []


def _issue(item: Any, url: str) -> dict[str, Any]:
    issue = as_object(item, url, "an issue")
    if not isinstance(issue.get("key"), str) or not issue["key"]:
        raise MalformedResponseError(short_url(url), _("an issue without a key"))
    as_object(issue.get("fields"), url, f"the fields of {issue['key']}")
    return issue


def embedded_changelog(issue: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The changelog entries embedded in a search result, and whether they are all of them."""
    log = issue.get("changelog")
    if not isinstance(log, dict):
        return [], False
    histories = [h for h in log.get("histories") or [] if isinstance(h, dict)]
    total = _int(log, "total")
    start = _int(log, "startAt") or 0
    complete = start == 0 and (total is None or len(histories) >= total)
    return histories, complete
