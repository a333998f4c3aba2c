"""Command line: ``python -m connectors sync``, ``worker``, ``sources``, ``discover``, ``import``.

Exit codes: 0 every source succeeded; 1 at least one source failed (its one-line error is on
stderr and in ``sync_runs``); 2 the command could not start (sources file, warehouse,
arguments); 130 interrupted (nothing half-written is published).

``worker`` runs until SIGTERM or SIGINT, then exits 0; 2 when it cannot start (another worker
holds the warehouse, no enabled source, a bad sources file or warehouse).

``import KIND FILE`` (docs/csv-import.md): 0 imported; 2 the file was refused — one line per
error on stderr (the first 20, then "and N more"), nothing written — or the warehouse or the
arguments are unusable.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import i18n
import i18n.cli
from connectors.core.config import SyncConfig, load_config
from connectors.core.errors import ConnectorError
from connectors.core.progress import make_reporter
from connectors.core.redact import RedactingFilter, redact
from connectors.csv.columns import KINDS
from connectors.csv.importer import CsvImportError, import_csv
from connectors.discovery import discover
from connectors.registry import CONNECTOR_TYPES, build_connector
from connectors.sync import sync
from connectors.worker.loop import Worker
from data.catalog.apply import apply
from data.catalog.csvfile import merged_catalog, read_rows
from data.catalog.model import CatalogError
from data.warehouse import DB_HELP, WarehouseError, db_path, exists, open_reader
from i18n import N_, _

DESCRIPTION = N_(
    "Pull the configured sources into the warehouse. Exit codes: 0 every source succeeded; 1 at "
    "least one source failed (its one-line error is on stderr and in sync_runs); 2 the command "
    "could not start (sources file, warehouse, arguments); 130 interrupted (nothing half-written "
    "is published)."
)


def parse_moment(text: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO-8601 datetime (UTC unless it has an offset)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD) or ISO-8601 datetime"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _common() -> argparse.ArgumentParser:
    """The options every subcommand takes: the sources file, the warehouse, logging."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", help=_("sources file (default: $TECHPULSE_SOURCES or config/sources.toml)")
    )
    common.add_argument("--db", help=_(DB_HELP))
    common.add_argument(
        "-v", "--verbose", action="count", default=0, help=_("log requests (-vv: debug)")
    )
    return common


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m connectors", description=_(DESCRIPTION))
    i18n.cli.add_lang_option(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    common = _common()
    run = commands.add_parser(
        "sync", parents=[common], help=_("pull the configured sources into the warehouse")
    )
    run.add_argument(
        "--source",
        dest="sources",
        action="extend",
        nargs="+",
        metavar="NAME",
        help=_("sync only these sources (default: every enabled one)"),
    )
    run.add_argument(
        "--since",
        type=parse_moment,
        help=_("re-fetch from this date (UTC) instead of each stream's cursor"),
    )
    run.add_argument(
        "--until",
        type=parse_moment,
        help=_("fetch data up to this moment (default: now); for backfills and tests"),
    )
    run.add_argument(
        "--progress",
        choices=("auto", "bar", "plain", "json", "none"),
        default="auto",
        help=_("auto: a bar on a terminal, lines otherwise; json: JSON lines on stdout"),
    )
    csv = commands.add_parser(
        "import",
        parents=[common],
        help=_("import a CSV file of deployments, changes, incidents, … (all or nothing)"),
    )
    csv.add_argument(
        "kind",
        choices=[*KINDS, *CATALOG_KINDS],
        metavar="KIND",
        help=", ".join([*KINDS, *CATALOG_KINDS]),
    )
    csv.add_argument("file", metavar="FILE", help=_("the CSV file (UTF-8, header on line 1)"))
    csv.add_argument(
        "--source", default="csv", help=_("the rows' source (default: csv); the file has none")
    )
    csv.add_argument(
        "--timezone",
        metavar="ZONE",
        help=_("IANA zone of times without an offset, e.g. Europe/Berlin (default: refuse them)"),
    )
    csv.add_argument("--format", choices=("table", "json"), default="table")
    found = commands.add_parser(
        "discover",
        parents=[common],
        help=_("list what each source knows that maps to no service, with a suggested mapping"),
    )
    found.add_argument(
        "--source", dest="sources", action="extend", nargs="+", metavar="NAME",
        help=_("ask only these sources (default: every enabled one)"),
    )  # fmt: skip
    commands.add_parser(
        "worker",
        parents=[common],
        help=_("run every enabled source on its schedule until stopped (SIGTERM/SIGINT)"),
    )
    listing = commands.add_parser(
        "sources", parents=[common], help=_("list the configured sources and their last sync")
    )
    listing.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def _logging(verbosity: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(
        logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity else logging.WARNING
    )


def _sources(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    last = _last_successes(args.db)
    rows: list[dict[str, Any]] = []
    for source in config.sources:
        connector = build_connector(source)
        rows.append(
            {
                "name": source.name,
                "type": source.type,
                "url": getattr(connector, "url", source.url),
                "enabled": source.enabled,
                "auth": source.auth,
                "token": "set" if source.token else (source.token_origin or "-"),
                "streams": [s.name for s in connector.streams],
                "last_success": last.get(source.name),
            }
        )
    if args.format == "json":
        print(redact(json.dumps(rows, indent=2)))
        return 0
    for row in rows:
        state = "" if row["enabled"] else _(" (disabled)")
        token = row["token"] if row["auth"] != "none" else _("no auth")
        print(
            redact(
                _(
                    "{name}{state}: {type} at {url}; token: {token}; streams: {streams}; "
                    "last success: {last}"
                ).format(
                    name=row["name"],
                    state=state,
                    type=row["type"],
                    url=row["url"],
                    token=_("set") if token == "set" else token,
                    streams=", ".join(row["streams"]),
                    last=row["last_success"] or _("never"),
                )
            )
        )
    if not rows:
        print(
            _("no sources in {path}; known types: {value}").format(
                path=config.path, value=", ".join(CONNECTOR_TYPES)
            )
        )
    return 0


def _discover(args: argparse.Namespace) -> int:
    """What each source knows that no service maps, with the catalog line that would map it."""
    config = load_config(args.config)
    results = discover(config, db=args.db, names=args.sources)
    for result in results:
        if result.error:
            print(i18n.cli.cli_error(result.error), file=sys.stderr)
        elif not result.listed:
            print(
                _("{source}: this source type cannot list what it knows").format(
                    source=result.source
                )
            )
        elif not result.suggestions:
            print(_("{source}: everything it knows maps to a service").format(source=result.source))
        else:
            count = len(result.suggestions)
            what = result.suggestions[0].found.noun(count)
            line = (
                _("{source}: 1 {what} maps to no service")
                if count == 1
                else _("{source}: {count} {what} map to no service")
            )
            print(line.format(source=result.source, count=count, what=what))
            for suggestion in result.suggestions:
                print(redact(suggestion.line()))
    if any(r.suggestions for r in results):
        print(
            _(
                "Add each line to the service's [[services]] entry in "
                "config/catalog.toml and apply it (python -m data catalog apply "
                "config/catalog.toml --yes); nothing was mapped."
            )
        )
    return 2 if any(r.error for r in results) else 0


def _last_successes(db: str | None) -> dict[str, str]:
    """Each source's last successful run in the warehouse (UTC, ISO 8601); {} without one."""
    path = db_path(db)
    if not exists(path):
        return {}
    con = open_reader(path)
    try:
        rows = con.execute(
            "SELECT source, max(finished_at) FROM sync_runs WHERE status = 'success' GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    return {str(s): f"{t.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" for s, t in rows if t is not None}


CATALOG_KINDS = ("teams", "services")  # into the catalog: validated as one, never retiring


def _import_catalog(args: argparse.Namespace) -> int:
    """teams or services from a CSV: the same validated catalog as config/catalog.toml."""
    path = Path(args.file)
    kind, _rows = read_rows(path)
    if kind != args.kind:
        print(
            _(
                "error: {file} holds {kind} (a team column means services), not "
                "{asked}; import it as {kind}"
            ).format(file=args.file, kind=kind, asked=args.kind),
            file=sys.stderr,
        )
        return 2
    con = open_reader(args.db)
    try:
        catalog = merged_catalog(con, path)
    finally:
        con.close()
    print("\n".join(apply(catalog, args.db, retire=False).lines()))
    return 0


def _import(args: argparse.Namespace) -> int:
    if args.kind in CATALOG_KINDS:
        try:
            return _import_catalog(args)
        except CatalogError as exc:
            for problem in exc.problems[:20]:
                print(i18n.cli.cli_error(problem.text()), file=sys.stderr)
            print(
                _("{file}: nothing was written; fix the file and import it again").format(
                    file=args.file
                ),
                file=sys.stderr,
            )
            return 2
    try:
        linking = load_config(args.config).linking if args.config else None  # else the default
        result = import_csv(
            args.kind,
            args.file,
            db=args.db,
            source=args.source,
            timezone=args.timezone,
            linking=linking,
        )
    except CsvImportError as exc:
        if args.format == "json":
            errors = [" ".join(str(e).split()) for e in exc.errors]
            print(json.dumps({"ok": False, "total": exc.total, "errors": errors}))
        else:
            print(
                (
                    _("error: {file} was not imported (1 error; nothing was written):")
                    if exc.total == 1
                    else _("error: {file} was not imported ({total} errors; nothing was written):")
                ).format(file=args.file, total=f"{exc.total:,}"),
                file=sys.stderr,
            )
            for line in exc.lines():
                print(line, file=sys.stderr)
        return 2
    except (ConnectorError, WarehouseError):
        raise
    except Exception as exc:  # a bug: still one line, never a traceback
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        print(
            _(
                "error: unexpected {name}: {first} — nothing was written; this is a "
                "TechPulse bug, please report it"
            ).format(name=type(exc).__name__, first=first),
            file=sys.stderr,
        )
        return 1
    if args.format == "json":
        print(json.dumps(result.as_dict()))
    else:
        print(result.message())
        if result.links:
            print(result.links)
        for warning in result.warnings:
            print(_("warning: {warning}").format(warning=warning))
    return 0


def _worker(config: SyncConfig, args: argparse.Namespace) -> int:
    if not args.verbose:
        logging.getLogger().setLevel(logging.INFO)
    worker = Worker(config, db_path(args.db))
    worker.install_signal_handlers()
    worker.run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The command line, in the language of ``--lang`` or the environment (for this call)."""
    return i18n.cli.run_cli(_run, argv)


def _run(words: list[str]) -> int:
    args = _parser().parse_args(words)
    _logging(getattr(args, "verbose", 0))
    try:
        if args.command == "sources":
            return _sources(args)
        if args.command == "discover":
            return _discover(args)
        if args.command == "import":
            return _import(args)
        config = load_config(args.config)
        if args.command == "worker":
            return _worker(config, args)
        summary = sync(
            config,
            db=args.db,
            names=args.sources,
            since=args.since,
            until=args.until,
            reporter=make_reporter(args.progress),
        )
    except (ConnectorError, WarehouseError) as exc:
        text = f"{exc.problem} — {exc.fix}" if isinstance(exc, ConnectorError) else str(exc)
        print(redact(i18n.cli.cli_error(text)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(_("interrupted: nothing was published for the source in progress"), file=sys.stderr)
        return 130
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
