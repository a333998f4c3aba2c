"""Warehouse maintenance and the organisation catalog.

`python -m data init [--db PATH]` creates an empty warehouse at the latest schema (a real
organisation starts here; the demo is `make demo`).
`python -m data catalog apply FILE|DIR [--db PATH] [--yes]` shows what the catalog changes
(teams and services added, changed, retired, returned) and, with `--yes`, writes it. FILE is
config/catalog.toml, or Backstage descriptors: a catalog-info.yaml or a folder tree of them.
`python -m data migrate [--db PATH]` upgrades a warehouse in place: through the snapshot writer,
so readers keep working, a failed migration leaves the warehouse as it was, and rows are kept.
`python -m data check [--db PATH]` reads every block, so DuckDB verifies every checksum
(data/integrity.py): exit 0 when the file is whole, 2 with one line naming the damage.
`python -m data copy --from A --to B` moves a whole warehouse between a file and a DuckLake
catalog (either way) into a new, empty target, every row kept (data/copy.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

import i18n
import i18n.cli
from data.catalog.apply import apply, preview
from data.catalog.backstage import read_backstage
from data.catalog.csvfile import merged_catalog
from data.catalog.model import CatalogError
from data.catalog.tomlfile import read_catalog
from data.copy import copy_warehouse
from data.integrity import check
from data.schema import LATEST_VERSION
from data.warehouse import (
    DB_HELP,
    WarehouseError,
    damaged_error,
    db_path,
    default_lake,
    init_warehouse,
    is_damage,
    is_legacy_default,
    label,
    open_reader,
    upgrade,
)
from i18n import N_, _

DESCRIPTION = N_(
    "Warehouse maintenance and the organisation catalog: create (init), upgrade (migrate), verify "
    "(check) and copy a warehouse, and apply a catalog of teams and services (catalog apply)."
)
SHOWN_PROBLEMS = 20


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data", description=_(DESCRIPTION))
    i18n.cli.add_lang_option(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("init", N_("create an empty warehouse at the latest schema")),
        ("migrate", N_("upgrade the warehouse schema in place")),
        ("check", N_("read every block and verify its checksum")),
    ):
        commands.add_parser(name, help=_(text)).add_argument("--db", help=_(DB_HELP))
    catalog = commands.add_parser("catalog", help=_("the organisation catalog: teams and services"))
    actions = catalog.add_subparsers(dest="action", required=True)
    applying = actions.add_parser(
        "apply", help=_("show the diff of a catalog file; --yes writes it")
    )
    applying.add_argument(
        "file",
        help=_("config/catalog.toml, or Backstage catalog-info.yaml files: one file or a folder"),
    )
    applying.add_argument("--db", help=_(DB_HELP))
    applying.add_argument(
        "--yes", action="store_true", help=_("write the changes (default: dry run)")
    )
    copying = commands.add_parser(
        "copy", help=_("copy a whole warehouse into a new file or DuckLake catalog")
    )
    copying.add_argument("--from", dest="source", required=True, help=_("the warehouse to read"))
    copying.add_argument(
        "--to", dest="target", required=True, help=_("a new file, or an empty ducklake: catalog")
    )
    return parser


def _init(db: str | None) -> int:
    path = db_path(db)
    if init_warehouse(db):
        print(
            _(
                "{path}: created an empty warehouse (schema v{latest_version}). Next: "
                "declare your teams and services in config/catalog.toml (see "
                "config/catalog.example.toml) and run `python -m data catalog apply "
                "config/catalog.toml --db {path} --yes`."
            ).format(path=path, latest_version=LATEST_VERSION)
        )
    else:
        print(_("{path}: already a TechPulse warehouse; nothing changed").format(path=path))
    return 0


def _catalog_apply(file: str, db: str | None, yes: bool) -> int:
    try:
        path = Path(file)
        partial = path.suffix.lower() == ".csv"  # teams or services only: nothing retired
        if partial:
            con = open_reader(db)
            try:
                catalog = merged_catalog(con, path)
            finally:
                con.close()
        elif path.is_dir() or path.suffix.lower() in (".yaml", ".yml"):
            catalog = read_backstage(path)
        else:
            catalog = read_catalog(path)
    except CatalogError as exc:
        shown = exc.problems[:SHOWN_PROBLEMS]
        for problem in shown:
            print(i18n.cli.cli_error(problem.text()), file=sys.stderr)
        if len(exc.problems) > len(shown):
            print(
                _("error: and {count} more").format(count=len(exc.problems) - len(shown)),
                file=sys.stderr,
            )
        print(
            _("{file}: nothing was written; fix the file and run again").format(file=file),
            file=sys.stderr,
        )
        return 2
    retire = not partial
    plan = apply(catalog, db, retire=retire) if yes else preview(catalog, db, retire=retire)
    print("\n".join(plan.lines()))
    if plan.empty:
        print(_("the warehouse already matches the catalog; nothing to do"))
    elif yes:
        print(_("applied to {db_path}").format(db_path=db_path(db)))
    else:
        print(_("dry run: nothing was written; run again with --yes to apply"))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The command line, in the language of ``--lang`` or the environment (for this call)."""
    return i18n.cli.run_cli(_run, argv)


def _run(words: list[str]) -> int:
    args = _parser().parse_args(words)
    try:
        if args.command == "copy":
            counts = copy_warehouse(args.source, args.target)
            print(
                _(
                    "copied {rows} rows in {tables} tables from {source} to {target}; every "
                    "table's count matches"
                ).format(
                    rows=f"{sum(counts.values()):,}",
                    tables=len(counts),
                    source=label(args.source),
                    target=label(args.target),
                )
            )
            return 0
        path = db_path(args.db)
        if args.command == "init":
            return _init(args.db)
        if args.command == "catalog":
            return _catalog_apply(args.file, args.db, args.yes)
        if args.command == "check":
            print(check(args.db).message(path))
            return 0
        old, new = upgrade(args.db)
    except WarehouseError as exc:
        print(i18n.cli.cli_error(exc), file=sys.stderr)
        return 2
    except duckdb.Error as exc:
        if not is_damage(exc):
            raise
        print(
            i18n.cli.cli_error(damaged_error(db_path(args.db), exc)),
            file=sys.stderr,
        )
        return 2
    if old == new:
        print(_("{path}: schema v{new}, already up to date").format(path=path, new=new))
    else:
        print(_("{path}: upgraded schema v{old} → v{new}").format(path=path, old=old, new=new))
    if is_legacy_default(path):
        print(
            _(
                "{path} is the older single-file warehouse: every write copies it whole. Move "
                "it into the embedded DuckLake, which is then used instead: python -m data copy "
                "--from {path} --to {lake}"
            ).format(path=path, lake=default_lake())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
