"""A sidebar column before the article: the boxes of a table-layout blog that come first in document order.

2005-era blog templates (and many portals of the time) lay the page out in a ``<table>`` whose left column
holds the blog's boxes -- its notice (``公告``), a calendar, its categories, latest posts and comments, links,
statistics (``Blog信息``) -- and whose right column holds the post.  trafilatura keeps the tables, so the body
opens with the blog's name and those boxes before the post's header row.  The notice is prose, so the rule of
:mod:`crawler.extract.navtables` (chrome ends at the first prose) cannot see past it.

:func:`strip_sidebar` drops the leading blocks (runs of lines between blank lines) while they are the sidebar's:
a box -- its first row a box's label alone (:data:`BOX_LABELS`, ``**公告**``, ``我的分类（专题）``, ``Recent
Posts``) -- a calendar (a row of the seven weekday names), an empty row; before the first box also the banner
(short rows without a sentence: the blog's name).  It does so only when at least :data:`MIN_BOXES` boxes or
calendars open the body (one ``公告`` box heading a notice is the notice itself) and something is left; the
banner's texts are returned too: the blog's name, never the headline.  Pure: ``str`` in, ``str`` out.
"""

from __future__ import annotations

import re

__all__ = ["BOX_LABELS", "MIN_BOXES", "is_box_label", "strip_sidebar"]

MIN_BOXES = 2  # a sidebar shows at least this many boxes (or a calendar and a box)
MAX_BANNER_CHARS = 20  # a banner row (the blog's name, its motto) is this short
BOX_LABELS = frozenset((
    "公告", "站点公告", "博客公告", "分类", "专题", "日志分类", "文章分类", "日志更新", "最新日志",
    "最新文章", "最近文章", "最新评论", "最近评论", "最新留言", "留言板", "留言", "链接", "友情链接",
    "常用链接", "博客信息", "blog信息", "站点统计", "统计", "日志存档", "存档", "归档", "文章归档",
    "日历", "搜索", "站内搜索", "日志搜索", "相册", "订阅", "rss订阅", "标签", "热门标签", "个人资料",
    "作者简介", "关于我", "用户登录", "登录",
    "categories", "archives", "recentposts", "recentcomments", "recententries", "meta", "blogroll", "links",
    "calendar", "search", "tags", "subscribe", "profile", "aboutme",
))  # fmt: skip
_WEEKDAYS = (frozenset("日一二三四五六"), frozenset(("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
             frozenset(("so", "mo", "di", "mi", "do", "fr", "sa")), frozenset(("s", "m", "t", "w", "f")))
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_MARKUP = re.compile(r"\*\*|__|\\(?=.)|!?\[([^\]]*)\]\([^)]*\)")
_LABEL_NOISE = re.compile(r"[\s:：■□●◆▲►>»·•\-_*#]+|[（(][^）)]{1,8}[）)]$|^我的")
_SENTENCE = re.compile(r"[。！？!?，,；;]")
_RULE = frozenset("|-: ")


def strip_sidebar(markdown: str) -> tuple[str, tuple[str, ...]]:
    """``markdown`` without the sidebar boxes that open it, and the banner's texts (module docstring);
    ``(markdown, ())`` when it does not open with a sidebar."""
    blocks = _blocks(markdown)
    boxes, banner, start = 0, [], 0
    for start, block in enumerate(blocks):  # noqa: B007 (where the loop stopped is used)
        rows = [cells for cells in map(_cells, block) if any(cells)]
        if not rows:
            continue
        if _is_box(rows) or any(_is_calendar(cells) for cells in rows):
            boxes += 1
        elif boxes == 0 and all(_is_banner(cells) for cells in rows):
            banner += [cell for cells in rows for cell in cells if cell]
        else:
            break
    else:
        return markdown, ()
    if boxes < MIN_BOXES:
        return markdown, ()
    return "\n".join(line for block in blocks[start:] for line in block).strip("\n"), tuple(banner)


def _blocks(markdown: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in markdown.split("\n"):
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks[-1].append(line)
            blocks.append([])
    return [block for block in blocks if block]


def _cells(line: str) -> list[str]:
    stripped = line.strip()
    if stripped.startswith("|") and set(stripped) <= _RULE:
        return []
    raw = _CELL_SPLIT.split(stripped.strip("|")) if stripped.startswith("|") else [stripped]
    return [" ".join(_MARKUP.sub(lambda match: match.group(1) or "", cell).split()) for cell in raw]


def is_box_label(text: str) -> bool:
    """``text`` is a sidebar box's label (``公告``, ``我的分类（专题）``, ``Blog信息``, ``Recent Posts``): no
    headline."""
    return _LABEL_NOISE.sub("", " ".join(text.split())).casefold() in BOX_LABELS


def _is_box(rows: list[list[str]]) -> bool:
    """The block's first row is a box's label alone."""
    filled = [cell for cell in rows[0] if cell]
    return len(filled) == 1 and is_box_label(filled[0])


def _is_calendar(cells: list[str]) -> bool:
    names = [cell.casefold().strip(".") for cell in cells if cell]
    return len(names) == 7 and any(set(names) <= days for days in _WEEKDAYS)


def _is_banner(cells: list[str]) -> bool:
    filled = [cell for cell in cells if cell]
    return len(filled) == 1 and len("".join(filled[0].split())) <= MAX_BANNER_CHARS and not _SENTENCE.search(filled[0])
