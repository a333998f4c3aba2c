"""The Delivery, Reliability, Code quality and Incidents pages in Debian's headless chromium,
against `streamlit run` on a small demo warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from data.demo import build
from tests.appserver import app_server
from tests.browsing import open_page
from tools.screenshots import wait_rendered

pytestmark = pytest.mark.browser
PAGES = {
    "delivery": "Delivery (DORA)",
    "reliability": "Reliability",
    "quality": "Code quality",
    "incidents": "Incidents",
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("demo-browser") / "demo.duckdb"
    build(db, seed=42, end=dt.date(2026, 11, 25))
    with app_server(db) as url:
        yield url  # deep links work as the first request (ui/components/frame.py)


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_charts_without_errors(page: Page, base_url: str, path: str) -> None:
    open_page(page, f"{base_url}/{path}", f"page-{path}")
    expect(page.locator("h1")).to_contain_text(PAGES[path])
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4
    assert page.locator(".js-plotly-plot .xtitle").count() >= 1, "axes carry titles"


def test_grain_choice_redraws_delivery_trends(page: Page, base_url: str) -> None:
    open_page(page, f"{base_url}/delivery?start=2026-01-01&end=2026-11-24", "delivery-weekly")
    page.get_by_text("quarterly", exact=True).click()
    wait_rendered(page)
    expect(page.locator(".xtitle", has_text="Quarter starting (UTC)").first).to_be_visible()
    assert "start=2026-01-01" in page.url, "the page keeps the shared filters in the URL"


@pytest.mark.parametrize(
    ("path", "title", "charts"),
    [("executive", "Executive ROI", 2), ("review", "Quarterly review", 6)],
)
def test_management_pages_render(
    page: Page, base_url: str, path: str, title: str, charts: int
) -> None:
    open_page(page, f"{base_url}/{path}", f"page-{path}")
    expect(page.locator("h1")).to_contain_text(title)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(charts)
    assert page.locator('[data-testid="stDownloadButton"]').count() == (path == "review")


def test_export_download_holds_the_filtered_rows(page: Page, base_url: str) -> None:
    """The downloaded CSV is what the page previews: the KPI series for the period and team."""
    open_page(page, f"{base_url}/export?team=payments", "page-export")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("techpulse_kpis_payments_")
    text = Path(download.path()).read_text(encoding="utf-8")
    header, *rows = text.strip().splitlines()
    assert header.split(",") == ["date", "team", "service", "metric", "value", "unit", "target"]
    assert rows and all(row.split(",")[1] == "payments" for row in rows)


def test_quarterly_review_file_opens_and_holds_the_scorecard(
    page: Page, base_url: str, browser: Browser, tmp_path: Path
) -> None:
    open_page(page, f"{base_url}/review", "page-review-export")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the review (HTML, charts included)").click()
    assert info.value.suggested_filename.startswith("techpulse_review_20")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    viewer = browser.new_page()
    viewer.goto(saved.as_uri())
    expect(viewer.locator("h2").first).to_have_text("Scorecard")
    for label in ("Availability", "P95 latency", "Change failure rate", "MTTR (median)"):
        expect(viewer.locator("td", has_text=label).first).to_be_visible()
    viewer.wait_for_selector(".js-plotly-plot")  # charts draw offline from the inlined script
    assert viewer.locator(".js-plotly-plot").count() == 6
    viewer.close()


@pytest.mark.parametrize(("path", "title"), [("", "Scorecard"), ("data-sources", "Data sources")])
def test_overview_pages_on_demo_data(page: Page, base_url: str, path: str, title: str) -> None:
    open_page(page, f"{base_url}/{path}", f"page-{path or 'scorecard'}")
    expect(page.locator("h1")).to_contain_text(title)
    if not path:
        expect(page.locator('[data-testid="stMetric"]')).to_have_count(9)
