"""Scheduled digests (``digest = "daily 08:00"`` / ``"weekly mon 08:00"`` in ``digest_timezone``): the
schedule is pure; the outbox holds a period's events as pending and sends them once, in one mail, at the
due time (SQLite and PostgreSQL); a failed or killed send is retried as the same mail, never lost or doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from newswatch.monitor.alerts.digest import DigestSchedule, parse_digest
from newswatch.monitor.alerts.outbox import RetryPolicy, deliver_pending
from newswatch.monitor.alerts.registry import Channel, build_channels
from newswatch.monitor.alerts.settings import AlertsConfig, ChannelConfig
from newswatch.monitor.changes.emit import record_event
from newswatch.monitor.changes.events import Event
from newswatch.monitor.config.model import load_config
from newswatch.storage.engine import make_engine, session_factory, transaction
from newswatch.storage.errors import ConfigError
from newswatch.storage.migrate import upgrade
from newswatch.storage.models import AlertOutbox
from tests.conftest import NEWSWATCH_CLI, ROOT
from tests.monitor.receiver import free_port
from tests.monitor.sample_events import anomaly_event, changed_event, failing_event, new_event

SHANGHAI = "Asia/Shanghai"
FAST = RetryPolicy(max_attempts=5, backoff_seconds=60.0, backoff_max_seconds=60.0, lease_seconds=1.0)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# -- the schedule (pure) ------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "zone", "after", "due"), [
    ("daily 08:00", "UTC", "2025-02-11T07:59:00+00:00", "2025-02-11T08:00:00+00:00"),
    ("daily 08:00", "UTC", "2025-02-11T08:00:00+00:00", "2025-02-12T08:00:00+00:00"),  # strictly after
    ("daily 08:00", SHANGHAI, "2025-02-11T07:30:00+08:00", "2025-02-11T08:00:00+08:00"),
    ("daily 08:00", SHANGHAI, "2025-02-11T01:00:00+00:00", "2025-02-12T08:00:00+08:00"),  # 09:00 there
    ("weekly mon 08:00", "UTC", "2025-02-11T00:00:00+00:00", "2025-02-17T08:00:00+00:00"),  # a Tuesday
    ("weekly mon 08:00", "UTC", "2025-02-17T07:00:00+00:00", "2025-02-17T08:00:00+00:00"),
    ("weekly Monday 08:00", "UTC", "2025-02-17T08:00:00+00:00", "2025-02-24T08:00:00+00:00"),
    ("weekly sun 23:30", SHANGHAI, "2025-02-16T15:00:00+00:00", "2025-02-16T23:30:00+08:00"),
    ("daily 08:00", "Europe/Berlin", "2025-03-29T12:00:00+01:00", "2025-03-30T08:00:00+02:00"),  # DST begins
    ("daily 02:30", "Europe/Berlin", "2025-03-29T12:00:00+01:00", "2025-03-30T03:30:00+02:00"),  # no 02:30
    ("daily 02:30", "Europe/Berlin", "2025-10-25T12:00:00+02:00", "2025-10-26T02:30:00+02:00"),  # two: first
    # where APScheduler's CronTrigger in the zone itself goes wrong (digest.py says how it is avoided)
    ("daily 02:30", "Europe/Berlin", "2025-03-30T03:10:00+02:00", "2025-03-30T03:30:00+02:00"),  # past the gap
    ("daily 02:30", "Europe/Berlin", "2025-10-26T02:10:00+01:00", "2025-10-27T02:30:00+01:00"),  # no second one
    ("daily 00:00", "Europe/Berlin", "2024-03-31T00:10:00+01:00", "2024-04-01T00:00:00+02:00"),  # next day kept
    ("daily 00:30", "America/Santiago", "2025-09-06T12:00:00-04:00", "2025-09-07T01:30:00-03:00"),  # no midnight
    ("weekly sun 02:30", "Europe/Berlin", "2025-03-30T02:00:00+02:00", "2025-03-30T03:30:00+02:00"),
], ids=["before", "at-the-time", "shanghai", "shanghai-past", "weekly", "weekly-same-day", "weekly-full-name",
        "weekly-late", "dst-begins", "dst-gap", "dst-fold", "dst-gap-after-the-change", "dst-fold-second-pass",
        "dst-midnight-next-day", "dst-gap-at-midnight", "weekly-dst-gap"])
def test_next_due(spec: str, zone: str, after: str, due: str) -> None:
    assert DigestSchedule.parse(spec, zone).next_due(utc(after)) == utc(due)


@pytest.mark.parametrize(("value", "zone", "message"), [
    ("hourly", "UTC", "expected false, true"),
    ("daily 8am", "UTC", "HH:MM"),
    ("daily 24:00", "UTC", "not a time of day"),
    ("daily 08:60", "UTC", "not a time of day"),
    ("weekly 08:00", "UTC", "expected false, true"),
    ("weekly someday 08:00", "UTC", "not a day of the week"),
    ("daily 08:00", "Mars/Olympus", "not an IANA time zone"),
    (True, "Asia/Nowhere", "not an IANA time zone"),
], ids=["unknown-period", "bad-time", "hour-24", "minute-60", "weekly-no-day", "bad-day", "bad-zone",
        "bad-zone-with-true"])
def test_bad_schedules_say_why(value: bool | str, zone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_digest(value, zone)


def test_true_and_false_keep_their_meaning() -> None:
    assert parse_digest(True, "UTC") == (True, None)  # one message per delivery pass
    assert parse_digest(False, "UTC") == (False, None)  # one message per event


@pytest.mark.parametrize(("lines", "key", "message"), [
    ('digest = "daily 8"', "digest", "HH:MM"),
    ('digest = 3', "digest", "expected true or false or a string"),
    ('digest = "daily 08:00"\ndigest_timezone = "Shanghai"', "digest_timezone", "not an IANA time zone"),
], ids=["bad-time", "not-bool-or-string", "bad-zone"])
def test_config_errors_name_the_key(tmp_path: Path, lines: str, key: str, message: str) -> None:
    path = tmp_path / "newswatch.toml"
    path.write_text(f'[[alerts.channels]]\nname = "m"\nkind = "email"\n{lines}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path, environ={})
    assert caught.value.key == f"alerts.channels[0].{key}"


def test_a_schedule_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "newswatch.toml"
    path.write_text('[[alerts.channels]]\nname = "m"\nkind = "email"\nhost = "h"\nsender = "a@example.org"\n'
                    'recipients = ["b@example.org"]\ndigest = "weekly mon 08:00"\ndigest_timezone = "Asia/Shanghai"\n',
                    encoding="utf-8")
    [desk] = build_channels(load_config(path, environ={}).alerts, {})
    assert desk.digest and desk.schedule == DigestSchedule("weekly", 8, 0, 0, SHANGHAI)


# -- through the outbox -------------------------------------------------------------------------------

class Inbox:
    """aiosmtpd handler: keeps every mail; ``hang`` makes the next DATA wait (a send cut short)."""

    def __init__(self) -> None:
        self.mails: list[bytes] = []
        self.hang = False
        self.data_calls = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_calls += 1
        if self.hang:
            self.hang = False
            await asyncio.sleep(30)
            return "451 4.3.0 too late"
        assert isinstance(envelope.content, bytes)
        self.mails.append(envelope.content)
        return "250 Message accepted"

    def subjects(self) -> list[str]:
        from email import message_from_bytes
        from email.policy import default

        return [" ".join(str(message_from_bytes(mail, policy=default)["Subject"]).split()) for mail in self.mails]

    def event_ids(self) -> list[list[str]]:
        from email import message_from_bytes
        from email.policy import default

        return [str(message_from_bytes(m, policy=default)["X-Newswatch-Event-Id"]).split() for m in self.mails]


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def desk(port: int, digest: bool | str = "daily 08:00", zone: str = SHANGHAI) -> ChannelConfig:
    return ChannelConfig(name="desk", kind="email", host="127.0.0.1", port=port, security="none", timeout=5.0,
                         sender="newswatch@example.org", recipients=("desk@example.org",), digest=digest,
                         digest_timezone=zone, events=("article.new", "article.changed", "article.anomaly",
                                                       "source.failing"))


def channels_for(config: ChannelConfig) -> tuple[Channel, ...]:
    return build_channels(AlertsConfig(channels=(config,)), {})


def at(event: Event, when: str) -> tuple[Event, datetime]:
    return event, utc(when)


def states(sessions: sessionmaker[Any]) -> list[str]:
    with sessions() as session:
        return list(session.execute(select(AlertOutbox.state).order_by(AlertOutbox.id)).scalars())


def test_a_daily_digest_sends_the_periods_events_once_at_the_due_time(
        sessions: sessionmaker[Any], smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    channels = channels_for(desk(port))
    with transaction(sessions) as session:
        for event, when in (at(new_event(), "2025-02-11T07:00:00+08:00"),
                            at(changed_event(), "2025-02-11T07:30:00+08:00"),
                            at(anomaly_event(), "2025-02-11T08:10:00+08:00")):
            record_event(session, event, when)

    def deliver(when: str) -> int:
        return deliver_pending(sessions, channels, FAST, clock=lambda: utc(when)).sent

    assert deliver("2025-02-11T07:59:59+08:00") == 0 and inbox.mails == []
    assert deliver("2025-02-11T08:00:30+08:00") == 2
    assert inbox.subjects() == ["[newswatch] daily digest (08:00 Asia/Shanghai): 2 events: 1 new, 1 changed"]
    assert inbox.event_ids() == [[new_event().id, changed_event().id]]
    assert deliver("2025-02-11T09:00:00+08:00") == 0, "sent once"
    assert deliver("2025-02-12T08:00:00+08:00") == 1
    assert inbox.event_ids()[1] == [anomaly_event().id]
    assert states(sessions) == ["sent", "sent", "sent"]


def test_two_workers_at_the_due_time_send_one_mail(sessions: sessionmaker[Any], smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    channels = channels_for(desk(port, "weekly mon 08:00", "UTC"))
    with transaction(sessions) as session:
        for event in (new_event(), changed_event(), failing_event()):
            record_event(session, event, utc("2025-02-12T10:00:00+00:00"))
    due = utc("2025-02-17T08:00:05+00:00")
    results: list[int] = []
    workers = [threading.Thread(target=lambda: results.append(
        deliver_pending(sessions, channels, FAST, clock=lambda: due).sent)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(results) == [0, 3] and len(inbox.mails) == 1
    assert inbox.subjects() == ["[newswatch] weekly digest (mon 08:00 UTC): 3 events: 1 new, 1 changed, 1 failing"]


def test_a_failed_digest_is_retried_as_one_mail(sessions: sessionmaker[Any]) -> None:
    port = free_port()  # nobody listening at the due time
    channels = channels_for(desk(port))
    with transaction(sessions) as session:
        for event in (new_event(), changed_event()):
            record_event(session, event, utc("2025-02-11T07:00:00+08:00"))
    report = deliver_pending(sessions, channels, FAST, clock=lambda: utc("2025-02-11T08:00:00+08:00"))
    assert (report.sent, report.failed) == (0, 2)
    with sessions() as session:
        retry_at = set(session.execute(select(AlertOutbox.next_attempt_at)).scalars())
    assert len(retry_at) == 1, "one backoff for the rows of one mail"
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        later = retry_at.pop() + timedelta(seconds=1)
        assert deliver_pending(sessions, channels, FAST, clock=lambda: later).sent == 2
    finally:
        controller.stop()
    assert inbox.event_ids() == [[new_event().id, changed_event().id]]


def test_digest_true_is_one_mail_per_delivery_pass(sessions: sessionmaker[Any], smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    channels = channels_for(desk(port, True))
    with transaction(sessions) as session:
        for event in (new_event(), changed_event()):
            record_event(session, event)
    assert deliver_pending(sessions, channels, FAST).sent == 2
    assert inbox.subjects() == ["[newswatch] 2 events: 1 new, 1 changed"]


def _deliver_process(folder: Path, port: int) -> subprocess.Popen[str]:
    config = folder / "newswatch.toml"
    config.write_text(
        '[alerts]\nlease_seconds = 1.0\nbackoff_seconds = 0.0\n[[alerts.channels]]\nname = "desk"\nkind = "email"\n'
        f'host = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 60.0\nsender = "newswatch@example.org"\n'
        'recipients = ["desk@example.org"]\ndigest = "daily 08:00"\ndigest_timezone = "Asia/Shanghai"\n'
        'events = ["article.new", "article.changed", "source.failing"]\n', encoding="utf-8")
    code = NEWSWATCH_CLI
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-W", "error", "-c", code, "--config", str(config), "alerts", "deliver"],
                            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_worker_killed_mid_digest_loses_and_doubles_nothing(tmp_path: Path, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    url = f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    events = [new_event(), changed_event(), failing_event()]  # routed by the delivering process's channel
    with transaction(sessions) as session:
        for event in events:  # yesterday's events: the digest is due now
            record_event(session, event, datetime.now(UTC) - timedelta(days=2))
    inbox.hang = True
    victim = _deliver_process(tmp_path, port)
    try:
        deadline = time.monotonic() + 30
        while inbox.data_calls == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert inbox.data_calls == 1, "the worker never reached DATA"
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=10)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert states(sessions) == ["pending"] * 3, "a digest cut short stays pending"
    time.sleep(1.2)  # the killed worker's lease runs out
    again = _deliver_process(tmp_path, port)
    out, err = again.communicate(timeout=60)
    engine.dispose()
    assert again.returncode == 0, err
    assert "sent 3" in out
    assert inbox.event_ids() == [[e.id for e in events]], "one mail with every event of the period"
    assert states(sessions) == ["sent"] * 3
