"""What the spider yields: frozen records, handed by the pipeline to storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ArticleTarget:
    """An article URL to fetch, with the validators of the version already stored (if any)."""

    url: str
    discovered_from: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    page_key: str | None = None  # of the version stored (``crawler.pipeline.fastpath``): same bytes, no extraction
    stored: bool = False  # storage holds it: a 404/410 or a redirect away is its removal (``crawler.extract.removal``)


@dataclass(frozen=True)
class SiteTarget:
    """A site to discover articles on: section pages to follow, feeds and sitemaps to read."""

    name: str
    pages: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    robots: bool = True  # read Sitemap: lines from robots.txt
    roots: tuple[str, ...] = ()  # more URLs whose sites' robots.txt to read (a sitemaps-only crawl)


@dataclass(frozen=True)
class SourceValidators:
    """The HTTP validators a feed or leaf sitemap answered with when it was last read completely."""

    url: str  # as requested
    kind: str  # feed | sitemap
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class CrawlPlan:
    articles: tuple[ArticleTarget, ...] = ()
    sites: tuple[SiteTarget, ...] = ()
    known: frozenset[str] = frozenset()  # stored articles not due for a re-check: not fetched when rediscovered
    validators: tuple[SourceValidators, ...] = ()  # of the feeds and sitemaps it may request (conditional GET)


@dataclass(frozen=True)
class FetchedArticle:
    """A page that yielded an article."""

    url: str  # canonical (rel=canonical / og:url honoured)
    fetched_url: str
    discovered_from: str | None
    title: str | None
    body: str
    meta: dict[str, Any]
    fingerprint: str | None
    extractor: str
    extractor_version: str
    raw_body: bytes
    http_status: int
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class NotModified:
    """A conditional GET answered 304, or a 200 with the stored version's bytes (``crawler.pipeline.fastpath``):
    checked, unchanged, nothing extracted. Validators only when the answer brought new ones."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    reason: str = "304"  # 304 | same_bytes


@dataclass(frozen=True)
class RejectedPage:
    """A page that yields no article, with the reason (list page, error page, too little text...)."""

    url: str
    reason: str
    detail: str = ""
    title: str | None = None
    raw_body: bytes = b""
    http_status: int = 200


@dataclass(frozen=True)
class Missing:
    """A stored article's URL no longer serves it (``crawler.extract.removal``): 404 or 410 (``gone``), a removal
    notice in its place (``withdrawn``), or a permanent redirect to the home page, a section page or
    another site (``redirected``). Not an error:
    the recorder confirms it (a 404, ``final=False``, by the next check) and records the removal."""

    url: str  # as held
    kind: str  # gone | redirected
    http_status: int
    location: str | None = None  # where a redirect went
    final: bool = True
    notice: str | None = None  # the notice served in its place (withdrawn)


@dataclass(frozen=True)
class FetchError:
    """A request that failed: HTTP error status, timeout, refused, unparsable feed..."""

    url: str
    kind: str
    detail: str
