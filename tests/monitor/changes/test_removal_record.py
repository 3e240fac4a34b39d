"""The recorder's removals on SQLite and PostgreSQL (real article pages, real notice pages): a 404 once then
200 is no removal; 404 twice is `gone`; 410 is `gone` at once; a notice page is `withdrawn`; a 301 home is
`redirected`; a restored article loses its removal; events go to the outbox once, the corpus follows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import Missing, RejectedPage
from newswatch.monitor.changes.detect import DetectOptions
from newswatch.monitor.changes.record import ChangeRecorder
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.engine import transaction
from newswatch.storage.models import AlertEvent, Article, Removal
from tests.crawler.fixture_site import fixture_bytes
from tests.crawler.notice_pages import wechat_notice_page
from tests.monitor.changes.test_record import T0, URL, fetched

PAGE = fixture_bytes("n4k-chinese_article_002")
HOUR = timedelta(hours=1)
Step = tuple[str, object]
REMOVALS = ("article.removed", "article.restored")


def _recorder(folder: Path) -> ChangeRecorder:
    return ChangeRecorder(Topic(()), Corpus(folder), DetectOptions())


def _apply(rec: ChangeRecorder, session: Session, step: Step, at: int) -> str:
    kind, arg = step
    now = T0 + at * HOUR
    if kind == "page":
        return rec.fetched(session, fetched(PAGE), now).outcome
    if kind == "notice":
        page = RejectedPage(URL, "too_little_text", "", None, wechat_notice_page(str(arg)), 200)
        return rec.rejected(session, page, now).outcome
    status = int(str(arg))
    missing = Missing(URL, "redirected", 301, "https://www.news.cn/") if status == 301 else \
        Missing(URL, "gone", status, final=status == 410)
    return rec.missing(session, missing, now).outcome


SCENARIOS = {
    "404-then-200": ([("page", 0), ("status", 404), ("page", 0), ("status", 404)],
                     ["new", "missing", "unchanged", "missing"], None),
    "404-twice": ([("page", 0), ("status", 404), ("status", 404), ("status", 404)],
                  ["new", "missing", "removed", "still_removed"], ("gone", 404)),
    "410": ([("page", 0), ("status", 410)], ["new", "removed"], ("gone", 410)),
    "wechat-notice": ([("page", 0), ("notice", "该内容已被发布者删除"), ("notice", "该内容已被发布者删除")],
                      ["new", "removed", "still_removed"], ("withdrawn", 200)),
    "301-home": ([("page", 0), ("status", 301)], ["new", "removed"], ("redirected", 301)),
    "restored": ([("page", 0), ("status", 410), ("page", 0)], ["new", "removed", "restored"], ("gone", 410)),
}


@pytest.mark.parametrize("name", list(SCENARIOS), ids=list(SCENARIOS))
def test_removal_is_confirmed_recorded_and_restored(sessions: sessionmaker[Session], tmp_path: Path,
                                                    name: str) -> None:
    steps, outcomes, removal = SCENARIOS[name]
    rec = _recorder(tmp_path)
    got = []
    for at, step in enumerate(steps):
        with transaction(sessions) as session:
            got.append(_apply(rec, session, step, at))
    assert got == outcomes
    with sessions() as session:
        article = session.execute(select(Article)).scalar_one()
        rows = session.execute(select(Removal)).scalars().all()
        events = session.execute(select(AlertEvent.event_kind).where(AlertEvent.event_kind.in_(REMOVALS))
                                 .order_by(AlertEvent.id)).scalars().all()
    assert [(r.kind, r.http_status) for r in rows] == ([removal] if removal else [])
    restored = outcomes[-1] == "restored"
    assert article.status == ("removed" if removal and not restored else "active")
    assert events == (["article.removed"] if removal else []) + (["article.restored"] if restored else [])
    document = (tmp_path / str(article.corpus_file)).read_text(encoding="utf-8")
    assert ("\nremoved: " in document) == (removal is not None and not restored)
    assert len(list((tmp_path / "changes").glob("*.removed.txt"))) == (1 if removal else 0)
