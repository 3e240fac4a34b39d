"""Discovery on HTML: article-URL heuristics, same-site link following, declared canonical URLs."""

from __future__ import annotations

import pytest

from newswatch.crawler.discover.canonical import declared_canonical
from newswatch.crawler.discover.links import follow_links, looks_like_article, page_links

URLS = {
    "date-path": ("https://news.163.com/25/0211/09/JNBHQ5JO000189FH.html", True),
    "yyyy-mm-dd": ("https://www.example.com/2025/02/11/deepseek-ban.html", True),
    "compact-date": ("https://www.example.com/news/20250211/a.html", True),
    "qq-rain": ("https://new.qq.com/rain/a/20250208A073F400", True),
    "numeric-id": ("https://www.hsw.cn/system/2025/0211/123456.shtml", True),
    "wechat": ("https://mp.weixin.qq.com/s?__biz=MzA5&mid=1&idx=1&sn=ff", True),
    "wechat-short": ("https://mp.weixin.qq.com/s/AbCdEf123", True),
    "home": ("https://news.163.com/", False),
    "section": ("https://news.163.com/world/", False),
    "tag": ("https://www.example.com/tag/deepseek", False),
    "page-n": ("https://www.example.com/news/page/2", False),
    "image": ("https://www.example.com/2025/02/11/photo.jpg", False),
    "feed": ("https://www.example.com/2025/feed.xml", False),
    "author": ("https://www.example.com/author/12345678", False),
}


@pytest.mark.parametrize("name", sorted(URLS), ids=str)
def test_looks_like_article(name: str) -> None:
    url, expected = URLS[name]
    assert looks_like_article(url) is expected


HTML = """<html><head><base href="/news/"></head><body>
<a href="2025/02/11/a.html?utm_source=x#c">A</a>
<a href="https://other.example.org/2025/02/11/b.html">elsewhere</a>
<a href="/world/">world</a> <a href="javascript:void(0)">js</a> <a href="mailto:x@y.z">mail</a>
<a href="https://sub.example.com/2025/02/12/c.html">sub-site article</a>
<a href="2025/02/11/a.html">dup</a>
</body></html>"""


def test_page_links_resolve_base_and_canonicalize() -> None:
    assert page_links(HTML, "https://example.com/") == (
        "https://example.com/news/2025/02/11/a.html",
        "https://other.example.org/2025/02/11/b.html",
        "https://example.com/world/",
        "https://sub.example.com/2025/02/12/c.html",
    )


def test_follow_links_same_site_split() -> None:
    articles, others = follow_links(HTML, "https://example.com/")
    assert articles == ("https://example.com/news/2025/02/11/a.html", "https://sub.example.com/2025/02/12/c.html")
    assert others == ("https://example.com/world/",)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="/2025/02/11/a.html?utm_medium=m">', "https://example.com/2025/02/11/a.html"),
        ('<meta property="og:url" content="https://example.com/2025/02/11/og.html">',
         "https://example.com/2025/02/11/og.html"),
        ('<link rel="canonical" href="https://evil.example.net/x">', None),
        ('<link rel="canonical" href="https://example.com/">', None),
        ("", None),
    ],
    ids=["canonical", "og-url", "other-site-ignored", "homepage-canonical-ignored", "none"],
)
def test_declared_canonical(head: str, expected: str | None) -> None:
    html = f"<html><head>{head}</head><body>x</body></html>"
    assert declared_canonical(html, "https://example.com/2025/02/11/a.html?spm=1") == expected


def test_schemeless_og_url_names_a_host_not_a_path() -> None:
    """A real sohu.com page (tests/fixtures/zh_news cwced-d8d4c4ec) writes ``og:url`` without a scheme:
    resolved as a path it would file the article under ``/2023/11/17/www.sohu.com/a/...`` of the site."""
    html = '<html><head><meta property="og:url" content="www.sohu.com/a/434365209_123753"/></head></html>'
    assert declared_canonical(html, "http://127.0.0.1:8080/2023/11/17/a.html") is None
    assert declared_canonical(html, "https://www.sohu.com/a/434365209_123753?spm=1") == (
        "https://www.sohu.com/a/434365209_123753"
    )
