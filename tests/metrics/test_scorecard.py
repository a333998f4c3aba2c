"""The scorecard against values computed by hand from tests/fixture_warehouse.py.

Period 2026-01-01..2026-01-14 (14 days = 2 weeks); previous period 2025-12-18..2025-12-31.

Service levels (production only; the staging sample is excluded):
  requests a1 1000 + a2 3000 + b1 1000 = 5000, errors 2 + 9 + 20 = 31
  availability = 100 × (1 − 31/5000) = 99.38 %; error rate = 100 × 31/5000 = 0.62 %
  summed latency buckets: ≤25: 1000, ≤50: 500, ≤100: 2300, ≤250: 750, ≤500: 350, ≤1000: 100
  rank 0.95 × 5000 = 4750; cumulative ≤250 = 4550, ≤500 = 4900 → in (250, 500]
  P95 = 250 + 250 × (4750 − 4550)/350 = 392.857… ms
  previous: 1000 requests, 1 error → 99.9 %; all in (50, 100] → P95 = 50 + 50 × 950/1000 = 97.5
Coverage at the end (latest analysis per project, ≤ 90 days old; a2's is stale):
  a1 (2026-01-10): (900 + 150)/(1000 + 200) ; b1: 2100/3000 → 3150/4200 = 75 %
  previous end (2026-01-01): only a1's 2025-12-15 analysis: (700 + 100)/1200 = 66.67 %
Deployments (successful, production): d1 d2 d3 d4 d5 d7 = 6; deployable services 3; 2 weeks
  frequency = 6/3/2 = 1.0 per service per week → 2023 high tier (a service counts as
  deployable from its first recorded deployment on)
  failed: d2 (incident i1, rollback d3), d4 (hotfix d5) → CFR = 2/6 = 33.3 % → low
  previous: d9 only, and only b1 had ever deployed → 1/1/2 = 0.5; CFR 0 %
Lead times (first commit → production deploy): c1 26 h, c2 48 h, c3 24 h, c4 240 h → median 37 h
Incidents resolved: i1 1.5 h (caused by d2), i2 4 h → MTTR median 2.75 h; restore (i1) 1.5 h
  previous: i4 6 h.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from data.warehouse import open_reader
from metrics.__main__ import main
from metrics.core.filters import FilterError, Filters
from metrics.core.scorecard import overall_tier, records, scorecard
from metrics.core.targets import load_targets

PERIOD = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 1, 14)}


def card(db: Path, targets: Path, **scope: str) -> dict[str, dict]:
    frame = scorecard(open_reader(db), Filters(**PERIOD, **scope), load_targets(targets))
    return {row["kpi"]: row for row in records(frame)}


def test_whole_organisation(fixture_db: Path, targets_file: Path) -> None:
    rows = card(fixture_db, targets_file)
    expected = {
        "availability": (99.38, "amber", None, 99.9),
        "error_rate": (0.62, "red", None, 0.1),
        "p95_latency": (250 + 250 * 200 / 350, "green", None, 97.5),
        "coverage": (75.0, "amber", None, 800 / 1200 * 100),
        # previous period: only b1 had deployed by then (d9), so 1 deployment / 1 service / 2 weeks
        "deployment_frequency": (1.0, "green", "high", 0.5),
        "change_failure_rate": (100 * 2 / 6, "red", "low", 0.0),
        "lead_time": (37.0, "green", "high", None),
        "time_to_restore": (1.5, "green", "high", None),
        "mttr": (2.75, "amber", None, 6.0),
    }
    assert set(expected) <= set(rows)
    for kpi, (value, rag, tier, previous) in expected.items():
        row = rows[kpi]
        assert row["value"] == pytest.approx(value), kpi
        assert row["status"] == rag, kpi
        assert row["tier"] == tier, kpi
        if previous is None:
            assert row["previous"] is None, kpi
        else:
            assert row["previous"] == pytest.approx(previous), kpi
    assert rows["availability"]["delta"] == pytest.approx(99.38 - 99.9)
    assert rows["availability"]["improved"] is False
    assert rows["mttr"]["improved"] is True  # 6 h → 2.75 h is better
    assert rows["availability"]["n"] == 5000


def test_second_tier_kpis(fixture_db: Path, targets_file: Path) -> None:
    """Hand-computed from the fixture (period 2026-01-01..14):

    deployments per day: 6 successful production deployments ÷ 14 days = 0.428571
    lead time P90 over [24, 26, 48, 240] h: position 0.9 × 3 = 2.7 → 48 + 0.7 × 192 = 182.4 h
    rework: d3 (rollback) and d5 (hotfix) of 6 successful deployments = 33.33 %
    incidents started: i1, i2, i3 = 3; MTTR mean (1.5 + 4) ÷ 2 = 2.75 h
    MTTA: i1 10 min, i2 30 min (i3 never acknowledged) → median = mean = 20 min = 1/3 h
    hours meeting P95 ≤ 500 ms: 01-05 a1 250 ms, 01-06 a2 458.3 ms, 01-07 b1 23.75 ms → 100 %
    no probes, CPU or memory, merge times, new-code counts or gates in the fixture → no data
    """
    rows = card(fixture_db, targets_file)
    assert rows["deployments_per_day"]["value"] == pytest.approx(6 / 14)
    assert rows["lead_time_p90"]["value"] == pytest.approx(182.4)
    assert rows["rework_rate"]["value"] == pytest.approx(100 * 2 / 6)
    assert rows["incident_count"]["value"] == 3
    assert rows["mttr_mean"]["value"] == pytest.approx(2.75)
    assert rows["mtta"]["value"] == pytest.approx(1 / 3)
    assert rows["mtta_mean"]["value"] == pytest.approx(1 / 3)
    assert rows["p95_hours_within_target"]["value"] == pytest.approx(100.0)
    for kpi in ("uptime", "cpu_mean", "merge_to_deploy", "new_code_coverage"):
        assert rows[kpi]["value"] is None and rows[kpi]["status"] == "no data", kpi
    assert rows["incident_count"]["status"] == "tracked"
    assert rows["incident_count"]["target_text"] == "none, tracked only"
    # config/targets.toml: deployment_frequency tier = "high"; the name stands mid-sentence
    assert rows["deployment_frequency"]["target_text"] == "high tier or better (DORA 2023)"


def test_hours_meeting_p95_follow_the_latency_target(
    fixture_db: Path, targets_file: Path, tmp_path: Path
) -> None:
    """With P95 ≤ 400 ms, a2's hour (250 + 250 × 250/300 = 458.3 ms) fails: 2 of 3 hours."""
    text = targets_file.read_text(encoding="utf-8").replace(
        "target = 500    # milliseconds", "target = 400    # milliseconds"
    )
    strict = tmp_path / "strict.toml"
    strict.write_text(text, encoding="utf-8")
    rows = card(fixture_db, strict)
    assert rows["p95_hours_within_target"]["value"] == pytest.approx(200 / 3)
    assert rows["p95_latency"]["status"] == "green"  # 392.9 ms ≤ 400


