"""The demo organisation: a deterministic, story-shaped warehouse for `make demo` and the tests.

    python -m data.demo [--scale demo|enterprise] [--seed N] [--end YYYY-MM-DD] [--db PATH]

``builder`` writes it (one snapshot, every table), from ``org`` (teams, services, profiles),
``delivery`` (deployments, changes, incidents), ``telemetry`` (service levels), ``quality``
(SonarQube-shaped snapshots), ``ledger`` (investments, annotations, PDCA actions) and
``common`` (the timeline and random streams they share). It sits beside the warehouse code and
writes only through :func:`data.warehouse.write_snapshot`, like any source.
"""

from data.demo.builder import SCALES, STREAMS, TABLES, build, main, today_utc

__all__ = ["SCALES", "STREAMS", "TABLES", "build", "main", "today_utc"]
