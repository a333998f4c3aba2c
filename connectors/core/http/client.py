"""The one HTTP client every connector uses (DESIGN.md §4).

:class:`HttpClient` is a ``requests.Session`` whose ``request`` adds what every source needs:
connect/read timeouts by default, retries with exponential backoff on 429, 5xx and connection
errors that honour ``Retry-After``, a request counter, and one readable exception for a final
failure (:class:`~connectors.core.errors.HttpStatusError`,
:class:`~connectors.core.errors.UnreachableError`).
Because the retry lives in ``request`` itself, libraries handed this session (such as
``prometheus-api-client``) get the same policy. All connector requests are reads, so every
method is retried. Sessions are not thread-safe: concurrent code uses one client per thread
(:class:`ClientPool`).
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from connectors.core.errors import (
    CrossOriginError,
    HttpStatusError,
    MalformedResponseError,
    UnreachableError,
)
from connectors.core.redact import redact

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Headers every request carries that are not credentials; any other session header (a source's
# ``[headers]``, PagerDuty's ``Accept`` aside) may be one, so it never leaves the origin.
HARMLESS_HEADERS = frozenset(
    {"user-agent", "accept", "accept-encoding", "connection", "content-type"}
)
USER_AGENT = "TechPulse-connectors/0.1 (+https://github.com/techpulse)"


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts and retry policy; the ``[settings]`` table of the sources file."""

    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_attempts: int = 4
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    pool_size: int = 16


class HeaderAuth(requests.auth.AuthBase):
    """A token sent in one header after a scheme (``Authorization: Bearer <token>``,
    ``PRIVATE-TOKEN: <token>``): subclasses set :attr:`header` and :attr:`scheme`. The repr
    (``BearerAuth(***)``) never shows the token, so an auth object in a log or a traceback
    leaks nothing."""

    header = "Authorization"
    scheme = ""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = f"{self.scheme}{self._token}"
        return request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(***)"


class BearerAuth(HeaderAuth):
    """``Authorization: Bearer <token>``."""

    scheme = "Bearer "


class BasicAuth(requests.auth.HTTPBasicAuth):
    """HTTP Basic auth whose repr never shows the password (or a token used as login)."""

    def __repr__(self) -> str:
        return "BasicAuth(***)"


class HttpStats:
    """Requests sent (attempts included) and retries, shared by the clients of one source run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0

    def count(self, *, retry: bool) -> None:
        with self._lock:
            self.requests += 1
            self.retries += int(retry)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


_REMAINING = ("x-ratelimit-remaining", "ratelimit-remaining")
_RESET = ("x-ratelimit-reset", "ratelimit-reset")


def _parse_reset(value: str, now: float) -> float | None:
    """Seconds until a rate-limit reset: epoch seconds (GitHub, GitLab), a delta, or ISO-8601
    (Jira Cloud)."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - now)
    return max(0.0, number - now) if number > 1_000_000_000 else max(0.0, number)


def rate_limit_wait(response: requests.Response, now: float | None = None) -> float | None:
    """Seconds until the quota resets when ``response`` says none is left, else None.

    Reads ``x-ratelimit-remaining``/``x-ratelimit-reset`` (GitHub, Jira) and
    ``RateLimit-Remaining``/``RateLimit-Reset`` (GitLab)."""
    current = time.time() if now is None else now
    for remaining, reset in zip(_REMAINING, _RESET, strict=True):
        left = response.headers.get(remaining)
        if left is None or left.strip() not in {"0", "0.0"}:
            continue
        when = response.headers.get(reset)
        return _parse_reset(when, current) if when else None
    return None


