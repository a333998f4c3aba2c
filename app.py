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
from i18n import N_, _
from ui.access import auth
from ui.access.roles import ClaimsError, RolesError, pages_for
from ui.components.filters import sidebar_filters
from ui.components.frame import mark_frame
from ui.components.freshness import freshness_stamp
from ui.components.language import choose_language
from ui.components.plain import md_literal
from ui.components.style import apply_style
from ui.fetch import data, warehouse

st.set_page_config(
    page_title="TechPulse",
    page_icon=":material/monitoring:",
    layout="wide",
    initial_sidebar_state="auto",  # open on wide screens, closed on phones,
)

SECTIONS = {"Overview": N_("Overview"), "Engineering": N_("Engineering"), "Data": N_("Data")}
# (section, script, title, icon, url_path); url paths are machine names and never translated
PAGE_TABLE = (
    ("Overview", "pages/scorecard.py", N_("Scorecard"), ":material/speed:", ""),
    ("Overview", "pages/executive.py", N_("Executive ROI"), ":material/savings:", "executive"),
    ("Overview", "pages/review.py", N_("Quarterly review"), ":material/fact_check:", "review"),
    ("Engineering", "pages/delivery.py", N_("Delivery"), ":material/rocket_launch:", "delivery"),
    (
        "Engineering",
        "pages/reliability.py",
        N_("Reliability"),
        ":material/health_and_safety:",
        "reliability",
    ),
    ("Engineering", "pages/quality.py", N_("Code quality"), ":material/code:", "quality"),
    ("Engineering", "pages/incidents.py", N_("Incidents"), ":material/emergency:", "incidents"),
    ("Data", "pages/export.py", N_("Data export"), ":material/download:", "export"),
    ("Data", "pages/data-sources.py", N_("Data sources"), ":material/database:", "data-sources"),
)


def all_pages() -> dict[str, list[Any]]:
    """Every page under its section, titled in this run's language."""
    pages: dict[str, list[Any]] = {}
    for section, script, title, icon, url_path in PAGE_TABLE:
        page = (
            st.Page(script, title=_(title), icon=icon, url_path=url_path)
            if url_path
            else st.Page(script, title=_(title), icon=icon, default=True)
        )
        pages.setdefault(_(SECTIONS[section]), []).append(page)
    return pages


def _warehouse_problem(exc: WarehouseError, what: str = "opened") -> None:
    st.title("TechPulse")
    headline = (
        _("The warehouse cannot be opened.")
        if what == "opened"
        else _("The warehouse cannot be read.")
    )
    st.error(f"**{headline}** {md_literal(exc.problem)}", icon=":material/database:")
    st.info(_("**How to fix it:** {fix}").format(fix=exc.fix), icon=":material/build:")
    st.caption(
        _("Warehouse path: `{path}` (set with the TECHPULSE_DB environment variable).").format(
            path=db_path()
        )
    )


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


def _pages_for_empty(allowed: frozenset[str]) -> dict[str, list[Any]]:
    """While the warehouse holds no facts: the Get started checklist, and Data sources for the
    roles that may open it (nine "no data" pages would say nothing more)."""
    start = st.Page(
        "pages/welcome.py", title=_("Get started"), icon=":material/flag:", url_path="welcome"
    )
    pages: dict[str, list[Any]] = {_("Start"): [start]}
    if "data-sources" in allowed:
        data_section = _(SECTIONS["Data"])
        pages[data_section] = [p for p in all_pages()[data_section] if p.url_path == "data-sources"]
    return pages


def main() -> None:
    st.logo("docs/logo.svg", size="large")
    apply_style()
    choose_language()  # first: the login, no-role and error screens are translated too
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
    pages = _pages_for_empty(allowed) if empty else _visible(all_pages(), allowed)
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
