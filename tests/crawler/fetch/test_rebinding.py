"""DNS rebinding: the guard's check and the connection use one resolution (crawler/fetch/resolver.py).

A DNS server of our own answers an allowed address (127.0.0.2, standing for a public one) to the first
query and 127.0.0.1 — where a "private service" listens on the same port — to every later one. Before
the fix the guard checked the first answer and the download resolved again and reached the private
service. Each crawl is one real crawl on Scrapy's download path, in a child process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newswatch.crawler.addresses import parse_servers
from newswatch.crawler.items import ArticleTarget
from tests.crawler.crawl_child import crawl_plan, loopback_settings
from tests.crawler.dns_server import RebindingDNS
from tests.crawler.site_server import SiteServer

PAGE = (b"<html><head><title>t</title></head><body><article><p>" + "正文。".encode() * 200
        + b"</p></article></body></html>")
ROUTE = (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE)


def _crawl(tmp_path: Path, answers: list[str | None]) -> tuple[int, int, list[str], dict[str, int]]:
    """(requests to the allowed server, requests to the private one, DNS queries, stats) of one crawl."""
    public = SiteServer({"/a.html": ROUTE}, host="127.0.0.2").start()
    private = SiteServer({"/a.html": ROUTE}, port=public.port, host="127.0.0.1").start()
    try:
        with RebindingDNS(answers) as dns:
            # only the "public" address allowed
            settings = loopback_settings(tmp_path, dns_servers=(dns.address,), retries=1,
                                         allow_networks=("127.0.0.2/32",))
            result = crawl_plan(tmp_path / "crawl", settings, [ArticleTarget(f"http://rebind.test:{public.port}/a.html")])
        return public.hits(), private.hits(), dns.queries, result.stats
    finally:
        public.stop()
        private.stop()


def test_a_name_that_rebinds_reaches_only_the_checked_address(tmp_path: Path) -> None:
    public_hits, private_hits, queries, _stats = _crawl(tmp_path, ["127.0.0.2", "127.0.0.1"])
    assert private_hits == 0
    assert public_hits == 1
    assert queries == ["rebind.test"]  # resolved once: the check's answer is the connection's


def test_a_private_first_answer_is_refused(tmp_path: Path) -> None:
    public_hits, private_hits, _queries, stats = _crawl(tmp_path, ["127.0.0.1"])
    assert (public_hits, private_hits) == (0, 0)
    assert stats.get("newswatch/refused/private_address", 0) == 1


def test_a_failed_lookup_is_not_a_pass(tmp_path: Path) -> None:
    public_hits, private_hits, queries, stats = _crawl(tmp_path, [None])
    assert (public_hits, private_hits) == (0, 0)
    assert queries and stats.get("downloader/request_count", 0) == 0
    assert stats.get("newswatch/errors/dns_failed") == 1, stats  # reported as the DNS failure it is


@pytest.mark.parametrize(("values", "expected"), [
    (["127.0.0.1:5353"], (("127.0.0.1", 5353),)), (["10.0.0.2"], (("10.0.0.2", 53),)),
    (["::1"], (("::1", 53),)),
], ids=["host-port", "host", "ipv6"])
def test_dns_servers_parse(values: list[str], expected: tuple[tuple[str, int], ...]) -> None:
    assert parse_servers(values) == expected


@pytest.mark.parametrize("value", ["dns.example.org:53", "127.0.0.1:99999", "127.0.0.1:x"], ids=["name", "port", "nan"])
def test_bad_dns_servers_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="IP address and port"):
        parse_servers([value])
