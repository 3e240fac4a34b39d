"""Refuse responses whose gzip body is cut short, before Scrapy's lenient gunzip hides it.

Scrapy decompresses "as much as possible" of a truncated gzip stream, so a half page would be
stored as a new version and later alerted as a change. This downloader middleware sits just below
``HttpCompressionMiddleware`` and checks, without keeping the output, that a gzip body ends with a
complete stream. A truncated one is dropped (``IgnoreRequest``, counted as
``newswatch/refused/truncated_body``) and reported like any failed fetch.
"""

from __future__ import annotations

import zlib

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

_CHUNK = 64 * 1024


def gzip_complete(body: bytes, max_output: int) -> bool:
    """True when ``body`` holds whole gzip member(s); stops early (True) past ``max_output`` bytes."""
    data, produced = body, 0
    while data:
        stream = zlib.decompressobj(wbits=31)
        try:
            while data and not stream.eof:
                produced += len(stream.decompress(data, _CHUNK))
                data = stream.unconsumed_tail
                if produced > max_output:
                    return True  # the size cap (Scrapy's own check) decides about this one
        except zlib.error:
            return False
        if not stream.eof:
            return False
        data = stream.unused_data.lstrip(b"\x00")
    return True


class IntegrityMiddleware:
    def __init__(self, stats: StatsCollector, max_size: int) -> None:
        self.stats = stats
        self.max_size = max_size

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IntegrityMiddleware:
        assert crawler.stats is not None
        return cls(crawler.stats, crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_response(self, request: Request, response: Response) -> Response:
        encoding = (response.headers.get("Content-Encoding") or b"").lower()
        if encoding in (b"gzip", b"x-gzip") and response.body:
            limit = int(request.meta.get("download_maxsize", self.max_size)) or 1 << 40
            if not gzip_complete(response.body, limit):
                self.stats.inc_value("newswatch/refused/truncated_body")
                raise IgnoreRequest(f"truncated gzip body from {response.url}")
        return response
