"""Repository queries. Writes are idempotent under each table's unique key, and race-safe:
``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite, so two workers never duplicate a row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, insert, inspect, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from newswatch.storage.models import Article, Base, CorpusDocument, Source

M = TypeVar("M", bound=Base)


@dataclass(frozen=True)
class ImportedDocument:
    """What storage holds for one corpus file after an import."""

    file_name: str
    document_id: int
    article_id: int | None
    created: bool
    updated: bool


def insert_ignore(session: Session, model: type[M], values: Mapping[str, Any], keys: Sequence[str]) -> M:
    """Insert ``values`` unless a row with the same ``keys`` exists; return the stored row."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # imported on PostgreSQL only: ~40 ms of every start-up

        stmt: Any = postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    else:  # other backends: check first (not race-safe, documented)
        found = _find(session, model, values, keys)
        if found is not None:
            return found
        stmt = insert(model).values(**values)
    session.execute(stmt)
    found = _find(session, model, values, keys)
    if found is None:  # pragma: no cover - the insert or the conflict guarantees a row
        raise LookupError(f"{model.__name__} row vanished after insert")
    return found


def _find(session: Session, model: type[M], values: Mapping[str, Any], keys: Sequence[str]) -> M | None:
    columns = inspect(model).columns
    query = select(model).where(*(columns[k] == values[k] for k in keys))
    return session.execute(query).scalars().first()


def count_rows(session: Session, model: type[Base]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def highest_id(session: Session, model: type[Base]) -> int:
    """The highest ``id`` of a table with an integer key (0 when empty)."""
    column = inspect(model).columns["id"]
    return int(session.execute(select(func.max(column))).scalar() or 0)


def ensure_source(session: Session, name: str, kind: str, url: str | None, site: str | None) -> Source:
    """The source called ``name``; created if new, its missing URL/site filled in if now known."""
    source = insert_ignore(session, Source, {"name": name, "kind": kind, "url": url, "site": site}, ["name"])
    if source.url is None and url is not None:
        source.url = url
    if source.site is None and site is not None:
        source.site = site
    return source


def ensure_article(session: Session, canonical_url: str, **values: Any) -> Article:
    """The article at ``canonical_url``; ``values`` are used only when it is created."""
    return insert_ignore(session, Article, {"canonical_url": canonical_url, **values}, ["canonical_url"])


def import_document(session: Session, file_name: str, values: Mapping[str, Any]) -> ImportedDocument:
    """Record one corpus file; unchanged content (same ``content_hash``) changes nothing."""
    existing = session.execute(
        select(CorpusDocument).where(CorpusDocument.file_name == file_name)
    ).scalar_one_or_none()
    if existing is None:
        row = insert_ignore(session, CorpusDocument, {"file_name": file_name, **values}, ["file_name"])
        return ImportedDocument(file_name, row.id, row.article_id, True, False)
    if existing.content_hash == values["content_hash"]:
        return ImportedDocument(file_name, existing.id, existing.article_id, False, False)
    for key, value in values.items():
        setattr(existing, key, value)
    session.flush()
    return ImportedDocument(file_name, existing.id, existing.article_id, False, True)


def documents_by_file(session: Session) -> dict[str, CorpusDocument]:
    rows = session.execute(select(CorpusDocument)).scalars()
    return {row.file_name: row for row in rows}
