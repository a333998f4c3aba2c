"""One folder per source a sync reads, each ``api.py`` (its client) and ``streams.py`` (the
connector: what it yields). A source imports ``connectors.core`` only, never another source."""