def origin_of(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``, the default port made explicit: the unit a credential
    belongs to (RFC 6454)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def origin_label(origin: tuple[str, str, int | None]) -> str:
    """``scheme://host:port`` for a message (never a path, query or userinfo)."""
    scheme, host, port = origin
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def short_url(url: str) -> str:
    """``url`` without query string or credentials: enough to name it in a message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def error_detail(response: requests.Response) -> str:
    """The server's own explanation from an error body, redacted (a server may echo a header)."""
    return redact(_error_detail(response))


def _error_detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().splitlines()
        return text[0][:200] if text and "<" not in text[0] else ""
    if not isinstance(body, dict):
        return ""
    if isinstance(body.get("error"), str):  # Prometheus: {"errorType": ..., "error": ...}
        kind = body.get("errorType")
        return f"{kind}: {body.get('error')}" if kind else str(body.get("error"))
    if isinstance(body.get("error"), dict):  # PagerDuty: {"error": {"message", "errors"}}
        inner = body["error"]
        parts = [str(inner.get("message") or "")]
        parts += [str(e) for e in inner.get("errors") or [] if isinstance(e, str)]
        return "; ".join(p for p in parts if p)[:300]
    if isinstance(body.get("errorMessages"), list):  # Jira: {"errorMessages", "errors"}
        parts = [str(m) for m in body["errorMessages"]]
        fields = body.get("errors")
        if isinstance(fields, dict):
            parts += [f"{k}: {v}" for k, v in fields.items()]
        return "; ".join(p for p in parts if p)[:300]
    errors = body.get("errors")
    if isinstance(errors, list):
        msgs = [str(e.get("msg", e.get("message", ""))) for e in errors if isinstance(e, dict)]
        return "; ".join(m for m in msgs if m)[:300]
    message = body.get("message")
    return str(message)[:300] if message else ""


def _connection_reason(exc: requests.RequestException, read_timeout: float) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.ReadTimeout):
        return f"no answer within {read_timeout:g} s"
    text = str(exc)
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if match:
        return match.group(1).strip().lower()
    if "SSL" in text or "certificate" in text:
        return "TLS handshake failed"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "connection closed by the server"
    return type(exc).__name__


