"""The news spider: article pages, section pages (bounded link following), feeds, sitemaps, robots.txt.

Everything it finds in a fetched document is untrusted: canonicalized, same-site where that applies,
and fetched through the SSRF guard. It yields records (``crawler.items``) for the storage pipeline and
counts every outcome in the crawl stats under ``newswatch/``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.discovery import declared_canonical, discover_feeds, follow_links
from crawler.encoding import decode_body, looks_binary
from crawler.extract import Article
from crawler.fastpath import META_KEY, PageKeys, same_bytes
from crawler.feeds import parse_feed
from crawler.items import ArticleTarget, CrawlPlan, FetchedArticle, FetchError, NotModified, RejectedPage
from crawler.netguard import literal_address
from crawler.pool import ExtractionPool, rules_of, workers_setting
from crawler.selectors import Selection
from crawler.sitemaps import parse_sitemap, sitemaps_from_robots
from crawler.urls import canonical_url, for_site, same_site, site_of, try_canonical_url, url_host
from storage.errors import ParseError

Item = FetchedArticle | NotModified | RejectedPage | FetchError


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, plan: CrawlPlan, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.pages_per_site: Counter[str] = Counter()
        self.errors: list[FetchError] = []
        self.rejections: list[RejectedPage] = []
        self.fetched: set[str] = set()  # URLs answered (as first requested, before redirects)
        self._pool: ExtractionPool | None = None
        self._selections: dict[str, Selection | None] | None = None
        self._page_keys: PageKeys | None = None

    def closed(self, reason: str) -> None:
        if self._pool is not None:
            self._pool.close()

    @property
    def extraction(self) -> ExtractionPool:
        """Worker processes (``NEWSWATCH_EXTRACT_WORKERS``, default one per core), or one thread for 0/1."""
        if self._pool is None:
            self._pool = ExtractionPool(workers_setting(self.settings.get("NEWSWATCH_EXTRACT_WORKERS")))
        return self._pool

    def selection_for(self, url: str) -> Selection | None:
        """The include/exclude selectors of the source ``url`` belongs to (``NEWSWATCH_SOURCE_RULES``,
        validated when the registry was read), compiled once per crawl."""
        if self._selections is None:
            rules = self.settings.getdict("NEWSWATCH_SOURCE_RULES")
            self._selections = {site: Selection.of(r.get("include", ()), r.get("exclude", ()))
                                for site, r in rules.items()}
        return for_site(self._selections, url)

    @property
    def page_keys(self) -> PageKeys:
        if self._page_keys is None:
            self._page_keys = PageKeys(self.settings.getdict("NEWSWATCH_SOURCE_RULES"),
                                       self.settings.getlist("NEWSWATCH_KEYWORDS"))
        return self._page_keys

    @property
    def max_depth(self) -> int:
        return self.settings.getint("NEWSWATCH_MAX_DEPTH", 2)

    async def start(self) -> AsyncIterator[Request]:
        for target in self.plan.articles:
            yield self._article_request(target)
        for site in self.plan.sites:
            for page in site.pages:
                yield self._page_request(page, depth=0)
            for feed in site.feeds:
                yield self._feed_request(feed)
            for sitemap in site.sitemaps:
                yield self._sitemap_request(sitemap)
            if site.robots:
                for root in dict.fromkeys(_root(u) for u in (*site.pages, *site.feeds, *site.sitemaps, *site.roots)):
                    yield self._request(root + "robots.txt", self.parse_robots, kind="robots",
                                        meta={"handle_httpstatus_list": [401, 403, 404, 410]})  # none: fine

    def _request(self, url: str, callback: Any, kind: str, **kwargs: Any) -> Request:
        meta = kwargs.pop("meta", {})
        meta["nw_kind"] = kind
        return Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def _article_request(self, target: ArticleTarget) -> Request:
        headers = {}
        if target.etag:
            headers["If-None-Match"] = target.etag
        if target.last_modified:
            headers["If-Modified-Since"] = target.last_modified
        return self._request(
            target.url, self.parse_article, kind="article", headers=headers,
            meta={"handle_httpstatus_list": [304], "nw_page_key": target.page_key},
            cb_kwargs={"discovered_from": target.discovered_from},
        )

    def _page_request(self, url: str, depth: int) -> Request:
        return self._request(url, self.parse_section, kind="page", cb_kwargs={"depth": depth})

    def _feed_request(self, url: str) -> Request:
        cap = self.settings.getint("NEWSWATCH_MAX_FEED_BYTES")
        return self._request(url, self.parse_feed, kind="feed", meta={"download_maxsize": cap})

    def _sitemap_request(self, url: str) -> Request:
        cap = self.settings.getint("NEWSWATCH_MAX_FEED_BYTES")
        return self._request(url, self.parse_sitemap, kind="sitemap", meta={"download_maxsize": cap})

    def _reached(self, response: Response) -> None:
        self.fetched.add(_requested(response))

    def _count(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newswatch/{key}", n)

    async def parse_article(self, response: Response, discovered_from: str | None) -> AsyncIterator[Item | Request]:
        """Extract off the event loop (trafilatura is CPU-bound, ~0.1 s a page, >1 s on big ones), in worker
        processes (``crawler.pool``: trafilatura's module-level lxml parsers must not be shared by threads)."""
        if response.status == 304:
            self._count("fetched/not_modified")
            yield NotModified(_requested(response))
            return
        self._reached(response)
        self._count("fetched/article")
        key = self.page_keys.key(response.url, response.body)
        unchanged = same_bytes(key, response, _requested(response))
        if unchanged is not None:  # the stored version's bytes: nothing to extract (crawler.fastpath)
            self._count("fastpath/same_bytes")
            yield unchanged
            return
        if looks_binary(response.body):
            yield self._reject(RejectedPage(_landed(response), "binary", "not text", None,
                                            response.body, response.status))
            return
        html = _text(response)
        url = declared_canonical(html, response.url) or _landed(response)
        self._count("extract/pages")
        rules = rules_of(for_site(self.settings.getdict("NEWSWATCH_SOURCE_RULES"), url))
        result = await self.extraction.extract(html, url, rules)
        if not isinstance(result, Article):
            yield self._reject(RejectedPage(url, result.reason, result.detail, result.title, response.body,
                                            response.status))
            return
        yield _fetched(response, url, discovered_from, result, key)
        for request in self._autodiscovered_feeds(html, response.url):
            yield request

    def parse_section(self, response: Response, depth: int) -> Iterator[Item | Request]:
        self._reached(response)
        self._count("fetched/page")
        html = _text(response)
        yield from self._autodiscovered_feeds(html, response.url)
        articles, others = follow_links(html, response.url)
        for url in articles:
            if self._take_page(url):
                yield self._article_request(ArticleTarget(url, discovered_from=response.url))
        if depth < self.max_depth:
            for url in others:
                if self._take_page(url):
                    yield self._page_request(url, depth + 1)

    def _take_page(self, url: str) -> bool:
        if url in self.plan.known:
            self._count("skipped/known_not_due")
            return False
        site = site_of(url)
        if self.pages_per_site[site] >= self.settings.getint("NEWSWATCH_MAX_PAGES_PER_SITE", 200):
            self._count("limited/pages_per_site")
            return False
        self.pages_per_site[site] += 1
        return True

    def _autodiscovered_feeds(self, html: str, page_url: str) -> Iterator[Request]:
        for feed in discover_feeds(html, page_url):
            self._count("discovered/feeds")
            yield self._feed_request(feed)

    def parse_feed(self, response: Response) -> Iterator[Item | Request]:
        self._reached(response)
        self._count("fetched/feed")
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        try:
            feed = parse_feed(response.body, response.url, headers, canonicalize=canonical_url,
                              max_bytes=self.settings.getint("NEWSWATCH_MAX_FEED_BYTES"))
        except ParseError as exc:
            yield self._error(response.url, "bad_feed", str(exc))
            return
        if feed.bozo:
            self._count("feeds/ill_formed_but_usable")
        yield from self._articles_from((e.canonical_link or e.link for e in feed.entries), response.url)

    def parse_sitemap(self, response: Response) -> Iterator[Item | Request]:
        self._reached(response)
        self._count("fetched/sitemap")
        try:
            sitemap = parse_sitemap(response.body, response.url,
                                    max_bytes=self.settings.getint("NEWSWATCH_MAX_FEED_BYTES"))
        except ParseError as exc:
            yield self._error(response.url, "bad_sitemap", str(exc))
            return
        for child in sitemap.sitemaps:
            url = try_canonical_url(child.loc)
            if url is not None:
                yield self._sitemap_request(url)
        yield from self._articles_from((entry.loc for entry in sitemap.entries), response.url)

    def parse_robots(self, response: Response) -> Iterator[Request]:
        if response.status != 200:
            return
        for found in sitemaps_from_robots(_text(response), response.url):
            url = try_canonical_url(found)
            if url is None:
                self._count("dropped/bad_url")
                continue
            self._count("discovered/sitemaps")
            yield self._sitemap_request(url)

    def _articles_from(self, urls: Iterable[str], origin: str) -> Iterator[Request]:
        """Article requests for the links of a feed or sitemap: same site as it, within the page limit."""
        for raw in urls:
            url = try_canonical_url(raw)
            if url is None:
                self._count("dropped/bad_url")
            elif not same_site(url, origin) and not _literal_ip(url):
                self._count("dropped/offsite")
            elif self._take_page(url):
                self._count("discovered/articles")
                yield self._article_request(ArticleTarget(url, discovered_from=origin))

    def _reject(self, page: RejectedPage) -> RejectedPage:
        self._count(f"rejected/{page.reason}")
        self.rejections.append(page)
        return page

    def _error(self, url: str, kind: str, detail: str) -> FetchError:
        self._count(f"errors/{kind}")
        error = FetchError(url, kind, detail)
        self.errors.append(error)
        return error

    def on_error(self, failure: Failure) -> Iterator[FetchError]:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        response = getattr(failure.value, "response", None)
        if response is not None:
            kind, detail = f"http_{response.status}", f"HTTP {response.status}"
        else:
            kind = _failure_kind(failure)
            detail = str(failure.value) or kind
        yield self._error(url, kind, detail)


def _failure_kind(failure: Failure) -> str:
    name = type(failure.value).__name__
    message = str(failure.value)
    if name == "IgnoreRequest" and "non-public address" in message:
        return "refused_private"
    if name == "IgnoreRequest" and "robots.txt" in message:
        return "refused_robots"
    if "max redirections" in message:
        return "too_many_redirects"
    if "redirect" in message.lower():
        return "redirect_loop"
    if name == "IgnoreRequest" and "not a valid URL" in message:
        return "bad_url"
    if name == "IgnoreRequest" and "truncated gzip" in message:
        return "truncated_body"
    if any(text in message for text in ("max size", "larger than", "exceeded DOWNLOAD_MAXSIZE")):
        return "too_large"
    aliases = {
        "TimeoutError": "timeout", "TCPTimedOutError": "timeout", "DownloadTimeoutError": "timeout",
        "ResponseDataLossError": "truncated_body", "ConnectionRefusedError": "connection_refused",
        "CassetteError": "not_in_cassette",
    }
    return aliases.get(name, name)


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
             key: str | None = None) -> FetchedArticle:
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
            "author": article.author, "date": article.date, "site_name": article.site_name,
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
