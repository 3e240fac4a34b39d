"""The news spider: article pages, section pages (bounded link following), feeds, sitemaps, robots.txt.

Everything it finds in a fetched document is untrusted: canonicalized, same-site where that applies,
and fetched through the SSRF guard. It yields records (``crawler.items``) for the storage pipeline and
counts every outcome in the crawl stats under ``newswatch/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.discovery import declared_canonical, discover_feeds, looks_like_article, site_links
from crawler.encoding import decode_body, looks_binary
from crawler.extract import EMPTY, Article, Rejection
from crawler.failures import failure_kind
from crawler.fastpath import META_KEY, PageKeys, same_bytes
from crawler.feeds import parse_feed
from crawler.frontier import SECTION_LANE, Entry, Frontier
from crawler.items import ArticleTarget, CrawlPlan, FetchedArticle, FetchError, NotModified, RejectedPage, SiteTarget
from crawler.netguard import literal_address
from crawler.pool import ExtractionPool, rules_of, workers_setting
from crawler.sitemaps import parse_sitemap, sitemaps_from_robots
from crawler.urls import canonical_url, for_site, same_site, site_of, try_canonical_url, url_host
from storage.errors import ParseError

Item = FetchedArticle | NotModified | RejectedPage | FetchError


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, plan: CrawlPlan, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.errors: list[FetchError] = []  # failures of what the user configured or holds
        self.dropped: list[FetchError] = []  # failures of discovered links, guessed feeds, found sitemaps
        self.rejections: list[RejectedPage] = []
        self.fetched: set[str] = set()  # URLs answered (as first requested, before redirects)
        self._pool: ExtractionPool | None = None
        self._page_keys: PageKeys | None = None
        self._frontier: Frontier | None = None
        self._sources_seen: set[str] = set()  # feeds, sitemaps, robots.txt requested

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        assert isinstance(spider, NewsSpider)
        return spider

    @property
    def frontier(self) -> Frontier:
        if self._frontier is None:
            per_domain = self.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
            self._frontier = Frontier(self.settings.getint("NEWSWATCH_MAX_PAGES_PER_SITE", 200), 2 * per_domain)
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
        """Worker processes (``NEWSWATCH_EXTRACT_WORKERS``, default one per core), or one thread for 0/1."""
        if self._pool is None:
            self._pool = ExtractionPool(workers_setting(self.settings.get("NEWSWATCH_EXTRACT_WORKERS")))
        return self._pool

    @property
    def page_keys(self) -> PageKeys:
        if self._page_keys is None:
            self._page_keys = PageKeys(self.settings.getdict("NEWSWATCH_SOURCE_RULES"),
                                       self.settings.getlist("NEWSWATCH_KEYWORDS"))
        return self._page_keys

    def source_name_for(self, url: str) -> str | None:
        """The registered name of the source ``url`` belongs to (``NEWSWATCH_SOURCE_NAMES``), if any."""
        name = for_site(self.settings.getdict("NEWSWATCH_SOURCE_NAMES"), url)
        return str(name) if name else None

    @property
    def max_depth(self) -> int:
        return self.settings.getint("NEWSWATCH_MAX_DEPTH", 2)

    async def start(self) -> AsyncIterator[Request]:
        for target in self.plan.articles:
            held = Entry(target.url, site_of(target.url), "held", discovered_from=target.discovered_from)
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
            for root in dict.fromkeys(_root(u) for u in (*site.pages, *site.feeds, *site.sitemaps, *site.roots)):
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
        meta = {"handle_httpstatus_list": [304], "nw_url": target.url, "nw_held": True, "nw_page_key": target.page_key}
        return self._request(target.url, self.parse_page, kind="article", headers=headers, meta=meta,
                             dont_filter=True)

    def _page_request(self, url: str, held: bool = True, source: bool = False) -> Request:
        """Any other HTML page: a configured page (``source``) or one the frontier released."""
        meta = {"nw_url": url, "nw_held": held, "nw_source": site_of(url) if source else None}
        return self._request(url, self.parse_page, kind="page", meta=meta, dont_filter=True)

    def _feed_request(self, url: str, held: bool = False) -> Iterator[Request]:
        cap = self.settings.getint("NEWSWATCH_MAX_FEED_BYTES")
        return self._source_request(url, self.parse_feed, kind="feed", held=held, gate=held,
                                    meta={"download_maxsize": cap})

    def _sitemap_request(self, url: str, held: bool = False) -> Iterator[Request]:
        cap = self.settings.getint("NEWSWATCH_MAX_FEED_BYTES")
        return self._source_request(url, self.parse_sitemap, kind="sitemap", held=held,
                                    meta={"download_maxsize": cap})

    def _release(self, site: str) -> Iterator[Request]:
        for entry in self.frontier.release(site):
            yield self._page_request(entry.url, held=False)

    def _answered(self, response: Response) -> Entry:
        """The frontier's entry for ``response`` (every route's evidence merged); the site's source
        count is settled here."""
        meta = _meta(response)
        url = meta.get("nw_url") or _requested(response)
        entry = self.frontier.answered(url) or Entry(url, site_of(url), "held", held=True)
        self.fetched.add(_requested(response))
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
            self._settle(_meta(response))
        for request in self._release_all():
            yield request

    async def _judge(self, response: Response, entry: Entry) -> AsyncIterator[Item | Request]:
        if response.status == 304:
            self._count("fetched/not_modified")
            yield NotModified(_requested(response))
            return
        key = self.page_keys.key(response.url, response.body)
        unchanged = same_bytes(key, response, _requested(response))
        if unchanged is not None:  # the stored version's bytes: nothing to extract (crawler.fastpath)
            self._count("fastpath/same_bytes")
            yield unchanged
            return
        expected = _expects_article(entry)
        if looks_binary(response.body):
            self._count("fetched/page")
            if expected:
                yield self._reject(RejectedPage(_landed(response), "binary", "not text", None,
                                                response.body, response.status))
            return
        html = _text(response)
        if _configured_section(entry, _meta(response)):  # the user named it a section page: its links are what it holds
            self._count("fetched/page")
            for request in self.follow_section(html, response.url, 0):
                yield request
            return
        url = declared_canonical(html, response.url) or _landed(response)
        result = await self._extract(html, url)
        if isinstance(result, Article):
            self._count("fetched/article")
            yield _fetched(response, url, entry.discovered_from, result, self.source_name_for(url), key)
            for request in self._autodiscovered_feeds(html, response.url):
                yield request
            return
        self._count("fetched/page")
        if expected:
            yield self._reject(RejectedPage(url, result.reason, result.detail, result.title, response.body,
                                            response.status))
        if entry.depth is not None and not entry.listed:
            for request in self.follow_section(html, response.url, entry.depth):
                yield request

    async def _extract(self, html: str, url: str) -> Article | Rejection:
        """Extract off the event loop (trafilatura is CPU-bound, ~0.1 s a page, >1 s on big ones), in worker
        processes (``crawler.pool``: trafilatura's module-level lxml parsers must not be shared by threads)."""
        self._count("extract/pages")
        rules = rules_of(for_site(self.settings.getdict("NEWSWATCH_SOURCE_RULES"), url))
        try:
            return await self.extraction.extract(html, url, rules)
        except ValueError as exc:  # lxml refusing a fetched string: the page is rejected, the crawl goes on
            self._count("extract/failed")
            return Rejection(EMPTY, f"unparsable markup: {exc}"[:200])

    def follow_section(self, html: str, page_url: str, depth: int) -> Iterator[Request]:
        """A section page: its announced feeds requested; its links offered to the frontier, within
        ``max_depth`` or one hop past it when article-shaped."""
        yield from self._autodiscovered_feeds(html, page_url)
        if depth > self.max_depth:
            return
        for url in site_links(html, page_url):
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

    def _autodiscovered_feeds(self, html: str, page_url: str) -> Iterator[Request]:
        for feed in discover_feeds(html, page_url):
            self._count("discovered/feeds")
            yield from self._feed_request(feed)

    def parse_feed(self, response: Response) -> Iterator[Item | Request]:
        try:
            yield from self._read_feed(response)
        finally:
            self._settle(_meta(response))
        yield from self._release_all()

    def _read_feed(self, response: Response) -> Iterator[Item | Request]:
        self.fetched.add(_requested(response))
        self._count("fetched/feed")
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        try:
            feed = parse_feed(response.body, response.url, headers, canonicalize=canonical_url,
                              max_bytes=self.settings.getint("NEWSWATCH_MAX_FEED_BYTES"))
        except ParseError as exc:
            yield self._failed(_meta(response), response.url, "bad_feed", str(exc))
            return
        if feed.bozo:
            self._count("feeds/ill_formed_but_usable")
        self._articles_from((e.canonical_link or e.link for e in feed.entries), response.url, "feed:")

    def parse_sitemap(self, response: Response) -> Iterator[Item | Request]:
        try:
            yield from self._read_sitemap(response)
        finally:
            self._settle(_meta(response))
        yield from self._release_all()

    def _read_sitemap(self, response: Response) -> Iterator[Item | Request]:
        self.fetched.add(_requested(response))
        self._count("fetched/sitemap")
        try:
            sitemap = parse_sitemap(response.body, response.url,
                                    max_bytes=self.settings.getint("NEWSWATCH_MAX_FEED_BYTES"))
        except ParseError as exc:
            yield self._failed(_meta(response), response.url, "bad_sitemap", str(exc))
            return
        for child in sitemap.sitemaps:
            url = try_canonical_url(child.loc)
            if url is not None:
                yield from self._sitemap_request(url)
        self._articles_from((entry.loc for entry in sitemap.entries), response.url, "sitemap:")

    def parse_robots(self, response: Response) -> Iterator[Request]:
        try:
            yield from self._read_robots(response)
        finally:
            self._settle(_meta(response))
        yield from self._release_all()

    def _read_robots(self, response: Response) -> Iterator[Request]:
        if response.status != 200:
            return
        for found in sitemaps_from_robots(_text(response), response.url):
            url = try_canonical_url(found)
            if url is None:
                self._count("dropped/bad_url")
                continue
            self._count("discovered/sitemaps")
            yield from self._sitemap_request(url)

    def _settle(self, meta: dict[str, Any]) -> None:
        """A site's own source (configured page, feed, sitemap, robots.txt) answered or failed."""
        if meta.get("nw_source"):
            self.frontier.source_answered(str(meta["nw_source"]))

    def _release_all(self) -> Iterator[Request]:
        for site in self.frontier.waiting_sites():
            yield from self._release(site)

    def _articles_from(self, urls: Iterable[str], origin: str, lane: str) -> None:
        """Offer the links of a feed or sitemap, each its own lane: same site as it, listed (evidence)."""
        for raw in urls:
            url = try_canonical_url(raw)
            if url is None:
                self._count("dropped/bad_url")
            elif not same_site(url, origin) and not _literal_ip(url):
                self._count("dropped/offsite")
            else:
                self._offer(Entry(url, site_of(url), lane + origin, listed=True, discovered_from=origin))

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
    (a seed, a stored article), or its URL has an article's shape."""
    return entry.listed or (entry.held and entry.depth is None) or looks_like_article(entry.url)


def _configured_section(entry: Entry, meta: dict[str, Any]) -> bool:
    """A configured site or section page (``site``/``pages`` of a source, requested as such) that no feed
    or sitemap lists as an article."""
    return meta.get("nw_kind") == "page" and meta.get("nw_source") is not None and not entry.listed


def _meta(response: Response) -> dict[str, Any]:
    """The meta of the request ``response`` answers ({} for a response made without one)."""
    return response.request.meta if response.request is not None else {}


def _requested(response: Response) -> str:
    """The URL first requested for ``response`` (before redirects): canonical, as the spider made it."""
    request = response.request
    chain = (request.meta.get("redirect_urls") if request is not None else None) or [response.url]
    return try_canonical_url(chain[0]) or chain[0]


def _landed(response: Response) -> str:
    """The canonical URL the response came from (after redirects), else the one requested."""
    return try_canonical_url(response.url) or _requested(response)


def _literal_ip(url: str) -> bool:
    """An IP-literal link (``http://10.0.0.1/``) is kept so the SSRF guard refuses and counts it."""
    return literal_address(url_host(url)) is not None


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _text(response: Response) -> str:
    content_type = response.headers.get("Content-Type")
    return decode_body(response.body, content_type)


def _fetched(response: Response, url: str, discovered_from: str | None, article: Article,
             source: str | None = None, key: str | None = None) -> FetchedArticle:
    headers = response.headers
    etag = headers.get("ETag")
    modified = headers.get("Last-Modified")
    return FetchedArticle(
        url=url,
        fetched_url=response.url,
        discovered_from=discovered_from,
        title=article.title,
        body=article.body_markdown,
        meta={
            "author": article.author, "date": article.date, "site_name": article.site_name, "source": source,
            "language": article.language, "description": article.description, "image": article.image,
            "content_type": (headers.get("Content-Type") or b"").decode("latin-1") or None,
            META_KEY: key,
        },
        fingerprint=article.fingerprint,
        extractor=article.extractor,
        extractor_version=article.extractor_version,
        raw_body=response.body,
        http_status=response.status,
        etag=etag.decode("latin-1") if etag else None,
        last_modified=modified.decode("latin-1") if modified else None,
    )
