"""``config/catalog.toml``: the organisation as code, read into a validated catalog.

Every problem is reported at once, with the line of its ``[[teams]]`` or ``[[services]]``
entry, so a file is fixed in one pass; a file with any problem yields no catalog at all.
See docs/catalog.md for the format.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from data.catalog.model import (
    ID,
    LIFECYCLES,
    MAX_TEXT,
    SERVICE_FIELDS,
    TIERS,
    Catalog,
    CatalogError,
    Problem,
    Service,
    Team,
    check_references,
)
from i18n import _

_HEADER = re.compile(r"^\s*\[\[\s*(teams|services)\s*\]\]\s*(#.*)?$")
_AT_LINE = re.compile(r"\(at line (\d+)")
TEAM_KEYS = {"id": "team_id", "name": "name", "parent": "parent_team_id",
             "owner_group": "owner_group", "cost_centre": "cost_centre"}  # fmt: skip
SERVICE_KEYS = (
    {"id": "service_id", "team": "team_id"}
    | {f: f for f in SERVICE_FIELDS if f not in ("service_id", "team_id")}
    | {"renamed_from": "renamed_from"}
)


def header_lines(text: str) -> dict[str, list[int]]:
    """The line of each ``[[teams]]`` and ``[[services]]`` header, in file order."""
    found: dict[str, list[int]] = {"teams": [], "services": []}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            found[match[1]].append(number)
    return found


def read_catalog(path: Path) -> Catalog:
    """The catalog in ``path``; :class:`CatalogError` lists every problem (nothing is applied)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(
            [
                Problem(
                    None,
                    _(
                        "no catalog file at {path}; copy config/catalog.example.toml and edit it"
                    ).format(path=path),
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(
            [
                Problem(
                    None,
                    _("cannot read {path} ({exc}); save it as UTF-8 text").format(
                        path=path, exc=exc
                    ),
                )
            ]
        ) from None
    return parse_catalog(text)


def parse_catalog(text: str) -> Catalog:
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = _AT_LINE.search(str(exc))
        raise CatalogError(
            [Problem(int(at[1]) if at else None, _("not valid TOML: {exc}").format(exc=exc))]
        ) from None
    lines = header_lines(text)
    problems: list[Problem] = []
    unknown = sorted(set(table) - {"teams", "services"})
    if unknown:
        problems.append(
            Problem(
                None,
                _(
                    "unknown top-level key(s) {value}; the file holds [[teams]] and [[services]]"
                ).format(value=", ".join(unknown)),
            )
        )
    teams_raw = _entries(table, "teams", problems)
    services_raw = _entries(table, "services", problems)
    return catalog_from_entries(
        teams_raw,
        _lines(lines["teams"], len(teams_raw)),
        services_raw,
        _lines(lines["services"], len(services_raw)),
        problems,
    )


def catalog_from_entries(
    teams_raw: list[dict[str, Any]],
    team_lines: list[int | None],
    services_raw: list[dict[str, Any]],
    service_lines: list[int | None],
    problems: list[Problem],
) -> Catalog:
    """The validated catalog of entries written as in catalog.toml (``id``, ``team``, …), from
    any reader; raises :class:`CatalogError` with ``problems`` and every new one, sorted."""
    teams = [_team(raw, line, problems) for raw, line in zip(teams_raw, team_lines, strict=True)]
    services = [
        _service(raw, line, problems) for raw, line in zip(services_raw, service_lines, strict=True)
    ]
    kept_teams = [(t, line) for t, line in zip(teams, team_lines, strict=True) if t is not None]
    kept_services = [
        (s, line) for s, line in zip(services, service_lines, strict=True) if s is not None
    ]
    _duplicates([(t.team_id, line) for t, line in kept_teams], "team", problems)
    _duplicates([(s.service_id, line) for s, line in kept_services], "service", problems)
    listed = {s.service_id for s, _ in kept_services}
    for service, line in kept_services:
        if service.renamed_from is not None and service.renamed_from in listed:
            problems.append(
                Problem(
                    line,
                    _(
                        "service {service_id}: renamed_from {renamed_from} is still listed as a"
                        " service; remove that entry (its history moves here)"
                    ).format(
                        service_id=service.service_id, renamed_from=repr(service.renamed_from)
                    ),
                )
            )
    team_ids = {t.team_id for t, _ in kept_teams}
    for service, line in kept_services:
        if service.team_id not in team_ids:
            problems.append(
                Problem(
                    line,
                    _("service {service_id}: team {team_id} is not declared in [[teams]]").format(
                        service_id=service.service_id, team_id=repr(service.team_id)
                    ),
                )
            )
    catalog = Catalog(tuple(t for t, _ in kept_teams), tuple(s for s, _ in kept_services))
    problems += check_references(catalog, [line for _, line in kept_teams])
    if problems:
        raise CatalogError(sorted(problems, key=lambda p: (p.line or 0, p.message)))
    return catalog


def _entries(table: dict[str, Any], key: str, problems: list[Problem]) -> list[dict[str, Any]]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append(
            Problem(
                None,
                _("{key} must be an array of tables: write each entry under [[{key}]]").format(
                    key=key
                ),
            )
        )
        return []
    return value


def _lines(found: list[int], count: int) -> list[int | None]:
    """Header lines for ``count`` entries (None where entries were written inline)."""
    return [found[i] if i < len(found) and len(found) == count else None for i in range(count)]


def _duplicates(ids: list[tuple[str, int | None]], what: str, problems: list[Problem]) -> None:
    first: dict[str, int | None] = {}
    for ident, line in ids:
        if ident in first:
            where = f" (first at line {first[ident]})" if first[ident] else ""
            problems.append(
                Problem(
                    line,
                    _("{what} {ident} is declared twice{where}").format(
                        what=what, ident=repr(ident), where=where
                    ),
                )
            )
        else:
            first[ident] = line


def _fields(raw: dict[str, Any], keys: dict[str, str], what: str, line: int | None,
            problems: list[Problem]) -> dict[str, Any] | None:  # fmt: skip
    """The entry's values under their column names, or None after recording its problems."""
    label = f"{what} {raw.get('id')!r}" if isinstance(raw.get("id"), str) else what
    before = len(problems)
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        problems.append(
            Problem(
                line,
                _("{name}: unknown key(s) {value}; known: {value2}").format(
                    name=label, value=", ".join(unknown), value2=", ".join(keys)
                ),
            )
        )
    values: dict[str, Any] = {}
    for key, column in keys.items():
        if key not in raw:
            continue
        value = raw[key]
        if key == "environments":
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                problems.append(
                    Problem(
                        line,
                        _(
                            '{name}: environments must be a list of names, e.g. ["production", '
                            '"staging"]'
                        ).format(name=label),
                    )
                )
                continue
            names = list(dict.fromkeys(v.strip().lower() for v in value))
            bad = [n for n in names if not ID.fullmatch(n)]
            if bad:
                problems.append(
                    Problem(
                        line,
                        _(
                            "{name}: environment {value} is not a simple name (letters, digits, . _"
                            " -)"
                        ).format(name=label, value=repr(bad[0])),
                    )
                )
                continue
            values[column] = ",".join(names)
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(
                Problem(line, _("{name}: {key} must be non-empty text").format(name=label, key=key))
            )
            continue
        text = value.strip()
        if len(text) > MAX_TEXT or not text.isprintable():
            problems.append(
                Problem(
                    line,
                    _(
                        "{name}: {key} must be printable text of at most {max_text} characters"
                    ).format(name=label, key=key, max_text=MAX_TEXT),
                )
            )
            continue
        values[column] = text
    for key in ("id", "name"):
        if key not in raw:
            problems.append(
                Problem(line, _("{name}: {key} is required").format(name=label, key=key))
            )
    for key in ("id", "parent", "team", "renamed_from"):
        ident = values.get(keys.get(key, ""))
        if key in keys and ident is not None and not ID.fullmatch(ident):
            problems.append(
                Problem(
                    line,
                    _(
                        "{name}: {key} {ident} is not an id: lower-case letters, digits, '.', "
                        "'_' or '-', up to 64, e.g. checkout-api"
                    ).format(name=label, key=key, ident=repr(ident)),
                )
            )
    return values if len(problems) == before else None


def _team(raw: dict[str, Any], line: int | None, problems: list[Problem]) -> Team | None:
    values = _fields(raw, TEAM_KEYS, "team", line, problems)
    return Team(**values) if values is not None else None


def _service(raw: dict[str, Any], line: int | None, problems: list[Problem]) -> Service | None:
    values = _fields(raw, SERVICE_KEYS, "service", line, problems)
    if values is None:
        return None
    label = f"service {values['service_id']}"
    if "team_id" not in values:
        problems.append(Problem(line, _("{name}: team is required").format(name=label)))
        return None
    for key, choices in (("tier", TIERS), ("lifecycle", LIFECYCLES)):
        if key in values:
            values[key] = values[key].lower()
            if values[key] not in choices:
                problems.append(
                    Problem(
                        line,
                        _("{name}: {key} {value} is not one of {value2}").format(
                            name=label, key=key, value=repr(values[key]), value2=", ".join(choices)
                        ),
                    )
                )
                return None
    url = values.get("repo_url")
    if url is not None and not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url):
        problems.append(
            Problem(
                line,
                _("{name}: repo_url {url} is not an http(s) URL").format(name=label, url=repr(url)),
            )
        )
        return None
    return Service(**values)
