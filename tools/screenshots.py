"""Screenshot every page in headless Debian chromium, to look at what we built.

    python -m tools.screenshots [--db PATH] [--out DIR] [--query 'team=payments']

Writes one PNG per page; the README's screenshot is docs/screenshot.png from this script.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from data.warehouse import db_path
from tests.appserver import CHROMIUM, CHROMIUM_ARGS, app_server

PAGES = {
    "scorecard": "",
    "executive": "executive",
    "review": "review",
    "delivery": "delivery",
    "reliability": "reliability",
    "quality": "quality",
    "incidents": "incidents",
    "export": "export",
    "data-sources": "data-sources",
}


def wait_rendered(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the script has run to the end and every element has drawn."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )
    page.wait_for_function(
        """() => document.querySelectorAll(
            '[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]').length === 0""",
        timeout=60_000,
    )
    page.wait_for_timeout(800)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=str(db_path()))
    parser.add_argument("--out", default="test-artifacts/screenshots")
    parser.add_argument("--query", default="")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1100)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with app_server(Path(args.db)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        for name, path in PAGES.items():
            query = f"?{args.query}" if args.query else ""
            page.goto(f"{url}/{path}{query}")
            wait_rendered(page)
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target)
        browser.close()


if __name__ == "__main__":
    main()
