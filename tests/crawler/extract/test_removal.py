"""The removal classifier (crawler.extract.removal) on real notice pages and the 57 real pages of zh_news."""

from __future__ import annotations

import pytest

from newswatch.crawler.extract.removal import (
    GONE,
    NOTICES,
    REDIRECTED,
    Evidence,
    find_notice,
    notice_of,
    redirect_kind,
    status_kind,
)
from tests.crawler.fixture_site import fixture_bytes
from tests.crawler.notice_pages import CMS_NOTICES, WECHAT_NOTICES, cms_notice_page, wechat_notice_page
from tests.crawler.test_encoding import PAGES

ARTICLE = "https://www.example.cn/news/2025/05/01/a123.html"


@pytest.mark.parametrize("notice", WECHAT_NOTICES, ids=lambda n: n[:10])
def test_wechat_notice_pages_are_withdrawals(notice: str) -> None:
    assert notice_of(wechat_notice_page(notice)) == notice


@pytest.mark.parametrize("notice", CMS_NOTICES, ids=lambda n: n[:10])
def test_cms_notice_in_a_real_page_template_is_a_withdrawal(notice: str) -> None:
    assert notice_of(cms_notice_page(notice)) == notice


def test_no_real_page_reads_as_a_notice() -> None:
    """Not one of the 57 real pages (articles, list pages, a home page, the expired-link page) is a
    removal notice: WeChat's "链接已过期" is an expired temporary link, not a withdrawal."""
    found = {page["id"]: notice_of(fixture_bytes(page["id"])) for page in PAGES}
    assert {k: v for k, v in found.items() if v is not None} == {}


def test_a_notice_phrase_quoted_in_prose_is_no_notice() -> None:
    sentence = "记者发现，涉事公众号此前发布的文章显示“该内容已被发布者删除”，引发网友质疑。"
    assert find_notice([sentence]) is None
    assert find_notice(["", "该内容已被发布者删除"]) == "该内容已被发布者删除"


def test_the_notice_table_is_lower_case_and_unique() -> None:
    phrases = [notice.phrase for notice in NOTICES]
    assert len(phrases) == len(set(phrases)) and all(p == p.lower() for p in phrases)


@pytest.mark.parametrize(("status", "expected"), [
    (404, Evidence(GONE, 404, final=False)), (410, Evidence(GONE, 410)), (200, None), (500, None), (403, None),
], ids=["404-unconfirmed", "410-final", "200", "500", "403"])
def test_status_kind(status: int, expected: Evidence | None) -> None:
    assert status_kind(status) == expected


@pytest.mark.parametrize(("landed", "statuses", "removed"), [
    ("https://www.example.cn/", [301], True),
    ("https://www.example.cn/index.html", [308], True),
    ("https://www.example.cn/news/", [301], True),
    ("https://www.example.cn/news/2025/05/01/", [301], True),
    ("https://other.example.org/", [301], True),
    ("https://www.example.cn/", [302], False),
    ("https://www.example.cn/news/2025/05/01/a123-new.html", [301], False),
    (ARTICLE, [], False),
], ids=["home", "home-index", "section", "dated-folder", "other-site", "temporary", "moved-article", "none"])
def test_redirect_kind(landed: str, statuses: list[int], removed: bool) -> None:
    found = redirect_kind(ARTICLE, landed, statuses)
    assert (found == Evidence(REDIRECTED, statuses[0], location=landed)) if removed else found is None


def test_the_docs_list_every_notice() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "removal.md").read_text(encoding="utf-8")
    assert [n.phrase for n in NOTICES if f"| {n.phrase} | {n.publisher} | {n.meaning} |" not in docs] == []
