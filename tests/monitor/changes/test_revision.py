"""A new extraction revision re-baselines stored pages before a run, even those that answer 304.

Extraction changed in this release (navigation rows dropped, title labels, dates from the text): an
unchanged page stored by the old code would otherwise be reported as changed at its next 200, or keep the
old text for as long as it answers 304. ``crawler.extract.revision`` marks each version; a run re-extracts the
stored raw page of every version with another mark (a re-baseline: no change row, no alert), and only
restamps a version whose text comes out the same. Real page: tests/fixtures/zh_news (news.cn).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.extract.article import Article as Extracted
from newswatch.crawler.extract.article import extract
from newswatch.crawler.extract.revision import current, extraction_mark
from newswatch.monitor.changes.detect import Snapshot
from newswatch.monitor.changes.reextract import reapply_rules
from newswatch.monitor.changes.ruleset import stale_articles
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.engine import transaction
from newswatch.storage.models import Article, Change, Version
from tests.crawler.fixture_site import fixture_bytes

URL = "https://www.news.cn/2023-11/17/c_1129981476.htm"
RAW = fixture_bytes("n4k-chinese_article_002")


@pytest.fixture(scope="module")
def today() -> Extracted:
    found = extract(RAW.decode("utf-8"), URL)
    assert isinstance(found, Extracted)
    return found


def store(sessions: sessionmaker[Session], title: str, body: str, mark: str, today: Extracted) -> None:
    """Version 1 as the recorder stores it (its comparison hash over title, body and metadata)."""
    snapshot = Snapshot(title, body, today.author, today.date, None, today.language)
    with transaction(sessions) as session:
        article = Article(canonical_url=URL, title=title)
        session.add(article)
        session.flush()
        session.add(Version(article_id=article.id, number=1, title=title, body=body, meta={},
                            content_hash=snapshot.fingerprint,
                            raw_html=zlib.compress(RAW), http_status=200, extractor="trafilatura",
                            extractor_version=mark))


def test_the_mark_names_the_revision() -> None:
    assert current(extraction_mark()) and current(extraction_mark() + "+wechat.1")
    assert not current("2.3.1") and not current(extraction_mark() + "0") and not current(None)


CASES = {  # the stored version: (title, body, mark) from today's extraction; what the run must leave
    "old-code-other-text": ("原创 {title}", "| 首页 - 新闻 - 北京 |\n\n{body}", "2.3.1", 2),
    "old-code-same-text": ("{title}", "{body}", "2.3.1", 1),
}


@pytest.mark.parametrize(("title", "body", "mark", "versions"), list(CASES.values()), ids=list(CASES))
def test_a_run_rebaselines_what_the_old_code_stored(sessions: sessionmaker[Session], tmp_path: Path,
                                                     today: Extracted, title: str, body: str, mark: str,
                                                     versions: int) -> None:
    store(sessions, title.format(title=today.title), body.format(body=today.body_markdown), mark, today)
    report = reapply_rules(sessions, Corpus(tmp_path / "corpus"), {})
    with sessions() as session:
        stored = session.execute(select(Version).order_by(Version.number)).scalars().all()
        changes = session.execute(select(Change)).scalars().all()
        assert stale_articles(session, {}) == [], "asked once, not at every run"
    assert (report.checked, len(stored), changes) == (1, versions, [])
    assert stored[-1].title == today.title and stored[-1].body == today.body_markdown
    assert current(stored[-1].extractor_version)


def test_a_current_version_is_left_alone(sessions: sessionmaker[Session], tmp_path: Path, today: Extracted) -> None:
    store(sessions, today.title or "", today.body_markdown, extraction_mark(), today)
    assert reapply_rules(sessions, Corpus(tmp_path / "corpus"), {}).checked == 0
