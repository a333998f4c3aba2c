"""Shared Streamlit pieces: the warehouse handle, sidebar filters bound to the URL, KPI cards.

Pages import from here and from ``metrics``; nothing in ``ui`` writes SQL or calls an API.
``components/`` draws, ``fetch/`` reads (cached), ``access/`` decides who sees what, ``admin/``
holds the panels that start a sync or an import through the connectors' entry points.
"""
