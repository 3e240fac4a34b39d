"""Scrapy's own log lines about a fetch that failed, demoted to DEBUG: the run reports every failed URL itself.

Scrapy logs a download that failed at ERROR, the robots.txt middleware with a whole traceback
(``Gave up retrying …``, ``Error downloading …``): with unreachable sites a run printed hundreds of lines
before its own one line per failed URL. The crawl records each failure (``newswatch/errors/*``,
``newswatch/discovered_failed/*``) and ``newswatch run`` prints them; these records stay in the log at
DEBUG (``newswatch run --log-file``), with their tracebacks. A spider's or pipeline's exception (a bug)
is not a fetch failure and keeps its level.

A Scrapy extension (always on): it installs the filter on those loggers once per process.

:class:`QuietLogFormatter` (Scrapy's ``LOG_FORMATTER``) leaves out Scrapy's two DEBUG lines of every answer
(``Crawled (304) <GET …>``, ``Scraped from <304 …>``) when the log is above DEBUG: Scrapy built each (the
referer read, a ``LogRecord`` made) for its handler to drop, two a request, ~4 % of a re-check of 304s.
With ``--log-file`` (DEBUG) they are written as before.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from newswatch.crawler.options import log_keeps

# the loggers, and the start of the message templates they log a failed fetch with ("" = every record)
FETCH_FAILURES: dict[str, str] = {
    "scrapy.downloadermiddlewares.retry": "Gave up retrying",
    "scrapy.downloadermiddlewares.robotstxt": "",
    "scrapy.core.scraper": "Error downloading",
}


class DemoteFetchFailures(logging.Filter):
    """Turns a failed-fetch record of the logger it is installed on into a DEBUG record."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and str(record.msg).startswith(self.prefix):
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return True


def demote_fetch_failures() -> None:
    """Install the filters (idempotent)."""
    for name, prefix in FETCH_FAILURES.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, DemoteFetchFailures) for f in logger.filters):
            logger.addFilter(DemoteFetchFailures(prefix))


class FetchFailureLog:
    """The extension: installs the filters when a crawler is made."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchFailureLog:
        demote_fetch_failures()
        return cls()


def logs_debug(settings: BaseSettings) -> bool:
    """The crawl's log keeps DEBUG records (``LOG_ENABLED`` and ``LOG_LEVEL`` DEBUG or lower)."""
    return log_keeps(settings.getbool("LOG_ENABLED", True), settings.get("LOG_LEVEL", "DEBUG"), logging.DEBUG)


class QuietLogFormatter(LogFormatter):
    """Scrapy's formatter, without the per-answer DEBUG lines when nothing would write them."""

    def __init__(self, verbose: bool = True) -> None:
        self.verbose = verbose

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLogFormatter:
        return cls(logs_debug(crawler.settings))

    def crawled(self, request: Request, response: Response, spider: Any) -> LogFormatterResult:
        if not self.verbose:
            return None  # type: ignore[return-value]  # Scrapy: None logs nothing
        return super().crawled(request, response, spider)

    def scraped(self, item: Any, response: Response | Failure | None, spider: Any) -> LogFormatterResult:
        if not self.verbose:
            return None  # type: ignore[return-value]
        return super().scraped(item, response, spider)
