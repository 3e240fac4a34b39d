"""The WeChat site step (crawler.extract.wechat) on the four raw WeChat articles and the expired-link page
of tests/fixtures/zh_news, plus constructed pages for the newer layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import lxml.html
import pytest

from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.markdown import markdown_to_text
from newswatch.crawler.extract.rejection import ERROR_PAGE, Rejection
from newswatch.crawler.extract.wechat import (
    WECHAT_STEP,
    WeChatPage,
    WeChatUnavailable,
    is_wechat,
    read_wechat,
    wechat_date,
)
from tests.crawler.test_encoding import PAGES, crawler_text, fixture_url, page_params

WECHAT_ARTICLES = [page for page in PAGES if page["is_wechat"] and page["page_type"] == "article"]
WECHAT_ERRORS = [page for page in PAGES if page["is_wechat"] and page["page_type"] == "error"]
CST = timezone(timedelta(hours=8))


def _article(page: dict[str, Any]) -> Article:
    result = extract(crawler_text(page["id"]), fixture_url(page))
    assert isinstance(result, Article), result
    return result


def test_fixture_set() -> None:
    assert len(WECHAT_ARTICLES) == 4 and len(WECHAT_ERRORS) == 1


@pytest.mark.parametrize("page", page_params(WECHAT_ARTICLES))
def test_wechat_article_fields(page: dict[str, Any]) -> None:
    """Title from msg_title, the account (nickname) as site name, the date WeChat shows (UTC+8)."""
    article, want = _article(page), page["expected"]
    assert article.title == want["title"]
    assert article.site_name == want["account_nickname"]
    shown = datetime.fromtimestamp(want["publish_ts"], tz=UTC).astimezone(CST).date().isoformat()
    assert article.date == shown == page["wechat_ids"]["publish_time"]
    assert article.extractor_version.endswith(f"+{WECHAT_STEP}")
    assert article.image and article.image.startswith("http")


@pytest.mark.parametrize("page", page_params(WECHAT_ARTICLES))
def test_wechat_body_is_js_content_only(page: dict[str, Any]) -> None:
    """The account's profile card, QR-code prompts and the reading counter are not the article."""
    body = markdown_to_text(_article(page).body_markdown)
    for boilerplate in ("功能介绍", "微信号", "微信扫一扫", "阅读原文", "喜欢此内容的人还喜欢"):
        assert boilerplate not in body


@pytest.mark.parametrize("page", page_params(WECHAT_ARTICLES))
def test_wechat_images_get_src(page: dict[str, Any]) -> None:
    """Every lazy image of #js_content carries its data-src as src in the document trafilatura gets
    (WechatSogou's own test counts these images)."""
    html = crawler_text(page["id"])
    step = read_wechat(lxml.html.document_fromstring(html), html)
    assert isinstance(step, WeChatPage)
    images = lxml.html.document_fromstring(step.document).xpath("//img")
    assert all(image.get("src") for image in images)
    assert len(images) == page["expected"]["content_img_count_per_upstream_test"]


@pytest.mark.parametrize("page", page_params(WECHAT_ERRORS))
@pytest.mark.parametrize("url", ["wechat", "unknown"])
def test_expired_link_page_is_an_error_page(page: dict[str, Any], url: str) -> None:
    """Recognised as WeChat's notice from its URL, and as an error page from its text alone."""
    target = fixture_url(page) if url == "wechat" else "https://fixtures.invalid/some/page"
    assert page["expected"]["is_article"] is False
    result = extract(crawler_text(page["id"]), target)
    assert isinstance(result, Rejection) and result.reason == ERROR_PAGE, result
    assert page["expected"]["contains_text"] in result.detail


# --- constructed pages -------------------------------------------------------------------------

PARAGRAPH = "今天上午，市政府召开新闻发布会，介绍今年以来全市经济社会发展情况，并回答了记者提问。"


def _wechat_page(content: str, *, ct: str = "1712358000", extra: str = "") -> str:
    return (
        "<!DOCTYPE html><html><head><title></title>"
        '<meta property="og:title" content="OG 标题"><meta property="og:image" content="https://mmbiz.qpic.cn/c.jpg">'
        "</head><body><div id='js_article'><h1 id='activity-name'> 页面标题 </h1>"
        "<div id='meta_content'><span class='rich_media_meta rich_media_meta_text'>张记者</span>"
        "<a id='js_name'> 某某发布 </a></div>"
        f"<div class='rich_media_content' id='js_content' style='visibility: hidden;'>{content}</div>"
        "<div class='profile'>功能介绍 微信号 someaccount</div></div>"
        f"<script>var ct = \"{ct}\"; var msg_title = '真实标题'.html(false); {extra}</script>"
        "</body></html>"
    )


def test_newer_layout_hidden_content_is_read() -> None:
    content = "".join(f"<section><p>{PARAGRAPH}</p></section>" for _ in range(4))
    content += '<p><img data-src="https://mmbiz.qpic.cn/1.png"></p>'
    result = extract(_wechat_page(content), "https://mp.weixin.qq.com/s/AbCdEf")
    assert isinstance(result, Article), result
    assert (result.title, result.site_name, result.author) == ("真实标题", "某某发布", "张记者")
    assert result.date == "2024-04-06"  # 1712358000 = 2024-04-05 23:00 UTC = 2024-04-06 07:00 in UTC+8
    assert PARAGRAPH in markdown_to_text(result.body_markdown)
    assert "功能介绍" not in result.body_markdown
    step = read_wechat(lxml.html.document_fromstring(_wechat_page(content)), _wechat_page(content))
    assert isinstance(step, WeChatPage)
    assert "visibility" not in step.document and 'src="https://mmbiz.qpic.cn/1.png"' in step.document


def test_nickname_variable_wins_over_markup() -> None:
    html = _wechat_page(f"<p>{PARAGRAPH}</p>" * 3, extra='var nickname = htmlDecode("人民日报");')
    step = read_wechat(lxml.html.document_fromstring(html), html)
    assert isinstance(step, WeChatPage) and step.account == "人民日报"


@pytest.mark.parametrize(
    "notice", ["该内容已被发布者删除", "此内容因违规无法查看", "链接已过期"], ids=["deleted", "withheld", "expired"]
)
def test_notice_pages(notice: str) -> None:
    html = f"<html><body><div class='weui-msg'><h2 class='weui-msg__title'>{notice}</h2></div></body></html>"
    step = read_wechat(lxml.html.document_fromstring(html), html)
    assert step == WeChatUnavailable(notice)
    result = extract(html, "https://mp.weixin.qq.com/s/gone")
    assert isinstance(result, Rejection) and result.reason == ERROR_PAGE and notice in result.detail


def test_is_wechat() -> None:
    assert is_wechat("<html></html>", "https://mp.weixin.qq.com/s/x")
    assert is_wechat('<div id="js_content"></div>', "https://example.com/copy")
    assert is_wechat("<script>var msg_title = 'x';</script>", "")
    assert not is_wechat("<p>mp.weixin.qq.com</p>", "https://news.example.cn/a.html")


@pytest.mark.parametrize(
    ("ct", "day"),
    [("1522968980", "2018-04-06"), ("1712358000", "2024-04-06"), ("1712329199", "2024-04-05")],
)
def test_wechat_date_is_the_day_shown_in_china(ct: str, day: str) -> None:
    assert wechat_date(f'var ct = "{ct}";') == day
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", day)


def test_wechat_date_missing() -> None:
    assert wechat_date("<html></html>") is None
