"""Two workers recording the same article at once (PostgreSQL): the article's row lock makes the second
wait for the first and then see its version: one version, one change, and the second is ``unchanged``
(not a second version, and not a constraint error either)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import FetchedArticle
from newswatch.crawler.pipeline.store import Recorded
from newswatch.monitor.changes.detect import DetectOptions
from newswatch.monitor.queue.recorder import LockingRecorder
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.engine import make_engine, session_factory, transaction
from newswatch.storage.migrate import upgrade
from newswatch.storage.models import Change, Version

URL = "https://news.example.com/2025/02/11/a.html"
BODY = "这是第一段，讲述了城市更新的进展情况。" * 20


def item(body: str) -> FetchedArticle:
    return FetchedArticle(url=URL, fetched_url=URL, discovered_from=None, title="城市更新", body=body,
                          meta={"language": "zh"}, fingerprint=None, extractor="trafilatura",
                          extractor_version="2.3.1", raw_body=b"<p>x</p>", http_status=200, etag=None,
                          last_modified=None)


@pytest.mark.postgres
def test_two_writers_of_one_article_make_one_version_and_one_change(postgres_url: str, tmp_path: Path) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = session_factory(engine)
    recorder = LockingRecorder(Topic(()), Corpus(tmp_path / "corpus"), DetectOptions())
    with transaction(sessions) as session:
        assert recorder.fetched(session, item(BODY), datetime.now(UTC)).outcome == "new"
    edited = item(BODY + "\n\n更正：数字已更新。")
    results: dict[str, tuple[Recorded, float]] = {}
    first_holds = threading.Event()

    def write(name: str, hold: float) -> None:
        with transaction(sessions) as session:
            recorded = recorder.fetched(session, edited, datetime.now(UTC))
            if hold:
                first_holds.set()
                time.sleep(hold)  # the first writer keeps its transaction (and the row lock) open
            results[name] = (recorded, time.monotonic())  # before this transaction commits

    first = threading.Thread(target=write, args=("first", 1.5))
    first.start()
    assert first_holds.wait(30)
    second = threading.Thread(target=write, args=("second", 0.0))
    second.start()
    first.join(30)
    second.join(30)
    engine.dispose()
    assert results["first"][0].outcome == "changed" and results["second"][0].outcome == "unchanged"
    assert results["second"][1] >= results["first"][1], "the second waited for the first to commit"
    engine = make_engine(postgres_url)
    with session_factory(engine)() as session:
        assert [v.number for v in session.execute(select(Version)).scalars()] == [1, 2]
        assert len(session.execute(select(Change)).scalars().all()) == 1
    engine.dispose()
