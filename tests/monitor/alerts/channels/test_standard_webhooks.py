"""Standard Webhooks signing (``signing = "standard"``): what a receiver gets verifies with the
``standardwebhooks`` library (standardwebhooks.com), through the outbox and through ``newswatch alerts test``;
the ``Newswatch-Signature`` mode stays the default."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from newswatch.monitor.alerts.channels.signing import sign_standard, standard_key
from newswatch.monitor.alerts.channels.webhook import WebhookChannel, verify_signature
from newswatch.monitor.alerts.outbox import RetryPolicy, deliver_pending
from newswatch.monitor.alerts.registry import build_channels
from newswatch.monitor.alerts.settings import AlertsConfig, ChannelConfig
from newswatch.monitor.changes.emit import record_event
from newswatch.storage.engine import transaction
from newswatch.storage.errors import ConfigError
from tests.crawler.test_run import migrate, newswatch
from tests.monitor.receiver import Receiver, free_port
from tests.monitor.sample_events import changed_event, new_event

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()  # 32 bytes, as `openssl rand -base64 32`
OTHER = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()
FAST = RetryPolicy(max_attempts=4, backoff_seconds=0.0, backoff_max_seconds=0.0, lease_seconds=0.0)


def hook(port: int, signing: str = "standard") -> ChannelConfig:
    return ChannelConfig(name="hook", kind="webhook", url=f"http://127.0.0.1:{port}/in", timeout=2.0,
                         secret_env="HOOK_SECRET", signing=signing)


def verified(secret: str, headers: dict[str, str], body: bytes) -> Any:
    return Webhook(secret).verify(body, headers)


def test_a_delivered_webhook_verifies_with_the_standardwebhooks_library(sessions: sessionmaker[Session]) -> None:
    port = free_port()
    channels = build_channels(AlertsConfig(channels=(hook(port),)), {"HOOK_SECRET": SECRET})
    with transaction(sessions) as session:
        for event in (new_event(), changed_event()):
            record_event(session, event)
    receiver = Receiver(["500", "200"]).start(port)  # the first attempt fails: a retry is signed afresh
    try:
        for _ in range(4):
            deliver_pending(sessions, channels, FAST)
    finally:
        receiver.stop()
    assert len(receiver.seen) == 3 and receiver.unique == {new_event().id, changed_event().id}
    for headers, body in receiver.seen:
        payload = verified(SECRET, headers, body)
        assert headers["webhook-id"] == payload["id"], "webhook-id is the event id: the receiver's dedup key"
        assert headers["webhook-signature"].startswith("v1,")
        assert "newswatch-signature" not in headers
        with pytest.raises(WebhookVerificationError):
            verified(OTHER, headers, body)
        with pytest.raises(WebhookVerificationError):
            verified(SECRET, headers, body + b" ")
    retried = [h["webhook-id"] for h, _ in receiver.seen]
    assert retried.count(retried[0]) == 2, "the retry carries the same webhook-id"


def test_the_default_signing_stays_newswatch_signature() -> None:
    channel = WebhookChannel.from_config(hook(1, signing="newswatch"), {"HOOK_SECRET": "plain secret"}, "w")
    default = WebhookChannel.from_config(ChannelConfig(name="d", kind="webhook", url="http://127.0.0.1:1/",
                                                       secret_env="HOOK_SECRET"), {"HOOK_SECRET": "k"}, "w")
    assert default.signing.kind == "newswatch"
    request = channel.render(new_event(), now=1_739_262_600.0)
    assert verify_signature("plain secret", request.body, dict(request.headers), now=1_739_262_600.0)
    assert not any(name.startswith("webhook-") for name in request.headers)


def test_the_signature_is_the_specs_hmac_over_id_timestamp_body() -> None:
    key = standard_key(SECRET)
    assert key == bytes(range(32))
    library = Webhook(SECRET)
    from datetime import UTC, datetime

    body = json.dumps({"x": "中文"}, ensure_ascii=False)
    when = datetime.fromtimestamp(1_739_262_600, UTC)
    assert sign_standard(key, "msg_1", 1_739_262_600, body.encode()) == library.sign("msg_1", when, body)


@pytest.mark.parametrize(("secret", "message"), [
    ("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", "starts with whsec_"),
    ("whsec_not base64!", "is base64"),
    ("whsec_" + base64.b64encode(b"short").decode(), "24 to 64 bytes, this one 5"),
    ("whsec_" + base64.b64encode(bytes(65)).decode(), "24 to 64 bytes, this one 65"),
    ("whsec_" + "A" * 33, "not valid base64"),
], ids=["no-prefix", "not-base64", "too-short", "too-long", "bad-length"])
def test_a_bad_standard_secret_is_a_config_error_naming_the_key(secret: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        WebhookChannel.from_config(hook(1), {"HOOK_SECRET": secret}, "alerts.channels[0]")
    assert caught.value.key == "alerts.channels[0].secret_env"
    assert secret not in str(caught.value)


def test_an_unknown_signing_is_refused_when_the_file_is_read(tmp_path: Path) -> None:
    from newswatch.monitor.config.model import load_config

    path = tmp_path / "newswatch.toml"
    path.write_text('[[alerts.channels]]\nname = "h"\nkind = "webhook"\nsigning = "stripe"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="expected one of newswatch, standard") as caught:
        load_config(path, environ={})
    assert caught.value.key == "alerts.channels[0].signing"


def test_alerts_test_sends_a_standard_webhook_a_receiver_verifies(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "newswatch.toml"
    config.write_text(f'[[alerts.channels]]\nname = "hook"\nkind = "webhook"\nurl = "http://127.0.0.1:{port}/in"\n'
                      'secret_env = "HOOK_SECRET"\nsigning = "standard"\n', encoding="utf-8")
    migrate(config)
    receiver = Receiver(["200"]).start(port)
    try:
        result = newswatch(config, "alerts", "test", "hook", env={"HOOK_SECRET": SECRET})
    finally:
        receiver.stop()
    assert result.returncode == 0, result.stderr
    [(headers, body)] = receiver.seen
    assert verified(SECRET, headers, body)["type"] == "article.new"
