"""Hostile and random input to every CLI and to the page filters: a clear message, never a
traceback, never SQL built from input, and the warehouse unchanged.

Values: SQL fragments, quotes, huge strings, control characters, unicode (including lone
surrogates), numbers where text is expected, plus derandomised hypothesis text.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.__main__ import main as connectors_main
from data.__main__ import main as data_main
from data.demo import main as demo_main
from metrics.__main__ import main as metrics_main
from tests.ui.test_app import _real_navigation, run_app  # noqa: F401  (autouse fixture)

HOSTILE = [
    "alpha' OR '1'='1",
    "alpha'; DROP TABLE teams; --",
    '"); DELETE FROM deployments; --',
    "$team",
    "x" * 20_000,
    "\x00\x01\x1b[31mred",
    "🚀 ünïcødé ﷽",
    "\ud800",  # a lone surrogate: cannot even be encoded as UTF-8
    "-1",
    "2026-02-30",
    "9999-99-99",
    "",
    " ",
    "NaN",
    "../../etc/passwd",
]
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(main: Callable[[list[str]], int], argv: list[str]) -> tuple[int, str]:
    """Exit code and stderr of an in-process CLI call; anything but 0 or 2 is a failure."""
    err, out = io.StringIO(), io.BytesIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.TextIOWrapper(out)):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
    text = err.getvalue()
    assert code in (0, 2), (argv, code, text)
    assert "Traceback" not in text, text
    return code, text


def cli_calls(db: Path, value: str) -> list[tuple[Callable[[list[str]], int], list[str]]]:
    period = ["--start", "2026-01-01", "--end", "2026-01-14", "--db", str(db)]
    return [
        (metrics_main, ["scorecard", *period, "--team", value]),
        (metrics_main, ["scorecard", *period, "--service", value]),
        (metrics_main, ["scorecard", *period, "--environment", value, "--format", "json"]),
        (metrics_main, ["scorecard", "--start", value, "--end", "2026-01-14", "--db", str(db)]),
        (metrics_main, ["export", value, *period]),
        (metrics_main, ["export", "kpis", *period, "--grain", value]),
        (metrics_main, ["export", "deployments", *period, "--team", value]),
        (metrics_main, ["roi", "--baseline", value, "--end", "2026-01-14", "--db", str(db)]),
        (
            metrics_main,
            [
                "roi",
                "--baseline",
                "2025-Q4",
                "--end",
                "2026-01-14",
                "--db",
                str(db),
                "--service",
                value,
            ],
        ),
        (
            connectors_main,
            ["sync", "--db", str(db), "--source", value, "--config", str(db.parent / "none.toml")],
        ),
        (connectors_main, ["sync", "--db", str(db), "--since", value]),
        (connectors_main, ["import", value, str(_refused_csv(db)), "--db", str(db)]),
        (connectors_main, ["import", "deployments", value, "--db", str(db)]),
        (
            connectors_main,
            [
                "import",
                "deployments",
                str(_refused_csv(db)),
                "--db",
                str(db),
                "--source",
                value,
                "--timezone",
                value,
            ],
        ),
    ]


def _refused_csv(db: Path) -> Path:
    """A deployments file the import must refuse whatever the options (no such service), so a
    hostile option value can never lead to a write."""
    path = db.parent / "refused.csv"
    if not path.exists():
        path.write_text(
            "external_id,service_id,environment,started_at,status\n"
            "d1,no-such-service,production,2026-01-05 10:00:00,success\n",
            encoding="utf-8",
        )
    return path


def _check_value(db: Path, value: str) -> None:
    before = digest(db)
    for main, argv in cli_calls(db, value):
        code, text = run_cli(main, argv)
        if code == 2:
            lines = [line for line in text.splitlines() if line.strip()]
            assert lines, (argv, "a refusal must say why")
    assert digest(db) == before, "a CLI call changed the warehouse"


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_to_every_cli(fixture_copy: Path, value: str) -> None:
    _check_value(fixture_copy, value)


@FUZZ
@given(st.text(max_size=60))
def test_random_text_to_every_cli(fixture_copy: Path, value: str) -> None:
    _check_value(fixture_copy, value)


def test_sql_in_a_filter_matches_nothing(fixture_copy: Path) -> None:
    """Input is a parameter, never SQL: an injected OR does not widen the scope to all."""
    code, text = run_cli(
        metrics_main,
        [
            "scorecard",
            "--start",
            "2026-01-01",
            "--end",
            "2026-01-14",
            "--db",
            str(fixture_copy),
            "--team",
            "alpha' OR '1'='1",
        ],
    )
    assert code == 2 and "unknown team" in text and "known teams: alpha, beta" in text


def test_data_cli_refuses_hostile_paths(tmp_path: Path) -> None:
    for value in ("\x00", "x" * 5000, str(tmp_path)):
        code, text = run_cli(data_main, ["migrate", "--db", value])
        assert code == 2 and text.strip(), value
        code, text = run_cli(demo_main, ["--db", value, "--end", "2026-01-31"])
        assert code == 2 and text.strip(), value


@pytest.mark.parametrize("option", ["--scale", "--seed", "--end"])
def test_demo_cli_refuses_hostile_values(tmp_path: Path, option: str) -> None:
    db = tmp_path / "demo.duckdb"
    for value in HOSTILE:
        code, text = run_cli(demo_main, [option, value, "--db", str(db)])
        assert code == 2 and text.strip(), (option, value)
    assert not db.exists(), "a refused build must not leave a warehouse behind"


@pytest.mark.parametrize("param", ["start", "end", "team", "service", "env"])
def test_hostile_url_parameters_never_raise(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch, param: str
) -> None:
    for value in HOSTILE:
        if value == "\ud800":
            continue  # a URL cannot carry a lone surrogate; browsers send U+FFFD
        app = run_app(fixture_db, monkeypatch, **{param: value})  # asserts no exception
        assert app.metric, f"{param}={value[:30]!r} left the scorecard empty"


@pytest.fixture
def fixture_copy(fixture_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy: a CLI that wrote to the warehouse would change its bytes."""
    target = tmp_path_factory.mktemp("fuzz") / "fixture.duckdb"
    target.write_bytes(fixture_db.read_bytes())
    return target
