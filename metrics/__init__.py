"""KPIs computed in DuckDB SQL from the warehouse, with their definitions and targets.

The app, the CLI (`python -m metrics`) and the tests call the same functions, so a number shown
on a page is the number the CLI prints.
"""
