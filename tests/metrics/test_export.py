"""Analyst data export (metrics.reports.export, `python -m metrics export`, pages/export.py) on the
hand-computable fixture warehouse (tests/fixture_warehouse.py).

Expected rows are read off the fixture by hand: in 2026-01-01 .. 2026-01-14, team alpha (a1, a2)
deployed d1..d5 to production (d8 went to staging, d6/d7 are beta's, d9 is in December).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import i18n
from data.warehouse import open_reader
from metrics.__main__ import main
from metrics.core import catalog
from metrics.core.filters import FilterError, Filters
from metrics.core.targets import Targets, load_targets
from metrics.reports import export, headers
from tests.ui.test_app import APP, _real_navigation  # noqa: F401  (autouse fixture)

ROOT = Path(__file__).resolve().parents[2]
JAN = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14))
JAN_ALPHA = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14), team="alpha")
AS_OF = dt.datetime(2026, 1, 15, 0, 5, tzinfo=dt.UTC)  # the fixture's only sync run


@pytest.fixture(scope="module")
def con(fixture_db: Path) -> duckdb.DuckDBPyConnection:
    return open_reader(fixture_db)


@pytest.fixture(scope="module")
def targets(targets_file: Path) -> Targets:
    return load_targets(targets_file)


def ids(frame: pd.DataFrame) -> list[str]:
    return frame["external_id"].tolist()


def read(payload: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(payload), encoding="utf-8-sig", keep_default_na=False)


# --- datasets and filters ---------------------------------------------------------------------


def test_datasets_cover_every_warehouse_table(con: duckdb.DuckDBPyConnection) -> None:
    tables = set(catalog.table_counts(con)["table"])
    assert set(export.DATASETS) == tables | {"kpis"}


def test_deployments_for_team_and_period(con: duckdb.DuckDBPyConnection, targets: Targets) -> None:
    frame = export.export_frame(con, "deployments", JAN_ALPHA, targets)
    assert ids(frame) == ["d1", "d2", "d3", "d4", "d5"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (JAN, ["d1", "d2", "d3", "d4", "d5", "d6", "d7"]),
        (Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14), environment="staging"), ["d8"]),
        (Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 14), service="a2"), ["d4", "d5"]),
        (Filters(dt.date(2026, 1, 8), dt.date(2026, 1, 8)), ["d4", "d5"]),  # one inclusive day
        (Filters(dt.date(2025, 12, 1), dt.date(2025, 12, 31)), ["d9"]),
    ],
)
def test_deployment_filters(
    con: duckdb.DuckDBPyConnection, targets: Targets, filters: Filters, expected: list[str]
) -> None:
    assert ids(export.export_frame(con, "deployments", filters, targets)) == expected


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        ("incidents", 2),  # i1 (a1), i3 (a2); i2 is beta's, i4 is December
        ("changes", 4),  # c1, c2, c3, c5 by first commit (the fixture reports no merges)
        ("service_level_samples", 2),  # a1 on 5 Jan, a2 on 6 Jan; a1's staging hour excluded
        ("quality_snapshots", 2),  # a1's analyses of 3 and 10 Jan
        ("services", 2),  # a1, a2
        ("teams", 1),  # alpha
        ("annotations", 1),  # the organisation-wide adoption stays in every scope
        ("sync_runs", 0),  # the only run started on 15 Jan
        ("service_level_daily", 2),  # the same two service-days, summed by the writer
        ("shipped_changes", 3),  # c1 (d1), c2 (d2), c3 (d4); c5 shipped to staging only
        ("deployment_outcomes", 5),  # d1-d5 succeeded in production; d8 was staging
        ("deployment_incidents", 1),  # i1, caused by d2 (alpha's a1), started 5 Jan
        ("service_first_deployments", 2),  # a1 (d9 is beta's), a2 in production
        ("schema_migrations", 9),  # no time or scope column: exported whole
        ("deployment_commits", 0),  # the fixture records no commit lists
    ],
)
def test_table_row_counts_for_alpha(
    con: duckdb.DuckDBPyConnection, targets: Targets, dataset: str, expected: int
) -> None:
    assert len(export.export_frame(con, dataset, JAN_ALPHA, targets)) == expected


def test_unknown_dataset_is_rejected_and_lists_valid_ones(
    con: duckdb.DuckDBPyConnection, targets: Targets
) -> None:
    with pytest.raises(FilterError, match="valid datasets: teams, services, deployments"):
        export.export_frame(con, 'deployments"; DROP TABLE teams; --', JAN, targets)
    with pytest.raises(FilterError, match="grain"):
        export.export_frame(con, "kpis", JAN, targets, grain="year")


# --- the tidy KPI series ----------------------------------------------------------------------


def kpi_rows(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame[frame["metric"] == metric].reset_index(drop=True)


def test_kpi_series_is_tidy_long(con: duckdb.DuckDBPyConnection, targets: Targets) -> None:
    frame = export.export_frame(con, "kpis", JAN, targets, grain="month")
    assert list(frame.columns) == ["date", "team", "service", "metric", "value", "unit", "target"]
    assert set(frame["metric"]) == {k.name for k in export.KPIS}
    availability = kpi_rows(frame, "availability").iloc[0].to_dict()
    # 1 − (2 + 9 + 20) ÷ 5000 production requests in January = 99.38 %
    assert availability == {
        "date": "2026-01-01",
        "team": "all",
        "service": "all",
        "metric": "availability",
        "value": pytest.approx(99.38),
        "unit": "%",
        "target": 99.5,
    }
    assert kpi_rows(frame, "deployment_frequency")["target"].tolist() == ["high"]  # DORA tier
    assert kpi_rows(frame, "cpu_mean")["target"].isna().all()  # tracked without a target


def test_kpi_series_uses_scope_targets(con: duckdb.DuckDBPyConnection, targets: Targets) -> None:
    frame = export.export_frame(con, "kpis", JAN_ALPHA, targets, grain="month")
    row = kpi_rows(frame, "availability").iloc[0]
    assert (row["team"], row["service"]) == ("alpha", "all")
    assert row["value"] == pytest.approx(99.725)  # 1 − 11 ÷ 4000
    assert row["target"] == 99.9  # the [team.alpha.availability] override


def test_kpi_series_weekly_buckets_start_on_monday(
    con: duckdb.DuckDBPyConnection, targets: Targets
) -> None:
    frame = export.export_frame(con, "kpis", JAN, targets, grain="week")
    assert sorted(set(frame["date"])) == ["2025-12-29", "2026-01-05", "2026-01-12"]
    weekly = kpi_rows(frame, "availability").set_index("date")["value"]
    assert weekly["2026-01-05"] == pytest.approx(99.38)  # every January sample is in week 2


# --- CSV text ---------------------------------------------------------------------------------


def test_csv_injection_is_neutralised_but_numbers_stay_numbers() -> None:
    frame = pd.DataFrame(
        {
            "text": ['=HYPERLINK("http://x","y")', "-cmd", "+1+cmd", "@SUM(A1)", "\tx", "ok"],
            "number": [-1.5, 2.0, -3.0, 0.0, 1.0, 1e-3],
            "count": [-1, 2, 3, 4, 5, 6],
            "mixed": [-2.5, "=1+1", "-1.5", None, "\rx", "\nx"],
        }
    )
    text = export.to_csv_bytes(frame).decode("utf-8")
    back = read(text.encode("utf-8"))
    assert back["text"].tolist() == [
        '\'=HYPERLINK("http://x","y")',
        "'-cmd",
        "'+1+cmd",
        "'@SUM(A1)",
        "'\tx",
        "ok",
    ]
    assert back["mixed"].tolist()[1:] == ["'=1+1", "-1.5", "", "'\rx", "'\nx"]
    lines = text.split("\r\n")
    assert lines[0] == "text,number,count,mixed"
    assert lines[1] == '"\'=HYPERLINK(""http://x"",""y"")",-1.5,-1,-2.5'  # numbers unquoted
    assert lines[2].startswith("'-cmd,2.0,2,")
    assert "'-1.5" not in text  # a number literal in a text column is not a formula


def test_excel_option_adds_a_bom_and_readable_headers_only_there() -> None:
    frame = pd.DataFrame({"target": ["≥ 99.5 %"], "amount": [1200.5], "odd_column": [1]})
    plain = export.to_csv_bytes(frame)
    excel = export.to_csv_bytes(frame, excel=True)
    assert not plain.startswith(export.BOM)
    assert plain.decode("utf-8") == "target,amount,odd_column\r\n≥ 99.5 %,1200.5,1\r\n"
    assert excel.startswith(export.BOM)
    head, _, body = excel.removeprefix(export.BOM).decode("utf-8").partition("\r\n")
    assert head == "Target (target),Amount (amount),odd_column"  # no label: the bare name
    assert body == "≥ 99.5 %,1200.5,1\r\n"  # the cells are the plain file's
    with i18n.using("zh-CN"):
        chinese = export.to_csv_bytes(frame, excel=True).removeprefix(export.BOM).decode("utf-8")
        assert export.to_csv_bytes(frame) == plain  # the plain file never changes
    assert chinese.split("\r\n")[0] == "目标 (target),金额 (amount),odd_column"


def test_every_exported_column_has_a_readable_header(
    con: duckdb.DuckDBPyConnection, targets: Targets
) -> None:
    """Every column of every dataset (tables and the KPI series) gets a label, so no Excel
    header falls back to the bare name."""
    unlabelled = {
        f"{dataset}.{column}"
        for dataset in export.DATASETS
        for column in export.export_frame(con, dataset, JAN, targets).columns
        if column not in headers.COLUMN_LABELS
    }
    assert unlabelled == set()


def test_the_kpi_series_excel_headers_read_in_chinese(
    con: duckdb.DuckDBPyConnection, targets: Targets
) -> None:
    frame = export.export_frame(con, export.KPI_DATASET, JAN, targets)
    with i18n.using("zh-CN"):
        text = export.to_csv_bytes(frame, excel=True).removeprefix(export.BOM).decode("utf-8")
    assert text.split("\r\n")[0] == (
        "时间桶开始 (date),团队 (team),服务 (service),指标 (metric),数值 (value),"
        "单位 (unit),目标 (target)"
    )
    english = export.to_csv_bytes(frame).decode("utf-8")
    assert text.split("\r\n")[1:] == english.split("\r\n")[1:]


def test_dates_are_iso_8601(con: duckdb.DuckDBPyConnection, targets: Targets) -> None:
    deployments = read(
        export.to_csv_bytes(export.export_frame(con, "deployments", JAN_ALPHA, targets))
    )
    assert deployments["finished_at"].tolist()[0] == "2026-01-02T12:00:00Z"
    assert deployments["started_at"].tolist()[0] == "2026-01-02T11:50:00Z"
    assert deployments["commit_sha"].tolist()[0] == ""  # NULL stays empty
    notes = read(export.to_csv_bytes(export.export_frame(con, "annotations", JAN, targets)))
    assert notes["occurred_on"].tolist() == ["2026-01-06"]  # a DATE column stays a date
    offset = pd.DataFrame({"at": pd.to_datetime(["2026-01-02T13:00:00+01:00"])})
    assert export.to_csv_bytes(offset) == b"at\r\n2026-01-02T12:00:00Z\r\n"  # converted to UTC


def test_file_name_and_data_as_of(con: duckdb.DuckDBPyConnection) -> None:
    as_of = export.data_as_of(con)
    assert as_of == AS_OF
    assert export.as_of_text(as_of) == "2026-01-15T00:05:00Z"
    assert (
        export.file_name("deployments", JAN_ALPHA, as_of)
        == "techpulse_deployments_alpha_2026-01-01_2026-01-14_asof-20260115T0005Z.csv"
    )
    assert export.file_name("kpis", JAN, None) == (
        "techpulse_kpis_2026-01-01_2026-01-14_asof-unknown.csv"
    )


# --- command line -----------------------------------------------------------------------------


def test_row_count_matches_the_export(con: duckdb.DuckDBPyConnection, targets: Targets) -> None:
    for dataset in ("deployments", "changes", "service_level_samples", "service_level_daily"):
        frame = export.export_frame(con, dataset, JAN_ALPHA, targets)
        assert export.row_count(con, dataset, JAN_ALPHA) == len(frame), dataset
    assert export.row_count(con, "deployments", JAN_ALPHA) == 5  # d1-d5 (see above)


@pytest.mark.parametrize(
    ("argv", "dataset", "filters", "grain", "excel"),
    [
        (["deployments", "--team", "alpha"], "deployments", JAN_ALPHA, "week", False),
        (["kpis", "--grain", "month", "--excel"], "kpis", JAN, "month", True),
        (["incidents", "--team", "alpha", "--excel"], "incidents", JAN_ALPHA, "week", True),
    ],
)
def test_cli_writes_the_same_bytes(
    fixture_db: Path,
    targets_file: Path,
    con: duckdb.DuckDBPyConnection,
    targets: Targets,
    capsysbinary: pytest.CaptureFixture[bytes],
    argv: list[str],
    dataset: str,
    filters: Filters,
    grain: str,
    excel: bool,
) -> None:
    common = ["--start", "2026-01-01", "--end", "2026-01-14"]
    paths = ["--db", str(fixture_db), "--targets", str(targets_file)]
    assert main(["export", *argv, *common, *paths]) == 0
    written = capsysbinary.readouterr().out
    frame = export.export_frame(con, dataset, filters, targets, grain)
    assert written == export.to_csv_bytes(frame, excel=excel)
    assert written.startswith(export.BOM) == excel


def test_cli_redirected_to_a_file(fixture_db: Path, targets_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "deployments.csv"
    args = ["export", "deployments", "--start", "2026-01-01", "--end", "2026-01-14"]
    args += ["--team", "alpha", "--db", str(fixture_db), "--targets", str(targets_file)]
    with out.open("wb") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "metrics", *args],
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert read(out.read_bytes())["external_id"].tolist() == ["d1", "d2", "d3", "d4", "d5"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "unknown dataset 'nope'; valid datasets: teams, services, deployments"),
        (["kpis", "--grain", "year"], "grain 'year' is not one of week, month, quarter"),
        (["deployments", "--team", "gamma"], "unknown team 'gamma'"),
    ],
)
def test_cli_errors_exit_2(
    fixture_db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    period = ["--start", "2026-01-01", "--end", "2026-01-14", "--db", str(fixture_db)]
    assert main(["export", *argv, *period]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert captured.err.count("\n") == 1


def test_cli_bad_date_exits_2(fixture_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["export", "teams", "--start", "2026-13-01", "--end", "2026-01-14"]
    assert main([*argv, "--db", str(fixture_db)]) == 2
    assert "--start '2026-13-01' is not a date" in capsys.readouterr().err


# --- the page ---------------------------------------------------------------------------------

PAGE_LINE = (
    '        st.Page("pages/export.py", title="Data export", icon=":material/download:",'
    ' url_path="export"),\n'
)


@pytest.fixture
def app_with_export(tmp_path: Path) -> str:
    """app.py with the export page registered: the real one once it lists the page, otherwise
    a copy beside links to the real pages and assets (app.py is edited by the maintainer)."""
    source = Path(APP).read_text(encoding="utf-8")
    if "pages/export.py" in source:
        return APP
    anchor = '    "Data": [\n'
    assert anchor in source
    (tmp_path / "app.py").write_text(source.replace(anchor, anchor + PAGE_LINE), encoding="utf-8")
    for name in ("pages", "docs", "config", ".streamlit"):
        if (ROOT / name).exists():
            (tmp_path / name).symlink_to(ROOT / name)
    return str(tmp_path / "app.py")


def test_export_page(
    app_with_export: str,
    fixture_db: Path,
    targets_file: Path,
    con: duckdb.DuckDBPyConnection,
    targets: Targets,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TECHPULSE_DB", str(fixture_db))
    monkeypatch.setenv("TECHPULSE_TARGETS", str(targets_file))
    app = AppTest.from_file(app_with_export, default_timeout=60)
    app.query_params.update({"start": "2026-01-01", "end": "2026-01-14", "team": "alpha"})
    app.run()
    app.switch_page("pages/export.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Data export"
    assert any("Data as of 2026-01-15T00:05:00Z" in m.value for m in app.markdown)
    kpis = export.export_frame(con, "kpis", JAN_ALPHA, targets)
    assert any(f"{len(kpis):,} rows" in c.value for c in app.caption)

    dataset = next(s for s in app.selectbox if s.label == "Dataset")
    dataset.set_value("deployments").run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("5 rows" in c.value for c in app.caption)
    assert any("python -m metrics export deployments" in c.value for c in app.caption)
    preview = app.dataframe[0].value
    assert preview["external_id"].tolist() == ["d1", "d2", "d3", "d4", "d5"]
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Download CSV", "Download data dictionary (Markdown)"]

    # Above the page's row limit no file is built in the app; the command line is offered.
    monkeypatch.setattr(export, "PAGE_ROW_LIMIT", 4)

    def choose(name: str) -> None:
        next(s for s in app.selectbox if s.label == "Dataset").set_value(name).run()

    choose("changes")  # 4 rows (c1, c2, c3, c5): still within the limit
    assert next(b.proto.label for b in app.get("download_button")) == "Download CSV"
    choose("deployments")  # 5 rows: one too many
    assert not app.exception, [e.value for e in app.exception]
    warning = next(w.value for w in app.warning if "5 rows" in w.value)
    assert "python -m metrics export deployments --start 2026-01-01" in warning
    assert [b.proto.label for b in app.get("download_button")] == []
