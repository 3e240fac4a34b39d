"""The item pipeline: hands each spider record to storage (one transaction per item) and counts it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from sqlalchemy.orm import Session, sessionmaker

from crawler.items import FetchedArticle, NotModified
from crawler.store import record_fetch, record_not_modified, write_to_corpus
from crawler.topic import Topic
from storage.corpus import Corpus
from storage.engine import make_engine, session_factory, transaction


class StoragePipeline:
    """Stores fetched articles as versions; writes new relevant ones to the corpus folder."""

    def __init__(self, stats: StatsCollector, database_url: str, corpus_dir: str, topic: Topic) -> None:
        self.stats = stats
        self.engine = make_engine(database_url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.corpus = Corpus(Path(corpus_dir))
        self.topic = topic

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        settings = crawler.settings
        url = settings.get("NEWSWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("NEWSWATCH_DATABASE_URL is not set")
        assert crawler.stats is not None
        topic = Topic(tuple(settings.getlist("NEWSWATCH_KEYWORDS")))
        return cls(crawler.stats, url, settings.get("NEWSWATCH_CORPUS_DIR", "corpus"), topic)

    def close_spider(self) -> None:
        self.engine.dispose()

    def process_item(self, item: Any) -> Any:
        now = datetime.now(UTC)
        if isinstance(item, FetchedArticle):
            with transaction(self.sessions) as session:
                recorded = record_fetch(session, item, self.topic, now)
                corpus_file = write_to_corpus(session, self.corpus, recorded)
            self.stats.inc_value(f"newswatch/articles/{recorded.outcome}")
            self.stats.inc_value(f"newswatch/articles/{'relevant' if recorded.relevant else 'off_topic'}")
            if corpus_file:
                self.stats.inc_value("newswatch/corpus/written")
        elif isinstance(item, NotModified):
            with transaction(self.sessions) as session:
                recorded = record_not_modified(session, item.url, now)
            self.stats.inc_value(f"newswatch/articles/{recorded.outcome}")
        return item
