"""The spider's callbacks on real responses, without a reactor: what each page makes it fetch next."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.items import ArticleTarget, CrawlPlan, FetchError, SiteTarget
from crawler.settings import CrawlOptions, crawl_settings
from crawler.spiders.news import NewsSpider

BASE = "https://news.example.com"


def spider(**options: Any) -> NewsSpider:
    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="unused", **options))
    crawler = get_crawler(NewsSpider, settings)
    made = NewsSpider.from_crawler(crawler, plan=CrawlPlan())
    assert isinstance(made, NewsSpider)
    return made


def html(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url, body=f"<html><body>{body}</body></html>".encode(), encoding="utf-8")


SECTION = "".join(f'<a href="/2025/02/{d:02d}/a{d}.html">{d}</a>' for d in range(1, 6)) + (
    '<a href="/world/">world</a><a href="https://elsewhere.example.org/2025/02/01/x.html">x</a>'
)


def requests_of(results: Any) -> list[Request]:
    return [r for r in results if isinstance(r, Request)]


def test_section_page_follows_same_site_articles_and_sections() -> None:
    found = requests_of(spider().parse_section(html(BASE + "/", SECTION), depth=0))
    urls = [r.url for r in found]
    assert urls[:5] == [f"{BASE}/2025/02/{d:02d}/a{d}.html" for d in range(1, 6)]
    assert urls[5:] == [f"{BASE}/world/"]
    assert all(r.callback.__name__ == "parse_article" for r in found[:5])  # type: ignore[union-attr]
    assert found[5].cb_kwargs == {"depth": 1}


def test_depth_limit_stops_following_sections() -> None:
    found = requests_of(spider(max_depth=1).parse_section(html(BASE + "/world/", SECTION), depth=1))
    assert f"{BASE}/world/" not in [r.url for r in found]
    assert len(found) == 5


def test_page_limit_per_site_is_counted() -> None:
    made = spider(max_pages_per_site=2)
    found = requests_of(made.parse_section(html(BASE + "/", SECTION), depth=0))
    assert len(found) == 2
    assert made.crawler.stats is not None
    assert made.crawler.stats.get_value("newswatch/limited/pages_per_site") == 4


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
    assert found[0].cb_kwargs["discovered_from"] == BASE + "/rss.xml"
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
    assert found[0].meta["download_maxsize"] == 2 * 1024 * 1024, "feeds and sitemaps have their own cap"


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
