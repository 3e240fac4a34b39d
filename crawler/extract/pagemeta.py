"""What a page's markup says about itself: its headline candidates and its publisher candidates.

Reads a parsed tree (not modified) into the plain records of :mod:`crawler.extract.titles` and
:mod:`crawler.extract.publisher`, which do the choosing.  Values are taken as found (whitespace collapsed);
at most :data:`MAX_H1` ``<h1>`` elements are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

from newswatch.crawler.extract.jsonld import jsonld_objects, names_of, strings_of
from newswatch.crawler.extract.publisher import PublisherCandidates
from newswatch.crawler.extract.titles import TitleCandidates

__all__ = ["MAX_H1", "PageMeta", "read_page_meta"]

MAX_H1 = 3
MAX_LABEL_CHARS = 4  # an element this short opening a headline is a label ("原创", "独家", "视频")
MAX_STRONG = 40  # bold texts read (outside links): a page without a title may show its headline so
_STRONG = "//b[not(ancestor::a)]|//strong[not(ancestor::a)]"


@dataclass(frozen=True)
class PageMeta:
    """The title and publisher candidates of one page."""

    titles: TitleCandidates
    publisher: PublisherCandidates
    declares_article: bool = False  # og:type / JSON-LD say "article" and give a publication time


def read_page_meta(tree: HtmlElement) -> PageMeta:
    objects = jsonld_objects(tree)
    metas = _metas(tree)
    headline = next((text for obj in objects for text in strings_of(obj.get("headline"))), None)
    publishers = tuple(name for obj in objects for name in names_of(obj.get("publisher")))
    title = _first(tree, "//title//text()")
    site_name = _meta(metas, "property", "og:site_name")
    application = _meta(metas, "name", "application-name")
    titles = TitleCandidates(
        og=_meta(metas, "property", "og:title"),
        twitter=_meta(metas, "name", "twitter:title") or _meta(metas, "property", "twitter:title"),
        headline=headline,
        h1=tuple(text for element in tree.xpath("//h1")[:MAX_H1] if (text := _heading(element))),
        h2=tuple(text for element in tree.xpath("//h2")[:MAX_H1] if (text := _text(element))),
        strong=tuple(text for element in tree.xpath(_STRONG)[:MAX_STRONG] if (text := _text(element))),
        title=title,
        site_name=site_name or application,
    )
    publisher = PublisherCandidates(
        jsonld=publishers,
        og_site_name=site_name,
        application_name=application,
        publisher_meta=tuple(v for name in ("dc.publisher", "citation_publisher") if (v := _meta(metas, "name", name))),
        title=title,
        copyright=_meta(metas, "name", "copyright"),
    )
    return PageMeta(titles, publisher, _declares_article(metas, objects))


ARTICLE_TYPES = frozenset((
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "reviewnewsarticle", "backgroundnewsarticle", "socialmediaposting", "liveblogposting", "techarticle",
    "scholarlyarticle", "report",
))  # fmt: skip


def _declares_article(metas: Metas, objects: tuple[dict[str, Any], ...]) -> bool:
    """The page says it is one article: ``og:type`` article or a JSON-LD article type, and a publication
    time (``article:published_time`` or JSON-LD ``datePublished``)."""
    typed = [obj for obj in objects if ARTICLE_TYPES & {t.casefold() for t in strings_of(obj.get("@type"))}]
    og_article = (_meta(metas, "property", "og:type") or "").casefold() == "article"
    published = _meta(metas, "property", "article:published_time") or any(
        strings_of(obj.get("datePublished")) for obj in typed
    )
    return bool((og_article or typed) and published)


Metas = dict[tuple[str, str], list[str]]
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _metas(tree: HtmlElement) -> Metas:
    """The ``content`` of every ``<meta>`` by its ``property`` and by its ``name`` (the value with its ASCII
    letters lowered, as XPath's ``translate`` would), in document order: one walk over the page, not one
    XPath for each key read."""
    found: Metas = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if content is None:
            continue
        for attribute in ("property", "name"):
            value = element.get(attribute)
            if value is not None:
                found.setdefault((attribute, value.translate(_ASCII_LOWER)), []).append(content)
    return found


def _meta(metas: Metas, attribute: str, key: str) -> str | None:
    """The first non-empty ``content`` of ``<meta {attribute}="{key}">`` (key compared case-blind)."""
    return next((text for value in metas.get((attribute, key), ()) if (text := " ".join(value.split()))), None)


def _first(tree: HtmlElement, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        if text := " ".join(str(value).split()):
            return text
    return None


def _heading(element: HtmlElement) -> str | None:
    """An ``<h1>``'s text; a short element opening it (``<span>原创</span>标题``: a label) stands apart."""
    first = next(iter(element), None)
    if first is not None and not (element.text or "").strip() and isinstance(first.tag, str) and first.tag != "a":
        label = " ".join(first.text_content().split())
        if 0 < len(label) <= MAX_LABEL_CHARS:
            return " ".join(f"{label} {' '.join((first.tail or '').split())} {_text_after(first)}".split()) or None
    return _text(element)


def _text_after(first: HtmlElement) -> str:
    return " ".join("".join(sibling.text_content() + (sibling.tail or "") for sibling in first.itersiblings()).split())


def _text(element: HtmlElement) -> str | None:
    return " ".join(element.text_content().split()) or None
