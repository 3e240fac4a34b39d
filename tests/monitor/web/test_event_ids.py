"""Event ids of articles that moved, on both backends: a claimant stored under news.cn's URL changes there, then
news.cn's real page arrives at that URL (the claimant moves to its own URL, the real page is new), and each
changes again and is removed. Every event gets an id of its own -- the real page's change numbered 2 is not
dropped as the claimant's -- and the web view (changes, articles, removals) shows the ids the events table holds."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.items import Missing
from newswatch.crawler.pipeline.identity import claimed_identity
from newswatch.monitor.web import queries, removals
from newswatch.storage.engine import transaction
from newswatch.storage.models import AlertEvent, Article
from newswatch.storage.queries.changes import ChangeFilter
from tests.crawler.fixture_site import fixture_bytes
from tests.monitor.changes.test_record import T0, URL, fetched, recorder

HOME = "https://www.news.cn/a/202311/17/WS65571297a310d5acd876f404.html"  # where the claimant landed
NOTE = "记者补充：此段为更新。"
CLAIMANT_ANCHOR, REAL_ANCHOR = "这是两国面临的抉择。", "国家药监局持续采集短缺药品生产供应及停产报告信息。"


def _page(name: str, anchor: str, edits: int) -> bytes:
    html = fixture_bytes(name).decode()
    assert html.count(anchor) == 1
    return html.replace(anchor, anchor + NOTE * edits).encode()


def _history(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    rec = recorder(tmp_path / "corpus")
    steps = [("claimant", 0, "new"), ("claimant", 1, "changed"), ("real", 0, "new"), ("real", 1, "changed"),
             ("claimant", 2, "changed")]
    for hour, (page, edits, outcome) in enumerate(steps):
        with transaction(sessions) as session:
            if page == "claimant":  # landed at HOME, claims URL
                item = dataclasses.replace(fetched(_page("n4k-chinese_article_001", CLAIMANT_ANCHOR, edits), HOME),
                                           url=URL)
            else:
                item = fetched(_page("n4k-chinese_article_002", REAL_ANCHOR, edits))
            recorded = rec.fetched(session, claimed_identity(session, item), T0 + timedelta(hours=hour))
            assert recorded.outcome == outcome, (hour, page)
    for hour, url in enumerate((URL, HOME), start=len(steps)):
        with transaction(sessions) as session:
            rec.missing(session, Missing(url, "gone", 410), T0 + timedelta(hours=hour))


def test_moved_and_displaced_articles_raise_ids_of_their_own_and_the_web_view_shows_them(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    _history(sessions, tmp_path)
    with sessions() as session:
        stored = sorted((e.payload["article"]["url"], e.event_kind, e.payload["article"]["version"], e.event_id)
                        for e in session.execute(select(AlertEvent)).scalars())
        articles = {a.canonical_url: a.id for a in session.execute(select(Article)).scalars()}
        changes = queries.recent_changes(session, ChangeFilter(), queries.Paging()).items
        shown = [(c.url, "article.changed", c.to_version, c.event_id) for c in changes]
        for url, article_id in articles.items():
            row = queries.article(session, article_id)
            assert row is not None
            shown.append((url, "article.new", 1, row.event_id))
        gone = removals.recent_removals(session, queries.Paging()).items
        shown += [(r.url, "article.removed", r.version, r.event_id) for r in gone]
    assert [(url, kind, version) for url, kind, version, _id in stored] == [
        (HOME, "article.changed", 2), (HOME, "article.changed", 3), (HOME, "article.new", 1),
        (HOME, "article.removed", 3), (URL, "article.changed", 2), (URL, "article.new", 1),
        (URL, "article.removed", 2)], "every event stored: none dropped as another's"
    assert len({event for *_rest, event in stored}) == len(stored)
    assert sorted(shown) == stored, "the web view shows the ids the events table holds"
