"""The CSV import: read (scan the file), columns (what each kind holds), checks (typing and row
checks in DuckDB), importer (validate, write, link)."""
