"""The crawl is handed its recorder as an object (the spider's ``recorder`` argument): the storage pipeline
records with it, or with the crawler's own when it was handed none; no setting names one."""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import CrawlPlan
from newswatch.crawler.options import CrawlOptions
from newswatch.crawler.pipeline.recorder import Recorder, handed_recorder
from newswatch.crawler.pipeline.recording import StoragePipeline
from newswatch.crawler.pipeline.store import Recorder as ContentRecorder
from newswatch.crawler.settings import crawl_settings
from newswatch.crawler.spiders.news import NewsSpider
from newswatch.monitor.changes.detect import DetectOptions
from newswatch.monitor.changes.record import ChangeRecorder
from newswatch.monitor.queue.recorder import LockingRecorder
from newswatch.storage.corpus.folder import Corpus


def _crawler(folder: Path, recorder: object) -> Crawler:
    options = CrawlOptions(database_url=f"sqlite:///{folder / 'newswatch.db'}", corpus_dir=str(folder / "corpus"))
    settings = Settings(crawl_settings(options))
    crawler = Crawler(NewsSpider, settings)
    crawler.spider = NewsSpider(CrawlPlan(), recorder=recorder)  # type: ignore[arg-type]
    crawler.stats = MemoryStatsCollector(crawler)
    return crawler


def test_every_recorder_is_a_recorder(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path)
    for recorder in (ContentRecorder(Topic(()), corpus), ChangeRecorder(Topic(()), corpus, DetectOptions()),
                     LockingRecorder(Topic(()), corpus, DetectOptions())):
        assert isinstance(recorder, Recorder)
    assert not isinstance(object(), Recorder)


def test_the_pipeline_records_with_the_recorder_it_is_handed(tmp_path: Path) -> None:
    handed = ChangeRecorder(Topic(()), Corpus(tmp_path / "corpus"), DetectOptions())
    crawler = _crawler(tmp_path, handed)
    assert handed_recorder(crawler) is handed
    pipeline = StoragePipeline.from_crawler(crawler)
    try:
        assert pipeline.recorder is handed
    finally:
        pipeline.engine.dispose()


def test_a_crawl_handed_no_recorder_records_with_the_crawlers_own(tmp_path: Path) -> None:
    for handed in (None, "newswatch.monitor.changes.record.ChangeRecorder"):  # a name is no recorder
        crawler = _crawler(tmp_path, handed)
        assert handed_recorder(crawler) is None
        pipeline = StoragePipeline.from_crawler(crawler)
        try:
            assert type(pipeline.recorder) is ContentRecorder
            assert pipeline.recorder.corpus.folder == tmp_path / "corpus"
        finally:
            pipeline.engine.dispose()
