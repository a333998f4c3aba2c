"""Teams and services as the catalog declares them, and the rules every way in must keep."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from i18n import _

ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
TIERS = ("tier-1", "tier-2", "tier-3")
LIFECYCLES = ("experimental", "production", "deprecated")
MAX_TEXT = 200


@dataclass(frozen=True)
class Problem:
    """One thing to fix, at a line of the file when it has one."""

    line: int | None
    message: str

    def text(self) -> str:
        if not (self.line):
            return self.message
        return _("line {line}: {message}").format(line=self.line, message=self.message)


class CatalogError(Exception):
    """The catalog cannot be applied; ``problems`` lists every entry to fix (nothing written)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.text() for p in problems[:3]))
        self.problems = problems


@dataclass(frozen=True)
class Team:
    team_id: str
    name: str
    parent_team_id: str | None = None
    owner_group: str | None = None
    cost_centre: str | None = None


@dataclass(frozen=True)
class Service:
    service_id: str
    team_id: str
    name: str
    tier: str = "tier-2"
    lifecycle: str = "production"
    environments: str | None = None  # comma-separated, lower case
    repo_url: str | None = None
    prometheus_selector: str | None = None
    sonar_project_key: str | None = None
    gitlab_project: str | None = None
    jenkins_job: str | None = None
    pagerduty_service: str | None = None
    jira_component: str | None = None
    renamed_from: str | None = None  # the id it had: its history moves to the new id


TEAM_FIELDS = tuple(f.name for f in fields(Team))
SERVICE_FIELDS = tuple(f.name for f in fields(Service) if f.name != "renamed_from")


@dataclass(frozen=True)
class Catalog:
    teams: tuple[Team, ...]
    services: tuple[Service, ...]


def check_references(catalog: Catalog, team_lines: list[int | None]) -> list[Problem]:
    """Parents that exist and form no cycle (each team's chain of parents ends at the top)."""
    parents = {t.team_id: t.parent_team_id for t in catalog.teams}
    problems = []
    for team, line in zip(catalog.teams, team_lines, strict=True):
        seen = {team.team_id}
        parent = team.parent_team_id
        while parent is not None:
            if parent not in parents:
                problems.append(
                    Problem(
                        line,
                        _("team {team_id}: parent {parent} is not a team of the catalog").format(
                            team_id=team.team_id, parent=repr(parent)
                        ),
                    )
                )
                break
            if parent in seen:
                problems.append(
                    Problem(
                        line,
                        _("team {team_id}: its parents form a cycle through {parent}").format(
                            team_id=team.team_id, parent=repr(parent)
                        ),
                    )
                )
                break
            seen.add(parent)
            parent = parents[parent]
    return problems
