"""Redirect loops are reported, not silently dropped.

Scrapy follows redirects through the scheduler, whose duplicate filter quietly drops a request for a
URL already fetched, so ``a -> b -> a`` vanishes without an error. This downloader middleware sits
just below ``RedirectMiddleware`` and turns a redirect back to any URL of the current chain into an
``IgnoreRequest`` ("redirect loop"), which reaches the request's errback and the run's report.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from newswatch.crawler.urls import try_canonical_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def is_loop(request_url: str, chain: list[str], location: str) -> bool:
    """True when ``location`` (relative to ``request_url``) points back into the redirect chain."""
    target = try_canonical_url(location, request_url)
    seen = {try_canonical_url(u) for u in [*chain, request_url]}
    return target is not None and target in seen


class RedirectLoopMiddleware:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status in REDIRECT_STATUSES and location:
            text = location.decode("latin-1")
            if try_canonical_url(text, request.url) is None:
                self.stats.inc_value("newswatch/errors/bad_location")
                raise IgnoreRequest(f"not a valid URL in the Location header of {request.url}: {text[:200]!r}")
            if is_loop(request.url, list(request.meta.get("redirect_urls", [])), text):
                self.stats.inc_value("newswatch/errors/redirect_loop_detected")
                raise IgnoreRequest(f"redirect loop: {request.url} -> {text}")
        return response

