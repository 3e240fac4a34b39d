"""The news spider's judgement of an HTML page, whatever found it: an article stored (and the feeds it
announces read); a stored article's removal; a rejection when something said it was an article; a section
page, its links offered to the frontier within depth. Pages are read off the event loop
(:mod:`crawler.extract.pool`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

from scrapy.http import Request, Response

from newswatch.crawler.discover.frontier import SECTION_LANE, Entry, Frontier
from newswatch.crawler.discover.links import looks_like_article
from newswatch.crawler.encoding import looks_binary
from newswatch.crawler.extract.article import Article
from newswatch.crawler.extract.pool import ExtractionPool, rules_of
from newswatch.crawler.extract.reading import Page, Reading, failed, read
from newswatch.crawler.extract.rejection import EMPTY, Rejection
from newswatch.crawler.extract.removal import WITHDRAWN, notice_of
from newswatch.crawler.items import FetchedArticle, FetchError, Missing, NotModified, RejectedPage
from newswatch.crawler.options import CrawlOptions
from newswatch.crawler.pipeline.fastpath import PageKeys, same_bytes
from newswatch.crawler.spiders.missing import missing_of, recheck_request
from newswatch.crawler.spiders.responses import fetched_item, landed_url, request_meta, requested_url
from newswatch.crawler.urls import for_site, site_of

Item = FetchedArticle | NotModified | RejectedPage | FetchError | Missing


class _Spider(Protocol):
    """What the judgement needs of the spider (:class:`crawler.spiders.news.NewsSpider`)."""

    @property
    def frontier(self) -> Frontier: ...
    @property
    def options(self) -> CrawlOptions: ...
    @property
    def extraction(self) -> ExtractionPool: ...
    @property
    def page_keys(self) -> PageKeys: ...
    @property
    def max_depth(self) -> int: ...
    def source_name_for(self, url: str) -> str | None: ...
    def follow_section(self, reading: Reading, page_url: str, depth: int) -> Iterator[Request]: ...
    def _count(self, key: str, n: int = 1) -> None: ...
    def _settle(self, meta: dict[str, Any]) -> None: ...
    def _release_all(self) -> Iterator[Request]: ...
    def _answered(self, response: Response) -> Entry: ...
    def _offer(self, entry: Entry) -> None: ...
    def _reject(self, page: RejectedPage) -> RejectedPage: ...
    def _feed_request(self, url: str, held: bool = False) -> Iterator[Request]: ...
    def _judge(self, response: Response, entry: Entry) -> AsyncIterator[Item | Request]: ...
    def _judged(self, response: Response, entry: Entry, reading: Reading, key: str,
                depth: int | None) -> Iterator[Item | Request]: ...
    async def _read(self, response: Response, follow: bool, extract: bool = True) -> Reading: ...
    def _autodiscovered_feeds(self, feeds: tuple[str, ...]) -> Iterator[Request]: ...


class PageJudgement:
    """Mixed into the spider: the callback of every HTML page request and the reading of the page."""

    async def parse_page(self: _Spider, response: Response) -> AsyncIterator[Item | Request]:
        """Every HTML page, whatever found it, gets one judgement on its content: an article is stored
        (and the feeds it announces read); any other page is a rejection when something said it was an
        article, and a section page, its links followed within depth, when it was reached from one."""
        entry = self._answered(response)
        try:
            async for result in self._judge(response, entry):
                yield result
        finally:
            self._settle(request_meta(response))
        for request in self._release_all():
            yield request

    async def _judge(self: _Spider, response: Response, entry: Entry) -> AsyncIterator[Item | Request]:
        if response.status == 304:  # the held URL as planned (canonical): no canonicalising per answer
            self._count("fetched/not_modified")
            yield NotModified(entry.url)
            return
        missing = missing_of(response, entry.url) if request_meta(response).get("nw_stored") else None
        if missing is not None:  # a stored article's removal (crawler.extract.removal): no error, no extraction
            self._count(f"fetched/missing/{missing.kind}")
            yield missing
            delay = self.options.crawl.missing_recheck_seconds
            again = recheck_request(response.request, missing, delay) if response.request else None
            if again is not None:  # a first 404, asked again in this crawl (crawler.spiders.missing)
                self._count("fetched/missing/recheck")
                yield again
            return
        key = self.page_keys.key(response.url, response.body)
        unchanged = same_bytes(key, response, requested_url(response))
        if unchanged is not None:  # the stored version's bytes: nothing to extract (crawler.pipeline.fastpath)
            self._count("fastpath/same_bytes")
            yield unchanged
            return
        if looks_binary(response.body):
            self._count("fetched/page")
            if expects_article(entry):
                yield self._reject(RejectedPage(landed_url(response), "binary", "not text", None,
                                                response.body, response.status))
            return
        if configured_section(entry, request_meta(response)):  # named a section page by the user: followed
            self._count("fetched/page")
            section = await self._read(response, follow=self.max_depth >= 0, extract=False)
            for request in self.follow_section(section, response.url, 0):
                yield request
            return
        depth = None if entry.listed else entry.depth  # a section led here: followed unless an article
        reading = await self._read(response, follow=depth is not None and depth <= self.max_depth)
        for item in self._judged(response, entry, reading, key, depth):
            yield item

    def _judged(self: _Spider, response: Response, entry: Entry, reading: Reading, key: str,
                depth: int | None) -> Iterator[Item | Request]:
        """An article stored (and its feeds read); else a rejection when something said it was an article,
        and a section page followed when a section led to it (``depth``)."""
        result = reading.result
        if isinstance(result, Article):
            self._count("fetched/article")
            yield fetched_item(response, reading.url, entry.discovered_from, result,
                               self.source_name_for(reading.url), key)
            yield from self._autodiscovered_feeds(reading.feeds)
            return
        self._count("fetched/page")
        assert result is not None
        notice = notice_of(response.body) if request_meta(response).get("nw_stored") else None
        if notice is not None:  # a removal notice where a stored article was: no rejection (crawler.extract.removal)
            yield Missing(entry.url, WITHDRAWN, response.status, notice=notice)
        elif expects_article(entry):
            yield self._reject(RejectedPage(reading.url, result.reason, result.detail, result.title, response.body,
                                            response.status))
        if depth is not None:
            yield from self.follow_section(reading, response.url, depth)

    async def _read(self: _Spider, response: Response, follow: bool, extract: bool = True) -> Reading:
        """The page read off the event loop (decoded, parsed, extracted: trafilatura is CPU-bound, ~0.05 s a
        page, >1 s on big ones), in worker processes (``crawler.extract.pool``: trafilatura's module-level lxml
        parsers must not be shared by threads). A configured section page (no extraction) is read here: one
        parse costs less than starting the pool, which a re-check of unchanged pages never needs."""
        url = landed_url(response)
        rules = rules_of(for_site(self.options.source_rules, url)) if extract else None
        content_type = response.headers.get("Content-Type")
        page = Page(response.body, content_type.decode("latin-1") if content_type else None, response.url, url,
                    follow=follow, extract=extract, rules=rules)
        try:
            if not extract:  # a section page: one lxml parse here costs less than waking the pool (and its
                return read(page)  # forkserver, which loads trafilatura and py3langid's model) on a re-check
            self._count("extract/pages")
            return await self.extraction.read(page)
        except ValueError as exc:  # lxml refusing a fetched string: the page is rejected, the crawl goes on
            self._count("extract/failed")
            return failed(page, Rejection(EMPTY, f"unparsable markup: {exc}"[:200]))

    def follow_section(self: _Spider, reading: Reading, page_url: str, depth: int) -> Iterator[Request]:
        """A section page: its announced feeds requested; its links (``reading.links``, read only when the
        depth allows) offered to the frontier, within ``max_depth`` or one hop past it when article-shaped."""
        yield from self._autodiscovered_feeds(reading.feeds)
        if depth > self.max_depth:
            return
        for url in reading.links:
            if depth + 1 > self.max_depth and not looks_like_article(url):
                continue
            self._offer(Entry(url, site_of(url), SECTION_LANE, depth=depth + 1, discovered_from=page_url))

    def _autodiscovered_feeds(self: _Spider, feeds: tuple[str, ...]) -> Iterator[Request]:
        for feed in feeds:
            self._count("discovered/feeds")
            yield from self._feed_request(feed)


def expects_article(entry: Entry) -> bool:
    """Something other than the page says it is an article: a feed or sitemap lists it, the user holds it
    (a seed, a stored article: even when a section page links it too, whichever answered first), or its
    URL has an article's shape."""
    return entry.listed or entry.article or (entry.held and entry.depth is None) or looks_like_article(entry.url)


def configured_section(entry: Entry, meta: dict[str, Any]) -> bool:
    """A configured site or section page (``site``/``pages`` of a source, requested as such) that no feed
    or sitemap lists as an article."""
    return meta.get("nw_kind") == "page" and meta.get("nw_source") is not None and not entry.listed
