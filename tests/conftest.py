"""Shared fixtures: the hand-computable fixture warehouse and a targets file for it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixture_warehouse import build_fixture

# Tests read English unless they ask for another language (CLIs follow LANG / LC_ALL).
for _variable in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
    os.environ.pop(_variable, None)
os.environ["LANG"] = "C.UTF-8"

SLOW_NOTE = (
    "tests marked slow (the two-app scale-out test and its kill -9 test) are left out of "
    "`make test` to keep CI under 20 minutes; `make test-slow` runs them"
)


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say why tests marked slow are not run, whenever a marker expression leaves them out."""
    return SLOW_NOTE if "not slow" in (config.option.markexpr or "") else None


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if pytest_report_header(config):
        terminalreporter.write_line(SLOW_NOTE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``-n 2`` the browser tests share one worker: each starts an app server and
    chromium, and two at once on a 2-core machine would starve each other's timeouts."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("fixture") / "fixture.duckdb")


@pytest.fixture(scope="session")
def targets_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Default targets plus an override for team alpha's availability."""
    source = Path(__file__).resolve().parent.parent / "config" / "targets.toml"
    text = source.read_text(encoding="utf-8")
    text += "\n[team.alpha.availability]\ntarget = 99.9\nwarn = 99.5\n"
    path = tmp_path_factory.mktemp("targets") / "targets.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's chromium through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    from tests.appserver import CHROMIUM, CHROMIUM_ARGS

    assert Path(CHROMIUM).exists(), "install Debian's chromium: `make system-deps`"
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 1600})
    tab = context.new_page()
    yield tab
    context.close()
