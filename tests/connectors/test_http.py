"""The shared HTTP client and the paginators, against a real local HTTP server."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from typing import Any

import pytest

from connectors.core.errors import (
    ConnectorError,
    HttpStatusError,
    IncompletePagesError,
    MalformedResponseError,
    PaginationLoopError,
    UnreachableError,
)
from connectors.core.http.client import BearerAuth, HttpClient, HttpSettings, parse_retry_after
from connectors.core.http.pagination import (
    CursorPaginator,
    LinkHeaderPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    paginate,
)
from connectors.core.http.pool import bounded_map
from tests.appserver import free_port
from tests.connector_helpers import Sleeps
from tests.servers.scripted import scripted_server

JSON = {"Content-Type": "application/json"}
FAST = HttpSettings(max_attempts=3, backoff_seconds=0.5, connect_timeout=1, read_timeout=0.3)


def client(sleeps: Sleeps | None = None, settings: HttpSettings = FAST, **kw: Any) -> HttpClient:
    return HttpClient(settings, sleep=sleeps if sleeps is not None else Sleeps(), **kw)


def sequence(*answers: tuple[int, dict[str, str], str]) -> Any:
    queue = list(answers)
    return lambda path, params, headers: queue.pop(0) if len(queue) > 1 else queue[0]


def test_retries_honour_retry_after_then_succeed() -> None:
    route = sequence(
        (429, {"Retry-After": "7"}, ""),
        (503, {}, ""),
        (200, JSON, '{"ok": true}'),
    )
    sleeps = Sleeps()
    with scripted_server(route) as (url, log):
        http = client(sleeps)
        assert http.get_json(f"{url}/x") == {"ok": True}
    assert len(log) == 3 and http.stats.requests == 3 and http.stats.retries == 2
    assert sleeps[0] == 7.0  # Retry-After wins over backoff
    assert 0.5 <= sleeps[1] <= 1.0  # backoff 0.5 × 2 × jitter [0.5, 1]


def test_retry_after_http_date_and_bad_values() -> None:
    now = time.time()
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_retry_after_longer_than_allowed_fails_at_once() -> None:
    sleeps = Sleeps()
    with (
        scripted_server(sequence((429, {"Retry-After": "3600"}, ""))) as (url, log),
        pytest.raises(HttpStatusError) as caught,
    ):
        client(sleeps).get(f"{url}/x")
    assert len(log) == 1 and sleeps == []
    assert caught.value.status == 429
    assert "asked to retry after 3600 s, more than the 120 s allowed" in caught.value.problem


def test_final_error_carries_the_server_message() -> None:
    body = json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error"})
    with (
        scripted_server(sequence((400, JSON, body))) as (url, log),
        pytest.raises(HttpStatusError) as caught,
    ):
        client().get(f"{url}/api/v1/query_range", params={"query": "up"})
    assert len(log) == 1  # 4xx other than 429 is not retried
    assert caught.value.problem == (
        f"400 Bad Request from {url}/api/v1/query_range (bad_data: parse error)"
    )


def test_persistent_5xx_gives_up_after_max_attempts() -> None:
    with (
        scripted_server(sequence((502, {}, "<html>bad gateway</html>"))) as (url, log),
        pytest.raises(HttpStatusError) as caught,
    ):
        client().get(f"{url}/x")
    assert len(log) == 3
    assert caught.value.problem == f"502 Bad Gateway from {url}/x after 3 attempts"


def test_connection_refused_and_read_timeout_are_retried_then_reported() -> None:
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(UnreachableError) as caught:
        client(sleeps).get(f"{url}/x?token=abc")
    assert len(sleeps) == 2
    assert caught.value.problem == f"cannot reach {url}/x (connection refused) after 3 attempts"

    def slow(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        time.sleep(0.6)
        return 200, JSON, "{}"

    with scripted_server(slow) as (url, _log), pytest.raises(UnreachableError) as caught:
        client(settings=HttpSettings(max_attempts=1, read_timeout=0.2)).get(f"{url}/x")
    assert "no answer within 0.2 s" in caught.value.problem


def test_malformed_json_is_a_readable_error() -> None:
    with (
        scripted_server(sequence((200, JSON, "{not json"))) as (url, _log),
        pytest.raises(MalformedResponseError) as caught,
    ):
        client().get_json(f"{url}/x")
    assert caught.value.problem == (
        f"unexpected answer from {url}/x: malformed JSON (application/json, 9 bytes)"
    )


def test_bearer_auth_is_sent_and_never_shown() -> None:
    seen: list[str] = []

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        seen.append(headers.get("Authorization", ""))
        return 200, JSON, "{}"

    with scripted_server(route) as (url, _log):
        http = client(auth=BearerAuth("s3cret-value"))
        http.get_json(f"{url}/x")
    assert seen == ["Bearer s3cret-value"]
    assert "s3cret" not in repr(http.auth)


def pages_of(items: list[int], size: int, page: int) -> list[int]:
    return items[(page - 1) * size : page * size]


def test_page_number_paginator_follows_total() -> None:
    items = list(range(7))

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        page, size = int(params["p"]), int(params["ps"])
        body = {"paging": {"pageIndex": page, "total": 7}, "items": pages_of(items, size, page)}
        return 200, JSON, json.dumps(body)

    paginator = PageNumberPaginator(
        page_param="p",
        size_param="ps",
        page_size=3,
        items=lambda b: b["items"],
        total=lambda b: b["paging"]["total"],
        page_index=lambda b: b["paging"]["pageIndex"],
    )
    with scripted_server(route) as (url, log):
        pages = list(paginate(client(), f"{url}/list", {"q": "x"}, paginator))
    assert [p.body["items"] for p in pages] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [params for _path, params in log] == [
        {"q": "x", "p": "1", "ps": "3"},
        {"q": "x", "p": "2", "ps": "3"},
        {"q": "x", "p": "3", "ps": "3"},
    ]


def test_an_empty_page_before_the_total_fails_instead_of_dropping_the_rest() -> None:
    """Page 2 of 7 items (page size 3) comes back empty: stopping would silently lose 3-6."""

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        page = int(params["p"])
        items = [0, 1, 2] if page == 1 else []  # the server says 7 but serves nothing more
        return 200, JSON, json.dumps({"paging": {"pageIndex": page, "total": 7}, "items": items})

    paginator = PageNumberPaginator(
        page_param="p",
        size_param="ps",
        page_size=3,
        items=lambda b: b["items"],
        total=lambda b: b["paging"]["total"],
        page_index=lambda b: b["paging"]["pageIndex"],
    )
    with scripted_server(route) as (url, _log), pytest.raises(IncompletePagesError) as caught:
        list(paginate(client(), f"{url}/list", {}, paginator))
    assert "page 2 came back empty after 3 of the 7 items" in caught.value.problem
    assert "run it again" in caught.value.fix


def test_page_number_guard_catches_a_server_ignoring_the_page() -> None:
    body = json.dumps({"paging": {"pageIndex": 1, "total": 100}, "items": [1, 2]})
    paginator = PageNumberPaginator(
        page_size=2,
        items=lambda b: b["items"],
        total=lambda b: b["paging"]["total"],
        page_index=lambda b: b["paging"]["pageIndex"],
    )
    with (
        scripted_server(sequence((200, JSON, body))) as (url, log),
        pytest.raises(PaginationLoopError),
    ):
        list(paginate(client(), f"{url}/list", {}, paginator))
    assert len(log) == 2


def test_offset_paginator_without_total_stops_on_a_short_page() -> None:
    items = list(range(5))

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        offset, limit = int(params["offset"]), int(params["limit"])
        return 200, JSON, json.dumps(items[offset : offset + limit])

    paginator = OffsetPaginator(limit=2, items=lambda b: b)
    with scripted_server(route) as (url, _log):
        pages = [p.body for p in paginate(client(), f"{url}/list", {}, paginator)]
    assert pages == [[0, 1], [2, 3], [4]]


def test_cursor_paginator_and_its_repeated_token_guard() -> None:
    chain = {"": ("a", [1]), "a": ("b", [2]), "b": (None, [3])}

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        following, data = chain[params.get("cursor", "")]
        return 200, JSON, json.dumps({"next": following, "data": data})

    paginator = CursorPaginator(next_cursor=lambda b: b["next"])
    with scripted_server(route) as (url, _log):
        assert [p.body["data"] for p in paginate(client(), url, {}, paginator)] == [[1], [2], [3]]
    loop = {"": ("a", [1]), "a": ("b", [2]), "b": ("a", [3])}
    chain.update(loop)
    with scripted_server(route) as (url, _log), pytest.raises(PaginationLoopError) as caught:
        list(paginate(client(), url, {}, paginator))
    assert "repeated page token 'a'" in caught.value.problem


def test_link_header_paginator_and_max_pages() -> None:
    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        page = int(params.get("page", 1))
        links = (
            {"Link": f'<{base}/items?page={page + 1}&per_page=2>; rel="next"'} if page < 3 else {}
        )
        return 200, {**JSON, **links}, json.dumps([page])

    with scripted_server(route) as (base, log):
        pages = [p.body for p in paginate(client(), f"{base}/items", {}, LinkHeaderPaginator())]
        assert pages == [[1], [2], [3]]
        assert log[-1] == ("/items", {"page": "3", "per_page": "2"})
        with pytest.raises(ConnectorError, match="still had pages after 2"):
            list(paginate(client(), f"{base}/items", {}, LinkHeaderPaginator(max_pages=2)))


def test_bounded_map_stops_at_the_first_failure() -> None:
    started: list[int] = []

    def work(item: int) -> int:
        started.append(item)
        if item == 3:
            raise ValueError("boom")
        time.sleep(0.01)
        return item

    with pytest.raises(ValueError, match="boom"):
        list(bounded_map(work, list(range(200)), workers=4))
    assert len(started) < 40  # no more than ~2 × workers queued beyond the failure
    assert sorted(bounded_map(lambda x: x * 2, [1, 2, 3], workers=2)) == [2, 4, 6]


def _reset_in(seconds: int) -> str:
    return str(int(time.time()) + seconds)


def test_quota_headers_wait_for_the_reset_then_retry() -> None:
    """GitHub answers 403 (or 429) with x-ratelimit-remaining 0 when the quota is used up;
    GitLab sends RateLimit-Remaining/RateLimit-Reset. Both are waited out, then retried."""
    route = sequence(
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": _reset_in(40)}, ""),
        (429, {"RateLimit-Remaining": "0", "RateLimit-Reset": _reset_in(20)}, ""),
        (200, JSON, '{"ok": true}'),
    )
    sleeps = Sleeps()
    with scripted_server(route) as (url, log):
        assert client(sleeps).get_json(f"{url}/x") == {"ok": True}
    assert len(log) == 3
    assert 38 <= sleeps[0] <= 40 and 18 <= sleeps[1] <= 20  # epoch-second resets, 1 s slack


def test_secondary_rate_limit_403_with_retry_after_is_retried() -> None:
    route = sequence(
        (403, {"Retry-After": "60"}, '{"message": "secondary rate limit"}'), (200, JSON, "[]")
    )
    sleeps = Sleeps()
    with scripted_server(route) as (url, _log):
        assert client(sleeps).get_json(f"{url}/x") == []
    assert sleeps == [60.0]


def test_plain_403_is_not_retried_and_a_spent_quota_says_rate_limit() -> None:
    plain_403 = (403, JSON, '{"message": "Resource not accessible"}')
    with scripted_server(sequence(plain_403)) as (url, log), pytest.raises(HttpStatusError) as e:
        client().get(f"{url}/x")
    assert len(log) == 1 and "permission" in e.value.fix
    spent = (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": _reset_in(1)}, "")
    with scripted_server(sequence(spent)) as (url, log), pytest.raises(HttpStatusError) as e:
        client().get(f"{url}/x")
    assert len(log) == 3 and "rate limiting" in e.value.fix


def test_a_success_that_spends_the_quota_pauses_the_next_request() -> None:
    route = sequence(
        (200, {**JSON, "x-ratelimit-remaining": "0", "x-ratelimit-reset": _reset_in(30)}, "1"),
        (200, {**JSON, "x-ratelimit-remaining": "4999"}, "2"),
    )
    sleeps = Sleeps()
    with scripted_server(route) as (url, _log):
        http = client(sleeps)
        assert http.get_json(f"{url}/a") == 1 and sleeps == []
        assert http.get_json(f"{url}/b") == 2
    assert len(sleeps) == 1 and 28 <= sleeps[0] <= 30


def test_a_reset_too_far_away_fails_instead_of_waiting() -> None:
    far = (200, {**JSON, "x-ratelimit-remaining": "0", "x-ratelimit-reset": _reset_in(3600)}, "1")
    sleeps = Sleeps()
    with scripted_server(sequence(far)) as (url, _log):
        http = client(sleeps)
        http.get_json(f"{url}/a")
        with pytest.raises(HttpStatusError, match=r"resets in 3[56]\d\d s"):
            http.get_json(f"{url}/b")
    assert sleeps == []


def test_offset_listing_that_ends_before_its_total_fails() -> None:
    pages = {0: ([1, 2], 5), 2: ([], 5)}  # the server said 5 items, then ran dry at offset 2

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        items, total = pages[int(params["offset"])]
        return 200, JSON, json.dumps({"items": items, "total": total})

    paginator = OffsetPaginator(limit=2, items=lambda b: b["items"], total=lambda b: b["total"])
    with scripted_server(route) as (url, _log), pytest.raises(IncompletePagesError):
        list(paginate(client(), f"{url}/x", {}, paginator))


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {
                "errorMessages": ["The value 'OPS' does not exist for the field 'project'."],
                "errors": {},
            },
            "The value 'OPS' does not exist for the field 'project'.",
        ),
        ({"errorMessages": [], "errors": {"jql": "bad"}}, "jql: bad"),
        (
            {
                "error": {
                    "message": "Invalid Input Provided",
                    "code": 2001,
                    "errors": ["Offset must be less than 10000."],
                }
            },
            "Invalid Input Provided; Offset must be less than 10000.",
        ),
    ],
)
def test_error_bodies_of_jira_and_pagerduty_are_read(body: Any, detail: str) -> None:
    answer = sequence((400, JSON, json.dumps(body)))
    with scripted_server(answer) as (url, _log), pytest.raises(HttpStatusError) as failure:
        client().get(f"{url}/x")
    assert failure.value.detail == detail
