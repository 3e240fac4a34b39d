"""SSRF guard: URLs found in fetched documents, feeds and sitemaps may not reach private networks.

A downloader middleware resolves each request's host and refuses it (``IgnoreRequest``, counted as
``newswatch/refused/private_address``) when any address is private, loopback, link-local, multicast,
reserved or unspecified — unless it falls in a network listed in ``crawl.allow_networks``
(configuration ``crawl.allow_networks``; the tests allow ``127.0.0.0/8`` and nothing else).
Redirects pass through the middleware again, so a public URL redirecting inward is refused too.
IPv6 addresses that carry an IPv4 address are judged by it as well: IPv4-mapped (``::ffff:127.0.0.1``),
6to4 (``2002:7f00:1::``) and NAT64 (``64:ff9b::7f00:1``, RFC 6052), so no spelling of a private IPv4
address passes; NAT64's local-use prefix ``64:ff9b:1::/48`` and Teredo (``2001::/32``) are not global.
The address checks are pure; only :meth:`SSRFGuardMiddleware.process_request` resolves names.
Names are resolved once, by :class:`crawler.fetch.resolver.GuardedResolver` (installed on the reactor): the
middleware's check and the connection use the same checked, pinned answer, so a name that answers
differently on a second query (DNS rebinding) cannot reach a private address; a failed lookup is a
failed request, never a pass.
When replaying a cassette (``CrawlOptions.guard_dns`` false) names are not looked up: a replay makes no
network traffic at all; IP literals are still checked.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

from newswatch.crawler.urls import split_url
from newswatch.storage.errors import CrawlError, FetchRefused

if TYPE_CHECKING:  # the address checks are used outside Scrapy too (crawler.fetch.single): Scrapy only for the middleware
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from newswatch.crawler.fetch.resolver import GuardedResolver

STAT_REFUSED = "newswatch/refused/private_address"


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix: the last 32 bits are the IPv4 address
NOT_GLOBAL_V6 = (ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("2001::/32"))


def _parse(address: str) -> Address | None:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None


def embedded_ipv4(ip: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4, NAT64), else None."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_global(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and any(ip in net for net in NOT_GLOBAL_V6):
        return False
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    )


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast IP address (and, for IPv6, the IPv4 address it carries)."""
    ip = _parse(address)
    if ip is None:
        return False
    inner = embedded_ipv4(ip)
    if inner is None:
        return _is_global(ip)
    # IPv4-mapped and NAT64 addresses are reserved ranges that stand for their IPv4 address; a 6to4
    # address must be global itself as well
    stands_for_inner = isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped is not None or ip in NAT64)
    return _is_global(inner) and (stands_for_inner or _is_global(ip))


def literal_address(host: str) -> str | None:
    """The host when it is an IP literal (``127.0.0.1``, ``[::1]``), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """CIDR strings (``127.0.0.0/8``, ``::1/128``) as networks; ValueError names a bad one."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


def parse_servers(values: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """``host:port`` (or ``host``, port 53) strings as pairs; ValueError names a bad one."""
    servers = []
    for value in values:
        host, _, port = value.strip().rpartition(":") if value.count(":") == 1 else (value.strip(), "", "53")
        if literal_address(host) is None or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected an IP address and port like 127.0.0.1:53, got {value!r}")
        servers.append((host, int(port)))
    return tuple(servers)


def is_allowed(address: str, allowed: tuple[Network, ...]) -> bool:
    """True for a public address, or one inside an explicitly allowed network (an IPv4-mapped IPv6
    address, the same destination as its IPv4 address, is allowed when either form is inside)."""
    if is_public_address(address):
        return True
    ip = _parse(address)
    if ip is None:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    forms = [form for form in (ip, mapped) if form is not None]
    return any(form.version == net.version and form in net for form in forms for net in allowed)


def check_addresses(host: str, addresses: list[str], allowed: tuple[Network, ...] = ()) -> None:
    """Raise :class:`FetchRefused` unless every address of ``host`` may be fetched."""
    if not addresses:
        raise FetchRefused(f"{host}: no address")
    bad = sorted({a for a in addresses if not is_allowed(a, allowed)})
    if bad:
        raise FetchRefused(f"{host} resolves to a non-public address ({', '.join(bad)})")


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
        from newswatch.crawler.settings import options_of

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
