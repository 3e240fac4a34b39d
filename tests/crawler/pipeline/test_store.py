"""Recording fetches in storage (SQLite and PostgreSQL): new, unchanged, changed, 304, corpus file."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import FetchedArticle
from newswatch.crawler.pipeline.store import Recorder, content_hash
from newswatch.storage.corpus.folder import Corpus, read_document
from newswatch.storage.engine import transaction
from newswatch.storage.models import Article, Version

URL = "https://news.example.com/2025/02/11/a.html"
TOPIC = Topic(("DeepSeek",))
NOW = datetime(2025, 2, 11, 8, 0, tzinfo=UTC)


def recorder(folder: Path) -> Recorder:
    return Recorder(TOPIC, Corpus(folder))


def item(body: str = "DeepSeek 发布了新模型。\n\n第二段。", title: str = "DeepSeek 新闻") -> FetchedArticle:
    return FetchedArticle(
        url=URL, fetched_url=URL + "?utm_source=x", discovered_from="https://news.example.com/",
        title=title, body=body, meta={"author": "记者", "date": "2025-02-11", "site_name": "例子新闻",
                                      "language": "zh"},
        fingerprint="abc", extractor="trafilatura", extractor_version="2.3.1",
        raw_body="<p>正文</p>".encode(), http_status=200, etag='"e1"', last_modified=None,
    )


def test_new_then_unchanged_then_changed(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    with transaction(sessions) as session:
        assert rec.fetched(session, item(), NOW).outcome == "new"
    with transaction(sessions) as session:
        again = rec.fetched(session, item(body="DeepSeek  发布了新模型。\n\n\n第二段。  "), NOW)
        assert again.outcome == "unchanged", "whitespace alone is no change"
    with transaction(sessions) as session:
        changed = rec.fetched(session, item(body="DeepSeek 发布了新模型。\n\n第三段。"), NOW)
        assert (changed.outcome, changed.version) == ("changed", 2)
    with sessions() as session:
        versions = session.execute(select(Version).order_by(Version.number)).scalars().all()
        assert [v.number for v in versions] == [1, 2]
        assert zlib.decompress(versions[0].raw_html or b"").decode() == "<p>正文</p>"
        assert versions[0].etag == '"e1"' and versions[0].meta["author"] == "记者"
        article = session.execute(select(Article)).scalar_one()
        assert article.relevant is True and article.last_checked_at is not None


def test_relevance_is_recorded_for_off_topic_articles(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with transaction(sessions) as session:
        recorded = recorder(tmp_path).fetched(session, item(body="与主题无关的正文。", title="别的新闻"), NOW)
    assert recorded.outcome == "new" and recorded.relevant is False
    with sessions() as session:
        assert session.execute(select(Article.relevant)).scalar_one() is False


def test_not_modified_moves_only_the_check_time(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    with transaction(sessions) as session:
        rec.fetched(session, item(), datetime(2025, 1, 1, tzinfo=UTC))
    with transaction(sessions) as session:
        assert rec.not_modified(session, URL, datetime.now(UTC)).outcome == "not_modified"
        assert rec.not_modified(session, "https://unknown.example/x", NOW).outcome == "unknown"
    with sessions() as session:
        article = session.execute(select(Article)).scalar_one()
        assert article.last_checked_at is not None and article.last_checked_at.year > 2025
        assert len(session.execute(select(Version)).scalars().all()) == 1


def test_new_relevant_article_joins_the_corpus_once(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    with transaction(sessions) as session:
        assert rec.fetched(session, item(), NOW).corpus_files == 1
    (path,) = tmp_path.glob("*.txt")
    name = path.name
    assert name.startswith("000_")
    doc = read_document(tmp_path / name)
    assert (doc.title, doc.url, doc.source, doc.author, doc.lang) == ("DeepSeek 新闻", URL, "例子新闻", "记者", "zh")
    assert doc.extra_map["content_hash"] == content_hash(item().title, item().body)
    assert doc.extra_map["discovered_from"] == "https://news.example.com/"
    with transaction(sessions) as session:
        assert rec.fetched(session, item(), NOW).corpus_files == 0
    with sessions() as session:
        assert session.execute(select(Article.corpus_file)).scalar_one() == name
    assert len(list(tmp_path.glob("*.txt"))) == 1

