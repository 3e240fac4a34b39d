"""The pages in a real browser: `newswatch serve` over the replayed three-moment crawl, read by headless
Chromium. The changes list, an article page and a diff page render, show the expected text, have no
console errors (a blocked script, style or icon would be one), and fit a phone's width; a screenshot
of each is saved under pytest's tmp dir (the paths are printed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.monitor.moments_site import NEW_HEADLINE, OLD_HEADLINE
from tests.monitor.web.browser import chromium, console_errors
from tests.monitor.web.conftest import Moments

CORRECTION = "更正：本文此前版本将会晤地点误写为洛杉矶，现已更正为旧金山。"
A_TITLE = "外国专家：中美合作共赢符合国际社会利益"


def pages(moments: Moments) -> list[tuple[str, str, tuple[str, ...]]]:
    a, e, d = moments.ids["a"], moments.ids["e"], moments.ids["d"]
    return [
        ("changes", "/", ("Recent changes", "3 changes", A_TITLE, NEW_HEADLINE, "deletion", "addition", "title")),
        ("article", f"/articles/{a}", (A_TITLE, "v1", "v2", "v3", "addition", "deletion", "back to v1",
                                       "Latest text")),
        ("diff", f"/articles/{a}/changes/2", ("addition", "Inline", "Side by side", CORRECTION)),
        ("title-diff", f"/articles/{e}/changes/2", (OLD_HEADLINE, NEW_HEADLINE)),
        ("anomaly", f"/articles/{d}", ("Anomalies", "error_page")),
        ("new", "/new", ("New articles per source", "测试新闻", "6 articles")),
        ("sources", "/sources", ("测试新闻", "ok")),
        ("outbox", "/outbox", ("pending (0)", "dead (0)")),
        ("filtered", "/?change_class=title", ("1 change", NEW_HEADLINE)),
    ]


@pytest.fixture(scope="module")
def desktop() -> Iterator[webdriver.Chrome]:
    """One browser for the module's desktop pages (a start costs seconds); its console log is read
    empty before each page, so each page's errors are its own."""
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def phone() -> Iterator[webdriver.Chrome]:
    with chromium(390, 844) as driver:
        yield driver


def visit(driver: webdriver.Chrome, url: str) -> None:
    console_errors(driver)  # drains what earlier pages logged
    driver.get(url)


PAGE_IDS = ["changes", "article", "diff", "title-diff", "anomaly", "new", "sources", "outbox", "filtered"]


@pytest.mark.parametrize("index", range(len(PAGE_IDS)), ids=PAGE_IDS)
def test_page_renders_in_chromium_without_console_errors(served: str, moments: Moments, index: int,
                                                         tmp_path: Path, desktop: webdriver.Chrome) -> None:
    name, path, expected = pages(moments)[index]
    visit(desktop, served + path)
    text = desktop.find_element(By.TAG_NAME, "body").text
    shot = tmp_path / f"{name}.png"
    desktop.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    errors = console_errors(desktop)
    styled = desktop.execute_script("return getComputedStyle(document.querySelector('header')).backgroundColor")
    missing = [word for word in expected if word not in text]
    assert missing == [], f"{path} lacks {missing}"
    assert errors == [], f"{path}: console errors {errors}"
    assert styled == "rgb(29, 78, 137)", "the stylesheet loaded (the CSP allows it)"
    assert shot.stat().st_size > 5000


def test_diff_highlights_inline_and_side_by_side(served: str, moments: Moments, desktop: webdriver.Chrome) -> None:
    visit(desktop, f"{served}/articles/{moments.ids['a']}/changes/2")
    inserted = [e.text for e in desktop.find_elements(By.CSS_SELECTOR, ".newswatch-diff ins")]
    right = [e.text for e in desktop.find_elements(By.CSS_SELECTOR, ".newswatch-diff-sides td:nth-child(2) ins")]
    left = [e.text for e in desktop.find_elements(By.CSS_SELECTOR, ".newswatch-diff-sides td:nth-child(1) ins")]
    assert CORRECTION in inserted and CORRECTION in right and left == []


@pytest.mark.parametrize("path", ["/", "/articles/{a}", "/articles/{a}/changes/2", "/sources", "/outbox"],
                         ids=["changes", "article", "diff", "sources", "outbox"])
def test_readable_on_a_phone(served: str, moments: Moments, path: str, tmp_path: Path,
                             phone: webdriver.Chrome) -> None:
    """At a phone's width (390 px) nothing is wider than the screen but scrollable tables."""
    visit(phone, served + path.format(a=moments.ids["a"]))
    wide = phone.execute_script("return document.documentElement.scrollWidth")
    viewport = phone.execute_script("return window.innerWidth")
    shot = tmp_path / "phone.png"
    phone.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    assert viewport == 390, "the phone's viewport"
    assert wide <= viewport, f"{path} is {wide} px wide on a {viewport} px screen"


def test_no_page_has_a_script(served: str, moments: Moments, desktop: webdriver.Chrome) -> None:
    for _name, path, _expected in pages(moments):
        visit(desktop, served + path)
        assert desktop.find_elements(By.TAG_NAME, "script") == [], path
