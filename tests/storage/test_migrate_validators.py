"""Migration 0005 (the validators of feeds and leaf sitemaps) goes up and down on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, inspect

from newswatch.storage.engine import session_factory, transaction
from newswatch.storage.migrate import downgrade, upgrade
from newswatch.storage.migrate_state import HEAD_REVISION, current_revision
from newswatch.storage.models import SourceValidator


def test_the_validators_table_comes_with_0005_and_goes_with_its_downgrade(engine: Engine) -> None:
    columns = {c["name"] for c in inspect(engine).get_columns("source_validators")}
    assert columns == {"url", "kind", "etag", "last_modified", "checked_at"}
    with transaction(session_factory(engine)) as session:
        session.add(SourceValidator(url="https://example.com/feed.xml", kind="feed", etag='"e1"',
                                    checked_at=datetime(2026, 12, 1, tzinfo=UTC)))
    downgrade(engine, "0004")
    assert current_revision(engine) == "0004"
    assert "source_validators" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with session_factory(engine)() as session:
        assert session.get(SourceValidator, "https://example.com/feed.xml") is None  # a fresh, empty table
