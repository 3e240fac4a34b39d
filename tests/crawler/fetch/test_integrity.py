"""The integrity middleware: one strict decompression per gzip body, handed on decoded."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares import httpcompression
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from newswatch.crawler.fetch import integrity
from newswatch.crawler.fetch.failures import failure_kind
from newswatch.crawler.fetch.integrity import IntegrityMiddleware
from newswatch.crawler.settings import DOWNLOADER_MIDDLEWARES, DOWNLOADER_MIDDLEWARES_BASE

URL = "https://news.example/2025/03/01/a.html"
PAGE = "<html><head><meta charset=utf-8></head><body><p>新闻正文。</p></body></html>".encode() * 50
CAP = 64 * 1024
Chain = Callable[[Request, Response], Response]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of each decompressor's calls: ours (strict) and Scrapy's gzip, deflate."""
    counted: dict[str, int] = {"ours": 0, "scrapy_gzip": 0, "scrapy_deflate": 0}

    def spy(name: str, function: Callable[..., bytes]) -> Callable[..., bytes]:
        def counting(*args: Any, **kwargs: Any) -> bytes:
            counted[name] += 1
            return function(*args, **kwargs)
        return counting

    for module, name, key in ((integrity, "gunzip_strict", "ours"), (httpcompression, "gunzip", "scrapy_gzip"),
                              (httpcompression, "_inflate", "scrapy_deflate")):
        monkeypatch.setattr(module, name, spy(key, getattr(module, name)))
    return counted


@pytest.fixture
def chain() -> tuple[Chain, dict[str, Any]]:
    """Both middlewares' ``process_response`` in the crawl's order (the higher number sees it first)."""
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": CAP})
    ours, scrapys = IntegrityMiddleware.from_crawler(crawler), HttpCompressionMiddleware.from_crawler(crawler)
    order = DOWNLOADER_MIDDLEWARES[f"{IntegrityMiddleware.__module__}.IntegrityMiddleware"]
    assert order is not None
    assert order > DOWNLOADER_MIDDLEWARES_BASE[f"{HttpCompressionMiddleware.__module__}.HttpCompressionMiddleware"]

    def run(request: Request, response: Response) -> Response:
        decoded = scrapys.process_response(request, ours.process_response(request, response))
        assert isinstance(decoded, Response)
        return decoded

    assert crawler.stats is not None
    return run, crawler.stats._stats


def _response(body: bytes, encoding: str | None = "gzip", content_type: str | None = "text/html") -> Response:
    headers = {key: value for key, value in (("Content-Encoding", encoding), ("Content-Type", content_type))
               if value is not None}
    return Response(URL, body=body, headers=headers)


def _kind(error: Exception) -> str:
    """How the run reports this refusal."""
    return failure_kind(Failure(error))  # type: ignore[no-untyped-call]


def test_a_gzip_body_is_decompressed_once(chain: tuple[Chain, dict[str, Any]], calls: dict[str, int]) -> None:
    run, stats = chain
    response = run(Request(URL), _response(gzip.compress(PAGE)))
    assert isinstance(response, HtmlResponse) and response.body == PAGE
    assert "Content-Encoding" not in response.headers
    assert response.text.startswith("<html>")
    assert calls == {"ours": 1, "scrapy_gzip": 0, "scrapy_deflate": 0}
    assert stats["httpcompression/response_count"] == 1
    assert stats["httpcompression/response_bytes"] == len(PAGE)


def test_without_a_content_type_the_body_types_the_response(chain: tuple[Chain, dict[str, Any]]) -> None:
    run, _stats = chain
    response = run(Request(URL), _response(gzip.compress(PAGE), content_type=None))
    assert isinstance(response, HtmlResponse) and response.body == PAGE


def test_other_codings_are_left_to_scrapy(chain: tuple[Chain, dict[str, Any]], calls: dict[str, int]) -> None:
    run, _stats = chain
    assert run(Request(URL), _response(zlib.compress(PAGE), "deflate")).body == PAGE
    stacked = run(Request(URL), _response(gzip.compress(gzip.compress(PAGE)), "gzip, gzip"))
    assert stacked.body == PAGE
    plain = _response(PAGE, None)
    assert run(Request(URL), plain) is plain
    assert calls == {"ours": 0, "scrapy_gzip": 2, "scrapy_deflate": 1}


@pytest.mark.parametrize("body", [gzip.compress(PAGE)[: len(gzip.compress(PAGE)) // 2], gzip.compress(PAGE)[:-4],
                                  gzip.compress(PAGE) + b"junk"], ids=["half", "no-length", "junk"])
def test_a_truncated_gzip_body_is_refused(chain: tuple[Chain, dict[str, Any]], body: bytes) -> None:
    run, stats = chain
    with pytest.raises(IgnoreRequest, match="truncated gzip body") as caught:
        run(Request(URL), _response(body, "x-gzip"))
    assert _kind(caught.value) == "truncated_body"
    assert stats["newswatch/refused/truncated_body"] == 1


def test_a_bomb_is_capped(chain: tuple[Chain, dict[str, Any]], calls: dict[str, int]) -> None:
    run, _stats = chain
    bomb = gzip.compress(bytes(8 * CAP))
    with pytest.raises(IgnoreRequest, match="exceeded DOWNLOAD_MAXSIZE") as caught:
        run(Request(URL), _response(bomb))
    assert _kind(caught.value) == "too_large"
    larger = Request(URL, meta={"download_maxsize": 16 * CAP})  # the request's own cap wins
    assert run(larger, _response(bomb)).body == bytes(8 * CAP)
    assert calls["scrapy_gzip"] == 0
