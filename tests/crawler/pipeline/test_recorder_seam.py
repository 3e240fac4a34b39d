"""The crawl is handed its recorder as an object (the spider's ``recorder`` argument): the storage pipeline
records with it, or with the crawler's own when it was handed none; no setting names one. So is the engine it
records with (``storage_engine``: the run's writer, one for every crawl), when that suits batches."""

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
from newswatch.monitor.config.runtime import Storage
from newswatch.monitor.queue.recorder import LockingRecorder
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.engine import batch_ready, make_engine, session_factory


def _crawler(folder: Path, recorder: object, engine: object = None) -> Crawler:
    options = CrawlOptions(database_url=f"sqlite:///{folder / 'newswatch.db'}", corpus_dir=str(folder / "corpus"))
    settings = Settings(crawl_settings(options))
    crawler = Crawler(NewsSpider, settings)
    crawler.spider = NewsSpider(CrawlPlan(), recorder=recorder, storage_engine=engine)  # type: ignore[arg-type]
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


def test_every_crawl_of_a_storage_records_with_its_one_writer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'newswatch.db'}")
    storage = Storage(engine, session_factory(engine))
    writer = storage.writer()
    assert storage.writer() is writer and writer is not engine, "one writer, made once, beside the run's engine"
    assert batch_ready(writer) and not batch_ready(engine), "SQLite: the writer begins with the write lock"
    pipelines = [StoragePipeline.from_crawler(_crawler(tmp_path, None, writer)) for _ in range(2)]
    assert all(p.engine is writer and not p.owns_engine for p in pipelines), "handed: the crawl never disposes it"
    pool = writer.pool
    storage.close()
    assert writer.pool is not pool, "the storage disposes its writer"


def test_a_crawl_handed_no_engine_or_an_unfit_one_makes_its_own(tmp_path: Path) -> None:
    plain = make_engine(f"sqlite:///{tmp_path / 'newswatch.db'}")  # a SQLite engine a batch could not rely on
    try:
        for handed in (None, plain, "sqlite:///elsewhere.db"):
            pipeline = StoragePipeline.from_crawler(_crawler(tmp_path, None, handed))
            assert pipeline.owns_engine and pipeline.engine is not plain and batch_ready(pipeline.engine)
            pipeline.engine.dispose()
    finally:
        plain.dispose()
