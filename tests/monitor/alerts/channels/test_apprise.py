"""The Apprise channel against real local receivers: ``json://`` and ``form://`` to a loopback HTTP server,
``mailto://`` to aiosmtpd; through the outbox (a failure is retried, then dead, never lost) and through
``newswatch run``. Apprise URLs carry tokens: errors and reprs show only the scheme."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import apprise
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from apprise.decorators import notify
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from newswatch.monitor.alerts.channels.apprise_channel import AppriseChannel, load_plugins, render_message, split_urls
from newswatch.monitor.alerts.outbox import RetryPolicy, deliver_pending
from newswatch.monitor.alerts.registry import build_channels
from newswatch.monitor.alerts.rules import Rules
from newswatch.monitor.alerts.settings import AlertsConfig, ChannelConfig
from newswatch.monitor.changes.emit import record_event
from newswatch.storage.engine import transaction
from newswatch.storage.errors import ConfigError, DeliveryError
from newswatch.storage.models import AlertOutbox
from tests.crawler.fixture_site import CASSETTE, FIXED_PORT, write_workspace
from tests.crawler.site_server import SeenRequest, SiteServer
from tests.crawler.test_run import migrate, newswatch
from tests.monitor.receiver import free_port
from tests.monitor.sample_events import all_events, changed_event, failing_event, new_event

FAST = RetryPolicy(max_attempts=3, backoff_seconds=0.0, backoff_max_seconds=0.0, lease_seconds=0.0)
EVENT_LINE = re.compile(r"^Event (\S+) ([0-9a-f]{32})$", re.MULTILINE)
load_plugins()  # before the custom plug-ins below register themselves with Apprise


@notify(on="nwfalse")  # an Apprise custom notification (Apprise's own plug-in API) that reports failure
def _refuses(body: str, title: str, notify_type: str, *args: Any, **kwargs: Any) -> bool:
    return False


@notify(on="nwboom")  # one that raises inside Apprise
def _explodes(body: str, title: str, notify_type: str, *args: Any, **kwargs: Any) -> bool:
    raise RuntimeError("the service exploded")


class Inbox:
    """aiosmtpd handler keeping every mail."""

    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.mails.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"


@pytest.fixture
def inbox() -> Iterator[tuple[int, Inbox]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


@pytest.fixture
def http() -> Iterator[SiteServer]:
    server = SiteServer().start()
    server.add("/json", b"")
    server.add("/form", b"")
    try:
        yield server
    finally:
        server.stop()


def mailto(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?smtp=127.0.0.1&mode=insecure&from=newswatch@example.org&to=desk@example.org"


def channel(*urls: str, **values: Any) -> AppriseChannel:
    config = ChannelConfig(name="chat", kind="apprise", urls=urls, **values)
    return AppriseChannel.from_config(config, {}, "alerts.channels[0]")


def posts(server: SiteServer, path: str) -> list[SeenRequest]:
    return [r for r in server.requests if r.method == "POST" and r.path == path]


def event_ids(text: str) -> list[str]:
    return [match.group(2) for match in EVENT_LINE.finditer(text)]


def test_json_form_and_mailto_each_get_the_event(http: SiteServer, inbox: tuple[int, Inbox]) -> None:
    port, handler = inbox
    event = changed_event()
    channel(http.url("/json").replace("http://", "json://"), http.url("/form").replace("http://", "form://"),
            mailto(port)).send([event])
    [posted] = posts(http, "/json")
    data = json.loads(posted.body)
    assert data["title"] == "[newswatch] 更新：短缺药品保供稳价 全力保障临床用药需求 (addition)"
    assert event_ids(data["message"]) == [event.id] and "{+预警+}" in data["message"]
    [form] = posts(http, "/form")
    fields = parse_qs(form.body.decode("ascii"))
    assert fields["title"] == [data["title"]] and fields["message"] == [data["message"]]
    [mail] = handler.mails
    assert mail["Subject"] == data["title"] and mail["To"] == "desk@example.org"
    assert event.id in mail.get_body(("plain",)).get_content()


def test_a_digest_is_one_notification_listing_every_event(http: SiteServer) -> None:
    events = all_events()
    channel(http.url("/json").replace("http://", "json://"), digest=True).send(events)
    [posted] = posts(http, "/json")
    data = json.loads(posted.body)
    assert data["title"] == "[newswatch] 4 events: 1 new, 1 changed, 1 anomalous, 1 failing"
    assert event_ids(data["message"]) == [e.id for e in events]
    assert data["type"] == "warning", "a failing source makes it a warning"


def test_failures_are_retried_from_the_outbox_then_dead_never_lost(sessions: sessionmaker[Any],
                                                                  http: SiteServer) -> None:
    http.add("/json", b"down for maintenance", status=503)
    url = http.url("/json").replace("http://", "json://")
    channels = build_channels(AlertsConfig(channels=(ChannelConfig(name="chat", kind="apprise", urls=(url,)),)),
                              {})
    with transaction(sessions) as session:
        for event in (new_event(), changed_event()):
            record_event(session, event)
    first = deliver_pending(sessions, channels, FAST)
    assert (first.sent, first.failed) == (0, 2)
    with sessions() as session:
        rows = session.execute(select(AlertOutbox).order_by(AlertOutbox.id)).scalars().all()
        assert [r.state for r in rows] == ["pending", "pending"]
        assert all("apprise channel 'chat'" in (r.last_error or "") and "503" in (r.last_error or "")
                   for r in rows), [r.last_error for r in rows]
    http.add("/json", b"")
    assert deliver_pending(sessions, channels, FAST).sent == 2
    received = [event_ids(json.loads(r.body)["message"]) for r in posts(http, "/json")]
    assert sorted(i for ids in received[2:] for i in ids) == sorted([new_event().id, changed_event().id])

    http.add("/json", b"", status=500)
    with transaction(sessions) as session:
        record_event(session, failing_event())
    reports = [deliver_pending(sessions, channels, FAST) for _ in range(FAST.max_attempts)]
    assert [(r.failed, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    with sessions() as session:
        states = session.execute(select(AlertOutbox.state).order_by(AlertOutbox.id)).scalars().all()
    assert states == ["sent", "sent", "dead"], "the dead row waits for `alerts retry --dead`"


def test_connection_refused_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="apprise channel 'chat': delivery failed"):
        channel(f"json://127.0.0.1:{free_port()}/in").send([new_event()])


@pytest.mark.parametrize("url", ["nwfalse://anything", "nwboom://anything"], ids=["returns-false", "plugin-raises"])
def test_a_service_that_fails_or_raises_is_a_delivery_error(url: str) -> None:
    with pytest.raises(DeliveryError, match="apprise channel 'chat': delivery failed"):
        channel(url).send([new_event()])


class RaisingApprise(apprise.Apprise):
    """The one stand-in: Apprise catches its plug-ins' errors, so nothing real makes notify() itself raise."""

    def notify(self, *args: Any, **kwargs: Any) -> Any:
        raise OSError("notify() itself failed")


