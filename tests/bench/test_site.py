"""The bench site's two re-check sets answer conditional GETs as real servers do: an ETag set
(``If-None-Match``) and a Last-Modified-only set (``If-Modified-Since`` compared as a date)."""

from __future__ import annotations

import urllib.error
import urllib.request
from email.utils import formatdate

import pytest
import yaml

from bench.peer import jobs_yaml
from bench.site import LAST_MODIFIED, Page, Template, make_page, serve_page
from tests.crawler.site_server import SiteServer

TEMPLATE = Template("t", "<html><body><p>正文的一段文字，足够长的一段文字。</p></body></html>",
                    "正文的一段文字", "utf-8", "text/html; charset=utf-8")
LATER = formatdate(2_000_000_000, usegmt=True)  # 2033: after the pages' Last-Modified (2025)
EARLIER = "Mon, 01 Jan 2024 00:00:00 GMT"


def status(url: str, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_even_copies_carry_an_etag_and_odd_ones_last_modified_only() -> None:
    even, odd = make_page(TEMPLATE, 0), make_page(TEMPLATE, 1)
    assert (even.etag, even.last_modified) == ('"bench-0"', None)
    assert (odd.etag, odd.last_modified) == (None, LAST_MODIFIED)
    assert even.marker in even.body.decode() and odd.marker in odd.body.decode()


CASES = [
    (0, {}, 200),
    (0, {"If-None-Match": '"bench-0"'}, 304),
    (0, {"If-None-Match": '"other"'}, 200),
    (1, {}, 200),
    (1, {"If-Modified-Since": LAST_MODIFIED}, 304),  # newswatch: the stored Last-Modified, as sent
    (1, {"If-Modified-Since": LATER}, 304),  # urlwatch: the time of its last check
    (1, {"If-Modified-Since": EARLIER}, 200),
    (1, {"If-Modified-Since": "not a date"}, 200),
    (1, {"If-None-Match": '"x"', "If-Modified-Since": LATER}, 200),  # If-None-Match decides when present
]


@pytest.mark.parametrize(("copy", "headers", "expected"), CASES,
                         ids=["etag-plain", "etag-match", "etag-other", "lm-plain", "lm-same", "lm-later",
                              "lm-earlier", "lm-bad-date", "lm-with-etag-mismatch"])
def test_conditional_get(copy: int, headers: dict[str, str], expected: int) -> None:
    page: Page = make_page(TEMPLATE, copy)
    with SiteServer() as server:
        serve_page(server, page)
        assert status(server.url(page.path), headers) == expected


def test_urlwatch_jobs_are_one_per_url_with_the_html2text_filter() -> None:
    urls = ["http://127.0.0.1:1/a.html", "http://127.0.0.1:1/b: c.html"]
    jobs = [job for job in yaml.safe_load_all(jobs_yaml(urls)) if job]
    assert [job["url"] for job in jobs] == urls
    assert all(job["filter"] == ["html2text"] for job in jobs)
    assert len({job["name"] for job in jobs}) == 2
