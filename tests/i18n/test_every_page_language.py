"""Every page in both languages (issue 17): it opens without an exception, its title is in the
reader's language, and in Chinese no English is left on screen except proper names, acronyms,
code and the organisation's own data (tests/i18n/shown_text.py says exactly what is kept)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from data.warehouse import write_snapshot
from i18n import using
from i18n.languages import NATIVE_NAMES
from metrics.reports.headers import COLUMN_LABELS
from tests.i18n.shown_text import english_words, shown_text
from tests.ui.test_app import _real_navigation, run_app
from ui.components.language import SWITCH_LABEL
from ui.components.review_export import review_html

__all__ = ["_real_navigation"]  # the fixture that keeps AppTest in st.navigation mode
PERIOD = {"start": "2026-01-01", "end": "2026-01-14"}
# The page's heading in each language (the catalog's words, written out here by hand)
TITLES = {
    "pages/scorecard.py": ("Scorecard", "计分卡"),
    "pages/executive.py": ("Executive ROI", "管理层投资回报"),
    "pages/review.py": ("Quarterly review", "季度复盘"),
    "pages/delivery.py": ("Delivery (DORA)", "交付（DORA）"),
    "pages/reliability.py": ("Reliability", "可靠性"),
    "pages/quality.py": ("Code quality", "代码质量"),
    "pages/incidents.py": ("Incidents", "故障"),
    "pages/export.py": ("Data export", "数据导出"),
    "pages/data-sources.py": ("Data sources", "数据源"),
}
DATA = (  # the organisation's own words: names, ids, titles, environments, source names
    "SELECT name FROM teams UNION ALL SELECT team_id FROM teams",
    "SELECT service_id FROM services UNION ALL SELECT name FROM services",
    "SELECT text FROM annotations UNION ALL SELECT title FROM incidents",
    "SELECT title FROM actions UNION ALL SELECT DISTINCT environment FROM deployments",
    "SELECT DISTINCT source FROM sync_runs UNION ALL SELECT table_name FROM duckdb_tables()",
)


def data_words(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        values = [v for sql in DATA for (v,) in con.execute(sql).fetchall()]
    finally:
        con.close()
    return {w.lower() for v in values for w in re.findall(r"[A-Za-z]{2,}", str(v or ""))}


def open_page(db: Path, monkeypatch: pytest.MonkeyPatch, script: str, lang: str) -> AppTest:
    monkeypatch.setenv("TECHPULSE_SOURCES", str(db.parent / "no-sources.toml"))
    app = run_app(db, monkeypatch, lang=lang, **PERIOD)
    app.switch_page(script).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_every_page_has_a_title_in_both_languages() -> None:
    """Every page app.py's PAGE_TABLE registers (read as text: importing app.py runs it)."""
    source = (Path(__file__).resolve().parents[2] / "app.py").read_text(encoding="utf-8")
    table = source.split("PAGE_TABLE = (")[1].split("\n)\n")[0]
    assert set(TITLES) == set(re.findall(r'"(pages/[a-z-]+\.py)"', table))


@pytest.mark.parametrize("script", sorted(TITLES))
def test_every_page_in_chinese_leaves_no_english(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch, script: str
) -> None:
    app = open_page(fixture_db, monkeypatch, script, "zh-CN")
    assert app.title[0].value == TITLES[script][1]
    texts = [without_column_names(t) for t in shown_text(app)]
    assert len(texts) > 10  # the page drew its content, not an empty state only
    assert english_words(texts, data_words(fixture_db)) == set()


def without_column_names(text: str) -> str:
    """A header such as "目标 (target)" keeps the column's machine name in brackets on purpose
    (metrics/reports/headers.py); only those bracketed names are dropped, nothing else."""
    return re.sub(
        r"\(([a-z0-9_]+)\)",
        lambda m: "" if m.group(1) in COLUMN_LABELS else m.group(0),
        text,
    )


@pytest.mark.parametrize("script", sorted(TITLES))
def test_every_page_in_english(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch, script: str
) -> None:
    app = open_page(fixture_db, monkeypatch, script, "en")
    assert app.title[0].value == TITLES[script][0]
    bilingual = {SWITCH_LABEL, *NATIVE_NAMES.values()}  # the switch reads in both on purpose
    texts = [t for t in shown_text(app) if t not in bilingual]
    assert not re.search(r"[\u4e00-\u9fff]", " ".join(texts))  # no Chinese left


def test_the_check_finds_english_left_in_chinese() -> None:
    texts = ["**错误率** — 基于 6 个rows。", "`make demo` · config/sources.toml · DORA 2024"]
    assert english_words(texts, set()) == {"rows"}


def test_get_started_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "empty.duckdb"
    with write_snapshot(db):
        pass
    monkeypatch.setenv("TECHPULSE_SOURCES", str(tmp_path / "no-sources.toml"))
    app = run_app(db, monkeypatch, lang="zh-CN")
    assert [t.value for t in app.title] == ["快速开始"]
    steps = [m.value for m in app.markdown if m.value.startswith(":material/")]
    assert steps[0] == ":material/check_circle: **1. 创建数据仓库**"
    assert steps[4] == ":material/radio_button_unchecked: **5. 查看仪表盘**"
    assert english_words(shown_text(app), set()) == set()


def test_the_review_export_is_in_the_exporters_language() -> None:
    table = pd.DataFrame(
        [
            {
                "KPI": "可用性",
                "Target": "≥ 99.5 %",
                "This quarter": "99.380 %",
                "Last quarter": "99.6 %",
                "Change": "−0.2 pp",
                "RAG": "red",
                "Owner": "alpha",
                "Note": "—",
            }
        ]
    )
    actions = pd.DataFrame(
        [
            {
                "title": "缩短 MTTR",
                "kpi": "mttr",
                "owner_team": "alpha",
                "pdca_stage": "do",
                "status": "open",
                "carried": True,
                "note": "",
            }
        ]
    )
    with using("zh-CN"):
        page = review_html(
            title="TechPulse 季度复盘 2026-Q1",
            scope="全部团队",
            data_as_of="2026-01-15",
            table=table,
            figures=[go.Figure()],
            actions=actions,
        )
    assert '<html lang="zh-CN">' in page and "Noto Sans CJK SC" in page
    for words in (
        "<h2>计分卡</h2>",
        "<h2>PDCA 行动项</h2>",
        "<th>本季度</th>",
        "<th>负责团队</th>",
    ):
        assert words in page
    assert '<td class="red">未达标</td>' in page  # the RAG word, coloured by its stable key
    assert "<td>执行（Do）</td>" in page and "进行中（结转）</td>" in page
    assert "MTTR 故障恢复时间（中位数）" in page  # the action's KPI by its label
    with using("en"):
        english = review_html(
            title="Review",
            scope="all teams",
            data_as_of="2026-01-15",
            table=table,
            figures=[go.Figure()],
            actions=actions,
        )
    assert '<html lang="en">' in english and "<h2>PDCA action items</h2>" in english
    assert '<td class="red">Off target</td>' in english
