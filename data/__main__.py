"""Warehouse maintenance: `python -m data migrate [--db PATH]` upgrades a warehouse in place.

The upgrade runs through the snapshot writer, so readers keep working and a failed migration
leaves the warehouse as it was. Rows are kept.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from data.warehouse import WarehouseError, db_path, upgrade


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="upgrade the warehouse schema in place")
    migrate.add_argument("--db", help="warehouse path (default: $TECHPULSE_DB or data/...)")
    args = parser.parse_args(argv)
    try:
        old, new = upgrade(args.db)
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = db_path(args.db)
    if old == new:
        print(f"{path}: schema v{new}, already up to date")
    else:
        print(f"{path}: upgraded schema v{old} → v{new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
