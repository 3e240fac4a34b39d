"""Storage on SQLite and PostgreSQL: migrations, unique keys, idempotent writes, UTC times."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from newswatch.storage.engine import make_engine, transaction
from newswatch.storage.errors import StorageError
from newswatch.storage.migrate import current_revision, downgrade, head_revision, require_current, upgrade
from newswatch.storage.models import AlertOutbox, Article, Base, Change, CrawlRun, Source, Version
from newswatch.storage.repository import count_rows, ensure_article, ensure_source, insert_ignore

TABLES = {"sources", "articles", "versions", "changes", "alert_outbox", "crawl_runs", "documents", "anomalies"}


def test_migrations_create_every_table_and_repeat_safely(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) == head_revision()
    upgrade(engine)  # a second upgrade is a no-op
    require_current(engine)


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_downgrade_then_upgrade(engine: Engine) -> None:
    downgrade(engine, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    with pytest.raises(StorageError, match="newswatch db upgrade"):
        require_current(engine)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES


def _article_with_versions(session: Session) -> Article:
    source = ensure_source(session, "例子新闻", "site", "https://example.com/", "example.com")
    article = ensure_article(session, "https://example.com/a", title="标题", source_id=source.id)
    for number in (1, 2):
        session.add(Version(
            article_id=article.id, number=number, title="标题", body=f"正文{number}。",
            content_hash=f"h{number}",
            raw_html=zlib.compress("<p>正文</p>".encode()), etag='"abc"', last_modified="Sun, 01 Jan 2025",
            extractor="trafilatura", extractor_version="2.3.1", meta={"lang": "zh"},
        ))
    session.flush()
    return article


def test_full_record_chain(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        article = _article_with_versions(session)
        v1, v2 = article.versions
        session.add(Change(article_id=article.id, from_version_id=v1.id, to_version_id=v2.id,
                           changed_fields=["body"], change_class="minor", diff="-正文1\n+正文2"))
        session.add(AlertOutbox(event_id="e1", channel="email", event_kind="changed", payload={"a": 1}))
        session.add(CrawlRun(kind="run", stats={"fetched": 2}, outcome="ok"))
    with sessions() as session:
        stored = session.execute(select(Article)).scalar_one()
        assert [v.number for v in stored.versions] == [1, 2]
        assert zlib.decompress(stored.versions[0].raw_html or b"").decode() == "<p>正文</p>"
        assert session.execute(select(Change)).scalar_one().changed_fields == ["body"]
        assert session.execute(select(AlertOutbox)).scalar_one().state == "pending"


@pytest.mark.parametrize(
    "duplicate",
    ["article-url", "version-number", "outbox-event-channel"],
    ids=str,
)
def test_unique_keys_refuse_duplicates(sessions: sessionmaker[Session], duplicate: str) -> None:
    with transaction(sessions) as session:
        article = _article_with_versions(session)
        session.add(AlertOutbox(event_id="e1", channel="email", event_kind="new", payload={}))
    rows = {
        "article-url": Article(canonical_url="https://example.com/a"),
        "version-number": Version(article_id=article.id, number=2, body="x", content_hash="x",
                                  extractor="t", extractor_version="1"),
        "outbox-event-channel": AlertOutbox(event_id="e1", channel="email", event_kind="new", payload={}),
    }
    with pytest.raises(StorageError, match="IntegrityError"), transaction(sessions) as session:
        session.add(rows[duplicate])
    with sessions() as session:
        assert count_rows(session, Article) == 1
        assert count_rows(session, Version) == 2
        assert count_rows(session, AlertOutbox) == 1


def test_insert_ignore_is_idempotent(sessions: sessionmaker[Session]) -> None:
    for _ in range(3):
        with transaction(sessions) as session:
            insert_ignore(session, AlertOutbox, {"event_id": "e9", "channel": "webhook:ops",
                                                 "event_kind": "new", "payload": {"n": 1}},
                          ["event_id", "channel"])
            ensure_source(session, "网易新闻", "publication", None, None)
    with transaction(sessions) as session:
        source = ensure_source(session, "网易新闻", "publication", "https://www.163.com/", "163.com")
        assert source.url == "https://www.163.com/"
    with sessions() as session:
        assert count_rows(session, AlertOutbox) == 1
        assert count_rows(session, Source) == 1


def test_times_are_utc_aware(sessions: sessionmaker[Session]) -> None:
    beijing = timezone(timedelta(hours=8))
    when = datetime(2025, 2, 9, 8, 0, tzinfo=beijing)
    with transaction(sessions) as session:
        session.add(CrawlRun(started_at=when, stats={}))
    with sessions() as session:
        run = session.execute(select(CrawlRun)).scalar_one()
        assert run.started_at == when
        assert run.started_at.tzinfo is not None and run.started_at.utcoffset() == timedelta(0)
        assert run.started_at.hour == 0
    with pytest.raises(StorageError), transaction(sessions) as session:
        session.add(CrawlRun(started_at=datetime(2025, 1, 1), stats={}))  # naive: refused


def test_deleting_an_article_removes_its_versions(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        article_id = _article_with_versions(session).id
    with transaction(sessions) as session:
        session.execute(text("DELETE FROM articles WHERE id = :id"), {"id": article_id})
    with sessions() as session:
        assert count_rows(session, Version) == 0


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/sub/dir/n.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_bad_database_url_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="not a database URL"):
        make_engine("not a url at all")
