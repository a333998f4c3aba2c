"""Get started on an empty warehouse in Debian's headless chromium (issue 15): made with
`python -m data init`, the app opens on the five-step checklist, not on KPI pages, at 1440 px
and 390 px, with no code block cut off (screenshots in test-artifacts/browser/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from data.warehouse import init_warehouse
from tests.appserver import app_server
from tests.browsing import open_page

pytestmark = pytest.mark.browser
STEPS = [
    "1. Create the warehouse",
    "2. Declare your teams and services",
    "3. Connect your sources",
    "4. Run the first sync",
    "5. Read the dashboard",
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("empty-org")
    db = folder / "acme.duckdb"
    assert init_warehouse(db)
    with app_server(db, TECHPULSE_SOURCES=str(folder / "sources.toml")) as url:
        yield url


@pytest.mark.parametrize("width", [1440, 390])
def test_an_empty_warehouse_opens_on_get_started(page: Page, base_url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 1100})
    open_page(page, base_url, f"welcome-{width}")
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("h1").first.inner_text() == "Get started"
    for step in STEPS:
        assert main.get_by_text(step, exact=True).count() == 1, step
    assert page.locator('[data-testid="stMetric"]').count() == 0  # no KPI cards, no "no data"
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Get started" in nav and "Scorecard" not in nav
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stCode"] pre')]
                 .filter(e => e.scrollWidth > e.clientWidth + 1).length"""
    )
    assert overflowing == 0, "a command is cut off"
