"""The reader's language, per browser session: ``?lang=`` in a shared link, else the browser's
preference (``st.context.locale``), else English; a switch in the sidebar changes it."""

from __future__ import annotations

import streamlit as st

import i18n
from i18n.languages import NATIVE_NAMES

KEY = "lang_choice"
SWITCH_LABEL = "Language · 语言"  # in both languages on purpose: findable by a reader of either


def _from_browser() -> i18n.Language | None:
    try:
        return i18n.negotiate(st.context.locale)
    except Exception:
        return None


def choose_language() -> i18n.Language:
    """Decide this run's language, draw the switch, speak it, and keep it in the URL."""
    if st.session_state.get(KEY) not in i18n.LANGUAGES:
        st.session_state[KEY] = (
            i18n.negotiate(st.query_params.get("lang")) or _from_browser() or i18n.DEFAULT
        )
    with st.sidebar:
        language: i18n.Language = st.radio(
            SWITCH_LABEL,
            i18n.LANGUAGES,
            key=KEY,
            format_func=NATIVE_NAMES.__getitem__,
            horizontal=True,
            label_visibility="collapsed",
        )
    i18n.use(language)
    if st.query_params.get("lang") != language:
        st.query_params["lang"] = language  # a shared link opens in the sender's language
    return language
