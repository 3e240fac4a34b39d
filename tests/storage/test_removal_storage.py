"""Removed articles in storage, on SQLite and PostgreSQL: migration 0006 goes up and down, and retention
never prunes a removed article's stored pages (every version's raw HTML and text stay)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.storage.engine import session_factory, transaction
from newswatch.storage.migrate import downgrade, upgrade
from newswatch.storage.migrate_state import HEAD_REVISION, current_revision
from newswatch.storage.models import Article, Removal, Version
from newswatch.storage.repository import ensure_article
from newswatch.storage.retention import RetentionPolicy, prune
from tests.storage.test_retention import NOW, _version


def test_removal_columns_and_table_come_with_0006_and_go_with_its_downgrade(engine: Engine) -> None:
    assert {"removed_at", "missing_since"} <= {c["name"] for c in inspect(engine).get_columns("articles")}
    columns = {c["name"] for c in inspect(engine).get_columns("removals")}
    assert columns == {"id", "article_id", "version_id", "kind", "http_status", "notice", "location",
                       "detected_at", "restored_at"}
    downgrade(engine, "0005")
    assert "removals" not in inspect(engine).get_table_names()
    assert "removed_at" not in {c["name"] for c in inspect(engine).get_columns("articles")}
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with transaction(session_factory(engine)) as session:
        article = ensure_article(session, "https://example.com/a", title="甲")
        session.add(Removal(article_id=article.id, kind="gone", http_status=410, detected_at=NOW))


def _raw_kept(session: Session) -> dict[tuple[str, int], bool]:
    rows = session.execute(select(Article.canonical_url, Version.number, Version.raw_html)
                           .join(Version, Version.article_id == Article.id))
    return {(url[-1], number): raw is not None for url, number, raw in rows}


def test_retention_never_prunes_a_removed_article(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for name, removed in (("a", None), ("b", NOW - timedelta(days=1))):
            article = ensure_article(session, f"https://example.com/{name}", title=name, removed_at=removed)
            session.add_all([_version(article, n, 50 - 10 * n) for n in (1, 2, 3)])
    with transaction(sessions) as session:
        report = prune(session, RetentionPolicy(raw_pages=1), datetime(2025, 6, 1, 12, tzinfo=UTC))
    assert report.version_pages == 2  # a's v1 and v2; none of b's
    with sessions() as session:
        assert _raw_kept(session) == {("a", 1): False, ("a", 2): False, ("a", 3): True,
                                      ("b", 1): True, ("b", 2): True, ("b", 3): True}
