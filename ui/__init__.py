"""Shared Streamlit pieces: the warehouse handle, sidebar filters bound to the URL, KPI cards.

Pages import from here and from ``metrics``; nothing in ``ui`` writes SQL or calls an API.
"""
