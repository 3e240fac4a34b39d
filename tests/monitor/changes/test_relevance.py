"""Re-applying the topic to stored articles: changing the keywords needs no re-crawl."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.pipeline.store import Recorder
from newswatch.monitor.changes.relevance import reapply_topic
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.engine import transaction
from tests.crawler.pipeline.test_store import NOW, TOPIC, item


def test_changing_keywords_needs_no_recrawl(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    corpus = Corpus(tmp_path)
    with transaction(sessions) as session:
        Recorder(TOPIC, corpus).fetched(session, item(body="关于量子计算的正文。", title="量子计算"), NOW)
    assert reapply_topic(sessions, TOPIC, corpus).written == 0
    report = reapply_topic(sessions, Topic(("量子",)), corpus)
    assert (report.checked, report.relevant, report.changed, report.written) == (1, 1, 1, 1)
    assert reapply_topic(sessions, Topic(("量子",)), corpus).written == 0, "already in the corpus"
    assert len(list(tmp_path.glob("*.txt"))) == 1
