"""The meta-refresh redirect reads only the head of the body, with Scrapy's rule and result."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_meta_refresh
from scrapy.utils.test import get_crawler

from newswatch.crawler.fetch.metarefresh import HEAD_CHARS, HeadMetaRefreshMiddleware, head_text, meta_refresh

URL = "https://news.example.com/a/b.html"
REFRESH = '<meta http-equiv="refresh" content="0; url=/moved.html">'
FILLER = "<p>这是一段中文文字，用来把页面撑大。</p>" * 2000  # ~50,000 characters, ~130 KB in UTF-8
IGNORE = ["script", "noscript"]


def response(body: bytes, content_type: str | None = "text/html; charset=utf-8") -> HtmlResponse:
    headers = {"Content-Type": content_type} if content_type else {}
    return HtmlResponse(URL, body=body, headers=headers)


def page(head: str, encoding: str = "utf-8") -> bytes:
    return f"<html><head>{head}</head><body>{FILLER}</body></html>".encode(encoding)


CASES = {
    "refresh in the head": (page(REFRESH), "text/html; charset=utf-8"),
    "relative to <base>": (page('<base href="https://other.example.com/x/">' + REFRESH), "text/html; charset=utf-8"),
    "inside noscript": (page(f"<noscript>{REFRESH}</noscript>"), "text/html; charset=utf-8"),
    "past 4,096 characters": (f"<html><body>{FILLER}{REFRESH}</body></html>".encode(), "text/html; charset=utf-8"),
    "none": (page("<title>t</title>"), "text/html; charset=utf-8"),
    "GBK declared in <meta>": (page('<meta charset="gbk">' + REFRESH, "gbk"), "text/html"),
    "UTF-16 with a BOM": (b"\xff\xfe" + page(REFRESH, "utf-16-le"), "text/html"),
    "no encoding declared": (page(REFRESH), None),
    "a short page": (f"<html><head>{REFRESH}</head></html>".encode(), "text/html; charset=utf-8"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_as_scrapy(name: str) -> None:
    body, content_type = CASES[name]
    assert meta_refresh(response(body, content_type), IGNORE) == get_meta_refresh(response(body, content_type),
                                                                                 ignore_tags=IGNORE)


def test_the_whole_body_is_not_decoded() -> None:
    declared = response(page(REFRESH))
    assert meta_refresh(declared, IGNORE) == (0.0, "https://news.example.com/moved.html")
    assert declared._cached_ubody is None  # Scrapy's get_meta_refresh leaves the whole text on the response


def test_head_text_is_scrapys_first_characters() -> None:
    body = page(REFRESH)
    assert head_text(response(body)) == response(body).text[0:HEAD_CHARS]
    assert head_text(response(body, None)) is None  # no declared encoding: Scrapy infers it from the whole body


def test_middleware_redirects_as_scrapys() -> None:
    middleware = HeadMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={"METAREFRESH_ENABLED": True}))
    redirected = middleware.process_response(Request(URL), response(page(REFRESH)))
    assert isinstance(redirected, Request)
    assert redirected.url == "https://news.example.com/moved.html"
    untouched = response(page("<title>t</title>"))
    assert middleware.process_response(Request(URL), untouched) is untouched
    assert middleware.process_response(Request(URL, meta={"dont_redirect": True}),
                                       stay := response(page(REFRESH))) is stay
