"""Optional login: roles from e-mail, domain and group claims decide pages and actions.

The role rules are checked by hand; the app is driven through AppTest with Streamlit's
``[auth]`` secrets set and the identity provider's answer (``ui.access.auth.current_user``)
replaced, since no OIDC provider runs here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from metrics.reports.export import DATASETS
from tests.ui.test_app import APP, _real_navigation  # noqa: F401  (autouse fixture)
from ui.access import auth
from ui.access.roles import (
    ClaimsError,
    RolesError,
    dataset_matrix,
    may,
    may_read,
    pages_for,
    roles_for,
)

MAPPING = {
    "group_claim": "groups",
    "emails": {"CTO@Example.com": "cto"},
    "domains": {"example.com": "analyst"},
    "groups": {"platform-admins": "admin", "leadership": "executive"},
}
V = {"email_verified": True}
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "techpulse",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
}


def test_roles_come_from_email_domain_and_groups() -> None:
    assert roles_for(V | {"email": "cto@example.com"}, MAPPING) == {"cto", "analyst"}
    assert roles_for(V | {"email": "ana@example.com"}, MAPPING) == {"analyst"}
    assert roles_for({"email": "x@elsewhere.org", "groups": ["leadership"]}, MAPPING) == {
        "executive"
    }
    assert roles_for({"email": "x@elsewhere.org", "groups": "platform-admins"}, MAPPING) == {
        "admin"
    }
    assert roles_for({"email": "x@elsewhere.org"}, MAPPING) == frozenset()
    assert roles_for({}, MAPPING) == frozenset()


def test_pages_and_actions_follow_the_roles() -> None:
    assert pages_for(frozenset({"executive"})) == {"scorecard", "executive", "review"}
    assert "executive" not in pages_for(frozenset({"analyst"}))
    assert "export" in pages_for(frozenset({"analyst"}))
    assert pages_for(frozenset()) == frozenset()
    assert may(frozenset({"admin"}), "sync") and not may(frozenset({"cto"}), "sync")
    assert may(frozenset({"cto"}), "edit_actions") and not may(
        frozenset({"analyst"}), "edit_actions"
    )
    assert may(frozenset({"executive"}), "edit_assumptions")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"emails": {"a@b.c": "boss"}}, "emails.a@b.c = 'boss' is not a role"),
        ({"people": {}}, "unknown key(s) people"),
        ({"groups": ["admins"]}, "groups must be a table"),
    ],
)
def test_a_bad_mapping_names_the_entry_to_fix(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(RolesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        roles_for({"email": "a@b.c"}, mapping)


def login_app(
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    user: dict[str, Any] | None,
    mapping: dict[str, Any] | None = None,
) -> AppTest:
    monkeypatch.setenv("TECHPULSE_DB", str(db))
    monkeypatch.setattr(auth, "current_user", lambda: (user is not None, user or {}))
    app = AppTest.from_file(APP, default_timeout=60)
    app.secrets["auth"] = AUTH
    app.secrets["techpulse"] = {"roles": MAPPING if mapping is None else mapping}
    app.query_params.update({"start": "2026-01-01", "end": "2026-01-14"})
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_without_login_configured_everything_is_open(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert auth.viewer().roles == {"admin"} and not auth.viewer().login


def test_login_configured_asks_to_sign_in_first(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "authlib_missing", lambda: False)
    app = login_app(fixture_db, monkeypatch, user=None)
    assert [b.label for b in app.button] == ["Log in"]
    assert not app.metric, "nothing of the warehouse before sign-in"
    monkeypatch.setattr(auth, "authlib_missing", lambda: True)
    app = login_app(fixture_db, monkeypatch, user=None)
    assert "Authlib is not installed" in app.error[0].value and not app.button


def test_an_analyst_sees_engineering_pages_but_cannot_sync(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = login_app(fixture_db, monkeypatch, user=V | {"email": "ana@example.com"})
    assert app.metric, "the scorecard is open to analysts"
    assert any("ana@example.com · analyst" in c.value for c in app.sidebar.caption)
    app.switch_page("pages/data-sources.py").run()
    assert app.title[0].value == "Data sources"
    assert "Sync now" not in [b.label for b in app.button]
    # the navigation does not even register the management pages for an analyst
    for page in ("pages/executive.py", "pages/review.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(page)


def test_an_executive_reads_the_review_but_cannot_edit_actions(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = login_app(
        fixture_db, monkeypatch, user={"email": "e@elsewhere.org", "groups": ["leadership"]}
    )
    app.switch_page("pages/review.py").run()
    assert app.title[0].value == "Quarterly review"
    assert any("needs the cto or admin role" in c.value for c in app.caption)
    assert "Add action" not in [b.label for b in app.get("form_submit_button")]


def test_no_role_and_a_bad_mapping_are_explained(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = login_app(fixture_db, monkeypatch, user={"email": "x@elsewhere.org"})
    assert "has no TechPulse role yet" in app.warning[0].value and not app.metric
    app = login_app(
        fixture_db, monkeypatch, user={"email": "x@b.c"}, mapping={"emails": {"x@b.c": "boss"}}
    )
    assert "The role mapping is not valid" in app.error[0].value and not app.metric


def test_the_app_binds_to_loopback_and_hides_tracebacks() -> None:
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"  # a network needs STREAMLIT_SERVER_ADDRESS
    assert config["client"]["showErrorDetails"] == "none"  # no stack traces in the browser


def test_an_unverified_address_matches_no_email_or_domain_rule() -> None:
    """Anyone can sign up with cto@example.com at a provider that does not verify it."""
    assert roles_for({"email": "cto@example.com", "email_verified": False}, MAPPING) == set()
    assert roles_for({"email": "cto@example.com", "email_verified": "false"}, MAPPING) == set()
    assert roles_for({"email": "cto@example.com"}, MAPPING) == set()  # no claim: not verified
    trusting = MAPPING | {"assume_verified_email": True}
    assert roles_for({"email": "ana@example.com"}, trusting) == {"analyst"}
    assert roles_for({"email": "ana@example.com", "email_verified": False}, trusting) == set()
    # group rules do not depend on the address
    unverified_admin = {"email": "x@example.com", "email_verified": False, "groups": ["leadership"]}
    assert roles_for(unverified_admin, MAPPING) == {"executive"}


@pytest.mark.parametrize("claim", [7, {"admins": True}, ["ok", 3], 2.5])
def test_a_malformed_groups_claim_is_a_claims_error(claim: Any) -> None:
    with pytest.raises(ClaimsError, match="'groups' claim from the identity provider is a"):
        roles_for({"email": "x@elsewhere.org", "groups": claim}, MAPPING)


def test_a_malformed_groups_claim_shows_cannot_read_your_groups(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = login_app(fixture_db, monkeypatch, user={"email": "x@elsewhere.org", "groups": 7})
    assert app.error[0].value == "**TechPulse cannot read your groups.**"
    assert "is a int, not a list of group names" in app.text[0].value
    assert not app.metric


# role -> datasets, written out by hand from the rule: management data (the ROI ledger
# `investments`, the PDCA `actions`, the ROI and review computations) only for the roles that
# see its page; every export table needs the export page, which executives do not have.
ENGINEERING = frozenset(DATASETS) - {"investments", "actions"}
VIEWS = {"roi", "review", "review_export"}
EXPECTED = {
    "executive": frozenset(VIEWS),
    "cto": frozenset(DATASETS) | VIEWS,
    "analyst": ENGINEERING,
    "admin": frozenset(DATASETS) | VIEWS,
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_the_role_dataset_matrix(role: str) -> None:
    assert dataset_matrix((*DATASETS, *sorted(VIEWS)))[role] == EXPECTED[role]
    for dataset in (*DATASETS, *VIEWS):
        assert may_read(frozenset({role}), dataset) == (dataset in EXPECTED[role]), dataset


@pytest.mark.parametrize(
    ("user", "role"),
    [
        (V | {"email": "ana@example.com"}, "analyst"),
        (V | {"email": "cto@example.com"}, "cto"),
        ({"email": "a@elsewhere.org", "groups": ["platform-admins"]}, "admin"),
    ],
)
def test_every_export_dataset_cell_through_the_app(
    user: dict[str, Any], role: str, fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Data export page offers exactly the role's datasets (the page calls auth.require on
    the chosen one before any query, tested below)."""
    app = login_app(fixture_db, monkeypatch, user=user)
    app.switch_page("pages/export.py").run()
    assert not app.exception, [e.value for e in app.exception]
    offered = {o.removeprefix("Table: ") for o in app.selectbox[0].options}
    offered = {"kpis" if o.startswith("KPI series") else o for o in offered}
    assert offered == EXPECTED[role] & set(DATASETS)


def test_management_computations_refuse_an_analyst(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cached ROI and review functions check the role themselves (their cache keys do not
    hold it), so a page that called them for an analyst would get AccessDenied."""
    monkeypatch.setattr(auth, "login_configured", lambda: True)
    monkeypatch.setattr(auth.st, "secrets", {"techpulse": {"roles": MAPPING}})
    monkeypatch.setattr(auth, "current_user", lambda: (True, V | {"email": "ana@example.com"}))
    for dataset in ("roi", "review", "review_export", "investments", "actions"):
        with pytest.raises(auth.AccessDenied):
            auth.require(dataset)
    auth.require("deployments")
