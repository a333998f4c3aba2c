"""Reports built from the KPIs: executive ROI, the quarterly review (PDCA), and the CSV export."""
