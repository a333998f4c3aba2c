"""A fake Jira REST API (Cloud or Data Center) that answers as Atlassian documents it.

Cloud (``flavor="cloud"``):

* ``GET /rest/api/3/search/jql`` — ``jql``, ``fields`` (default ``id`` only), ``expand``,
  ``maxResults`` (default 50; the server may serve fewer, :attr:`FakeJira.max_page`),
  ``nextPageToken``: ``{"issues", "nextPageToken"?, "isLast"}``, no total. The embedded
  changelog holds only the 40 most recent entries, newest first, with the real ``total``.
* ``/rest/api/3/search`` and ``/rest/api/2/search`` answer ``410 Gone`` (removed in 2025).
* ``GET /rest/api/3/issue/{key}/changelog`` — ``startAt``/``maxResults`` (≤ 100), oldest
  first, ``{"self", "nextPage"?, "maxResults", "startAt", "total", "isLast", "values"}``.
* ``GET /rest/api/3/status``. Basic auth ``e-mail:API token``. Every answer carries
  ``X-RateLimit-Limit``/``X-RateLimit-Remaining``.

Data Center (``flavor="data_center"``): ``GET /rest/api/2/search`` (``startAt``,
``maxResults``, ``total``; the whole changelog embedded, oldest first), ``GET
/rest/api/2/issue/{key}``, ``GET /rest/api/2/status``; no ``/rest/api/3`` (404). Bearer
personal access token, or basic ``login:token``.

JQL is parsed for real (AND/OR/NOT, parentheses, ``=``/``!=``/``>=``/``<=``/``>``/``<``,
``IN``, ``ORDER BY``) over ``project``, ``issuetype``, ``status``, ``key``, ``created`` and
``updated``; date literals are read **in the user's time zone** (:attr:`FakeJira.user_tz`)
as Jira does. Errors use Jira's ``{"errorMessages": […], "errors": {}}``. Faults are scripted
per path (optionally only for requests with given parameters) and served first; every request
is logged in :attr:`FakeJira.log`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import unquote

from tests.servers.fake import FakeApi, Incoming, Reply
from tests.servers.fake import Fault as Fault  # params: only for requests carrying those

TOKEN = "contract-token-5f1d2a"
TOKYO = timezone(timedelta(hours=9))
# id, name, category key
STATUSES = (
    ("1", "Open", "new"),
    ("3", "In Progress", "indeterminate"),
    ("4", "Reopened", "new"),
    ("5", "Resolved", "done"),
    ("6", "Closed", "done"),
    ("10100", "Mitigated", "indeterminate"),
    ("10200", "Triage", "new"),
)
CATEGORIES = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
ISSUE_TYPES = {"Incident": "10010", "Task": "10002", "Bug": "10004"}
REMOVED = {
    "errorMessages": [
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."
        " A full migration guideline is available at "
        "https://developer.atlassian.com/changelog/#CHANGE-2046"
    ],
    "errors": {},
}
CLOUD_EMBEDDED_HISTORIES = 40


@dataclass
class Change:
    """One changelog entry: when, and its items (Jira's ``items`` objects)."""

    at: datetime
    items: list[dict[str, Any]]


def move(at: datetime, old: str, new: str) -> Change:
    """A status transition ``old`` → ``new`` (names from :data:`STATUSES`)."""
    ids = {name: ident for ident, name, _ in STATUSES}
    item = {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": ids[old],
        "fromString": old,
        "to": ids[new],
        "toString": new,
    }
    return Change(at, [item])


def edit(at: datetime, name: str, old: str | None, new: str | None) -> Change:
    """A change of some other field (never a status)."""
    item = {"field": name, "fieldtype": "jira", "fieldId": name, "from": None}
    item.update({"fromString": old, "to": None, "toString": new})
    return Change(at, [item])


@dataclass
class Issue:
    key: str
    summary: str
    created: datetime
    updated: datetime
    status: str = "Open"
    priority: str | None = "Medium"
    components: list[str] = field(default_factory=list)
    resolutiondate: datetime | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    issuetype: str = "Incident"

    @property
    def project(self) -> str:
        return self.key.split("-")[0]

    @property
    def number(self) -> int:
        return int(self.key.split("-")[1])


class JqlError(ValueError):
    """What Jira says about a JQL it cannot run (400)."""


# -- JQL ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<op>>=|<=|!=|=|>|<|~|\(|\)|,)|"(?P<dq>(?:[^"\\]|\\.)*)"|'
    r"'(?P<sq>(?:[^'\\]|\\.)*)'|(?P<word>[^\s()=!<>~,\"']+))"
)
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
Predicate = Callable[[Issue], bool]


