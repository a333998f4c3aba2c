"""Make sure every page runs inside the app frame (app.py), even on a deep link.

Streamlit decides once per server process whether the app uses the legacy `pages/` folder
mode; it only learns otherwise when `st.navigation` runs. So the very first request of a fresh
server, if it is a deep link such as /delivery, executes pages/delivery.py on its own, without
the sidebar filters. A page that finds the frame has not run switches the process to
`st.navigation` mode and reruns, which runs app.py with the requested page.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

FRAME_KEY = "_techpulse_frame"


def mark_frame() -> None:
    """Called by app.py before it runs a page."""
    st.session_state[FRAME_KEY] = True


def ensure_frame() -> None:
    """Called first by every page: rerun through app.py if it did not run."""
    if not st.session_state.get(FRAME_KEY):
        PagesManager.uses_pages_directory = False
        st.rerun()
