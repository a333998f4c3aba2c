"""Get started: the steps from an empty warehouse to a live dashboard, and what is missing.

Shown instead of the KPI pages while the warehouse holds no facts yet, so a new organisation
meets a checklist rather than "no data" on nine pages. Each step says the one command (or
page) that completes it; the steps tick themselves as the warehouse fills.
"""

from __future__ import annotations

import streamlit as st

from data.warehouse import db_path
from i18n import _, formats
from metrics.core.catalog import FACT_TABLES
from ui.admin.sync_panel import sources_summary
from ui.components.plain import md_literal
from ui.fetch import data

DONE, TODO = ":material/check_circle:", ":material/radio_button_unchecked:"


def _step(done: bool, title: str, body: str, command: str | None = None) -> None:
    with st.container(border=True):
        st.markdown(f"{DONE if done else TODO} **{title}**")
        st.caption(body)
        if command and not done:
            st.code(command, language="bash", wrap_lines=True)  # no cut-off at 390 px


def render() -> None:
    st.title(_("Get started"))
    status = data.setup_status()
    path = db_path()
    st.caption(
        _(
            "Warehouse {path}: empty so far. Five steps take it to a live dashboard; each ticks "
            "itself once done. The demo organisation is one command away (`make demo`) and "
            "never mixes with your data."
        ).format(path=md_literal(str(path)))
    )
    _step(
        True,
        _("1. Create the warehouse"),
        _("Done: {path} exists at the latest schema (`python -m data init`).").format(
            path=md_literal(str(path))
        ),
    )
    declared = status.teams > 0 and status.services > 0
    _step(
        declared,
        _("2. Declare your teams and services"),
        _("{teams} teams and {services} services declared.").format(
            teams=formats.number(status.teams), services=formats.number(status.services)
        )
        if declared
        else _(
            "Write them once in config/catalog.toml (start from config/catalog.example.toml), "
            "with the key each source knows a service by; review the diff, then apply it."
        ),
        "python -m data catalog apply config/catalog.toml        # the diff\n"
        "python -m data catalog apply config/catalog.toml --yes  # write it",
    )
    count, problem = sources_summary()
    _step(
        count > 0,
        _("3. Connect your sources"),
        _("{n} source(s) configured in the sources file.").format(n=formats.number(count))
        if count
        else (md_literal(problem) if problem else _("No source is enabled in the sources file.")),
        "cp config/sources.example.toml config/sources.toml   # then edit it",
    )
    _step(
        status.successful_syncs > 0,
        _("4. Run the first sync"),
        _("{n} successful run(s) so far.").format(n=formats.number(status.successful_syncs))
        if status.successful_syncs
        else _(
            "From the Data sources page (Sync now), or `make sync`; files from another tool go "
            "in through the CSV import on the same page."
        ),
        "make sync",
    )
    filled = [_(label) for table, label in FACT_TABLES.items() if status.facts[table]]
    missing = [_(label) for table, label in FACT_TABLES.items() if not status.facts[table]]
    _step(
        bool(filled),
        _("5. Read the dashboard"),
        _(
            "Still without data: {missing}. The KPI pages open as soon as the first rows arrive."
        ).format(missing=", ".join(missing)),
    )


render()
