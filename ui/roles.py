"""Who may see and do what when login is on: roles from e-mail, domain or group claims.

Pure functions (no Streamlit), so the mapping is tested by hand. The mapping lives in
``.streamlit/secrets.toml`` next to Streamlit's own ``[auth]`` settings::

    [techpulse.roles]
    group_claim = "groups"                       # the OIDC claim holding group names
    emails = { "cto@example.com" = "cto" }
    domains = { "example.com" = "analyst" }      # everyone with an address at the domain
    groups = { "platform-admins" = "admin" }

A person gets every role any rule gives them. Roles are about what a person may see and
change; the figures they see are always team and service level, never per person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ROLES = ("executive", "cto", "analyst", "admin")
ALL_PAGES = frozenset(
    {
        "scorecard",
        "executive",
        "review",
        "delivery",
        "reliability",
        "quality",
        "incidents",
        "export",
        "data-sources",
    }
)
PAGES = {
    "executive": frozenset({"scorecard", "executive", "review"}),
    "cto": ALL_PAGES,
    "analyst": ALL_PAGES - {"executive", "review"},
    "admin": ALL_PAGES,
}
ACTIONS = {
    "sync": frozenset({"admin"}),  # run connectors from the Data sources page
    "edit_actions": frozenset({"cto", "admin"}),  # PDCA items of the quarterly review
    "edit_assumptions": frozenset({"executive", "cto", "admin"}),  # the ROI what-if editor
}
LOCAL = frozenset({"admin"})  # login off (local use): everything


class RolesError(ValueError):
    """The role mapping in secrets.toml is invalid; the message says what to fix."""


def roles_for(claims: Mapping[str, Any], mapping: Mapping[str, Any]) -> frozenset[str]:
    """Every role the mapping gives the person with these OIDC claims."""
    _check(mapping)
    email = str(claims.get("email") or "").strip().lower()
    found: set[str] = set()
    for address, role in dict(mapping.get("emails", {})).items():
        if email and email == str(address).strip().lower():
            found.add(str(role))
    domain = email.rpartition("@")[2] if "@" in email else ""
    for name, role in dict(mapping.get("domains", {})).items():
        if domain and domain == str(name).strip().lower().lstrip("@"):
            found.add(str(role))
    groups = claims.get(str(mapping.get("group_claim", "groups"))) or []
    if isinstance(groups, str):
        groups = [groups]
    for group, role in dict(mapping.get("groups", {})).items():
        if str(group) in {str(g) for g in groups}:
            found.add(str(role))
    return frozenset(found)


def pages_for(roles: frozenset[str]) -> frozenset[str]:
    """URL paths of the pages these roles may open (the scorecard's is 'scorecard')."""
    return frozenset().union(*(PAGES[r] for r in roles)) if roles else frozenset()


def may(roles: frozenset[str], action: str) -> bool:
    return bool(roles & ACTIONS[action])


def _check(mapping: Mapping[str, Any]) -> None:
    unknown_keys = set(mapping) - {"group_claim", "emails", "domains", "groups"}
    if unknown_keys:
        raise RolesError(
            f"[techpulse.roles] has unknown key(s) {', '.join(sorted(unknown_keys))}; "
            "use group_claim, emails, domains and groups"
        )
    for table in ("emails", "domains", "groups"):
        entries = mapping.get(table, {})
        if not isinstance(entries, Mapping):
            raise RolesError(f"[techpulse.roles] {table} must be a table of name = role")
        for name, role in entries.items():
            if role not in ROLES:
                raise RolesError(
                    f"[techpulse.roles] {table}.{name} = {role!r} is not a role; "
                    f"use one of {', '.join(ROLES)}"
                )