def test_overall_dora_tier_is_the_lowest_key(fixture_db: Path, targets_file: Path) -> None:
    frame = scorecard(open_reader(fixture_db), Filters(**PERIOD), load_targets(targets_file))
    # frequency high, lead time high, change failure rate low, recovery high → low
    assert overall_tier(frame) == "low"


def test_team_scope_and_override(fixture_db: Path, targets_file: Path) -> None:
    """Team alpha: a1 + a2 only, with alpha's stricter availability target (99.9, warn 99.5)."""
    rows = card(fixture_db, targets_file, team="alpha")
    # 4000 requests, 11 errors
    assert rows["availability"]["value"] == pytest.approx(100 * (1 - 11 / 4000))
    assert rows["availability"]["status"] == "amber"  # 99.725 < 99.9 but ≥ 99.5
    assert rows["availability"]["target"] == 99.9
    # buckets ≤50: 500, ≤100: 2300, ≤250: 750, ≤500: 350, ≤1000: 100; rank 3800; cum ≤250 3550
    assert rows["p95_latency"]["value"] == pytest.approx(250 + 250 * 250 / 350)
    # the mean of the two services' own P95s would be wrong: a1 P95 = 250+250*(0.95*1000-950)/50
    assert rows["coverage"]["value"] == pytest.approx(87.5)  # a1 only: 1050/1200
    assert rows["deployment_frequency"]["value"] == pytest.approx(5 / 2 / 2)
    assert rows["change_failure_rate"]["value"] == pytest.approx(40.0)
    assert rows["lead_time"]["value"] == pytest.approx(26.0)  # median of 26, 48, 24
    assert rows["mttr"]["value"] == pytest.approx(1.5)


