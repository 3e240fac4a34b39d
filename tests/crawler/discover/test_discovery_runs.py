"""Discovery end to end (``newswatch run`` against loopback sites of real pages, trafilatura's evaluation
set): new articles found by content whatever the shape of their URLs and the order of the routes that
find them; failures of discovered URLs dropped, not errors; the page budget shared fairly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.crawler.discover.canonical import declared_canonical
from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article as StoredArticle
from tests.crawler.eval_pages import (
    HTML,
    RAW_HTML,
    discovery_workspace,
    eval_pages,
    home_page,
    newswatch_json,
    rss,
    urlset,
)
from tests.crawler.site_server import Route, SiteServer
from tests.crawler.test_run import newswatch

# six runs: from the third on, the five new links are listed (newest first) above 10 to 25 known ones, in
# the home page, the feed and the sitemap at once (20 runs took four times as long for no other case)
ROUNDS = 6
SHAPES = ("/news/{slug}/", "/{slug}", "/stories/{slug}.html", "/read.php?id={n}", "/2025/03/{n:02d}/{slug}.html")


def accepted_pages(count: int) -> list[bytes]:
    """``count`` real pages the extractor accepts when fetched directly, with no canonical URL of their own
    on the test site (so each is stored under the URL it is served at)."""
    found = []
    for _name, body in eval_pages():
        html = decode_body(body, None)
        url = "http://127.0.0.1/probe/x"
        if declared_canonical(html, url) is None and isinstance(_extracted(html, url), Article):
            found.append(body)
        if len(found) == count:
            return found
    raise AssertionError("not enough accepted pages")


def _extracted(html: str, url: str) -> object:
    try:
        return extract(html, url)
    except ValueError:  # a page lxml refuses (control characters): not one to serve here
        return None


def stored_urls(folder: Path) -> set[str]:
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        urls = set(session.execute(select(StoredArticle.canonical_url)).scalars())
    engine.dispose()
    return urls


def publish(server: SiteServer, links: list[str]) -> None:
    """The site's home page, feed and sitemap, all listing ``links`` at once."""
    base = server.base_url
    server.add("/", home_page(links), headers=HTML)
    server.add("/feed.xml", rss(base, links), headers={"Content-Type": "application/rss+xml"})
    server.add("/sitemap.xml", urlset(base, links), headers={"Content-Type": "application/xml"})


@pytest.mark.timeout(1500)
def test_new_articles_of_every_url_shape_are_new_on_the_first_run_that_sees_them(tmp_path: Path) -> None:
    pages = iter(accepted_pages(ROUNDS * len(SHAPES)))
    links: list[str] = []
    with SiteServer() as server:
        server.add_robots(f"User-agent: *\nSitemap: {server.base_url}/sitemap.xml\n")
        config = discovery_workspace(tmp_path, server.base_url, max_pages_per_site=1000)
        for round_ in range(ROUNDS):
            fresh = [shape.format(slug=f"story-{round_}-{i}", n=round_ * 10 + i) for i, shape in enumerate(SHAPES)]
            for link in fresh:
                server.add(link, next(pages), headers=RAW_HTML)
            links = fresh + links  # newest first, as sites list them
            publish(server, links)
            run = newswatch_json(config)
            assert run.status == 0, (round_, run.summary.get("errors"), run.stderr[-2000:])
            expected = {server.base_url + link for link in fresh}
            assert expected <= stored_urls(tmp_path), (round_, expected - stored_urls(tmp_path))
            assert run.summary["figures"]["new"] == len(fresh), (round_, run.summary["figures"])


