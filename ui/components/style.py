"""The few style rules Streamlit's theme cannot express, added once per page run."""

from __future__ import annotations

import streamlit as st

# Static tables (st.table): Streamlit keeps every cell on one line, so on a 390 px phone the
# last column is cut off. Cells wrap at spaces (and between Chinese characters); row headers,
# which hold long identifiers such as service_first_deployments, may also break inside a word.
# Numbers never break ("13,485" stays whole).
TABLE_WRAP = """<style>
[data-testid="stTable"] :is(th, td, th *, td *) { white-space: normal !important; }
[data-testid="stTable"] :is(tbody th, tbody th *) { overflow-wrap: anywhere !important; }
</style>"""


def apply_style() -> None:
    st.html(TABLE_WRAP)  # only a style element: Streamlit adds it without taking space
