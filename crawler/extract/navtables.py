"""Page chrome at the top of an extracted body: the menus and breadcrumbs of table-layout pages.

Old portal pages (the 2005-era ``<table>`` layouts) put everything in table cells: the site's menu
(``| 首页 - 新闻 - 体育 - … |``), the breadcrumb (``| 当前位置：首页->军事技术 |``), the headline and
dateline rows, and finally the article itself, often as one long cell.  trafilatura keeps the tables
(``include_tables``), so the body starts with a stack of Markdown table rows before the first sentence.

:func:`strip_leading_navigation` drops that stack: the blocks before the first prose (a sentence-like
cell or line) when at least one of them is a menu or a breadcrumb -- the evidence that they are the
page's chrome and not a data table the article opens with.  The row holding the first prose is kept
as a plain paragraph (its prose cells).  A body without prose, or whose leading blocks show no menu
or breadcrumb, is returned unchanged; a heading ends the search (the article has begun).

Pure: ``str`` in, ``str`` out.
"""

from __future__ import annotations

import re

from newswatch.crawler.extract.tailnav import strip_trailing_navigation

__all__ = ["headline_row", "is_breadcrumb", "is_menu", "strip_leading_navigation", "strip_navigation"]

MENU_MIN_ITEMS = 3  # a menu names at least three places ...
MENU_ITEM_CHARS = 15  # ... each a short name
PROSE_MIN_CHARS = 20  # a sentence-like cell: this long, with a full stop ...
PROSE_CLAUSE_CHARS = 40  # ... or longer than a headline, with clauses
HEADLINE_MIN_CHARS = 6  # a headline row: one text of this many characters ...
HEADLINE_MAX_CHARS = 60  # ... up to this many

_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_MENU_SEPARATOR = re.compile(r"\s*(?:\\\||[｜│┃]|\s[-－—·/]\s|\|)\s*|\s{2,}")
_COPYRIGHT = re.compile(r"^\W*(?:copyright|©|\(c\)|版权所有)", re.I)
_ARROW = re.compile(r"-+>|>>|＞|»|→|\s>\s|－>")
_BREADCRUMB_LABEL = re.compile(r"^\W*(?:当前位置|[您你](?:现在)?的位置|现在位置|所在位置|位置)\s*[:：]")
_PROSE = re.compile(r"[，,；;]|[！？!?].*[！？!?]")
_FULL_STOP = re.compile(r"。|[^\W\d_]\.(?:\s|$)")
_MARKUP = re.compile(r"\*\*|__|\\(?=.)|!?\[([^\]]*)\]\([^)]*\)")
_RULE = frozenset("|-: ")
_POST_HEADER = re.compile(r"\*\*(.+?)\*\*\s*(.+)$")
_DATELINE = re.compile(r"\d{4}\s*[-年/.]\s*\d{1,2}|来源|作者|发布|编辑|点击")
_ALPHABETIC = re.compile(r"[^\W\d_\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]{2}")  # a word of letters, not CJK


def strip_navigation(markdown: str, title: str | None = None, links: frozenset[str] = frozenset()) -> str:
    """``markdown`` without its opening menus (:func:`strip_leading_navigation`) and its closing related-news
    rows (:func:`crawler.extract.tailnav.strip_trailing_navigation`)."""
    return strip_trailing_navigation(strip_leading_navigation(markdown, title, links), links)


