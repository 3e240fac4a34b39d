"""Batched recording (``crawler.pipeline.batch``) on both backends: one failing item is its own error and the others
commit; corpus files appear only once their batch committed; a killed crawl's temp files are recovered
from storage at the next start (``crawler.pipeline.store.recover_corpus``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import FetchedArticle
from newswatch.crawler.pipeline.batch import record_batch
from newswatch.crawler.urls import url_hash
from newswatch.monitor.changes.detect import DetectOptions
from newswatch.monitor.changes.record import ChangeRecorder
from newswatch.storage.corpus.document import Document
from newswatch.storage.corpus.folder import Corpus, leftovers, prepare_atomic
from newswatch.storage.engine import session_factory, worker_engine
from newswatch.storage.errors import CorpusWriteError
from newswatch.storage.migrate import upgrade
from newswatch.storage.models import AlertEvent, Article, Version

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
BODY = ("上海市政府今日召开新闻发布会，介绍第{n}季度经济运行情况。\n\n"
        "发布会上，有关负责人表示，全市规模以上工业增加值同比增长，消费市场持续回暖。\n\n"
        "记者了解到，多个重点项目已于近日开工建设，预计年内完成投资目标。")


def item(n: int) -> FetchedArticle:
    url = f"https://news.example.cn/a/{n}.html"
    body = BODY.format(n="一二三四五六七八九十"[n % 10]) + "甲乙丙丁"[n % 4] * n
    return FetchedArticle(url, url, None, f"第{n}号新闻", body, {"language": "zh"}, f"fp{n}", "trafilatura", "1",
                          b"<html/>", 200, None, None)


@pytest.fixture
def worker(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine: Engine = worker_engine(database_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


class RefusingCorpus(Corpus):
    """A corpus that refuses to write one article's document (a full disk, for that one)."""

    def __init__(self, folder: Path, refused: str) -> None:
        super().__init__(folder)
        self.refused = url_hash(refused)

    def write(self, path: Path, document: Document) -> None:
        if self.refused in path.name:
            raise CorpusWriteError(f"{path.name}: write failed: No space left on device")
        super().write(path, document)


def recorder(corpus: Corpus) -> ChangeRecorder:
    return ChangeRecorder(Topic(()), corpus, DetectOptions())


def counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (int(session.execute(select(func.count()).select_from(Article)).scalar_one()),
                int(session.execute(select(func.count()).select_from(Version)).scalar_one()))


def test_one_refused_corpus_write_fails_that_item_and_the_batch_commits(worker: sessionmaker[Session],
                                                                       tmp_path: Path) -> None:
    items = [item(n) for n in range(5)]
    corpus = RefusingCorpus(tmp_path / "corpus", items[2].url)
    outcomes = record_batch(worker, recorder(corpus), corpus, [(i, T0) for i in items])
    assert [o.recorded.outcome if o.recorded else None for o in outcomes] == ["new", "new", None, "new", "new"]
    assert isinstance(outcomes[2].error, CorpusWriteError)
    assert counts(worker) == (4, 4), "the failing item rolled back alone: no article without its corpus file"
    with worker() as session:
        files = sorted(session.execute(select(Article.corpus_file).where(Article.corpus_file.is_not(None))).scalars())
    assert files == sorted(p.name for p in (tmp_path / "corpus").glob("*.txt")) and len(files) == 4
    assert leftovers(tmp_path / "corpus") == [], "no temp file left behind"
    again = record_batch(worker, recorder(Corpus(tmp_path / "corpus")), None, [(items[2], T0)])
    assert again[0].recorded is not None and again[0].recorded.outcome == "new", "the next run records it"


def test_a_fault_of_the_recorder_in_a_batch_is_that_items_error(worker: sessionmaker[Session],
                                                               tmp_path: Path) -> None:
    class Faulty(ChangeRecorder):
        def fetched(self, session: Session, item: FetchedArticle, now: datetime):  # type: ignore[no-untyped-def]
            if item.url.endswith("/3.html"):
                raise RuntimeError("recorder bug")
            return super().fetched(session, item, now)

    corpus = Corpus(tmp_path / "corpus")
    rec = Faulty(Topic(()), corpus, DetectOptions())
    outcomes = record_batch(worker, rec, corpus, [(item(n), T0) for n in range(6)])
    assert [type(o.error).__name__ if o.error else o.recorded.outcome for o in outcomes if o.recorded or o.error] \
        == ["new", "new", "new", "RuntimeError", "new", "new"]
    assert counts(worker) == (5, 5)


