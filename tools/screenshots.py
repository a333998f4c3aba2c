"""Screenshot every page in headless Debian chromium, to look at what we built.

    python -m tools.screenshots [--db PATH] [--out DIR] [--query 'team=payments']
        [--lang zh-CN] [--width 390] [--page scorecard]

Writes one PNG per page, of the whole page: Streamlit scrolls inside its main container, so the
window is made as tall as the page before each shot. The README's screenshots (docs/) come from
this script.
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


def whole_page(page, path: Path, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    """Screenshot all of the page, not its first screen (Streamlit's main area scrolls)."""
    tall = page.evaluate(  # a collapsed sidebar (narrow screens) does not count
        """() => {
            const bar = document.querySelector('[data-testid="stSidebar"]');
            const open = bar && bar.getBoundingClientRect().right > 0;  // collapsed: off-screen
            return Math.max(...['stMain', 'stAppViewContainer', open && 'stSidebarContent']
                .filter(Boolean)
                .map(id => document.querySelector(`[data-testid="${id}"]`))
                .filter(Boolean).map(el => el.scrollHeight));
        }"""
    )
    page.set_viewport_size({"width": width, "height": max(height, min(int(tall) + 40, 12_000))})
    page.wait_for_timeout(600)  # charts redraw at the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": height})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=str(db_path()))
    parser.add_argument("--out", default="test-artifacts/screenshots")
    parser.add_argument("--query", default="")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1100)
    parser.add_argument("--lang", default="en", help="en or zh-CN")
    parser.add_argument("--page", action="append", choices=list(PAGES), help="default: all")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with app_server(Path(args.db)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        for name in args.page or list(PAGES):
            query = "&".join(q for q in (f"lang={args.lang}", args.query) if q)
            page.goto(f"{url}/{PAGES[name]}?{query}")
            wait_rendered(page)
            target = out / f"{name}.png"
            whole_page(page, target, args.width, args.height)
            print(target)
        browser.close()


if __name__ == "__main__":
    main()
