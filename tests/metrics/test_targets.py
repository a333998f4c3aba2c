"""Targets file parsing, overrides, clear errors with file and line, and RAG boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.core.definitions import BY_NAME
from metrics.core.targets import (
    AMBER,
    DEFAULT_TARGETS,
    GREEN,
    NO_DATA,
    RED,
    Target,
    TargetsError,
    load_targets,
    status,
)


def test_defaults_are_the_briefs() -> None:
    targets = load_targets(DEFAULT_TARGETS)
    assert targets.benchmark_year == 2023
    assert targets.defaults["availability"].target == 99.5
    assert targets.defaults["p95_latency"].target == 500
    assert targets.defaults["error_rate"].target == 0.1
    assert targets.defaults["coverage"].target == 80
    assert targets.defaults["lead_time"].tier == "high"


def test_service_beats_team_beats_default(tmp_path: Path) -> None:
    text = DEFAULT_TARGETS.read_text(encoding="utf-8") + (
        "\n[team.web.availability]\ntarget = 99.9\nwarn = 99.5\n"
        "\n[service.cart.availability]\ntarget = 99.95\nwarn = 99.9\n"
    )
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    targets = load_targets(path)
    assert targets.for_scope("availability").target == 99.5
    assert targets.for_scope("availability", team="web").target == 99.9
    assert targets.for_scope("availability", team="web", service="cart").target == 99.95
    assert targets.for_scope("p95_latency", team="web", service="cart").target == 500


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_TARGETS.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "targets.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(needle))


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("target = 99.5 ", "target = 'high' ", "target = 'high'", "target must be a number"),
        ("warn = 750", "warm = 750", "warm = 750", "unknown key 'warm'"),
        ('tier = "high"', 'tier = "excellent"', 'tier = "excellent"', "tier must be one of"),
        ("benchmark_year = 2023", "benchmark_year = 2019", "benchmark_year", "must be one of"),
        ("[kpi.mttr]", "[kpi.mttrr]", "[kpi.mttrr]", "unknown KPI 'mttrr'"),
        ("warn = 99.0", "warn = 99.9", "warn = 99.9", "warn must be at or below target"),
    ],
)
def test_bad_values_name_file_line_and_key(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(TargetsError) as info:
        load_targets(path)
    text = str(info.value)
    assert message in text
    assert text.startswith(f"{path}:{line_of(path, needle)}: "), text


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    path = broken(tmp_path, "[kpi.p95_latency]", "[kpi.p95_latency")
    with pytest.raises(TargetsError, match=r"not valid TOML: .*line \d+"):
        load_targets(path)
    with pytest.raises(TargetsError, match="not found"):
        load_targets(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("kpi", "value", "expected"),
    [
        ("availability", 99.5, GREEN),  # exactly on target meets it
        ("availability", 99.49, AMBER),
        ("availability", 99.0, AMBER),  # warn is the last amber value
        ("availability", 98.99, RED),
        ("p95_latency", 500.0, GREEN),
        ("p95_latency", 500.1, AMBER),
        ("p95_latency", 750.1, RED),
        ("coverage", None, NO_DATA),
    ],
)
def test_threshold_rag(kpi: str, value: float | None, expected: str) -> None:
    target = load_targets(DEFAULT_TARGETS).defaults[kpi]
    assert status(BY_NAME[kpi], value, target, 2023)[0] == expected


@pytest.mark.parametrize(
    ("kpi", "value", "tier", "rag"),
    [
        # 2023: elite ≤ 24 h, high ≤ 1 week, medium ≤ 30 days
        ("lead_time", 20.0, "elite", GREEN),
        ("lead_time", 100.0, "high", GREEN),
        ("lead_time", 300.0, "medium", AMBER),
        ("lead_time", 1000.0, "low", RED),
        # deployments per service per week: elite ≥ 7, high ≥ 1, medium ≥ 12/52
        ("deployment_frequency", 7.0, "elite", GREEN),
        ("deployment_frequency", 0.5, "medium", AMBER),
        ("deployment_frequency", 0.1, "low", RED),
        ("change_failure_rate", 5.0, "elite", GREEN),
        ("change_failure_rate", 12.0, "medium", AMBER),
        ("time_to_restore", 0.5, "elite", GREEN),
    ],
)
def test_dora_rag(kpi: str, value: float, tier: str, rag: str) -> None:
    assert status(BY_NAME[kpi], value, Target(kpi, tier="high"), 2023) == (rag, tier)


def test_dora_2021_table_differs() -> None:
    # 2021: elite lead time is under an hour, so 20 h is only "high"
    assert status(BY_NAME["lead_time"], 20.0, Target("lead_time", tier="high"), 2021) == (
        GREEN,
        "high",
    )
    assert status(BY_NAME["lead_time"], 0.5, Target("lead_time", tier="high"), 2021)[1] == "elite"
