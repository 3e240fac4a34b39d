"""The change recorder of the workers: the monitor's own, with each article's row locked first.

Two workers may hold the same URL at once (a job re-run after its lease while the first worker is
still alive, or two sites' jobs reaching one article through a redirect). On PostgreSQL the article's
row is taken ``FOR UPDATE`` at the start of the pipeline's transaction, so the second writer waits for
the first to commit and then compares with what the first stored: the same content is ``unchanged``,
never a second version, a second change or a second event (and ``versions (article_id, number)``,
``changes (to_version_id)`` and ``alert_events (event_id)`` are unique besides). A new article
is serialized by the unique ``articles.canonical_url``: the second insert waits and then finds the row.
SQLite writers are serialized by the database itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from newswatch.crawler.items import FetchedArticle, RejectedPage
from newswatch.crawler.pipeline.store import Recorded
from newswatch.monitor.changes.record import ChangeRecorder
from newswatch.storage.queries.articles import lock_article


class LockingRecorder(ChangeRecorder):
    def fetched(self, session: Session, item: FetchedArticle, now: datetime) -> Recorded:
        lock_article(session, item.url)
        return super().fetched(session, item, now)

    def not_modified(self, session: Session, url: str, now: datetime) -> Recorded:
        lock_article(session, url)
        return super().not_modified(session, url, now)

    def rejected(self, session: Session, page: RejectedPage, now: datetime) -> Recorded:
        lock_article(session, page.url)
        return super().rejected(session, page, now)
