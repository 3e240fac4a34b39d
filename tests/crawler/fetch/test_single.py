"""The guarded single-page fetch and the site probe, against a loopback server."""

from __future__ import annotations

import gzip
import zlib

import pytest

from newswatch.crawler.discover.probe import probe_site
from newswatch.crawler.fetch.single import FetchLimits, fetch
from newswatch.storage.errors import CrawlError, FetchRefused
from tests.crawler.fixture_site import build_site
from tests.crawler.site_server import SiteServer

LOOPBACK = FetchLimits(allow_networks=("127.0.0.0/8",), max_bytes=64 * 1024, timeout=2.0)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_loopback_is_refused_unless_allowed(site_server: SiteServer) -> None:
    site_server.add("/", b"<p>hi</p>", headers=HTML)
    with pytest.raises(FetchRefused, match="non-public address"):
        fetch(site_server.url("/"), FetchLimits())
    assert site_server.hits() == 0, "refused before connecting"
    assert fetch(site_server.url("/"), LOOPBACK).body == b"<p>hi</p>"


def test_redirects_are_followed_and_each_target_checked(site_server: SiteServer) -> None:
    site_server.add_redirect("/old", "/new")
    site_server.add("/new", b"new", headers=HTML)
    page = fetch(site_server.url("/old"), LOOPBACK)
    assert (page.status, page.url, page.body) == (200, site_server.url("/new"), b"new")
    site_server.add_redirect("/inward", "http://10.255.255.1/admin")
    with pytest.raises(FetchRefused, match=r"10\.255\.255\.1"):
        fetch(site_server.url("/inward"), LOOPBACK)
    site_server.add_redirect("/a", "/b")
    site_server.add_redirect("/b", "/a")
    with pytest.raises(FetchRefused, match="redirect loop"):
        fetch(site_server.url("/a"), LOOPBACK)


@pytest.mark.parametrize(
    ("route", "error", "match"),
    [({"body": b"x" * 70_000}, FetchRefused, "larger than"),
     ({"body": b"x" * 10, "headers": {"Content-Length": "999999"}}, FetchRefused, "Content-Length"),
     ({"body": gzip.compress(b"<p>" + b"a" * 1_000_000 + b"</p>"), "headers": {"Content-Encoding": "gzip"}},
      FetchRefused, "once decompressed"),
     ({"body": gzip.compress(b"<p>hello</p>")[:-12], "headers": {"Content-Encoding": "gzip"}}, CrawlError,
      "truncated"),
     ({"body": b"<p>short</p>", "headers": {"Content-Length": "50"}}, CrawlError, "truncated body"),
     ({"body": b"<p>x</p>", "headers": {"Content-Encoding": "zstd"}}, CrawlError, "unsupported")],
    ids=["over-cap", "declared-over-cap", "gzip-bomb", "truncated-gzip", "truncated-body", "unknown-encoding"],
)
def test_caps_and_broken_bodies(site_server: SiteServer, route: dict[str, object], error: type[Exception],
                                match: str) -> None:
    headers = {**HTML, **route.get("headers", {})}  # type: ignore[dict-item]
    site_server.add("/p", route["body"], headers=headers)  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        fetch(site_server.url("/p"), LOOPBACK)


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("gzip", gzip.compress("<p>中文</p>".encode())), ("deflate", zlib.compress("<p>中文</p>".encode())),
     ("deflate", zlib.compress("<p>中文</p>".encode())[2:-4])],
    ids=["gzip", "deflate-zlib", "deflate-raw"],
)
def test_compressed_bodies_are_decoded(site_server: SiteServer, encoding: str, body: bytes) -> None:
    site_server.add("/z", body, headers={**HTML, "Content-Encoding": encoding})
    assert fetch(site_server.url("/z"), LOOPBACK).body == "<p>中文</p>".encode()


def test_a_trickling_server_cannot_hold_the_fetch(site_server: SiteServer) -> None:
    site_server.add_trickle("/slow", b"<p>" + b"a" * 20 + b"</p>", headers=HTML)
    with pytest.raises(CrawlError, match=r"timeout|timed out"):
        fetch(site_server.url("/slow"), FetchLimits(("127.0.0.0/8",), timeout=1.0))


def test_http_errors_are_returned(site_server: SiteServer) -> None:
    page = fetch(site_server.url("/missing"), LOOPBACK)
    assert page.status == 404


def test_only_http_urls() -> None:
    with pytest.raises(FetchRefused, match="only http"):
        fetch("file:///etc/passwd", LOOPBACK)


def test_probe_finds_the_feed_the_sitemaps_and_the_name(site_server: SiteServer) -> None:
    build_site(site_server)  # / announces /rss.xml; robots.txt lists /sitemap_index.xml
    probe = probe_site(site_server.url("/"), LOOPBACK)
    assert probe.feeds == (site_server.url("/rss.xml"),)
    assert probe.sitemaps == (site_server.url("/sitemap_index.xml"),)
    assert probe.url == site_server.url("/")
    site_server.add("/named", '<html><head><meta property="og:site_name" content="示例新闻"></head><body>x</body>'
                              "</html>".encode(), headers=HTML)
    assert probe_site(site_server.url("/named"), LOOPBACK, sitemaps=False).name == "示例新闻"


def test_probe_reports_a_missing_robots_txt(site_server: SiteServer) -> None:
    site_server.add("/", b'<html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml">'
                         b"</head><body>x</body></html>", headers=HTML)
    probe = probe_site(site_server.url("/"), LOOPBACK)
    assert probe.feeds == (site_server.url("/atom.xml"),) and probe.sitemaps == ()
    assert probe.notes == ("robots.txt: HTTP 404",)
    with pytest.raises(CrawlError, match="HTTP 404"):
        probe_site(site_server.url("/gone"), LOOPBACK)
