"""Recording removals (删稿): an article taken down is a change of the article, confirmed before it is
announced, and its restoration another (``crawler.extract.removal`` reads the evidence from one answer).

- a 404 is remembered (``articles.missing_since``) and the article flagged due again; the next check
  confirms it (a second 404) or forgets it (any answer); a 410, a notice, a redirect away are final;
- a removal: a ``removals`` row (kind, status, notice, redirect target, the last version held), the
  article ``removed`` (left out of the age ladder: the slower removed ladder re-checks it,
  ``monitor.runs.plan``), the event ``article.removed``, and in the corpus the removal document and the
  article's document with ``removed:`` (its last text kept);
- a restoration (the article answers with its text again): the removal's ``restored_at``, the event
  ``article.restored``, the restored document, the article's document without ``removed:``; a text that
  differs is then recorded as a change as well, by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from newswatch.crawler.extract.removal import WITHDRAWN, Evidence
from newswatch.crawler.items import Missing
from newswatch.crawler.pipeline.store import Recorded, corpus_source, latest_version, save_to_corpus
from newswatch.monitor.changes.events import ArticleInfo, Event, RemovalInfo, event_id
from newswatch.monitor.changes.removal_doc import how, stamp, write_removal
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.models import Article, Removal, Version, event_key
from newswatch.storage.queries.removals import count_removals, latest_removal

REMOVED_STATUS = "removed"


@dataclass(frozen=True)
class Removals:
    """What recording a removal needs from the recorder: its corpus, how it announces an event, and how
    it describes an article at a version."""

    corpus: Corpus
    announce: Callable[[Session, Event], None]
    describe: Callable[[Article, Version], ArticleInfo]

    def missing(self, session: Session, article: Article, item: Missing, now: datetime) -> Recorded:
        """A 404/410 or a redirect away for a stored article: remembered, confirmed, or recorded."""
        article.last_checked_at = now
        if article.removed_at is not None:
            return Recorded("still_removed", article.id, None, article.relevant)
        if not item.final and article.missing_since is None:
            article.missing_since = now  # confirmed, or not, by the next check
            article.next_check_at = now
            return Recorded("missing", article.id, None, article.relevant)
        evidence = Evidence(item.kind, item.http_status, notice=item.notice, location=item.location)
        return self.remove(session, article, evidence, now)

    def withdrawn(self, session: Session, article: Article, notice: str, status: int, now: datetime) -> Recorded:
        """A removal notice served in place of the article."""
        article.last_checked_at = now
        if article.removed_at is not None:
            return Recorded("still_removed", article.id, None, article.relevant)
        return self.remove(session, article, Evidence(WITHDRAWN, status, notice=notice), now)

    def remove(self, session: Session, article: Article, evidence: Evidence, now: datetime) -> Recorded:
        latest = latest_version(session, article.id)
        if latest is None:
            return Recorded("rejected", article.id)
        removal = Removal(article_id=article.id, version_id=latest.id, kind=evidence.kind,
                          http_status=evidence.http_status, notice=evidence.notice, location=evidence.location,
                          detected_at=now)
        session.add(removal)
        session.flush()
        article.status, article.removed_at, article.missing_since = REMOVED_STATUS, now, None
        article.next_check_at = None
        ordinal = _count(session, article)
        if article.relevant or article.corpus_file is not None:
            self.announce(session, Event(
                event_id("article.removed", event_key(article), latest.number, ordinal), "article.removed", now,
                corpus_source(latest.meta or {}, article.canonical_url), self.describe(article, latest),
                detail=f"removed: {how(removal)}", removal=info(removal)))
        written = self._corpus(session, article, latest, removal)
        return Recorded("removed", article.id, latest.number, article.relevant, written)

    def restore(self, session: Session, article: Article, now: datetime) -> int:
        """The removed article answers with its text again: restored (corpus files written)."""
        removal = latest_removal(session, article.id)
        article.status, article.removed_at, article.missing_since = "active", None, None
        latest = latest_version(session, article.id)
        if removal is None or latest is None:
            return 0
        removal.restored_at = now
        if article.relevant or article.corpus_file is not None:
            self.announce(session, Event(
                event_id("article.restored", event_key(article), _count(session, article)), "article.restored",
                now, corpus_source(latest.meta or {}, article.canonical_url), self.describe(article, latest),
                detail=f"restored after removal: {how(removal)}", removal=info(removal)))
        return self._corpus(session, article, latest, removal)

    def _corpus(self, session: Session, article: Article, latest: Version, removal: Removal) -> int:
        if article.corpus_file is None:
            return 0
        written = write_removal(session, self.corpus, article, removal)
        return written + int(save_to_corpus(session, self.corpus, article, latest) is not None)


def info(removal: Removal) -> RemovalInfo:
    return RemovalInfo(removal.kind, removal.http_status, removal.notice, removal.location,
                       stamp(removal.detected_at), stamp(removal.restored_at) if removal.restored_at else None)


def _count(session: Session, article: Article) -> int:
    return count_removals(session, article.id)