def _tokens(jql: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = jql.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(f"Error in the JQL Query: unexpected character at {position + 1}.")
        position = match.end()
        if match["op"]:
            found.append(("op", match["op"]))
        elif match["dq"] is not None or match["sq"] is not None:
            found.append(("str", match["dq"] if match["dq"] is not None else match["sq"]))
        else:
            found.append(("word", match["word"]))
    return found


class JqlQuery:
    """A parsed query: a predicate over issues and the ORDER BY fields."""

    def __init__(self, jql: str, fake: FakeJira) -> None:
        self.fake = fake
        self.tokens = _tokens(jql)
        self.at = 0
        self.order: list[tuple[str, bool]] = []
        self.bounded = False
        if self._peek_word("order"):
            self.predicate: Predicate = lambda _issue: True
        else:
            self.predicate = self._or()
        if self._peek_word("order"):
            self._order_by()
        if self.at < len(self.tokens):
            raise JqlError(
                f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got "
                f"'{self.tokens[self.at][1]}'."
            )

    def _peek_word(self, word: str) -> bool:
        if self.at >= len(self.tokens):
            return False
        kind, value = self.tokens[self.at]
        return kind == "word" and value.lower() == word

    def _take(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise JqlError("Error in the JQL Query: The query ended unexpectedly.")
        token = self.tokens[self.at]
        self.at += 1
        return token

    def _expect(self, op: str) -> None:
        kind, value = self._take()
        if (kind, value) != ("op", op):
            raise JqlError(f"Error in the JQL Query: Expecting '{op}' but got '{value}'.")

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek_word("or"):
            self.at += 1
            parts.append(self._and())
        return lambda issue: any(p(issue) for p in parts)

    def _and(self) -> Predicate:
        parts = [self._not()]
        while self._peek_word("and"):
            self.at += 1
            parts.append(self._not())
        return lambda issue: all(p(issue) for p in parts)

    def _not(self) -> Predicate:
        if self._peek_word("not"):
            self.at += 1
            inner = self._not()
            return lambda issue: not inner(issue)
        if self.at < len(self.tokens) and self.tokens[self.at] == ("op", "("):
            self.at += 1
            inner = self._or()
            self._expect(")")
            return inner
        return self._clause()

    def _clause(self) -> Predicate:
        kind, name = self._take()
        if kind != "word":
            raise JqlError(f"Error in the JQL Query: Expecting a field name but got '{name}'.")
        field_name = name.lower()
        if field_name == "type":
            field_name = "issuetype"
        if field_name not in ("project", "issuetype", "status", "key", "created", "updated"):
            raise JqlError(
                f"Field '{name}' does not exist or you do not have permission to view it."
            )
        self.bounded = True
        if self._peek_word("in") or self._peek_word("not"):
            negate = self._peek_word("not")
            self.at += 2 if negate else 1
            self._expect("(")
            values = [self._value(field_name)]
            while self.tokens[self.at] == ("op", ","):
                self.at += 1
                values.append(self._value(field_name))
            self._expect(")")
            return lambda issue: (self._get(issue, field_name) in values) != negate
        kind, op = self._take()
        if kind != "op" or op not in ("=", "!=", ">=", "<=", ">", "<"):
            raise JqlError(f"Error in the JQL Query: Expecting operator but got '{op}'.")
        value = self._value(field_name)
        compare: dict[str, Callable[[Any, Any], bool]] = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            "<": lambda a, b: a < b,
        }
        return lambda issue: compare[op](self._get(issue, field_name), value)

    def _value(self, field_name: str) -> Any:
        kind, text = self._take()
        if kind == "op":
            raise JqlError(f"Error in the JQL Query: Expecting a value but got '{text}'.")
        if field_name in ("created", "updated"):
            for fmt in _DATE_FORMATS:
                try:
                    return datetime.strptime(text, fmt).replace(tzinfo=self.fake.user_tz)
                except ValueError:
                    continue
            raise JqlError(
                f"Date value '{text}' for field '{field_name}' is invalid. Valid formats "
                "include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
                "or a period format e.g. '-5d', '4w 2d'."
            )
        known = {
            "project": self.fake.projects,
            "issuetype": set(ISSUE_TYPES),
            "status": {name for _, name, _ in STATUSES},
        }.get(field_name)
        if known is not None and text.lower() not in {k.lower() for k in known}:
            raise JqlError(f"The value '{text}' does not exist for the field '{field_name}'.")
        return text.lower()

    @staticmethod
    def _get(issue: Issue, field_name: str) -> Any:
        if field_name == "created":
            return issue.created
        if field_name == "updated":
            return issue.updated
        return {
            "project": issue.project,
            "issuetype": issue.issuetype,
            "status": issue.status,
            "key": issue.key,
        }[field_name].lower()

    def _order_by(self) -> None:
        self.at += 1
        if not self._peek_word("by"):
            raise JqlError("Error in the JQL Query: Expecting 'by' after 'order'.")
        self.at += 1
        while True:
            _kind, name = self._take()
            if name.lower() not in ("updated", "created", "key"):
                raise JqlError(f"Not able to sort using field '{name}'.")
            descending = False
            if self._peek_word("asc") or self._peek_word("desc"):
                descending = self._take()[1].lower() == "desc"
            self.order.append((name.lower(), descending))
            if self.at < len(self.tokens) and self.tokens[self.at] == ("op", ","):
                self.at += 1
                continue
            break

    def run(self, issues: list[Issue]) -> list[Issue]:
        chosen = [i for i in issues if self.predicate(i)]
        for name, descending in reversed(self.order or [("created", True)]):

            def sort_key(issue: Issue, name: str = name) -> Any:
                if name == "key":
                    return (issue.project, issue.number)
                return getattr(issue, name)

            chosen.sort(key=sort_key, reverse=descending)
        return chosen


# -- the server -----------------------------------------------------------------------------


class FakeJira(FakeApi):
    """The server state; use :meth:`running` to serve it."""

    methods: ClassVar[tuple[str, ...]] = ("GET", "POST")

    def __init__(
        self,
        issues: list[Issue],
        *,
        flavor: str = "cloud",
        login: str = "ops@example.com",
        tokens: set[str] | None = None,
        user_tz: timezone = TOKYO,
        projects: set[str] | None = None,
        max_page: int = 100,
        changelog_page: int = 100,
        embedded_limit: int | None = None,
    ) -> None:
        super().__init__()
        self.issues = issues
        self.flavor = flavor
        self.login = login
        self.tokens = tokens if tokens is not None else {"good-token"}
        self.user_tz = user_tz
        self.projects = projects if projects is not None else {"OPS"} | {i.project for i in issues}
        self.max_page = max_page
        self.changelog_page = changelog_page
        # histories embedded by search: Cloud the latest 40; Data Center all (None)
        self.embedded_limit = embedded_limit or (
            CLOUD_EMBEDDED_HISTORIES if flavor == "cloud" else None
        )
        self.log: list[tuple[str, dict[str, str]]] = []
        self._served = 0

    def requests_to(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [params for p, params in self.log if p == path]

    def issue(self, key: str) -> Issue:
        return next(i for i in self.issues if i.key == key)

    def reply(self, incoming: Incoming) -> Reply:
        status, body, headers = self.answer(
            incoming.method, incoming.path, incoming.params(), incoming.headers.get("Authorization")
        )
        headers = {**self.rate_headers(), **headers}
        if isinstance(body, str):
            return status, {"Content-Type": "text/plain", **headers}, body
        kind = {"Content-Type": "application/json;charset=UTF-8"}
        return status, {**kind, **headers}, json.dumps(body)

    # -- rendering ------------------------------------------------------------------------

    def time(self, moment: datetime | None) -> str | None:
        """Jira's format, in the user's zone: ``2026-01-05T10:00:00.000+0900``."""
        if moment is None:
            return None
        local = moment.astimezone(self.user_tz)
        return (
            local.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{local.microsecond // 1000:03d}"
            + (local.strftime("%z"))
        )

    @property
    def api(self) -> str:
        return f"{self.url}/rest/api/{'3' if self.flavor == 'cloud' else '2'}"

    def _status(self, name: str) -> dict[str, Any]:
        ident, _, category = next(s for s in STATUSES if s[1] == name)
        cat_id, cat_name, colour = CATEGORIES[category]
        return {
            "self": f"{self.api}/status/{ident}",
            "description": "",
            "iconUrl": f"{self.url}/images/icons/statuses/generic.png",
            "name": name,
            "id": ident,
            "statusCategory": {
                "self": f"{self.api}/statuscategory/{cat_id}",
                "id": cat_id,
                "key": category,
                "colorName": colour,
                "name": cat_name,
            },
        }

    def status_list(self) -> list[dict[str, Any]]:
        """The ``/status`` answer."""
        return [self._status(name) for _, name, _ in STATUSES]

    def _histories(self, issue: Issue) -> list[dict[str, Any]]:
        """Oldest first, with ids increasing in time."""
        author = {"displayName": "Ops Bot", "active": True, "timeZone": str(self.user_tz)}
        return [
            {
                "id": str(issue.number * 1000 + n),
                "author": author,
                "created": self.time(change.at),
                "items": change.items,
            }
            for n, change in enumerate(sorted(issue.changes, key=lambda c: c.at), start=1)
        ]

    def _fields(self, issue: Issue) -> dict[str, Any]:
        priority = None
        if issue.priority is not None:
            ident = PRIORITIES.get(issue.priority, "10000")
            priority = {
                "self": f"{self.api}/priority/{ident}",
                "iconUrl": f"{self.url}/images/icons/priorities/{issue.priority.lower()}.svg",
                "name": issue.priority,
                "id": ident,
            }
        return {
            "summary": issue.summary,
            "status": self._status(issue.status),
            "priority": priority,
            "created": self.time(issue.created),
            "updated": self.time(issue.updated),
            "resolutiondate": self.time(issue.resolutiondate),
            "components": [
                {"self": f"{self.api}/component/{100 + n}", "id": str(100 + n), "name": name}
                for n, name in enumerate(issue.components)
            ],
            "project": {"key": issue.project, "name": issue.project, "id": "10000"},
            "issuetype": {"name": issue.issuetype, "id": ISSUE_TYPES[issue.issuetype]},
            **issue.custom,
        }

    def render(
        self, issue: Issue, fields: str | None, expand: str | None, *, search: bool = True
    ) -> dict[str, Any]:
        """An issue as search (changelog cut to :attr:`embedded_limit`) or GET issue shows it."""
        wanted = [f.strip() for f in (fields or "id").split(",") if f.strip()]
        every = self._fields(issue)
        if "*all" in wanted or "*navigable" in wanted:
            chosen = every
        else:
            chosen = {k: every[k] for k in wanted if k in every}
        ident = str(10000 + issue.number)
        body: dict[str, Any] = {
            "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": ident,
            "self": f"{self.api}/issue/{ident}",
            "key": issue.key,
            "fields": chosen,
        }
        if expand and "changelog" in expand.split(","):
            histories = self._histories(issue)
            total = len(histories)
            limit = self.embedded_limit if search else None
            if self.flavor == "cloud":  # the latest entries only, newest first
                shown = list(reversed(histories))[:limit]
            else:
                shown = histories[:limit]
            body["changelog"] = {
                "startAt": 0,
                "maxResults": len(shown),
                "total": total,
                "histories": shown,
            }
        return body

    # -- the API --------------------------------------------------------------------------

    def authorised(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme == "Basic":
            login, _, secret = base64.b64decode(value).decode().partition(":")
            return login == self.login and secret in self.tokens
        return scheme == "Bearer" and self.flavor == "data_center" and value in self.tokens

    def answer(
        self, method: str, path: str, params: dict[str, str], authorization: str | None
    ) -> tuple[int, Any, dict[str, str]]:
        if self.flavor == "cloud" and path in ("/rest/api/3/search", "/rest/api/2/search"):
            return 410, REMOVED, {}
        if not self.authorised(authorization):
            if self.flavor == "cloud":
                return 401, "Client must be authenticated to access this resource.", {}
            headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}
            body = {
                "errorMessages": [
                    "You are not authenticated. Authentication required to perform this operation."
                ],
                "errors": {},
            }
            return 401, body, headers
        # Cloud serves v3 and v2 (same JSON but for rich text); Data Center only v2.
        versions = ("3", "2") if self.flavor == "cloud" else ("2",)
        prefix = next(
            (f"/rest/api/{v}/" for v in versions if path.startswith(f"/rest/api/{v}/")), ""
        )
        if not prefix or method != "GET":
            return 404, {"message": f"null for uri: {self.url}{path}", "status-code": 404}, {}
        rest = path[len(prefix) :]
        if rest == "status":
            return 200, self.status_list(), {}
        try:
            if self.flavor == "cloud" and rest == "search/jql":
                return self._search_cloud(params)
            if self.flavor == "data_center" and rest == "search":
                return self._search_dc(params)
        except JqlError as exc:
            return 400, {"errorMessages": [str(exc)], "errors": {}}, {}
        project = re.fullmatch(r"project/([^/]+)/components", rest)
        if project:
            return self._components(unquote(project[1]))
        match = re.fullmatch(r"issue/([^/]+)(/changelog)?", rest)
        if match:
            key = unquote(match[1])
            found = next((i for i in self.issues if i.key == key), None)
            if found is None:
                msg = "Issue does not exist or you do not have permission to see it."
                return 404, {"errorMessages": [msg], "errors": {}}, {}
            if match[2] and self.flavor == "cloud":
                return self._changelog(found, params)
            if not match[2]:
                shown = self.render(found, params.get("fields"), params.get("expand"), search=False)
                return 200, shown, {}
        return 404, {"message": f"null for uri: {self.url}{path}", "status-code": 404}, {}

    def _components(self, key: str) -> tuple[int, Any, dict[str, str]]:
        """``GET …/project/{key}/components``: every component its issues name (a plain list,
        as Jira sends it, not paged)."""
        if key not in self.projects:
            message = f"No project could be found with key '{key}'."
            return 404, {"errorMessages": [message], "errors": {}}, {}
        names = sorted({c for i in self.issues if i.project == key for c in i.components})
        version = "3" if self.flavor == "cloud" else "2"
        body = [
            {
                "self": f"{self.url}/rest/api/{version}/component/{10000 + n}",
                "id": str(10000 + n),
                "name": name,
                "description": "",
                "isAssigneeTypeValid": False,
                "project": key,
                "projectId": 10000,
            }
            for n, name in enumerate(names)
        ]
        return 200, body, {}

    def _query(self, params: dict[str, str]) -> list[Issue]:
        """The issues ``params["jql"]`` selects, in its order; JqlError when Jira would 400."""
        query = JqlQuery(params.get("jql", ""), self)
        if self.flavor == "cloud" and not query.bounded:
            raise JqlError(
                "Unbounded JQL queries are not allowed here. Please add a search restriction "
                "to your query."
            )
        return query.run(self.issues)

    def _search_cloud(self, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        issues = self._query(params)
        digest = hashlib.sha256(params.get("jql", "").encode()).hexdigest()[:12]
        offset = 0
        if "nextPageToken" in params:
            try:
                raw = base64.urlsafe_b64decode(params["nextPageToken"].encode()).decode()
                start, _, tag = raw.partition(":")
                offset = int(start)
            except ValueError:
                tag = ""
            if tag != digest:
                return 400, {"errorMessages": ["Invalid nextPageToken."], "errors": {}}, {}
        size = min(int(params.get("maxResults", 50)), self.max_page)
        chunk = issues[offset : offset + size]
        body: dict[str, Any] = {
            "issues": [self.render(i, params.get("fields"), params.get("expand")) for i in chunk]
        }
        following = offset + len(chunk)
        if following < len(issues):
            token = base64.urlsafe_b64encode(f"{following}:{digest}".encode()).decode()
            body["nextPageToken"] = token
        body["isLast"] = following >= len(issues)
        return 200, body, {}

    def _search_dc(self, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        issues = self._query(params)
        start = int(params.get("startAt", 0))
        size = min(int(params.get("maxResults", 50)), self.max_page)
        chunk = issues[start : start + size]
        body = {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(issues),
            "issues": [self.render(i, params.get("fields"), params.get("expand")) for i in chunk],
        }
        return 200, body, {}

    def _changelog(self, issue: Issue, params: dict[str, str]) -> tuple[int, Any, dict]:
        histories = self._histories(issue)
        start = int(params.get("startAt", 0))
        size = min(int(params.get("maxResults", 100)), 100, self.changelog_page)
        chunk = histories[start : start + size]
        last = start + len(chunk) >= len(histories)
        body: dict[str, Any] = {
            "self": f"{self.api}/issue/{issue.key}/changelog?maxResults={size}&startAt={start}",
            "maxResults": size,
            "startAt": start,
            "total": len(histories),
            "isLast": last,
            "values": chunk,
        }
        if not last:
            body["nextPage"] = (
                f"{self.api}/issue/{issue.key}/changelog?maxResults={size}&startAt={start + size}"
            )
        return 200, body, {}

    def rate_headers(self) -> dict[str, str]:
        if self.flavor != "cloud":
            return {}
        with self._lock:
            self._served += 1
            left = max(1, 350 - self._served)
        return {"X-RateLimit-Limit": "350", "X-RateLimit-Remaining": str(left)}


# -- the contract data set ------------------------------------------------------------------


def contract_issues() -> list[Issue]:
    """Two incidents per service (a1, b1 as component names) in 2026-01-01..14, +09:00."""

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 1, day, hour, minute, tzinfo=TOKYO)

    return [
        Issue(
            "OPS-1",
            "a1 checkout errors",
            at(2, 10),
            at(2, 12),
            status="Resolved",
            priority="High",
            components=["a1"],
            resolutiondate=at(2, 12),
            changes=[
                move(at(2, 10, 5), "Open", "In Progress"),
                move(at(2, 12), "In Progress", "Resolved"),
            ],
        ),
        Issue(
            "OPS-2",
            "b1 latency",
            at(5, 9),
            at(5, 9, 30),
            status="In Progress",
            priority="Low",
            components=["b1"],
            changes=[move(at(5, 9, 30), "Open", "In Progress")],
        ),
        Issue(
            "OPS-3",
            "b1 outage",
            at(9, 22),
            at(10, 1),
            status="Closed",
            priority="Highest",
            components=["b1"],
            resolutiondate=at(10, 0, 30),
            changes=[
                move(at(9, 22, 10), "Open", "In Progress"),
                move(at(10, 0, 30), "In Progress", "Resolved"),
                move(at(10, 1), "Resolved", "Closed"),
            ],
        ),
        Issue(
            "OPS-4",
            "a1 disk full",
            at(13, 8),
            at(13, 9),
            status="Resolved",
            priority="Medium",
            components=["a1"],
            resolutiondate=at(13, 9),
            changes=[move(at(13, 9), "Open", "Resolved")],
        ),
        Issue("OPS-5", "a planned task", at(4, 9), at(4, 9), issuetype="Task", components=["a1"]),
    ]


@contextmanager
def contract_source(kind: str, populated: bool) -> Iterator[dict[str, Any]]:
    """The ``[sources.<name>]`` table for the connector contract test (a Jira Cloud site)."""
    login = "contract@example.com"
    fake = FakeJira(contract_issues() if populated else [], login=login, tokens={TOKEN})
    with fake.running() as server:
        yield {
            "type": kind,
            "url": server.url,
            "auth": "basic",
            "username": login,
            "token_env": "CONTRACT_TOKEN",
            "jql": "project = OPS AND issuetype = Incident",
        }
