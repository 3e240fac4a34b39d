"""A sitemap at the protocol's limits: 60,000 URLs (3.4 MB; the protocol allows 50,000 URLs and 50 MB
uncompressed per file) is read, its 10,000 excess URLs counted, never an error; streamed, also as ``.gz``.

It used to be an ``error too_large`` (a 2 MiB cap shared with feeds) and the run exited 1.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from newswatch.crawler.discover.sitemaps import parse_sitemap
from newswatch.crawler.discover.sitemapxml import escape_ampersands
from newswatch.crawler.items import SiteTarget
from tests.crawler.crawl_child import crawl_plan, loopback_settings
from tests.crawler.site_server import SiteServer

URLS = 60_000


def big_sitemap(base: str, count: int = URLS) -> bytes:
    rows = "".join(f"<url><loc>{base}/2025/02/{i:05d}.html</loc><lastmod>2025-02-11</lastmod></url>\n"
                   for i in range(count))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{rows}</urlset>\n").encode()


@pytest.fixture(scope="module")
def body() -> bytes:
    return big_sitemap("https://news.example.cn")


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_sixty_thousand_urls_read_and_the_excess_counted(body: bytes, packed: bool) -> None:
    assert len(body) > 3_000_000
    sitemap = parse_sitemap(gzip.compress(body) if packed else body, "https://news.example.cn/sitemap.xml")
    assert len(sitemap.entries) == 50_000 and sitemap.truncated == 10_000
    assert sitemap.entries[0].loc == "https://news.example.cn/2025/02/00000.html"
    assert sitemap.entries[-1].loc == "https://news.example.cn/2025/02/49999.html"
    assert sitemap.gzipped is packed and sitemap.warnings == ()


def test_bare_ampersands_across_chunk_boundaries_are_recovered() -> None:
    rows = "".join(f"<url><loc>https://news.example.cn/a?id={i}&amp;p=1&x={i}</loc></url>" for i in range(40_000))
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'.encode()
    assert len(body) > 2 * 1024 * 1024  # several chunks
    sitemap = parse_sitemap(body, "https://news.example.cn/sitemap.xml")
    assert len(sitemap.entries) == 40_000 and sitemap.warnings and sitemap.warnings[0].startswith("ill-formed")
    assert sitemap.entries[39_999].loc == "https://news.example.cn/a?id=39999&p=1&x=39999"


def test_escaping_never_splits_a_reference() -> None:
    pieces = [b"<a>x &amp", b"; y & z</a><b>&", b"lt;</b>"]
    assert b"".join(escape_ampersands(iter(pieces))) == b"<a>x &amp; y &amp; z</a><b>&lt;</b>"


def test_a_crawl_reads_a_big_sitemap_without_an_error(site_server: SiteServer, tmp_path: Path) -> None:
    site_server.route("/sitemap.xml", (200, {"Content-Type": "application/xml"}, big_sitemap(site_server.base_url)))
    settings = loopback_settings(tmp_path, max_pages_per_site=3)
    result = crawl_plan(tmp_path / "crawl", settings,
                        [], sites=[SiteTarget("big", sitemaps=(site_server.url("/sitemap.xml"),), robots=False)])
    assert result.count("newswatch/fetched/sitemap") == 1
    assert result.count("newswatch/sitemaps/urls_beyond_limit") == 10_000
    assert not [k for k in result.stats if k.startswith("newswatch/errors")], result.stats
