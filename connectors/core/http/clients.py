"""The HTTP clients of one source run: credentials from the source, a pool from the run.

Every HTTP connector builds its :class:`~connectors.core.http.client.ClientPool` the same
way — the run's timeouts and request counter, the test's ``sleep`` when one is injected — and
must close it and explain a failure in its own terms however the run ends. Doing that here
keeps a new connector from forgetting one of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

import requests

from connectors.core.base import SourceContext
from connectors.core.config import SourceConfig
from connectors.core.errors import ConnectorError
from connectors.core.http.client import BasicAuth, BearerAuth, ClientPool


def token_auth(
    source: SourceConfig, *, token_as_login: bool = False
) -> BearerAuth | BasicAuth | None:
    """The source's ``auth``: nothing, ``Bearer <token>``, or basic auth with ``username`` and
    the token as password — or, with ``token_as_login`` (older SonarQube), the token as login
    and no password. The token is only read here, when a run needs it."""
    if source.auth == "none":
        return None
    token = source.require_token().value
    if source.auth == "bearer":
        return BearerAuth(token)
    if token_as_login:
        return BasicAuth(token, "")
    return BasicAuth(source.username or "", token)


T = TypeVar("T")  # what a unit of work yields: records, or discovered things


def client_pool(
    ctx: SourceContext,
    auth: requests.auth.AuthBase | None = None,
    headers: Mapping[str, str] | None = None,
) -> ClientPool:
    """A pool on the run's HTTP settings and statistics, its credentials pinned to the source's
    configured URL (``ctx.url``); tests inject ``ctx.sleep`` so retries and rate-limit waits
    cost no time."""
    return ClientPool(
        ctx.http,
        auth=auth,
        stats=ctx.stats,
        sleep=ctx.sleep if ctx.sleep is not None else time.sleep,
        headers=headers,
        origin=ctx.url or None,
    )


def extract_with(
    ctx: SourceContext,
    work: Callable[[ClientPool], Iterable[T]],
    explain: Callable[[ConnectorError], ConnectorError],
    *,
    auth: requests.auth.AuthBase | None = None,
    headers: Mapping[str, str] | None = None,
) -> Iterator[T]:
    """The records of ``work`` run on a new pool: a failure leaves as ``explain`` words it (the
    connector knows which option to fix), and the pool is closed however the run ends."""
    pool = client_pool(ctx, auth, headers)
    try:
        yield from work(pool)
    except ConnectorError as exc:
        raise explain(exc) from None
    finally:
        pool.close()


def unreachable_fix(exc: ConnectorError, fix: str) -> ConnectorError:
    """``exc`` with ``fix`` instead of the client's generic "check the url in the sources
    file" (the connector can name its table and the server it expected); else unchanged."""
    return exc.with_fix(fix) if exc.fix.startswith("check the url") else exc


def retry_later(section: str, quota: str = "") -> str:
    """The fix for a 429 that outlasted the client's retries; ``quota`` names the API's."""
    return f"rate limited even after retries{quota}; lower concurrency in {section} or retry later"
