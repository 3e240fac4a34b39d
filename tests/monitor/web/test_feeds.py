"""Atom feeds as a feed reader reads them: `newswatch serve` over the replayed crawl, parsed by
feedparser. Every change is its own entry (unique ids), ids survive a restart of the server, the diff
is in the entry content; feeds of all changes, per source, per article, and of new articles."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from urllib.parse import quote

import feedparser
import pytest

from newswatch.monitor.web.diffs import diff_view
from newswatch.monitor.web.feeds import entry_html
from newswatch.monitor.web.queries import ArticleRow, ChangeRow
from newswatch.monitor.web.removals import RemovalRow
from tests.monitor.moments_site import NEW_HEADLINE
from tests.monitor.web.conftest import Moments
from tests.monitor.web.server import fetch, newswatch_serve

CORRECTION = "更正：本文此前版本将会晤地点误写为洛杉矶，现已更正为旧金山。"
SOURCE = quote("测试新闻")


def parsed(base: str, path: str) -> feedparser.FeedParserDict:
    status, headers, body = fetch(base + path)
    assert status == 200 and headers["content-type"].startswith("application/atom+xml"), (status, body[:300])
    feed = feedparser.parse(io.BytesIO(body))
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


FEEDS = {
    "all-changes": ("/feeds/changes.atom", 3),
    "source-changes": (f"/feeds/sources/{SOURCE}/changes.atom", 3),
    "article-changes": ("/feeds/articles/{a}/changes.atom", 2),
    "new-articles": ("/feeds/new.atom", 6),
    "source-new": (f"/feeds/sources/{SOURCE}/new.atom", 6),
}


def test_feeds_parse_with_unique_ids_stable_across_restarts(moments: Moments) -> None:
    seen: list[dict[str, list[str]]] = []
    for _restart in range(2):
        with newswatch_serve(moments.config) as base:
            ids = {}
            for name, (path, count) in FEEDS.items():
                feed = parsed(base, path.format(a=moments.ids["a"]))
                ids[name] = [entry.id for entry in feed.entries]
                assert len(ids[name]) == count == len(set(ids[name])), f"{name}: one entry per item, unique ids"
            seen.append(ids)
    assert seen[0] == seen[1], "entry ids are the same after a restart"
    assert set(seen[0]["article-changes"]) < set(seen[0]["all-changes"])
    assert not set(seen[0]["all-changes"]) & set(seen[0]["new-articles"])


def test_change_entries_carry_the_diff_and_link_to_its_page(served: str, moments: Moments) -> None:
    base = served
    feed = parsed(base, "/feeds/changes.atom")
    by_title = {entry.title: entry for entry in feed.entries}
    added = next(e for t, e in by_title.items() if t.startswith("[addition]"))
    assert CORRECTION in added.content[0].value and "<ins>" in added.content[0].value
    assert added.link == f"{base}/articles/{moments.ids['a']}/changes/2"
    retitled = next(e for t, e in by_title.items() if t.startswith("[title]"))
    assert NEW_HEADLINE in retitled.title and NEW_HEADLINE in retitled.content[0].value
    classes = [e.title.split("]")[0] for e in feed.entries]
    # newest first: moment 3's deletion, then moment 2's two changes (found in the same run, in crawl order)
    assert classes[0] == "[deletion" and sorted(classes[1:]) == ["[addition", "[title"], "newest first"
    assert [e.updated for e in feed.entries] == sorted((e.updated for e in feed.entries), reverse=True)


@pytest.mark.parametrize("path", ["/feeds/sources/nobody/changes.atom", "/feeds/articles/999999/changes.atom",
                                  "/feeds/sources/nobody/new.atom"], ids=["source", "article", "source-new"])
def test_unknown_feeds_are_404(served: str, path: str) -> None:
    status, _headers, _body = fetch(served + path)
    assert status == 404


def test_entry_content_is_escaped_and_links_only_http() -> None:
    when = datetime(2025, 2, 11, 8, 30, tzinfo=UTC)
    hostile = '<script>alert("x")</script>'
    removal = RemovalRow(1, "https://x.cn/a?b=1&c=2", hostile, "redirected", 301, f"已删除{hostile}",
                         "javascript:alert(1)", 2, when, when, "r1")
    assert entry_html(removal) == (
        '<p>redirected: HTTP 301 “已删除&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;” to javascript:alert(1). '
        'Last text held: v2 of <a href="https://x.cn/a?b=1&amp;c=2">https://x.cn/a?b=1&amp;c=2</a>. '
        'Restored 2025-02-11T08:30:00+00:00.</p>')
    article = ArticleRow(2, "https://x.cn/<b>", None, None, "ok", None, when, None, 1, "n2")
    assert entry_html(article) == '<p>First seen at <a href="https://x.cn/&lt;b&gt;">https://x.cn/&lt;b&gt;</a></p>'
    change = ChangeRow(3, "ftp://x.cn/c", hostile, None, "title", ("title",), 1, 2, None, when, 0, 0, "e3")
    view = diff_view(change, ("旧\x01", "一。"), ("新&", "一。"))
    assert entry_html(view) == ("<p>title: v1 → v2, +0 −0 characters. Source: ftp://x.cn/c</p>"
                                "<p>title: <del>旧</del> → <ins>新&amp;</ins></p><p>(no difference in the text)</p>")
