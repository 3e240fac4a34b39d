"""``/healthz`` is honest: ok, degraded (200, reasons) or unhealthy (503), from what storage holds.

Found from outside: through 80 s of a site answering 503 and 60 s of a webhook receiver answering 500
``/healthz`` stayed 200 "ok"; it only told whether the scheduler ran.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from newswatch.monitor.daemon.endpoints import daemon_app
from newswatch.monitor.daemon.healthcheck import HealthFacts, HealthLimits, gather, judge
from newswatch.monitor.daemon.metrics import Metrics
from newswatch.storage.engine import transaction
from newswatch.storage.models import AlertEvent, AlertOutbox, CrawlRun, Source, utcnow
from tests.monitor.web.server import fetch, in_thread

LIMITS = HealthLimits(failing_after=3, backlog_seconds=90.0, crawl_overdue_seconds=3600.0)
CASES = {
    "ok": (HealthFacts(True, since_last_crawl=10.0, backlog_seconds=5.0), "ok", 200, ()),
    "scheduler-stopped": (HealthFacts(False), "unhealthy", 503, ("the scheduler is not running",)),
    "storage-down": (HealthFacts(True, storage_error="OperationalError: refused"), "unhealthy", 503,
                     ("storage unreachable: OperationalError: refused",)),
    "source-failing": (HealthFacts(True, failing_sources=("新华网",)), "degraded", 200, ("source failing: 新华网",)),
    "dead-letters": (HealthFacts(True, dead_letters=2), "degraded", 200, ("2 dead letters in the alert outbox",)),
    "deliveries-failing": (HealthFacts(True, failing_channels=("hook",)), "degraded", 200,
                           ("deliveries failing: hook",)),
    "backlog": (HealthFacts(True, backlog_seconds=91.0), "degraded", 200, ("alerts waiting for 91 s (limit 90 s)",)),
    "crawl-overdue": (HealthFacts(True, since_last_crawl=7200.0), "degraded", 200,
                      ("no crawl finished for 7200 s",)),
}


@pytest.mark.parametrize(("facts", "status", "code", "reasons"), list(CASES.values()), ids=list(CASES))
def test_judge(facts: HealthFacts, status: str, code: int, reasons: tuple[str, ...]) -> None:
    verdict = judge(facts, LIMITS)
    assert (verdict.status, verdict.code, verdict.reasons) == (status, code, reasons)


def _troubles(session: Session) -> None:
    now = utcnow()
    session.add_all([
        Source(name="失败源", kind="site", consecutive_failures=3), Source(name="好源", kind="site"),
        Source(name="once", kind="site", consecutive_failures=2),
        AlertOutbox(event_id="e1", channel="mail", event_kind="new", payload={}, state="dead"),
        AlertOutbox(event_id="e2", channel="hook", event_kind="new", payload={}, attempts=2,
                    next_attempt_at=now + timedelta(seconds=60)),
        AlertOutbox(event_id="e3", channel="mail", event_kind="new", payload={},
                    next_attempt_at=now - timedelta(seconds=400)),
        AlertOutbox(event_id="e4", channel="digest", event_kind="new", payload={},
                    next_attempt_at=now + timedelta(hours=8)),  # a digest's row waits by design
        CrawlRun(started_at=now - timedelta(hours=3), finished_at=now - timedelta(hours=2), outcome="ok"),
    ])


def test_gather_reads_the_troubles_from_storage(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        _troubles(session)
    now = utcnow()
    with sessions() as session:
        facts = gather(session, now, LIMITS, True, started=now - timedelta(days=1))
    assert facts.failing_sources == ("失败源",)
    assert facts.dead_letters == 1 and facts.failing_channels == ("hook",)
    assert facts.backlog_seconds is not None and 399 <= facts.backlog_seconds <= 460
    assert facts.since_last_crawl is not None and 7190 <= facts.since_last_crawl <= 7300
    assert judge(facts, LIMITS).status == "degraded" and len(judge(facts, LIMITS).reasons) == 5


def test_an_empty_store_is_ok_until_a_crawl_is_overdue(sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with sessions() as session:
        fresh = gather(session, now, LIMITS, True, started=now - timedelta(minutes=5))
        stale = gather(session, now, LIMITS, True, started=now - timedelta(hours=2))
    assert judge(fresh, LIMITS).status == "ok"
    assert judge(stale, LIMITS).reasons == ("no crawl finished for 7200 s",)


def test_the_endpoint_answers_each_level() -> None:
    answers = iter([judge(CASES[name][0], LIMITS) for name in ("ok", "dead-letters", "storage-down")])

    def health() -> tuple[int, dict[str, object]]:
        verdict = next(answers)
        return verdict.code, verdict.body(crawls=1)

    with in_thread(daemon_app(health, Metrics())) as base:
        seen = [fetch(base + "/healthz") for _ in range(3)]
    assert [(status, json.loads(body)["status"]) for status, _headers, body in seen] == [
        (200, "ok"), (200, "degraded"), (503, "unhealthy")]
    assert json.loads(seen[1][2])["reasons"] == ["2 dead letters in the alert outbox"]


def test_an_event_no_delivery_pass_routed_is_backlog(sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with transaction(sessions) as session:
        session.add_all([AlertEvent(event_id="r1", event_kind="article.new", payload={},
                                    created_at=now - timedelta(seconds=900), routed_at=now),
                         AlertEvent(event_id="u1", event_kind="article.new", payload={},
                                    created_at=now - timedelta(seconds=500))])
    with sessions() as session:
        facts = gather(session, now, LIMITS, True, started=now - timedelta(minutes=5))
    assert facts.backlog_seconds is not None and 499 <= facts.backlog_seconds <= 560
