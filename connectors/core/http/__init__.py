"""The HTTP machinery every API source shares: the client (timeouts, retries, origin pinning),
paginators, bounded concurrency, client pools and JSON shape checks."""
