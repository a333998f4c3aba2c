"""Admin panels on the Data sources page: Sync now (a child `python -m connectors sync`) and the
CSV import, both through the connectors' own entry points."""
