"""The language is per session: ?lang= picks it, the sidebar switch changes it and the URL
keeps it; two sessions on one server read two languages. Expected texts are the fixture's
hand-computed figures (tests/ui/test_app.py) in the catalog's words."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.test_app import _real_navigation, cards, run_app

__all__ = ["_real_navigation"]  # the fixture that keeps AppTest in st.navigation mode
PERIOD = {"start": "2026-01-01", "end": "2026-01-14"}


def test_chinese_link_shows_the_scorecard_in_chinese(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_app(fixture_db, monkeypatch, lang="zh-CN", **PERIOD)
    assert app.title[0].value == "计分卡"
    shown = cards(app)
    assert shown["可用性"] == "99.380 %"
    assert shown["P95 延迟"] == "393 ms"
    assert shown["变更失败率"] == "33.3 %"
    assert shown["MTTR 故障恢复时间（中位数）"] == "2.75小时"  # 2.75 h: units follow the number
    assert "百分位数从不取平均" in next(m.help for m in app.metric if m.label == "P95 延迟")
    assert [s.value for s in app.sidebar.subheader] == ["筛选"]
    assert app.sidebar.selectbox[0].label == "团队"
    assert app.query_params["lang"] in ("zh-CN", ["zh-CN"])


def test_the_switch_changes_language_and_url(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = run_app(fixture_db, monkeypatch, lang="zh-CN", **PERIOD)
    app.sidebar.radio[0].set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Scorecard"
    assert cards(app)["Availability"] == "99.380 %"
    assert app.query_params["lang"] in ("en", ["en"])


def test_two_sessions_read_two_languages(fixture_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chinese = run_app(fixture_db, monkeypatch, lang="zh-CN", **PERIOD)
    english = run_app(fixture_db, monkeypatch, lang="en", **PERIOD)
    chinese.run()  # a rerun of the first session after the second one ran
    assert chinese.title[0].value == "计分卡" and english.title[0].value == "Scorecard"
    assert "可用性" in cards(chinese) and "Availability" in cards(english)


def test_an_unknown_language_falls_back_to_english(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app: AppTest = run_app(fixture_db, monkeypatch, lang="xx", **PERIOD)
    assert app.title[0].value == "Scorecard"
