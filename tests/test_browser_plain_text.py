"""A hostile PDCA action in Debian's headless chromium: the review page shows its title and note
as text, with no link and no remote image (issue 13). Only a real browser shows this: GFM
autolinks bare URLs after Markdown escapes are resolved, which AppTest never renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from data.actions import add_action, update_action
from data.demo import build
from tests.appserver import app_server
from tests.browsing import open_page

pytestmark = pytest.mark.browser
TITLE = "Verify [login](https://evil.example) now ![t](https://t.example/p.png) ops@evil.example"
NOTE = "**bold** <img src=https://t.example/x.png> [click](https://evil.example) www.evil.example"
HOSTILE = "a[href*='evil.example'], a[href*='t.example'], img[src*='t.example']"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("hostile-browser") / "demo.duckdb"
    build(db, seed=42, end=dt.date(2026, 11, 25))
    action = add_action(db, quarter="2026-Q3", title=TITLE, kpi="availability", owner_team=None)
    update_action(db, action, stage="do", note=NOTE, closed=False)
    with app_server(db) as url:
        yield url


def test_a_hostile_action_renders_as_text(page: Page, base_url: str) -> None:
    open_page(page, f"{base_url}/review", "review-hostile-action")
    label = page.get_by_text("Verify [login]")
    label.first.scroll_into_view_if_needed()
    shown = label.first.inner_text().replace("\u2060", "")  # the invisible autolink breaker
    assert TITLE in shown, shown
    assert page.locator(HOSTILE).count() == 0, page.locator(HOSTILE).evaluate_all(
        "els => els.map(e => e.outerHTML)"
    )
