"""The "Unmapped in your sources" panel of the Data sources page (admins).

Runs :func:`connectors.discovery.discover` on request — it asks each source's API, so it never
runs on page load — and lists what maps to no service with the suggested catalog line. Nothing
is mapped: the admin copies a line into config/catalog.toml and applies it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from connectors.core.config import load_config
from connectors.core.errors import ConnectorError
from connectors.discovery import SourceDiscovery, discover
from data.warehouse import db_path
from i18n import _
from ui.access import auth
from ui.components.plain import md_literal

RESULT_KEY = "discovery_result"


def discovery_panel() -> None:
    try:
        config = load_config()
    except ConnectorError:
        return  # no sources file: the Sync now panel above says how to add one
    st.subheader(_("Unmapped in your sources"))
    st.caption(
        _(
            "What SonarQube and Prometheus know that maps to no service, with the most similar "
            "service and the line to add to its catalog entry. Nothing is mapped by itself."
        )
    )
    if not auth.may("sync"):
        st.caption(_("Asking the sources needs the admin role."))
        return
    if st.button(
        _("Find unmapped projects and jobs"), icon=":material/travel_explore:", key="discover"
    ):
        try:
            st.session_state[RESULT_KEY] = discover(config, db=db_path())
        except ConnectorError as exc:
            st.session_state[RESULT_KEY] = exc
    _show(st.session_state.get(RESULT_KEY))


def _show(result: list[SourceDiscovery] | ConnectorError | None) -> None:
    if result is None:
        return
    if isinstance(result, ConnectorError):
        st.error(md_literal(f"{result.problem}. {result.fix}"), icon=":material/error:")
        return
    rows = []
    found_text, similar, add = (
        _("Found"),
        _("Most similar service"),
        _("Add to its [[services]] entry"),
    )
    for found in result:
        if found.error:
            st.warning(md_literal(found.error), icon=":material/cloud_off:")
        for s in found.suggestions:
            rows.append(
                {  # three columns, so the table wraps instead of scrolling on a phone
                    found_text: f"{s.found.noun()} {s.found.key} ({s.found.source})",
                    similar: f"{s.service_id} ({s.similarity:.2f})" if s.service_id else _("none"),
                    add: s.setting,
                }
            )
    if not rows:
        st.success(_("Everything your sources know maps to a service."), icon=":material/check:")
        return
    st.table(pd.DataFrame(rows).set_index(found_text))
