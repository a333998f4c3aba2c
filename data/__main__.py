"""Warehouse maintenance.

`python -m data migrate [--db PATH]` upgrades a warehouse in place: through the snapshot writer,
so readers keep working, a failed migration leaves the warehouse as it was, and rows are kept.
`python -m data check [--db PATH]` reads every block, so DuckDB verifies every checksum
(data/integrity.py): exit 0 when the file is whole, 2 with one line naming the damage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import duckdb

from data.integrity import check
from data.warehouse import WarehouseError, damaged_error, db_path, is_damage, upgrade


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="upgrade the warehouse schema in place")
    migrate.add_argument("--db", help="warehouse path (default: $TECHPULSE_DB or data/...)")
    verify = commands.add_parser("check", help="read every block and verify its checksum")
    verify.add_argument("--db", help="warehouse path (default: $TECHPULSE_DB or data/...)")
    args = parser.parse_args(argv)
    try:
        path = db_path(args.db)
        if args.command == "check":
            print(check(args.db).message(path))
            return 0
        old, new = upgrade(args.db)
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except duckdb.Error as exc:
        if not is_damage(exc):
            raise
        print(f"error: {damaged_error(path, exc)}", file=sys.stderr)
        return 2
    if old == new:
        print(f"{path}: schema v{new}, already up to date")
    else:
        print(f"{path}: upgraded schema v{old} → v{new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
