"""The discovery list on the Data sources page in Debian's headless chromium (issue 15): an
admin asks the sources; a Prometheus (answering its documented label-values API) knows the jobs
payments-ledger and node-exporter, which no service maps; the page lists both with the
suggested service and catalog line, and maps nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from data.catalog.apply import apply
from data.catalog.tomlfile import parse_catalog
from data.warehouse import init_warehouse
from tests.appserver import app_server
from tests.browsing import ARTIFACTS, open_page
from tests.servers.scripted import scripted_server
from tests.servers.warehouse import query

pytestmark = pytest.mark.browser
CATALOG = (
    '[[teams]]\nid = "pay"\nname = "Payments"\n\n'
    '[[services]]\nid = "ledger"\nname = "Ledger"\nteam = "pay"\n'
)


def label_values(
    path: str, params: dict[str, str], headers: dict[str, str]
) -> tuple[int, dict[str, str], str]:
    if path != "/api/v1/label/job/values":
        return 404, {}, "404 page not found"
    body = {"status": "success", "data": ["node-exporter", "payments-ledger"]}
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("discovery")
    db = folder / "w.duckdb"
    init_warehouse(db)
    apply(parse_catalog(CATALOG), db)
    with scripted_server(label_values) as (prom, _log):
        sources = folder / "sources.toml"
        sources.write_text(
            f'[sources.prom]\ntype = "prometheus"\nurl = "{prom}"\n', encoding="utf-8"
        )
        with app_server(db, TECHPULSE_SOURCES=str(sources)) as url:
            yield url, db


@pytest.mark.parametrize("width", [1440, 390])
def test_the_discovery_list(page: Page, served: tuple[str, Path], width: int) -> None:
    url, db = served
    page.set_viewport_size({"width": width, "height": 1200})
    open_page(page, f"{url}/data-sources", f"discovery-before-{width}")
    if width < 500:  # on a phone the sidebar opens over the page
        page.evaluate("document.querySelector('[aria-label=\"Collapse sidebar\"]')?.click()")
        page.wait_for_timeout(500)
    page.get_by_role("button", name="Find unmapped projects and jobs").click()
    table = page.locator('[data-testid="stTable"]').filter(has_text="payments-ledger")
    expect(table).to_have_count(1, timeout=30_000)
    text = table.inner_text()
    assert "Prometheus job node-exporter (prom)" in text and "none" in text
    assert "ledger (0.80)" in text  # payments-ledger holds every word of ledger
    assert "prometheus_selector = '{job=\"payments-ledger\"}'" in text
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"discovery-{width}.png"))
    # every static table on the page (rows per table, coverage, this list) fits the screen:
    # Streamlit keeps cells on one line, ui/components/style.py lets them wrap
    overflowing = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stTable"]'))
            .filter(t => !t.closest('details') || t.closest('details').open)  // on screen
            .filter(t => t.querySelector('table').getBoundingClientRect().width
                         > t.getBoundingClientRect().width + 1)
            .map(t => t.innerText.slice(0, 80))"""
    )
    assert overflowing == []
    assert query(db, "SELECT prometheus_selector FROM services") == [(None,)]  # nothing mapped
