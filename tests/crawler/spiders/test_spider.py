"""The spider's callbacks on real responses, without a reactor: what each page makes it fetch next."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadConnectionRefusedError
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionRefusedError as TwistedConnectionRefused
from twisted.python.failure import Failure

from newswatch.crawler.discover.frontier import SECTION_LANE, Entry
from newswatch.crawler.extract.reading import Page, Reading, read
from newswatch.crawler.fetch.failures import failure_kind
from newswatch.crawler.items import ArticleTarget, CrawlPlan, FetchError, RejectedPage, SiteTarget
from newswatch.crawler.settings import crawl_settings
from newswatch.crawler.spiders.news import NewsSpider
from tests.crawler.crawl_child import options_of

BASE = "https://news.example.com"


def spider(**options: Any) -> NewsSpider:
    settings = crawl_settings(options_of("sqlite://", "unused", **options))
    crawler = get_crawler(NewsSpider, settings)
    made = NewsSpider.from_crawler(crawler, plan=CrawlPlan())
    assert isinstance(made, NewsSpider)
    return made


def html(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url, body=f"<html><body>{body}</body></html>".encode(), encoding="utf-8")


SECTION = "".join(f'<a href="/2025/02/{d:02d}/a{d}.html">{d}</a>' for d in range(1, 6)) + (
    '<a href="/world/">world</a><a href="https://elsewhere.example.org/2025/02/01/x.html">x</a>'
)


def section(body: str | bytes, url: str) -> Reading:
    """The worker's reading of a section page (links and feeds, no extraction)."""
    raw = body.encode() if isinstance(body, str) else body
    return read(Page(raw, "text/html; charset=utf-8", url, url, follow=True, extract=False))


def requests_of(results: Any) -> list[Request]:
    return [r for r in results if isinstance(r, Request)]


def offered(made: NewsSpider) -> list[str]:
    """The URLs offered to the spider's frontier, in order (requested when the frontier releases them)."""
    return list(made.frontier.entries)


def page(url: str, body: str, **meta: Any) -> HtmlResponse:
    """A response to one of the spider's page requests (``meta``: what the request carried)."""
    return HtmlResponse(url, body=f"<html><body>{body}</body></html>".encode(), encoding="utf-8",
                        request=Request(url, meta={"nw_url": url, **meta}))


def judged(made: NewsSpider, response: HtmlResponse) -> list[Any]:
    async def collect() -> list[Any]:
        return [r async for r in made.parse_page(response)]

    try:
        return asyncio.run(collect())
    finally:
        made.closed("finished")


def test_section_page_offers_same_site_links_whatever_their_shape() -> None:
    made = spider()
    reading = section(html(BASE + "/", SECTION).body, BASE + "/")
    assert requests_of(made.follow_section(reading, BASE + "/", depth=0)) == []
    assert offered(made) == [f"{BASE}/2025/02/{d:02d}/a{d}.html" for d in range(1, 6)] + [f"{BASE}/world/"]
    assert {e.depth for e in made.frontier.entries.values()} == {1}


def test_depth_limit_stops_following_sections_but_not_article_shaped_links() -> None:
    made = spider(max_depth=1)
    list(made.follow_section(section(html(BASE + "/world/", SECTION).body, BASE + "/world/"), BASE + "/world/", 1))
    assert f"{BASE}/world/" not in offered(made)
    assert len(offered(made)) == 5


def test_page_limit_per_site_is_counted() -> None:
    made = spider(max_pages_per_site=2)
    list(made.follow_section(section(SECTION, BASE + "/"), BASE + "/", depth=0))
    released = [e.url for e in made.frontier.release("news.example.com")]
    assert released == [f"{BASE}/2025/02/01/a1.html", f"{BASE}/2025/02/02/a2.html"]
    made.closed("finished")
    assert made.crawler.stats is not None
    assert made.crawler.stats.get_value("newswatch/limited/pages_per_site") == 4


def test_a_page_that_is_not_an_article_is_a_section_when_a_section_led_to_it() -> None:
    made = spider()
    made.frontier.hold(Entry(BASE + "/hub", "news.example.com", "held", depth=0))
    results = judged(made, page(BASE + "/hub", SECTION, nw_held=True))
    assert not [r for r in results if isinstance(r, RejectedPage)], "a section page is not a rejection"
    assert len(offered(made)) == 1 + 6


def test_a_listed_page_that_is_not_an_article_is_a_rejection_and_not_followed() -> None:
    made = spider()
    made.frontier.offer(Entry(BASE + "/hub", "news.example.com", "feed:x", listed=True))
    made.frontier.offer(Entry(BASE + "/hub", "news.example.com", SECTION_LANE, depth=1))  # a second route
    (released,) = made.frontier.release("news.example.com")
    assert released.listed and released.depth == 1, "the evidence of both routes is merged"
    results = judged(made, page(BASE + "/hub", SECTION, nw_held=False))
    assert len([r for r in results if isinstance(r, RejectedPage)]) == 1, "reported: a feed said article"
    assert offered(made) == [BASE + "/hub"]


