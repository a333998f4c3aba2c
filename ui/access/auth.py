"""Optional login (Streamlit's ``st.login``, OIDC) and the viewer's roles.

Off unless ``.streamlit/secrets.toml`` has Streamlit's ``[auth]`` table: local use needs no
login and may do everything. With login on, a visitor signs in with the configured identity
provider and gets the roles that ``[techpulse.roles]`` maps from the e-mail, its domain or a
group claim (ui/access/roles.py); pages and actions follow from the roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from i18n import _
from ui.access import roles as role_rules


@dataclass(frozen=True)
class Viewer:
    login: bool  # login is configured
    logged_in: bool
    email: str | None
    roles: frozenset[str]


def login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or one Streamlit cannot parse: login stays off
        return False


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def current_user() -> tuple[bool, dict[str, Any]]:
    """(logged in, OIDC claims) of this session."""
    user = st.user
    return bool(user.is_logged_in), _plain(user.to_dict())


def viewer() -> Viewer:
    """This session's viewer; raises RolesError when the role mapping is invalid."""
    if not login_configured():
        return Viewer(False, True, None, role_rules.LOCAL)
    logged_in, claims = current_user()
    if not logged_in:
        return Viewer(True, False, None, frozenset())
    mapping = _plain(st.secrets.get("techpulse", {})).get("roles", {})
    email = claims.get("email")
    return Viewer(True, True, str(email) if email else None, role_rules.roles_for(claims, mapping))


def may(action: str) -> bool:
    """Whether this session may run ``action`` (see ui/access/roles.py ACTIONS)."""
    try:
        return role_rules.may(viewer().roles, action)
    except (role_rules.RolesError, role_rules.ClaimsError):
        return False


class AccessDenied(PermissionError):
    """This session's roles may not read a dataset; raised before any query runs."""


def may_read(dataset: str) -> bool:
    """Whether this session may read ``dataset`` (ui/access/roles.py DATASET_PAGES)."""
    try:
        return role_rules.may_read(viewer().roles, dataset)
    except (role_rules.RolesError, role_rules.ClaimsError):
        return False


def require(dataset: str) -> None:
    """Refuse ``dataset`` to a session whose roles do not see its page. Called in front of
    every cached computation and download, whose cache keys do not hold the role."""
    if not may_read(dataset):
        raise AccessDenied(f"your roles may not read {dataset}")


def authlib_missing() -> bool:
    """st.login needs Authlib, an optional dependency (only deployments with login use it)."""
    try:
        import authlib  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return True
    return False


def login_screen() -> None:
    st.title("TechPulse")
    if authlib_missing():
        st.error(
            _(
                "**Login is configured in `.streamlit/secrets.toml`, but Authlib is not "
                "installed.** Install it in the app's environment (`.venv/bin/pip install "
                "'Authlib>=1.3.2'`) and restart, or remove the `[auth]` table to run without login."
            ),
            icon=":material/lock:",
        )
        return
    st.info(_("Sign in to see your organisation's scorecard."), icon=":material/login:")
    st.button(_("Log in"), on_click=st.login, type="primary", icon=":material/login:")


def no_role_screen(who: Viewer) -> None:
    st.title("TechPulse")
    st.warning(
        _(
            "**{account} has no TechPulse role yet.** Ask an admin to add your e-mail, domain or "
            "group to `[techpulse.roles]` in `.streamlit/secrets.toml`."
        ).format(account=who.email or _("Your account")),
        icon=":material/lock:",
    )
    st.button(_("Log out"), on_click=st.logout)


def claims_error_screen(error: Exception) -> None:
    st.title("TechPulse")
    st.error(_("**TechPulse cannot read your groups.**"), icon=":material/lock:")
    st.text(f"{error}.")
    st.info(
        _(
            "Ask your identity provider's admin to send the groups claim as a list of group "
            "names, or set group_claim in [techpulse.roles] to the claim that holds them."
        )
    )
    st.button(_("Log out"), on_click=st.logout)


def roles_error_screen(error: Exception) -> None:
    st.title("TechPulse")
    st.error(
        _("**The role mapping is not valid.** {reason}.").format(reason=error),
        icon=":material/lock:",
    )
    st.info(_("Fix `[techpulse.roles]` in `.streamlit/secrets.toml` and reload."))


def signed_in_box(who: Viewer) -> None:
    if not who.login:
        return
    with st.sidebar:
        st.caption(
            _("Signed in as {account} · {roles}").format(
                account=who.email or _("unknown"), roles=", ".join(sorted(who.roles))
            )
        )
        st.button(_("Log out"), on_click=st.logout, key="logout")
