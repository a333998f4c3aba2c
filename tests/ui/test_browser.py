"""The app in Debian's headless chromium (Playwright), against `streamlit run` on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from metrics.core.definitions import HEADLINE as KPIS
from tests.appserver import app_server
from tests.browsing import open_page
from tools.screenshots import wait_rendered

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(fixture_db: Path) -> Iterator[str]:
    with app_server(fixture_db) as url:
        yield url


def card_value(page: Page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def expect_card(page: Page, label: str, value: str) -> None:
    """After an interaction: the rerun may start after the URL changed, so wait for the value
    (Playwright retries up to its timeout) instead of reading the card once."""
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    expect(card.locator('[data-testid="stMetricValue"]')).to_have_text(value, timeout=30_000)


def test_home_renders_every_card_and_restores_filters_from_url(page: Page, base_url: str) -> None:
    open_page(page, f"{base_url}/?start=2026-01-01&end=2026-01-14&team=alpha", "home-alpha")
    assert page.locator('[data-testid="stMetric"]').count() == len(KPIS)
    for kpi in KPIS:
        expect(page.locator('[data-testid="stMetricLabel"]', has_text=kpi.label)).to_have_count(1)
    team = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    expect(team).to_match_aria_snapshot('- combobox "Team": Alpha')
    assert card_value(page, "Availability") == "99.725 %"  # team alpha: 1 − 11/4000
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(4)  # one per KPI group


def test_choosing_a_team_updates_the_shareable_url(page: Page, base_url: str) -> None:
    open_page(page, f"{base_url}/?start=2026-01-01&end=2026-01-14", "home-all")
    assert card_value(page, "Availability") == "99.380 %"
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Beta").click()
    wait_rendered(page)
    assert "team=beta" in page.url and "start=2026-01-01" in page.url
    expect_card(page, "Availability", "98.000 %")  # b1: 20 errors in 1000 requests
    shared = page.url
    other = page.context.new_page()
    open_page(other, shared, "home-shared")
    assert card_value(other, "Availability") == "98.000 %"


def test_unknown_team_in_url_is_explained(page: Page, base_url: str) -> None:
    open_page(page, f"{base_url}/?start=2026-01-01&end=2026-01-14&team=nope", "home-bad-team")
    expect(page.locator('[data-testid="stAlert"]').first).to_contain_text("team 'nope'")
    assert card_value(page, "Availability") == "99.380 %"


def test_data_sources_page(page: Page, base_url: str) -> None:
    open_page(page, f"{base_url}/data-sources", "data-sources")
    expect(page.locator("h1")).to_contain_text("Data sources")
    # grids: last syncs and coverage per service; rows per table is a static table (it wraps)
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(2)
    expect(page.locator('[data-testid="stTable"]').first).to_contain_text("What it holds")


@pytest.mark.parametrize("path", ["delivery", "data-sources"])
def test_deep_link_as_first_request_of_a_fresh_server(
    fixture_db: Path, browser: Browser, path: str
) -> None:
    """A bookmarked page opened right after a restart still gets the frame and its filters."""
    with app_server(fixture_db) as url:
        context = browser.new_context(viewport={"width": 1440, "height": 1200})
        tab = context.new_page()
        open_page(tab, f"{url}/{path}?start=2026-01-01&end=2026-01-14&team=alpha", f"deep-{path}")
        team = tab.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
        expect(team).to_match_aria_snapshot('- combobox "Team": Alpha')
        assert "holds no data yet" not in tab.locator('[data-testid="stMain"]').inner_text()
        context.close()


def test_a_deep_link_as_the_first_request_shows_no_page_not_found_dialog(
    fixture_db: Path, page: Page
) -> None:
    """The first request of a fresh server runs in Streamlit's legacy pages/ mode, which names
    pages after their files: a url_path that differs from the file name made Streamlit pop up
    "Page not found" over the page (ui/components/frame.py). Every url_path now equals its file
    name."""
    with app_server(fixture_db) as url:
        open_page(page, f"{url}/data-sources", "deep-link-data-sources")
        expect(page.locator("h1")).to_contain_text("Data sources")
        expect(page.locator('[data-testid="stDialog"]')).to_have_count(0)


def test_every_url_path_is_its_file_name() -> None:
    """app.py's PAGE_TABLE rows are (section, script, title, icon, url_path); the scorecard's
    url_path is empty (it is the default page), every other one is its file's name."""
    import ast

    tree = ast.parse((Path(__file__).resolve().parents[2] / "app.py").read_text(encoding="utf-8"))
    table = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "PAGE_TABLE" for t in node.targets)
    )
    assert isinstance(table, ast.Tuple) and len(table.elts) == 9  # the nine pages
    for row in table.elts:
        assert isinstance(row, ast.Tuple)
        script, url = row.elts[1], row.elts[4]
        assert isinstance(script, ast.Constant) and isinstance(url, ast.Constant)
        stem = Path(str(script.value)).stem
        assert url.value == ("" if stem == "scorecard" else stem), (stem, url.value)
