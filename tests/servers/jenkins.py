"""A fake Jenkins remote-access API (stdlib http.server in a thread) that answers as documented.

``GET /job/<folder>/job/<name>/api/json`` returns the job as Jenkins' JSON API does:

* with ``tree``, only the named properties (sub-properties in ``[…]``, ``*`` for all, a
  range ``{M,N}`` / ``{M,}`` / ``{,N}`` / ``{N}`` after an array: 0-based, M inclusive, N
  exclusive), every object keeping its ``_class``; properties an object lacks are left out;
* ``builds`` holds the newest 100 builds only; ``allBuilds`` holds all of them, newest first,
  and is hidden unless ``tree`` asks for it (without ``tree`` builds are shown at depth 0:
  ``_class``, ``number``, ``url``);
* Pipeline runs (``WorkflowRun``) carry ``changeSets`` (a list, empty sets left out),
  freestyle builds (``FreeStyleBuild``) one ``changeSet``; ``actions`` holds a ``CauseAction``,
  the git plugin's ``BuildData`` (``lastBuiltRevision.SHA1``, ``remoteUrls``; one per checkout,
  a shared library's first), other actions and several ``{}``;
* a running build has ``building: true``, ``result: null`` and ``duration: 0``.

A folder's ``api/json`` is a ``Folder`` with ``jobs``. Errors are HTML, as Jenkins sends them:
401 for a wrong API token, 403 (with ``X-Required-Permission``) for anonymous or a user without
Overall/Read, 404 for a missing job or one the user may not read (Job/Read).

Faults are scripted per path (:meth:`FakeJenkins.fail`) and served before the normal answer.
Every request is logged in :attr:`FakeJenkins.log`. :func:`contract_source` serves the
connector contract's data set (tests/connectors/test_connector_contract.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from tests.servers.fake import FakeApi, Incoming, Reply
from tests.servers.fake import Fault as Fault  # the tests script faults with it

NEWEST = 100  # ``builds`` stops here (Jenkins 1.485+)
JSON_TYPE = "application/json;charset=utf-8"
HTML_TYPE = "text/html;charset=utf-8"
CONTRACT_TOKEN = "contract-token-5f1d2a"
CREDENTIALS_ACTION = "com.cloudbees.plugins.credentials.ViewCredentialsAction"
DISPLAY_ACTION = "org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction"


def sha(*parts: object) -> str:
    """A stable, realistic 40-hex commit id."""
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


@dataclass
class Build:
    number: int
    result: str | None  # SUCCESS, UNSTABLE, FAILURE, NOT_BUILT, ABORTED; None while running
    started: datetime
    duration_ms: int = 60_000
    revision: str | None = None  # lastBuiltRevision.SHA1 of the job's own checkout
    commits: list[str] = field(default_factory=list)  # the change set: since the previous build
    building: bool = False
    library: str | None = None  # a shared library's revision, checked out first


@dataclass
class Job:
    full_name: str
    builds: list[Build] = field(default_factory=list)
    kind: str = "pipeline"  # or "freestyle"
    repo: str = "https://github.com/acme/app.git"
    readers: set[str] | None = None  # users with Job/Read; None: everyone with Overall/Read


# -- the tree parameter -----------------------------------------------------------------------


@dataclass
class Node:
    name: str
    children: list[Node] | None
    span: tuple[int | None, int | None] | None


class TreeError(ValueError):
    pass


def parse_tree(text: str) -> list[Node]:
    nodes, end = _items(text, 0)
    if end != len(text):
        raise TreeError(f"unexpected {text[end]!r} at {end}")
    return nodes


def _items(text: str, at: int) -> tuple[list[Node], int]:
    nodes: list[Node] = []
    while True:
        start = at
        while at < len(text) and (text[at].isalnum() or text[at] in "_$*"):
            at += 1
        if at == start:
            raise TreeError(f"expected a property name at {at}")
        name, children, span = text[start:at], None, None
        if at < len(text) and text[at] == "[":
            children, at = _items(text, at + 1)
            if at >= len(text) or text[at] != "]":
                raise TreeError("unclosed [")
            at += 1
        if at < len(text) and text[at] == "{":
            close = text.find("}", at)
            if close < 0:
                raise TreeError("unclosed {")
            span = _span(text[at + 1 : close])
            at = close + 1
        nodes.append(Node(name, children, span))
        if at < len(text) and text[at] == ",":
            at += 1
            continue
        return nodes, at


def _span(text: str) -> tuple[int | None, int | None]:
    """``M,N``, ``M,``, ``,N`` or ``N`` (= ``N,N+1``)."""
    if "," not in text:
        number = int(text)
        return number, number + 1
    low, high = text.split(",", 1)
    return (int(low) if low else None), (int(high) if high else None)


def select(value: Any, nodes: list[Node]) -> Any:
    """``value`` filtered by a parsed tree, as Jenkins' JSON writer does."""
    if isinstance(value, list):
        return [select(item, nodes) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {"_class": value["_class"]} if "_class" in value else {}
    for node in nodes:
        names = [k for k in value if k != "_class"] if node.name == "*" else [node.name]
        for name in names:
            if name not in value:
                continue  # an object without that property: left out
            child = value[name]
            if isinstance(child, list) and node.span is not None:
                low, high = node.span
                child = child[low:high]
            out[name] = select(child, node.children or [])
    return out


# -- pages ------------------------------------------------------------------------------------


def not_found_page() -> str:
    return (
        "<!DOCTYPE html><html><head><title>Jenkins</title></head><body>"
        '<div id="main-panel"><h2>Not Found</h2><p>This page may not exist, or you may not '
        "have permission to see it.</p></div></body></html>"
    )


def jetty_error(status: int, message: str) -> str:
    return (
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n'
        f"<title>Error {status} {message}</title>\n</head>\n<body><h2>HTTP ERROR {status} "
        f"{message}</h2>\n<table>\n<tr><th>URI:</th><td>/</td></tr>\n</table>\n</body>\n</html>\n"
    )


def login_required_page(path: str) -> str:
    return (
        "<html><head><meta http-equiv='refresh' content='1;url=/login?from="
        f"{quote(path, safe='')}'/><script>window.location.replace('/login?from="
        f"{quote(path, safe='')}');</script></head><body style='background-color:white; "
        "color:white;'>\n\nAuthentication required\n<!--\n-->\n\n</body></html>"
    )


def proxy_login_page() -> str:
    """What an SSO proxy in front of Jenkins answers, with 200, to a request without a session."""
    return (
        "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form method='post' "
        "action='/oauth2/start'><h1>Sign in to continue</h1><button>Login</button></form>"
        "</body></html>"
    )


class FakeJenkins(FakeApi):
    """The server state; use :meth:`running` to serve it."""

    server_headers: ClassVar[dict[str, str]] = {
        "X-Jenkins": "2.452.3",
        "X-Content-Type-Options": "nosniff",
    }

    def __init__(
        self,
        jobs: list[Job],
        *,
        users: dict[str, str] | None = None,
        overall_readers: set[str] | None = None,
        anonymous_read: bool = False,
    ) -> None:
        super().__init__()
        self.jobs = {j.full_name: j for j in jobs}
        self.users = users if users is not None else {"deployer": "good-token"}
        self.overall_readers = overall_readers if overall_readers is not None else set(self.users)
        self.anonymous_read = anonymous_read
        self.log: list[tuple[str, dict[str, str]]] = []

    def reply(self, incoming: Incoming) -> Reply:
        return self.answer(incoming.path, incoming.params(), incoming.headers.get("Authorization"))

    # -- security ---------------------------------------------------------------------------

    def user_of(self, header: str | None) -> tuple[str | None, bool]:
        """(user name or None for anonymous, whether the credentials were accepted)."""
        if not header:
            return None, True
        scheme, _, value = header.partition(" ")
        if scheme != "Basic":
            return None, True  # Jenkins ignores other schemes: the request is anonymous
        try:
            login, _, token = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, False
        return login, self.users.get(login) == token

    # -- the API ----------------------------------------------------------------------------

    def answer(
        self, path: str, params: dict[str, str], authorization: str | None
    ) -> tuple[int, dict[str, str], str]:
        user, accepted = self.user_of(authorization)
        if not accepted:
            message = f"Invalid password/token for user: {user}"
            return 401, {"Content-Type": HTML_TYPE}, jetty_error(401, message)
        if (user is None and not self.anonymous_read) or (
            user is not None and user not in self.overall_readers
        ):
            denied = {
                "Content-Type": HTML_TYPE,
                "X-You-Are-Authenticated-As": user or "anonymous",
                "X-Required-Permission": "hudson.model.Hudson.Read",
                "X-Permission-Implied-By": "hudson.security.Permission.GenericRead",
            }
            if user is None:
                return 403, denied, login_required_page(path)
            message = f"{user} is missing the Overall/Read permission"
            return 403, denied, jetty_error(403, message)
        segments = [unquote(s) for s in path.strip("/").split("/")]
        if segments == ["api", "json"]:  # the root: Jenkins itself, its top-level items
            root = {
                "_class": "hudson.model.Hudson",
                "mode": "NORMAL",
                "nodeDescription": "the Jenkins controller",
                "url": self.url + "/",
                "jobs": self._children("", user),
            }
            try:
                nodes = parse_tree(params["tree"]) if "tree" in params else None
                body = select(root, nodes) if nodes else root
            except (TreeError, ValueError) as exc:
                return 400, {"Content-Type": HTML_TYPE}, jetty_error(400, f"bad tree: {exc}")
            return 200, {"Content-Type": JSON_TYPE}, json.dumps(body)
        if len(segments) < 4 or segments[-2:] != ["api", "json"]:
            return 404, {"Content-Type": HTML_TYPE}, not_found_page()
        names = segments[:-2]
        if any(names[i] != "job" for i in range(0, len(names), 2)) or len(names) % 2:
            return 404, {"Content-Type": HTML_TYPE}, not_found_page()
        full_name = "/".join(names[1::2])
        item = self._item(full_name, user)
        if item is None:
            return 404, {"Content-Type": HTML_TYPE}, not_found_page()
        if "tree" in params:
            try:
                body = select(item, parse_tree(params["tree"]))
            except (TreeError, ValueError) as exc:
                return 400, {"Content-Type": HTML_TYPE}, jetty_error(400, f"bad tree: {exc}")
        else:
            body = self._depth_zero(item)
        return 200, {"Content-Type": JSON_TYPE}, json.dumps(body)

    def _visible(self, job: Job, user: str | None) -> bool:
        return job.readers is None or (user is not None and user in job.readers)

    def _item(self, full_name: str, user: str | None) -> dict[str, Any] | None:
        job = self.jobs.get(full_name)
        if job is not None:
            return self.job_json(job) if self._visible(job, user) else None
        children = [j for j in self.jobs.values() if j.full_name.startswith(full_name + "/")]
        if not children or not any(self._visible(j, user) for j in children):
            return None
        return self.folder_json(full_name, [j for j in children if self._visible(j, user)])

    def _children(self, folder: str, user: str | None) -> list[dict[str, Any]]:
        """The items directly in ``folder`` ("" = the root), each as its own API object with
        the folders' items nested (what a ``tree=jobs[fullName,jobs[…]]`` selects from)."""
        prefix = f"{folder}/" if folder else ""
        depth = folder.count("/") + 1 if folder else 0
        visible = [
            j
            for j in self.jobs.values()
            if j.full_name.startswith(prefix) and self._visible(j, user)
        ]
        names = sorted({j.full_name.split("/")[depth] for j in visible})
        items = []
        for name in names:
            full = prefix + name
            job = self.jobs.get(full)
            if job is not None:
                items.append(self.job_json(job))
            else:
                item = self.folder_json(
                    full, [j for j in visible if j.full_name.startswith(full + "/")]
                )
                item["jobs"] = self._children(full, user)
                items.append(item)
        return items

    def item_url(self, full_name: str) -> str:
        return self.url + "/" + "".join(f"job/{quote(p, safe='')}/" for p in full_name.split("/"))

    def folder_json(self, full_name: str, children: list[Job]) -> dict[str, Any]:
        depth = full_name.count("/") + 1
        names = sorted({j.full_name.split("/")[depth] for j in children})
        return {
            "_class": "com.cloudbees.hudson.plugins.folder.Folder",
            "actions": [{}, {"_class": CREDENTIALS_ACTION}],
            "description": None,
            "displayName": full_name.rsplit("/", 1)[-1],
            "fullName": full_name,
            "name": full_name.rsplit("/", 1)[-1],
            "url": self.item_url(full_name),
            "healthReport": [],
            "jobs": [
                {
                    "_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
                    "name": name,
                    "url": self.item_url(f"{full_name}/{name}"),
                    "color": "blue",
                }
                for name in names
            ],
        }

    def job_json(self, job: Job) -> dict[str, Any]:
        newest_first = sorted(job.builds, key=lambda b: b.number, reverse=True)
        runs = [self.build_json(job, b) for b in newest_first]
        pipeline = job.kind == "pipeline"
        last = runs[0] if runs else None
        return {
            "_class": (
                "org.jenkinsci.plugins.workflow.job.WorkflowJob"
                if pipeline
                else "hudson.model.FreeStyleProject"
            ),
            "actions": [
                {},
                {},
                {"_class": "com.cloudbees.plugins.credentials.ViewCredentialsAction"},
            ],
            "description": "",
            "displayName": job.full_name.rsplit("/", 1)[-1],
            "fullDisplayName": job.full_name.replace("/", " » "),
            "fullName": job.full_name,
            "name": job.full_name.rsplit("/", 1)[-1],
            "url": self.item_url(job.full_name),
            "buildable": True,
            "builds": runs[:NEWEST],
            "allBuilds": runs,
            "color": "blue" if last is None or last["result"] == "SUCCESS" else "red",
            "firstBuild": runs[-1] if runs else None,
            "healthReport": [],
            "inQueue": False,
            "keepDependencies": False,
            "lastBuild": last,
            "nextBuildNumber": (newest_first[0].number + 1) if newest_first else 1,
            "property": [],
            "queueItem": None,
            "concurrentBuild": pipeline,
        }

    def build_json(self, job: Job, build: Build) -> dict[str, Any]:
        pipeline = job.kind == "pipeline"
        actions: list[Any] = [
            {
                "_class": "hudson.model.CauseAction",
                "causes": [
                    {
                        "_class": "hudson.model.Cause$UserIdCause",
                        "shortDescription": "Started by user Deployer",
                        "userId": "deployer",
                        "userName": "Deployer",
                    }
                ],
            },
            {},
        ]
        if build.library:
            actions.append(
                _build_data(build, build.library, "https://github.com/acme/jenkins-lib.git")
            )
        if build.revision:
            actions.append(_build_data(build, build.revision, job.repo))
            actions.append({"_class": "hudson.plugins.git.GitTagAction"})
        actions += [
            {},
            {"_class": "org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction"},
            {},
        ]
        if pipeline:
            actions.append({"_class": "org.jenkinsci.plugins.workflow.job.views.FlowGraphAction"})
        change_set = {
            "_class": "hudson.plugins.git.GitChangeSetList",
            "items": [_change(build, c, i) for i, c in enumerate(build.commits)],
            "kind": "git",
        }
        body: dict[str, Any] = {
            "_class": (
                "org.jenkinsci.plugins.workflow.job.WorkflowRun"
                if pipeline
                else "hudson.model.FreeStyleBuild"
            ),
            "actions": actions,
            "artifacts": [],
            "building": build.building,
            "description": None,
            "displayName": f"#{build.number}",
            "duration": 0 if build.building else build.duration_ms,
            "estimatedDuration": 60_000,
            "executor": {"_class": "hudson.model.OneOffExecutor"} if build.building else None,
            "fullDisplayName": f"{job.full_name.replace('/', ' » ')} #{build.number}",
            "id": str(build.number),
            "keepLog": False,
            "number": build.number,
            "queueId": 1000 + build.number,
            "result": None if build.building else build.result,
            "timestamp": epoch_ms(build.started),
            "url": f"{self.item_url(job.full_name)}{build.number}/",
            "culprits": [],
        }
        if pipeline:
            body["changeSets"] = [change_set] if build.commits else []
            body["inProgress"] = build.building
        else:
            body["builtOn"] = ""
            body["changeSet"] = change_set
        return body

    def _depth_zero(self, item: dict[str, Any]) -> dict[str, Any]:
        shallow = {k: v for k, v in item.items() if k != "allBuilds"}
        for key in ("builds", "firstBuild", "lastBuild"):
            value = shallow.get(key)
            if isinstance(value, list):
                shallow[key] = [{k: b[k] for k in ("_class", "number", "url")} for b in value]
            elif isinstance(value, dict):
                shallow[key] = {k: value[k] for k in ("_class", "number", "url")}
        return shallow


def _build_data(build: Build, revision: str, remote: str) -> dict[str, Any]:
    branch = [{"SHA1": revision, "name": "refs/remotes/origin/main"}]
    marked = {"SHA1": revision, "branch": branch}
    return {
        "_class": "hudson.plugins.git.util.BuildData",
        "buildsByBranchName": {
            "refs/remotes/origin/main": {
                "_class": "hudson.plugins.git.util.Build",
                "buildNumber": build.number,
                "buildResult": None,
                "marked": marked,
                "revision": marked,
            }
        },
        "lastBuiltRevision": marked,
        "remoteUrls": [remote],
        "scmName": "",
    }


def _change(build: Build, commit: str, index: int) -> dict[str, Any]:
    moment = epoch_ms(build.started) - 3_600_000 + index * 60_000
    return {
        "_class": "hudson.plugins.git.GitChangeSet",
        "affectedPaths": ["src/app.py"],
        "commitId": commit,
        "timestamp": moment,
        "author": {"absoluteUrl": "http://jenkins/user/dev", "fullName": "Dev"},
        "authorEmail": "dev@example.com",
        "comment": f"change {index}\n",
        "date": datetime.fromtimestamp(moment / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S +0000"),
        "id": commit,
        "msg": f"change {index}",
        "paths": [{"editType": "edit", "file": "src/app.py"}],
    }


# -- the connector contract -------------------------------------------------------------------


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def contract_jobs(populated: bool) -> list[Job]:
    """deploy/a1 and deploy/b1; populated: builds on 2026-01-02..2026-01-12."""
    if not populated:
        return [Job("deploy/a1"), Job("deploy/b1")]
    a1 = "https://github.com/acme/a1.git"
    b1 = "https://github.com/acme/b1.git"
    return [
        Job(
            "deploy/a1",
            [
                Build(1, "SUCCESS", _at(2, 10), revision=sha("a1", 1)),
                Build(2, "FAILURE", _at(5, 10), revision=sha("a1", 2), commits=[sha("a1", 2)]),
                Build(3, "SUCCESS", _at(6, 10), revision=sha("a1", 3), commits=[sha("a1", 3)]),
                Build(4, "ABORTED", _at(9, 10), revision=sha("a1", 3)),
            ],
            repo=a1,
        ),
        Job(
            "deploy/b1",
            [
                Build(1, "SUCCESS", _at(3, 12), revision=sha("b1", 1)),
                Build(2, "UNSTABLE", _at(8, 12), revision=sha("b1", 2), commits=[sha("b1", 2)]),
                Build(3, "SUCCESS", _at(12, 12), revision=sha("b1", 3), commits=[sha("b1", 3)]),
            ],
            kind="freestyle",
            repo=b1,
        ),
    ]


@contextmanager
def contract_source(kind: str, populated: bool) -> Iterator[dict[str, Any]]:
    fake = FakeJenkins(contract_jobs(populated), users={"contract": CONTRACT_TOKEN})
    with fake.running():
        yield {
            "type": kind,
            "url": fake.url,
            "auth": "basic",
            "username": "contract",
            "token_env": "CONTRACT_TOKEN",
            "jobs": [
                {"job": "deploy/a1", "service_id": "a1"},
                {"job": "deploy/b1", "service_id": "b1", "environment": "production"},
            ],
        }
