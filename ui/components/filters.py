"""Sidebar filters (period, team, service, environment) kept in the URL so views can be shared.

The URL is read once per session into widget state, with every value validated against the
warehouse (an unknown team in a shared link gives a warning, not a traceback), and written back
after each change. Only values that differ from the defaults appear in the URL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import streamlit as st

import i18n
from i18n import _
from metrics.core import catalog
from metrics.core.filters import MAX_PERIOD_DAYS, FilterError, Filters
from ui.fetch import warehouse

ALL = ""  # the "all teams / all services" option
DEFAULT_DAYS = 90


@dataclass
class Choices:
    """What the warehouse offers to filter on, and the default period."""

    teams: dict[str, str]
    services: dict[str, tuple[str, str]]  # service_id -> (name, team_id)
    environments: list[str]
    default_end: dt.date
    warnings: list[str] = field(default_factory=list)

    @property
    def default_start(self) -> dt.date:
        return self.default_end - dt.timedelta(days=DEFAULT_DAYS - 1)


def load_choices(con: duckdb.DuckDBPyConnection) -> Choices:
    teams = catalog.teams(con)
    services = catalog.services(con)
    return Choices(
        teams=dict(zip(teams["team_id"], teams["name"], strict=True)),
        services={
            row.service_id: (row.name, row.team_id) for row in services.itertuples(index=False)
        },
        environments=catalog.environments(con),
        default_end=catalog.latest_data_day(con) or dt.datetime.now(dt.UTC).date(),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _choices(snapshot: str) -> Choices:
    """Teams, services, environments and the default period end of one snapshot: every page
    run needs them, and at enterprise scale they scan tens of millions of rows."""
    return load_choices(warehouse.cursor())


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return None if value is None else str(value)[:200]


def _initial_state(choices: Choices) -> list[str]:
    """Seed widget state from the URL; returns warnings for values that had to be dropped."""
    warnings = []
    start, end = choices.default_start, choices.default_end
    raw_start, raw_end = _param("start"), _param("end")
    try:
        if raw_start:
            start = dt.date.fromisoformat(raw_start)
        if raw_end:
            end = dt.date.fromisoformat(raw_end)
        Filters(start, end)
    except (ValueError, FilterError):
        warnings.append(
            _(
                "The link's period (start={start}, end={end}) is not a valid range of YYYY-MM-DD "
                "dates of at most {days} days; showing the default period."
            ).format(start=repr(raw_start), end=repr(raw_end), days=MAX_PERIOD_DAYS)
        )
        start, end = choices.default_start, choices.default_end
    team = _param("team") or ALL
    if team != ALL and team not in choices.teams:
        warnings.append(
            _(
                "The link asks for team {team}, which this warehouse does not have; showing all "
                "teams. Known teams: {known}."
            ).format(team=repr(team), known=", ".join(sorted(choices.teams)) or _("none"))
        )
        team = ALL
    service = _param("service") or ALL
    if service != ALL and service not in choices.services:
        warnings.append(
            _(
                "The link asks for service {service}, which this warehouse does not have; "
                "showing all services."
            ).format(service=repr(service))
        )
        service = ALL
    elif service != ALL and team != ALL and choices.services[service][1] != team:
        warnings.append(
            _("Service {service} does not belong to team {team}; showing all.").format(
                service=repr(service), team=repr(team)
            )
        )
        service = ALL
    env = _param("env") or choices.environments[0]
    if env not in choices.environments:
        warnings.append(
            _("The link asks for environment {env}, which has no data; showing {default}.").format(
                env=repr(env), default=choices.environments[0]
            )
        )
        env = choices.environments[0]
    st.session_state.update(
        {"f_period": (start, end), "f_team": team, "f_service": service, "f_env": env}
    )
    return warnings


def _write_url(filters: Filters, choices: Choices) -> None:
    wanted = {"lang": i18n.current()}  # the language travels with a shared link
    if (filters.start, filters.end) != (choices.default_start, choices.default_end):
        wanted.update(start=filters.start.isoformat(), end=filters.end.isoformat())
    if filters.team:
        wanted["team"] = filters.team
    if filters.service:
        wanted["service"] = filters.service
    if filters.environment != choices.environments[0]:
        wanted["env"] = filters.environment
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def sidebar_filters() -> Filters:
    """Render the filters in the sidebar and return the validated selection."""
    choices = _choices(warehouse.snapshot_id())
    if "f_period" not in st.session_state:
        st.session_state["f_url_warnings"] = _initial_state(choices)
    with st.sidebar:
        st.subheader(_("Filters"))
        period = st.date_input(
            _("Period (UTC, inclusive)"),
            key="f_period",
            max_value=choices.default_end + dt.timedelta(days=366),
            help=_(
                "First and last day of the reporting period. KPI changes compare with the "
                "period of equal length just before it."
            ),
        )
        team = st.selectbox(
            _("Team"),
            [ALL, *choices.teams],
            key="f_team",
            # labels fixed now, in this run's language (a format_func may run elsewhere)
            format_func={ALL: _("All teams"), **choices.teams}.__getitem__,
        )
        in_team = [s for s, (_name, owner) in choices.services.items() if team in (ALL, owner)]
        if st.session_state.get("f_service") not in (ALL, *in_team):
            st.session_state["f_service"] = ALL
        service = st.selectbox(
            _("Service"),
            [ALL, *in_team],
            key="f_service",
            format_func=(
                {ALL: _("All services")} | {s: n for s, (n, _t) in choices.services.items()}
            ).__getitem__,
        )
        environment = st.selectbox(
            _("Environment"),
            choices.environments,
            key="f_env",
            help=_("Deployments and service levels of this environment. Incidents are production."),
        )
    for warning in st.session_state.get("f_url_warnings", []):
        st.warning(warning, icon=":material/link_off:")
    start, end = _period_bounds(period, choices)
    filters = Filters(
        start=start,
        end=end,
        team=team or None,
        service=service or None,
        environment=environment,
    )
    _write_url(filters, choices)
    return filters


def _period_bounds(period: object, choices: Choices) -> tuple[dt.date, dt.date]:
    """Both ends of the picked range; while only a start is picked, a one-day period."""
    if isinstance(period, tuple | list) and len(period) == 2:
        start, end = period
    elif isinstance(period, tuple | list) and len(period) == 1:
        start = end = period[0]
    elif isinstance(period, dt.date):
        start = end = period
    else:
        start, end = choices.default_start, choices.default_end
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        st.sidebar.warning(
            _("Periods are limited to {days} days; shortened.").format(days=MAX_PERIOD_DAYS)
        )
        start = end - dt.timedelta(days=MAX_PERIOD_DAYS - 1)
    return start, end
