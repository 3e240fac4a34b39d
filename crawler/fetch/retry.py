"""Retries with exponential backoff and ``Retry-After``, without holding a download slot while waiting.

The retry decision is Scrapy's own (RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS). A retry request
carries its wait in ``meta['newswatch_backoff']``: the larger of the exponential backoff and the answer's
``Retry-After`` (seconds or an HTTP-date). The wait is not spent here: the middleware hands the request
back to the engine at once and :class:`crawler.fetch.waiting.RetryScheduler` holds it on a timer, outside the
downloader, so the download slots keep serving other requests meanwhile. A ``Retry-After`` longer than
``crawl.retry_after_max`` is not waited for in this crawl: the answer is
given up as it is (an ``http_429``/``http_503`` error), and the next run or visit tries again.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message

from newswatch.crawler.options import options_of

BACKOFF_KEY = "newswatch_backoff"
MAX_HEADER_CHARS = 64  # a Retry-After longer than this is not a value we parse


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): base * 2**(attempt-1), capped."""
    return float(min(cap, base * (2 ** max(attempt - 1, 0))))


def retry_after_seconds(value: str | bytes | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait (``120`` or an HTTP-date), 0 for a date in the past,
    None when there is no usable value (absent, empty, garbled, negative)."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text or len(text) > MAX_HEADER_CHARS:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


class BackoffRetryMiddleware(RetryMiddleware):
    """Retry as Scrapy does; the retry waits (backoff or Retry-After) in the scheduler, not in a slot."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("NEWSWATCH_RETRY_BACKOFF", 1.0)
        self.cap = settings.getfloat("NEWSWATCH_RETRY_BACKOFF_MAX", 30.0)
        self.retry_after_max = options_of(settings).crawl.retry_after_max

    def process_response(  # type: ignore[override]  # Scrapy 2.13+: components take no spider argument
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response.headers.get("Retry-After"), datetime.now(UTC))
        if asked is not None and asked > self.retry_after_max:
            self._count("after_too_long")
            return response  # not waited for in this crawl: the next run tries again
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if asked is not None:
            self._count("retry_after")
            retry.meta[BACKOFF_KEY] = max(float(retry.meta.get(BACKOFF_KEY, 0.0)), asked)
        return retry

    def _retry(self, request: Request, reason: str | Exception | type[Exception]) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = int(retry.meta.get("retry_times", 1))
            retry.meta[BACKOFF_KEY] = backoff_delay(attempt, self.base, self.cap)
        return retry

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newswatch/retry/{key}")
