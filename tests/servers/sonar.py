"""A fake SonarQube Web API (stdlib http.server in a thread) that answers as the docs describe.

Endpoints: ``api/metrics/search``, ``api/projects/search`` (Administer only),
``api/components/search``, ``api/measures/search_history`` (paged over analyses, points may
lack a value, unknown metrics → 400), ``api/measures/component`` (new-code metrics in
``period``) and ``api/qualitygates/project_status``. Errors use SonarQube's
``{"errors": [{"msg": …}]}`` body. Authentication is Bearer and/or Basic (token as login).

Faults are scripted per path (:meth:`FakeSonar.fail`) and served before the normal answer;
``delay`` adds latency to every answer (the benchmark uses 50 ms). Every request is logged in
:attr:`FakeSonar.log`. Run ``python -m tests.servers.sonar`` to serve a demo data set.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.servers.fake import FakeApi, Incoming, Reply
from tests.servers.fake import Fault as Fault  # the tests script faults with it

# A SonarQube 9.x-like metric set; 10.x renamed issue counts (see without/extra).
METRICS = (
    "lines_to_cover",
    "uncovered_lines",
    "conditions_to_cover",
    "uncovered_conditions",
    "new_lines_to_cover",
    "new_uncovered_lines",
    "coverage",
    "new_coverage",
    "sqale_index",
    "bugs",
    "vulnerabilities",
    "code_smells",
    "duplicated_lines_density",
    "reliability_rating",
    "security_rating",
    "alert_status",
    "ncloc",
    "complexity",
)
SERVER_TZ = timezone(timedelta(hours=1))  # dates come back in the server's zone, +0100


def sonar_date(moment: datetime) -> str:
    return moment.astimezone(SERVER_TZ).strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass
class Analysis:
    date: datetime
    values: dict[str, str | None]  # None: the history point has no value for that metric


@dataclass
class Project:
    key: str
    analyses: list[Analysis] = field(default_factory=list)
    gate: str | None = None  # None: derived from the last analysis' alert_status
    browse: bool = True  # False: the token's user lacks Browse → 403
    name: str = ""

    def current(self) -> dict[str, str]:
        if not self.analyses:
            return {}
        return {k: v for k, v in self.analyses[-1].values.items() if v is not None}


class FakeSonar(FakeApi):
    """The server state; use :meth:`running` to serve it."""

    def __init__(
        self,
        projects: list[Project],
        *,
        tokens: set[str] | None = None,
        admin_tokens: set[str] | None = None,
        auth: str = "both",
        organization: str | None = None,
        metrics: tuple[str, ...] = METRICS,
        delay: float = 0.0,
        echo_auth_in_errors: bool = False,
    ) -> None:
        super().__init__(delay=delay)
        self.projects = {p.key: p for p in projects}
        self.tokens = tokens if tokens is not None else {"good-token"}
        self.admin_tokens = admin_tokens if admin_tokens is not None else set(self.tokens)
        self.auth = auth
        self.organization = organization
        self.metrics = metrics
        self.echo_auth_in_errors = echo_auth_in_errors
        self.log: list[tuple[str, dict[str, str]]] = []

    def reply(self, incoming: Incoming) -> Reply:
        authorization = incoming.headers.get("Authorization")
        status, body = self.answer(incoming.path, incoming.params(), authorization)
        if status >= 400 and self.echo_auth_in_errors:
            # A misbehaving server (or proxy) echoing credentials: the client must redact.
            body = {"errors": [{"msg": f"rejected {authorization}"}]}
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    # -- the API --------------------------------------------------------------------------

    def token_of(self, header: str | None) -> str | None:
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme == "Bearer" and self.auth in ("both", "bearer"):
            return value
        if scheme == "Basic" and self.auth in ("both", "basic"):
            login, _, _password = base64.b64decode(value).decode().partition(":")
            return login
        return None

    def answer(
        self, path: str, params: dict[str, str], authorization: str | None
    ) -> tuple[int, Any]:
        token = self.token_of(authorization)
        if token not in self.tokens:
            return 401, {"errors": [{"msg": "Authentication is required"}]}
        if path == "/api/metrics/search":
            return 200, self._metrics(params)
        if path in ("/api/projects/search", "/api/components/search"):
            if path == "/api/projects/search" and token not in self.admin_tokens:
                return 403, {"errors": [{"msg": "Insufficient privileges"}]}
            return self._projects(params, admin=path == "/api/projects/search")
        if path == "/api/measures/search_history":
            return self._history(params)
        if path == "/api/measures/component":
            return self._component(params)
        if path == "/api/qualitygates/project_status":
            return self._gate(params)
        return 404, {"errors": [{"msg": f"Unknown url : {path}"}]}

    @staticmethod
    def _page(params: dict[str, str], default: int, maximum: int) -> tuple[int, int] | str:
        page, size = int(params.get("p", 1)), int(params.get("ps", default))
        if size > maximum:
            return f"'ps' value ({size}) must be less than {maximum}"
        return page, size

    def _metrics(self, params: dict[str, str]) -> dict[str, Any]:
        paging = self._page(params, 100, 500)
        assert not isinstance(paging, str)
        page, size = paging
        chunk = self.metrics[(page - 1) * size : page * size]
        metrics = [
            {"id": str(i), "key": k, "name": k, "type": "INT", "domain": "Tests"}
            for i, k in enumerate(chunk)
        ]
        return {"metrics": metrics, "total": len(self.metrics), "p": page, "ps": size}

    def _projects(self, params: dict[str, str], *, admin: bool) -> tuple[int, Any]:
        if self.organization is not None and params.get("organization") != self.organization:
            return 400, {"errors": [{"msg": "The 'organization' parameter is missing"}]}
        if params.get("qualifiers") != "TRK":
            return 400, {"errors": [{"msg": "qualifiers must be TRK in this fake"}]}
        paging = self._page(params, 100, 500)
        if isinstance(paging, str):
            return 400, {"errors": [{"msg": paging}]}
        page, size = paging
        keys = sorted(self.projects)
        components = []
        for key in keys[(page - 1) * size : page * size]:
            project = self.projects[key]
            item: dict[str, Any] = {"key": key, "name": project.name or key, "qualifier": "TRK"}
            if admin:
                item["visibility"] = "private"
                if project.analyses:
                    item["lastAnalysisDate"] = sonar_date(project.analyses[-1].date)
            else:
                item["project"] = key
                if self.organization:
                    item["organization"] = self.organization
            components.append(item)
        paging_out = {"pageIndex": page, "pageSize": size, "total": len(keys)}
        return 200, {"paging": paging_out, "components": components}

    def _project(self, key: str | None) -> tuple[int, Any] | Project:
        project = self.projects.get(key or "")
        if project is None:
            return 404, {"errors": [{"msg": f"Component key '{key}' not found"}]}
        if not project.browse:
            return 403, {"errors": [{"msg": "Insufficient privileges"}]}
        return project

    def _unknown(self, metrics: list[str]) -> list[str]:
        return [m for m in metrics if m not in self.metrics]

    def _history(self, params: dict[str, str]) -> tuple[int, Any]:
        found = self._project(params.get("component"))
        if not isinstance(found, Project):
            return found
        metrics = params.get("metrics", "").split(",")
        unknown = self._unknown(metrics)
        if unknown:
            return 400, {"errors": [{"msg": f"Metrics {', '.join(unknown)} are not found"}]}
        paging = self._page(params, 100, 1000)
        if isinstance(paging, str):
            return 400, {"errors": [{"msg": paging}]}
        page, size = paging
        analyses = found.analyses
        if "from" in params:
            since = datetime.strptime(params["from"], "%Y-%m-%dT%H:%M:%S%z")
            analyses = [a for a in analyses if a.date >= since]
        chosen = analyses[(page - 1) * size : page * size]
        measures = []
        for metric in metrics:
            points = []
            for analysis in chosen:
                point = {"date": sonar_date(analysis.date)}
                value = analysis.values.get(metric)
                if value is not None:
                    point["value"] = value
                points.append(point)
            measures.append({"metric": metric, "history": points})
        paging_out = {"pageIndex": page, "pageSize": size, "total": len(analyses)}
        return 200, {"paging": paging_out, "measures": measures}

    def _component(self, params: dict[str, str]) -> tuple[int, Any]:
        found = self._project(params.get("component"))
        if not isinstance(found, Project):
            return found
        keys = params.get("metricKeys", "").split(",")
        unknown = self._unknown(keys)
        if unknown:
            msg = f"The following metric keys are not found: {', '.join(unknown)}"
            return 404, {"errors": [{"msg": msg}]}
        current = found.current()
        measures: list[dict[str, Any]] = []
        for key in keys:
            if key not in current:
                continue
            if key.startswith("new_"):
                measures.append({"metric": key, "period": {"index": 1, "value": current[key]}})
            else:
                measures.append({"metric": key, "value": current[key]})
        component = {"key": found.key, "name": found.key, "qualifier": "TRK"}
        return 200, {"component": {**component, "measures": measures}}

    def _gate(self, params: dict[str, str]) -> tuple[int, Any]:
        found = self._project(params.get("projectKey"))
        if not isinstance(found, Project):
            return found
        status = found.gate or found.current().get("alert_status") or "NONE"
        return 200, {"projectStatus": {"status": status, "ignoredConditions": False}}


def demo_projects(count: int, start: datetime | None = None) -> list[Project]:
    """``count`` projects with three analyses each, for the benchmark and manual runs."""
    first = start or datetime(2026, 1, 1, tzinfo=UTC)
    projects = []
    for index in range(count):
        analyses = []
        for n in range(3):
            uncovered = 100 + (index * 7 + n * 13) % 300
            analyses.append(
                Analysis(
                    first + timedelta(days=7 * n, minutes=index),
                    {
                        "lines_to_cover": "1000",
                        "uncovered_lines": str(uncovered),
                        "conditions_to_cover": "200",
                        "uncovered_conditions": str(uncovered // 5),
                        "new_lines_to_cover": "50",
                        "new_uncovered_lines": str(n * 5),
                        "coverage": f"{100 - uncovered / 10:.1f}",
                        "sqale_index": str(480 + index),
                        "bugs": str(n),
                        "vulnerabilities": "0",
                        "code_smells": str(10 + n),
                        "duplicated_lines_density": "1.5",
                        "alert_status": "OK" if n % 2 == 0 else "ERROR",
                    },
                )
            )
        projects.append(Project(f"acme:svc-{index:04d}", analyses))
    return projects


def main(argv: list[str] | None = None) -> None:
    """Serve ``demo_projects`` until killed; prints the URL on the first line of stdout."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.servers.sonar")
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added per answer")
    parser.add_argument("--token", default="good-token")
    parser.add_argument("--read-only", action="store_true", help="the token is not an admin")
    args = parser.parse_args(argv)
    fake = FakeSonar(
        demo_projects(args.projects),
        tokens={args.token},
        admin_tokens=set() if args.read_only else {args.token},
        delay=args.delay,
    )
    fake.serve_until_interrupted()


if __name__ == "__main__":
    main()
