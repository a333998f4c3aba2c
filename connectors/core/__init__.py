"""The machinery every source shares: HTTP, pagination, errors, redaction, config, the connector
contract, canonical rows, loading, linking, progress and results. Imports no source package."""
