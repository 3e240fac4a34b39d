"""Related-news and navigation rows at the end of a body: a heading (``相关新闻``, ``延伸阅读``, ``热点新闻``,
``Related articles``...) followed by nothing but a run of short link lines, kept by the extractor after the
article's last paragraph.

:func:`strip_trailing_navigation` reads the body's lines from its end: while they are furniture -- a line
empty but for table pipes, a line the page's link texts cover (:data:`LINK_COVER`), a short line that is no
sentence -- it goes on; a related-news heading among them, with at least :data:`MIN_LINK_LINES` link lines
after it, is where the body ends.  A line of prose after the heading (a disclaimer, the article going on)
keeps everything: the block is cut only when nothing but furniture follows.  An editor's line
(``责任编辑：…``) is such a heading too when link lines follow it, but never cut alone.  At least
:data:`MIN_KEPT_SHARE` of the body's characters stay.  The furniture rows just above the heading go with it (link
lines, a menu list, a toolbar ``【打印】【关闭】``, a "more" button: menus that sit above a related-news heading);
the article's own short last lines (a byline, an item) stop that.  A site's disclaimer of its readers' or
contributors' words closing the body goes too (``网友评论仅供其表达个人看法…``,
``… is not responsible for the opinions``).  Pure: strings in, a string out.
"""

from __future__ import annotations

import re

from newswatch.crawler.extract.markdown import markdown_to_text

__all__ = ["LINK_COVER", "MIN_KEPT_SHARE", "MIN_LINK_LINES", "is_related_heading", "strip_trailing_navigation"]

LINK_COVER = 0.6  # a line whose characters are this much link text is a link line
MIN_LINK_LINES = 2  # a heading cuts only with this many link lines after it
MIN_KEPT_SHARE = 0.5  # ... and when the body before it holds this much of the body's text
MAX_SHORT_CHARS = 20  # a line this short without a sentence's end is furniture ("查看全部", "返回页首 | 关闭窗口")
MIN_LINK_CHARS = 4  # shorter link texts ("更多", "1") cover nothing
MAX_DISCLAIMER_CHARS = 200  # a site's disclaimer closing the body is one short paragraph
MIN_TOOL_ITEMS = 3  # a toolbar row above the heading: this many items ...
MAX_TOOL_CHARS = 10  # ... each this short
MAX_MENU_ITEM_CHARS = 4  # a menu list's item ("- 推荐") above link items joins them
_RELATED = re.compile(
    r"^(?:相关(?:新闻|阅读|文章|链接|报道|专题|推荐|资讯|内容|稿件|视频)|延伸阅读|推荐阅读|扩展阅读|热点(?:新闻|推荐|专题|文章)"
    r"|热门(?:新闻|文章|推荐)|更多(?:新闻|阅读|精彩|相关)|精彩(?:推荐|回顾|图片)|往期(?:回顾|推荐|精选)|猜你喜欢"
    r"|你可能(?:还)?(?:感兴趣|喜欢)|(?:责任)?编辑|related(?:articles|stories|news|posts|content)?|readmore"
    r"|more(?:stories|news|articles)|you(?:may|might)alsolike|recommended(?:foryou)?)$",  # spaces removed
    re.IGNORECASE,
)
_EDITOR = re.compile(r"^(?:责任)?编辑")
_DECORATION = re.compile(r"[\s|｜\-·•■□●◆▲►>»【】\[\]()（）:：*#_]+")
_MORE = re.compile(r"更多|查看全部|加载|^(?:loadmore|more|showmore|viewall)", re.IGNORECASE)
_DISCLAIMER = re.compile(  # spaces removed
    r"仅供其?表达个人看法|不代表本(?:网|站|报|平台|刊)(?:的)?(?:观点|立场)|并不(?:表明|代表)[^，。]{0,8}(?:观点|立场)"
    r"|isnotresponsibleforthe(?:opinions|views|content)|(?:opinions|views)expressed(?:in|by)"
    r"(?:thecomments|readers|contributors|users)",
    re.IGNORECASE,
)
_ITEM = re.compile(r"\s*[-+*]\s")
_TOOL_SEPARATOR = re.compile(r"[|｜【】\[\]·•]+|\s[-/]\s")
_SENTENCE = re.compile(r"[。！？!?；;]|\.(?:\s|$)")
_SPACES = re.compile(r"\s+")


