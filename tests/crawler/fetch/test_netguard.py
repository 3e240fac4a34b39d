"""SSRF guard: private, loopback and link-local addresses refused unless their network is allowed."""

from __future__ import annotations

import pytest

from newswatch.crawler.addresses import check_addresses, is_allowed, is_public_address, literal_address, parse_networks
from newswatch.storage.errors import FetchRefused

ADDRESSES = {
    "public-v4": ("93.184.216.34", True),
    "public-v6": ("2606:2800:220:1:248:1893:25c8:1946", True),
    "loopback": ("127.0.0.1", False),
    "loopback-other": ("127.8.9.10", False),
    "private-10": ("10.1.2.3", False),
    "private-172": ("172.16.0.1", False),
    "private-192": ("192.168.1.1", False),
    "link-local": ("169.254.169.254", False),
    "cgnat": ("100.64.0.1", False),
    "unspecified": ("0.0.0.0", False),
    "v6-loopback": ("::1", False),
    "v6-link-local": ("fe80::1%eth0", False),
    "v6-unique-local": ("fd00::1", False),
    "v4-mapped-private": ("::ffff:10.0.0.1", False),
    "v4-mapped-loopback": ("::ffff:127.0.0.1", False),
    "v4-mapped-public": ("::ffff:93.184.216.34", True),
    "v6-unique-local-fc": ("fc00::1", False),
    "v6-link-local-plain": ("fe80::1", False),
    "v6-link-local-top": ("febf:ffff::1", False),
    "v6-unspecified": ("::", False),
    "v4-compatible-loopback": ("::127.0.0.1", False),
    "6to4-loopback": ("2002:7f00:1::1", False),
    "6to4-private": ("2002:a00:1::1", False),
    "6to4-metadata": ("2002:a9fe:a9fe::1", False),
    "6to4-public": ("2002:5db8:d822::1", True),
    "nat64-loopback": ("64:ff9b::7f00:1", False),
    "nat64-metadata": ("64:ff9b::a9fe:a9fe", False),
    "nat64-public": ("64:ff9b::5db8:d822", True),
    "nat64-local-use": ("64:ff9b:1::5db8:d822", False),
    "teredo": ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
    "v6-documentation": ("2001:db8::1", False),
    "v6-multicast": ("ff02::1", False),
    "multicast": ("224.0.0.1", False),
    "garbage": ("not-an-ip", False),
}


@pytest.mark.parametrize("name", sorted(ADDRESSES), ids=str)
def test_is_public_address(name: str) -> None:
    address, public = ADDRESSES[name]
    assert is_public_address(address) is public


def test_allowed_networks_open_only_themselves() -> None:
    loopback = parse_networks(["127.0.0.0/8", "::1/128"])
    assert is_allowed("127.0.0.1", loopback)
    assert is_allowed("::1", loopback)
    assert not is_allowed("10.0.0.1", loopback)
    assert not is_allowed("169.254.169.254", loopback)
    check_addresses("localhost", ["127.0.0.1", "::1"], loopback)
    with pytest.raises(FetchRefused, match="non-public address"):
        check_addresses("mixed.example", ["93.184.216.34", "10.0.0.1"], loopback)
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.1"):
        check_addresses("localhost", ["127.0.0.1"])


@pytest.mark.parametrize(("address", "network"), [
    ("::1", "::1/128"), ("fd12:3456::1", "fc00::/7"), ("fe80::1", "fe80::/10"), ("::ffff:127.0.0.1", "127.0.0.0/8"),
    ("::ffff:127.0.0.1", "::ffff:0:0/96"), ("2002:7f00:1::1", "2002::/16"),
], ids=["loopback", "unique-local", "link-local", "v4-mapped-by-v4-net", "v4-mapped-by-v6-net", "6to4-by-v6-net"])
def test_private_ipv6_is_allowed_only_through_its_network(address: str, network: str) -> None:
    assert not is_allowed(address, ())
    assert not is_allowed(address, parse_networks(["10.0.0.0/8", "2001:db8::/32"]))
    assert is_allowed(address, parse_networks([network]))


def test_6to4_of_loopback_is_not_opened_by_the_ipv4_loopback_network() -> None:
    assert not is_allowed("2002:7f00:1::1", parse_networks(["127.0.0.0/8"]))
    assert not is_allowed("64:ff9b::7f00:1", parse_networks(["127.0.0.0/8"]))


def test_literal_addresses() -> None:
    assert literal_address("[::1]") == "::1"
    assert literal_address("::ffff:7f00:1") == "::ffff:7f00:1"
    assert literal_address("127.0.0.1") == "127.0.0.1"
    assert literal_address("example.com") is None
