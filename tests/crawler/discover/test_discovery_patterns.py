"""crawler.discover.links keeps copies of two trafilatura.feeds patterns (importing them would load all of
trafilatura on runs that extract nothing): the copies stay equal to the library's."""

from __future__ import annotations

import trafilatura.feeds

from newswatch.crawler.discover import links as discovery


def test_feed_link_patterns_equal_trafilaturas() -> None:
    assert discovery.LINK_VALIDATION_RE.pattern == trafilatura.feeds.LINK_VALIDATION_RE.pattern
    assert discovery.BLACKLIST.pattern == trafilatura.feeds.BLACKLIST.pattern
