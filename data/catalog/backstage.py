"""Backstage ``catalog-info.yaml`` files read into the same validated catalog as the TOML file.

Many organisations already keep their teams and services in Backstage; TechPulse reads those
descriptors rather than asking for a second copy. From one file or a directory tree of
``catalog-info.yaml`` / ``.yml`` files (multi-document YAML):

* ``Group`` → a team: ``metadata.name`` (id), ``spec.profile.displayName`` or
  ``metadata.title`` (name), ``spec.parent``, ``spec.profile.email`` (the group to contact);
* ``Component`` → a service: ``metadata.name``, ``metadata.title``, ``spec.owner`` (a group;
  from the component's ``spec.system`` when it names none), ``spec.lifecycle``, and the
  well-known annotations: ``github.com/project-slug`` (→ repo_url), ``gitlab.com/project-slug``,
  ``sonarqube.org/project-key``, ``pagerduty.com/service-id``, ``jenkins.io/job-full-name``,
  ``jira/component``, ``backstage.io/source-location`` (``url:…``, → repo_url when no GitHub
  slug), and ``techpulse.io/tier``, ``techpulse.io/environments`` and
  ``techpulse.io/prometheus-selector`` for what Backstage has no annotation for;
* ``System`` → only its ``spec.owner``, inherited by its components. Other kinds are ignored.

An owner that is a ``user:`` is refused: TechPulse measures teams, never a person. Problems name
the file and the line of the document, and nothing is applied while any remains.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from data.catalog.model import Catalog, CatalogError, Problem
from data.catalog.tomlfile import catalog_from_entries
from i18n import _

NAMES = ("catalog-info.yaml", "catalog-info.yml")
_SEPARATOR = re.compile(r"^---\s*$")


def _mapping(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` when it is a mapping, else an empty one (optional YAML sections)."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def descriptor_files(path: Path) -> list[Path]:
    """``path`` itself, or every catalog-info file under it, in a stable order."""
    if path.is_dir():
        return sorted(p for name in NAMES for p in path.rglob(name) if p.is_file())
    return [path]


def _documents(path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    """(first line, mapping) of each YAML document in the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(
            Problem(
                None,
                _("{path}: cannot read it ({exc}); save it as UTF-8 text").format(
                    path=path, exc=exc
                ),
            )
        )
        return []
    found = []
    try:
        for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if node is None:
                continue
            value = yaml.safe_load(yaml.serialize(node))
            line = node.start_mark.line + 1
            if isinstance(value, dict):
                found.append((line, value))
            else:
                problems.append(
                    Problem(line, _("{path}: a document that is not a mapping").format(path=path))
                )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(
            Problem(
                line,
                _("{path}: not valid YAML ({value})").format(
                    path=path, value=" ".join(str(exc).split())
                ),
            )
        )
    return found


def _ref(value: Any) -> tuple[str | None, str | None]:
    """(kind, name) of an entity reference: ``group:default/payments`` → ("group", "payments")."""
    if not isinstance(value, str) or not value.strip():
        return None, None
    text = value.strip()
    kind, _sep, rest = text.rpartition(":") if ":" in text else ("", "", text)
    return (kind.lower() or None), rest.rpartition("/")[2]


def read_backstage(path: Path) -> Catalog:
    """The catalog of every Group and Component under ``path``; :class:`CatalogError` lists every
    problem with its file and line."""
    files = descriptor_files(path)
    problems: list[Problem] = []
    if not files or not path.exists():
        raise CatalogError(
            [Problem(None, _("no catalog-info.yaml under {path}").format(path=path))]
        )
    teams: list[tuple[int | None, dict[str, Any]]] = []
    components: list[tuple[int, Path, dict[str, Any]]] = []
    system_owner: dict[str, str | None] = {}
    for file in files:
        for line, doc in _documents(file, problems):
            kind = str(doc.get("kind", "")).lower()
            meta = _mapping(doc, "metadata")
            spec = _mapping(doc, "spec")
            name = meta.get("name")
            if kind == "group":
                profile = _mapping(spec, "profile")
                entry: dict[str, Any] = {
                    "id": name,
                    "name": profile.get("displayName") or meta.get("title") or name,
                }
                if spec.get("parent"):
                    entry["parent"] = _ref(spec.get("parent"))[1]
                if profile.get("email"):
                    entry["owner_group"] = profile["email"]
                teams.append((line, entry))
            elif kind == "system" and isinstance(name, str):
                system_owner[name] = _owner(
                    spec.get("owner"), f"{file}: system {name}", line, problems
                )
            elif kind == "component":
                components.append((line, file, doc))
    services = [
        (line, _service(file, doc, line, system_owner, problems)) for line, file, doc in components
    ]
    catalog = catalog_from_entries(
        [e for _, e in teams], [line for line, _ in teams],
        [e for _, e in services if e is not None], [line for line, e in services if e is not None],
        problems,
    )  # fmt: skip
    return catalog


def _owner(value: Any, label: str, line: int, problems: list[Problem]) -> str | None:
    kind, name = _ref(value)
    if name is None:
        return None
    if kind not in (None, "group"):
        problems.append(
            Problem(line, _(
"{name}: owner {value} is not a group; TechPulse measures teams, never "
"a person — name the owning group"
).format(name=label, value=repr(value)))
        )  # fmt: skip
        return None
    return name


def _service(file: Path, doc: dict[str, Any], line: int, system_owner: dict[str, str | None],
             problems: list[Problem]) -> dict[str, Any] | None:  # fmt: skip
    meta = _mapping(doc, "metadata")
    spec = _mapping(doc, "spec")
    notes = _mapping(meta, "annotations")
    name = meta.get("name")
    label = f"{file}: component {name}"
    before = len(problems)
    team = _owner(spec.get("owner"), label, line, problems)
    if len(problems) > before:  # a person as owner: already said
        return None
    if team is None and isinstance(spec.get("system"), str):
        team = system_owner.get(_ref(spec["system"])[1] or "")
    if team is None:
        problems.append(
            Problem(
                line, _("{name}: no owning group (spec.owner, or its system's)").format(name=label)
            )
        )
        return None
    entry: dict[str, Any] = {"id": name, "name": meta.get("title") or name, "team": team}
    if spec.get("lifecycle"):
        entry["lifecycle"] = spec["lifecycle"]
    slug = notes.get("github.com/project-slug")
    location = str(notes.get("backstage.io/source-location") or "")
    if slug:
        entry["repo_url"] = f"https://github.com/{slug}"
    elif location.startswith("url:"):
        entry["repo_url"] = location.removeprefix("url:").rstrip("/")
    for annotation, key in (
        ("gitlab.com/project-slug", "gitlab_project"),
        ("sonarqube.org/project-key", "sonar_project_key"),
        ("pagerduty.com/service-id", "pagerduty_service"),
        ("jenkins.io/job-full-name", "jenkins_job"),
        ("jira/component", "jira_component"),
        ("techpulse.io/tier", "tier"),
        ("techpulse.io/prometheus-selector", "prometheus_selector"),
    ):
        if notes.get(annotation):
            entry[key] = notes[annotation]
    if notes.get("techpulse.io/environments"):
        entry["environments"] = [
            e for e in str(notes["techpulse.io/environments"]).split(",") if e.strip()
        ]
    return entry
