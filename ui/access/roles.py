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

An e-mail or domain rule matches only a *verified* address: the identity provider must send
``email_verified: true`` (an unverified address can be typed by anyone at sign-up). Providers
that never send the claim but only issue verified addresses (a corporate Entra ID tenant) set
``assume_verified_email = true``. Group rules do not depend on the e-mail.

Data follows the pages: :data:`DATASET_PAGES` says which pages a dataset belongs to, and a role
may read it exactly when it sees all of them, so a download, a cached computation or a command
served through the app never reaches further than the navigation does.
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

# Management data and the page that shows it; every other export table belongs to the export
# page alone. `investments` is the ROI ledger, `actions` the PDCA items of the review.
MANAGEMENT_TABLES = {"investments": "executive", "actions": "review"}
# Computations served by the app outside the export page, and the page they belong to.
VIEWS = {"roi": "executive", "review": "review", "review_export": "review"}
MAPPING_KEYS = frozenset({"group_claim", "emails", "domains", "groups", "assume_verified_email"})


class RolesError(ValueError):
    """The role mapping in secrets.toml is invalid; the message says what to fix."""


class ClaimsError(ValueError):
    """The identity provider sent a claim TechPulse cannot read (a malformed groups claim)."""


def dataset_pages(dataset: str) -> frozenset[str]:
    """The pages a role must see to read ``dataset`` (an export table, ``kpis`` or a view)."""
    if dataset in VIEWS:
        return frozenset({VIEWS[dataset]})
    if dataset in MANAGEMENT_TABLES:
        return frozenset({"export", MANAGEMENT_TABLES[dataset]})
    return frozenset({"export"})


def may_read(roles: frozenset[str], dataset: str) -> bool:
    """Whether these roles may read ``dataset`` anywhere in the app."""
    return dataset_pages(dataset) <= pages_for(roles)


def dataset_matrix(datasets: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """role → the datasets it may read: the table documented in docs/security.md."""
    return {
        role: frozenset(d for d in datasets if may_read(frozenset({role}), d)) for role in ROLES
    }


def _verified(claims: Mapping[str, Any], mapping: Mapping[str, Any]) -> bool:
    """True only for ``email_verified: true`` (or the mapping's assume_verified_email)."""
    value = claims.get("email_verified")
    if value is None:
        return mapping.get("assume_verified_email") is True
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _groups(claims: Mapping[str, Any], claim: str) -> set[str]:
    """The group names in ``claim``: absent, one string or a list of strings."""
    value = claims.get(claim)
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple) and all(isinstance(g, str) for g in value):
        return set(value)
    raise ClaimsError(
        f"the {claim!r} claim from the identity provider is a {type(value).__name__}, "
        "not a list of group names"
    )


def roles_for(claims: Mapping[str, Any], mapping: Mapping[str, Any]) -> frozenset[str]:
    """Every role the mapping gives the person with these OIDC claims."""
    _check(mapping)
    email = str(claims.get("email") or "").strip().lower() if _verified(claims, mapping) else ""
    found: set[str] = set()
    for address, role in dict(mapping.get("emails", {})).items():
        if email and email == str(address).strip().lower():
            found.add(str(role))
    domain = email.rpartition("@")[2] if "@" in email else ""
    for name, role in dict(mapping.get("domains", {})).items():
        if domain and domain == str(name).strip().lower().lstrip("@"):
            found.add(str(role))
    groups = _groups(claims, str(mapping.get("group_claim", "groups")))
    for group, role in dict(mapping.get("groups", {})).items():
        if str(group) in groups:
            found.add(str(role))
    return frozenset(found)


def pages_for(roles: frozenset[str]) -> frozenset[str]:
    """URL paths of the pages these roles may open (the scorecard's is 'scorecard')."""
    return frozenset().union(*(PAGES[r] for r in roles)) if roles else frozenset()


def may(roles: frozenset[str], action: str) -> bool:
    return bool(roles & ACTIONS[action])


def _check(mapping: Mapping[str, Any]) -> None:
    unknown_keys = set(mapping) - MAPPING_KEYS
    if unknown_keys:
        raise RolesError(
            f"[techpulse.roles] has unknown key(s) {', '.join(sorted(unknown_keys))}; "
            "use group_claim, emails, domains, groups and assume_verified_email"
        )
    if not isinstance(mapping.get("assume_verified_email", False), bool):
        raise RolesError("[techpulse.roles] assume_verified_email must be true or false")
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