def is_related_heading(line: str) -> bool:
    """``line`` (plain text) is a related-news or editor heading: ``相关新闻：``, ``【责任编辑：张三】``,
    ``## Related articles``."""
    label = _DECORATION.sub("", line)
    editor = _EDITOR.match(label)
    return bool(label) and (_RELATED.match(label) is not None or (editor is not None and len(label) <= 12))


def strip_trailing_navigation(markdown: str, links: frozenset[str]) -> str:
    """``markdown`` without a related-news block at its end (module docstring); ``links``: the page's link
    texts, whitespace removed."""
    lines = markdown.split("\n")
    texts = [" ".join(markdown_to_text(line).split()) for line in lines]
    usable = [link for link in links if len(link) >= MIN_LINK_CHARS]
    cut, link_lines = None, 0
    for index in range(len(lines) - 1, -1, -1):
        text = texts[index]
        flat = _DECORATION.sub("", text)
        if not flat:
            continue
        if is_related_heading(text) and link_lines >= MIN_LINK_LINES:
            cut = index
        elif _covered(_SPACES.sub("", text), usable):
            link_lines += 1
        elif len(flat) > MAX_SHORT_CHARS or _SENTENCE.search(text):
            break
    if cut is not None:
        cut = _furniture_above(lines, texts, cut, (usable, links))
    cut = _disclaimer_above(texts, len(lines) if cut is None else cut)
    total = sum(len(_SPACES.sub("", text)) for text in texts)
    kept = sum(len(_SPACES.sub("", text)) for text in texts[:cut])
    return "\n".join(lines[:cut]).rstrip() if cut < len(lines) and kept >= MIN_KEPT_SHARE * total else markdown


def _disclaimer_above(texts: list[str], cut: int) -> int:
    """Where the body ends once the site's disclaimers closing it go: the last lines (up to ``cut``) that
    disclaim the readers' or contributors' words (``网友评论仅供其表达个人看法，并不表明网易立场。``,
    ``NOW Grenada is not responsible for the opinions … presented by contributors``)."""
    for index in range(cut - 1, -1, -1):
        flat = _SPACES.sub("", texts[index])
        if not _DECORATION.sub("", texts[index]):
            continue
        if len(flat) > MAX_DISCLAIMER_CHARS or _DISCLAIMER.search(flat) is None:
            break
        cut = index
    return cut


def _furniture_above(lines: list[str], texts: list[str], cut: int, found: tuple[list[str], frozenset[str]]) -> int:
    """Where the block cut at ``cut`` starts once the furniture rows just above its heading join it: link
    lines (a line that is one link's text, however short: a tab ``娱乐``), toolbar rows (``【打印】【关闭】``,
    ``首页 | 娱乐 | 体育``) and "more" buttons (``加载更多新闻``); the first other line stops it (a short line of
    the article, its byline or its last sentence stays); a short item of a menu list whose items below are
    furniture (``- 推荐`` over ``- 娱乐``) joins too."""
    usable, links = found
    start = cut
    for index in range(cut - 1, -1, -1):
        text = texts[index]
        flat = _DECORATION.sub("", text)
        if not flat:
            continue  # an empty row, a table rule
        item = _ITEM.match(lines[index]) is not None and len(flat) <= MAX_MENU_ITEM_CHARS
        if not (flat in links or _covered(_SPACES.sub("", text), usable) or _is_toolbar(text)
                or (len(flat) <= MAX_TOOL_CHARS and _MORE.search(flat) is not None)
                or (item and _ITEM.match(lines[start]) is not None)):
            break
        start = index
    return start


def _is_toolbar(text: str) -> bool:
    """A row of at least :data:`MIN_TOOL_ITEMS` short items between brackets, pipes or bullets."""
    items = [item for item in _TOOL_SEPARATOR.split(text) if item.strip()]
    return len(items) >= MIN_TOOL_ITEMS and all(len(_SPACES.sub("", item)) <= MAX_TOOL_CHARS for item in items)


def _covered(flat: str, links: list[str]) -> bool:
    """The page's link texts cover :data:`LINK_COVER` of ``flat`` (whitespace removed; the longest first,
    not overlapping)."""
    rest, covered = flat, 0
    for link in sorted((link for link in links if link in flat), key=len, reverse=True):
        if link in rest:
            covered += len(link) * rest.count(link)
            rest = rest.replace(link, "\0")
    return covered >= LINK_COVER * len(flat)