def test_feed_entries_become_canonical_same_site_article_requests() -> None:
    rss = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{BASE}/</link>'
           f"<item><link>{BASE}/2025/02/11/a.html?utm_source=rss#top</link></item>"
           "<item><link>https://elsewhere.example.org/2025/02/11/b.html</link></item>"
           "<item><link>http://10.0.0.7/2025/02/11/c.html</link></item>"
           "</channel></rss>").encode()
    made = spider()
    response = XmlResponse(BASE + "/rss.xml", body=rss, headers={"Content-Type": "application/rss+xml"})
    found = requests_of(made.parse_feed(response))
    assert [r.url for r in found] == [f"{BASE}/2025/02/11/a.html", "http://10.0.0.7/2025/02/11/c.html"]
    assert made.frontier.entries[found[0].url].discovered_from == BASE + "/rss.xml"
    assert made.frontier.entries[found[0].url].listed
    assert made.crawler.stats is not None
    assert made.crawler.stats.get_value("newswatch/dropped/offsite") == 1


def test_html_served_as_feed_is_a_reported_error() -> None:
    made = spider()
    results = list(made.parse_feed(html(BASE + "/rss.xml", "<p>not a feed</p>")))
    assert len(results) == 1 and isinstance(results[0], FetchError) and results[0].kind == "bad_feed"
    assert made.errors == results


def test_robots_sitemaps_and_sitemap_index_are_followed() -> None:
    made = spider()
    robots = TextResponse(BASE + "/robots.txt", body=f"User-agent: *\nSitemap: {BASE}/index.xml\n".encode())
    assert [r.url for r in made.parse_robots(robots)] == [BASE + "/index.xml"]
    index = (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             f"<sitemap><loc>{BASE}/news.xml</loc></sitemap></sitemapindex>").encode()
    found = requests_of(made.parse_sitemap(XmlResponse(BASE + "/index.xml", body=index)))
    assert [r.url for r in found] == [BASE + "/news.xml"]
    assert found[0].meta["download_maxsize"] == 50 * 1024 * 1024, "sitemaps have the protocol's cap (50 MiB)"
    feed = requests_of(made._feed_request(BASE + "/rss.xml"))
    assert feed[0].meta["download_maxsize"] == 2 * 1024 * 1024, "feeds have their own cap"


def test_article_requests_carry_validators_for_conditional_get() -> None:
    made = spider()
    request = made._article_request(ArticleTarget(BASE + "/a.html", None, '"e1"', "Tue, 01 Apr 2025 08:00:00 GMT"))
    assert request.headers.get("If-None-Match") == b'"e1"'
    assert request.headers.get("If-Modified-Since") == b"Tue, 01 Apr 2025 08:00:00 GMT"
    assert 304 in request.meta["handle_httpstatus_list"]


def test_start_plans_pages_feeds_sitemaps_and_robots() -> None:
    made = spider()
    made.plan = CrawlPlan(
        articles=(ArticleTarget(BASE + "/2025/02/11/a.html"),),
        sites=(SiteTarget("例子", (BASE + "/",), (BASE + "/rss.xml",), (BASE + "/sitemap.xml",)),),
    )

    async def collect() -> list[str]:
        return [r.url async for r in made.start()]

    assert asyncio.run(collect()) == [
        BASE + "/2025/02/11/a.html", BASE + "/", BASE + "/rss.xml", BASE + "/sitemap.xml", BASE + "/robots.txt",
    ]


def test_errors_are_classified() -> None:
    made = spider()
    request = Request(BASE + "/x.html")
    failure = Failure(TimeoutError("took too long"))
    failure.request = request  # type: ignore[attr-defined]
    (error,) = list(made.on_error(failure))
    assert (error.url, error.kind) == (BASE + "/x.html", "timeout")


REFUSED = (
    DownloadConnectionRefusedError("Connection was refused by other side: 111"),
    ConnectionRefusedError(111, "Connection refused"),
    TwistedConnectionRefused("127.0.0.1"),
)


@pytest.mark.parametrize("exc", REFUSED, ids=lambda e: type(e).__module__ + "." + type(e).__name__)
def test_connection_refused_in_every_spelling_is_connection_refused(exc: Exception) -> None:
    assert failure_kind(Failure(exc)) == "connection_refused"


@pytest.mark.parametrize(("meta", "where"), [
    ({"nw_held": False}, "dropped"), ({"nw_held": True}, "errors"), ({}, "errors"),
], ids=["discovered", "configured or held", "unknown: an error"])
def test_a_failure_is_an_error_only_for_what_the_user_holds(meta: dict[str, Any], where: str) -> None:
    made = spider()
    failure = Failure(DownloadConnectionRefusedError("refused"))
    failure.request = Request(BASE + "/x.html", meta=meta)  # type: ignore[attr-defined]
    (error,) = [r for r in made.on_error(failure) if isinstance(r, FetchError)]
    assert getattr(made, where) == [error]
    assert (made.dropped if where == "errors" else made.errors) == []
