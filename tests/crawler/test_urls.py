"""Canonical URLs: tracking removed, WeChat reduced, one spelling per article."""

from __future__ import annotations

import pytest

from newswatch.crawler.urls import canonical_url, same_site, site_of, try_canonical_url, url_hash
from newswatch.storage.errors import ParseError

WECHAT_LONG = (
    "https://mp.weixin.qq.com/s?__biz=MzA5MzE5MDAzOA==&mid=2664236274&idx=3&sn=d2c2fa82cb70f8f522930fd0f1635a5b"
    "&chksm=8b58060bbc2f8f1d5ae98a24bbc5f944876393d28f71aae16665196b47fd82e39b753b57d11a&scene=58&subscene=0#rd"
)
WECHAT_CANONICAL = (
    "https://mp.weixin.qq.com/s?__biz=MzA5MzE5MDAzOA==&mid=2664236274&idx=3&sn=d2c2fa82cb70f8f522930fd0f1635a5b"
)

CASES = {
    "utm-and-fragment": ("https://Example.COM:443/a/b?id=7&utm_source=x&utm_medium=y#top",
                         "https://example.com/a/b?id=7"),
    "fbclid-spm": ("http://news.example.com/p.html?spm=a.b.c&fbclid=IwAR0&page=2",
                   "http://news.example.com/p.html?page=2"),
    "empty-path": ("https://example.com", "https://example.com/"),
    "default-http-port": ("http://example.com:80/x", "http://example.com/x"),
    "other-port-kept": ("http://127.0.0.1:8080/x?b=1&a=2", "http://127.0.0.1:8080/x?b=1&a=2"),
    "wechat-long": (WECHAT_LONG, WECHAT_CANONICAL),
    "wechat-redirect": (WECHAT_CANONICAL.replace("https://", "http://").replace("idx=3&", "idx=3&scene=21&")
                        + "#wechat_redirect", WECHAT_CANONICAL.replace("https://", "http://")),
    "wechat-encoded-biz": (WECHAT_CANONICAL.replace("==", "%3D%3D"), WECHAT_CANONICAL),
    "wechat-short-link": ("https://mp.weixin.qq.com/s/AbCdEf123?scene=1", "https://mp.weixin.qq.com/s/AbCdEf123"),
    "unicode-path": ("https://example.com/新闻/一.html", "https://example.com/%E6%96%B0%E9%97%BB/%E4%B8%80.html"),
    "idn-host": ("https://例子.测试/a", "https://xn--fsqu00a.xn--0zwm56d/a"),
    "ipv6-loopback-port": ("http://[::1]:8080/x.html", "http://[::1]:8080/x.html"),
    "ipv6-default-port": ("HTTP://[::1]:80/x.html#top", "http://[::1]/x.html"),
    "ipv6-compressed-lower": ("https://[2001:0DB8:0000:0000:0000:0000:0000:0001]/a?utm_source=x&b=1",
                              "https://[2001:db8::1]/a?b=1"),
    "ipv6-mapped-v4": ("http://[::ffff:127.0.0.1]:9000/", "http://[::ffff:7f00:1]:9000/"),
    "ipv6-userinfo-dropped": ("http://user:pw@[fd00::7]:8443/p", "http://[fd00::7]:8443/p"),
}


@pytest.mark.parametrize("name", sorted(CASES), ids=str)
def test_canonical_url(name: str) -> None:
    raw, expected = CASES[name]
    assert canonical_url(raw) == expected
    assert canonical_url(expected) == expected, "canonical form is a fixed point"


def test_two_wechat_forms_are_one_article() -> None:
    assert url_hash(WECHAT_LONG) == url_hash(WECHAT_CANONICAL + "#wechat_redirect")


def test_relative_urls_resolve_against_base() -> None:
    assert canonical_url("../b.html?utm_campaign=z", "https://example.com/news/a/x.html") == (
        "https://example.com/news/b.html"
    )


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "mailto:a@b.c", "file:///etc/passwd", "ftp://x/y", "https://", "http://[::1"],
    ids=["javascript", "mailto", "file", "ftp", "no-host", "bad-ipv6"],
)
def test_non_http_urls_are_refused(bad: str) -> None:
    with pytest.raises(ParseError):
        canonical_url(bad)
    assert try_canonical_url(bad) is None


def test_relative_links_on_an_ipv6_page_keep_the_brackets() -> None:
    page = "http://[::1]:8080/news/index.html"
    assert canonical_url("../2025/06/01/a.html", page) == "http://[::1]:8080/2025/06/01/a.html"
    assert canonical_url("//[::1]:9/x", page) == "http://[::1]:9/x"
    assert same_site("http://[::1]:8080/a", page) and site_of(page) == "::1"


HOSTILE = {
    "ccpa-placeholder": "http://[ccpa-preferences]",
    "unclosed-bracket": "http://[::1",
    "closing-only": "http://::1]/",
    "junk-after-bracket": "http://[::1]junk/",
    "empty-brackets": "http://[]/",
    "ipv4-in-brackets": "http://[127.0.0.1]/",
    "ipvfuture": "http://[v7.abc]/",
    "zone-id": "http://[fe80::1%25eth0]/",
    "port-not-a-number": "http://example.com:port/",
    "port-out-of-range": "http://[::1]:99999/",
    "bracket-in-name": "http://a[b]c/",
}


@pytest.mark.parametrize("href", HOSTILE.values(), ids=list(HOSTILE))
def test_malformed_urls_are_not_urls_never_exceptions(href: str) -> None:
    base = "https://www.kxan.com/news/texas/a/"
    assert try_canonical_url(href) is None
    assert try_canonical_url(href, base) is None
    with pytest.raises(ParseError):
        canonical_url(href, base)
    assert isinstance(site_of(href), str)  # never an exception
    assert not same_site(href, base)


def test_same_site() -> None:
    assert same_site("https://www.163.com/a", "https://news.163.com/b")
    assert same_site("https://163.com/a", "https://www.163.com/b")
    assert not same_site("https://163.com/a", "https://evil-163.com/b")