def test_dead_discovered_links_and_guessed_feeds_are_dropped_not_errors(tmp_path: Path) -> None:
    (page,) = accepted_pages(1)
    with SiteServer() as server:
        body = home_page(["/story/", "/gone.html", "/also-gone/", "/wp-rss.php"], feed=None)
        server.add("/", body, headers=HTML)
        server.add("/story/", page, headers=RAW_HTML)
        config = discovery_workspace(tmp_path, server.base_url)
        run = newswatch_json(config)
        text = newswatch(config, "run")
    assert run.status == 0, (run.summary, run.stderr[-2000:])
    assert run.summary["errors"] == [] and run.summary["figures"]["errors"] == 0
    dropped = run.summary["dropped"]
    assert dropped["count"] == run.summary["figures"]["dropped"] >= 3
    assert dropped["kinds"]["http_404"] >= 3
    assert {e["url"].removeprefix(server.base_url) for e in dropped["examples"]} >= {"/gone.html", "/wp-rss.php"}
    assert run.summary["figures"]["new"] == 1
    assert text.returncode == 0 and " error " not in text.stdout + text.stderr, text.stdout
    assert "dropped" in text.stdout


def test_a_dead_configured_feed_is_still_an_error(tmp_path: Path) -> None:
    (page,) = accepted_pages(1)
    with SiteServer() as server:
        server.add("/", home_page(["/story/"], feed=None), headers=HTML)
        server.add("/story/", page, headers=RAW_HTML)
        config = discovery_workspace(tmp_path, server.base_url, feeds=("/missing-feed.xml",))
        run = newswatch_json(config)
    assert run.status == 1
    errors = [(e["kind"], e["url"]) for e in run.summary["errors"]]
    assert errors == [("http_404", server.base_url + "/missing-feed.xml")]


BUDGET = 12
DEAD_ITEMS = 2_000


def test_a_huge_feed_of_dead_links_does_not_spend_the_budget_of_the_other_routes(tmp_path: Path) -> None:
    """A 2,000-item feed of dead links (170 times the budget) answers first (the home page and the sitemap
    are slow); with ``max_pages_per_site`` 12 the sitemap's and the section page's real articles are still fetched. On
    the next run the stored articles are due for a re-check and head the feed: all re-checked, outside
    the budget, and the new articles still fetched."""
    pages = accepted_pages(9)
    section, listed, later = ["/s/a/", "/s/b", "/s/c.html"], ["/m/a/", "/m/b", "/m/c.html"], ["/s/d/", "/s/e", "/s/f"]
    with SiteServer() as server:
        base = server.base_url
        for link, body in zip(section + listed + later, pages, strict=True):
            server.add(link, body, headers=RAW_HTML)
        dead = [f"/dead/{i}" for i in range(DEAD_ITEMS)]
        server.add("/feed.xml", rss(base, dead), headers={"Content-Type": "application/rss+xml"})
        slow_sitemap = Route(200, (("Content-Type", "application/xml"),), urlset(base, listed), delay=1.5)
        server.route("/sitemap.xml", slow_sitemap)
        server.route("/", Route(200, tuple(HTML.items()), home_page(section, feed=None), delay=1.5))
        config = discovery_workspace(tmp_path, base, max_pages_per_site=BUDGET, recheck=True,
                                     feeds=("/feed.xml",), sitemaps=("/sitemap.xml",))
        first = newswatch_json(config)
        assert {base + link for link in section + listed} <= stored_urls(tmp_path), first.summary["figures"]
        assert first.status == 0, first.summary.get("errors")

        server.add("/feed.xml", rss(base, section + listed + dead), headers={"Content-Type": "application/rss+xml"})
        server.route("/", Route(200, tuple(HTML.items()), home_page(later + section, feed=None), delay=1.5))
        before = Counter(r.path for r in server.requests)
        second = newswatch_json(config)
        asked = Counter(r.path for r in server.requests) - before
    assert all(asked[link] == 1 for link in section + listed), asked
    assert {base + link for link in later} <= stored_urls(tmp_path), second.summary["figures"]
    assert sum(n for path, n in asked.items() if path.startswith(("/dead/", "/s/d/", "/s/e", "/s/f"))) <= BUDGET
