"""List pages by their structure: the extracted text is a run of items that each open with a link.

A forum board (Tieba's thread list, a Discuz! ``forumdisplay`` table), a search result page and a tag
or category page all have the same shape: one parent element holding many sibling items of one kind
(same tag, same first class), each opening with a headline link to a different page, followed by a
short abstract, an author, a date, a reply count.  The abstracts are sentences, so a list page built
this way is not told from an article by its lack of prose (:func:`crawler.extract.body.judge_body`); its
structure tells it: when most of what the extraction kept lies inside such items, the page lists
articles and is not one.

An article's paragraphs are siblings of one kind too, but a paragraph does not open with a link to
another page; a "related articles" list opens every item with a link, but it is a small part of the
extracted text (usually none of it).

Pure: a parsed tree and the extraction's lines in, a share out.  Nothing is keyed to a site.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from lxml.html import HtmlElement

__all__ = ["LIST_MIN_ITEMS", "item_share", "list_items"]

LIST_MIN_ITEMS = 6  # a list shows at least this many items of one kind ...
HEADLINE_MIN_CHARS = 5  # ... each opening with a link text this long ...
LEAD_MAX_CHARS = 8  # ... after at most this much text (a reply count, a rank, a bullet)
ITEM_MAX_CHARS = 600  # an item is a teaser, not a chapter
ITEM_SHARE = 0.8  # of the siblings of that kind, this share open with a headline link ...
UNIQUE_TARGETS = 0.9  # ... and this share of those links go to pages of their own
MIN_LINE_CHARS = 4  # extracted lines shorter than this (counts, dates) are not compared


def list_items(root: HtmlElement) -> list[str]:
    """The texts (whitespace removed) of the items of every list-shaped group under ``root``."""
    found: list[str] = []
    # the elements with that many element children, in document order (an XPath: no Python object for
    # every element of the page)
    for parent in root.xpath("descendant-or-self::*[count(*) >= $least]", least=LIST_MIN_ITEMS):
        children = [child for child in parent if isinstance(child.tag, str)]
        kinds: dict[tuple[str, str], list[HtmlElement]] = defaultdict(list)
        for child in children:
            kinds[child.tag, _kind(child)].append(child)
        for members in kinds.values():
            if len(members) >= LIST_MIN_ITEMS:
                found.extend(_headline_items(members))
    return found


def item_share(items: Iterable[str], lines: Iterable[str]) -> float:
    """The share of the extracted text (``lines``, plain text) that lies inside list ``items``."""
    joined = "\n".join(items)
    flats = [_flat(line) for line in lines]
    covered = sum(len(flat) for flat in flats if len(flat) >= MIN_LINE_CHARS and flat in joined)
    total = sum(map(len, flats))
    return covered / total if total else 0.0


def _headline_items(members: list[HtmlElement]) -> list[str]:
    """The members' texts when enough of them open with a headline link, each to a page of its own:
    a forum thread's posts open with their authors' names, who post more than once; a page's teaser
    boxes name the companies of their press releases, several releases each."""
    texts, targets = [], []
    for member in members:
        text = _flat(member.text_content())
        if len(text) > ITEM_MAX_CHARS:
            continue
        link = next((a for a in member.iter("a") if len(_flat(a.text_content())) >= HEADLINE_MIN_CHARS), None)
        if link is None or text.find(_flat(link.text_content())) > LEAD_MAX_CHARS:
            continue
        texts.append(text)
        targets.append(link.get("href") or "")
    if len(texts) < max(LIST_MIN_ITEMS, ITEM_SHARE * len(members)) or len(set(targets)) < UNIQUE_TARGETS * len(texts):
        return []
    return texts


def _kind(element: HtmlElement) -> str:
    """An element's first class that names no one item (``post`` of ``post-1200 post type-post``)."""
    return next((name for name in (element.get("class") or "").split() if not any(c.isdigit() for c in name)), "")


def _flat(text: str) -> str:
    return "".join(text.split())
