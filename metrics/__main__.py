"""Command line: `python -m metrics scorecard --start YYYY-MM-DD --end YYYY-MM-DD ...`.

Prints the same scorecard the app shows. Errors are one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import pandas as pd

from data.warehouse import WarehouseError, open_reader
from metrics.catalog import validate_scope
from metrics.filters import FilterError, Filters, parse_date
from metrics.scorecard import overall_tier, records, scorecard
from metrics.targets import TargetsError, load_targets

JSON_FIELDS = (
    "kpi",
    "label",
    "group",
    "value",
    "unit",
    "display",
    "target",
    "target_text",
    "status",
    "tier",
    "tier_band",
    "benchmark_year",
    "previous",
    "delta",
    "n",
    "definition",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metrics", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    card = commands.add_parser("scorecard", help="every headline KPI against its target")
    card.add_argument("--start", required=True, help="first day, YYYY-MM-DD (UTC)")
    card.add_argument("--end", required=True, help="last day, inclusive, YYYY-MM-DD (UTC)")
    card.add_argument("--team", help="team id (default: all teams)")
    card.add_argument("--service", help="service id (default: all services)")
    card.add_argument("--environment", default="production", help="default: production")
    card.add_argument("--format", choices=("table", "csv", "json"), default="table")
    card.add_argument(
        "--db", help="warehouse path (default: $TECHPULSE_DB or data/techpulse.duckdb)"
    )
    card.add_argument("--targets", help="targets TOML (default: config/targets.toml)")
    return parser


def _render(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "json":
        rows = records(frame[list(JSON_FIELDS)])
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "csv":
        return frame[list(JSON_FIELDS)].to_csv(index=False)
    table = frame[["label", "display", "target_text", "status", "tier", "delta_display"]].fillna("")
    table.columns = ["KPI", "value", "target", "status", "DORA tier", "vs previous period"]
    tier = overall_tier(frame)
    year = next((y for y in frame["benchmark_year"] if y), None)
    footer = f"\nOverall DORA tier: {tier} (lowest of the four keys, DORA {year} table)"
    return table.to_string(index=False, justify="left") + (footer if tier else "")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        filters = Filters(
            start=parse_date(args.start, "--start"),
            end=parse_date(args.end, "--end"),
            team=args.team,
            service=args.service,
            environment=args.environment,
        )
        targets = load_targets(args.targets)
        con = open_reader(args.db)
        validate_scope(con, filters)
        frame = scorecard(con, filters, targets)
    except (FilterError, TargetsError, WarehouseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(_render(frame, args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
