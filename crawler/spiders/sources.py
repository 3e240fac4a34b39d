"""The news spider's reading of a site's own sources: feeds, sitemaps (and their indexes) and robots.txt.
Their links are offered to the spider's frontier, each source its own lane (:mod:`crawler.discover.frontier`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from scrapy.http import Request, Response
from scrapy.settings import BaseSettings

from newswatch.crawler.addresses import literal_address
from newswatch.crawler.discover.feeds import parse_feed
from newswatch.crawler.discover.frontier import Entry, Frontier
from newswatch.crawler.discover.sitemaps import parse_sitemap, sitemaps_from_robots
from newswatch.crawler.discover.sourceledger import (
    RECORD_FAILURES,
    TRANSIENT_REJECTIONS,
    SourceLedger,
    ValidatorReport,
    permanent_failure,
)
from newswatch.crawler.items import CrawlPlan, FetchError, RejectedPage
from newswatch.crawler.options import CrawlOptions
from newswatch.crawler.spiders.responses import request_meta, requested_url, response_text
from newswatch.crawler.urls import canonical_url, site_of, try_canonical_url, url_host
from newswatch.storage.errors import ParseError


class _Spider(Protocol):
    """What the reading needs of the spider (:class:`crawler.spiders.news.NewsSpider`)."""

    fetched: set[str]
    plan: CrawlPlan
    errors: list[FetchError]
    dropped: list[FetchError]
    rejections: list[RejectedPage]

    @property
    def frontier(self) -> Frontier: ...
    @property
    def validators(self) -> SourceLedger: ...
    @property
    def settings(self) -> BaseSettings: ...
    @property
    def options(self) -> CrawlOptions: ...
    def _count(self, key: str, n: int = 1) -> None: ...
    def _settle(self, meta: dict[str, Any]) -> None: ...
    def _release_all(self) -> Iterator[Request]: ...
    def _sitemap_request(self, url: str, held: bool = False) -> Iterator[Request]: ...
    def _offer(self, entry: Entry) -> None: ...
    def _failed(self, meta: dict[str, Any], url: str, kind: str, detail: str) -> FetchError: ...
    def _read_feed(self, response: Response) -> Iterator[FetchError | Request]: ...
    def _read_sitemap(self, response: Response) -> Iterator[FetchError | Request]: ...
    def _read_robots(self, response: Response) -> Iterator[Request]: ...
    def _articles_from(self, urls: Iterable[str], origin: str, lane: str) -> list[str]: ...
    def _not_modified(self, response: Response, kind: str) -> bool: ...


class SourceReading:
    """Mixed into the spider: the callbacks of feed, sitemap and robots.txt requests, and the validators
    of feeds and leaf sitemaps (:mod:`crawler.discover.sourceledger`)."""

    @property
    def validators(self: _Spider) -> SourceLedger:
        ledger = self.__dict__.get("_validators")
        if ledger is None:
            ledger = self.__dict__["_validators"] = SourceLedger(self.plan.validators)
        return ledger

    def validator_headers(self: _Spider, url: str) -> dict[str, str]:
        """``If-None-Match`` / ``If-Modified-Since`` for a feed or sitemap, from the plan."""
        return self.validators.headers(url)

    def validator_report(self: _Spider, finished: bool) -> ValidatorReport:
        """At the crawl's end: the validators to store and to clear (``finished``: not cut short)."""
        failures = (*self.errors, *self.dropped)
        failed = {e.url for e in failures if not permanent_failure(e.kind)}
        failed |= {page.url for page in self.rejections if page.reason in TRANSIENT_REJECTIONS}
        recorded = not any(e.kind in RECORD_FAILURES for e in failures)  # a page lost on the way to storage
        state = self.frontier.state
        known = self.plan.known

        def settled(url: str) -> bool:
            return url in known or (state.get(url) == "done" and url not in failed)

        return self.validators.report(settled, finished and recorded)

    def _not_modified(self: _Spider, response: Response, kind: str) -> bool:
        """A 304 to our validators: counted, the stored validators stand, nothing offered."""
        if response.status != 304:
            return False
        self._count(f"fetched/{kind}_not_modified")
        self.validators.not_modified(_source_url(response), kind, *_validators_of(response))
        return True

    def parse_feed(self: _Spider, response: Response) -> Iterator[FetchError | Request]:
        try:
            yield from self._read_feed(response)
        finally:
            self._settle(request_meta(response))
        yield from self._release_all()

    def _read_feed(self: _Spider, response: Response) -> Iterator[FetchError | Request]:
        self.fetched.add(requested_url(response))
        if self._not_modified(response, "feed"):
            return
        self._count("fetched/feed")
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        try:
            feed = parse_feed(response.body, response.url, headers, canonicalize=canonical_url,
                              max_bytes=self.options.crawl.max_feed_bytes)
        except ParseError as exc:
            self.validators.unusable(_source_url(response))
            yield self._failed(request_meta(response), response.url, "bad_feed", str(exc))
            return
        if feed.bozo:
            self._count("feeds/ill_formed_but_usable")
        listed = self._articles_from((e.canonical_link or e.link for e in feed.entries), response.url, "feed:")
        self.validators.read(_source_url(response), "feed", *_validators_of(response), listed)

    def parse_sitemap(self: _Spider, response: Response) -> Iterator[FetchError | Request]:
        try:
            yield from self._read_sitemap(response)
        finally:
            self._settle(request_meta(response))
        yield from self._release_all()

    def _read_sitemap(self: _Spider, response: Response) -> Iterator[FetchError | Request]:
        self.fetched.add(requested_url(response))
        if self._not_modified(response, "sitemap"):
            return
        self._count("fetched/sitemap")
        try:
            sitemap = parse_sitemap(response.body, response.url,
                                    max_bytes=self.options.crawl.max_sitemap_bytes)
        except ParseError as exc:
            self.validators.unusable(_source_url(response))
            yield self._failed(request_meta(response), response.url, "bad_sitemap", str(exc))
            return
        for child in sitemap.sitemaps:
            url = try_canonical_url(child.loc)
            if url is not None:
                yield from self._sitemap_request(url)
        if sitemap.truncated:  # beyond the protocol's 50,000 URLs: counted, not an error
            self._count("sitemaps/urls_beyond_limit", sitemap.truncated)
        listed = self._articles_from((entry.loc for entry in sitemap.entries), response.url, "sitemap:")
        if sitemap.kind == "index" or sitemap.sitemaps:  # its children may change while it does not
            self.validators.unusable(_source_url(response))
        else:
            self.validators.read(_source_url(response), "sitemap", *_validators_of(response), listed)

    def parse_robots(self: _Spider, response: Response) -> Iterator[Request]:
        try:
            yield from self._read_robots(response)
        finally:
            self._settle(request_meta(response))
        yield from self._release_all()

    def _read_robots(self: _Spider, response: Response) -> Iterator[Request]:
        if response.status != 200:
            return
        for found in sitemaps_from_robots(response_text(response), response.url):
            url = try_canonical_url(found)
            if url is None:
                self._count("dropped/bad_url")
                continue
            self._count("discovered/sitemaps")
            yield from self._sitemap_request(url)

    def _articles_from(self: _Spider, urls: Iterable[str], origin: str, lane: str) -> list[str]:
        """Offer the links of a feed or sitemap, each its own lane: same site as it, listed (evidence).
        Returns the URLs offered."""
        offered = []
        home, lane = site_of(origin), lane + origin
        for raw in urls:
            url = try_canonical_url(raw)
            if url is None:
                self._count("dropped/bad_url")
                continue
            site = site_of(url)
            if not _same_site(site, home) and not _literal_ip(url):
                self._count("dropped/offsite")
            else:
                self._offer(Entry(url, site, lane, listed=True, discovered_from=origin))
                offered.append(url)
        return offered


def _same_site(site: str, home: str) -> bool:
    """:func:`crawler.urls.same_site` over sites already read (the feed's once, each link's once)."""
    return bool(site) and (site == home or site.endswith("." + home) or home.endswith("." + site))


def _literal_ip(url: str) -> bool:
    """An IP-literal link (``http://10.0.0.1/``) is kept so the SSRF guard refuses and counts it."""
    return literal_address(url_host(url)) is not None


def _source_url(response: Response) -> str:
    """The feed or sitemap URL as the spider requested it (the key of its validators)."""
    return str(request_meta(response).get("nw_source_url") or requested_url(response))


def _validators_of(response: Response) -> tuple[str | None, str | None]:
    """The ``ETag`` and ``Last-Modified`` of an answer (None when absent)."""
    etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    return (etag.decode("latin-1") if etag else None, modified.decode("latin-1") if modified else None)
