"""The news spider: article pages, section pages (bounded link following), feeds, sitemaps, robots.txt.

Everything it finds in a fetched document is untrusted: canonicalized, same-site where that applies,
and fetched through the SSRF guard. It yields records (``crawler.items``) for the storage pipeline and
counts every outcome in the crawl stats under ``newswatch/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from newswatch.crawler.discover.frontier import SECTION_LANE, Entry, Frontier
from newswatch.crawler.discover.links import looks_like_article
from newswatch.crawler.encoding import looks_binary
from newswatch.crawler.extract.article import Article
from newswatch.crawler.extract.pool import ExtractionPool, rules_of, workers_setting
from newswatch.crawler.extract.reading import Page, Reading, failed, read
from newswatch.crawler.extract.rejection import EMPTY, Rejection
from newswatch.crawler.extract.removal import WITHDRAWN, notice_of
from newswatch.crawler.fetch.failures import failure_kind
from newswatch.crawler.items import (
    ArticleTarget,
    CrawlPlan,
    FetchedArticle,
    FetchError,
    Missing,
    NotModified,
    RejectedPage,
    SiteTarget,
)
from newswatch.crawler.options import CrawlOptions, options_of
from newswatch.crawler.pipeline.fastpath import PageKeys, same_bytes
from newswatch.crawler.pipeline.recorder import Recorder
from newswatch.crawler.spiders.missing import missing_of, recheck_request
from newswatch.crawler.spiders.responses import fetched_item, landed_url, request_meta, requested_url, site_root
from newswatch.crawler.spiders.sources import SourceReading
from newswatch.crawler.urls import for_site, site_of

Item = FetchedArticle | NotModified | RejectedPage | FetchError | Missing


class NewsSpider(SourceReading, scrapy.Spider):
    name = "news"

    def __init__(self, plan: CrawlPlan, recorder: Recorder | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.recorder = recorder  # what the storage pipeline records with (crawler.pipeline.recorder)
        self.errors: list[FetchError] = []  # failures of what the user configured or holds
        self.dropped: list[FetchError] = []  # failures of discovered links, guessed feeds, found sitemaps
        self.rejections: list[RejectedPage] = []
        self.fetched: set[str] = set()  # URLs answered (as first requested, before redirects)
        self._pool: ExtractionPool | None = None
        self._page_keys: PageKeys | None = None
        self._frontier: Frontier | None = None
        self._sources_seen: set[str] = set()  # feeds, sitemaps, robots.txt requested
        self._options: CrawlOptions | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        assert isinstance(spider, NewsSpider)
        return spider

    @property
    def options(self) -> CrawlOptions:
        """The crawl's options (:func:`crawler.settings.options_of`), read once."""
        if self._options is None:
            self._options = options_of(self.settings)
        return self._options

    @property
    def frontier(self) -> Frontier:
        if self._frontier is None:
            per_domain = self.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
            self._frontier = Frontier(self.options.crawl.max_pages_per_site, 2 * per_domain)
        return self._frontier

    def closed(self, reason: str) -> None:
        if self._pool is not None:
            self._pool.close()
        left = self.frontier.limited + self.frontier.queued()
        if left:
            self._count("limited/pages_per_site", left)

    def idle(self) -> None:
        """Nothing in flight: hand the engine what the frontier still holds (a safety net: every answer
        already releases the next URLs of its site)."""
        stale = self.frontier.idle()
        if stale:
            self._count("frontier/stale", stale)
        requests = [r for site in self.frontier.waiting_sites() for r in self._release(site)]
        engine = self.crawler.engine
        for request in requests:
            assert engine is not None
            engine.crawl(request)
        if requests:
            raise DontCloseSpider

    @property
    def extraction(self) -> ExtractionPool:
        """Worker processes (``crawl.extract_workers``, default one per core), or one thread for 0/1."""
        if self._pool is None:
            self._count("extract/pool_started")
            self._pool = ExtractionPool(workers_setting(self.options.crawl.extract_workers))
        return self._pool

    @property
    def page_keys(self) -> PageKeys:
        if self._page_keys is None:
            self._page_keys = PageKeys(self.options.source_rules, self.options.keywords)
        return self._page_keys

    def source_name_for(self, url: str) -> str | None:
        """The registered name of the source ``url`` belongs to (``CrawlOptions.source_names``), if any."""
        name = for_site(self.options.source_names, url)
        return str(name) if name else None

    @property
    def max_depth(self) -> int:
        return self.options.crawl.max_depth

    async def start(self) -> AsyncIterator[Request]:
        for target in self.plan.articles:
            held = Entry(target.url, site_of(target.url), "held", discovered_from=target.discovered_from,
                         article=True)
            if self.frontier.hold(held):
                yield self._article_request(target)
        for site in self.plan.sites:
            for page in site.pages:
                if self.frontier.hold(Entry(page, site_of(page), "held", depth=0)):
                    self.frontier.source_opened(site_of(page))
                    yield self._page_request(page, source=True)
            for request in self._site_sources(site):
                yield request

    def _site_sources(self, site: SiteTarget) -> Iterator[Request]:
        """A configured site's feeds, sitemaps and robots.txt (the Sitemap: lines it names)."""
        for feed in site.feeds:
            yield from self._feed_request(feed, held=True)
        for sitemap in site.sitemaps:
            yield from self._sitemap_request(sitemap, held=True)
        if site.robots:
            for root in dict.fromkeys(site_root(u) for u in (*site.pages, *site.feeds, *site.sitemaps, *site.roots)):
                yield from self._source_request(root + "robots.txt", self.parse_robots, kind="robots",
                                                meta={"handle_httpstatus_list": [401, 403, 404, 410]})

    def _request(self, url: str, callback: Any, kind: str, **kwargs: Any) -> Request:
        meta = kwargs.pop("meta", {})
        meta["nw_kind"] = kind
        return Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def _source_request(self, url: str, callback: Any, kind: str, held: bool = False, gate: bool = True,
                        **kwargs: Any) -> Iterator[Request]:
        """A feed, sitemap or robots.txt, requested once per crawl (this set, not the dupefilter, decides:
        every request made is answered). With ``gate`` the site's discovery waits for it (see
        :class:`Frontier`): its own sources, robots.txt and the sitemaps they name; not feeds announced
        by pages met on the way."""
        if url in self._sources_seen:
            return
        self._sources_seen.add(url)
        if gate:
            self.frontier.source_opened(site_of(url))
        meta = {**kwargs.pop("meta", {}), "nw_source": site_of(url) if gate else None, "nw_held": held}
        yield self._request(url, callback, kind, meta=meta, dont_filter=True, **kwargs)

    def _article_request(self, target: ArticleTarget) -> Request:
        """A held URL (a seed, a stored article's re-check), with validators for a conditional GET."""
        headers = {}
        if target.etag:
            headers["If-None-Match"] = target.etag
        if target.last_modified:
            headers["If-Modified-Since"] = target.last_modified
        meta = {"handle_httpstatus_list": [304, 404, 410] if target.stored else [304], "nw_url": target.url,
                "nw_held": True, "nw_page_key": target.page_key, "nw_stored": target.stored}
        return self._request(target.url, self.parse_page, kind="article", headers=headers, meta=meta,
                             dont_filter=True)

    def _page_request(self, url: str, held: bool = True, source: bool = False) -> Request:
        """Any other HTML page: a configured page (``source``) or one the frontier released."""
        meta = {"nw_url": url, "nw_held": held, "nw_source": site_of(url) if source else None}
        return self._request(url, self.parse_page, kind="page", meta=meta, dont_filter=True)

    def _feed_request(self, url: str, held: bool = False) -> Iterator[Request]:
        """A feed, with its stored validators (a 304 offers nothing: ``crawler.discover.sourceledger``)."""
        return self._source_request(url, self.parse_feed, kind="feed", held=held, gate=held,
                                    meta=self._conditional_meta(url, self.options.crawl.max_feed_bytes),
                                    headers=self.validator_headers(url))

    def _sitemap_request(self, url: str, held: bool = False) -> Iterator[Request]:
        """A sitemap, with the validators stored for it (only a leaf ``<urlset>`` ever has some)."""
        return self._source_request(url, self.parse_sitemap, kind="sitemap", held=held,
                                    meta=self._conditional_meta(url, self.options.crawl.max_sitemap_bytes),
                                    headers=self.validator_headers(url))

    def _conditional_meta(self, url: str, cap: int) -> dict[str, Any]:
        return {"download_maxsize": cap,
                "handle_httpstatus_list": [304], "nw_source_url": url}

    def _release(self, site: str) -> Iterator[Request]:
        for entry in self.frontier.release(site):
            yield self._page_request(entry.url, held=False)

    def _answered(self, response: Response) -> Entry:
        """The frontier's entry for ``response`` (every route's evidence merged); the site's source
        count is settled here."""
        meta = request_meta(response)
        url = meta.get("nw_url") or requested_url(response)
        entry = self.frontier.answered(url) or Entry(url, site_of(url), "held", held=True, article=True)
        self.fetched.add(requested_url(response))
        return entry

    def _count(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newswatch/{key}", n)

    async def parse_page(self, response: Response) -> AsyncIterator[Item | Request]:
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

    async def _judge(self, response: Response, entry: Entry) -> AsyncIterator[Item | Request]:
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
            if _expects_article(entry):
                yield self._reject(RejectedPage(landed_url(response), "binary", "not text", None,
                                                response.body, response.status))
            return
        if _configured_section(entry, request_meta(response)):  # named a section page by the user: followed
            self._count("fetched/page")
            section = await self._read(response, follow=self.max_depth >= 0, extract=False)
            for request in self.follow_section(section, response.url, 0):
                yield request
            return
        depth = None if entry.listed else entry.depth  # a section led here: followed unless an article
        reading = await self._read(response, follow=depth is not None and depth <= self.max_depth)
        for item in self._judged(response, entry, reading, key, depth):
            yield item

    def _judged(self, response: Response, entry: Entry, reading: Reading, key: str,
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
        elif _expects_article(entry):
            yield self._reject(RejectedPage(reading.url, result.reason, result.detail, result.title, response.body,
                                            response.status))
        if depth is not None:
            yield from self.follow_section(reading, response.url, depth)

    async def _read(self, response: Response, follow: bool, extract: bool = True) -> Reading:
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

    def follow_section(self, reading: Reading, page_url: str, depth: int) -> Iterator[Request]:
        """A section page: its announced feeds requested; its links (``reading.links``, read only when the
        depth allows) offered to the frontier, within ``max_depth`` or one hop past it when article-shaped."""
        yield from self._autodiscovered_feeds(reading.feeds)
        if depth > self.max_depth:
            return
        for url in reading.links:
            if depth + 1 > self.max_depth and not looks_like_article(url):
                continue
            self._offer(Entry(url, site_of(url), SECTION_LANE, depth=depth + 1, discovered_from=page_url))

    def _offer(self, entry: Entry) -> None:
        if entry.url in self.plan.known:
            self._count("skipped/known_not_due")
            return
        outcome = self.frontier.offer(entry)
        if outcome == "limited":
            self._count("limited/pages_per_site")
        elif outcome == "queued" and entry.listed:
            self._count("discovered/articles")

    def _autodiscovered_feeds(self, feeds: tuple[str, ...]) -> Iterator[Request]:
        for feed in feeds:
            self._count("discovered/feeds")
            yield from self._feed_request(feed)

    def _settle(self, meta: dict[str, Any]) -> None:
        """A site's own source (configured page, feed, sitemap, robots.txt) answered or failed."""
        if meta.get("nw_source"):
            self.frontier.source_answered(str(meta["nw_source"]))

    def _release_all(self) -> Iterator[Request]:
        for site in self.frontier.waiting_sites():
            yield from self._release(site)

    def _reject(self, page: RejectedPage) -> RejectedPage:
        self._count(f"rejected/{page.reason}")
        self.rejections.append(page)
        return page

    def _error(self, url: str, kind: str, detail: str) -> FetchError:
        self._count(f"errors/{kind}")
        error = FetchError(url, kind, detail)
        self.errors.append(error)
        return error

    def _failed(self, meta: dict[str, Any], url: str, kind: str, detail: str) -> FetchError:
        """A failure: an error when the user configured or holds the URL (or a refusal), else dropped."""
        if meta.get("nw_held", True) or kind.startswith("refused_"):
            return self._error(url, kind, detail)
        self._count(f"discovered_failed/{kind}")
        dropped = FetchError(url, kind, detail)
        self.dropped.append(dropped)
        return dropped

    def on_error(self, failure: Failure) -> Iterator[FetchError | Request]:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        meta = request.meta if request is not None else {}
        response = getattr(failure.value, "response", None)
        if response is not None:
            kind, detail = f"http_{response.status}", f"HTTP {response.status}"
        else:
            kind = failure_kind(failure)
            detail = str(failure.value) or kind
        if meta.get("nw_url"):
            self.frontier.answered(meta["nw_url"])
        self._settle(meta)
        yield self._failed(meta, url, kind, detail)
        yield from self._release_all()


def _expects_article(entry: Entry) -> bool:
    """Something other than the page says it is an article: a feed or sitemap lists it, the user holds it
    (a seed, a stored article: even when a section page links it too, whichever answered first), or its
    URL has an article's shape."""
    return entry.listed or entry.article or (entry.held and entry.depth is None) or looks_like_article(entry.url)


def _configured_section(entry: Entry, meta: dict[str, Any]) -> bool:
    """A configured site or section page (``site``/``pages`` of a source, requested as such) that no feed
    or sitemap lists as an article."""
    return meta.get("nw_kind") == "page" and meta.get("nw_source") is not None and not entry.listed



