"""The few SonarQube / SonarQube Cloud Web API (v1) calls the connector needs, parsed and checked.

Shapes follow the server's documented examples (``/web_api``):

* ``api/metrics/search``: ``{"metrics": [{"key": …}], "total", "p", "ps"}``
* ``api/projects/search`` (needs *Administer*) and ``api/components/search?qualifiers=TRK``
  (*Browse* is enough): ``{"paging": {"pageIndex", "pageSize", "total"}, "components": […]}``;
  only the former carries ``lastAnalysisDate``.
* ``api/measures/search_history``: paged over *analyses* (``p``/``ps``, at most 1000);
  ``{"measures": [{"metric", "history": [{"date", "value"?}]}]}`` — a point may lack a value.
* ``api/measures/component``: ``{"component": {"measures": [{"metric", "value" | "period"}]}}``;
  new-code metrics carry ``period.value`` (or ``periods[0].value`` before 8.x).
* ``api/qualitygates/project_status``: ``{"projectStatus": {"status": "OK" | "ERROR" | …}}``.

Values arrive as strings and dates as ``2017-03-01T11:39:03+0300``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.core.errors import MalformedResponseError
from connectors.core.http.client import HttpClient
from connectors.core.http.pagination import Page, PageNumberPaginator, paginate
from i18n import _

HISTORY_PAGE_SIZE = 1000
SEARCH_PAGE_SIZE = 500


@dataclass(frozen=True)
class SonarProject:
    key: str
    name: str
    last_analysis: datetime | None


def parse_date(text: str) -> datetime:
    """A SonarQube date (``2017-03-01T11:39:03+0300`` or ISO-8601) in UTC."""
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(text, fmt).astimezone(UTC)
        except ValueError:
            continue
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def format_date(moment: datetime) -> str:
    """The datetime form the ``from`` parameter accepts."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


