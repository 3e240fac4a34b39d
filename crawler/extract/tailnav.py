"""Related-news and navigation rows at the end of a body: a heading (``相关新闻``, ``延伸阅读``, ``热点新闻``,
``Related articles``...) followed by nothing but a run of short link lines, kept by the extractor after the
article's last paragraph.

:func:`strip_trailing_navigation` reads the body's lines from its end: while they are furniture -- a line
empty but for table pipes, a line the page's link texts cover (:data:`LINK_COVER`), a short line that is no
sentence -- it goes on; a related-news heading among them, with at least :data:`MIN_LINK_LINES` link lines
after it, is where the body ends.  A line of prose after the heading (a disclaimer, the article going on)
keeps everything: the block is cut only when nothing but furniture follows.  An editor's line
(``责任编辑：…``) is such a heading too when link lines follow it, but never cut alone.  At least
:data:`MIN_KEPT_SHARE` of the body's characters stay.  Pure: strings in, a string out.
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
_RELATED = re.compile(
    r"^(?:相关(?:新闻|阅读|文章|链接|报道|专题|推荐|资讯|内容|稿件|视频)|延伸阅读|推荐阅读|扩展阅读|热点(?:新闻|推荐|专题|文章)"
    r"|热门(?:新闻|文章|推荐)|更多(?:新闻|阅读|精彩|相关)|精彩(?:推荐|回顾|图片)|往期(?:回顾|推荐|精选)|猜你喜欢"
    r"|你可能(?:还)?(?:感兴趣|喜欢)|(?:责任)?编辑|related(?:articles|stories|news|posts|content)?|readmore"
    r"|more(?:stories|news|articles)|you(?:may|might)alsolike|recommended(?:foryou)?)$",  # spaces removed
    re.IGNORECASE,
)
_EDITOR = re.compile(r"^(?:责任)?编辑")
_DECORATION = re.compile(r"[\s|｜\-·•■□●◆▲►>»【】\[\]()（）:：*#_]+")
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
    if cut is None:
        return markdown
    total = sum(len(_SPACES.sub("", text)) for text in texts)
    kept = sum(len(_SPACES.sub("", text)) for text in texts[:cut])
    return "\n".join(lines[:cut]).rstrip() if kept >= MIN_KEPT_SHARE * total else markdown


def _covered(flat: str, links: list[str]) -> bool:
    """The page's link texts cover :data:`LINK_COVER` of ``flat`` (whitespace removed; the longest first,
    not overlapping)."""
    rest, covered = flat, 0
    for link in sorted((link for link in links if link in flat), key=len, reverse=True):
        if link in rest:
            covered += len(link) * rest.count(link)
            rest = rest.replace(link, "\0")
    return covered >= LINK_COVER * len(flat)
