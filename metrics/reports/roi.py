"""ROI of the delivery transformation, after DORA's "The ROI of DevOps Transformation" (2020).

The paper values three things a year:

* reduced rework: technical staff × average salary × benefits multiplier × rework time recovered;
* reinvested time: recovered time × experiments × lines of business × success rate × revenue
  impact × annual revenue;
* downtime: deployments a year × change failure rate × recovery hours × cost per downtime hour.

Its own example (quoted in the TechPulse ROI issue): an elite performer's downtime costs
730 × 7.5 % × 0.5 h × $500,000 = $13,687,500 a year. The pure functions below reproduce such
figures exactly.

Where TechPulse differs from the paper, and why:

* Benefits are the CHANGE against a baseline quarter the user picks, measured from the
  warehouse. The paper counts the whole cost of downtime as return, so the worst performers
  would look best.
* Investments come from the ledger (``investments``), per quarter, so ROI and payback follow
  what was actually spent.
* Rework time is not surveyed but proxied: the share of successful deployments that are hotfixes
  or rollbacks (DORA 2024's rework rate), times ``time_per_rework_share`` (default 1).

Money: every setting is in ``Assumptions.currency``; the ledger entries in scope must all be in
that currency (we never add amounts of different currencies, and we do not convert: a wrong
exchange rate would silently move the ROI). Reports carry a ``currency`` column and hold only
organisation, team or service totals, never per-person figures.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from i18n import N_, _
from metrics.core import tomlfile
from metrics.core.filters import UTC, Filters

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "roi.toml"
ENV_VAR = "TECHPULSE_ROI"
SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
DAYS_PER_YEAR = 365  # the paper's 730 deployments a year = 2 a day × 365
_PARAM = re.compile(r"\$([a-z_]+)")
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


class RoiError(ValueError):
    """Bad assumptions, a bad baseline or an unusable ledger; the message says how to fix it."""


# --- The paper's formulas (pure, so its published figures can be reproduced exactly) ---------


def rework_value(
    technical_staff: float,
    average_salary: float,
    benefits_multiplier: float,
    rework_time_recovered: float,
) -> float:
    """Yearly value of reduced rework (paper): staff × salary × benefits × time recovered (0-1)."""
    return technical_staff * average_salary * benefits_multiplier * rework_time_recovered


def reinvestment_value(
    recovered_time: float,
    experiments: float,
    lines_of_business: float,
    success_rate: float,
    revenue_impact: float,
    annual_revenue: float,
) -> float:
    """Yearly value of reinvesting recovered time in new-feature experiments (paper's product).

    ``recovered_time`` is a share of staff time (0-1): that share more of the ``experiments``
    each line of business runs a year; ``revenue_impact`` is the share of ``annual_revenue`` one
    successful experiment adds.
    """
    return (
        recovered_time
        * experiments
        * lines_of_business
        * success_rate
        * revenue_impact
        * annual_revenue
    )


def downtime_cost(
    deployments_per_year: float,
    change_failure_rate: float,
    recovery_hours: float,
    cost_per_downtime_hour: float,
) -> float:
    """Yearly cost of change-caused downtime (paper); the failure rate is a fraction (0-1)."""
    return deployments_per_year * change_failure_rate * recovery_hours * cost_per_downtime_hour


def roi(total_return: float, investment: float) -> float:
    """(return − investment) ÷ investment; NaN while nothing has been invested."""
    if investment == 0:
        return math.nan
    return (total_return - investment) / investment


# --- Assumptions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumptions:
    """The model's settings; defaults mirror config/roi.toml (sources in docs/roi.md).

    Headcount and revenue describe the whole organisation; a team or service report scales them
    by its share of services.
    """

    currency: str = "EUR"  # ours (the demo ledger's currency)
    technical_staff: float = 40  # ours
    average_salary: float = 85_000  # ours, currency a year
    benefits_multiplier: float = 1.5  # paper
    time_per_rework_share: float = 1.0  # ours: the deployment proxy taken as is
    experiments_per_line_of_business: float = 20  # ours, a year
    lines_of_business: float = 2  # ours
    success_rate: float = 0.33  # ours, after Kohavi et al. (about a third of ideas pay off)
    revenue_impact: float = 0.005  # ours, share of annual revenue per successful experiment
    annual_revenue: float = 50_000_000  # ours, currency a year
    cost_per_downtime_hour: float = 1_000  # ours; the paper's elite example uses $500,000
    investment_categories: tuple[str, ...] = ()  # empty = every ledger category

    def scaled(self, name: str, factor: float) -> Assumptions:
        """A copy with one numeric assumption multiplied by ``factor`` (for sensitivity)."""
        value = getattr(self, name, None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            numeric = [f.name for f in fields(self) if f.name in _NUMERIC]
            raise RoiError(f"cannot scale {name!r}; numeric assumptions: {', '.join(numeric)}")
        changes: dict[str, Any] = {name: value * factor}
        return replace(self, **changes)


@dataclass(frozen=True)
class _Setting:
    """Where a numeric assumption lives in the TOML file and which values it accepts."""

    table: str
    key: str
    name: str
    unit: str
    low: float = 0.0
    high: float | None = None
    positive: bool = False


_SETTINGS = [
    _Setting("staff", "technical_staff", "technical_staff", N_("people"), positive=True),
    _Setting("staff", "average_salary", "average_salary", N_("currency a year")),
    _Setting("staff", "benefits_multiplier", "benefits_multiplier", N_("ratio"), low=1.0),
    _Setting("rework", "time_per_rework_share", "time_per_rework_share", N_("ratio")),
    _Setting(
        "reinvestment",
        "experiments_per_line_of_business",
        "experiments_per_line_of_business",
        N_("experiments a year"),
    ),
    _Setting("reinvestment", "lines_of_business", "lines_of_business", N_("count")),
    _Setting("reinvestment", "success_rate", "success_rate", N_("fraction 0-1"), high=1.0),
    _Setting("reinvestment", "revenue_impact", "revenue_impact", N_("fraction 0-1"), high=1.0),
    _Setting("reinvestment", "annual_revenue", "annual_revenue", N_("currency a year")),
    _Setting("downtime", "cost_per_hour", "cost_per_downtime_hour", N_("currency an hour")),
]
_NUMERIC = {s.name for s in _SETTINGS}
_KEYS = {
    "money": {"currency"},
    "investment": {"categories"},
    **{table: {s.key for s in _SETTINGS if s.table == table} for table in {"staff", "rework"}},
    "reinvestment": {s.key for s in _SETTINGS if s.table == "reinvestment"},
    "downtime": {"cost_per_hour"},
}


def _fail(message: str, table: str, key: str | None = None) -> RoiError:
    return RoiError(message, table, key)


def _number(raw: dict[str, Any], setting: _Setting) -> float | None:
    if setting.key not in raw:
        return None
    value = raw[setting.key]
    where = f"[{setting.table}] {setting.key}"
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise _fail(
            _("{where} must be a number ({unit}), got {value}").format(
                where=where, unit=_(setting.unit), value=repr(value)
            ),
            setting.table,
            setting.key,
        )
    if value < setting.low or (setting.positive and value <= 0):
        bound = f"> {setting.low:g}" if setting.positive else f">= {setting.low:g}"
        raise _fail(
            _("{where} must be {bound}, got {value}").format(
                where=where, bound=bound, value=repr(value)
            ),
            setting.table,
            setting.key,
        )
    if setting.high is not None and value > setting.high:
        raise _fail(
            _("{where} must be at most {high} ({unit}), got {value}").format(
                where=where, high=f"{setting.high:g}", unit=_(setting.unit), value=repr(value)
            ),
            setting.table,
            setting.key,
        )
    return float(value)


def _currency(raw: dict[str, Any]) -> str | None:
    value = raw.get("money", {}).get("currency")
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise _fail(
            _("[money] currency must be an ISO 4217 code such as CNY or EUR, got {value}").format(
                value=repr(value)
            ),
            "money",
            "currency",
        )
    return value


def _categories(raw: dict[str, Any]) -> tuple[str, ...] | None:
    value = raw.get("investment", {}).get("categories")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(
            _('[investment] categories must be a list of ledger categories, e.g. ["platform"]'),
            "investment",
            "categories",
        )
    return tuple(value)


def _check_shape(raw: dict[str, Any]) -> None:
    """Reject unknown tables and keys, so a typo never silently falls back to a default."""
    for table, body in raw.items():
        if table not in _KEYS:
            allowed = ", ".join(f"[{t}]" for t in sorted(_KEYS))
            raise _fail(
                _("unknown table [{table}]; allowed: {allowed}").format(
                    table=table, allowed=allowed
                ),
                table,
            )
        if not isinstance(body, dict):
            raise _fail(_("[{table}] must be a table of keys").format(table=table), table)
        for key in body:
            if key not in _KEYS[table]:
                known = ", ".join(sorted(_KEYS[table]))
                raise _fail(
                    _("[{table}] has unknown key {key}; known: {known}").format(
                        table=table, key=repr(key), known=known
                    ),
                    table,
                    key,
                )


def parse_assumptions(raw: dict[str, Any]) -> Assumptions:
    """Validate parsed TOML; missing keys keep their defaults. Errors carry (table, key)."""
    _check_shape(raw)
    values: dict[str, Any] = {}
    for setting in _SETTINGS:
        number = _number(raw.get(setting.table, {}), setting)
        if number is not None:
            values[setting.name] = number
    currency = _currency(raw)
    if currency is not None:
        values["currency"] = currency
    categories = _categories(raw)
    if categories is not None:
        values["investment_categories"] = categories
    return Assumptions(**values)


def load_assumptions(path: str | os.PathLike[str] | None = None) -> Assumptions:
    """The assumptions from ``path``, $TECHPULSE_ROI or config/roi.toml, validated.

    Errors name the file, the line and the key, e.g. ``config/roi.toml:21: [staff] ...``.
    """
    chosen = Path(path or os.environ.get(ENV_VAR) or DEFAULT_CONFIG)
    restore = _("restore config/roi.toml or set {variable}").format(variable=ENV_VAR)
    return tomlfile.load(chosen, _("ROI assumptions file"), restore, parse_assumptions, RoiError)


# --- Quarters -------------------------------------------------------------------------------


def parse_quarter(value: str | dt.date) -> dt.date:
    """First day of a quarter given as '2025-Q4' (or '2025Q4'), or of the quarter of a date."""
    if isinstance(value, dt.date):
        return dt.date(value.year, 3 * ((value.month - 1) // 3) + 1, 1)
    match = _QUARTER.match(str(value))
    if not match:
        raise RoiError(
            _("baseline quarter {value} is not a quarter; use YYYY-Qn, e.g. 2025-Q4").format(
                value=repr(value)
            )
        )
    return dt.date(int(match[1]), 3 * (int(match[2]) - 1) + 1, 1)


def quarter_label(day: dt.date) -> str:
    """'2025-Q4' for any day of that quarter."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


# --- Measuring: the SQL runs once per report (the sensitivity helper re-models it) -----------


@dataclass(frozen=True)
class Measured:
    """What the warehouse says for a scope: per-quarter inputs and investments."""

    inputs: pd.DataFrame  # quarter_start (date), days, deployments, failed_deployments, ...
    investments: pd.DataFrame  # quarter_start (date), currency, amount, entries
    scope_share: float  # services in scope ÷ all services (1 without a team/service filter)
    baseline: dt.date


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _run(con: duckdb.DuckDBPyConnection, name: str, values: dict[str, Any]) -> pd.DataFrame:
    """Run metrics/sql/<name>.sql with only the named parameters it uses (DuckDB's rule)."""
    sql = _sql(name)
    return con.execute(sql, {key: values[key] for key in set(_PARAM.findall(sql))}).df()


def measure(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    baseline_quarter: str | dt.date,
    categories: Sequence[str] = (),
) -> Measured:
    """Measured inputs and ledger amounts per quarter, from the baseline quarter to filters.end.

    ``filters.start`` is not used: the baseline quarter starts the report.
    """
    baseline = parse_quarter(baseline_quarter)
    if baseline > filters.end:
        raise RoiError(
            _(
                "baseline quarter {quarter} starts after the period ends ({end}); choose an "
                "earlier baseline or a later end date"
            ).format(quarter=quarter_label(baseline), end=filters.end)
        )
    values = {
        "range_start": dt.datetime.combine(baseline, dt.time(), tzinfo=UTC),
        "range_end": filters.end_ts,
        "categories": list(categories) or None,
        **filters.scope_params(),
    }
    inputs = _run(con, "roi_inputs", values)
    inputs["quarter_start"] = [ts.date() for ts in inputs["quarter_start"]]
    investments = _run(con, "roi_investments", values)
    investments["quarter_start"] = [pd.Timestamp(d).date() for d in investments["quarter_start"]]
    scope = _run(con, "roi_scope", values).iloc[0]
    if scope["scope_services"] == 0:
        raise RoiError(_("no services match the team/service filter; widen the scope"))
    share = (
        1.0
        if filters.team is None and filters.service is None
        else (float(scope["scope_services"]) / float(scope["all_services"]))
    )
    return Measured(inputs, investments, share, baseline)


# --- Modelling ----------------------------------------------------------------------------------


def _check_currency(investments: pd.DataFrame, currency: str) -> None:
    found = sorted(set(investments["currency"]))
    if found and found != [currency]:
        raise RoiError(
            _(
                "the investment ledger holds {found} in this scope and period, but the ROI "
                "assumptions are in {currency}; amounts in different currencies are never added: "
                "convert the ledger entries to {currency} or set [money] currency"
            ).format(found=", ".join(found), currency=currency)
        )


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator.astype(float) / denominator.where(denominator > 0).astype(float)


def _inputs(measured: Measured) -> pd.DataFrame:
    """Per-quarter measured rates; the first row is the baseline quarter."""
    frame = measured.inputs.copy()
    if frame.empty or frame.loc[0, "deployments"] == 0:
        raise RoiError(
            _(
                "the baseline quarter {quarter} has no successful deployments in this scope and "
                "environment; choose a quarter with deployments"
            ).format(quarter=quarter_label(measured.baseline))
        )
    frame["deployments_per_year"] = frame["deployments"] * DAYS_PER_YEAR / frame["days"]
    frame["change_failure_fraction"] = _ratio(frame["failed_deployments"], frame["deployments"])
    frame["rework_fraction"] = _ratio(frame["rework_deployments"], frame["deployments"])
    return frame


def _benefits(frame: pd.DataFrame, a: Assumptions, scope_share: float) -> pd.DataFrame:
    """Yearly modelled costs per quarter and the quarter's benefits against the baseline row."""
    rows = [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
    baseline = _yearly(rows[0], a, scope_share)
    yearly = [_yearly(row, a, scope_share, baseline) for row in rows]
    for column in _YEARLY:
        frame[column] = [values[column] for values in yearly]
    year_share = frame["days"] / DAYS_PER_YEAR
    for kind in ("rework", "reinvested", "downtime"):
        frame[f"benefit_{kind}"] = frame[f"{kind}_gain_per_year"] * year_share
    frame["benefit_total"] = (
        frame["benefit_rework"] + frame["benefit_reinvested"] + frame["benefit_downtime"]
    )
    return frame


_YEARLY = [
    "rework_cost_per_year",
    "downtime_cost_per_year",
    "rework_time_recovered",
    "rework_gain_per_year",
    "reinvested_gain_per_year",
    "downtime_gain_per_year",
]


def _present(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _yearly(
    row: dict[str, Any],
    a: Assumptions,
    scope_share: float,
    baseline: dict[str, float] | None = None,
) -> dict[str, float]:
    """One quarter's yearly costs and, against ``baseline``, yearly gains (the paper's terms).

    A quarter without deployments has no rework evidence: no rework gain either way. Failures
    without a restored deployment-caused incident count no downtime hours.
    """
    staff = a.technical_staff * scope_share
    rework_fraction = _present(row["rework_fraction"])
    rework_time = None if rework_fraction is None else a.time_per_rework_share * rework_fraction
    downtime = downtime_cost(
        row["deployments_per_year"],
        _present(row["change_failure_fraction"]) or 0.0,
        _present(row["recovery_hours"]) or 0.0,
        a.cost_per_downtime_hour,
    )
    yearly = {
        "rework_cost_per_year": (
            math.nan
            if rework_time is None
            else rework_value(staff, a.average_salary, a.benefits_multiplier, rework_time)
        ),
        "downtime_cost_per_year": downtime,
        "rework_time": math.nan if rework_time is None else rework_time,
    }
    base = baseline or yearly
    recovered = 0.0 if rework_time is None else base["rework_time"] - rework_time
    yearly["rework_time_recovered"] = recovered
    yearly["rework_gain_per_year"] = rework_value(
        staff, a.average_salary, a.benefits_multiplier, recovered
    )
    yearly["reinvested_gain_per_year"] = reinvestment_value(
        recovered,
        a.experiments_per_line_of_business,
        a.lines_of_business,
        a.success_rate,
        a.revenue_impact,
        a.annual_revenue * scope_share,
    )
    yearly["downtime_gain_per_year"] = base["downtime_cost_per_year"] - downtime
    return yearly


def _investment(frame: pd.DataFrame, investments: pd.DataFrame) -> pd.Series:
    per_quarter = investments.groupby("quarter_start")["amount"].sum()
    return frame["quarter_start"].map(per_quarter).fillna(0.0).astype(float)


def model(measured: Measured, assumptions: Assumptions) -> pd.DataFrame:
    """The report for already measured inputs (pure: no warehouse access)."""
    _check_currency(measured.investments, assumptions.currency)
    frame = _benefits(_inputs(measured), assumptions, measured.scope_share)
    frame["investment"] = _investment(frame, measured.investments)
    frame["investment_cumulative"] = frame["investment"].cumsum()
    frame["return_cumulative"] = frame["benefit_total"].cumsum()
    frame["net_cumulative"] = frame["return_cumulative"] - frame["investment_cumulative"]
    frame["roi"] = [
        roi(r, i)
        for r, i in zip(frame["return_cumulative"], frame["investment_cumulative"], strict=True)
    ]
    frame["paid_back"] = (frame["investment_cumulative"] > 0) & (frame["net_cumulative"] >= 0)
    frame["quarter"] = [quarter_label(d) for d in frame["quarter_start"]]
    frame["is_baseline"] = frame.index == 0
    frame["currency"] = assumptions.currency
    frame["payback_quarter"] = payback_quarter(frame)
    return frame[REPORT_COLUMNS].reset_index(drop=True)


REPORT_COLUMNS = [
    "quarter",
    "quarter_start",
    "days",
    "is_baseline",
    "deployments",
    "deployments_per_year",
    "failed_deployments",
    "change_failure_fraction",
    "restored_incidents",
    "recovery_hours",
    "rework_deployments",
    "rework_fraction",
    "rework_time_recovered",
    "currency",
    "rework_cost_per_year",
    "downtime_cost_per_year",
    "benefit_rework",
    "benefit_reinvested",
    "benefit_downtime",
    "benefit_total",
    "investment",
    "investment_cumulative",
    "return_cumulative",
    "net_cumulative",
    "roi",
    "paid_back",
    "payback_quarter",
]


def payback_quarter(report: pd.DataFrame) -> str | None:
    """The first quarter whose cumulative return covers the cumulative investment, or None."""
    paid = report.loc[report["paid_back"], "quarter"]
    return None if paid.empty else str(paid.iloc[0])


DAYS_PER_MONTH = 365.25 / 12


def payback_months(report: pd.DataFrame) -> float | None:
    """Months from the start of the first quarter with an investment until the cumulative
    return covers the cumulative investment, or None while it does not.

    Within the quarter of payback the investment counts from the quarter's first day and the
    benefit accrues evenly over its days, so the crossing point is interpolated: the DORA ROI
    paper's payback period (investment ÷ yearly value, in years) for a ledger of quarters."""
    invested = report.loc[report["investment"] > 0, "quarter_start"]
    paid = report.index[report["paid_back"]]
    if invested.empty or paid.empty:
        return None
    row = report.loc[paid[0]]
    previous_return = report["return_cumulative"].shift(fill_value=0.0).loc[paid[0]]
    benefit = float(row["benefit_total"])
    deficit = float(row["investment_cumulative"]) - float(previous_return)
    fraction = 0.0 if deficit <= 0 or benefit <= 0 else min(1.0, deficit / benefit)
    start = pd.Timestamp(invested.iloc[0])
    elapsed = (pd.Timestamp(row["quarter_start"]) - start).days + fraction * float(row["days"])
    return elapsed / DAYS_PER_MONTH


def payback_text(report: pd.DataFrame) -> str:
    """ "2026-Q2 (7.6 months)", or "not yet"."""
    quarter, months = payback_quarter(report), payback_months(report)
    if quarter is None:
        return _("not yet")
    if months is None:
        return quarter
    return _("{quarter} ({months} months)").format(quarter=quarter, months=f"{months:.1f}")


def roi_report(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    baseline_quarter: str | dt.date,
    assumptions: Assumptions | None = None,
) -> pd.DataFrame:
    """One row per quarter from the baseline quarter to the quarter of ``filters.end``.

    Scope: ``filters.team``, ``service`` and ``environment``; ``filters.start`` is not used (the
    baseline starts the report) and the last quarter is cut at ``filters.end``. Money columns
    (``rework_cost_per_year``, ``downtime_cost_per_year``, ``benefit_*``, ``investment*``,
    ``return_cumulative``, ``net_cumulative``) are in the ``currency`` column's currency;
    fractions are 0-1; ``roi`` is a ratio (0.5 = 50 %) of cumulative figures; benefits are each
    quarter's change against the baseline (zero in the baseline row).
    """
    chosen = assumptions or load_assumptions()
    return model(measure(con, filters, baseline_quarter, chosen.investment_categories), chosen)


def sensitivity(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    baseline_quarter: str | dt.date,
    assumptions: Assumptions | None = None,
    *,
    assumption: str = "cost_per_downtime_hour",
    factors: Iterable[float] = (0.5, 1.0, 2.0),
) -> pd.DataFrame:
    """The report once per factor applied to one assumption (default: downtime cost halved,
    as is, doubled), stacked with ``assumption``, ``factor`` and ``value`` columns first.

    The warehouse is queried once; only the model is re-run.
    """
    chosen = assumptions or load_assumptions()
    measured = measure(con, filters, baseline_quarter, chosen.investment_categories)
    frames = []
    for factor in factors:
        variant = chosen.scaled(assumption, factor)
        frame = model(measured, variant)
        frame.insert(0, "value", getattr(variant, assumption))
        frame.insert(0, "factor", factor)
        frame.insert(0, "assumption", assumption)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