def strip_leading_navigation(markdown: str, title: str | None = None, links: frozenset[str] = frozenset()) -> str:
    """``markdown`` without the menu, breadcrumb and header rows before its first prose (a row or line
    repeating ``title`` is a header row too; a row of short cells is a menu bar when they are ``links``,
    the page's link texts without whitespace)."""
    lines = markdown.split("\n")
    evidence = False
    headline = _flat(title or "")
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or (stripped.startswith("|") and set(stripped) <= _RULE):
            continue
        if stripped.startswith("#"):  # a heading: the article has begun
            return _rest(lines, index, line) if evidence else markdown
        row = stripped.startswith("|")
        raw = _CELL_SPLIT.split(stripped.strip("|")) if row else [stripped]
        cells = [_plain(cell) for cell in raw]
        prose = [cell.strip() for cell, plain in zip(raw, cells, strict=True)
                 if _is_prose(plain) and not is_menu(plain) and not _COPYRIGHT.search(plain)]
        if prose:
            return _rest(lines, index, " ".join(prose) if row else line) if evidence else markdown
        if any(is_menu(cell) or is_breadcrumb(cell) or _COPYRIGHT.search(cell) or (headline and _flat(cell) == headline)
               for cell in cells) \
                or _is_menu_row(cells, links):
            evidence = True
        elif not row and not evidence:
            return markdown  # a plain line before any chrome: a lead, a byline -- the article
    return markdown


def _rest(lines: list[str], index: int, first: str) -> str:
    return "\n".join([first, *lines[index + 1 :]]).strip("\n")


def headline_row(markdown: str) -> str | None:
    """The headline a table-layout page shows in a row of its own before the first prose: the last
    single-text row there that is no menu, breadcrumb, dateline or copyright line, or the bold headline of a
    post's header row (``**标题** 作者 发表于 2005-9-15 11:46``)."""
    found = None
    for line in markdown.split("\n"):
        stripped = line.strip()
        if not stripped.startswith("|"):
            if stripped:
                break
            continue
        raws = [raw.strip() for raw in _CELL_SPLIT.split(stripped.strip("|")) if _plain(raw)]
        cells = [_plain(raw) for raw in raws]
        if any(_is_prose(cell) for cell in cells):
            break
        cell = cells[0] if len(cells) == 1 else ""
        header = _POST_HEADER.match(raws[0]) if len(raws) == 1 else None
        if header is not None and _DATELINE.search(header.group(2)):
            cell = _plain(header.group(1))  # a post's header row: "**标题** 作者 发表于 2005-9-15 11:46"
        if HEADLINE_MIN_CHARS <= len(_flat(cell)) <= HEADLINE_MAX_CHARS and not _chrome(cell):
            found = cell
    return found


def _chrome(cell: str) -> bool:
    return is_menu(cell) or is_breadcrumb(cell) or bool(_COPYRIGHT.search(cell) or _DATELINE.search(cell))


def is_menu(text: str) -> bool:
    """A line of short names between separators: ``首页 - 新闻 - 体育``, ``首页 | 滚动 | 国内``."""
    items = [item for item in _MENU_SEPARATOR.split(text) if item.strip()]
    if len(items) < MENU_MIN_ITEMS and not _ALPHABETIC.search(text):
        items = text.split()  # Chinese menus are often names between single spaces
    return len(items) >= MENU_MIN_ITEMS and all(len(_flat(item)) <= MENU_ITEM_CHARS for item in items)


def is_breadcrumb(text: str) -> bool:
    """``当前位置：首页->军事技术``, ``网易首页--> 主频道--> 电力``, ``首页 > 产经资讯 > 正文``."""
    return bool(_BREADCRUMB_LABEL.search(text)) or len(_ARROW.findall(text)) >= 2


def _is_menu_row(cells: list[str], links: frozenset[str]) -> bool:
    """A table row of at least three short, non-empty cells, links all: a menu bar (a data table's
    cells are no links)."""
    filled = [_flat(cell) for cell in cells if cell]
    return len(filled) >= MENU_MIN_ITEMS and all(len(cell) <= MENU_ITEM_CHARS and cell in links for cell in filled)


def _plain(text: str) -> str:
    return " ".join(_MARKUP.sub(lambda match: match.group(1) or "", text).split())


def _is_prose(cell: str) -> bool:
    """A sentence: a full stop, or clauses (commas, several ! ?) in a text longer than a headline."""
    chars = len(_flat(cell))
    return (chars >= PROSE_MIN_CHARS and bool(_FULL_STOP.search(cell))) or (
        chars >= PROSE_CLAUSE_CHARS and bool(_PROSE.search(cell)))


def _flat(text: str) -> str:
    return "".join(text.split())
