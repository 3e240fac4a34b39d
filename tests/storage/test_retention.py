"""Retention on SQLite and PostgreSQL: raw pages beyond the newest N per article go (never the latest
version's), old sent outbox rows and finished runs go, and nothing else: versions' text, diffs, pending
and dead rows, and the rows that remember recurring events stay. A dry run changes nothing."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.storage.engine import transaction
from newswatch.storage.models import AlertEvent, AlertOutbox, Anomaly, Article, Change, CrawlRun, Version
from newswatch.storage.repository import ensure_article
from newswatch.storage.retention import PruneReport, RetentionPolicy, prune

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
RAW = zlib.compress("<html><body><p>正文</p></body></html>".encode() * 50)
POLICY = RetentionPolicy(raw_pages=2, outbox_days=30, runs_days=90, keep_event_kinds=("article.anomaly",))


def _version(article: Article, number: int, days_ago: int) -> Version:
    return Version(article_id=article.id, number=number, title=f"标题{number}", body=f"正文第{number}版。",
                   content_hash=f"h{number}", raw_html=RAW, extractor="trafilatura", extractor_version="2.3.1",
                   meta={}, fetched_at=NOW - timedelta(days=days_ago))


def _fill(session: Session) -> None:
    """Article a: v1, v2 (latest), then three anomalies; article b: one version. Outbox and runs of all ages."""
    a = ensure_article(session, "https://example.com/a", title="甲")
    b = ensure_article(session, "https://example.com/b", title="乙")
    versions = [_version(a, 1, 50), _version(a, 2, 40), _version(b, 1, 45)]
    session.add_all(versions)
    session.flush()
    session.add(Change(article_id=a.id, from_version_id=versions[0].id, to_version_id=versions[1].id,
                       changed_fields=["body"], change_class="body_edit", diff="~ 正文第[-1-]{+2+}版。",
                       detected_at=NOW - timedelta(days=40)))
    for days in (30, 20, 10):
        session.add(Anomaly(article_id=a.id, reason="error_page", raw_html=RAW, body_chars=0,
                            detected_at=NOW - timedelta(days=days)))
    rows = [("e1", "sent", "article.new", 60), ("e2", "sent", "article.changed", 31), ("e3", "sent", "article.new", 5),
            ("e4", "sent", "article.anomaly", 60), ("e5", "pending", "article.new", 60),
            ("e6", "dead", "article.new", 60)]
    for event_id, state, kind, days in rows:
        when = NOW - timedelta(days=days)
        session.add(AlertOutbox(event_id=event_id, channel="hook", event_kind=kind, payload={"id": event_id},
                                state=state, attempts=1, next_attempt_at=when, created_at=when,
                                delivered_at=when if state == "sent" else None))
    for days, outcome in ((120, "ok"), (100, "partial"), (10, "ok"), (200, "running")):
        session.add(CrawlRun(kind="run", started_at=NOW - timedelta(days=days, hours=1), outcome=outcome,
                             finished_at=None if outcome == "running" else NOW - timedelta(days=days)))


def _state(session: Session) -> dict[str, object]:
    raw = {(v.article_id, "v", v.number): v.raw_html is not None for v in session.execute(select(Version)).scalars()}
    raw.update({(a.article_id, "a", a.id): a.raw_html is not None for a in session.execute(select(Anomaly)).scalars()})
    return {
        "raw": raw,
        "texts": sorted((v.title, v.body) for v in session.execute(select(Version)).scalars()),
        "diffs": sorted(c.diff for c in session.execute(select(Change)).scalars()),
        "outbox": sorted(session.execute(select(AlertOutbox.event_id)).scalars()),
        "runs": sorted(str(r.outcome) for r in session.execute(select(CrawlRun)).scalars()),
    }


def test_prune_forgets_what_the_policy_says_and_nothing_else(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        _fill(session)
    with sessions() as session:
        before = _state(session)
    with transaction(sessions) as session:
        dry = prune(session, POLICY, NOW, dry_run=True)
    with sessions() as session:
        assert _state(session) == before, "a dry run changes nothing"
    with transaction(sessions) as session:
        done = prune(session, POLICY, NOW)
    assert dry == PruneReport(1, 1, 2 * len(RAW), 2, 2, dry_run=True)
    assert done == PruneReport(1, 1, 2 * len(RAW), 2, 2, dry_run=False)
    with sessions() as session:
        after = _state(session)
        a_id = session.execute(select(Article.id).where(Article.title == "甲")).scalar_one()
        anomaly_ids = sorted(session.execute(select(Anomaly.id)).scalars())
    raw = after["raw"]
    assert isinstance(raw, dict)
    kept = {key for key, present in raw.items() if present}
    assert (a_id, "v", 1) not in kept, "the oldest page of article a went"
    assert (a_id, "v", 2) in kept, "the latest version's page is kept for re-extraction"
    assert {(a_id, "a", anomaly_ids[1]), (a_id, "a", anomaly_ids[2])} <= kept, "the two newest pages stay"
    assert (a_id, "a", anomaly_ids[0]) not in kept
    assert len([k for k in kept if k[0] != a_id]) == 1, "article b's only page is kept"
    assert after["texts"] == before["texts"] and after["diffs"] == before["diffs"], "text and diffs are never pruned"
    assert after["outbox"] == ["e3", "e4", "e5", "e6"], "recent, recurring-kind, pending and dead rows stay"
    assert after["runs"] == ["ok", "running"], "recent and unfinished runs stay"
    with transaction(sessions) as session:
        assert prune(session, POLICY, NOW).total == 0, "a second prune finds nothing"


def test_zero_switches_a_rule_off(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        _fill(session)
    with transaction(sessions) as session:
        report = prune(session, RetentionPolicy(outbox_days=30), NOW)
    assert (report.version_pages, report.anomaly_pages, report.run_rows, report.outbox_rows) == (0, 0, 0, 3)
    assert not RetentionPolicy().active


def test_routed_events_go_once_their_outbox_rows_are_gone(sessions: sessionmaker[Session]) -> None:
    """An event is kept while it is not routed, has an outbox row left, or is of a recurring kind."""
    with transaction(sessions) as session:
        _fill(session)  # outbox rows e1..e6: e1, e2 go
        for event_id, kind, routed in (("e1", "article.new", 60), ("e2", "article.changed", 31),
                                       ("e3", "article.new", 5), ("e5", "article.new", 60),
                                       ("x1", "article.new", 60), ("x2", "article.anomaly", 60),
                                       ("x3", "article.new", None)):
            when = NOW - timedelta(days=routed if routed is not None else 90)
            session.add(AlertEvent(event_id=event_id, event_kind=kind, payload={"id": event_id}, created_at=when,
                                   routed_at=when if routed is not None else None))
    with transaction(sessions) as session:
        dry = prune(session, POLICY, NOW, dry_run=True)
    with transaction(sessions) as session:
        report = prune(session, POLICY, NOW)
    with sessions() as session:
        left = sorted(session.execute(select(AlertEvent.event_id)).scalars())
    assert dry.event_rows == report.event_rows == 3
    assert left == ["e3", "e5", "x2", "x3"], "recent, still pending, recurring kind, not routed"
