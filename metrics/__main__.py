"""Command line for the KPI engine; prints the same numbers the app shows.

    python -m metrics scorecard --start YYYY-MM-DD --end YYYY-MM-DD [--team T] [--format json]
    python -m metrics roi --baseline 2025-Q4 --end YYYY-MM-DD [--team T] [--format csv]
    python -m metrics export DATASET --start YYYY-MM-DD --end YYYY-MM-DD [--team T] [--excel]

Errors are one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

import duckdb
import pandas as pd

import i18n
import i18n.cli
from data.warehouse import DB_HELP, WarehouseError, damaged_error, db_path, is_damage, open_reader
from i18n import N_, _
from metrics.core import coverage
from metrics.core.catalog import validate_scope
from metrics.core.filters import FilterError, Filters, parse_date
from metrics.core.scorecard import overall_tier, records, scorecard
from metrics.core.targets import TargetsError, load_targets
from metrics.kpis import dora
from metrics.reports import export
from metrics.reports.roi import (
    RoiError,
    load_assumptions,
    parse_quarter,
    payback_text,
    roi_report,
)

DESCRIPTION = N_(
    "The KPI engine on the command line: prints the same numbers the app shows. Errors are one "
    "line on stderr and exit code 2."
)
BRIEF_ROWS = 20  # services listed by `coverage --brief`

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
    parser = argparse.ArgumentParser(prog="python -m metrics", description=_(DESCRIPTION))
    i18n.cli.add_lang_option(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    card = commands.add_parser("scorecard", help=_("every headline KPI against its target"))
    _period_and_scope(card)
    card.add_argument("--format", choices=("table", "csv", "json"), default="table")
    card.add_argument("--db", help=_(DB_HELP))
    card.add_argument("--targets", help=_("targets TOML (default: config/targets.toml)"))
    cover = commands.add_parser(
        "coverage", help=_("per service: which KPI families have data, which source fills the rest")
    )
    cover.add_argument("--team", help=_("team id (default: all teams)"))
    cover.add_argument("--format", choices=("table", "csv"), default="table")
    cover.add_argument(
        "--brief",
        action="store_true",
        help=_("only the services still missing data, at most 20 (what `make sync` prints)"),
    )
    cover.add_argument("--db", help=_(DB_HELP))
    roi = commands.add_parser("roi", help=_("return on investment by quarter against a baseline"))
    roi.add_argument("--baseline", required=True, help=_("baseline quarter, e.g. 2025-Q4"))
    _period_and_scope(roi, start=False)  # the baseline quarter starts the report
    roi.add_argument("--format", choices=("table", "csv", "json"), default="table")
    roi.add_argument("--db", help=_("warehouse path (default: $TECHPULSE_DB or data/...)"))
    roi.add_argument("--assumptions", help=_("ROI assumptions TOML (default: config/roi.toml)"))
    _export_parser(commands)
    return parser


def _period_and_scope(command: argparse.ArgumentParser, start: bool = True) -> None:
    """--start/--end (UTC days) and --team/--service/--environment, as every report takes them."""
    if start:
        command.add_argument("--start", required=True, help=_("first day, YYYY-MM-DD (UTC)"))
    command.add_argument("--end", required=True, help=_("last day, inclusive, YYYY-MM-DD (UTC)"))
    command.add_argument("--team", help=_("team id (default: all teams)"))
    command.add_argument("--service", help=_("service id (default: all services)"))
    command.add_argument("--environment", default="production", help=_("default: production"))


def _export_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The export subcommand; DATASET is checked in _export so the error lists valid names."""
    out = commands.add_parser(
        "export", help=_("a warehouse table or the KPI series as CSV (the app's Data export)")
    )
    out.add_argument(
        "dataset", help=_("one of: {choices}").format(choices=", ".join(export.DATASETS))
    )
    _period_and_scope(out)
    out.add_argument("--grain", default="week", help=_("kpis bucket: week, month or quarter"))
    out.add_argument(
        "--excel",
        action="store_true",
        help=_("for Excel: UTF-8 with BOM, header row in the reader's language (--lang)"),
    )
    out.add_argument("--db", help=_("warehouse path (default: $TECHPULSE_DB or data/...)"))
    out.add_argument("--targets", help=_("targets TOML (default: config/targets.toml)"))


def _export(args: argparse.Namespace) -> bytes:
    """The same bytes the page's download button serves for these filters."""
    dataset = export.check_dataset(args.dataset)
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
    frame = export.export_frame(con, dataset, filters, targets, args.grain)
    return export.to_csv_bytes(frame, excel=args.excel)


def _roi(args: argparse.Namespace) -> str:
    end = parse_date(args.end, "--end")
    baseline = parse_quarter(args.baseline)
    filters = Filters(
        start=min(baseline, end),
        end=end,
        team=args.team,
        service=args.service,
        environment=args.environment,
    )
    con = open_reader(args.db)
    validate_scope(con, filters)
    report = roi_report(con, filters, baseline, load_assumptions(args.assumptions))
    if args.format == "json":
        return report.to_json(orient="records", date_format="iso", indent=2)
    if args.format == "csv":
        return report.to_csv(index=False)
    columns = [
        "quarter",
        "investment_cumulative",
        "return_cumulative",
        "roi",
        "paid_back",
    ]
    shown = [c for c in columns if c in report.columns]
    currency = report["currency"].iloc[0] if "currency" in report.columns else ""
    payback = payback_text(report)
    table = report[shown].round(2)
    table["paid_back"] = [_("yes") if paid else _("no") for paid in table["paid_back"]]
    table.columns = [_(ROI_COLUMNS[c]) for c in shown]
    wide = i18n.current() == "zh-CN"  # Chinese characters take two columns in a terminal
    with pd.option_context("display.unicode.east_asian_width", wide):
        text = table.to_string(index=False)
    footer = _("Amounts in {currency}. Payback: {payback}.").format(
        currency=currency, payback=payback
    )
    return f"{text}\n{footer}"


