"""SSRF guard: private, loopback and link-local addresses refused unless their network is allowed."""

from __future__ import annotations

import pytest

from crawler.netguard import check_addresses, is_allowed, is_public_address, literal_address, parse_networks
from storage.errors import FetchRefused

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


def test_literal_addresses() -> None:
    assert literal_address("[::1]") == "::1"
    assert literal_address("127.0.0.1") == "127.0.0.1"
    assert literal_address("example.com") is None
