"""ROI model: the paper's formulas, the baseline-delta report on a hand-computable warehouse,
payback, currencies, the assumptions file and the sensitivity helper."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import pytest

from data.warehouse import open_reader, write_snapshot
from metrics.core.filters import Filters
from metrics.reports import roi

# --- The paper's own formula and figure -------------------------------------------------------


def test_paper_elite_downtime_cost() -> None:
    """The paper's elite example: 730 deployments a year × 7.5 % failures × 0.5 h to restore ×
    $500,000 an hour = $13,687,500 a year, published as $13.69 M."""
    cost = roi.downtime_cost(730, 0.075, 0.5, 500_000)
    assert cost == pytest.approx(13_687_500, rel=1e-12)
    assert round(cost / 1e6, 2) == 13.69


def test_rework_and_reinvestment_formulas() -> None:
    """Our own numbers (not the paper's): 100 staff × 80,000 × 1.5 × 10 % recovered = 1.2 M;
    10 % × 20 experiments × 3 lines × 0.25 success × 1 % impact × 10 M revenue = 150,000
    (2 more experiments a line, 6 in all, 1.5 successful, each adding 100,000)."""
    assert roi.rework_value(100, 80_000, 1.5, 0.10) == pytest.approx(1_200_000)
    assert roi.reinvestment_value(0.10, 20, 3, 0.25, 0.01, 10_000_000) == pytest.approx(150_000)
    assert roi.roi(150, 100) == pytest.approx(0.5)
    assert math.isnan(roi.roi(150, 0))


# --- A warehouse small enough to compute by hand -----------------------------------------------
#
# Teams t1 (services s1, s2) and t2 (s3). All deployments below are successful production
# deployments unless marked otherwise; "fail" = caused an incident or was repaired by a
# rollback/hotfix (the change failure rule), "rework" = is itself a hotfix or rollback.
#
# 2025-Q4 (baseline, 92 days): b1..b10 = 10 deployments; failed b1, b2 (incidents of 2 h and
#   4 h -> median 3 h), b3 (repaired by hotfix b4), b5 (repaired by rollback b6) = 4;
#   rework b4, b6 = 2. Ignored: a failed-status deployment, a staging hotfix, an incident not
#   caused by a deployment, a deployment on 2025-09-30 (2025-Q3).
# 2026-Q1 (90 days): 20 deployments; failed q1 (repaired by rollback q2) and q3 (incident of
#   1 h) = 2; rework q2 = 1.
# 2026-Q2 (91 days, the report ends 2026-06-30): 5 deployments, no failure, no rework.
# Ledger (EUR): 50,000 on 2025-06-01 (before the baseline, excluded), 100,000 organisation-wide
#   on 2025-11-15, 20,000 for t1 on 2026-02-01, 10,000 for t2 on 2026-04-10, 99,999 on
#   2026-07-05 (after the end, excluded).

TEAMS = [("t1", "T1", None), ("t2", "T2", None)]
SERVICES = [("s1", "t1"), ("s2", "t1"), ("s3", "t2")]

# id, service, environment, finished_at, status, change_type, remediates
DEPLOYMENTS = [
    ("b0", "s1", "production", "2025-09-30 23:00", "success", "planned", None),
    ("b1", "s1", "production", "2025-10-05 10:00", "success", "planned", None),
    ("b2", "s1", "production", "2025-10-10 10:00", "success", "planned", None),
    ("b3", "s1", "production", "2025-10-20 10:00", "success", "planned", None),
    ("b4", "s1", "production", "2025-10-20 13:00", "success", "hotfix", "b3"),
    ("b5", "s2", "production", "2025-11-03 10:00", "success", "planned", None),
    ("b6", "s2", "production", "2025-11-03 11:00", "success", "rollback", "b5"),
    ("b7", "s2", "production", "2025-11-10 10:00", "success", "planned", None),
    ("b8", "s2", "production", "2025-12-01 10:00", "success", "planned", None),
    ("b9", "s3", "production", "2025-12-02 10:00", "success", "planned", None),
    ("b10", "s3", "production", "2025-12-03 10:00", "success", "planned", None),
    ("b11", "s1", "production", "2025-12-05 10:00", "failure", "planned", None),
    ("b12", "s1", "staging", "2025-12-05 11:00", "success", "hotfix", "b11"),
    ("q1", "s1", "production", "2026-01-05 10:00", "success", "planned", None),
    ("q2", "s1", "production", "2026-01-05 11:00", "success", "rollback", "q1"),
    ("q3", "s2", "production", "2026-02-10 10:00", "success", "planned", None),
    *[
        (f"q{n}", f"s{n % 3 + 1}", "production", f"2026-03-{n:02d} 10:00", "success",
         "planned", None)
        for n in range(4, 21)
    ],
    *[
        (f"r{n}", "s1" if n % 2 else "s3", "production", f"2026-05-{n:02d} 10:00", "success",
         "planned", None)
        for n in range(1, 6)
    ],
]  # fmt: skip

# id, service, started_at, resolved_at, caused by deployment
INCIDENTS = [
    ("ib1", "s1", "2025-10-05 12:00", "2025-10-05 14:00", "b1"),
    ("ib2", "s1", "2025-10-10 12:00", "2025-10-10 16:00", "b2"),
    ("in0", "s2", "2025-11-20 00:00", "2025-11-20 10:00", None),
    ("iq1", "s2", "2026-02-10 12:00", "2026-02-10 13:00", "q3"),
]

# id, spent_on, category, amount, currency, team
LEDGER = [
    ("L0", "2025-06-01", "consulting", "50000.00", "EUR", None),
    ("L1", "2025-11-15", "platform", "100000.00", "EUR", None),
    ("L2", "2026-02-01", "training", "20000.00", "EUR", "t1"),
    ("L3", "2026-04-10", "tooling", "10000.00", "EUR", "t2"),
    ("L4", "2026-07-05", "tooling", "99999.00", "EUR", None),
]

# Round numbers so the expected values below can be worked out on paper.
ASSUMPTIONS = roi.Assumptions(
    currency="EUR",
    technical_staff=10,
    average_salary=100_000,
    benefits_multiplier=1.5,
    time_per_rework_share=1.0,
    experiments_per_line_of_business=30,
    lines_of_business=2,
    success_rate=0.5,
    revenue_impact=0.01,
    annual_revenue=1_000_000,
    cost_per_downtime_hour=1_000,
)
PERIOD = Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 30))


def build_roi_fixture(path: Path) -> Path:
    with write_snapshot(path, fresh=True) as con:
        con.executemany("INSERT INTO teams (team_id, name, cost_centre) VALUES (?, ?, ?)", TEAMS)
        con.executemany(
            "INSERT INTO services (service_id, team_id, name) VALUES (?, ?, ?)",
            [(s, t, s.upper()) for s, t in SERVICES],
        )
        con.executemany(
            "INSERT INTO deployments (source, external_id, service_id, environment, started_at,"
            " finished_at, status, change_type, remediates_external_id)"
            " VALUES ('fx', ?, ?, ?, ?::TIMESTAMPTZ - INTERVAL 10 MINUTE, ?::TIMESTAMPTZ, ?, ?, ?)",
            [(d[0], d[1], d[2], d[3], d[3], d[4], d[5], d[6]) for d in DEPLOYMENTS],
        )
        con.executemany(
            "INSERT INTO incidents (source, external_id, service_id, severity, started_at,"
            " resolved_at, caused_by_deployment_source, caused_by_deployment_external_id)"
            " VALUES ('fx', ?, ?, 'SEV2', ?::TIMESTAMPTZ, ?::TIMESTAMPTZ,"
            " CASE WHEN ? IS NULL THEN NULL ELSE 'fx' END, ?)",
            [(i[0], i[1], i[2], i[3], i[4], i[4]) for i in INCIDENTS],
        )
        con.executemany(
            "INSERT INTO investments (source, external_id, spent_on, category, amount, currency,"
            " team_id) VALUES ('fx', ?, ?::DATE, ?, ?::DECIMAL(14, 2), ?, ?)",
            LEDGER,
        )
    return path


@pytest.fixture(scope="module")
def roi_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_roi_fixture(tmp_path_factory.mktemp("roi") / "roi.duckdb")


@pytest.fixture()
def con(roi_db: Path):
    connection = open_reader(roi_db)
    yield connection
    connection.close()


def test_measured_inputs_per_quarter(con) -> None:
    report = roi.roi_report(con, PERIOD, "2025-Q4", ASSUMPTIONS)
    assert list(report["quarter"]) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert list(report["is_baseline"]) == [True, False, False]
    assert list(report["days"]) == [92, 90, 91]
    assert list(report["deployments"]) == [10, 20, 5]
    assert list(report["failed_deployments"]) == [4, 2, 0]
    assert list(report["rework_deployments"]) == [2, 1, 0]
    assert list(report["rework_fraction"]) == pytest.approx([0.2, 0.05, 0.0])
    assert list(report["change_failure_fraction"]) == pytest.approx([0.4, 0.1, 0.0])
    assert report["recovery_hours"][0] == pytest.approx(3.0)  # median of 2 h and 4 h
    assert report["recovery_hours"][1] == pytest.approx(1.0)
    assert math.isnan(report["recovery_hours"][2])
    assert report["deployments_per_year"][0] == pytest.approx(10 * 365 / 92)
    assert set(report["currency"]) == {"EUR"}


def test_benefits_against_the_baseline(con) -> None:
    """Derivation (yearly values are prorated by days ÷ 365):

    Rework share: baseline 2/10 = 0.2, 2026-Q1 1/20 = 0.05, 2026-Q2 0/5 = 0, so the time
    recovered is 0.15 and 0.2. Loaded staff cost: 10 × 100,000 × 1.5 = 1,500,000 a year.
      rework 2026-Q1: 1,500,000 × 0.15 = 225,000 a year × 90/365
      rework 2026-Q2: 1,500,000 × 0.2 = 300,000 a year × 91/365
    Reinvestment per unit of recovered time: 30 × 2 × 0.5 × 0.01 × 1,000,000 = 300,000 a year.
      reinvested 2026-Q1: 0.15 × 300,000 = 45,000 a year × 90/365
      reinvested 2026-Q2: 0.2 × 300,000 = 60,000 a year × 91/365
    Downtime a year = deployments a year × failure rate × hours × 1,000 = failures × 365/days ×
    hours × 1,000. Baseline: 4 × 365/92 × 3 × 1,000; prorated to a quarter of d days this is
    12,000 × d/92.
      downtime 2026-Q1: 12,000 × 90/92 − 2 failures × 1 h × 1,000 = 12,000 × 90/92 − 2,000
      downtime 2026-Q2: 12,000 × 91/92 − 0 (no failures)
    The baseline quarter's benefits are zero by construction.
    """
    report = roi.roi_report(con, PERIOD, "2025-Q4", ASSUMPTIONS)
    expected = {
        "benefit_rework": [0.0, 225_000 * 90 / 365, 300_000 * 91 / 365],
        "benefit_reinvested": [0.0, 45_000 * 90 / 365, 60_000 * 91 / 365],
        "benefit_downtime": [0.0, 12_000 * 90 / 92 - 2_000, 12_000 * 91 / 92],
    }
    for column, values in expected.items():
        assert list(report[column]) == pytest.approx(values, rel=1e-9), column
    total = [sum(values[i] for values in expected.values()) for i in range(3)]
    assert list(report["benefit_total"]) == pytest.approx(total, rel=1e-9)


def test_investment_roi_and_payback(con) -> None:
    """Ledger: 100,000 in 2025-Q4, 20,000 in 2026-Q1, 10,000 in 2026-Q2 (cumulative 100,000,
    120,000, 130,000); entries before the baseline or after the end are left out.

    Cumulative return: 0; Q1 = 270,000 × 90/365 + 12,000 × 90/92 − 2,000 ≈ 76,314.47;
    Q2 = Q1 + 360,000 × 91/365 + 12,000 × 91/92 ≈ 177,937.46.
    ROI: −1; 76,314.47/120,000 − 1 ≈ −0.364; 177,937.46/130,000 − 1 ≈ 0.369.
    Payback: 2026-Q2, the first quarter whose cumulative return covers the investment.
    """
    report = roi.roi_report(con, PERIOD, "2025-Q4", ASSUMPTIONS)
    assert list(report["investment"]) == pytest.approx([100_000, 20_000, 10_000])
    assert list(report["investment_cumulative"]) == pytest.approx([100_000, 120_000, 130_000])
    q1 = 270_000 * 90 / 365 + 12_000 * 90 / 92 - 2_000
    q2 = q1 + 360_000 * 91 / 365 + 12_000 * 91 / 92
    assert list(report["return_cumulative"]) == pytest.approx([0, q1, q2], rel=1e-9)
    assert list(report["roi"]) == pytest.approx(
        [-1.0, q1 / 120_000 - 1, q2 / 130_000 - 1], rel=1e-9
    )
    assert list(report["paid_back"]) == [False, False, True]
    assert set(report["payback_quarter"]) == {"2026-Q2"}
    assert roi.payback_quarter(report) == "2026-Q2"


def test_payback_in_months_is_interpolated_within_the_quarter(con) -> None:
    """The first investment is in 2025-Q4 (from 2025-10-01). At the start of 2026-Q2 the
    investment stands at 130,000 and the return at q1 ≈ 76,314.47: 53,685.53 short; Q2 returns
    360,000 × 91/365 + 12,000 × 91/92 ≈ 101,622.99 over its 91 days, so the gap closes after
    53,685.53 ÷ 101,622.99 ≈ 0.5283 of them (48.07 days). 2025-10-01 → 2026-04-01 is 182 days;
    (182 + 48.07) ÷ (365.25 / 12) ≈ 7.56 months."""
    report = roi.roi_report(con, PERIOD, "2025-Q4", ASSUMPTIONS)
    q1 = 270_000 * 90 / 365 + 12_000 * 90 / 92 - 2_000
    q2_benefit = 360_000 * 91 / 365 + 12_000 * 91 / 92
    days = 182 + (130_000 - q1) / q2_benefit * 91
    assert roi.payback_months(report) == pytest.approx(days / (365.25 / 12), rel=1e-9)
    assert roi.payback_months(report) == pytest.approx(7.56, abs=0.005)
    assert roi.payback_text(report) == "2026-Q2 (7.6 months)"


def test_no_payback_when_return_stays_below_investment(con) -> None:
    """Without reinvestment and with a tenth of the staff cost, 2026-Q2's cumulative return is
    (22,500 × 90/365 + 30,000 × 91/365) + (12,000 × 90/92 − 2,000 + 12,000 × 91/92) ≈ 36,570,
    below 130,000."""
    frugal = roi.Assumptions(**{**vars(ASSUMPTIONS), "technical_staff": 1, "annual_revenue": 0})
    report = roi.roi_report(con, PERIOD, "2025-Q4", frugal)
    expected = 22_500 * 90 / 365 + 30_000 * 91 / 365 + 12_000 * 90 / 92 - 2_000 + 12_000 * 91 / 92
    assert report["return_cumulative"].iloc[-1] == pytest.approx(expected, rel=1e-9)
    assert not report["paid_back"].any()
    assert roi.payback_quarter(report) is None
    assert roi.payback_months(report) is None and roi.payback_text(report) == "not yet"
    assert report["payback_quarter"].isna().all()


def test_team_scope_shares_the_ledger_and_headcount(con) -> None:
    """Team t1 has 2 of the 3 services: the organisation-wide 100,000 counts 2/3 (66,666.67),
    t1's 20,000 in full, t2's 10,000 not at all. Its baseline has b1..b8 = 8 deployments, 2 of
    them rework (0.25); 2026-Q1 has q1, q2, q3 and the s1/s2 ones of q4..q20 (n % 3 != 2:
    q4, q6, q7, q9, q10, q12, q13, q15, q16, q18, q19 = 11) = 14 deployments, 1 rework.
    Rework 2026-Q1: staff 10 × 2/3 × 100,000 × 1.5 × (0.25 − 1/14) a year × 90/365."""
    team = Filters(PERIOD.start, PERIOD.end, team="t1")
    report = roi.roi_report(con, team, "2025-Q4", ASSUMPTIONS)
    assert list(report["investment_cumulative"]) == pytest.approx(
        [200_000 / 3, 200_000 / 3 + 20_000, 200_000 / 3 + 20_000]
    )
    assert list(report["deployments"]) == [8, 14, 3]
    expected = 10 * 2 / 3 * 100_000 * 1.5 * (0.25 - 1 / 14) * 90 / 365
    assert report["benefit_rework"][1] == pytest.approx(expected, rel=1e-9)


def test_investment_categories_filter(con) -> None:
    only_platform = roi.Assumptions(**{**vars(ASSUMPTIONS), "investment_categories": ("platform",)})
    report = roi.roi_report(con, PERIOD, "2025-Q4", only_platform)
    assert list(report["investment"]) == pytest.approx([100_000, 0, 0])


def test_mixed_currencies_are_refused(roi_db: Path, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.duckdb"
    shutil.copyfile(roi_db, mixed)
    with write_snapshot(mixed) as writer:
        writer.execute(
            "INSERT INTO investments (source, external_id, spent_on, category, amount, currency)"
            " VALUES ('fx', 'L9', DATE '2026-03-01', 'tooling', 5000, 'USD')"
        )
    connection = open_reader(mixed)
    try:
        with pytest.raises(roi.RoiError, match=r"holds EUR, USD.*never\s+added"):
            roi.roi_report(connection, PERIOD, "2025-Q4", ASSUMPTIONS)
    finally:
        connection.close()


def test_ledger_in_another_currency_than_the_assumptions(con) -> None:
    dollars = roi.Assumptions(**{**vars(ASSUMPTIONS), "currency": "USD"})
    with pytest.raises(roi.RoiError, match=r"holds EUR.*assumptions are in USD"):
        roi.roi_report(con, PERIOD, "2025-Q4", dollars)


def test_sensitivity_halves_and_doubles_the_downtime_benefit(con) -> None:
    table = roi.sensitivity(con, PERIOD, "2025-Q4", ASSUMPTIONS)
    assert set(table["assumption"]) == {"cost_per_downtime_hour"}
    by = {f: table[table["factor"] == f].reset_index(drop=True) for f in (0.5, 1.0, 2.0)}
    assert set(by[0.5]["value"]) == {500.0} and set(by[2.0]["value"]) == {2_000.0}
    base = by[1.0]["benefit_downtime"]
    assert list(by[0.5]["benefit_downtime"]) == list(base / 2)
    assert list(by[2.0]["benefit_downtime"]) == list(base * 2)
    for column in ("benefit_rework", "benefit_reinvested", "investment_cumulative"):
        assert list(by[0.5][column]) == list(by[1.0][column]) == list(by[2.0][column])
    report = roi.roi_report(con, PERIOD, "2025-Q4", ASSUMPTIONS)
    assert list(by[1.0]["return_cumulative"]) == list(report["return_cumulative"])


def test_sensitivity_any_numeric_assumption(con) -> None:
    table = roi.sensitivity(
        con, PERIOD, "2025-Q4", ASSUMPTIONS, assumption="average_salary", factors=(0.5,)
    )
    report = roi.roi_report(con, PERIOD, "2025-Q4", ASSUMPTIONS)
    assert list(table["benefit_rework"]) == pytest.approx(list(report["benefit_rework"] / 2))
    with pytest.raises(roi.RoiError, match="cannot scale 'currency'"):
        roi.sensitivity(con, PERIOD, "2025-Q4", ASSUMPTIONS, assumption="currency")


def test_bad_baselines(con) -> None:
    with pytest.raises(roi.RoiError, match="2025-Q2 has no successful deployments"):
        roi.roi_report(con, PERIOD, "2025-Q2", ASSUMPTIONS)
    with pytest.raises(roi.RoiError, match="starts after the period ends"):
        roi.roi_report(con, PERIOD, "2026-Q3", ASSUMPTIONS)
    with pytest.raises(roi.RoiError, match="use YYYY-Qn"):
        roi.parse_quarter("2025-Q5")
    assert roi.parse_quarter("2025q4") == dt.date(2025, 10, 1)
    assert roi.parse_quarter(dt.date(2026, 2, 14)) == dt.date(2026, 1, 1)


# --- The assumptions file -----------------------------------------------------------------------


def test_committed_file_matches_the_documented_defaults() -> None:
    assert roi.load_assumptions(roi.DEFAULT_CONFIG) == roi.Assumptions()


def test_partial_file_keeps_defaults(tmp_path: Path) -> None:
    path = tmp_path / "roi.toml"
    path.write_text('[money]\ncurrency = "USD"\n\n[downtime]\ncost_per_hour = 500000\n')
    loaded = roi.load_assumptions(path)
    assert loaded.currency == "USD"
    assert loaded.cost_per_downtime_hour == 500_000
    assert loaded.technical_staff == roi.Assumptions().technical_staff


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        ("[staff]\ntechnical_staff = 40\naverage_salary = 'lots'\n", 3, "average_salary"),
        ("[staff]\n\nbenefits_multiplier = 0.5\n", 3, "benefits_multiplier must be >= 1"),
        ("[staff]\ntechnical_staff = 0\n", 2, "technical_staff must be > 0"),
        ("[reinvestment]\nsuccess_rate = 1.5\n", 2, "success_rate must be at most 1"),
        ("[downtime]\ncost_per_hour = true\n", 2, "cost_per_hour must be a number"),
        ("[money]\ncurrency = 'euro'\n", 2, "currency must be an ISO 4217 code"),
        ("[investment]\ncategories = 'platform'\n", 2, "categories must be a list"),
        ("[staff]\ntechnical_staff = 4\nsalary = 1\n", 3, "unknown key 'salary'"),
        ("# costs\n[downtimes]\ncost_per_hour = 1\n", 2, "unknown table [downtimes]"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, body: str, line: int, needle: str) -> None:
    path = tmp_path / "roi.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(roi.RoiError) as caught:
        roi.load_assumptions(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert needle in message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(roi.RoiError, match="not found"):
        roi.load_assumptions(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[staff\n", encoding="utf-8")
    with pytest.raises(roi.RoiError, match="not valid TOML"):
        roi.load_assumptions(broken)


def test_roi_cli_prints_quarters_and_rejects_bad_input(tmp_path: Path, capsys) -> None:
    from data.demo import build
    from metrics.__main__ import main

    db = tmp_path / "demo.duckdb"
    build(db, seed=42, end=dt.date(2026, 11, 25))
    args = ["roi", "--baseline", "2025-Q4", "--end", "2026-11-24", "--db", str(db)]
    assert main([*args, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    header = lines[0].split(",")
    quarters = [line.split(",")[header.index("quarter")] for line in lines[1:]]
    assert quarters == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert main(["roi", "--baseline", "2025-Q9", "--end", "2026-11-24", "--db", str(db)]) == 2
    assert "is not a quarter" in capsys.readouterr().err
