"""SIGKILL between recording and delivery: after a crawl committed its events, before they are routed to
the channels, and while they are being routed (outbox rows of some events written, not committed). Then
``newswatch alerts deliver``: every event reaches the channel exactly once, and a second pass sends
nothing (a kill mid-send is ``tests/monitor/alerts/test_outbox.py``)."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import AlertEvent, AlertOutbox
from tests.crawler.fixture_site import CASSETTE, FIXED_PORT, write_workspace
from tests.crawler.test_run import migrate, newswatch
from tests.faults.harness import newswatch_with
from tests.monitor.receiver import Receiver, free_port

NEW_ARTICLES = 5  # what the fixture site's cassette holds
SECRET = {"KILL_HOOK_SECRET": "kill-secret"}
KILL_AT = """
import os, signal
import newswatch.monitor.alerts.outbox as _outbox
_real = _outbox.{function}
_calls = [0]
def _killing(*args, **kwargs):
    _calls[0] += 1
    if _calls[0] == {nth}:
        os.kill(os.getpid(), signal.SIGKILL)
    return _real(*args, **kwargs)
_outbox.{function} = _killing
"""
POINTS = {
    "before-routing": KILL_AT.format(function="route_events", nth=1),  # the events committed, none routed
    "mid-routing": KILL_AT.format(function="route", nth=3),  # two events' outbox rows written, not committed
}


def events_and_outbox(folder: Path) -> tuple[list[bool], Counter[tuple[str, str]]]:
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        routed = [e.routed_at is not None for e in session.execute(select(AlertEvent)).scalars()]
        outbox = Counter((o.event_id, o.state) for o in session.execute(select(AlertOutbox)).scalars())
    engine.dispose()
    return routed, outbox


@pytest.mark.parametrize("point", sorted(POINTS), ids=str)
def test_killed_between_recording_and_delivery_loses_and_doubles_nothing(tmp_path: Path, point: str) -> None:
    port = free_port()
    receiver = Receiver(["200"]).start(port)
    try:
        config = write_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
        config.write_text(config.read_text(encoding="utf-8") + '[[alerts.channels]]\nname = "desk"\nkind = "webhook"\n'
                          f'url = "http://127.0.0.1:{port}/in"\nsecret_env = "KILL_HOOK_SECRET"\n', encoding="utf-8")
        migrate(config)
        killed = newswatch_with(POINTS[point], config, "run", "--replay", str(CASSETTE), env=SECRET)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        routed, outbox = events_and_outbox(tmp_path)
        assert routed == [False] * NEW_ARTICLES and not outbox, "recorded, and nothing routed yet"
        assert receiver.seen == []
        for _ in range(2):
            again = newswatch(config, "alerts", "deliver", env=SECRET)
            assert again.returncode == 0, again.stderr[-2000:]
    finally:
        receiver.stop()
    routed, outbox = events_and_outbox(tmp_path)
    assert routed == [True] * NEW_ARTICLES
    assert sorted(outbox.values()) == [1] * NEW_ARTICLES and {s for _e, s in outbox} == {"sent"}
    assert len(receiver.delivered) == len(set(receiver.delivered)) == NEW_ARTICLES
    assert set(receiver.delivered) == {e for e, _s in outbox}
