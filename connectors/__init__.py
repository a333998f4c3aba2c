"""Connectors pull from source APIs into the warehouse; they never render or compute KPIs.

Run them with ``python -m connectors sync`` (see docs/connectors.md). Sources are listed in a
TOML file (``config/sources.example.toml``); tokens come from environment variables or
``.streamlit/secrets.toml`` and never reach output, logs or the warehouse.

The tree, one job per entry:

* ``__main__`` — the CLI; ``sync`` — one transaction per source run; ``registry`` — the
  explicit list of connector types;
* ``core/`` — what every source shares: errors and the secret scrubber, the sources file, the
  connector contract (``base``), canonical rows (``records``), the loader, linking across
  sources, progress and results; ``core/http/`` the HTTP client, paginators and pools;
* ``sources/`` — one folder per source, each ``api.py`` (the client of its API) and
  ``streams.py`` (the connector: what it yields): ``github/``, ``gitlab/``, ``jenkins/``,
  ``jira/``, ``sonarqube/``, ``gitrepo/`` (+ ``history``), ``prometheus/`` (+ ``histogram``),
  ``oncall/`` (``shared`` by PagerDuty and Opsgenie, then each of them);
* ``csv/`` — the CSV import: ``read``, ``columns``, ``checks``, ``importer``.
* ``worker/`` — the scheduled sync (``python -m connectors worker``): ``loop``, ``lock``,
  ``status`` (the heartbeat the app reads), ``hooks`` (the seam after each run).

A source package imports ``core`` only, never another source; ``core`` imports no source.
"""
