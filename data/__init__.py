"""The warehouse: schema, migrations, snapshot-safe access and the demo organisation."""
