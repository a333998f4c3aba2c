"""Hostile text in Debian's headless chromium (issue 13). A PDCA action's title and note show as
text, with no link and no remote image: GFM autolinks bare URLs after Markdown escapes are
resolved, which AppTest never renders. A hostile incident title leaves the app only through the
guarded table download: the grid's own CSV download (raw cells) is off."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
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
INCIDENT = '=HYPERLINK("https://evil.example","ok")\rSEV9,forged row'


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("hostile-browser") / "demo.duckdb"
    build(db, seed=42, end=dt.date(2026, 11, 25))
    action = add_action(db, quarter="2026-Q3", title=TITLE, kpi="availability", owner_team=None)
    update_action(db, action, stage="do", note=NOTE, closed=False)
    with duckdb.connect(str(db)) as con:
        service = con.execute("SELECT min(service_id) FROM services").fetchone()[0]
        con.execute(
            "INSERT INTO incidents (source, external_id, service_id, severity, title, started_at)"
            " VALUES ('csv', 'hostile-1', ?, 'SEV3', ?, TIMESTAMPTZ '2026-11-24 10:00:00+00')",
            [service, INCIDENT],
        )
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


def test_the_grid_has_no_raw_download_and_the_guarded_file_quotes_formulas(
    page: Page, base_url: str
) -> None:
    open_page(page, f"{base_url}/incidents", "incidents-hostile-title")
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    grid.hover()
    page.wait_for_timeout(500)
    assert page.get_by_role("button", name="Download as CSV").count() == 0
    with page.expect_download() as info:
        page.get_by_role("button", name="Download this table (CSV)").click()
    download = info.value
    assert download.suggested_filename.startswith("techpulse_incidents_")
    text = Path(download.path()).read_bytes().decode("utf-8")  # keep the bare CR as it is
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    hostile = [r for r in rows if "evil.example" in r["title"]]
    assert [r["title"] for r in hostile] == ["'" + INCIDENT]
    assert not any(r["severity"] == "SEV9" or "forged" in r["severity"] for r in rows)
