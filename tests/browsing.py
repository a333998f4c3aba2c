"""Helpers for the Playwright tests: open a page, wait until drawn, keep a screenshot."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.appserver import REPO
from tools.screenshots import wait_rendered

ARTIFACTS = REPO / "test-artifacts" / "browser"


def open_page(page: Page, url: str, shot: str) -> None:
    """Go to ``url``, wait for the script and every element, save a screenshot, and fail on an
    exception box."""
    page.goto(url)
    wait_rendered(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
