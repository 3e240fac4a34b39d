"""Source health: failing streaks and quiet sources raise one event each (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.items import CrawlPlan, FetchError, SiteTarget
from newswatch.monitor.alerts.health import update_sources
from newswatch.monitor.config.model import AlertsConfig
from newswatch.storage.engine import transaction
from newswatch.storage.models import AlertEvent, Article, Source

HOME = "https://news.example.com/"
PLAN = CrawlPlan(sites=(SiteTarget("例子新闻", (HOME,), ("https://news.example.com/rss.xml",)),))
T0 = datetime(2025, 3, 1, tzinfo=UTC)
ALERTS = AlertsConfig(failing_after=3, quiet_days=7)


def run(sessions: sessionmaker[Session], ok: bool, when: datetime) -> list[str]:
    fetched = {HOME} if ok else set()
    errors = [] if ok else [FetchError(HOME, "http_503", "HTTP 503"),
                            FetchError("https://news.example.com/rss.xml", "timeout", "")]
    with transaction(sessions) as session:
        return [e.type for e in update_sources(session, PLAN, fetched, errors, ALERTS, when)]


def recorded(sessions: sessionmaker[Session]) -> list[str]:
    """The events written (one row each: routed to the channels at delivery)."""
    with sessions() as session:
        return list(session.execute(select(AlertEvent.event_kind).order_by(AlertEvent.id)).scalars())


def test_failing_streak_raises_one_event_and_success_resets(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.add(Article(canonical_url=HOME + "2025/03/01/a.html", first_seen_at=T0))
    assert run(sessions, True, T0) == []
    raised = [run(sessions, False, T0 + timedelta(hours=h)) for h in range(1, 6)]
    assert raised == [[], [], ["source.failing"], [], []]
    with sessions() as session:
        source = session.execute(select(Source)).scalar_one()
        assert source.consecutive_failures == 5 and source.last_error == "http_503, timeout"
    assert run(sessions, True, T0 + timedelta(hours=6)) == []
    with sessions() as session:
        assert session.execute(select(Source.consecutive_failures)).scalar_one() == 0
    raised = [run(sessions, False, T0 + timedelta(hours=h)) for h in range(7, 10)]
    assert raised == [[], [], ["source.failing"]], "a new streak is a new event"
    assert recorded(sessions) == ["source.failing", "source.failing"]


def test_quiet_source_raises_once_per_quiet_stretch(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.add(Article(canonical_url=HOME + "2025/03/01/a.html", first_seen_at=T0))
    assert run(sessions, True, T0 + timedelta(days=3)) == []
    assert run(sessions, True, T0 + timedelta(days=8)) == ["source.quiet"]
    assert run(sessions, True, T0 + timedelta(days=9)) == ["source.quiet"]  # same event id
    assert recorded(sessions) == ["source.quiet"]
    with transaction(sessions) as session:
        session.add(Article(canonical_url=HOME + "2025/03/10/b.html", first_seen_at=T0 + timedelta(days=9)))
    assert run(sessions, True, T0 + timedelta(days=10)) == []
