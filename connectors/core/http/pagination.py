"""Pagination strategies as small classes, each with a loop guard (after dlt and the Singer SDK).

A paginator looks at the page just fetched and says which request comes next, or ``None``.
Every page yields a *token* (page index, offset, cursor or next URL); a token seen twice means
the server is not advancing, and :class:`~connectors.core.errors.PaginationLoopError` stops the run
instead of looping forever. ``max_pages`` is a second, blunt guard.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.core.errors import ConnectorError, IncompletePagesError, PaginationLoopError
from connectors.core.http.client import HttpClient, decode_json, short_url

Params = dict[str, str | int]
BodyInt = Callable[[Any], int | None]
BodyItems = Callable[[Any], list[Any]]


@dataclass(frozen=True)
class Page:
    """One fetched page: its decoded JSON body and the raw response (for headers)."""

    number: int
    body: Any
    response: requests.Response


class Paginator(ABC):
    """Chooses the next request; subclasses implement :meth:`start` and :meth:`advance`."""

    def __init__(self, max_pages: int = 10_000) -> None:
        self.max_pages = max_pages
        self._seen: set[str] = set()

    def reset(self) -> None:
        self._seen.clear()

    def start(self, params: Params) -> Params:
        """Parameters of the first request."""
        return dict(params)

    @abstractmethod
    def advance(self, page: Page, url: str, params: Params) -> tuple[str, Params] | None:
        """The next (url, params), or None when ``page`` was the last one."""

    def guard(self, url: str, token: str) -> None:
        """Raise when ``token`` was already handed out in this pagination."""
        if token in self._seen:
            raise PaginationLoopError(short_url(url), token)
        self._seen.add(token)


class PageNumberPaginator(Paginator):
    """``?p=1&ps=100``, ``?p=2&ps=100`` … (SonarQube, many REST APIs).

    Stops when the reported total is reached, or without a total when a page comes back
    short. ``page_index`` reads the page number the server says it served; a server that
    ignores the page parameter is caught by the loop guard.
    """

    def __init__(
        self,
        *,
        page_param: str = "page",
        size_param: str = "per_page",
        page_size: int = 100,
        items: BodyItems,
        total: BodyInt | None = None,
        page_index: BodyInt | None = None,
        first_page: int = 1,
        max_pages: int = 10_000,
    ) -> None:
        super().__init__(max_pages)
        self.page_param, self.size_param, self.page_size = page_param, size_param, page_size
        self.items, self.total, self.page_index = items, total, page_index
        self.first_page = first_page

    def start(self, params: Params) -> Params:
        return {**params, self.page_param: self.first_page, self.size_param: self.page_size}

    def advance(self, page: Page, url: str, params: Params) -> tuple[str, Params] | None:
        requested = int(params[self.page_param])
        reported = self.page_index(page.body) if self.page_index else None
        self.guard(url, f"{self.page_param}={reported if reported is not None else requested}")
        count = len(self.items(page.body))
        total = self.total(page.body) if self.total else None
        served = (requested - self.first_page + 1) * self.page_size
        seen = served - self.page_size
        if count == 0 and total is not None and seen < total:
            raise IncompletePagesError(url, requested, seen, total)
        if count == 0 or (total is not None and served >= total):
            return None
        if total is None and count < self.page_size:
            return None
        return url, {**params, self.page_param: requested + 1}


class OffsetPaginator(Paginator):
    """``?offset=0&limit=100``, ``?offset=100&limit=100`` …"""

    def __init__(
        self,
        *,
        offset_param: str = "offset",
        limit_param: str = "limit",
        limit: int = 100,
        items: BodyItems,
        total: BodyInt | None = None,
        max_pages: int = 10_000,
    ) -> None:
        super().__init__(max_pages)
        self.offset_param, self.limit_param, self.limit = offset_param, limit_param, limit
        self.items, self.total = items, total

    def start(self, params: Params) -> Params:
        return {**params, self.offset_param: 0, self.limit_param: self.limit}

    def advance(self, page: Page, url: str, params: Params) -> tuple[str, Params] | None:
        offset = int(params[self.offset_param])
        self.guard(url, f"{self.offset_param}={offset}")
        count = len(self.items(page.body))
        total = self.total(page.body) if self.total else None
        if count == 0 and total is not None and offset < total:
            raise IncompletePagesError(url, offset // max(1, self.limit) + 1, offset, total)
        if count == 0 or (total is not None and offset + count >= total):
            return None
        if total is None and count < self.limit:
            return None
        return url, {**params, self.offset_param: offset + count}


class CursorPaginator(Paginator):
    """``?cursor=<token from the previous page>`` until the server returns no token."""

    def __init__(
        self,
        *,
        cursor_param: str = "cursor",
        next_cursor: Callable[[Any], str | None],
        max_pages: int = 10_000,
    ) -> None:
        super().__init__(max_pages)
        self.cursor_param, self.next_cursor = cursor_param, next_cursor

    def advance(self, page: Page, url: str, params: Params) -> tuple[str, Params] | None:
        token = self.next_cursor(page.body)
        if not token:
            return None
        self.guard(url, token)
        return url, {**params, self.cursor_param: token}


class LinkHeaderPaginator(Paginator):
    """RFC 8288 ``Link: <…>; rel="next"`` (GitHub, GitLab): follow the next URL verbatim."""

    def advance(self, page: Page, url: str, params: Params) -> tuple[str, Params] | None:
        following = page.response.links.get("next", {}).get("url")
        if not following:
            return None
        self.guard(url, following)
        return following, {}  # the next URL already carries every parameter


def paginate(
    client: HttpClient,
    url: str,
    params: Mapping[str, str | int],
    paginator: Paginator,
) -> Iterator[Page]:
    """Yield every page of ``url`` as ``paginator`` directs."""
    paginator.reset()
    current_url, current = url, paginator.start(dict(params))
    for number in range(1, paginator.max_pages + 1):
        response = client.get(current_url, params=current or None)
        page = Page(number, decode_json(response), response)
        yield page
        following = paginator.advance(page, current_url, current)
        if following is None:
            return
        current_url, current = following
    raise ConnectorError(
        f"{short_url(url)} still had pages after {paginator.max_pages}",
        "narrow the request (filters, page size) or raise max_pages",
    )
