"""SSRF guard: URLs found in fetched documents, feeds and sitemaps may not reach private networks.

A downloader middleware resolves each request's host and refuses it (``IgnoreRequest``, counted as
``newswatch/refused/private_address``) when any address is private, loopback, link-local, multicast,
reserved or unspecified — unless it falls in a network listed in ``crawl.allow_networks``
(configuration ``crawl.allow_networks``; the tests allow ``127.0.0.0/8`` and nothing else).
Redirects pass through the middleware again, so a public URL redirecting inward is refused too.
IPv6 addresses that carry an IPv4 address are judged by it as well: IPv4-mapped (``::ffff:127.0.0.1``),
6to4 (``2002:7f00:1::``) and NAT64 (``64:ff9b::7f00:1``, RFC 6052), so no spelling of a private IPv4
address passes; NAT64's local-use prefix ``64:ff9b:1::/48`` and Teredo (``2001::/32``) are not global.
The address rules are pure (:mod:`crawler.addresses`); only :meth:`SSRFGuardMiddleware.process_request` resolves names.
Names are resolved once, by :class:`crawler.fetch.resolver.GuardedResolver` (installed on the reactor): the
middleware's check and the connection use the same checked, pinned answer, so a name that answers
differently on a second query (DNS rebinding) cannot reach a private address; a failed lookup is a
failed request, never a pass.
When replaying a cassette (``CrawlOptions.guard_dns`` false) names are not looked up: a replay makes no
network traffic at all; IP literals are still checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newswatch.crawler.addresses import Network, check_addresses, literal_address, parse_networks
from newswatch.crawler.urls import split_url
from newswatch.storage.errors import CrawlError, FetchRefused

if TYPE_CHECKING:  # Scrapy only for the middleware
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from newswatch.crawler.fetch.resolver import GuardedResolver

STAT_REFUSED = "newswatch/refused/private_address"


class SSRFGuardMiddleware:
    """Downloader middleware that refuses requests to private, loopback and link-local addresses."""

    def __init__(self, stats: StatsCollector, allowed: tuple[Network, ...], lookups: bool = True,
                 resolver: GuardedResolver | None = None) -> None:
        self.stats = stats
        self.allowed = allowed
        self.lookups = lookups
        self.resolver = resolver  # the reactor's: its check is the connection's (see crawler.fetch.resolver)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SSRFGuardMiddleware:
        from twisted.internet import reactor

        from newswatch.crawler.fetch.resolver import ensure_installed

        assert crawler.stats is not None
        from newswatch.crawler.options import options_of

        settings = crawler.settings
        options = options_of(settings)
        allowed = parse_networks(options.crawl.allow_networks)
        lookups = options.guard_dns
        return cls(crawler.stats, allowed, lookups, ensure_installed(reactor, settings) if lookups else None)

    async def process_request(self, request: Request) -> None:
        from scrapy.exceptions import IgnoreRequest
        from scrapy.utils.defer import maybe_deferred_to_future

        parts = split_url(request.url)
        if parts is None:
            self.stats.inc_value(STAT_REFUSED)
            raise IgnoreRequest(f"refused {request.url!r}: not a valid URL")
        host = parts.hostname or ""
        literal = literal_address(host)
        if literal is None and not self.lookups:
            return
        try:
            if literal is not None:
                check_addresses(host, [literal], self.allowed)
            elif self.resolver is not None:
                await maybe_deferred_to_future(self.resolver.checked(host))
        except FetchRefused as exc:
            self.stats.inc_value(STAT_REFUSED)
            raise IgnoreRequest(f"refused {request.url}: {exc}") from exc
        except CrawlError as exc:  # no address: the request fails as the download would have
            from twisted.internet.error import DNSLookupError

            raise DNSLookupError(str(exc)) from exc
