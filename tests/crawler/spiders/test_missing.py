"""The same-crawl re-check of a stored article's first 404 (``crawler.spiders.missing``): asked once, after the
configured delay (capped), never for a final answer (410, redirect away) nor when off."""

from __future__ import annotations

import pytest
from scrapy.http import Request

from newswatch.crawler.fetch.retry import BACKOFF_KEY
from newswatch.crawler.items import Missing
from newswatch.crawler.spiders.missing import MAX_RECHECK_SECONDS, RECHECK_KEY, recheck_request

URL = "http://127.0.0.1/2025/05/01/d.html"
FIRST_404 = Missing(URL, "gone", 404, final=False)


def _request(**meta: object) -> Request:
    return Request(URL, meta={"nw_stored": True, "nw_url": URL, **meta}, headers={"If-None-Match": '"v1"'})


def test_a_first_404_is_asked_again_after_the_delay() -> None:
    again = recheck_request(_request(), FIRST_404, 30.0)
    assert again is not None and again.url == URL and again.dont_filter
    assert again.meta[BACKOFF_KEY] == 30.0 and again.meta[RECHECK_KEY] is True
    assert again.meta["nw_stored"] is True and again.headers.get("If-None-Match") == b'"v1"'
    assert recheck_request(again, FIRST_404, 30.0) is None, "a re-check is never re-checked"


@pytest.mark.parametrize(("missing", "delay"), [
    (Missing(URL, "gone", 410), 30.0),
    (Missing(URL, "redirected", 301, location="http://127.0.0.1/"), 30.0),
    (FIRST_404, 0.0),
], ids=["410-final", "redirect-final", "off"])
def test_no_recheck(missing: Missing, delay: float) -> None:
    assert recheck_request(_request(), missing, delay) is None


def test_a_long_delay_is_capped() -> None:
    again = recheck_request(_request(), FIRST_404, 10 * MAX_RECHECK_SECONDS)
    assert again is not None and again.meta[BACKOFF_KEY] == MAX_RECHECK_SECONDS
