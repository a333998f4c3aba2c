"""TechPulse: the app frame. Page config, theme, navigation, shared filters and data freshness.

Run with `make run` (or `streamlit run app.py`). Pages live in pages/ and only render what
metrics/ computes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import duckdb
import streamlit as st

from data.warehouse import WarehouseError, damaged_error, db_path, is_damage
from ui.access import auth
from ui.access.roles import ClaimsError, RolesError, pages_for
from ui.components.filters import sidebar_filters
from ui.components.frame import mark_frame
from ui.components.freshness import freshness_stamp
from ui.components.plain import md_literal
from ui.fetch import data, warehouse

st.set_page_config(
    page_title="TechPulse",
    page_icon=":material/monitoring:",
    layout="wide",
    initial_sidebar_state="expanded",
)

PAGES = {
    "Overview": [
        st.Page("pages/scorecard.py", title="Scorecard", icon=":material/speed:", default=True),
        st.Page(
            "pages/executive.py",
            title="Executive ROI",
            icon=":material/savings:",
            url_path="executive",
        ),
        st.Page(
            "pages/review.py",
            title="Quarterly review",
            icon=":material/fact_check:",
            url_path="review",
        ),
    ],
    "Engineering": [
        st.Page(
            "pages/delivery.py",
            title="Delivery",
            icon=":material/rocket_launch:",
            url_path="delivery",
        ),
        st.Page(
            "pages/reliability.py",
            title="Reliability",
            icon=":material/health_and_safety:",
            url_path="reliability",
        ),
        st.Page(
            "pages/quality.py", title="Code quality", icon=":material/code:", url_path="quality"
        ),
        st.Page(
            "pages/incidents.py",
            title="Incidents",
            icon=":material/emergency:",
            url_path="incidents",
        ),
    ],
    "Data": [
        st.Page(
            "pages/export.py", title="Data export", icon=":material/download:", url_path="export"
        ),
        st.Page(
            "pages/data-sources.py",
            title="Data sources",
            icon=":material/database:",
            url_path="data-sources",
        ),
    ],
}


def _warehouse_problem(exc: WarehouseError, what: str = "opened") -> None:
    st.title("TechPulse")
    st.error(
        f"**The warehouse cannot be {what}.** {md_literal(exc.problem)}",
        icon=":material/database:",
    )
    st.info(f"**How to fix it:** {exc.fix}", icon=":material/build:")
    st.caption(f"Warehouse path: `{db_path()}` (set with the TECHPULSE_DB environment variable).")


def _visible(pages: dict[str, list[Any]], allowed: frozenset[str]) -> dict[str, list[Any]]:
    """The sections and pages these roles may open (the scorecard's url_path is empty)."""
    kept = {}
    for section, items in pages.items():
        visible = [p for p in items if (p.url_path or "scorecard") in allowed]
        if visible:
            kept[section] = visible
    return kept


def _gate() -> auth.Viewer | None:
    """The viewer, or None after showing the login, no-role or bad-mapping screen."""
    try:
        who = auth.viewer()
    except RolesError as exc:
        screen = partial(auth.roles_error_screen, exc)
    except ClaimsError as exc:
        screen = partial(auth.claims_error_screen, exc)
    else:
        if who.login and not who.logged_in:
            screen = auth.login_screen
        elif not who.roles:
            screen = partial(auth.no_role_screen, who)
        else:
            return who
    # A one-page navigation keeps Streamlit from listing pages/ in the sidebar.
    st.navigation([st.Page(screen, title="TechPulse", url_path="welcome")], position="hidden").run()
    return None


GET_STARTED = st.Page(
    "pages/welcome.py", title="Get started", icon=":material/flag:", url_path="welcome"
)


def _pages_for_empty(allowed: frozenset[str]) -> dict[str, list[Any]]:
    """While the warehouse holds no facts: the Get started checklist, and Data sources for the
    roles that may open it (nine "no data" pages would say nothing more)."""
    pages: dict[str, list[Any]] = {"Start": [GET_STARTED]}
    if "data-sources" in allowed:
        pages["Data"] = [p for p in PAGES["Data"] if p.url_path == "data-sources"]
    return pages


def main() -> None:
    st.logo("docs/logo.svg", size="large")
    who = _gate()
    if who is None:
        return
    allowed = pages_for(who.roles)
    problem: tuple[WarehouseError, str] | None = None
    empty = False
    try:
        warehouse.pin()  # this run reads one snapshot, whatever a writer publishes meanwhile
        warehouse.cursor()  # opens (and validates) the published snapshot
        empty = not data.setup_status().has_facts
    except WarehouseError as exc:
        problem = (exc, "opened")
    except duckdb.Error as exc:
        if not is_damage(exc):
            raise
        problem = (damaged_error(db_path(), exc), "read")
    pages = _pages_for_empty(allowed) if empty else _visible(PAGES, allowed)
    navigation = st.navigation(pages, position="sidebar")
    mark_frame()
    auth.signed_in_box(who)
    if problem is not None:
        _warehouse_problem(*problem)
        return
    try:
        if empty or data.is_empty():  # Get started and Data sources need no filters
            st.session_state["filters"] = None
        else:
            st.session_state["filters"] = sidebar_filters()
        freshness_stamp()
        navigation.run()
    except duckdb.Error as exc:  # a file that opened but breaks while read: truncated, damaged
        if not is_damage(exc):
            raise  # a query bug stays Streamlit's error box: it must be seen and fixed
        _warehouse_problem(damaged_error(db_path(), exc), "read")


main()
