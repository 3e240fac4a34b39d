"""feedparser's URL joins memoized (crawler.discover.feedurls): the same answers as feedparser's own functions."""

from __future__ import annotations

import feedparser.mixin
import feedparser.urls

from newswatch.crawler.discover import feedurls

CASES = [("http://example.com/a/", "b.html"), ("http://example.com/a/", ""), ("", "http://example.com/"),
         ("http://example.com/", "javascript:alert(1)"), ("http://example.com/", "http://[::1"),
         ("http://example.com/a/b", "../../c?x=1#f")]


def test_the_memoized_joins_answer_as_feedparsers_own() -> None:
    feedurls.install()
    for base, rel in CASES * 2:  # twice: the second answer comes from the cache
        assert feedparser.mixin.make_safe_absolute_uri(base, rel) == feedparser.urls.make_safe_absolute_uri(base, rel)
        assert feedparser.mixin._urljoin(base, rel) == feedparser.urls._urljoin(base, rel)


def test_installing_twice_wraps_once() -> None:
    feedurls.install()
    installed = feedparser.mixin.make_safe_absolute_uri
    feedurls.install()
    assert feedparser.mixin.make_safe_absolute_uri is installed
    assert installed.__wrapped__ is feedparser.urls.make_safe_absolute_uri
