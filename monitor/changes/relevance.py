"""Re-applying the topic filter to what storage holds: new keywords need no re-crawl.

Every stored article gets its relevance recomputed from its latest version; one that becomes relevant
and is not yet in the corpus is written there. Articles that stop being relevant keep their corpus
file (nothing is deleted) and are only marked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.pipeline.store import latest_version
from newswatch.monitor.changes.output import join_corpus
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.engine import transaction
from newswatch.storage.queries.articles import all_articles


@dataclass(frozen=True)
class RelevanceReport:
    checked: int
    relevant: int
    changed: int
    written: int


def reapply_topic(sessions: sessionmaker[Session], topic: Topic, corpus: Corpus) -> RelevanceReport:
    checked = relevant = changed = written = 0
    with transaction(sessions) as session:
        for article in all_articles(session):
            version = latest_version(session, article.id)
            if version is None:
                continue
            checked += 1
            now_relevant = topic.matches(version.title, version.body)
            relevant += now_relevant
            changed += article.relevant != now_relevant
            article.relevant = now_relevant
            if now_relevant and article.corpus_file is None and join_corpus(session, corpus, article):
                written += 1
    return RelevanceReport(checked, relevant, changed, written)
