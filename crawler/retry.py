"""Retries with exponential backoff: Scrapy's RetryMiddleware, waiting before each new attempt.

The retry decision is Scrapy's own (RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS); a retry request
carries its delay in ``meta['newswatch_backoff']`` and ``process_request`` waits that long (without
blocking the event loop) before it is downloaded.
"""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.settings import BaseSettings

BACKOFF_KEY = "newswatch_backoff"


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): base * 2**(attempt-1), capped."""
    return float(min(cap, base * (2 ** max(attempt - 1, 0))))


class BackoffRetryMiddleware(RetryMiddleware):
    """Retry as Scrapy does, but back off exponentially before each retry."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("NEWSWATCH_RETRY_BACKOFF", 1.0)
        self.cap = settings.getfloat("NEWSWATCH_RETRY_BACKOFF_MAX", 30.0)

    def _retry(self, request: Request, reason: str | Exception | type[Exception]) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = int(retry.meta.get("retry_times", 1))
            retry.meta[BACKOFF_KEY] = backoff_delay(attempt, self.base, self.cap)
        return retry

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop(BACKOFF_KEY, 0.0)
        if delay:
            await asyncio.sleep(delay)
