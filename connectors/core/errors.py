"""Errors a connector raises: each one says what went wrong and what to do about it.

The sync prints a failed source as ONE line, ``"<source>: <problem> — <fix>"``, records the
same text in ``sync_runs.error`` and never shows a traceback, so every error a user can fix
must be a :class:`ConnectorError` with both halves filled in.
"""

from __future__ import annotations

from i18n import _


class ConnectorError(Exception):
    """A failure the user can act on: ``problem`` says what happened, ``fix`` what to do."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} — {fix}" if fix else problem)
        self.problem = problem
        self.fix = fix

    def with_fix(self, fix: str) -> ConnectorError:
        """The same problem with a more specific fix (connectors know their configuration)."""
        return ConnectorError(self.problem, fix)


class ConfigError(ConnectorError):
    """The sources file or a secret is missing or invalid."""


class HttpStatusError(ConnectorError):
    """The server answered with an error status after any retries."""

    def __init__(self, status: int, reason: str, url: str, detail: str, attempts: int) -> None:
        text = _("{status} {reason} from {url}").format(status=status, reason=reason, url=url)
        if detail:
            text += f" ({detail})"
        if attempts > 1:
            text += _(" after {attempts} attempts").format(attempts=attempts)
        super().__init__(text, _default_fix(status))
        self.status = status
        self.reason = reason
        self.url = url
        self.detail = detail
        self.attempts = attempts


class UnreachableError(ConnectorError):
    """No HTTP answer at all: DNS, refused connection, TLS or timeout."""

    def __init__(self, url: str, reason: str, attempts: int) -> None:
        super().__init__(
            (
                _("cannot reach {url} ({reason}) after 1 attempt")
                if attempts == 1
                else _("cannot reach {url} ({reason}) after {attempts} attempts")
            ).format(url=url, reason=reason, attempts=attempts),
            _(
                "check the url in the sources file and that the server is running and "
                "reachable from this machine"
            ),
        )
        self.url = url
        self.reason = reason


class CrossOriginError(ConnectorError):
    """A redirect or a next-page link points at another origin while credentials are set."""

    def __init__(self, url: str, target: str, home: str) -> None:
        super().__init__(
            _(
                "{url} sent the request on to {target}, another host than the "
                "configured {home}; the token was not sent there"
            ).format(url=url, target=target, home=home),
            _(
                "TechPulse sends credentials only to the configured address: if "
                "{target} is the real API address, set url to it in the sources file"
            ).format(target=target),
        )
        self.url = url
        self.target = target
        self.home = home


class MalformedResponseError(ConnectorError):
    """The server answered 2xx with something that is not the documented JSON."""

    def __init__(self, url: str, what: str) -> None:
        super().__init__(
            _("unexpected answer from {url}: {what}").format(url=url, what=what),
            _("check that the url points at the right API (not a proxy or login page) and retry"),
        )
        self.url = url


class PaginationLoopError(ConnectorError):
    """A paginated endpoint handed back a page token it had already given (a server bug)."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(
            _("{url} repeated page token {token}; stopped to avoid an endless loop").format(
                url=url, token=repr(token)
            ),
            _("report it to the server's maintainers; lower page_size as a workaround"),
        )


class IncompletePagesError(ConnectorError):
    """A page came back empty before the server's own total was reached: stopping there would
    silently drop the rest (and move the cursor past it), so the run fails instead."""

    def __init__(self, url: str, page: int, seen: int, total: int) -> None:
        super().__init__(
            _(
                "{url} page {page} came back empty after {seen} of the {total} items "
                "the server reported; nothing was written"
            ).format(url=url, page=page, seen=seen, total=total),
            _(
                "the listing probably changed during the sync: run it again (if it "
                "recurs, lower page_size or report it to the server's maintainers)"
            ),
        )


def _default_fix(status: int) -> str:
    if status == 401:
        return _("the credentials are missing, wrong or expired; set a valid token")
    if status == 403:
        return _("the credentials lack permission for this request; grant it or use another token")
    if status == 404:
        return _("check the url and the keys in the sources file")
    if status == 429:
        return _("the server is rate limiting; lower concurrency or retry later")
    if status >= 500:
        return _("the server failed; check its health and retry later")
    return _("check the request parameters in the sources file")
