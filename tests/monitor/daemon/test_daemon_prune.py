"""The daemon applies ``storage.retention`` on its own (every ``schedule.prune_hours``, first at start):
a daemon started over a database holding old sent alerts and old runs forgets them, keeps the rest."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory, transaction
from newswatch.storage.models import AlertOutbox, CrawlRun
from tests.crawler.fixture_site import CASSETTE, FIXED_PORT, write_workspace
from tests.crawler.test_run import migrate
from tests.monitor.daemon_process import running_daemon, stop_daemon
from tests.monitor.receiver import free_port

SETTINGS = """[storage.retention]
outbox_days = 30.0
runs_days = 30.0
[schedule]
feeds_minutes = 5.0
feeds_min_minutes = 5.0
feeds_max_minutes = 10.0
jitter_seconds = 0.0
restart_spread_minutes = 0.0
prune_hours = 24.0
articles = ["3650d=0s"]
[daemon]
metrics_port = {metrics}
shutdown_seconds = 15.0
"""


def _old_rows(url: str) -> None:
    old = datetime.now(UTC) - timedelta(days=60)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        for event_id, state, kind in (("old-sent", "sent", "article.new"), ("old-dead", "dead", "article.new"),
                                      ("old-quiet", "sent", "source.quiet")):
            session.add(AlertOutbox(event_id=event_id, channel="hook", event_kind=kind, payload={}, state=state,
                                    attempts=1, next_attempt_at=old, created_at=old,
                                    delivered_at=old if state == "sent" else None))
        session.add(CrawlRun(kind="run", started_at=old, finished_at=old, outcome="ok"))
    engine.dispose()


def _remaining(url: str) -> tuple[list[str], list[datetime]]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        events = sorted(session.execute(select(AlertOutbox.event_id)).scalars())
        starts = list(session.execute(select(CrawlRun.started_at)).scalars())
    engine.dispose()
    return events, starts


def test_the_daemon_prunes_what_retention_allows(tmp_path: Path) -> None:
    config = write_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
    text = config.read_text(encoding="utf-8").replace('[schedule]\narticles = ["3650d=0s"]\n', "")
    config.write_text(text + SETTINGS.format(metrics=free_port()), encoding="utf-8")
    migrate(config)
    url = f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}"
    _old_rows(url)
    with running_daemon(config, ["--replay", str(CASSETTE)], tmp_path) as daemon:
        deadline = time.monotonic() + 90
        events, starts = _remaining(url)
        while "old-sent" in events and time.monotonic() < deadline and daemon.poll() is None:
            time.sleep(0.5)
            events, starts = _remaining(url)
        err = stop_daemon(daemon)
    assert daemon.returncode == 0, err[-3000:]
    assert events == ["old-dead", "old-quiet"], "the old sent row went; dead and recurring-event rows stay"
    cutoff = datetime.now(UTC) - timedelta(days=30)
    assert all(start > cutoff for start in starts), "the old run went"
