"""Credentials stay on the source's origin: a redirect or a next-page link to another scheme,
host or port is refused before anything is sent there (issue 13, "a token follows a redirect").

Two real local servers: ``home`` answers 302 to ``elsewhere`` (another port of 127.0.0.1, so
another origin), and ``elsewhere`` records every header it receives.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.core.errors import CrossOriginError
from connectors.core.http.client import BasicAuth, BearerAuth, HttpClient, HttpSettings, origin_of
from connectors.core.http.pagination import LinkHeaderPaginator, paginate
from connectors.sources.gitlab.streams import PrivateTokenAuth
from tests.connector_helpers import (
    Sleeps,
    assert_one_line_error,
    set_token,
    sync_source,
    warehouse_of,
    write_sources,
)
from tests.servers.scripted import scripted_server

JSON = {"Content-Type": "application/json"}
FAST = HttpSettings(max_attempts=1, connect_timeout=1, read_timeout=2)
SECRET = "s3cr3t-token-value"


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A second origin that records the headers of every request it gets."""
    seen: list[dict[str, str]] = []

    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        seen.append(headers)
        return 200, JSON, "{}"

    with scripted_server(route) as (url, _log):
        yield url, seen


def redirecting_to(target: str, *, status: int = 302) -> Any:
    """A route answering every path with ``status`` and ``Location: target + path``."""
    return lambda path, params, headers: (status, {"Location": f"{target}{path}"}, "")


AUTH_STYLES = {
    "bearer": {"auth": BearerAuth(SECRET)},
    "basic": {"auth": BasicAuth("ci-bot", SECRET)},
    "token header": {"auth": PrivateTokenAuth(SECRET)},
    "custom headers": {"headers": {"X-Scope-OrgID": "acme", "X-Api-Key": SECRET}},
}


@pytest.mark.parametrize("style", AUTH_STYLES, ids=list(AUTH_STYLES))
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_port_is_refused_and_nothing_reaches_it(
    style: str, status: int, elsewhere: tuple[str, list[dict[str, str]]]
) -> None:
    target, seen = elsewhere
    with scripted_server(redirecting_to(target, status=status)) as (home, _log):
        http = HttpClient(FAST, sleep=Sleeps(), origin=home, **AUTH_STYLES[style])
        with pytest.raises(CrossOriginError) as raised:
            http.get(f"{home}/api/v4/projects")
    assert seen == [], "the second origin was contacted"
    text = str(raised.value)
    port = origin_of(target)[2]
    assert f"127.0.0.1:{port}" in text and "set url to it in the sources file" in text
    assert SECRET not in text


def test_a_next_page_link_to_another_origin_is_refused(
    elsewhere: tuple[str, list[dict[str, str]]],
) -> None:
    target, seen = elsewhere
    next_link = {"Link": f'<{target}/page2>; rel="next"', **JSON}
    with scripted_server(lambda p, q, h: (200, next_link, "[1]")) as (home, _log):
        http = HttpClient(FAST, sleep=Sleeps(), origin=home, auth=BearerAuth(SECRET))
        with pytest.raises(CrossOriginError):
            list(paginate(http, f"{home}/items", {}, LinkHeaderPaginator()))
    assert seen == []


def test_without_an_explicit_origin_the_first_request_pins_it(
    elsewhere: tuple[str, list[dict[str, str]]],
) -> None:
    """A connector with a built-in default URL (api.github.com) passes none: the first URL
    requested is the origin from then on."""
    target, seen = elsewhere
    with scripted_server(lambda p, q, h: (200, JSON, "{}")) as (home, _log):
        http = HttpClient(FAST, sleep=Sleeps(), auth=BearerAuth(SECRET))
        assert http.get_json(f"{home}/first") == {}
        with pytest.raises(CrossOriginError):
            http.get(f"{target}/second")
    assert seen == []


def test_same_origin_redirects_keep_the_credentials() -> None:
    def route(path: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        if path == "/old":
            return 301, {"Location": "/new"}, ""
        return 200, JSON, f'{{"auth": "{headers.get("PRIVATE-TOKEN", "")}"}}'

    with scripted_server(route) as (home, _log):
        http = HttpClient(FAST, sleep=Sleeps(), origin=home, auth=PrivateTokenAuth(SECRET))
        assert http.get_json(f"{home}/old") == {"auth": SECRET}


def test_without_credentials_a_redirect_is_followed(
    elsewhere: tuple[str, list[dict[str, str]]],
) -> None:
    """Nothing secret to leak (auth = "none", standard headers only): follow as a browser would."""
    target, seen = elsewhere
    with scripted_server(redirecting_to(target)) as (home, _log):
        http = HttpClient(FAST, sleep=Sleeps(), origin=home)
        assert http.get_json(f"{home}/metrics") == {}
    assert len(seen) == 1


def test_another_scheme_on_the_same_host_and_port_is_another_origin() -> None:
    assert origin_of("http://gitlab.acme:80/x") == origin_of("http://GitLab.acme/y")
    assert origin_of("https://gitlab.acme/x") != origin_of("http://gitlab.acme:443/x")
    assert origin_of("https://gitlab.acme/x") == origin_of("https://gitlab.acme:443/x")


def test_a_gitlab_sync_names_the_source_and_the_host_and_stores_nothing(
    elsewhere: tuple[str, list[dict[str, str]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reproduction from the issue: token_header = "private-token", the server answers 302
    to a second address. Before the fix, PRIVATE-TOKEN reached it."""
    target, seen = elsewhere
    set_token(monkeypatch, "GL_ORIGIN_TOKEN", SECRET)
    db = warehouse_of(tmp_path / "w.duckdb", "web")
    with scripted_server(redirecting_to(target)) as (home, _log):
        config = write_sources(
            tmp_path / "s.toml",
            f"""[sources.gl]
type = "gitlab"
url = "{home}"
auth = "bearer"
token_env = "GL_ORIGIN_TOKEN"
token_header = "private-token"
projects = ["acme/web"]

[sources.gl.services]
"acme/web" = "web"
""",
        )
        result = sync_source(config, db)
    assert_one_line_error(result, "gl", f"127.0.0.1:{origin_of(target)[2]}")
    assert SECRET not in (result.error or "")
    assert seen == [], "PRIVATE-TOKEN went to the second origin"


def test_requests_alone_would_leak_the_token_header(
    elsewhere: tuple[str, list[dict[str, str]]],
) -> None:
    """The premise of this file, kept honest: a plain requests.Session does send
    PRIVATE-TOKEN on a cross-host redirect, so the refusal above is what protects it."""
    target, seen = elsewhere
    with scripted_server(redirecting_to(target)) as (home, _log):
        session = requests.Session()
        session.auth = PrivateTokenAuth(SECRET)
        session.get(f"{home}/x", timeout=2)
    assert [h.get("PRIVATE-TOKEN") for h in seen] == [SECRET]
