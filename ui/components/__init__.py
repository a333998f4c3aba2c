"""What pages are drawn with: KPI cards, charts, page scaffolding and limits, sidebar filters,
the app frame and freshness stamp, plain-text escaping, guarded table downloads and the review
export. No SQL here."""
