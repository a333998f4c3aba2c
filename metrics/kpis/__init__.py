"""One module per KPI family: delivery and its DORA tiers, reliability and SLOs, incidents,
code quality. Each computes its KPIs in SQL (metrics/sql/) against the core engine."""
