"""The benchmark's news site on loopback: N real article pages built from the zh_news fixtures.

Every article of ``tests/fixtures/zh_news`` that extracts is a *template*; copy ``i`` is template
``i % T`` with a sentence naming the copy number (and the topic keyword :data:`KEYWORD`) inserted into
the body text, so every page has its own URL, content and fingerprint. Pages keep their fixture's
encoding (UTF-8 or GBK, declared in ``Content-Type``) and are served gzip-compressed. Two re-check sets:
even copies carry an ``ETag`` (``If-None-Match`` → 304), odd ones a ``Last-Modified`` only
(``If-Modified-Since`` not earlier → 304, as real servers compare dates: urlwatch sends its last check's time).
The fixtures' ``<link rel=canonical|alternate>`` and ``og:url`` are removed: they name the original sites.

    /                        home: the newest 60 articles, <link rel=alternate> to /feed-1.xml
    /feed-K.xml              RSS, 1,000 items each (an ETag: If-None-Match -> 304)
    /sitemap_index.xml       -> /sitemap-K.xml, 1,000 URLs each (each sitemap with an ETag)
    /robots.txt              Sitemap: /sitemap_index.xml
    /2025/MM/DD/article-NNNNN.html
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract
from tests.crawler.fixture_site import ZH_NEWS, fixture_bytes
from tests.crawler.site_server import Route, SiteServer

KEYWORD = "基准测试"  # in every page: every article is on topic, so every one is written to the corpus
PER_FILE = 1_000  # URLs per feed and per sitemap
HOME_LINKS = 60
LAST_MODIFIED = "Sat, 01 Mar 2025 00:00:00 GMT"  # the odd copies' only validator
_ANCHOR = re.compile(r"[\u4e00-\u9fff，、]{12,}")
# the fixtures' own canonical URLs and feed links point at the original sites (one, schemeless, would
# resolve onto the bench site and merge copies): dropped, so each copy is its own article
_FOREIGN = re.compile(r"<link\b[^>]*\brel=[\"']?(?:canonical|alternate)\b[^>]*>|<meta\b[^>]*og:url[^>]*>", re.I)
_SUBJECTS = ("市政府", "教育局", "交通运输部门", "气象台", "卫生健康委员会", "科技园区管委会", "消防救援支队",
             "环保志愿者协会", "图书馆", "农业农村局", "文化旅游局", "统计局")  # fmt: skip
_ACTIONS = ("发布了新的通知", "召开了专题会议", "公布了最新数据", "启动了试点项目", "回应了市民关切",
            "更新了办事指南", "开展了专项检查", "举办了公开讲座", "通报了阶段进展", "征求了公众意见",
            "调整了服务时间", "表彰了先进集体")  # fmt: skip
_TOPICS = ("城市交通", "空气质量", "中小学招生", "夏季防汛", "老旧小区改造", "数字政务", "食品安全",
           "公共文化", "就业服务", "乡村振兴", "节能减排", "社区养老")  # fmt: skip


@dataclass(frozen=True)
class Template:
    """A fixture article page, decoded, with a text run of its body where copies get their sentence."""

    page_id: str
    html: str
    anchor: str
    encoding: str  # what copies are encoded with
    content_type: str


@dataclass(frozen=True)
class Page:
    path: str
    content_type: str
    body: bytes  # encoded, not compressed
    etag: str | None
    last_modified: str | None
    marker: str  # the inserted sentence: present in the extracted body of this copy


def variation(i: int) -> str:
    """The sentence inserted into copy ``i``: its number and a combination no other copy near it has."""
    n = len(_SUBJECTS)
    subject, action, topic = _SUBJECTS[i % n], _ACTIONS[(i // n) % n], _TOPICS[(i // (n * n)) % n]
    return f"（{KEYWORD}第{i:05d}号稿件：{subject}就{topic}{action}。）"


def templates() -> list[Template]:
    """Every fixture article that extracts to an article with a unique run of body text to anchor on."""
    found = []
    for page in json.loads((ZH_NEWS / "index.json").read_text(encoding="utf-8")):
        if page["page_type"] != "article":
            continue
        utf8 = page.get("actual_encoding", "utf-8").lower().replace("_", "-") in ("utf-8", "utf8", "ascii")
        content_type = "text/html; charset=utf-8" if utf8 else "text/html; charset=gbk"
        html = _FOREIGN.sub("", decode_body(fixture_bytes(page["id"]), content_type))
        result = extract(html, "http://127.0.0.1/2025/03/01/article-00000.html")
        if not isinstance(result, Article):
            continue
        anchors = [run for run in _ANCHOR.findall(result.body_markdown) if html.count(run) == 1]
        if anchors:
            found.append(Template(page["id"], html, anchors[len(anchors) // 2], "utf-8" if utf8 else "gb18030",
                                  content_type))
    return found


def article_path(i: int) -> str:
    return f"/2025/{1 + i // 28 % 12:02d}/{1 + i % 28:02d}/article-{i:05d}.html"


def make_page(template: Template, i: int) -> Page:
    marker = variation(i)
    html = template.html.replace(template.anchor, template.anchor + marker, 1)
    etag, modified = (f'"bench-{i}"', None) if i % 2 == 0 else (None, LAST_MODIFIED)
    return Page(article_path(i), template.content_type, html.encode(template.encoding), etag, modified, marker)


def pages(found: list[Template], n: int) -> Iterator[Page]:
    for i in range(n):
        yield make_page(found[i % len(found)], i)


def decoded(page: Page) -> str:
    """The page as the crawler decodes it (the input of the bare-extraction figure)."""
    return decode_body(page.body, page.content_type)


def _rss(base: str, chunk: range) -> bytes:
    items = "".join(
        f"<item><title>{KEYWORD} {i}</title><link>{base}{article_path(i)}</link>"
        f'<guid isPermaLink="true">{base}{article_path(i)}</guid>'
        f"<pubDate>Sat, 01 Mar 2025 08:00:00 +0800</pubDate></item>" for i in chunk
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>测试新闻</title>'
            f"<link>{base}/</link><description>benchmark</description>{items}</channel></rss>").encode()


def _sitemap(base: str, chunk: range) -> bytes:
    urls = "".join(f"<url><loc>{base}{article_path(i)}</loc><lastmod>2025-03-01</lastmod></url>" for i in chunk)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>").encode()


def _sitemap_index(base: str, files: int) -> bytes:
    entries = "".join(f"<sitemap><loc>{base}/sitemap-{k}.xml</loc></sitemap>" for k in range(1, files + 1))
    return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>').encode()


def _home(n: int) -> bytes:
    links = "".join(f'<li><a href="{article_path(i)}">{KEYWORD}新闻 {i}</a></li>'
                    for i in range(n - 1, max(n - 1 - HOME_LINKS, -1), -1))
    head = '<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed-1.xml">'
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>测试新闻</title>{head}'
            f"</head><body><h1>{escape('测试新闻')}</h1><ul>{links}</ul></body></html>").encode()


def chunks(n: int) -> list[range]:
    return [range(start, min(start + PER_FILE, n)) for start in range(0, n, PER_FILE)]


def serve_page(server: SiteServer, page: Page) -> None:
    headers: list[tuple[str, str]] = [("Content-Type", page.content_type), ("Content-Encoding", "gzip")]
    if page.etag:
        headers.append(("ETag", page.etag))
    if page.last_modified:
        headers.append(("Last-Modified", page.last_modified))
    server.route(page.path, Route(200, tuple(headers), gzip.compress(page.body, compresslevel=6, mtime=0)))


def build_site(server: SiteServer, found: list[Template], n: int) -> tuple[list[str], list[str]]:
    """Register the whole site on the started ``server``; returns its (feed URLs, sitemap URLs)."""
    base = server.base_url
    xml = {"Content-Type": "application/xml; charset=utf-8"}
    server.add("/", _home(n), headers={"Content-Type": "text/html; charset=utf-8"}, gzip=True)
    server.add_robots(f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap_index.xml\n")
    feeds = []
    for k, chunk in enumerate(chunks(n), start=1):
        # feeds and sitemaps carry an ETag, as a news site's static or cached XML does (a re-check asks again)
        server.add(f"/feed-{k}.xml", _rss(base, chunk), gzip=True,
                   headers={"Content-Type": "application/rss+xml", "ETag": f'"feed-{k}-1"'})
        server.add(f"/sitemap-{k}.xml", _sitemap(base, chunk), headers={**xml, "ETag": f'"sitemap-{k}-1"'}, gzip=True)
        feeds.append(f"{base}/feed-{k}.xml")
    server.add("/sitemap_index.xml", _sitemap_index(base, len(feeds)), headers=xml, gzip=True)
    for page in pages(found, n):
        serve_page(server, page)
    return feeds, [f"{base}/sitemap_index.xml"]
