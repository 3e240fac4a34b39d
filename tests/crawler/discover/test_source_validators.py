"""Conditional GET for feeds and leaf sitemaps, end to end (``newswatch run`` against a loopback site): a 304
reads nothing and offers nothing; validators are kept only after a complete read, so a 304 never hides
an article (page budget, a crawl cut short); a sitemap index is always read in full."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import CrawlRun, SourceValidator
from tests.crawler.discover.test_discovery_runs import accepted_pages, stored_urls
from tests.crawler.eval_pages import HTML, RAW_HTML, discovery_workspace, home_page, newswatch_json, rss, urlset
from tests.crawler.site_server import Route, SeenRequest, SiteServer
from tests.faults.harness import kill_on_call, newswatch_with

RSS = {"Content-Type": "application/rss+xml"}
XML = {"Content-Type": "application/xml"}
MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"


def _stored_validators(folder: Path) -> dict[str, tuple[str | None, str | None]]:
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        rows = session.execute(select(SourceValidator)).scalars().all()
        found = {row.url: (row.etag, row.last_modified) for row in rows}
    engine.dispose()
    return found


def _last_stats(folder: Path) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        run = session.execute(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).scalar_one()
        stats = dict(run.stats)
    engine.dispose()
    return stats


def _asked(server: SiteServer, since: int, path: str) -> list[SeenRequest]:
    return [r for r in server.requests[since:] if r.path == path]


def _header(request: SeenRequest, name: str) -> str | None:
    return next((v for k, v in request.headers if k.lower() == name.lower()), None)


def test_an_unchanged_feed_and_sitemap_answer_304_and_a_new_item_is_found_the_run_after(tmp_path: Path) -> None:
    pages = accepted_pages(4)
    feed_links, map_links, later = ["/f/a/", "/f/b"], ["/m/a/"], "/f/c.html"
    with SiteServer() as server:
        base = server.base_url
        for link, body in zip([*feed_links, *map_links, later], pages, strict=True):
            server.add(link, body, headers=RAW_HTML)
        server.add("/", home_page([], feed=None), headers=HTML)
        server.add("/feed.xml", rss(base, feed_links), headers={**RSS, "ETag": '"feed-1"'})
        server.add("/sitemap.xml", urlset(base, map_links), headers={**XML, "Last-Modified": MODIFIED})
        config = discovery_workspace(tmp_path, base, feeds=("/feed.xml",), sitemaps=("/sitemap.xml",))
        first = newswatch_json(config)
        assert first.status == 0 and first.summary["figures"]["new"] == 3, first.summary
        assert _stored_validators(tmp_path) == {base + "/feed.xml": ('"feed-1"', None),
                                                base + "/sitemap.xml": (None, MODIFIED)}

        mark = len(server.requests)
        second = newswatch_json(config)
        (feed_request,) = _asked(server, mark, "/feed.xml")
        (sitemap_request,) = _asked(server, mark, "/sitemap.xml")
        stats = _last_stats(tmp_path)
        assert second.status == 0, second.summary
        assert _header(feed_request, "If-None-Match") == '"feed-1"'
        assert _header(sitemap_request, "If-Modified-Since") == MODIFIED
        assert stats["newswatch/fetched/feed_not_modified"] == 1
        assert stats["newswatch/fetched/sitemap_not_modified"] == 1
        assert "newswatch/fetched/feed" not in stats and "newswatch/fetched/sitemap" not in stats  # nothing parsed
        assert second.summary["figures"]["new"] == 0
        assert _stored_validators(tmp_path)[base + "/feed.xml"] == ('"feed-1"', None)

        server.add("/feed.xml", rss(base, [later, *feed_links]), headers={**RSS, "ETag": '"feed-2"'})
        third = newswatch_json(config)
    assert third.status == 0 and third.summary["figures"]["new"] == 1, third.summary
    assert base + later in stored_urls(tmp_path)
    assert _stored_validators(tmp_path)[base + "/feed.xml"] == ('"feed-2"', None)


BUDGET = 3


def test_a_feed_beyond_the_page_budget_keeps_no_validators_and_is_read_in_full_next_run(tmp_path: Path) -> None:
    pages = accepted_pages(2 * BUDGET)
    links = [f"/story/{i}/" for i in range(2 * BUDGET)]
    with SiteServer() as server:
        base = server.base_url
        for link, body in zip(links, pages, strict=True):
            server.add(link, body, headers=RAW_HTML)
        server.add("/", home_page([], feed=None), headers=HTML)
        server.add("/feed.xml", rss(base, links), headers={**RSS, "ETag": '"big"'})
        config = discovery_workspace(tmp_path, base, max_pages_per_site=BUDGET, feeds=("/feed.xml",))
        first = newswatch_json(config)
        assert first.status == 0 and first.summary["figures"]["new"] == BUDGET, first.summary
        assert _stored_validators(tmp_path) == {}

        mark = len(server.requests)
        second = newswatch_json(config)
        (feed_request,) = _asked(server, mark, "/feed.xml")
    assert _header(feed_request, "If-None-Match") is None
    assert second.status == 0 and second.summary["figures"]["new"] == BUDGET, second.summary
    assert {base + link for link in links} <= stored_urls(tmp_path)
    assert _stored_validators(tmp_path) == {base + "/feed.xml": ('"big"', None)}  # read completely at last


def test_a_sitemap_index_is_always_read_in_full_and_its_children_use_their_own_validators(tmp_path: Path) -> None:
    pages = accepted_pages(2)
    with SiteServer() as server:
        base = server.base_url
        for link, body in zip(["/a/1/", "/b/1/"], pages, strict=True):
            server.add(link, body, headers=RAW_HTML)
        server.add("/", home_page([], feed=None), headers=HTML)
        index = ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                 f'sitemap/0.9"><sitemap><loc>{base}/sm-a.xml</loc></sitemap>'
                 f"<sitemap><loc>{base}/sm-b.xml</loc></sitemap></sitemapindex>").encode()
        server.add("/sitemap_index.xml", index, headers={**XML, "ETag": '"index"'})
        server.add("/sm-a.xml", urlset(base, ["/a/1/"]), headers={**XML, "ETag": '"a"'})
        server.add("/sm-b.xml", urlset(base, ["/b/1/"]), headers={**XML, "Last-Modified": MODIFIED})
        server.add_robots(f"User-agent: *\nSitemap: {base}/sitemap_index.xml\n")
        config = discovery_workspace(tmp_path, base)
        first = newswatch_json(config)
        assert first.status == 0 and first.summary["figures"]["new"] == 2, first.summary
        assert _stored_validators(tmp_path) == {base + "/sm-a.xml": ('"a"', None), base + "/sm-b.xml": (None, MODIFIED)}

        mark = len(server.requests)
        second = newswatch_json(config)
        (index_request,) = _asked(server, mark, "/sitemap_index.xml")
        (a_request,) = _asked(server, mark, "/sm-a.xml")
        (b_request,) = _asked(server, mark, "/sm-b.xml")
    stats = _last_stats(tmp_path)
    assert second.status == 0, second.summary
    assert _header(index_request, "If-None-Match") is None and _header(index_request, "If-Modified-Since") is None
    assert _header(a_request, "If-None-Match") == '"a"' and _header(b_request, "If-Modified-Since") == MODIFIED
    assert stats["newswatch/fetched/sitemap"] == 1 and stats["newswatch/fetched/sitemap_not_modified"] == 2


def test_a_crawl_cut_short_keeps_no_validators_and_clears_the_old_ones(tmp_path: Path) -> None:
    (page,) = accepted_pages(1)
    with SiteServer() as server:
        base = server.base_url
        server.add("/story/", page, headers=RAW_HTML)
        server.add("/", home_page([], feed=None), headers=HTML)
        server.add("/feed.xml", rss(base, ["/story/"]), headers={**RSS, "ETag": '"one"'})
        config = discovery_workspace(tmp_path, base, feeds=("/feed.xml",))
        first = newswatch_json(config)
        assert first.status == 0 and _stored_validators(tmp_path) == {base + "/feed.xml": ('"one"', None)}

        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("[schedule]", "closespider_timeout = 2\n[schedule]"), encoding="utf-8")
        server.add("/feed.xml", rss(base, ["/slow/", "/story/"]), headers={**RSS, "ETag": '"two"'})
        server.route("/slow/", Route(200, tuple(RAW_HTML.items()), page, delay=6.0))
        cut = newswatch_json(config)
        assert _last_stats(tmp_path).get("finish_reason") == "closespider_timeout", cut.summary
        assert _stored_validators(tmp_path) == {}  # neither the new validators nor the old ones

        server.route("/feed.xml", Route(200, (*RSS.items(), ("ETag", '"one"')), rss(base, ["/story/"])))
        mark = len(server.requests)
        newswatch_json(config)
        (feed_request,) = _asked(server, mark, "/feed.xml")
    assert _header(feed_request, "If-None-Match") is None  # read in full after the cut


def test_a_listed_page_that_fails_for_now_keeps_no_validators_and_is_fetched_next_run(tmp_path: Path) -> None:
    (page,) = accepted_pages(1)
    with SiteServer() as server:
        base = server.base_url
        server.add_sequence("/busy/", [Route(503, (("Content-Type", "text/plain"),), b"busy"),
                                       Route(200, tuple(RAW_HTML.items()), page)])
        server.add("/", home_page([], feed=None), headers=HTML)
        server.add("/feed.xml", rss(base, ["/busy/"]), headers={**RSS, "ETag": '"busy"'})
        config = discovery_workspace(tmp_path, base, feeds=("/feed.xml",))
        newswatch_json(config)
        assert _stored_validators(tmp_path) == {}
        second = newswatch_json(config)
    assert second.summary["figures"]["new"] == 1, second.summary
    assert base + "/busy/" in stored_urls(tmp_path)
    assert _stored_validators(tmp_path) == {base + "/feed.xml": ('"busy"', None)}


def test_a_killed_run_writes_no_validators_and_the_next_run_reads_the_changed_feed(tmp_path: Path) -> None:
    """Killed while recording the first new article of a changed feed: the validators stored are still the
    previous read's, which the changed feed does not match, so the next run reads it and stores the article."""
    story, fresh = accepted_pages(2)
    with SiteServer() as server:
        base = server.base_url
        server.add("/story/", story, headers=RAW_HTML)
        server.add("/", home_page([], feed=None), headers=HTML)
        server.add("/feed.xml", rss(base, ["/story/"]), headers={**RSS, "ETag": '"one"'})
        config = discovery_workspace(tmp_path, base, feeds=("/feed.xml",))
        assert newswatch_json(config).status == 0

        server.add("/fresh/", fresh, headers=RAW_HTML)
        server.add("/feed.xml", rss(base, ["/fresh/", "/story/"]), headers={**RSS, "ETag": '"two"'})
        killed = newswatch_with(kill_on_call("newswatch.monitor.changes.record", "ChangeRecorder", "fetched", 1),
                                config, "run")
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        assert base + "/fresh/" not in stored_urls(tmp_path)
        assert _stored_validators(tmp_path) == {base + "/feed.xml": ('"one"', None)}

        mark = len(server.requests)
        after = newswatch_json(config)
        (feed_request,) = _asked(server, mark, "/feed.xml")
    assert _header(feed_request, "If-None-Match") == '"one"'  # not the feed's "two": answered 200, read
    assert after.status == 0 and after.summary["figures"]["new"] == 1, after.summary
    assert base + "/fresh/" in stored_urls(tmp_path)
    assert _stored_validators(tmp_path) == {base + "/feed.xml": ('"two"', None)}
