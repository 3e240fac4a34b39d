"""A fixture news site on loopback, built from real pages (tests/fixtures/zh_news) with their bytes.

    /                      home: links to /news/ and one article; <link rel=alternate> to /rss.xml
    /news/                 section: two article links and one robots-disallowed link
    /robots.txt            Disallow: /private/; Sitemap: /sitemap_index.xml
    /rss.xml               RSS: an item with utm_ tracking, one with no guid, one pointing at 10.x (refused)
    /sitemap_index.xml     -> /sitemap-news.xml.gz (gzip file, Google-News sitemap)
    article pages          GBK with charset header, GBK with no charset anywhere, UTF-8 whose header and
                           meta lie (gb2312), plain UTF-8, a raw WeChat article
    rejected pages         WeChat's expired-link page, a list page at an article-like URL

``write_workspace`` writes a seeds folder (one seed naming the source 测试新闻, a registry mapping it
to the site) and a config allowing loopback, for ``newswatch run`` against the site.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT
from tests.crawler.site_server import SiteServer

ZH_NEWS = ROOT / "tests" / "fixtures" / "zh_news"
FIXED_PORT = 38517  # the port the committed cassette was recorded on
CASSETTE = ROOT / "tests" / "cassettes" / "fixture_site.yaml"


@dataclass(frozen=True)
class Page:
    path: str
    fixture: str
    content_type: str


ARTICLES = (
    Page("/2025/02/11/gbk-article.html", "cwced-47f387e6", "text/html; charset=gbk"),
    Page("/2025/02/11/no-charset.html", "cwced-5dc3fa2d", "text/html"),
    Page("/2025/02/12/lying.html", "readability-qq", "text/html; charset=gb2312"),
    Page("/2025/02/12/utf8.html", "n4k-chinese_article_001", "text/html; charset=utf-8"),
    Page("/2025/02/13/wechat.html", "wechatsogou-backgroud-image", "text/html; charset=utf-8"),
)
REJECTED = (
    Page("/2025/02/13/expired.html", "wechatsogou-expired", "text/html; charset=utf-8"),
    Page("/2025/02/14/roll.html", "gerapy-list-netease_rolling_news", "text/html; charset=utf-8"),
)
SSRF_URL = "http://10.255.255.1/2025/02/16/ssrf.html"
PRIVATE_PATH = "/private/2025/02/15/secret.html"


def fixture_bytes(page_id: str) -> bytes:
    index = {p["id"]: p for p in json.loads((ZH_NEWS / "index.json").read_text(encoding="utf-8"))}
    return gzip.decompress((ZH_NEWS / index[page_id]["file"]).read_bytes())


def _html(title: str, body: str, head: str = "") -> bytes:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>{head}'
            f"</head><body>{body}</body></html>").encode()


def _rss(base: str) -> bytes:
    items = (
        f"<item><title>说谎的页面</title><link>{base}/2025/02/12/lying.html?utm_source=rss&amp;utm_medium=feed"
        f"</link><guid isPermaLink=\"false\">tag:x,1</guid></item>"
        f"<item><title>无 GUID 的条目</title><link>{base}/2025/02/12/utf8.html</link></item>"
        f"<item><title>内网地址</title><link>{SSRF_URL}</link></item>"
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>测试新闻</title>'
            f"<link>{base}/</link><description>d</description>{items}</channel></rss>").encode()


def _news_sitemap(base: str) -> bytes:
    urls = "".join(
        f"<url><loc>{base}{p.path}</loc><news:news><news:publication><news:name>测试新闻</news:name>"
        f"<news:language>zh</news:language></news:publication>"
        f"<news:publication_date>2025-02-13T08:00:00+08:00</news:publication_date>"
        f"<news:title>t</news:title></news:news></url>"
        for p in (ARTICLES[4], REJECTED[0])
    )
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>').encode()


def build_site(server: SiteServer) -> None:
    """Register every route of the fixture site on ``server`` (started, so its base URL is known)."""
    base = server.base_url
    alt = '<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">'
    server.add("/", _html("测试新闻", '<a href="/news/">新闻</a> <a href="/2025/02/11/gbk-article.html">头条</a>',
                          alt), headers={"Content-Type": "text/html; charset=utf-8"})
    links = f'<a href="/2025/02/11/no-charset.html">一</a> <a href="/2025/02/14/roll.html">二</a> ' \
            f'<a href="{PRIVATE_PATH}">三</a>'
    server.add("/news/", _html("新闻", links), headers={"Content-Type": "text/html; charset=utf-8"})
    server.add_robots(f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap_index.xml\n")
    server.add("/rss.xml", _rss(base), headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    index = (f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
             f'sitemap/0.9"><sitemap><loc>{base}/sitemap-news.xml.gz</loc></sitemap></sitemapindex>')
    server.add("/sitemap_index.xml", index.encode(), headers={"Content-Type": "application/xml"})
    server.add("/sitemap-news.xml.gz", gzip.compress(_news_sitemap(base), mtime=0),
               headers={"Content-Type": "application/x-gzip"})
    for page in ARTICLES + REJECTED:
        server.add(page.path, fixture_bytes(page.fixture), headers={"Content-Type": page.content_type})


SEED = """---
title: 测试新闻的一篇旧文
source: 测试新闻
date: 2025-02-10
---

# 测试新闻的一篇旧文

这是一篇来自测试新闻的种子文章，正文提到了 DeepSeek。
"""


def write_workspace(folder: Path, base_url: str, keywords: tuple[str, ...] = ()) -> Path:
    """A seeds folder and a config for a run against the site at ``base_url``; returns the config path."""
    seeds = folder / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / "000_0000000000000000.txt").write_text(SEED, encoding="utf-8")
    (seeds / "sources.toml").write_text(
        f'[[source]]\nname = "测试新闻"\nsite = "{base_url}/"\n', encoding="utf-8"
    )
    words = ", ".join(json.dumps(k, ensure_ascii=False) for k in keywords)
    config = folder / "newswatch.toml"
    config.write_text(
        '[storage]\ndata_dir = "data"\ncorpus_dir = "data/corpus"\nseeds_dir = "seeds"\n'
        '[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = 0.0\ndownload_timeout = 5.0\n'
        f'retries = 1\n[topic]\nkeywords = [{words}]\n'
        '[schedule]\narticles = ["3650d=0s"]\n',  # re-check every stored article on every run
        encoding="utf-8",
    )
    return config