def test_notify_raising_is_a_delivery_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apprise, "Apprise", RaisingApprise)
    hook = AppriseChannel("chat", Rules(()), ("json://127.0.0.1:9/in",))
    with pytest.raises(DeliveryError, match=r"notify\(\) raised OSError: notify\(\) itself failed"):
        hook.send([new_event()])


def test_urls_from_the_environment_are_added_and_never_shown() -> None:
    secret = "tgram://123456:AAE-SECRET-TOKEN/-100200300"
    config = ChannelConfig(name="chat", kind="apprise", urls=("json://127.0.0.1:9/in",), urls_env="CHAT_URLS")
    built = AppriseChannel.from_config(config, {"CHAT_URLS": f"  {secret}\n{mailto(25)}\n"}, "w")
    assert built.urls == ("json://127.0.0.1:9/in", secret, mailto(25))
    assert "SECRET" not in repr(built) and "tgram://…" in repr(built)
    assert split_urls("a://x,y  b://z\n\tc://w") == ("a://x,y", "b://z", "c://w")


@pytest.mark.parametrize(("values", "environ", "key", "message"), [
    ({}, {}, "urls", "needs Apprise URLs"),
    ({"urls_env": "CHAT_URLS"}, {}, "urls_env", "CHAT_URLS is not set or empty"),
    ({"urls_env": "CHAT_URLS"}, {"CHAT_URLS": "  \n"}, "urls_env", "CHAT_URLS is not set or empty"),
    ({"urls": ("nosuchservice://tok3n@host",)}, {}, "urls", r"does not accept URL 1 \(nosuchservice://…\)"),
    ({"urls": ("json://ok/in",), "urls_env": "CHAT_URLS"}, {"CHAT_URLS": "json://ok/x tok3n-without-scheme"},
     "urls_env", r"does not accept URL 2 \(\(not a URL\)\)"),
], ids=["no-urls", "env-unset", "env-blank", "unknown-service", "garbage-in-env"])
def test_config_errors_name_the_key_and_hide_the_url(values: dict[str, Any], environ: dict[str, str], key: str,
                                                     message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        AppriseChannel.from_config(ChannelConfig(name="chat", kind="apprise", **values), environ, "alerts.channels[1]")
    assert caught.value.key == f"alerts.channels[1].{key}"
    assert "tok3n" not in str(caught.value)


def test_render_is_pure() -> None:
    events = [new_event(), changed_event()]
    assert render_message(events) == render_message(events)
    assert render_message([new_event()]).notify_type == "info"


def test_newswatch_run_alerts_through_apprise(tmp_path: Path) -> None:
    hook = SiteServer().start()
    hook.add("/in", b"")
    config = write_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
    config.write_text(config.read_text(encoding="utf-8") + '[[alerts.channels]]\nname = "chat"\nkind = "apprise"\n'
                      'urls_env = "CHAT_URLS"\n', encoding="utf-8")
    try:
        migrate(config)
        result = newswatch(config, "run", "--replay", str(CASSETTE),
                           env={"CHAT_URLS": hook.url("/in").replace("http://", "json://")})
    finally:
        hook.stop()
    assert result.returncode == 0, result.stderr[-2000:]
    delivered = [event_ids(json.loads(r.body)["message"]) for r in posts(hook, "/in")]
    assert len(delivered) == 5 and all(len(ids) == 1 for ids in delivered)
    assert len({ids[0] for ids in delivered}) == 5, "five new articles, each notified once"
