"""The validators of feeds and leaf sitemaps (crawler.discover.sourceledger): sent when stored, kept only after a
complete read of a finished crawl, cleared otherwise."""

from __future__ import annotations

from newswatch.crawler.discover.sourceledger import SourceLedger, permanent_failure
from newswatch.crawler.items import SourceValidators

FEED = "https://example.com/feed.xml"
STORED = SourceValidators(FEED, "feed", '"e1"', "Tue, 01 Dec 2026 10:00:00 GMT")


def test_stored_validators_become_conditional_headers_and_other_urls_get_none() -> None:
    ledger = SourceLedger([STORED])
    assert ledger.headers(FEED) == {"If-None-Match": '"e1"', "If-Modified-Since": "Tue, 01 Dec 2026 10:00:00 GMT"}
    assert ledger.headers("https://example.com/other.xml") == {}


def test_a_complete_read_keeps_the_new_validators() -> None:
    ledger = SourceLedger([STORED])
    ledger.read(FEED, "feed", '"e2"', None, ["https://example.com/a", "https://example.com/b"])
    report = ledger.report(lambda url: True, finished=True)
    assert report.keep == (SourceValidators(FEED, "feed", '"e2"', None),) and report.clear == ()


def test_one_listed_link_not_dealt_with_clears_the_validators() -> None:
    ledger = SourceLedger([STORED])
    ledger.read(FEED, "feed", '"e2"', None, ["https://example.com/a", "https://example.com/b"])
    report = ledger.report(lambda url: url.endswith("/a"), finished=True)
    assert report.keep == () and report.clear == (FEED,)


def test_a_crawl_cut_short_keeps_nothing_not_even_a_304() -> None:
    ledger = SourceLedger([STORED])
    ledger.not_modified(FEED, "feed", None, None)
    assert ledger.report(lambda url: True, finished=True).keep == (STORED,)
    assert ledger.report(lambda url: True, finished=False).clear == (FEED,)


def test_a_304_with_new_validators_keeps_them() -> None:
    ledger = SourceLedger([STORED])
    ledger.not_modified(FEED, "feed", '"e3"', None)
    assert ledger.report(lambda url: True, finished=True).keep == (
        SourceValidators(FEED, "feed", '"e3"', STORED.last_modified),)


def test_an_answer_without_validators_or_an_index_clears_what_was_stored() -> None:
    ledger = SourceLedger([STORED, SourceValidators("https://example.com/index.xml", "sitemap", '"i"')])
    ledger.read(FEED, "feed", None, None, [])
    ledger.unusable("https://example.com/index.xml")
    report = ledger.report(lambda url: True, finished=True)
    assert report.keep == () and set(report.clear) == {FEED, "https://example.com/index.xml"}


def test_gone_and_refused_links_are_permanent_failures_timeouts_and_5xx_are_not() -> None:
    assert permanent_failure("http_404") and permanent_failure("refused_robots")
    assert not permanent_failure("http_503") and not permanent_failure("timeout")


def test_the_passing_rejection_reasons_are_the_extractors_own() -> None:
    from newswatch.crawler.discover.sourceledger import TRANSIENT_REJECTIONS
    from newswatch.crawler.extract.pool import CRASHED, TIMED_OUT
    from newswatch.crawler.extract.rejection import CONSENT_PAGE, EMPTY

    assert {CONSENT_PAGE, EMPTY, CRASHED, TIMED_OUT} == TRANSIENT_REJECTIONS
