"""Discovery on HTML pages, pure: links to follow, which of them look like articles, the feeds the page
announces (the page's own canonical URL: :mod:`crawler.discover.canonical`). Each has a str form (which parses
the page, :func:`crawler.htmltree.parse_text`) and a tree form (``feeds_of``, ``hrefs_of``
then ``links_of``/``site_links_of``) for the worker's one reading of a page (:mod:`crawler.extract.reading`).

Whether a fetched page is an article is judged on its content (the spider extracts every page); the URL
shape below only orders the crawl and lets article-shaped links one hop past ``max_depth`` be fetched.
Links to static files (images, scripts, archives, media) are never worth a request.

Article-URL heuristics (no per-site rules): a URL looks like an article when its path carries a
date (``/2025/02/11/``, ``/20250211/``, ``/25/0211/``), a long numeric or alphanumeric id in a file
name (``/a/20250208A073F400``, ``/123456.html``, ``.shtml``), or WeChat's ``/s?__biz=`` form; and it
does not look like a listing, tag, author, search, login or static-file URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from newswatch.crawler.htmltree import parse_text
from newswatch.crawler.urls import same_site, split_url, try_canonical_url

FEED_LINK_TYPES = frozenset({  # the ``type`` of a ``<link rel="alternate">`` announcing a feed
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json",
    "application/json", "application/x-atom+xml", "application/x.atom+xml", "application/rss",
    "application/atom", "text/rss+xml", "text/atom+xml", "text/xml", "application/xml",
})
# trafilatura.feeds' BLACKLIST and LINK_VALIDATION_RE, copied: importing them loads all of trafilatura on a
# run that may extract nothing (tests/crawler/discover/test_discovery_patterns.py keeps them equal)
BLACKLIST = re.compile(r"\bcomments\b")  # no comment feed
LINK_VALIDATION_RE = re.compile(
    r"\.(?:atom|rdf|rss|xml)$|\b(?:atom|rss)\b|\?type=100$|feeds/posts/default/?$|\?feed=(?:atom|rdf|rss|rss2)|feed$"
)

_DATE_PATH = re.compile(r"/(?:19|20)\d{2}[/-]?[01]\d(?:[/-]?[0-3]\d)?(?:/|[^/]*$)|/\d{2}/[01]\d[0-3]\d/")
_ID_FILE = re.compile(r"/[^/]*\d{5,}[^/]*(?:\.s?html?|\.php|\.aspx?)?$|/[A-Za-z0-9_-]*\d[A-Za-z0-9_-]{7,}/?$")
_NOT_ARTICLE = re.compile(
    r"/(?:tag|tags|topic|topics|category|categories|author|authors|search|login|register|signup|user|"
    r"list|index|page|archive|archives|feed|rss|comment|comments|video|live|special)(?:[/_.-]|$)"
    r"|\.(?:jpe?g|png|gif|webp|svg|css|js|pdf|zip|mp4|mp3|xml|json|txt)$",
    re.IGNORECASE,
)


def looks_like_article(url: str) -> bool:
    """True when ``url`` has the shape of an article page rather than a listing or a file."""
    parts = split_url(url)
    if parts is None:
        return False
    if parts.hostname == "mp.weixin.qq.com":
        return (parts.path == "/s" and "__biz=" in parts.query) or parts.path.startswith("/s/")
    path = parts.path
    if path in ("", "/") or _NOT_ARTICLE.search(path):
        return False
    return bool(_DATE_PATH.search(path) or _ID_FILE.search(path))


_STATIC_FILE = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|css|js|pdf|zip|gz|rar|7z|exe|dmg|mp4|mp3|m4a|avi|mov|wav|woff2?|ttf)$",
    re.IGNORECASE,
)


def worth_fetching(url: str) -> bool:
    """False for a link to a static file (by its path's extension): never an article or a section page."""
    parts = split_url(url)
    return parts is not None and not _STATIC_FILE.search(parts.path)


def site_links(html: str, base_url: str) -> tuple[str, ...]:
    """The page's same-site links worth fetching (not itself, not static files), canonical, in order."""
    return site_links_of(hrefs_of(parse_text(html)), base_url)


def page_links(html: str, base_url: str) -> tuple[str, ...]:
    """Every distinct http(s) link on the page, canonical, in document order."""
    return links_of(hrefs_of(parse_text(html)), base_url)


def follow_links(html: str, base_url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Same-site links split into ``(articles, other pages)`` by :func:`looks_like_article`."""
    articles: list[str] = []
    others: list[str] = []
    page = try_canonical_url(base_url)
    for url in page_links(html, base_url):
        if not same_site(url, base_url) or url == page:
            continue
        (articles if looks_like_article(url) else others).append(url)
    return tuple(articles), tuple(others)


@dataclass(frozen=True)
class Hrefs:
    """The raw link targets of a page: its ``<base href>`` and every ``<a href>``, in document order (read
    off the tree before the extraction changes it, resolved only when the links are wanted)."""

    base: str | None
    hrefs: tuple[str, ...]


def hrefs_of(tree: HtmlElement | None) -> Hrefs:
    if tree is None:
        return Hrefs(None, ())
    base = next(iter(tree.xpath("//base/@href")), None)
    return Hrefs(str(base) if base is not None else None, tuple(str(href) for href in tree.xpath("//a/@href")))


def links_of(hrefs: Hrefs, base_url: str) -> tuple[str, ...]:
    """:func:`page_links` of a page's :class:`Hrefs`."""
    resolved_base = try_canonical_url(hrefs.base, base_url) if hrefs.base else None
    found: dict[str, None] = {}
    for href in hrefs.hrefs:
        url = try_canonical_url(href, resolved_base or base_url)
        if url is not None:
            found.setdefault(url, None)
    return tuple(found)


def site_links_of(hrefs: Hrefs, base_url: str) -> tuple[str, ...]:
    """:func:`site_links` of a page's :class:`Hrefs`."""
    page = try_canonical_url(base_url)
    return tuple(url for url in links_of(hrefs, base_url)
                 if url != page and same_site(url, base_url) and worth_fetching(url))


def discover_feeds(html: str, base_url: str, *, allow_external: bool = False) -> tuple[str, ...]:
    """Feed URLs announced by an HTML page, canonical, in document order, without duplicates.

    ``<link rel="alternate">`` with a feed media type first; feed-looking ``<a href>`` links
    (trafilatura's ``LINK_VALIDATION_RE``: ``/rss``, ``/feed``, ``.xml``, ``atom``...) only when the
    page announces none. Comment feeds, WordPress REST links (``/wp-json/``) and oEmbed are skipped.
    Same site only (the host, its ``www.`` twin, or a subdomain of either) unless ``allow_external``.
    """
    tree = parse_text(html)
    return feeds_of(tree, hrefs_of(tree), base_url, allow_external=allow_external) if tree is not None else ()


def feeds_of(tree: HtmlElement, hrefs: Hrefs, base_url: str, *, allow_external: bool = False) -> tuple[str, ...]:
    """:func:`discover_feeds` of a parsed page (``hrefs``: its :func:`hrefs_of`)."""
    resolved_base = (try_canonical_url(hrefs.base, base_url) if hrefs.base else None) or base_url
    candidates = _alternate_links(tree) or [href for href in hrefs.hrefs if LINK_VALIDATION_RE.search(href)]
    found: dict[str, None] = {}
    page = try_canonical_url(base_url)
    for href in candidates:
        url = try_canonical_url(href, resolved_base)
        if url is None or BLACKLIST.search(url) or url == page:
            continue
        if allow_external or same_site(url, base_url):
            found.setdefault(url)
    return tuple(found)


def _alternate_links(tree: HtmlElement) -> list[str]:
    found = []
    for link in tree.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        mime = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rels and mime in FEED_LINK_TYPES and href and "/wp-json/" not in href:
            found.append(href)
    return found
