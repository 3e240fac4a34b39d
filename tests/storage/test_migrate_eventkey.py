"""Migration 0008 (``articles.event_key``) goes up and down on both backends. Existing articles keep their URL
as key (no event id changes), except an article created at a URL whose previous holder moved away (its first
version's meta says ``displaced``): it gets the key its ``article.new`` id was already derived from."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, select, text

from newswatch.monitor.changes.events import event_id
from newswatch.storage.engine import session_factory
from newswatch.storage.migrate import downgrade, upgrade
from newswatch.storage.migrate_state import HEAD_REVISION, current_revision
from newswatch.storage.models import Article, displaced_key, event_key

AT = datetime(2026, 12, 1, 8, tzinfo=UTC)
REAL, CLAIMANT, OTHER = "https://a.example/real", "https://b.example/claimant", "https://a.example/other"
ARTICLES = (  # URL, the first version's meta (None: no version), the event key expected after the migration
    (REAL, {"displaced": CLAIMANT, "author": "记者"}, displaced_key(REAL, CLAIMANT)),
    (CLAIMANT, {"landed": CLAIMANT}, CLAIMANT),
    (OTHER, {"author": "displaced"}, OTHER),  # the word as a value, not the key
    ("https://a.example/none", None, "https://a.example/none"),
)


def _insert(engine: Engine) -> None:
    with engine.begin() as connection:
        for n, (url, meta, _key) in enumerate(ARTICLES, start=1):
            connection.execute(text("INSERT INTO articles (id, canonical_url, status, first_seen_at) "
                                    "VALUES (:id, :url, 'active', :at)"), {"id": n, "url": url, "at": AT})
            if meta is not None:
                connection.execute(text(
                    "INSERT INTO versions (article_id, number, body, meta, content_hash, extractor, "
                    "extractor_version, fetched_at) VALUES (:id, 1, '正文', :meta, 'h', 'x', '1', :at)"),
                    {"id": n, "meta": json.dumps(meta, ensure_ascii=False), "at": AT})


def test_event_keys_come_with_0008_and_a_displaced_article_gets_its_own(engine: Engine) -> None:
    downgrade(engine, "0007")
    assert "event_key" not in {c["name"] for c in inspect(engine).get_columns("articles")}
    _insert(engine)
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with session_factory(engine)() as session:
        articles = {a.canonical_url: a for a in session.execute(select(Article)).scalars()}
        keys = {url: (article.event_key, event_key(article)) for url, article in articles.items()}
    assert keys == {url: (None if key == url else key, key) for url, _meta, key in ARTICLES}
    new_id = event_id("article.new", event_key(articles[REAL]))
    assert new_id == event_id("article.new", REAL, CLAIMANT), "its article.new id stays what it was"
    downgrade(engine, "0007")
    assert "event_key" not in {c["name"] for c in inspect(engine).get_columns("articles")}
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION


@pytest.mark.parametrize(("url", "moved"), [(REAL, CLAIMANT), ("https://例子.cn/新闻/1", "https://例子.cn/2")],
                         ids=["ascii", "unicode"])
def test_a_displaced_key_is_the_two_urls_as_two_parts_of_an_id(url: str, moved: str) -> None:
    assert event_id("article.changed", displaced_key(url, moved), 2) == event_id("article.changed", url, moved, 2)
    assert event_id("article.changed", displaced_key(url, moved), 2) != event_id("article.changed", url, 2)
