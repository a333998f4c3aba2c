"""The cross-source linker at enterprise scale: what it adds to a delivery sync.

A run of a source of changes, deployments or incidents ends with
``connectors.core.linking.link`` inside the writer's transaction, so its cost is paid by every
such sync (a Prometheus or SonarQube run skips it: nothing it reads changed). Measured on a
warehouse (default ``data/enterprise.duckdb``) in a transaction that is rolled back, so the file
is never changed:

* a pass with nothing to link (the demo's links are the source's own): the fixed cost;
* a pass after 5 % of incidents ask for window linking and 5 % of changes lose their
  deployment (what a large first sync of new connectors looks like);

against baselines measured in the same run: a bare scan joining every change to its
deployment, and the first later deployment of each unlinked change found the naive way (an
inequality join to every later deployment of its service, then arg_min), which the linker's
ASOF joins replace.

    python -m bench.linking [--db data/enterprise.duckdb]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from connectors.core.linking import link

DEFAULT_DB = Path("data/enterprise.duckdb")


def _timed(action: Callable[[], object]) -> tuple[float, object]:
    clock = time.monotonic()
    result = action()
    return time.monotonic() - clock, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.linking", description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"no warehouse at {args.db}: run `make enterprise` first", file=sys.stderr)
        return 2
    con = duckdb.connect(str(args.db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("BEGIN")
    try:
        sizes = con.execute(
            "SELECT (SELECT count(*) FROM changes), (SELECT count(*) FROM deployments),"
            " (SELECT count(*) FROM incidents)"
        ).fetchone()
        scan_s, _ = _timed(
            lambda: con.execute(
                "SELECT count(*) FROM changes AS c JOIN deployments AS d"
                " ON d.source = c.deployment_source AND d.external_id = c.deployment_external_id"
            ).fetchone()
        )
        idle_s, _ = _timed(lambda: link(con))
        con.execute(
            "UPDATE incidents SET link_method = 'window', caused_by_deployment_source = NULL,"
            " caused_by_deployment_external_id = NULL WHERE hash(external_id) % 20 = 0"
        )
        con.execute(
            "UPDATE changes SET deployment_source = NULL, deployment_external_id = NULL"
            " WHERE hash(external_id) % 20 = 0"
        )
        naive_s, _ = _timed(
            lambda: con.execute(
                "SELECT count(*) FROM (SELECT c.source, c.external_id,"
                " arg_min(d.external_id, d.finished_at) FROM changes AS c JOIN deployments AS d"
                " ON d.service_id = c.service_id AND d.finished_at >= c.merged_at"
                " WHERE c.deployment_external_id IS NULL AND d.status = 'success'"
                " AND d.environment = 'production' GROUP BY ALL)"
            ).fetchone()
        )
        busy_s, report = _timed(lambda: link(con))
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert sizes is not None
    print(
        f"Linker on {args.db}: {sizes[0]:,} changes, {sizes[1]:,} deployments, "
        f"{sizes[2]:,} incidents (rolled back: the file is unchanged)"
    )
    print(f"  baseline: join every change to its deployment   {scan_s:6.2f} s")
    print(
        f"  link(), nothing to link                         {idle_s:6.2f} s  "
        f"({idle_s / scan_s:.1f}x)"
    )
    print(f"  baseline: naive first-later-deployment join      {naive_s:6.2f} s")
    linked = getattr(report, "changes", {}), getattr(report, "incidents", {})
    print(
        f"  link(), 5 % to link                             {busy_s:6.2f} s  "
        f"({busy_s / naive_s:.2f}x the naive join alone); changes {linked[0]}, "
        f"incidents {linked[1]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
