"""The webhook receiver fixture: real HTTP on loopback, signatures checked with newswatch's own helper."""

from __future__ import annotations

import http.client
import json
import time
from datetime import UTC, datetime

import pytest

from newswatch.monitor.alerts.channels.webhook import HEADER_SIGNATURE, render_request
from newswatch.monitor.changes.events import ArticleInfo, Event
from newswatch.monitor.testing import WebhookReceiver
from newswatch.monitor.testing.channels import channel_spec

EVENT = Event("0" * 32, "article.new", datetime(2025, 5, 1, 8, 0, tzinfo=UTC), "测试新闻",
              ArticleInfo("http://127.0.0.1:38527/a.html", "标题", version=1))


def post(receiver: WebhookReceiver, body: bytes, headers: dict[str, str], method: str = "POST") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
    try:
        connection.request(method, "/newswatch", body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def signed(secret: str, now: float | None = None) -> tuple[bytes, dict[str, str]]:
    request = render_request(EVENT, secret, time.time() if now is None else now)
    return request.body, dict(request.headers)


@pytest.mark.parametrize(("secret", "age", "verified"), [
    ("right", 0, True),
    ("wrong", 0, False),
    ("right", 3600, False),  # outside the replay window verify_signature allows
], ids=["valid", "wrong-secret", "stale"])
def test_each_delivery_is_kept_with_its_verdict(webhook_receiver: WebhookReceiver, secret: str, age: int,
                                                verified: bool) -> None:
    webhook_receiver.secret = "right" if secret == "right" else "the-receivers-secret"
    body, headers = signed("right", time.time() - age)
    assert post(webhook_receiver, body, headers) == 200
    (delivery,) = webhook_receiver.deliveries
    assert delivery.verified is verified
    assert delivery.body == body and delivery.path == "/newswatch"
    assert delivery.headers[HEADER_SIGNATURE.lower()] == headers[HEADER_SIGNATURE]
    assert delivery.event_id == EVENT.id and delivery.event_type == "article.new"
    assert delivery.event == EVENT  # the payload as newswatch's typed event
    assert webhook_receiver.verified == ((delivery,) if verified else ())


def test_unsigned_and_non_json_bodies_are_kept_unverified(webhook_receiver: WebhookReceiver) -> None:
    assert post(webhook_receiver, b"not json", {"Content-Type": "text/plain"}) == 200
    (delivery,) = webhook_receiver.deliveries
    assert (delivery.verified, delivery.payload) == (False, None)
    with pytest.raises(ValueError, match="no JSON object body"):
        _ = delivery.event


def test_scripted_answers_then_200(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.respond_with(500, 503)
    body, headers = signed(webhook_receiver.secret)
    assert [post(webhook_receiver, body, headers) for _ in range(3)] == [500, 503, 200]
    assert [d.status for d in webhook_receiver.deliveries] == [500, 503, 200]
    with pytest.raises(ValueError, match="100-599"):
        webhook_receiver.respond_with(42)


def test_oversized_missing_length_and_wrong_method_are_refused() -> None:
    with WebhookReceiver(max_body=64) as receiver:
        body, headers = signed(receiver.secret)
        assert post(receiver, body, headers) == 413
        (delivery,) = receiver.deliveries
        assert (delivery.status, delivery.body, delivery.verified) == (413, b"", False)
        connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
        connection.putrequest("POST", "/newswatch")
        connection.endheaders()
        assert connection.getresponse().status == 411
        connection.close()
        assert post(receiver, b"", {}, method="GET") == 405
        assert len(receiver.deliveries) == 1
    with pytest.raises(RuntimeError, match="not started"):
        _ = receiver.url


def test_the_receiver_is_a_webhook_channel_without_its_secret_in_the_config() -> None:
    with WebhookReceiver(secret="s3cret", name="hook") as receiver:
        spec = channel_spec(receiver, "channels[0]")
        assert dict(spec.table) == {"name": "hook", "kind": "webhook", "url": receiver.url,
                                    "secret_env": f"NEWSWATCH_TEST_WEBHOOK_SECRET_{receiver.port}"}
        assert dict(spec.env) == {f"NEWSWATCH_TEST_WEBHOOK_SECRET_{receiver.port}": "s3cret"}
        assert spec.receiver is receiver
        ruled = receiver.channel("other", events=["article.changed"], change_classes=["title"])
        assert ruled.table["events"] == ["article.changed"] and ruled.name == "other"
        assert "s3cret" not in repr(receiver) + repr(spec) + json.dumps(dict(spec.table))
