"""What a run added to a workspace: storage rows and corpus files past the marks taken before it.

:func:`take_marks` notes, before a run, the highest row id of each table a run appends to and a hash of
every corpus file; :func:`read_results` reads back, after it, the rows above those ids and the files
created or rewritten, as frozen records. Runs in one workspace are sequential (the replay drives them),
so what lies past the marks is exactly what that run wrote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from newswatch.monitor.changes.detect import SEED_EXTRACTOR
from newswatch.monitor.changes.events import Event
from newswatch.monitor.testing.records import (
    AnomalyRecord,
    ArticleRecord,
    ChangeRecord,
    CorpusFile,
    OutboxEntry,
    RemovalRecord,
)
from newswatch.storage.corpus.folder import read_document
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.errors import ReplayError
from newswatch.storage.models import AlertOutbox, Anomaly, Article, Change, Removal, Version
from newswatch.storage.queries import changes as change_queries
from newswatch.storage.queries import outbox as outbox_queries
from newswatch.storage.queries import removals as removal_queries
from newswatch.storage.queries import versions as version_queries
from newswatch.storage.repository import highest_id


@dataclass(frozen=True)
class Marks:
    """Where a workspace stood before a run."""

    versions: int
    changes: int
    anomalies: int
    outbox: int
    corpus: Mapping[str, str]  # file name (relative to the corpus folder) -> SHA-256 of its bytes
    removals: int = 0


@dataclass(frozen=True)
class Found:
    new_articles: tuple[ArticleRecord, ...]
    baselines: tuple[ArticleRecord, ...]
    changed_articles: tuple[ChangeRecord, ...]
    anomalies: tuple[AnomalyRecord, ...]
    events: tuple[OutboxEntry, ...]
    documents: tuple[CorpusFile, ...]
    removed_articles: tuple[RemovalRecord, ...] = ()


def corpus_hashes(folder: Path) -> Mapping[str, str]:
    """Every corpus document under ``folder`` (``*.txt`` and ``changes/*.txt``) with the hash of its bytes."""
    found = {}
    for path in sorted([*folder.glob("*.txt"), *folder.glob("changes/*.txt")]):
        found[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return MappingProxyType(found)


def take_marks(database_url: str, corpus_dir: Path) -> Marks:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            tops = [highest_id(session, table) for table in (Version, Change, Anomaly, AlertOutbox, Removal)]
    except SQLAlchemyError as exc:
        raise ReplayError(f"cannot read the workspace database {database_url}: {exc}") from exc
    finally:
        engine.dispose()
    versions, changes, anomalies, outbox, removals = tops
    return Marks(versions, changes, anomalies, outbox, corpus_hashes(corpus_dir), removals)


def read_results(database_url: str, corpus_dir: Path, marks: Marks) -> Found:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            new, baselines = _versions(session, marks.versions)
            return Found(new, baselines, _changes(session, marks.changes), _anomalies(session, marks.anomalies),
                         _outbox(session, marks.outbox), _documents(corpus_dir, marks.corpus),
                         _removals(session, marks.removals))
    except SQLAlchemyError as exc:
        raise ReplayError(f"cannot read the workspace database {database_url}: {exc}") from exc
    finally:
        engine.dispose()


def _article_record(article: Article, version: Version) -> ArticleRecord:
    meta = version.meta or {}
    return ArticleRecord(
        url=article.canonical_url, title=version.title, version=version.number, source=meta.get("site_name"),
        author=meta.get("author"), published=meta.get("date"), language=meta.get("language"),
        relevant=article.relevant, corpus_file=article.corpus_file, body=version.body,
    )


def _versions(session: Session, mark: int) -> tuple[tuple[ArticleRecord, ...], tuple[ArticleRecord, ...]]:
    """Versions past the mark that are an article's first fetch: new (nothing before) or a baseline (a seed)."""
    new, baselines = [], []
    for version, article in version_queries.versions_after(session, mark, SEED_EXTRACTOR):
        earlier = version_queries.earlier_extractors(session, article.id, version.number)
        if not earlier:
            new.append(_article_record(article, version))
        elif all(extractor == SEED_EXTRACTOR for extractor in earlier):
            baselines.append(_article_record(article, version))
    return tuple(new), tuple(baselines)


def _changes(session: Session, mark: int) -> tuple[ChangeRecord, ...]:
    found = []
    for change, article in change_queries.changes_after(session, mark):
        old = version_queries.version_by_id(session, change.from_version_id)
        new = version_queries.version_by_id(session, change.to_version_id)
        if old is None or new is None:
            continue
        found.append(ChangeRecord(
            url=article.canonical_url, title=new.title, change_class=change.change_class,
            changed_fields=tuple(change.changed_fields or ()), from_version=old.number, to_version=new.number,
            reverted_to=change.reverted_to, diff_text=change.diff,
        ))
    return tuple(found)


def _anomalies(session: Session, mark: int) -> tuple[AnomalyRecord, ...]:
    return tuple(AnomalyRecord(article.canonical_url, anomaly.reason, anomaly.detail, anomaly.http_status)
                 for anomaly, article in version_queries.anomalies_after(session, mark))


def _removals(session: Session, mark: int) -> tuple[RemovalRecord, ...]:
    return tuple(RemovalRecord(article.canonical_url, version.title if version else None, removal.kind,
                               removal.http_status, removal.notice, removal.location,
                               version.number if version else None)
                 for removal, article, version in removal_queries.removals_after(session, mark))


def _outbox(session: Session, mark: int) -> tuple[OutboxEntry, ...]:
    rows = outbox_queries.rows_after(session, mark)
    return tuple(OutboxEntry(row.channel, row.state, row.attempts, row.last_error, Event.from_payload(row.payload))
                 for row in rows)


def _documents(folder: Path, before: Mapping[str, str]) -> tuple[CorpusFile, ...]:
    after = corpus_hashes(folder)
    written = [name for name, digest in after.items() if before.get(name) != digest]
    return tuple(CorpusFile(name, folder / name, read_document(folder / name)) for name in written)
