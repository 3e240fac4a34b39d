"""The WeChat site step: WeChat official-account articles (mp.weixin.qq.com) before trafilatura.

A raw WeChat article page defeats a generic extractor: the body ``#js_content`` is rendered hidden
(``visibility: hidden``, made visible by script), its images carry only ``data-src``, the date
is a Unix time in ``var ct = "..."`` and the account's name is in ``var nickname`` / ``#js_name``.
:func:`read_wechat` reads those and returns a small, clean document (title, description and the
un-hidden ``#js_content`` only) for the one trafilatura call, together with the metadata read
from the page.  The "link expired" / "deleted" notice pages yield :class:`WeChatUnavailable`.

Pure functions: a parsed tree and the page's text in, records out.
"""

from __future__ import annotations

import copy
import html as html_lib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import lxml.html
from lxml.html import HtmlElement

from newswatch.crawler.urls import url_host

__all__ = ["WECHAT_STEP", "WeChatPage", "WeChatUnavailable", "is_wechat", "read_wechat", "wechat_date"]

# Appended to the extractor version of articles that went through this step; bump it whenever
# the step changes what reaches trafilatura, so stored fingerprints can be told apart.
WECHAT_STEP = "wechat.1"

_HOST = "mp.weixin.qq.com"
# China Standard Time: the date WeChat shows under the title is the local date in UTC+8.
_CST = timezone(timedelta(hours=8))
# Texts of WeChat's notice pages that stand in for an article that is gone or withheld.
UNAVAILABLE_NOTICES = (
    "链接已过期",
    "该内容已被发布者删除",
    "此内容因违规无法查看",
    "此内容被投诉且经审核涉嫌侵权",
    "该公众号已迁移",
    "此内容发送失败无法查看",
    "该内容已被删除",
    "内容已被删除",
    "该内容暂时无法查看",
)
_MAX_NOTICE_CHARS = 300

_JS_VARS = {
    name: re.compile(rf"""\bvar\s+{name}\s*=\s*(?:htmlDecode\(\s*)?(["'])(.*?)(?<!\\)\1""")
    for name in ("msg_title", "nickname", "msg_desc", "msg_cdn_url", "author")
}
_CT_RE = re.compile(r"""\bvar\s+ct\s*=\s*["']?(\d{9,11})\b""")
_HIDDEN_RE = re.compile(r"visibility\s*:\s*hidden\s*(?:!important)?\s*;?", re.IGNORECASE)


@dataclass(frozen=True)
class WeChatPage:
    """What the WeChat step read from an article page."""

    document: str  # the HTML handed to trafilatura: title + description + #js_content only
    title: str | None
    account: str | None  # the official account's name (nickname), the publisher
    author: str | None  # the article's own author line, when the account filled it in
    date: str | None  # ISO date in UTC+8, from ``var ct``
    description: str | None
    image: str | None


@dataclass(frozen=True)
class WeChatUnavailable:
    """A WeChat notice page ("链接已过期", deleted, withheld): there is no article."""

    notice: str


def is_wechat(html: str, url: str) -> bool:
    """True for mp.weixin.qq.com URLs and for pages carrying WeChat's article markers."""
    host = url_host(url) if url else ""
    if host == _HOST:
        return True
    # the literal first: the pattern (``\bvar\s+msg_title``) has no literal prefix to search fast for
    return 'id="js_content"' in html or ("msg_title" in html and _JS_VARS["msg_title"].search(html) is not None)


def read_wechat(tree: HtmlElement, html: str) -> WeChatPage | WeChatUnavailable:
    """Read a WeChat page (``tree`` parsed from ``html``; the tree is not modified)."""
    content = _find_id(tree, "js_content")
    if content is None:
        notice = _unavailable_notice(tree)
        if notice is not None:
            return WeChatUnavailable(notice)
    title = _js_var(html, "msg_title") or _meta(tree, "og:title") or _text_of(tree, "activity-name")
    description = _js_var(html, "msg_desc") or _meta(tree, "og:description")
    return WeChatPage(
        document=_document(content, title, description) if content is not None else html,
        title=title,
        account=(_js_var(html, "nickname") or _text_of(tree, "js_name") or _class_text(tree, "profile_nickname")),
        author=_js_var(html, "author") or _text_of(tree, "js_author_name") or _meta_author(tree),
        date=wechat_date(html),
        description=description,
        image=_js_var(html, "msg_cdn_url") or _meta(tree, "og:image"),
    )


def wechat_date(html: str) -> str | None:
    """The publication date from ``var ct = "<unix time>"``, as an ISO date in UTC+8."""
    match = _CT_RE.search(html)
    if match is None:
        return None
    moment = datetime.fromtimestamp(int(match.group(1)), tz=UTC).astimezone(_CST)
    return moment.date().isoformat()


def _document(content: HtmlElement, title: str | None, description: str | None) -> str:
    """A minimal page around a copy of ``#js_content``: un-hidden, images with ``src``."""
    body = copy.deepcopy(content)
    body.tail = None
    for element in body.iter():
        style = element.get("style")
        if style and _HIDDEN_RE.search(style):
            element.set("style", _HIDDEN_RE.sub("", style))
    for image in body.iter("img"):
        if image.get("data-src") and not image.get("src"):
            image.set("src", image.get("data-src") or "")
    head = f"<title>{html_lib.escape(title or '')}</title>"
    if title:
        head += f'<meta property="og:title" content="{html_lib.escape(title)}">'
    if description:
        head += f'<meta name="description" content="{html_lib.escape(description)}">'
    inner = lxml.html.tostring(body, encoding="unicode")
    return f"<!DOCTYPE html><html><head>{head}</head><body><article>{inner}</article></body></html>"


def _unavailable_notice(tree: HtmlElement) -> str | None:
    body = tree.find(".//body")
    text = " ".join((body if body is not None else tree).xpath("string()").split())
    if len(text) > _MAX_NOTICE_CHARS:
        return None
    return next((notice for notice in UNAVAILABLE_NOTICES if notice in text), None)


def _js_var(html: str, name: str) -> str | None:
    match = _JS_VARS[name].search(html)
    if match is None:
        return None
    value = html_lib.unescape(match.group(2).replace('\\"', '"').replace("\\'", "'")).strip()
    return value or None


def _find_id(tree: HtmlElement, element_id: str) -> HtmlElement | None:
    found = tree.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def _text_of(tree: HtmlElement, element_id: str) -> str | None:
    element = _find_id(tree, element_id)
    text = " ".join(element.text_content().split()) if element is not None else ""
    return text or None


def _class_text(tree: HtmlElement, class_name: str) -> str | None:
    found = tree.xpath("//*[contains(concat(' ', @class, ' '), $c)]", c=f" {class_name} ")
    text = " ".join(found[0].text_content().split()) if found else ""
    return text or None


def _meta(tree: HtmlElement, prop: str) -> str | None:
    found = tree.xpath("//meta[@property=$p]/@content", p=prop)
    return (str(found[0]).strip() or None) if found else None


def _meta_author(tree: HtmlElement) -> str | None:
    """The author line the account filled in, shown next to the date under the title."""
    found = tree.xpath(
        "//*[@id='meta_content']/*[contains(@class, 'rich_media_meta_text') and not(@id)"
        " and not(contains(@class, 'rich_media_meta_nickname'))]"
    ) or tree.xpath("//meta[@name='author']/@content")
    text = " ".join(str(found[0] if isinstance(found[0], str) else found[0].text_content()).split()) if found else ""
    return text or None
