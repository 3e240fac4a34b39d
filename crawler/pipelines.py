"""The item pipeline: hands each spider record to a recorder, one transaction per item, and counts it.

The recorder decides what a fetch means for storage. ``NEWSWATCH_RECORDER`` names its class (loaded by
path, as Scrapy loads components, so the crawler never imports the monitor); the default,
``crawler.store.Recorder``, keeps versions by content hash. The monitor plugs in its change detector.
A recorder has ``from_settings(settings)`` and ``fetched``/``not_modified``/``rejected`` methods that
take a session, the record and the time, and return a ``crawler.store.Recorded``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object
from sqlalchemy.orm import Session, sessionmaker

from crawler.items import FetchedArticle, FetchError, NotModified, RejectedPage
from crawler.store import Recorded
from storage.engine import make_engine, session_factory, transaction
from storage.errors import CorpusError, StorageError

DEFAULT_RECORDER = "crawler.store.Recorder"


class StoragePipeline:
    """Stores what the spider yields through the configured recorder."""

    def __init__(self, stats: StatsCollector, database_url: str, recorder: Any,
                 crawler: Crawler | None = None) -> None:
        self.stats = stats
        self.crawler = crawler
        self.engine = make_engine(database_url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.recorder = recorder

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        settings = crawler.settings
        url = settings.get("NEWSWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("NEWSWATCH_DATABASE_URL is not set")
        assert crawler.stats is not None
        recorder = load_object(settings.get("NEWSWATCH_RECORDER") or DEFAULT_RECORDER).from_settings(settings)
        return cls(crawler.stats, url, recorder, crawler)

    def close_spider(self) -> None:
        self.engine.dispose()

    def process_item(self, item: Any) -> Any:
        try:
            recorded = self._record(item, datetime.now(UTC))
        except (StorageError, CorpusError) as exc:
            # the transaction was rolled back: nothing is claimed that was not written; the next run retries
            kind = "corpus_write_failed" if isinstance(exc, CorpusError) else "storage_failed"
            self.stats.inc_value(f"newswatch/errors/{kind}")
            errors = getattr(self.crawler.spider if self.crawler is not None else None, "errors", None)
            if isinstance(errors, list):  # the run's report (NewsSpider.errors)
                errors.append(FetchError(getattr(item, "url", "?"), kind, str(exc)[:500]))
            raise DropItem(f"{kind}: {exc}") from exc
        if recorded is not None:
            self._count(recorded)
        return item

    def _record(self, item: Any, now: datetime) -> Recorded | None:
        with transaction(self.sessions) as session:
            if isinstance(item, FetchedArticle):
                return self.recorder.fetched(session, item, now)  # type: ignore[no-any-return]
            if isinstance(item, NotModified):
                return self.recorder.not_modified(session, item.url, now)  # type: ignore[no-any-return]
            if isinstance(item, RejectedPage):
                return self.recorder.rejected(session, item, now)  # type: ignore[no-any-return]
        return None

    def _count(self, recorded: Recorded) -> None:
        self.stats.inc_value(f"newswatch/articles/{recorded.outcome}")
        if recorded.relevant is not None:
            self.stats.inc_value(f"newswatch/articles/{'relevant' if recorded.relevant else 'off_topic'}")
        if recorded.corpus_files:
            self.stats.inc_value("newswatch/corpus/written", recorded.corpus_files)
