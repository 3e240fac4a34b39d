"""Malformed links are "not a URL", never an exception: one bad ``href`` must not stop a page.

A real page (kxan.com, from trafilatura's evaluation set) carries ``<a href="http://[ccpa-preferences]">``;
it goes through the spider's callbacks as a section page and as an article, and everything else on it
is still followed. Then every parser of untrusted input meets a few hundred hostile spellings.
"""

from __future__ import annotations

import asyncio
import gzip
import random
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse, XmlResponse

from newswatch.crawler.discover.canonical import declared_canonical
from newswatch.crawler.discover.feeds import parse_feed
from newswatch.crawler.discover.links import discover_feeds, follow_links, looks_like_article, page_links
from newswatch.crawler.discover.sitemaps import parse_sitemap, sitemaps_from_robots
from newswatch.crawler.fetch.redirects import is_loop
from newswatch.crawler.items import FetchedArticle
from newswatch.crawler.urls import canonical_url, join_url, same_site, site_of, split_url, try_canonical_url, url_host
from newswatch.storage.corpus.links import find_links, is_image_url
from newswatch.storage.errors import ParseError
from tests.crawler.spiders.test_spider import section, spider

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "extraction_eval"
KXAN_URL = ("https://www.kxan.com/news/texas/voters-pass-increase-for-retired-public-education-workers-but-"
            "future-shortfalls-likely-to-emerge/")
KXAN_FEED = "https://www.kxan.com/feed/"


CCPA = b'href="http://[ccpa-preferences]"'


def kxan(repaired: bool = False) -> HtmlResponse:
    """The real page; ``repaired``: its one malformed link replaced by a fragment link (followed by nothing)."""
    body = gzip.decompress((FIXTURES / "kxan.com-Voters.html.gz").read_bytes())
    assert body.count(CCPA) == 1
    if repaired:
        body = body.replace(CCPA, b'href="#ccpa-preferences"')
    return HtmlResponse(KXAN_URL, body=body, headers={"Content-Type": "text/html; charset=UTF-8"})


def _followed(response: HtmlResponse) -> list[tuple[str, str]]:
    """What the page makes the spider fetch as a section page: feed requests, and the links it offers."""
    made = spider(max_pages_per_site=1000)
    reading = section(response.body, response.url)
    feeds = [(r.url, getattr(r.callback, "__name__", "")) for r in made.follow_section(reading, response.url, 0)
             if isinstance(r, Request)]
    return feeds + [(url, f"depth {entry.depth}") for url, entry in made.frontier.entries.items()]


def test_the_real_page_as_a_section_follows_everything_but_the_malformed_link() -> None:
    found = _followed(kxan())
    assert found == _followed(kxan(repaired=True)), "the malformed link changes nothing else"
    assert (KXAN_FEED, "parse_feed") in found, "the page's announced feed is still followed"
    kinds = [kind for _url, kind in found]
    assert kinds.count("depth 1") >= 110, kinds
    assert all(same_site(url, KXAN_URL) for url, _kind in found)


def test_the_real_page_as_an_article_is_extracted_and_its_feed_followed() -> None:
    made = spider()

    async def collect() -> list[Any]:
        response = kxan()
        response.request = Request(KXAN_URL, meta={"nw_url": KXAN_URL, "nw_held": True})
        return [r async for r in made.parse_page(response)]

    try:
        results = asyncio.run(collect())
    finally:
        made.closed("finished")
    (article,) = [r for r in results if isinstance(r, FetchedArticle)]
    assert article.url == KXAN_URL and "are living on credit cards" in article.body
    assert [r.url for r in results if isinstance(r, Request)] == [KXAN_FEED]


# -- hostile spellings, through every parser of untrusted input ------------------------------------

BASE = "https://news.example.com/2025/06/01/page.html"
KNOWN = [
    "http://[ccpa-preferences]", "http://[::1", "http://::1]/", "http://[::1]junk/", "http://[]/", "http://[127.0.0.1]/",
    "http://[v7.abc]/", "http://[fe80::1%25eth0]/", "http://example.com:port/", "http://[::1]:99999/",
    "http://a[b]c/", "//[ccpa]/x", "https://[::1]:-1/", "http://[::1]:8080:9/", "http://%5B::1%5D/", "[::1]",
    "http://[" + "f" * 5000 + "]/", "http://\u0000/", "http://exa mple.com/", "http://example.com:65536/",
    "javascript:alert(1)", "http://[::ffff:10.0.0.1]/", "http://[2002:a00:1::]/", "",
]
PIECES = ["http://", "https://", "//", "[", "]", ":", "::1", "ccpa", "%", "%25", "@", "/", "?", "#", "\\", "80",
          "99999", "x", "ü", "\t", " ", "&amp;", "v1.", "127.0.0.1", "fe80::", "."]