class HttpClient(requests.Session):
    """A session with default timeouts, retries and readable errors (see the module docstring).

    ``sleep`` is injectable so tests can observe backoff without waiting for it.

    Credentials stay on one origin (scheme, host and port): ``origin`` is the source's
    configured URL, or — when a connector has none — the first URL requested. A request to
    another origin, or a redirect to one, is refused with :class:`CrossOriginError` whenever
    the session carries credentials (its auth or any non-standard header), because requests
    itself only strips ``Authorization`` and would send ``PRIVATE-TOKEN`` or a custom header
    on. No API TechPulse reads documents a credential-free cross-origin redirect for the
    endpoints it calls, so none is followed.
    """

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        auth: requests.auth.AuthBase | None = None,
        stats: HttpStats | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers: Mapping[str, str] | None = None,
        origin: str | None = None,
    ) -> None:
        super().__init__()
        self.origin = origin_of(origin) if origin else None
        self.settings = settings or HttpSettings()
        self.stats = stats or HttpStats()
        self._sleep = sleep
        self._paused_until = 0.0
        self.auth = auth
        self.headers["User-Agent"] = USER_AGENT
        self.headers["Accept"] = "application/json"
        self.headers.update(headers or {})
        adapter = HTTPAdapter(
            pool_connections=self.settings.pool_size, pool_maxsize=self.settings.pool_size
        )
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send with retries; raise HttpStatusError / UnreachableError on a final failure."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (self.settings.connect_timeout, self.settings.read_timeout)
        verb = method.decode() if isinstance(method, bytes) else method
        target = url.decode() if isinstance(url, bytes) else url
        name = short_url(target)
        self._check_origin(target, target)
        attempts = max(1, self.settings.max_attempts)
        send = super().request
        too_long: float | None = None
        for attempt in range(1, attempts + 1):
            self._wait_for_quota(name)
            self.stats.count(retry=attempt > 1)
            try:
                response = send(verb, target, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = redact(_connection_reason(exc, self.settings.read_timeout))
                if attempt == attempts:
                    raise UnreachableError(name, reason, attempts) from None
                pause = self._backoff(attempt)
                log.info("%s: %s; retry %d in %.1f s", name, reason, attempt, pause)
                self._sleep(pause)
                continue
            quota = rate_limit_wait(response)
            limited = response.status_code in (403, 429) and (
                quota is not None or "Retry-After" in response.headers
            )
            if response.status_code < 400 and quota is not None:
                self._paused_until = time.time() + quota  # the next request waits for it
            retryable = response.status_code in RETRY_STATUSES or limited
            if not retryable or attempt == attempts:
                break
            asked = parse_retry_after(response.headers.get("Retry-After"))
            if asked is None and limited:
                asked = quota
            if asked is not None and asked > self.settings.max_retry_after_seconds:
                too_long = asked
                break
            pause = self._backoff(attempt) if asked is None else asked
            log.info("%s: %d; retry %d in %.1f s", name, response.status_code, attempt, pause)
            response.close()
            self._sleep(pause)
        if response.status_code >= 400:
            detail = error_detail(response)
            if too_long is not None:
                detail = f"asked to retry after {too_long:.0f} s, more than the "
                detail += f"{self.settings.max_retry_after_seconds:.0f} s allowed"
            error = HttpStatusError(
                response.status_code, response.reason or "", name, detail, attempt
            )
            if response.status_code == 403 and limited:  # GitHub: 403 means rate limited too
                error.fix = "the server is rate limiting; lower concurrency or retry later"
                error.args = (f"{error.problem} — {error.fix}",)
            raise error
        return response

    def carries_credentials(self) -> bool:
        """True when a request would carry auth or a header that may be a secret."""
        if self.auth is not None:
            return True
        return any(key.lower() not in HARMLESS_HEADERS for key in self.headers)

    def _check_origin(self, url: str, came_from: str) -> None:
        """Pin the origin on first use; refuse another one while credentials are attached."""
        if self.origin is None:
            self.origin = origin_of(url)
            return
        target = origin_of(url)
        if target == self.origin or not self.carries_credentials():
            return
        raise CrossOriginError(
            short_url(came_from), origin_label(target), origin_label(self.origin)
        )

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """requests' redirect hook: a Location on another origin is refused before it is
        followed, so no header of this session reaches it."""
        location = super().get_redirect_target(resp)
        if location:
            self._check_origin(urljoin(resp.url, location), resp.url)
        return location

    def _wait_for_quota(self, name: str) -> None:
        """Sleep until the quota reset an earlier answer announced (remaining = 0)."""
        if not self._paused_until:
            return
        pause = self._paused_until - time.time()
        self._paused_until = 0.0
        if pause <= 0:
            return
        if pause > self.settings.max_retry_after_seconds:
            raise HttpStatusError(
                429,
                "Too Many Requests",
                name,
                f"the rate limit resets in {pause:.0f} s, more than the "
                f"{self.settings.max_retry_after_seconds:.0f} s allowed",
                1,
            )
        log.info("%s: rate limit used up; waiting %.1f s for its reset", name, pause)
        self._sleep(pause)

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff_seconds * 2.0 ** (attempt - 1)
        return min(self.settings.backoff_max_seconds, base) * random.uniform(0.5, 1.0)

    def get_json(self, url: str, params: dict[str, str | int] | None = None) -> Any:
        """GET ``url`` and decode its JSON body, or raise MalformedResponseError."""
        return decode_json(self.get(url, params=params))


def decode_json(response: requests.Response) -> Any:
    """The JSON body of ``response``; malformed JSON is a readable error, not a traceback."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise MalformedResponseError(
            short_url(response.url), f"malformed JSON ({kind}, {len(response.content)} bytes)"
        ) from None


class ClientPool:
    """One :class:`HttpClient` per thread, sharing settings, auth and statistics."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        auth: requests.auth.AuthBase | None = None,
        stats: HttpStats | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers: Mapping[str, str] | None = None,
        origin: str | None = None,
    ) -> None:
        self.settings = settings
        self.origin = origin
        self.auth = auth
        self.headers = dict(headers or {})
        self.stats = stats or HttpStats()
        self._sleep = sleep
        self._local = threading.local()
        self._clients: list[HttpClient] = []
        self._lock = threading.Lock()

    def client(self) -> HttpClient:
        """This thread's client, created on first use."""
        client: HttpClient | None = getattr(self._local, "client", None)
        if client is None:
            client = HttpClient(
                self.settings,
                auth=self.auth,
                stats=self.stats,
                sleep=self._sleep,
                headers=self.headers,
                origin=self.origin,
            )
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()
