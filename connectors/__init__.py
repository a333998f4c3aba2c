"""Connectors pull from source APIs into the warehouse; they never render or compute KPIs.

Run them with ``python -m connectors sync`` (see docs/connectors.md). Sources are listed in a
TOML file (``config/sources.example.toml``); tokens come from environment variables or
``.streamlit/secrets.toml`` and never reach output, logs or the warehouse.

Modules, one job each:

* ``registry`` — the explicit list of connector types;
* ``prometheus`` — Prometheus-compatible engines → ``service_level_samples`` (hourly rows,
  latency histogram via ``histogram``);
* ``sonarqube`` (+ ``sonar_api``) — SonarQube Server and Cloud → ``quality_snapshots``;
* ``base`` — the contract: declared streams, records a connector yields (upserts, replaced
  time windows, cursor updates) and the context it may read;
* ``http`` — the one HTTP client (timeouts, retries with backoff honouring ``Retry-After``),
  ``pagination`` — page-number / offset / cursor / Link-header paginators with a loop guard,
  ``pool`` — bounded concurrency;
* ``config`` — the sources file and secrets, ``redact`` — the secret scrubber;
* ``sync`` — one transaction per source run, ``sync_runs`` and ``sync_cursors``,
  ``load`` — records into DuckDB, ``progress`` / ``results`` — bar, JSON lines and summary.

Delivery and incident sources (GitHub, GitLab, PagerDuty, …) arrive with "Connectors II";
until then the demo organisation (``python -m data.demo``) fills the other tables.
"""
