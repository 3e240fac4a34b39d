"""The news spider: article pages, section pages (bounded link following), feeds, sitemaps, robots.txt.

Everything it finds in a fetched document is untrusted: canonicalized, same-site where that applies,
and fetched through the SSRF guard. It yields records (``crawler.items``) for the storage pipeline and
counts every outcome in the crawl stats under ``newswatch/``. Here: the spider's state, its requests and
its failures; the judgement of HTML pages is :mod:`crawler.spiders.pages`, the reading of feeds, sitemaps and
robots.txt :mod:`crawler.spiders.sources`.
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

from newswatch.crawler.discover.frontier import Entry, Frontier
from newswatch.crawler.extract.pool import ExtractionPool, workers_setting
from newswatch.crawler.fetch.failures import failure_kind
from newswatch.crawler.fetch.tlsimport import import_tls_modules
from newswatch.crawler.items import ArticleTarget, CrawlPlan, FetchError, RejectedPage, SiteTarget
from newswatch.crawler.options import CrawlOptions, options_of
from newswatch.crawler.pipeline.fastpath import PageKeys
from newswatch.crawler.pipeline.recorder import Recorder
from newswatch.crawler.spiders.pages import PageJudgement
from newswatch.crawler.spiders.responses import request_meta, requested_url, site_root
from newswatch.crawler.spiders.sources import SourceReading
from newswatch.crawler.urls import for_site, site_of

import_tls_modules()  # before the engine loads the HTTP handler: Scrapy's TLS modules without their stack walk


class NewsSpider(PageJudgement, SourceReading, scrapy.Spider):
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

    def _offer(self, entry: Entry) -> None:
        if entry.url in self.plan.known:
            self._count("skipped/known_not_due")
            return
        outcome = self.frontier.offer(entry)
        if outcome == "limited":
            self._count("limited/pages_per_site")
        elif outcome == "queued" and entry.listed:
            self._count("discovered/articles")

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
