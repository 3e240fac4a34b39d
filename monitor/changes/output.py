"""Corpus output: article documents and change documents, as pure functions of stored rows.

An article in the corpus is ``<corpus>/NNN_<hex>.txt`` at its latest version; every change of it is
``<corpus>/changes/NNN_<hex>.vNNN.txt``: the article's keys plus ``version``, ``previous_fetch_date``,
``changed_fields`` and ``change_class``, with the readable diff as body. Rule: an article in the
corpus has a document for every one of its changes and removals (``monitor.changes.removal_doc``;
joining the corpus back-fills them), so
``newswatch export`` can rewrite the whole corpus from storage, identical to what the runs wrote.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from newswatch.crawler.pipeline.store import article_document, save_to_corpus
from newswatch.monitor.changes.removal_doc import removals_of, write_removal
from newswatch.storage.corpus.document import Document
from newswatch.storage.corpus.folder import Corpus, write_document
from newswatch.storage.models import Article, Change, Version
from newswatch.storage.queries import articles as article_queries
from newswatch.storage.queries import changes as change_queries
from newswatch.storage.queries import versions as version_queries

CHANGES = "changes"


def change_file_name(article_file: str, version: int) -> str:
    return f"{Path(article_file).stem}.v{version:03d}.txt"


def change_document(article: Article, change: Change, old: Version, new: Version) -> Document:
    """The change document (see the module doc): the article's keys at the new version, the diff as body."""
    base = article_document(article, new)
    extra = [(k, v) for k, v in base.extra if k != "content_hash"]
    extra += [
        ("previous_fetch_date", old.fetched_at.isoformat(timespec="seconds")),
        ("previous_version", old.number),
        ("changed_fields", list(change.changed_fields)),
        ("change_class", change.change_class),
    ]
    if change.reverted_to is not None:
        extra.append(("reverted_to", change.reverted_to))
    body = change.diff.strip() or "(no readable difference)"
    return dataclasses.replace(base, body=body, extra=tuple(extra))


@dataclass(frozen=True)
class Written:
    articles: int
    changes: int


def write_change(session: Session, corpus: Corpus, article: Article, change: Change) -> Path | None:
    """Write one change document of an article that is in the corpus."""
    if article.corpus_file is None:
        return None
    old = version_queries.version_by_id(session, change.from_version_id)
    new = version_queries.version_by_id(session, change.to_version_id)
    if old is None or new is None:
        return None
    path = corpus.folder / CHANGES / change_file_name(article.corpus_file, new.number)
    corpus.write(path, change_document(article, change, old, new))
    return path


def changes_of(session: Session, article: Article) -> list[Change]:
    return change_queries.changes_of(session, article.id)


def join_corpus(session: Session, corpus: Corpus, article: Article, latest: Version | None = None,
                first: bool = False) -> int:
    """Put an article into the corpus: its document (at ``latest`` when the caller holds it), and a
    document for each of its changes (``first``: its first version, so it has none)."""
    if save_to_corpus(session, corpus, article, latest) is None:
        return 0
    if first:
        return 1
    written = sum(1 for change in changes_of(session, article) if write_change(session, corpus, article, change))
    return 1 + written + sum(write_removal(session, corpus, article, r) for r in removals_of(session, article))


def export(session: Session, folder: Path) -> Written:
    """Rewrite every corpus document from storage into ``folder`` (same names as the runs used)."""
    corpus = Corpus(folder)
    articles = changes = 0
    for article in article_queries.corpus_articles(session):
        version = version_queries.latest_version(session, article.id)
        if version is None or article.corpus_file is None:
            continue
        write_document(folder / article.corpus_file, article_document(article, version))
        articles += 1
        changes += sum(1 for change in changes_of(session, article) if write_change(session, corpus, article, change))
        changes += sum(write_removal(session, corpus, article, r) for r in removals_of(session, article))
    return Written(articles, changes)
