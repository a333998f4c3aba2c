"""The app frame and the scorecard page through streamlit.testing (AppTest), on real DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

from data.warehouse import write_snapshot
from metrics.core.definitions import HEADLINE as KPIS

APP = str(Path(__file__).resolve().parents[2] / "app.py")


class _NavigationPagesManager(PagesManager):
    """AppTest resets PagesManager.uses_pages_directory before every run, so with a pages/
    folder (which st.navigation ignores in a real server once it has run) its reruns execute a
    page file on its own. Keep the flag the way the real server leaves it after st.navigation."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(autouse=True)
def _real_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_test, "PagesManager", _NavigationPagesManager)


def run_app(db: Path, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("TECHPULSE_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def cards(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_home_shows_every_kpi_card(fixture_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_app(fixture_db, monkeypatch, start="2026-01-01", end="2026-01-14")
    shown = cards(app)
    assert set(shown) == {k.label for k in KPIS}
    assert shown["Availability"] == "99.380 %"
    assert shown["P95 latency"] == "393 ms"
    assert shown["Change failure rate"] == "33.3 %"
    assert shown["MTTR (median)"] == "2.75 h"
    assert "never averaged" in next(m.help for m in app.metric if m.label == "P95 latency")


def test_default_period_ends_on_latest_data(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_app(fixture_db, monkeypatch)
    # the fixture's newest row is 2026-01-12 (b1's analysis, incident i3): 90 days to it
    assert app.sidebar.date_input[0].value == (
        __import__("datetime").date(2025, 10, 15),
        __import__("datetime").date(2026, 1, 12),
    )
    # default filters stay out of the URL; the language always travels with a shared link
    assert dict(app.query_params) == {"lang": "en"}


def test_url_filters_are_restored(fixture_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_app(fixture_db, monkeypatch, start="2026-01-01", end="2026-01-14", team="alpha")
    assert app.sidebar.selectbox[0].value == "alpha"
    assert cards(app)["Availability"] == "99.725 %"  # 1 − 11/4000
    assert app.query_params["team"] == ["alpha"] or app.query_params["team"] == "alpha"


def test_changing_a_filter_updates_the_url(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_app(fixture_db, monkeypatch, start="2026-01-01", end="2026-01-14")
    app.sidebar.selectbox[0].select("beta").run()
    assert not app.exception
    assert "beta" in str(app.query_params["team"])
    assert cards(app)["Availability"] == "98.000 %"  # b1: 20 errors of 1000
    app.sidebar.selectbox[1].select("b1").run()
    assert "b1" in str(app.query_params["service"])


def test_unknown_team_in_url_warns_and_shows_all(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_app(fixture_db, monkeypatch, start="2026-01-01", end="2026-01-14", team="gamma';--")
    warnings = [w.value for w in app.warning]
    assert any('team "gamma\';--"' in w or "team 'gamma';--'" in w for w in warnings), warnings
    assert cards(app)["Availability"] == "99.380 %"


@pytest.mark.parametrize(
    "params",
    [
        {"start": "yesterday", "end": "2026-01-14"},
        {"start": "2026-01-14", "end": "2026-01-01"},
        {"start": "1900-01-01", "end": "2026-01-14"},
        {"service": "x" * 5000},
        {"env": "<script>alert(1)</script>"},
    ],
)
def test_bad_url_values_warn_without_traceback(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]
) -> None:
    app = run_app(fixture_db, monkeypatch, **params)
    assert app.warning, "a dropped URL value must be explained"
    assert len(app.metric) == len(KPIS)


def test_period_without_data_says_what_is_missing(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_app(fixture_db, monkeypatch, start="2020-01-01", end="2020-01-31")
    assert not app.metric
    assert any("No data for these filters" in w.value for w in app.warning)


def test_empty_warehouse_explains_how_to_fill_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty warehouse opens on the Get started checklist, not on nine "no data" pages; it
    ticks itself as the catalog and the first facts arrive."""
    db = tmp_path / "empty.duckdb"
    with write_snapshot(db):
        pass
    monkeypatch.setenv("TECHPULSE_SOURCES", str(tmp_path / "no-sources.toml"))
    app = run_app(db, monkeypatch)
    assert [t.value for t in app.title] == ["Get started"]
    steps = [m.value for m in app.markdown if m.value.startswith(":material/")]
    assert steps == [
        ":material/check_circle: **1. Create the warehouse**",
        ":material/radio_button_unchecked: **2. Declare your teams and services**",
        ":material/radio_button_unchecked: **3. Connect your sources**",
        ":material/radio_button_unchecked: **4. Run the first sync**",
        ":material/radio_button_unchecked: **5. Read the dashboard**",
    ]
    assert any("python -m data catalog apply" in c.value for c in app.code)
    with write_snapshot(db) as con:  # the catalog, no facts yet: still the checklist
        con.execute("INSERT INTO teams (team_id, name) VALUES ('payments', 'Payments')")
        con.execute(
            "INSERT INTO services (service_id, team_id, name) VALUES ('checkout', 'payments', 'C')"
        )
    app = run_app(db, monkeypatch)
    assert [t.value for t in app.title] == ["Get started"]
    assert any("1 teams and 1 services declared" in c.value for c in app.caption)
    with write_snapshot(db) as con:  # the first deployment: the KPI pages open
        con.execute(
            "INSERT INTO deployments (source, external_id, service_id, environment, started_at,"
            " finished_at, status) VALUES ('csv', 'd1', 'checkout', 'production',"
            " '2026-01-05 10:00:00+00', '2026-01-05 10:05:00+00', 'success')"
        )
    app = run_app(db, monkeypatch)
    assert [t.value for t in app.title] == ["Scorecard"]


@pytest.mark.parametrize("kind", ["missing", "foreign", "garbage"])
def test_unusable_warehouse_shows_problem_and_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    db = tmp_path / "x.duckdb"
    if kind == "foreign":
        duckdb.connect(str(db)).execute("CREATE TABLE crm (id INT)").close()
    elif kind == "garbage":
        db.write_bytes(b"\x00garbage" * 100)
    app = run_app(db, monkeypatch)
    assert app.error and "cannot be opened" in app.error[0].value
    assert any("How to fix it" in i.value for i in app.info)


def test_broken_targets_file_is_reported(
    fixture_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "targets.toml"
    bad.write_text("[kpi.availability]\ntarget = 'high'\n", encoding="utf-8")
    monkeypatch.setenv("TECHPULSE_TARGETS", str(bad))
    app = run_app(fixture_db, monkeypatch, start="2026-01-01", end="2026-01-14")
    assert app.error and "targets file is not valid" in app.error[0].value


def test_data_sources_page(fixture_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_app(fixture_db, monkeypatch)
    app.switch_page("pages/data-sources.py").run()
    assert not app.exception
    assert app.title[0].value == "Data sources"
    tables = app.table[0].value  # rows per table: a static table, so descriptions wrap
    counts = dict(zip(tables.index, tables["Rows"], strict=True))
    assert counts["deployments"] == "9" and counts["incidents"] == "4"
    assert tables.loc["teams", "What it holds"].startswith("Engineering teams that own")
