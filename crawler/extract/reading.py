"""One reading of a fetched HTML page, pure: bytes in, a :class:`Reading` out.

The spider hands every article or section page to a worker (:mod:`crawler.extract.pool`) as a :class:`Page`
(plain data: the body, the Content-Type, the URLs, what it will use); the worker decodes the body once
(:func:`crawler.encoding.decode_body`), parses it once (:func:`crawler.htmltree.parse_html`), and reads
off that one tree what the spider needs: the canonical URL the page declares
(:func:`crawler.discover.canonical.declared_canonical` semantics), the feeds it announces
(:func:`~crawler.discover.links.discover_feeds`), its same-site links (:func:`~crawler.discover.links.site_links`,
only when they may be followed and the page is no article), and the extraction
(:func:`crawler.extract.article.extract`). The reactor's process neither decodes nor parses an article; it reads
a configured section page itself (links and feeds only: one parse, cheaper than waking the pool).
"""

from __future__ import annotations

from dataclasses import dataclass

from newswatch.crawler.discover.canonical import canonical_of
from newswatch.crawler.discover.links import feeds_of, hrefs_of, site_links_of
from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract_tree
from newswatch.crawler.extract.rejection import Rejection
from newswatch.crawler.extract.selectors import Selection
from newswatch.crawler.htmltree import parse_html, without_controls

Rules = tuple[tuple[str, ...], tuple[str, ...]]  # include, exclude: plain data, picklable


@dataclass(frozen=True)
class Page:
    """What the worker gets for one page."""

    body: bytes
    content_type: str | None  # the response's Content-Type header
    url: str  # the URL the response came from (links and feeds resolve against it)
    landed: str  # the canonical URL landed on: the article's URL when the page declares none
    follow: bool = False  # its same-site links are wanted (when it is no article)
    extract: bool = True  # False: a configured section page, links and feeds only
    rules: Rules | None = None  # the source's include/exclude selectors


@dataclass(frozen=True)
class Reading:
    """What one page says: ``url`` is its declared canonical URL, else the one landed on."""

    url: str
    canonical: str | None  # the declared canonical URL (``<link rel=canonical>``, ``og:url``), if any
    feeds: tuple[str, ...]  # the feeds it announces
    links: tuple[str, ...]  # its same-site links: only when asked (``Page.follow``) and no article
    result: Article | Rejection | None  # the extraction (None when not asked)


def failed(page: Page, rejection: Rejection) -> Reading:
    """The reading of a page whose worker died or timed out (or whose markup lxml refused)."""
    return Reading(page.landed, None, (), (), rejection if page.extract else None)


def read(page: Page, selection: Selection | None = None) -> Reading:
    """Decode, parse once, and read canonical URL, feeds, links and extraction off the one tree."""
    html = without_controls(decode_body(page.body, page.content_type))
    tree = parse_html(html)
    if tree is None:
        result = extract_tree(None, html, page.landed, selection) if page.extract else None
        return Reading(page.landed, None, (), (), result)
    hrefs = hrefs_of(tree)  # before the extraction changes the tree
    canonical = canonical_of(tree, page.url) if page.extract else None
    feeds = feeds_of(tree, hrefs, page.url)
    url = canonical or page.landed
    result = extract_tree(tree, html, url, selection) if page.extract else None
    links = site_links_of(hrefs, page.url) if page.follow and not isinstance(result, Article) else ()
    return Reading(url, canonical, feeds, links, result)
