"""Removal of an article (删稿), pure: what an answer for a stored article says about its being taken down.

Three kinds, each decided from evidence in one answer (:mod:`monitor.changes.removal` confirms and records):

- ``gone``: the URL answers 404 or 410. A 410 is final at once; a 404 is announced only when the next
  check answers 404 again (:func:`status_kind`, ``final``), so one flaky answer never removes an article;
- ``withdrawn``: a removal notice served in place of the article (WeChat's "该内容已被发布者删除", a CMS's
  "该文章已删除", an English "page not found" page answered with 200). The notices are data:
  :data:`NOTICES`, listed in ``docs/removal.md``. A notice counts only on a short page, as the page's
  title or a line of its own (a phrase quoted inside an article's prose is no notice);
- ``redirected``: a permanent redirect (301/308) to the site's home page, a section page (a path the
  article's path lies under, or one that is no article's shape), or another site.

Nothing here fetches or opens anything: bytes and strings in, records out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from newswatch.crawler.discover.links import looks_like_article
from newswatch.crawler.encoding import decode_body
from newswatch.crawler.htmltree import parse_html, without_controls
from newswatch.crawler.urls import site_of

GONE, WITHDRAWN, REDIRECTED, HIDDEN = "gone", "withdrawn", "redirected", "hidden"
KINDS = (GONE, WITHDRAWN, REDIRECTED, HIDDEN)
PERMANENT_REDIRECTS = frozenset({301, 308})
NOTICE_PAGE_CHARS = 2000  # visible characters (no spaces) beyond which a page is no notice page
NOTICE_LINE_CHARS = 40  # a notice is a short line of its own (or the page title), not quoted
MAX_NOTICE_BYTES = 512 * 1024  # a notice page is small: the head of a bigger body is enough to judge
MAX_NOTICE_TEXT = 200


@dataclass(frozen=True)
class Notice:
    """One removal notice: the phrase found on the page, who serves it, and what it says happened."""

    phrase: str
    publisher: str  # wechat | cms
    meaning: str  # deleted | violation | blocked | complaint | migrated | not_found | offline


NOTICES: tuple[Notice, ...] = (
    # WeChat (mp.weixin.qq.com): the weui-msg notice pages served in place of an article
    Notice("该内容已被发布者删除", "wechat", "deleted"),
    Notice("此内容因违规无法查看", "wechat", "violation"),
    Notice("此内容因涉嫌违反相关法律法规和政策无法查看", "wechat", "violation"),
    Notice("该内容因违规无法查看", "wechat", "violation"),
    Notice("此内容被多人投诉", "wechat", "complaint"),
    Notice("此内容被投诉且经审核涉嫌侵权", "wechat", "complaint"),
    Notice("该公众号已被屏蔽", "wechat", "blocked"),
    Notice("此帐号已被屏蔽", "wechat", "blocked"),
    Notice("此账号已被屏蔽", "wechat", "blocked"),
    Notice("该账号因违规无法查看", "wechat", "blocked"),
    Notice("此帐号已自主注销", "wechat", "blocked"),
    Notice("该公众号已迁移", "wechat", "migrated"),
    Notice("该内容已被删除", "wechat", "deleted"),
    Notice("此内容发送失败无法查看", "wechat", "deleted"),
    # Chinese CMS notices
    Notice("该文章已删除", "cms", "deleted"),
    Notice("该文章已被删除", "cms", "deleted"),
    Notice("文章已被删除", "cms", "deleted"),
    Notice("内容已被删除", "cms", "deleted"),
    Notice("该稿件已删除", "cms", "deleted"),
    Notice("稿件已撤回", "cms", "deleted"),
    Notice("文章不存在", "cms", "not_found"),
    Notice("该文章不存在", "cms", "not_found"),
    Notice("新闻不存在", "cms", "not_found"),
    Notice("内容不存在", "cms", "not_found"),
    Notice("页面不存在", "cms", "not_found"),
    Notice("您访问的页面不存在", "cms", "not_found"),
    Notice("页面找不到了", "cms", "not_found"),
    Notice("内容已下线", "cms", "offline"),
    Notice("该内容已下线", "cms", "offline"),
    Notice("文章已下线", "cms", "offline"),
    Notice("稿件已下线", "cms", "offline"),
    Notice("内容已失效", "cms", "offline"),
    # English CMS notices (a "not found" page answered with 200)
    Notice("page not found", "cms", "not_found"),
    Notice("404 not found", "cms", "not_found"),
    Notice("article not found", "cms", "not_found"),
    Notice("this article has been removed", "cms", "deleted"),
    Notice("this article is no longer available", "cms", "offline"),
    Notice("this content is no longer available", "cms", "offline"),
    Notice("the page you requested could not be found", "cms", "not_found"),
)  # fmt: skip
# Not removals: WeChat's temporary-link page ("链接已过期") is an expired sogou link, and a captcha or
# consent page is a block; both stay anomalies.

_INVISIBLE = "//script|//style|//noscript|//template|//iframe"
_SPACES = re.compile(r"\s+")
_QUOTES = re.compile("[“”「」『』\"]")  # a quoted notice is a sentence about one


@dataclass(frozen=True)
class Evidence:
    """What one answer says: the removal kind, its HTTP status, the notice or redirect target, and
    whether it is final (``False``: a 404, confirmed only by the next check)."""

    kind: str
    http_status: int | None = None
    notice: str | None = None
    location: str | None = None
    final: bool = True


def status_kind(status: int) -> Evidence | None:
    """``gone`` for 404 (to be confirmed) and 410 (final); None for any other status."""
    if status == 410:
        return Evidence(GONE, status)
    if status == 404:
        return Evidence(GONE, status, final=False)
    return None


def notice_of(body: bytes, content_type: str | None = None) -> str | None:
    """The removal notice a page shows (the line it is on), or None: only on a short page, as its title
    or a line of its own."""
    html = without_controls(decode_body(body[:MAX_NOTICE_BYTES], content_type))
    tree = parse_html(html)
    if tree is None:
        return None
    title = " ".join("".join(tree.xpath("//title//text()")).split())
    for node in tree.xpath(_INVISIBLE):
        node.drop_tree()
    body_node = tree.find(".//body")
    root = body_node if body_node is not None else tree
    lines = [" ".join(raw.split()) for raw in root.text_content().splitlines()]
    lines = [line for line in lines if line]
    if sum(len(_SPACES.sub("", line)) for line in lines) > NOTICE_PAGE_CHARS:
        return None
    return find_notice([title, *lines])


def mentions_notice(text: str) -> bool:
    """True when ``text`` (an extracted body) contains a notice phrase anywhere: a cheap test before
    :func:`notice_of` reads the page itself."""
    lowered = text.lower()
    return any(notice.phrase in lowered for notice in NOTICES)


def find_notice(lines: list[str]) -> str | None:
    """The first of ``lines`` (short ones only) that carries a notice of :data:`NOTICES`."""
    for line in lines:
        if not line or len(line) > NOTICE_LINE_CHARS:
            continue
        lowered = line.lower()
        if any(notice.phrase in lowered for notice in NOTICES) and not _QUOTES.search(line):
            return line[:MAX_NOTICE_TEXT]
    return None


def redirect_kind(requested: str, landed: str, statuses: list[int]) -> Evidence | None:
    """``redirected`` when a permanent redirect took ``requested`` (a stored article) to the home page,
    a section page or another site; None for any other redirect (or none)."""
    if not statuses or landed == requested or not set(statuses) & PERMANENT_REDIRECTS:
        return None
    status = next(s for s in statuses if s in PERMANENT_REDIRECTS)
    if site_of(landed) != site_of(requested) or _is_home(landed) or _is_section(requested, landed):
        return Evidence(REDIRECTED, status, location=landed)
    return None


def _is_home(url: str) -> bool:
    path = urlsplit(url).path
    return path in ("", "/") or re.fullmatch(r"/(index|default|home)\.(s?html?|php|aspx?|jsp)", path) is not None


def _is_section(requested: str, landed: str) -> bool:
    """A section page: a folder the article's path lies under, or a page of no article's shape."""
    article, page = urlsplit(requested).path, urlsplit(landed).path
    folder = page if page.endswith("/") else page + "/"
    return article.startswith(folder) or not looks_like_article(landed)