def test_service_scope_and_environment(fixture_db: Path, targets_file: Path) -> None:
    rows = card(fixture_db, targets_file, service="a1", environment="staging")
    assert rows["availability"]["value"] == pytest.approx(80.0)  # 100 errors of 500
    assert rows["p95_latency"]["value"] == pytest.approx(10000.0)  # +Inf bucket → highest bound
    assert rows["deployment_frequency"]["value"] == pytest.approx(1 / 1 / 2)  # d8
    assert rows["lead_time"]["value"] == pytest.approx(36.0)  # c5: 01-03 00:00 → 01-04 12:00


def test_empty_scope_says_no_data(fixture_db: Path, targets_file: Path) -> None:
    frame = scorecard(
        open_reader(fixture_db),
        Filters(dt.date(2020, 1, 1), dt.date(2020, 1, 31)),
        load_targets(targets_file),
    )
    assert set(frame["status"]) == {"no data"}
    assert frame["value"].isna().all()


def test_cli_json_matches_hand_computed(fixture_db: Path, targets_file: Path, capsys) -> None:
    code = main(
        [
            "scorecard",
            "--start",
            "2026-01-01",
            "--end",
            "2026-01-14",
            "--format",
            "json",
            "--db",
            str(fixture_db),
            "--targets",
            str(targets_file),
        ]
    )
    assert code == 0
    rows = {r["kpi"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["availability"]["value"] == pytest.approx(99.38)
    assert rows["availability"]["unit"] == "%"
    assert rows["availability"]["target"] == 99.5
    assert rows["availability"]["status"] == "amber"
    assert rows["p95_latency"]["value"] == pytest.approx(392.857142857)
    assert rows["p95_latency"]["display"] == "393 ms"
    assert rows["change_failure_rate"]["tier"] == "low"
    assert rows["change_failure_rate"]["benchmark_year"] == 2023
    assert rows["change_failure_rate"]["tier_band"] == "over 15 %"
    assert rows["deployment_frequency"]["tier_band"] == "daily to weekly"
    assert rows["lead_time"]["previous"] is None


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_cli_other_formats(fixture_db: Path, fmt: str, capsys) -> None:
    args = ["scorecard", "--start", "2026-01-01", "--end", "2026-01-14", "--db", str(fixture_db)]
    assert main([*args, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "Availability" in out and "99.380" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--team", "gamma"], "unknown team 'gamma'; known teams: alpha, beta"),
        (
            ["--service", "b1", "--team", "alpha"],
            "unknown service 'b1' in team 'alpha'; known services: a1, a2",  # alpha's, not b1
        ),
        (["--service", "z9"], "unknown service 'z9'; known services: a1, a2, b1"),
        (["--end", "2025-12-01"], "ends (2025-12-01) before it starts"),
        (["--end", "14/01/2026"], "is not a date; use YYYY-MM-DD"),
        (["--db", "/nonexistent/x.duckdb"], "No warehouse at /nonexistent/x.duckdb"),
    ],
)
def test_cli_bad_input_is_one_clear_line(
    fixture_db: Path, extra: list[str], message: str, capsys
) -> None:
    args = ["scorecard", "--start", "2026-01-01", "--end", "2026-01-14", "--db", str(fixture_db)]
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_filters_reject_inverted_period() -> None:
    with pytest.raises(FilterError):
        Filters(dt.date(2026, 1, 2), dt.date(2026, 1, 1))


def test_sparklines_can_be_skipped_without_changing_values(fixture_db: Path) -> None:
    import duckdb

    con = duckdb.connect(str(fixture_db), read_only=True)
    period = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14))
    targets = load_targets()
    full = scorecard(con, period, targets).set_index("kpi")
    bare = scorecard(con, period, targets, sparklines=False).set_index("kpi")
    assert full["display"].equals(bare["display"]) and full["status"].equals(bare["status"])
    assert all(s == [] for s in bare["sparkline"]) and any(s for s in full["sparkline"])
