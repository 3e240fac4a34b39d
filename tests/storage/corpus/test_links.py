"""Links in a body: found in every Markdown form, images told apart from pages."""

from __future__ import annotations

import pytest

from newswatch.storage.corpus.document import source_name
from newswatch.storage.corpus.links import find_links, is_image_url, page_links, trailing_link

URLS = {
    "wechat-image": ("https://mmbiz.qpic.cn/sz_mmbiz_jpg/abc/0?wx_fmt=jpeg", True),
    "wx-fmt-anywhere": ("https://example.com/pic?wx_fmt=png&from=appmsg", True),
    "qq-image": ("https://inews.gtimg.com/om_bt/OrqidssEjoDRW5So9ij/641", True),
    "jpg-ext": ("https://example.com/a/b/photo.JPG", True),
    "gif-ext": ("https://example.com/x.gif", True),
    "qq-article": ("https://new.qq.com/rain/a/20250208A073F400", False),
    "wechat-article": ("https://mp.weixin.qq.com/s?__biz=MzA5&mid=1&idx=1&sn=ff", False),
    "html-page": ("https://news.163.com/25/0211/a.html", False),
}


@pytest.mark.parametrize("name", sorted(URLS), ids=str)
def test_is_image_url(name: str) -> None:
    url, expected = URLS[name]
    assert is_image_url(url) is expected


def test_find_links_every_form_once() -> None:
    body = (
        "![图](https://example.com/page-shown-as-image)\n"
        "见[原文](https://news.example.com/a.html \"t\")，另见<https://b.example.com/x>。\n"
        "裸链接 https://c.example.com/y，以及重复 https://news.example.com/a.html\n"
        "![]() and [empty]()\n"
    )
    links = find_links(body)
    assert [(link.url, link.is_image) for link in links] == [
        ("https://example.com/page-shown-as-image", True),
        ("https://news.example.com/a.html", False),
        ("https://b.example.com/x", False),
        ("https://c.example.com/y", False),
    ]
    assert [link.url for link in page_links(body)] == [link.url for link in links[1:]]


def test_trailing_link_only_on_last_line() -> None:
    assert trailing_link("text\n\n[qq](https://new.qq.com/a)\n") is not None
    assert trailing_link("[qq](https://new.qq.com/a)\n\nmore text") is None
    assert trailing_link("![img](https://x.com/a.png)") is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("正文。\n\n---\n来源：网易新闻", "网易新闻"),
        ("正文。\n来源: 新华社\n", "新华社"),
        ("■据《华商报》\n\n图据新华社", "华商报"),
        ("正文。\n\n[qq](https://new.qq.com/a)", "qq"),
        ("没有来源的正文。", None),
    ],
    ids=["来源-fullwidth", "来源-ascii-colon", "据《》", "trailing-link", "none"],
)
def test_source_name(body: str, expected: str | None) -> None:
    assert source_name(body) == expected
