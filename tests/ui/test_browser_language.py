"""中文 in Debian's chromium: a Chinese browser opens in Chinese with no ?lang, its glyphs come
from a CJK font (no tofu), the switch changes language and URL, and two people on one server
read two languages at once. Figures are the fixture's hand-computed ones (test_browser.py)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.appserver import app_server
from tests.browsing import open_page
from tests.ui.test_browser import card_value
from tools.screenshots import wait_rendered

pytestmark = pytest.mark.browser
PERIOD = "start=2026-01-01&end=2026-01-14"


@pytest.fixture(scope="module")
def base_url(fixture_db: Path) -> Iterator[str]:
    with app_server(fixture_db) as url:
        yield url


def test_a_chinese_browser_reads_chinese_with_a_cjk_font(browser: Browser, base_url: str) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 1400})
    page = context.new_page()
    open_page(page, f"{base_url}/?{PERIOD}", "zh-scorecard")
    expect(page.locator("h1")).to_have_text("计分卡")
    assert card_value(page, "可用性") == "99.380 %"
    assert "lang=zh-CN" in page.url  # the link the reader shares opens in Chinese
    # The font the stack names is installed (Debian's fonts-noto-cjk): glyphs, not tofu boxes.
    found = subprocess.run(
        ["fc-match", "--format=%{file}", "Noto Sans CJK SC:lang=zh-cn"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "NotoSansCJK" in found, f"install fonts-noto-cjk (make system-deps); got {found}"
    assert (
        page.evaluate("""() => getComputedStyle(document.querySelector('h1')).fontFamily""").find(
            "Noto Sans CJK SC"
        )
        >= 0
    )
    context.close()


def test_the_switch_and_two_sessions_at_once(browser: Browser, base_url: str) -> None:
    chinese = browser.new_context(locale="en-US").new_page()  # switches to Chinese below
    english = browser.new_context(locale="en-US").new_page()
    open_page(chinese, f"{base_url}/?{PERIOD}", "lang-before-switch")
    open_page(english, f"{base_url}/?{PERIOD}", "lang-english")
    option = chinese.locator('[data-testid="stSidebar"] [data-testid="stRadio"]').get_by_text(
        "中文", exact=True
    )
    for _attempt in range(2):  # under load a click can land while the page is still settling
        # while a rerun draws, the previous run's switch can still be on screen beside the new
        expect(option).to_have_count(1, timeout=30_000)
        option.click()
        try:
            expect(chinese.locator("h1")).to_have_text("计分卡", timeout=30_000)
            break
        except AssertionError:
            continue
    expect(chinese.locator("h1")).to_have_text("计分卡", timeout=30_000)
    expect(chinese).to_have_url(re.compile(r"lang=zh-CN"), timeout=30_000)
    english.reload()
    wait_rendered(english)
    expect(english.locator("h1")).to_have_text("Scorecard")
    assert card_value(english, "Availability") == "99.380 %"
    assert card_value(chinese, "可用性") == "99.380 %"
