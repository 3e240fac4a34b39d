"""The crawl's one name resolver: resolve once, check every address, connect only to a checked address.

A hostile name can answer a public address to the SSRF guard's lookup and ``127.0.0.1`` to the
download's (DNS rebinding). So the guard and the connection share one resolution: this resolver is
installed on the reactor (``TWISTED_DNS_RESOLVER`` for a crawl process; :func:`ensure_installed` from
the guard middleware for the daemon's and the worker's runners), every answer is checked by
:func:`crawler.fetch.netguard.check_addresses` before anything may use it, and the checked addresses are
pinned for :data:`PIN_SECONDS` — the guard's check fills the pin, the connection made for that request
uses it (TLS is still verified against the host name: only the address is pinned). An answer with a
refused address, or no answer at all, gives the connection no address: nothing is connected.

Upstream is the system's resolver (``getaddrinfo`` in a thread), or the DNS servers of
``crawl.dns_servers`` (``host:port``) asked with Twisted's DNS client.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer  # type: ignore[import-untyped]

from newswatch.crawler.addresses import Network, check_addresses, literal_address, parse_networks, parse_servers
from newswatch.crawler.options import options_of
from newswatch.storage.errors import CrawlError, FetchRefused

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

PIN_SECONDS = 300.0  # how long a checked answer is used (browsers pin about as long)
PIN_ENTRIES = 10_000
Lookup = Callable[[str], "Deferred[list[str]]"]
Wanted = tuple[Any, ...]


@implementer(IResolutionReceiver)
class _Collect:
    """Gathers the addresses of one upstream resolution into a Deferred."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.done: Deferred[list[str]] = Deferred()

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(str(address.host))

    def resolutionComplete(self) -> None:
        self.done.callback(self.addresses)


def system_lookup(resolver: Any) -> Lookup:
    """Names resolved by ``resolver`` (the reactor's own: getaddrinfo in a thread)."""
    def lookup(host: str) -> Deferred[list[str]]:
        collect = _Collect()
        resolver.resolveHostName(collect, host)
        return collect.done
    return lookup


def server_lookup(servers: Sequence[tuple[str, int]], reactor: Any) -> Lookup:
    """Names resolved by asking ``servers`` (A records) with Twisted's DNS client."""
    from twisted.names import client, dns

    resolver: Any = client.Resolver(servers=list(servers), reactor=reactor)  # type: ignore[no-untyped-call]

    def lookup(host: str) -> Deferred[list[str]]:
        found: Deferred[Any] = resolver.lookupAddress(host)
        found.addCallback(lambda result: [r.payload.dottedQuad() for r in result[0] if r.type == dns.A])
        return found
    return lookup


@implementer(IHostnameResolver)
class GuardedResolver:
    """An ``IHostnameResolver`` that hands out only checked, pinned addresses."""

    def __init__(self, reactor: Any, allowed: tuple[Network, ...], lookup: Lookup, checks: bool = True,
                 clock: Callable[[], float] = time.monotonic, upstream: Any = None, wanted: Wanted = ()) -> None:
        self.reactor = reactor
        self.allowed = allowed
        self.lookup = lookup
        self.checks = checks  # off when replaying a cassette: nothing connects then
        self.clock = clock
        self.upstream = upstream  # the reactor's resolver this one replaced (getaddrinfo in a thread)
        self.wanted = wanted  # the settings it was built from (see ensure_installed)
        self.pins: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        return build(reactor, crawler.settings)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def checked(self, host: str) -> Deferred[list[str]]:
        """The addresses of ``host``, checked and pinned; FetchRefused or CrawlError (no answer)."""
        literal = literal_address(host)
        if literal is not None:
            return self._verdict(host, [literal])
        pinned = self.pins.get(host)
        if pinned is not None and pinned[0] > self.clock():
            return succeed(list(pinned[1]))
        answer = self.lookup(host)
        answer.addCallbacks(lambda addresses: self._pin(host, addresses), lambda failure: self._failed(host, failure))
        return answer

    def _verdict(self, host: str, addresses: list[str]) -> Deferred[list[str]]:
        try:
            self._check(host, addresses)
        except FetchRefused as exc:
            return fail(exc)
        return succeed(addresses)

    def _check(self, host: str, addresses: list[str]) -> None:
        if not addresses:
            raise CrawlError(f"{host}: the name has no address")
        if self.checks:
            check_addresses(host, addresses, self.allowed)

    def _pin(self, host: str, addresses: list[str]) -> list[str]:
        self._check(host, addresses)
        self.pins[host] = (self.clock() + PIN_SECONDS, list(addresses))
        self.pins.move_to_end(host)
        while len(self.pins) > PIN_ENTRIES:
            self.pins.popitem(last=False)
        return addresses

    @staticmethod
    def _failed(host: str, failure: Any) -> list[str]:
        raise CrawlError(f"{host}: the name cannot be resolved ({failure.getErrorMessage()})")

    def resolveHostName(self, resolutionReceiver: Any, hostName: str, portNumber: int = 0,
                        addressTypes: Any = None, transportSemantics: str = "TCP") -> Any:
        """Twisted's entry: the receiver gets the checked addresses, or none (nothing connects)."""
        from twisted.internet._resolver import HostResolution

        resolutionReceiver.resolutionBegan(HostResolution(hostName))

        def deliver(addresses: list[str]) -> None:
            for address in addresses:
                kind = IPv6Address if ":" in address else IPv4Address
                resolutionReceiver.addressResolved(kind("TCP", address, portNumber))
            resolutionReceiver.resolutionComplete()

        answer = self.checked(hostName)
        answer.addCallbacks(deliver, lambda _failure: deliver([]))
        return resolutionReceiver


def _wanted(settings: Any) -> Wanted:
    options = options_of(settings)
    return options.crawl.allow_networks, options.guard_dns, options.crawl.dns_servers


def build(reactor: Any, settings: Any) -> GuardedResolver:
    """The resolver a crawl's settings ask for (allowed networks, DNS servers, checks on or off)."""
    options = options_of(settings)
    allowed = parse_networks(options.crawl.allow_networks)
    servers = parse_servers(options.crawl.dns_servers)
    current = reactor.nameResolver
    upstream = current.upstream if isinstance(current, GuardedResolver) else current
    lookup = server_lookup(servers, reactor) if servers else system_lookup(upstream)
    return GuardedResolver(reactor, allowed, lookup, options.guard_dns,
                           upstream=upstream, wanted=_wanted(settings))


def ensure_installed(reactor: Any, settings: Any) -> GuardedResolver:
    """The reactor's GuardedResolver for these settings, installed when it is not there yet (the daemon's
    and the worker's runners do not install ``TWISTED_DNS_RESOLVER``)."""
    current = reactor.nameResolver
    if isinstance(current, GuardedResolver) and current.wanted == _wanted(settings):
        return current
    resolver = build(reactor, settings)
    resolver.install_on_reactor()
    return resolver
