"""The outbox delivers every event exactly once by event id, whatever fails in between: a receiver that
is down, answers 500, hangs, a worker SIGKILLed mid-send, an SMTP server refusing connections."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.monitor.alerts.outbox import DeliveryReport, RetryPolicy, deliver_pending, retry, route_events
from newswatch.monitor.alerts.registry import Channel, build_channels
from newswatch.monitor.changes.emit import record_event
from newswatch.monitor.config.model import AlertsConfig, ChannelConfig
from newswatch.storage.engine import make_engine, session_factory, transaction
from newswatch.storage.migrate import upgrade
from newswatch.storage.models import AlertEvent, AlertOutbox
from tests.conftest import NEWSWATCH_CLI, ROOT
from tests.monitor.receiver import Receiver, free_port
from tests.monitor.sample_events import all_events, changed_event, new_event

SECRET = {"HOOK_SECRET": "s3cret"}
FAST = RetryPolicy(max_attempts=6, backoff_seconds=0.0, backoff_max_seconds=0.0, lease_seconds=0.0)


ALL_EVENTS = ("article.new", "article.changed", "article.anomaly", "source.failing")


def webhook(port: int, **rules: object) -> ChannelConfig:
    config = ChannelConfig(name="hook", kind="webhook", url=f"http://127.0.0.1:{port}/hook", timeout=0.5,
                           secret_env="HOOK_SECRET", events=ALL_EVENTS)
    return dataclasses.replace(config, **rules)  # type: ignore[arg-type]


def channels_for(*configs: ChannelConfig) -> tuple[Channel, ...]:
    return build_channels(AlertsConfig(channels=configs), SECRET)


def drain(sessions: sessionmaker[Session], channels: tuple[Channel, ...], passes: int = 8) -> DeliveryReport:
    total = DeliveryReport()
    for _ in range(passes):
        total += deliver_pending(sessions, channels, FAST)
    return total


def states(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.execute(select(AlertOutbox.state).order_by(AlertOutbox.id)).scalars())


def test_routing_is_idempotent_and_follows_the_rules(sessions: sessionmaker[Session]) -> None:
    port = free_port()
    channels = channels_for(webhook(port), dataclasses.replace(webhook(port), name="only-new",
                                                                 events=("article.new",)))
    with transaction(sessions) as session:
        for _ in range(2):
            for event in all_events():
                record_event(session, event)
    with sessions() as session:  # recorded: one row per event, nothing per channel yet
        assert session.scalar(select(func.count()).select_from(AlertEvent)) == len(all_events())
        assert session.scalar(select(func.count()).select_from(AlertOutbox)) == 0
    for _ in range(2):
        route_events(sessions, channels, lambda: datetime.now(UTC))
    with sessions() as session:
        rows = session.execute(select(AlertOutbox.channel, AlertOutbox.event_kind)).all()
    assert sorted(rows) == sorted([("hook", e.type) for e in all_events()] + [("only-new", "article.new")])


def test_down_then_500_then_timeout_then_200_delivers_each_event_once(sessions: sessionmaker[Session]) -> None:
    port = free_port()
    channels = channels_for(webhook(port))
    events = [new_event(), changed_event()]
    with transaction(sessions) as session:
        for event in events:
            record_event(session, event)
    first = deliver_pending(sessions, channels, FAST)  # nobody listening: connection refused
    assert (first.sent, first.failed) == (0, 2)
    receiver = Receiver(["500", "hang", "200"]).start(port)
    try:
        report = drain(sessions, channels)
    finally:
        receiver.stop()
    assert receiver.unique == {e.id for e in events}
    assert sorted(receiver.delivered) == sorted(receiver.unique), "no event acknowledged twice"
    assert len(receiver.seen) == 4, "500 and the timeout were retried"
    assert states(sessions) == ["sent", "sent"] and report.sent == 2


def test_dead_after_max_attempts_then_retry(sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    channels = channels_for(webhook(port))
    with transaction(sessions) as session:
        record_event(session, new_event())
    receiver = Receiver(["500"]).start(port)
    try:
        with caplog.at_level(logging.WARNING, logger="newswatch.alerts"):
            report = drain(sessions, channels, passes=FAST.max_attempts + 2)
        assert (report.failed, report.dead) == (FAST.max_attempts - 1, 1)
        # each failed delivery logged where people look: WARNING with the next try, ERROR when dead
        failed = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        dead = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(failed) == FAST.max_attempts - 1 and len(dead) == 1, caplog.text
        assert all(f"channel hook, event {new_event().id}" in m and "500" in m and "next try at" in m
                   for m in failed), failed
        assert f"channel hook, event {new_event().id}, {FAST.max_attempts} attempts failed" in dead[0]
        assert states(sessions) == ["dead"]
        with transaction(sessions) as session:
            assert retry(session, dead=True) == 1
        receiver.script[:] = ["200"]
        assert drain(sessions, channels).sent == 1
    finally:
        receiver.stop()
    assert states(sessions) == ["sent"] and receiver.delivered == [new_event().id]


def test_backoff_grows_with_jitter() -> None:
    import random

    policy = RetryPolicy(backoff_seconds=30.0, backoff_max_seconds=600.0)
    rng = random.Random(1)
    delays = [policy.delay(n, rng) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        base = min(600.0, 30.0 * 2 ** (n - 1))
        assert 0.5 * base <= delay <= 1.5 * base


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    url = f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield tmp_path, url


def _deliver_process(folder: Path, port: int) -> subprocess.Popen[str]:
    config = folder / "newswatch.toml"
    config.write_text(
        '[alerts]\nlease_seconds = 1.0\nbackoff_seconds = 0.0\n[[alerts.channels]]\nname = "hook"\n'
        f'kind = "webhook"\nurl = "http://127.0.0.1:{port}/hook"\ntimeout = 30.0\nsecret_env = "HOOK_SECRET"\n',
        encoding="utf-8")
    code = NEWSWATCH_CLI
    env = {**os.environ, **SECRET, "PYTHONPATH": str(ROOT)}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-W", "error", "-c", code, "--config", str(config), "alerts", "deliver"],
                            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_worker_killed_mid_send_loses_nothing(sqlite_workspace: tuple[Path, str]) -> None:
    folder, url = sqlite_workspace
    port = free_port()
    sessions = session_factory(make_engine(url))
    with transaction(sessions) as session:
        record_event(session, changed_event())
    receiver = Receiver(["hang", "200"]).start(port)
    try:
        victim = _deliver_process(folder, port)
        deadline = time.monotonic() + 30
        while not receiver.seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.seen, "the worker never reached the receiver"
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=10)
        assert victim.returncode == -signal.SIGKILL
        assert states(sessions) == ["pending"], "a send cut short stays pending"
        time.sleep(1.2)  # the killed worker's lease runs out
        again = _deliver_process(folder, port)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
        assert "sent 1" in out
    finally:
        receiver.stop()
    assert receiver.delivered == [changed_event().id]
    assert len(receiver.seen) == 2 and states(sessions) == ["sent"]


def test_mail_waits_in_the_outbox_until_smtp_comes_back(sessions: sessionmaker[Session]) -> None:
    from aiosmtpd.controller import Controller

    from tests.monitor.smtp_server import Collector

    port = free_port()
    mail = ChannelConfig(name="desk", kind="email", host="127.0.0.1", port=port, security="none",
                         sender="newswatch@example.org", recipients=("desk@example.org",), timeout=2.0)
    channels = channels_for(mail)
    with transaction(sessions) as session:
        for event in (new_event(), changed_event()):
            record_event(session, event)
    refused = deliver_pending(sessions, channels, FAST)
    assert (refused.sent, refused.failed) == (0, 2) and states(sessions) == ["pending", "pending"]
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert drain(sessions, channels).sent == 2
    finally:
        controller.stop()
    ids = [r.message["X-Newswatch-Event-Id"] for r in collector.received]
    assert sorted(ids) == sorted([new_event().id, changed_event().id])
    assert states(sessions) == ["sent", "sent"]
