"""Connectors pull from source APIs into the warehouse; they never render or compute KPIs.

Prometheus and SonarQube arrive with "Connectors I", delivery and incident sources with
"Connectors II". Until then the demo organisation (`python -m data.demo`) fills the warehouse.
"""