def spellings() -> list[str]:
    rng = random.Random(10)
    made = ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8))) for _ in range(300)]
    return KNOWN + made


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace("\x00", "")


def _page(href: str) -> str:
    value = _escape(href)
    return (f'<html><head><link rel="canonical" href="{value}"><link rel="alternate" type="application/rss+xml" '
            f'href="{value}"></head><body><a href="{value}">x</a>'
            '<a href="/2025/06/02/good.html">good</a></body></html>')


def _rss(href: str) -> bytes:
    value = _escape(href)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>{value}</link>'
            f"<item><link>{value}</link><guid>{value}</guid></item>"
            "<item><link>https://news.example.com/2025/06/02/good.html</link></item></channel></rss>").encode()


def _sitemap(href: str) -> bytes:
    value = _escape(href)
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:xhtml="http://www.w3.org/1999/xhtml"><url><loc>{value}</loc><xhtml:link rel="alternate" '
            f'hreflang="en" href="{value}"/></url><url><loc>https://news.example.com/2025/06/02/good.html</loc>'
            "</url></urlset>").encode()


def test_hostile_spellings_are_not_urls_in_every_parser() -> None:
    good = "https://news.example.com/2025/06/02/good.html"
    for href in spellings():
        canonical = try_canonical_url(href, BASE)
        assert canonical is None or canonical.startswith(("http://", "https://")), href
        if canonical is not None:
            assert canonical_url(canonical) == canonical, f"round trip of {href!r}"
            assert Request(canonical).url == canonical, "Scrapy takes every canonical URL as it is"
        plain = try_canonical_url(href)
        assert plain is None or plain.startswith(("http://", "https://")), href
        joined = join_url(BASE, href)
        assert joined is None or isinstance(joined, str)
        parts = split_url(href)
        assert parts is None or isinstance(parts.port, int | None)
        assert isinstance(url_host(href), str) and isinstance(site_of(href), str)
        flags = (same_site(href, BASE), looks_like_article(href), is_image_url(href), is_loop(BASE, [], href))
        assert all(isinstance(flag, bool) for flag in flags)
        assert all(link.url for link in find_links(f"[x]({href}) <{href}>"))
        assert good in page_links(_page(href), BASE), href
        assert good in follow_links(_page(href), BASE)[0], href
        discover_feeds(_page(href), BASE)
        declared_canonical(_page(href), BASE)
        page_links(f'<base href="{_escape(href)}"><a href="/a/1234567.html">x</a>', BASE)
        feed = parse_feed(_rss(href), BASE, {"content-type": "application/rss+xml"}, canonicalize=canonical_url)
        assert good in [e.canonical_link for e in feed.entries], href
        assert good in [e.loc for e in parse_sitemap(_sitemap(href), BASE).entries], href
        sitemaps_from_robots(f"User-agent: *\nSitemap: {href}\n", BASE)


@pytest.mark.parametrize("href", KNOWN, ids=range(len(KNOWN)))
def test_hostile_links_in_feeds_and_sitemaps_never_stop_the_spider(href: str) -> None:
    good = "https://news.example.com/2025/06/02/good.html"
    feed = XmlResponse(BASE + ".rss", body=_rss(href), headers={"Content-Type": "application/rss+xml"})
    sitemap = XmlResponse(BASE + ".xml", body=_sitemap(href))
    robots = TextResponse("https://news.example.com/robots.txt", body=f"Sitemap: {href}\n".encode())
    page = _page(href)
    calls: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("parse_feed", (feed,)), ("parse_sitemap", (sitemap,)), ("follow_section", (section(page, BASE), BASE, 0)))
    for method, args in calls:
        made = spider()
        list(getattr(made, method)(*args))
        assert good in made.frontier.entries, href
    list(spider().parse_robots(robots))


def test_a_malformed_location_header_is_refused_not_raised() -> None:
    assert is_loop(BASE, [], "http://[ccpa-preferences]/") is False
    with pytest.raises(ParseError):
        canonical_url("http://[ccpa-preferences]/", BASE)
