"""Scrapy's own log lines about a fetch that failed, demoted to DEBUG: the run reports every failed URL itself.

Scrapy logs a download that failed at ERROR, the robots.txt middleware with a whole traceback
(``Gave up retrying …``, ``Error downloading …``): with unreachable sites a run printed hundreds of lines
before its own one line per failed URL. The crawl records each failure (``newswatch/errors/*``,
``newswatch/discovered_failed/*``) and ``newswatch run`` prints them; these records stay in the log at
DEBUG (``newswatch run --log-file``), with their tracebacks. A spider's or pipeline's exception (a bug)
is not a fetch failure and keeps its level.

A Scrapy extension (always on): it installs the filter on those loggers once per process.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

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
