"""KPIs computed in DuckDB SQL from the warehouse, with their definitions and targets.

The app, the CLI (`python -m metrics`) and the tests call the same functions, so a number shown
on a page is the number the CLI prints.

``core/`` is the engine every KPI uses (definitions, filters, targets, the scorecard queries,
trends); ``kpis/`` holds one module per KPI family; ``reports/`` what is built from them (ROI,
the quarterly review, the export); ``sql/`` every query, one file each; ``docs`` renders the KPI
definitions into the README. ``metrics`` reads the warehouse only: it imports no connector.
"""
