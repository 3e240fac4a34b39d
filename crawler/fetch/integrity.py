"""Decompress gzip bodies once, strictly: a body cut short is refused, not half stored.

Scrapy's ``HttpCompressionMiddleware`` gunzips "as much as possible" of a truncated stream, so a half
page would be stored as a new version and later alerted as a change. This downloader middleware sits
just below it (595: it sees the response first) and decodes a body whose only ``Content-Encoding`` is
gzip itself, in one pass (:func:`~crawler.fetch.compression.gunzip_strict`): every member whole, its CRC
and length checked, the output capped at ``DOWNLOAD_MAXSIZE`` (or the request's ``download_maxsize``).
It hands the decoded response on without its ``Content-Encoding``, so Scrapy's middleware, which still
asks for the encodings and decodes br, deflate, zstd and stacked ones, does not decompress it again.

A truncated body is dropped (``IgnoreRequest``, counted as ``newswatch/refused/truncated_body``), one
that expands past the cap too (Scrapy's own message: ``too_large``); both are reported like any
failed fetch.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.statscollectors import StatsCollector

from newswatch.crawler.fetch.compression import gunzip_strict
from newswatch.storage.errors import BodyTooLarge, TruncatedBody

logger = logging.getLogger(__name__)
GZIP = (b"gzip", b"x-gzip")


def gzip_only(response: Response) -> bool:
    """The response's one content coding is gzip (a stack of codings is left to Scrapy)."""
    codings = [part.strip().lower() for value in response.headers.getlist("Content-Encoding")
               for part in value.split(b",")]
    return len(codings) == 1 and codings[0] in GZIP


class IntegrityMiddleware:
    def __init__(self, stats: StatsCollector, max_size: int) -> None:
        self.stats = stats
        self.max_size = max_size

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IntegrityMiddleware:
        assert crawler.stats is not None
        return cls(crawler.stats, crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_response(self, request: Request, response: Response) -> Response:
        if request.method == "HEAD" or not response.body or not gzip_only(response):
            return response
        limit = int(request.meta.get("download_maxsize", self.max_size))
        try:
            body = gunzip_strict(response.body, limit)
        except TruncatedBody as exc:
            self.stats.inc_value("newswatch/refused/truncated_body")
            raise IgnoreRequest(f"truncated gzip body from {response.url} ({exc})") from exc
        except BodyTooLarge as exc:  # HttpCompressionMiddleware's words: failure_kind reads "too_large"
            message = (f"Ignored response {response} because its body ({len(response.body)} B compressed, "
                       f"{exc.produced} B decompressed so far) exceeded DOWNLOAD_MAXSIZE ({limit} B) "
                       "during decompression.")
            logger.warning(message)
            raise IgnoreRequest(message) from exc
        return self._decoded(response, body)

    def _decoded(self, response: Response, body: bytes) -> Response:
        """``response`` with its decoded body, typed as Scrapy's middleware would type it."""
        self.stats.inc_value("httpcompression/response_bytes", len(body))
        self.stats.inc_value("httpcompression/response_count")
        headers = response.headers.copy()
        del headers["Content-Encoding"]
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        kwargs: dict[str, Any] = {"body": body, "headers": headers}
        if issubclass(cls, TextResponse):
            kwargs["encoding"] = None  # as Scrapy does: read again from the headers and the body
        return response.replace(cls=cls, **kwargs)
