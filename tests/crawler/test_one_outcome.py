"""Every item of a run gets exactly one outcome, whatever answers first.

The race found from outside: a stored article whose page no longer yields an article (a source's new
``include`` matching nothing), re-checked while the site's section page links to it too. When the
section page answered first, its link merged a depth into the held article's entry, the spider stopped
treating it as an expected article and dropped the rejection: no outcome at all (3 runs in 13). The
article is now held *as an article* whatever else links it (``Entry.article``). The timing is varied:
the article answers at once, after the section page, or long after it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newswatch.crawler.discover.frontier import Entry
from newswatch.crawler.items import ArticleTarget, SiteTarget
from newswatch.crawler.spiders.pages import expects_article
from tests.crawler.crawl_child import crawl_plan, loopback_settings
from tests.crawler.site_server import Route, SiteServer

HTML = {"Content-Type": "text/html; charset=utf-8"}
STUB = "<html><head><title>关于我们</title></head><body><p>联系我们。</p></body></html>".encode()


def test_a_held_article_stays_expected_when_a_section_links_it() -> None:
    held = Entry("http://h/info/contact", "h", "held", held=True, article=True)
    section = Entry("http://h/info/contact", "h", "section", depth=1, discovered_from="http://h/")
    assert expects_article(held.merged(section)) and expects_article(section.merged(held))
    configured = Entry("http://h/news/", "h", "held", held=True, depth=0)
    assert not expects_article(configured)  # a configured section page is no article


@pytest.mark.parametrize("delay", [0.0, 0.3, 1.0], ids=["at-once", "after-the-section", "long-after"])
def test_the_rejection_of_a_held_page_is_never_lost(site_server: SiteServer, tmp_path: Path, delay: float) -> None:
    def late() -> tuple[()]:
        time.sleep(delay)
        return ()

    site_server.route("/", Route(200, tuple(HTML.items()), b'<html><body><a href="/info/contact">c</a></body></html>'))
    site_server.route("/info/contact", Route(200, tuple(HTML.items()), STUB, late_headers=late))
    settings = loopback_settings(tmp_path)
    plan = [ArticleTarget(site_server.url("/info/contact"))]
    result = crawl_plan(tmp_path / "crawl", settings, plan,
                        sites=[SiteTarget("s", pages=(site_server.url("/"),), robots=False)])
    rejected = sum(v for k, v in result.stats.items() if k.startswith("newswatch/rejected/"))
    assert rejected == 1, result.stats
