"""Canonical URLs: tracking removed, WeChat reduced, one spelling per article."""

from __future__ import annotations

import pytest

from crawler.urls import canonical_url, same_site, try_canonical_url, url_hash
from storage.errors import ParseError

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


def test_same_site() -> None:
    assert same_site("https://www.163.com/a", "https://news.163.com/b")
    assert same_site("https://163.com/a", "https://www.163.com/b")
    assert not same_site("https://163.com/a", "https://evil-163.com/b")
