"""What the raw page shows, independent of trafilatura: its visible text, title, description, declared
language and links; and the notice pages told by it (empty, error, consent/captcha)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from newswatch.crawler.extract.listpage import list_items
from newswatch.crawler.extract.rejection import CONSENT_PAGE, EMPTY, ERROR_PAGE, Rejection

NOTICE_MAX_CHARS = 400  # notice pages (error, consent) are short
NOTICE_LINE_CHARS = 60  # ... and say so in a line of their own
NOSCRIPT_MAX_CHARS = 2000  # a <noscript> holding more is the page itself, parsed into it

ERROR_PHRASES = (
    "404 not found", "page not found", "页面不存在", "页面未找到", "找不到页面", "网页不存在",
    "文章不存在", "内容不存在", "已被删除", "已删除", "链接已过期", "链接已失效", "页面已过期",
    "无法访问此页面", "访问的页面不存在",
)  # fmt: skip
CONSENT_PHRASES = (
    "captcha", "verify you are human", "are you a robot", "unusual traffic", "accept cookies",
    "accept all cookies", "cookie consent", "验证码", "安全验证", "人机验证", "访问验证", "滑动验证",
    "请完成验证", "环境异常", "请开启javascript", "请启用javascript",
)  # fmt: skip
_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "td", "th", "tr", "ul",
)  # fmt: skip
_INVISIBLE = "//script|//style|//noscript|//template|//title|//iframe|//select|//textarea"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class RawPage:
    """What the raw page shows, independent of trafilatura."""

    text: str  # visible text of the page, one line per block, whitespace collapsed
    title: str | None
    description: str | None
    language: str | None
    link_density: float  # share of visible characters inside <a>
    anchors: dict[str, frozenset[str]]  # link texts (no spaces, >= 4 chars) by their first 4 chars
    items: tuple[str, ...] = ()  # texts of list items opening with a headline link (crawler.extract.listpage)
    links: frozenset[str] = frozenset()  # every link text, without whitespace


def read_page(tree: HtmlElement) -> RawPage:
    """Metadata and visible text of the raw page (``tree`` is modified: scripts etc. removed)."""
    title = _first(tree, "//title//text()") or _first(tree, "//meta[@property='og:title']/@content")
    description = _first(tree, "//meta[@name='description']/@content") or _first(
        tree, "//meta[@property='og:description']/@content"
    )
    language = _first(tree, "//html/@lang") or _first(tree, "//meta[@property='og:locale']/@content")
    for element in tree.xpath(_INVISIBLE):
        if element.tag == "noscript" and len(element.text_content()) > NOSCRIPT_MAX_CHARS:
            element.drop_tag()  # markup left open inside it (``<noscript><div></noscript>``) swallowed the page
        else:
            element.drop_tree()
    for element in tree.iter(*_BLOCK_TAGS):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    root = tree.find("body")
    text = _visible_lines(root) if root is not None else ""
    if not text:  # a page whose text the parser left outside <body>
        root, text = tree, _visible_lines(tree)
    links = [_SPACES.sub("", anchor.text_content()) for anchor in root.iter("a")]
    visible = len(_SPACES.sub("", text))
    anchors: dict[str, set[str]] = {}
    for link in links:
        if len(link) >= 4:
            anchors.setdefault(link[:4], set()).add(link)
    return RawPage(
        text=text,
        title=title,
        description=description,
        language=_primary_subtag(language),
        link_density=sum(map(len, links)) / visible if visible else 0.0,
        anchors={key: frozenset(group) for key, group in anchors.items()},
        items=tuple(list_items(root)),
        links=frozenset(links),
    )


def _visible_lines(root: HtmlElement) -> str:
    return "\n".join(line for line in (" ".join(raw.split()) for raw in root.text_content().split("\n")) if line)


def _first(tree: HtmlElement, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        if text := " ".join(str(value).split()):
            return text
    return None


def _primary_subtag(tag: str | None) -> str | None:
    primary = re.split(r"[-_]", tag.strip().lower())[0] if tag else ""
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def notice_page(page: RawPage) -> Rejection | None:
    """Empty pages and short error / consent / captcha notices."""
    if not page.text:
        return Rejection(EMPTY, "no visible text", page.title, page.description)
    if len(_SPACES.sub("", page.text)) > NOTICE_MAX_CHARS:
        return None
    # the notice is the page's message: its title or a line of its own, not a phrase in prose
    messages = [line.lower() for line in (page.title or "", *page.text.splitlines()) if len(line) <= NOTICE_LINE_CHARS]
    for reason, phrases in ((CONSENT_PAGE, CONSENT_PHRASES), (ERROR_PAGE, ERROR_PHRASES)):
        if found := next((phrase for phrase in phrases for line in messages if phrase in line), None):
            return Rejection(reason, f"short page saying {found!r}", page.title, page.description)
    return None
