"""Crawl progress for people: a live status line on a terminal, an INFO log line otherwise.

A Scrapy extension, on when ``NEWSWATCH_PROGRESS`` is ``tty`` (one line on stderr rewritten every
second) or ``lines`` (one INFO log line every ``NEWSWATCH_PROGRESS_INTERVAL`` seconds, for logs and
journald); ``off`` (or unset) switches it off. It reads the crawl stats and shows what is known:

    pages 35/120  new 3  changed 1  errors 2  dropped 1  4.2 pages/s  0:08

pages done (answered, failed or refused; a retry or a redirect is one more) of those queued so far (the
queue grows while pages are discovered, so no time left is guessed), the articles new and changed, the
errors and dropped links (failures of discovered URLs, not errors) as the run's summary counts them, the
rate and the time since the crawl started.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger("newswatch.progress")


def progress_line(stats: dict[str, Any], elapsed: float) -> str:
    """The status line for a crawl's stats, ``elapsed`` seconds after it started (pure)."""
    def total(prefix: str) -> int:
        return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

    def count(key: str) -> int:
        value = stats.get(key, 0)
        return value if isinstance(value, int) else 0

    errors = total("newswatch/errors/") - total("newswatch/errors/refused_")  # as the summary counts them
    dropped = total("newswatch/discovered_failed/")
    # requests answered or failed, robots.txt aside (it is fetched beside the queue), of those queued
    done = max(0, count("response_received_count") + count("downloader/exception_count")
               - count("robotstxt/request_count"))
    queued = max(done, count("scheduler/enqueued"))
    rate = done / elapsed if elapsed > 0 else 0.0
    minutes, seconds = divmod(int(elapsed), 60)
    return (f"pages {done}/{queued}  new {total('newswatch/articles/new')}"
            f"  changed {total('newswatch/articles/changed')}  errors {errors}  dropped {dropped}"
            f"  {rate:.1f} pages/s  {minutes}:{seconds:02d}")


class Progress:
    def __init__(self, stats: StatsCollector, mode: str, interval: float) -> None:
        self.stats = stats
        self.mode = mode
        self.interval = interval
        self.task: asyncio.Task[None] | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        mode = crawler.settings.get("NEWSWATCH_PROGRESS", "off")
        if mode not in ("tty", "lines"):
            raise NotConfigured
        assert crawler.stats is not None
        interval = 1.0 if mode == "tty" else crawler.settings.getfloat("NEWSWATCH_PROGRESS_INTERVAL", 30.0)
        progress = cls(crawler.stats, mode, interval)
        crawler.signals.connect(progress.opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.closed, signal=signals.spider_closed)
        return progress

    def opened(self) -> None:
        self.started = time.monotonic()
        self.task = asyncio.get_event_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.show()

    def show(self, final: bool = False) -> None:
        line = progress_line(self.stats.get_stats(), time.monotonic() - self.started)
        if self.mode == "tty":
            sys.stderr.write(f"\r\x1b[2K{line}" + ("\n" if final else ""))
            sys.stderr.flush()
        else:
            logger.info("progress: %s", line)

    def closed(self) -> None:
        if self.task is not None:
            self.task.cancel()
        if self.mode == "tty":
            self.show(final=True)
