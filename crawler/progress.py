"""Crawl progress for people: a live status line on a terminal, plain log lines otherwise.

A Scrapy extension, on when ``NEWSWATCH_PROGRESS`` is ``tty`` (one line on stderr rewritten every
second) or ``lines`` (one log line every ``NEWSWATCH_PROGRESS_INTERVAL`` seconds, for logs and
journald); ``off`` (or unset) switches it off. It reads the crawl stats and prints
``sources, pages, new, changed, errors, dropped`` (failures of discovered URLs, not errors).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger("newswatch.progress")


def progress_line(stats: dict[str, Any]) -> str:
    """The status line for a crawl's stats (pure)."""
    def total(prefix: str) -> int:
        return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

    return (f"sources {total('newswatch/fetched/page') + total('newswatch/fetched/feed')}"
            f" + {total('newswatch/fetched/sitemap')} sitemaps  pages {total('newswatch/fetched/')}"
            f"  new {total('newswatch/articles/new')}  changed {total('newswatch/articles/changed')}"
            f"  errors {total('newswatch/errors/')}  dropped {total('newswatch/discovered_failed/')}")


class Progress:
    def __init__(self, stats: StatsCollector, mode: str, interval: float) -> None:
        self.stats = stats
        self.mode = mode
        self.interval = interval
        self.task: asyncio.Task[None] | None = None

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
        self.task = asyncio.get_event_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.show()

    def show(self, final: bool = False) -> None:
        line = progress_line(self.stats.get_stats())
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