def _dict(value: Any, url: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedResponseError(url, _("expected {what} to be an object").format(what=what))
    return value


def _list(value: Any, url: str, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedResponseError(url, _("expected {what} to be a list").format(what=what))
    return value


def _paging_total(body: Any) -> int | None:
    paging = body.get("paging") if isinstance(body, dict) else None
    total = paging.get("total") if isinstance(paging, dict) else None
    return total if isinstance(total, int) else None


def _paging_index(body: Any) -> int | None:
    paging = body.get("paging") if isinstance(body, dict) else None
    index = paging.get("pageIndex") if isinstance(paging, dict) else None
    return index if isinstance(index, int) else None


class SonarApi:
    """Calls on one :class:`HttpClient` (one per thread) against ``base_url``."""

    def __init__(self, client: HttpClient, base_url: str, organization: str | None) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.organization = organization

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _org(self) -> dict[str, str | int]:
        return {"organization": self.organization} if self.organization else {}

    def metric_keys(self) -> set[str]:
        """Every metric key the server knows (10.x renamed and deprecated several)."""
        url = self.url("api/metrics/search")
        paginator = PageNumberPaginator(
            page_param="p",
            size_param="ps",
            page_size=SEARCH_PAGE_SIZE,
            items=lambda body: body.get("metrics", []) if isinstance(body, dict) else [],
            total=lambda body: body.get("total") if isinstance(body, dict) else None,
            page_index=lambda body: body.get("p") if isinstance(body, dict) else None,
        )
        keys: set[str] = set()
        for page in paginate(self.client, url, {}, paginator):
            metrics = _list(_dict(page.body, url, "the answer").get("metrics"), url, "metrics")
            keys.update(str(m["key"]) for m in metrics if isinstance(m, dict) and "key" in m)
        return keys

    def _components(self, path: str, page_size: int) -> Iterable[Page]:
        paginator = PageNumberPaginator(
            page_param="p",
            size_param="ps",
            page_size=page_size,
            items=lambda body: body.get("components", []) if isinstance(body, dict) else [],
            total=_paging_total,
            page_index=_paging_index,
        )
        params = {"qualifiers": "TRK", **self._org()}
        return paginate(self.client, self.url(path), params, paginator)

    def projects(self, *, admin: bool, page_size: int = SEARCH_PAGE_SIZE) -> list[SonarProject]:
        """All projects: ``api/projects/search`` when ``admin``, else ``api/components/search``."""
        path = "api/projects/search" if admin else "api/components/search"
        url = self.url(path)
        found: list[SonarProject] = []
        for page in self._components(path, page_size):
            body = _dict(page.body, url, "the answer")
            for item in _list(body.get("components"), url, "components"):
                entry = _dict(item, url, "a component")
                if "key" not in entry:
                    raise MalformedResponseError(url, _("a component without a key"))
                date = entry.get("lastAnalysisDate")
                found.append(
                    SonarProject(
                        key=str(entry["key"]),
                        name=str(entry.get("name", entry["key"])),
                        last_analysis=parse_date(date) if isinstance(date, str) else None,
                    )
                )
        return found

    def history(
        self,
        project: str,
        metrics: list[str],
        since: datetime | None,
        page_size: int = HISTORY_PAGE_SIZE,
    ) -> dict[datetime, dict[str, str]]:
        """``{analysis date: {metric: value}}``; points without a value are left out."""
        url = self.url("api/measures/search_history")
        params: dict[str, str | int] = {"component": project, "metrics": ",".join(metrics)}
        if since is not None:
            params["from"] = format_date(since)
        paginator = PageNumberPaginator(
            page_param="p",
            size_param="ps",
            page_size=page_size,
            items=_history_points,
            total=_paging_total,
            page_index=_paging_index,
        )
        analyses: dict[datetime, dict[str, str]] = {}
        for page in paginate(self.client, url, params, paginator):
            body = _dict(page.body, url, "the answer")
            for measure in _list(body.get("measures"), url, "measures"):
                entry = _dict(measure, url, "a measure")
                metric = str(entry.get("metric", ""))
                for point in _list(entry.get("history", []), url, "history"):
                    item = _dict(point, url, "a history point")
                    if not isinstance(item.get("date"), str):
                        raise MalformedResponseError(url, _("a history point without a date"))
                    values = analyses.setdefault(parse_date(item["date"]), {})
                    if isinstance(item.get("value"), str):
                        values[metric] = item["value"]
        return analyses

    def current(self, project: str, metrics: list[str]) -> dict[str, str]:
        """The latest analysis' measures; new-code metrics read from their period."""
        url = self.url("api/measures/component")
        body = self.client.get_json(url, {"component": project, "metricKeys": ",".join(metrics)})
        component = _dict(_dict(body, url, "the answer").get("component"), url, "component")
        values: dict[str, str] = {}
        for measure in _list(component.get("measures", []), url, "measures"):
            entry = _dict(measure, url, "a measure")
            value = entry.get("value")
            if value is None and isinstance(entry.get("period"), dict):
                value = entry["period"].get("value")
            if value is None and isinstance(entry.get("periods"), list) and entry["periods"]:
                first = entry["periods"][0]
                value = first.get("value") if isinstance(first, dict) else None
            if isinstance(value, str) and "metric" in entry:
                values[str(entry["metric"])] = value
        return values

    def gate(self, project: str) -> str | None:
        """The project's quality gate status, or None when it has none."""
        url = self.url("api/qualitygates/project_status")
        body = self.client.get_json(url, {"projectKey": project})
        status = _dict(_dict(body, url, "the answer").get("projectStatus"), url, "projectStatus")
        value = status.get("status")
        return str(value) if isinstance(value, str) and value != "NONE" else None


def _history_points(body: Any) -> list[Any]:
    """The analyses on a history page (every metric lists the same dates)."""
    measures = body.get("measures") if isinstance(body, dict) else None
    if not isinstance(measures, list) or not measures:
        return []
    first = measures[0]
    history = first.get("history") if isinstance(first, dict) else None
    return history if isinstance(history, list) else []
