"""Address rules, pure: which addresses a crawl may reach (public ones, and the networks the config allows).

Private, loopback, link-local, multicast, reserved and unspecified addresses are refused unless they fall in a
network listed in ``crawl.allow_networks``. IPv6 addresses that carry an IPv4 address are judged by it as well:
IPv4-mapped (``::ffff:127.0.0.1``), 6to4 (``2002:7f00:1::``) and NAT64 (``64:ff9b::7f00:1``, RFC 6052), so no
spelling of a private IPv4 address passes; NAT64's local-use prefix ``64:ff9b:1::/48`` and Teredo
(``2001::/32``) are not global. Used by the crawl's guard (:mod:`crawler.fetch.netguard`), its resolver, the
one-page fetch and the configuration's validation.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from newswatch.storage.errors import FetchRefused

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