def test_corpus_files_appear_only_after_their_batch_committed(worker: sessionmaker[Session], tmp_path: Path) -> None:
    seen: list[list[str]] = []

    class Watching(ChangeRecorder):
        def fetched(self, session: Session, item: FetchedArticle, now: datetime):  # type: ignore[no-untyped-def]
            seen.append(sorted(p.name for p in (tmp_path / "corpus").glob("*.txt")))
            return super().fetched(session, item, now)

    corpus = Corpus(tmp_path / "corpus")
    outcomes = record_batch(worker, Watching(Topic(()), corpus, DetectOptions()), corpus,
                            [(item(n), T0) for n in range(3)])
    assert all(o.recorded is not None and o.recorded.corpus_files == 1 for o in outcomes)
    assert seen == [[], [], []], "no document on disk before the commit"
    assert len(list((tmp_path / "corpus").glob("*.txt"))) == 3


def _dead_pid() -> int:
    for pid in range(4_000_000, 4_100_000, 7):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            continue
    raise AssertionError("no free pid found")


def test_a_killed_crawls_temp_files_are_recovered_from_storage(worker: sessionmaker[Session], tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    corpus = Corpus(folder)
    record_batch(worker, recorder(corpus), corpus, [(item(n), T0) for n in range(2)])
    with worker() as session:
        claimed = session.execute(select(Article).order_by(Article.id)).scalars().first()
        assert claimed is not None and claimed.corpus_file is not None
        name = claimed.corpus_file
    (folder / name).unlink()  # committed, then killed before its rename:
    pid = _dead_pid()
    stale = prepare_atomic(folder / name, "half of what storage says")
    stale = stale.rename(folder / f".{name}.p{pid}.abcd1234.tmp")
    orphan = folder / f".099_{'f' * 16}.txt.p{pid}.abcd1234.tmp"  # a transaction that never committed
    orphan.write_text("never claimed", encoding="utf-8")
    assert {n for _p, n in leftovers(folder)} == {name, orphan.name[1:].split(".p")[0]}
    with worker() as session, session.begin():
        assert recorder(Corpus(folder)).recover(session) == 1
    assert (folder / name).read_text(encoding="utf-8").startswith("---"), "rewritten from storage"
    assert not stale.exists() and not orphan.exists() and not (folder / f"099_{'f' * 16}.txt").exists()
    assert leftovers(folder) == []


def test_an_event_of_a_rolled_back_item_is_not_recorded(worker: sessionmaker[Session], tmp_path: Path) -> None:
    items = [item(n) for n in range(3)]
    corpus = RefusingCorpus(tmp_path / "corpus", items[1].url)
    rec = ChangeRecorder(Topic(()), corpus, DetectOptions())
    record_batch(worker, rec, corpus, [(i, T0) for i in items])
    with worker() as session:
        events = sorted(session.execute(select(AlertEvent.event_id)).scalars())
    assert len(events) == 2, "the refused article's alert went with its rollback"


def test_each_batch_hands_the_heap_it_freed_back(worker: sessionmaker[Session], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """After each batch (recorded, or failed) the recording thread calls glibc's malloc_trim: the crawl's
    process would otherwise keep its busiest batch's size in free heap."""
    from newswatch.crawler import heap

    trims: list[int] = []
    monkeypatch.setattr(heap, "trim", lambda: trims.append(1))
    corpus = Corpus(tmp_path / "corpus")
    record_batch(worker, recorder(corpus), corpus, [(item(n), T0) for n in range(3)])
    assert trims == [1]
    refusing = RefusingCorpus(tmp_path / "corpus", item(4).url)
    outcomes = record_batch(worker, recorder(refusing), refusing, [(item(4), T0)])
    assert outcomes[0].error is not None and trims == [1, 1]
