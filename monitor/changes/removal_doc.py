"""Removal documents in the corpus, as pure functions of stored rows (``newswatch export`` redoes them).

A removal of an article in the corpus is ``changes/NNN_<hex>.vNNN.removed.txt`` (the version is the last
one held; ``-2``, ``-3`` for a second, third removal of the same version) and, once it answers again,
``changes/NNN_<hex>.vNNN.restored.txt``: the article's keys at its last version plus ``changed_fields``
(``status``), ``change_class`` (``removed`` / ``restored``), ``removal_kind``, ``http_status``,
``notice``, ``location``, ``removed`` and ``restored``; the body says what happened and quotes the last
text held.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from newswatch.crawler.pipeline.store import article_document
from newswatch.storage.corpus.document import Document
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.models import Article, Removal, Version
from newswatch.storage.queries.removals import removal_ordinal, removal_rows
from newswatch.storage.queries.versions import version_by_id

CHANGES = "changes"
REMOVED, RESTORED = "removed", "restored"


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def removal_file_name(article_file: str, version: int, action: str, ordinal: int) -> str:
    suffix = "" if ordinal <= 1 else f"-{ordinal}"
    return f"{Path(article_file).stem}.v{version:03d}.{action}{suffix}.txt"


def how(removal: Removal) -> str:
    """``withdrawn (HTTP 200): 该内容已被发布者删除``: the kind and its evidence in one line."""
    text = removal.kind + (f" (HTTP {removal.http_status})" if removal.http_status else "")
    if removal.notice:
        text += f": {removal.notice}"
    if removal.location:
        text += f" -> {removal.location}"
    return text


def removal_body(removal: Removal, version: Version, action: str) -> str:
    """What happened, then the last text held, quoted."""
    if action == RESTORED and removal.restored_at is not None:
        head = (f"Restored {stamp(removal.restored_at)}: the article answers with its text again "
                f"(removed {stamp(removal.detected_at)}, {how(removal)}).")
    else:
        head = f"Removed {stamp(removal.detected_at)}: {how(removal)}."
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in version.body.splitlines())
    return f"{head}\n\nThe last text held (v{version.number}):\n\n{quoted}"


def removal_document(article: Article, version: Version, removal: Removal, action: str) -> Document:
    base = article_document(article, version)
    extra = [(k, v) for k, v in base.extra if k not in ("content_hash", "removed")]
    extra += [("changed_fields", ["status"]), ("change_class", action), ("removal_kind", removal.kind)]
    extra += [(key, value) for key, value in (("http_status", removal.http_status), ("notice", removal.notice),
                                              ("location", removal.location)) if value is not None]
    extra.append(("removed", stamp(removal.detected_at)))
    if action == RESTORED and removal.restored_at is not None:
        extra.append(("restored", stamp(removal.restored_at)))
    return dataclasses.replace(base, body=removal_body(removal, version, action), extra=tuple(extra))


def _ordinal(session: Session, removal: Removal) -> int:
    """1 for the first removal of this version of the article, 2 for the second..."""
    return removal_ordinal(session, removal)


def write_removal(session: Session, corpus: Corpus, article: Article, removal: Removal) -> int:
    """Write the documents of one removal of an article in the corpus (and of its restoration)."""
    version = version_by_id(session, removal.version_id) if removal.version_id is not None else None
    if article.corpus_file is None or version is None:
        return 0
    ordinal = _ordinal(session, removal)
    actions = (REMOVED, RESTORED) if removal.restored_at is not None else (REMOVED,)
    for action in actions:
        path = corpus.folder / CHANGES / removal_file_name(article.corpus_file, version.number, action, ordinal)
        corpus.write(path, removal_document(article, version, removal, action))
    return len(actions)


def removals_of(session: Session, article: Article) -> list[Removal]:
    return removal_rows(session, article.id)
