"""The scheduler: Scrapy's own, plus requests that wait their turn outside the downloader.

A request whose ``meta['newswatch_backoff']`` holds a number of seconds (a retry: see ``crawler.fetch.retry``) is
not queued at once: it is held on a timer (no download slot, no concurrency taken) and handed back to the
engine when the wait is over. While any request waits, the scheduler has pending requests, so the crawl
does not end early; a crawl closed meanwhile (a timeout, a signal) drops the waiting requests and counts
them as ``newswatch/retry/abandoned``.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.utils.asyncio import CallLaterResult, call_later
from twisted.internet.defer import Deferred

from newswatch.crawler.fetch.retry import BACKOFF_KEY


class RetryScheduler(Scheduler):
    """Scrapy's scheduler; a request carrying a backoff waits on a timer before it is queued."""

    def open(self, spider: Spider) -> Deferred[None] | None:
        self._waiting: dict[int, tuple[Request, CallLaterResult]] = {}
        return super().open(spider)

    def enqueue_request(self, request: Request) -> bool:
        delay = float(request.meta.pop(BACKOFF_KEY, 0.0) or 0.0)
        if delay <= 0:
            return super().enqueue_request(request)
        self._waiting[id(request)] = (request, call_later(delay, self._release, request))
        self._count("delayed")
        return True

    def _release(self, request: Request) -> None:
        """The wait is over: through the engine again (it queues the request and wakes the downloader)."""
        if self._waiting.pop(id(request), None) is None:
            return
        engine = self.crawler.engine if self.crawler is not None else None
        if engine is None or engine.spider is None:
            self._count("abandoned")
            return
        engine.crawl(request)

    def has_pending_requests(self) -> bool:
        return bool(getattr(self, "_waiting", None)) or super().has_pending_requests()

    def __len__(self) -> int:
        return super().__len__() + len(getattr(self, "_waiting", {}))

    def close(self, reason: str) -> Deferred[None] | None:
        for _request, timer in self._waiting.values():
            timer.cancel()
            self._count("abandoned")
        self._waiting.clear()
        return super().close(reason)

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"newswatch/retry/{key}")
