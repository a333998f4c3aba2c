"""The engine every KPI uses: definitions (name, unit, direction, meaning), filters, targets,
formatting, the catalog of teams and services, the scorecard query engine and trends."""
