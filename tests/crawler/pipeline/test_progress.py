"""The progress line: pages done of those queued, articles new and changed, errors, dropped links, the
rate and the time since the crawl started; computed from a crawl's stats (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from newswatch.crawler.pipeline.progress import progress_line

# the stats of a crawl in flight: 31 answers (one of them robots.txt), 2 requests failed or refused
IN_FLIGHT: dict[str, Any] = {
    "scheduler/enqueued": 51, "scheduler/enqueued/memory": 51, "scheduler/dequeued": 34,
    "response_received_count": 31, "downloader/exception_count": 2, "robotstxt/request_count": 1,
    "newswatch/fetched/page": 24, "newswatch/fetched/feed": 4, "newswatch/fetched/sitemap": 2,
    "newswatch/articles/new": 5, "newswatch/articles/changed": 2, "newswatch/articles/unchanged": 9,
    "newswatch/errors/http_500": 1, "newswatch/errors/timeout": 1, "newswatch/errors/refused_robots": 1,
    "newswatch/discovered_failed/http_404": 1,
    "start_time": "2025-03-01T08:00:00",  # not a count: ignored
}


@pytest.mark.parametrize(("stats", "elapsed", "expected"), [
    (IN_FLIGHT, 75.0, "pages 32/51  new 5  changed 2  errors 2  dropped 1  0.4 pages/s  1:15"),
    ({}, 0.0, "pages 0/0  new 0  changed 0  errors 0  dropped 0  0.0 pages/s  0:00"),
    # a retry of robots.txt goes through the queue, its first request did not: never more done than queued
    ({"downloader/exception_count": 3, "robotstxt/request_count": 1, "scheduler/enqueued": 1,
      "newswatch/discovered_failed/dns_failed": 1}, 2.0,
     "pages 2/2  new 0  changed 0  errors 0  dropped 1  1.0 pages/s  0:02"),
], ids=["in-flight", "start", "more-done-than-queued"])
def test_progress_line(stats: dict[str, Any], elapsed: float, expected: str) -> None:
    assert progress_line(stats, elapsed) == expected