ROI_COLUMNS = {  # the people's table (csv and json keep these names)
    "quarter": N_("quarter"),
    "investment_cumulative": N_("cumulative investment"),
    "return_cumulative": N_("cumulative return"),
    "roi": N_("ROI"),
    "paid_back": N_("paid back"),
}


STATUS_WORDS = {  # the CLI's words for the RAG statuses (the app shows badges)
    "green": N_("green"),
    "amber": N_("amber"),
    "red": N_("red"),
    "no data": N_("no data"),
    "tracked": N_("tracked"),
}


def _render(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "json":
        rows = records(frame[list(JSON_FIELDS)])
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "csv":
        return frame[list(JSON_FIELDS)].to_csv(index=False)
    # the table for people: headers, statuses and tiers in the reader's language (csv and json
    # above keep machine names and ids)
    table = frame[["label", "display", "target_text", "status", "tier", "delta_display"]].copy()
    table["status"] = [_(STATUS_WORDS.get(s, s)) for s in table["status"]]
    table["tier"] = [dora.tier_name(t) if isinstance(t, str) else "" for t in table["tier"]]
    table = table.fillna("")
    table.columns = [
        _("KPI"),
        _("value"),
        _("target"),
        _("status"),
        _("DORA tier"),
        _("vs previous period"),
    ]
    tier = overall_tier(frame)
    year = next((y for y in frame["benchmark_year"] if y), None)
    footer = "\n" + _("Overall DORA tier: {tier} (lowest of the four keys, DORA {year} table)")
    wide = i18n.current() == "zh-CN"  # Chinese characters take two columns in a terminal
    with pd.option_context("display.unicode.east_asian_width", wide):
        text = table.to_string(index=False, justify="left")
    return text + (footer.format(tier=dora.tier_name(tier), year=year) if tier else "")


def main(argv: Sequence[str] | None = None) -> int:
    """The command line, in the language of ``--lang`` or the environment (for this call)."""
    return i18n.cli.run_cli(_run, argv)


def _run(words: list[str]) -> int:
    args = _parser().parse_args(words)
    if args.command == "export":
        try:
            payload = _export(args)
        except (FilterError, TargetsError, WarehouseError) as exc:
            print(i18n.cli.cli_error(exc), file=sys.stderr)
            return 2
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return 0
    if args.command == "coverage":
        try:
            frame = coverage.coverage(open_reader(args.db), args.team)
        except WarehouseError as exc:
            print(i18n.cli.cli_error(exc), file=sys.stderr)
            return 2
        if args.format == "csv":
            sys.stdout.buffer.write(export.to_csv_bytes(frame))
            return 0
        print("\n".join(coverage.summary(frame)))
        rows = frame.to_dict(orient="records")
        if args.brief:
            rows = [r for r in rows if r["missing"]]
        for row in rows[: BRIEF_ROWS if args.brief else None]:
            state = (
                _("missing {families}").format(families=row["missing"])
                if row["missing"]
                else _("every KPI family has data")
            )
            print(
                _("  {service} ({team}): {state}").format(
                    service=row["service_id"], team=row["team_id"], state=state
                )
            )
        if args.brief and len(rows) > BRIEF_ROWS:
            print(
                _("  … and {count} more services: `python -m metrics coverage`").format(
                    count=len(rows) - BRIEF_ROWS
                )
            )
        return 0
    if args.command == "roi":
        try:
            print(_roi(args))
        except (FilterError, RoiError, WarehouseError) as exc:
            print(i18n.cli.cli_error(exc), file=sys.stderr)
            return 2
        return 0
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
        print(i18n.cli.cli_error(exc), file=sys.stderr)
        return 2
    print(_render(frame, args.format))
    return 0


def _db_argument(argv: Sequence[str] | None) -> str | None:
    """The --db value of the command line (for the message), else None for the default."""
    words = list(sys.argv[1:] if argv is None else argv)
    for i, word in enumerate(words):
        if word == "--db" and i + 1 < len(words):
            return words[i + 1]
        if word.startswith("--db="):
            return word.removeprefix("--db=")
    return None


def run(argv: Sequence[str] | None = None) -> int:
    """``main`` as a command: a reader that stops early (``| head``) ends the output quietly
    with exit 0, and a warehouse that breaks mid-query (truncated or damaged file) is one line
    and exit 2 instead of DuckDB's traceback."""
    try:
        code = main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail too
        return 0
    except duckdb.Error as exc:
        if not is_damage(exc):
            raise  # a query bug stays a traceback: it must be seen and fixed
        with i18n.using(i18n.cli.language_of(argv)):  # main's language has ended here
            error = damaged_error(db_path(_db_argument(argv)), exc)
            print(i18n.cli.cli_error(error), file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(run())
