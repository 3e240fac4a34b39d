"""Webhook channel against a real HTTP receiver on loopback: payload, signature, failures, config."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator

from newswatch.monitor.alerts.channels.webhook import (
    CONTENT_TYPE,
    HEADER_EVENT_ID,
    HEADER_EVENT_TYPE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    WebhookChannel,
    render_request,
    sign,
    verify_signature,
)
from newswatch.monitor.alerts.registry import Channel
from newswatch.monitor.alerts.rules import Rules
from newswatch.monitor.changes.detect import CHANGE_CLASSES, FIELDS
from newswatch.monitor.changes.events import EVENT_TYPES, Event
from newswatch.monitor.config.model import ChannelConfig
from newswatch.storage.errors import ConfigError, DeliveryError
from tests.conftest import ROOT
from tests.monitor.sample_events import all_events, changed_event, new_event

SECRET = "whsec-测试-0123456789"
NOW = 1_739_262_600.0  # 2025-02-11T08:30:00Z
EVENTS = all_events()
EVENT_IDS = [event.type for event in EVENTS]


@dataclass
class Received:
    method: str
    path: str
    headers: Message
    body: bytes


class RecordingServer(ThreadingHTTPServer):
    """Records every request; answers per path from ``routes`` (status, extra headers), else 200."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.requests: list[Received] = []
        self.routes: dict[str, tuple[int, dict[str, str]]] = {}
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"

    def paths(self) -> list[str]:
        with self.lock:
            return [urlsplit(r.path).path for r in self.requests]


class RecordingHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        server = cast(RecordingServer, self.server)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with server.lock:
            server.requests.append(Received(self.command, self.path, self.headers, body))
        status, headers = server.routes.get(urlsplit(self.path).path, (200, {}))
        reply = b"" if status < 300 else f"receiver says {status}".encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_POST = _answer
    do_GET = _answer


@pytest.fixture
def receiver() -> Iterator[RecordingServer]:
    server = RecordingServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@dataclass
class SilentReceiver:
    """Accepts connections and never answers, until released."""

    sock: socket.socket
    release: threading.Event = field(default_factory=threading.Event)
    accepted: list[socket.socket] = field(default_factory=list)

    def serve(self) -> None:
        try:
            connection, _ = self.sock.accept()
        except OSError:
            return
        self.accepted.append(connection)
        self.release.wait(30)


@pytest.fixture
def silent() -> Iterator[SilentReceiver]:
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(10)
    receiver = SilentReceiver(sock)
    thread = threading.Thread(target=receiver.serve, daemon=True)
    thread.start()
    yield receiver
    receiver.release.set()
    thread.join(15)
    for connection in receiver.accepted:
        connection.close()
    sock.close()


def channel(url: str, timeout: float = 5.0) -> WebhookChannel:
    return WebhookChannel("hook", url, SECRET, timeout=timeout)


# --- delivery -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("event", EVENTS, ids=EVENT_IDS)
def test_send_posts_the_payload_signed(receiver: RecordingServer, event: Event) -> None:
    before = int(time.time())
    channel(receiver.url("/hook?team=news")).send([event])
    after = int(time.time())
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hook?team=news")
    assert json.loads(request.body.decode("utf-8")) == event.payload()
    assert Event.from_payload(json.loads(request.body)) == event
    assert "新华网".encode() in request.body, "UTF-8, not \\u escapes"
    headers = request.headers
    assert headers["Content-Type"] == CONTENT_TYPE
    assert headers["User-Agent"].startswith("newswatch/")
    assert (headers[HEADER_EVENT_ID], headers[HEADER_EVENT_TYPE]) == (event.id, event.type)
    assert before <= int(headers[HEADER_TIMESTAMP]) <= after
    assert headers[HEADER_SIGNATURE].startswith("v1=")
    assert verify_signature(SECRET, request.body, cast(Any, headers))
    assert not verify_signature("another secret", request.body, cast(Any, headers))


def test_send_posts_one_request_per_event_in_order(receiver: RecordingServer) -> None:
    channel(receiver.url("/hook")).send(EVENTS)
    assert [r.headers[HEADER_EVENT_ID] for r in receiver.requests] == [e.id for e in EVENTS]
    assert len({r.headers[HEADER_TIMESTAMP] + r.headers[HEADER_SIGNATURE] for r in receiver.requests}) == 4


@pytest.mark.parametrize("status", [200, 202, 204], ids=["ok", "accepted", "no-content"])
def test_any_2xx_is_success(receiver: RecordingServer, status: int) -> None:
    receiver.routes["/hook"] = (status, {})
    channel(receiver.url("/hook")).send([new_event()])
    assert receiver.paths() == ["/hook"]


@pytest.mark.parametrize(("status", "expected"), [
    (500, "HTTP 500 Internal Server Error: receiver says 500"),
    (404, "HTTP 404 Not Found"),
    (410, "HTTP 410 Gone"),
], ids=["server-error", "not-found", "gone"])
def test_non_2xx_is_a_delivery_error(receiver: RecordingServer, status: int, expected: str) -> None:
    receiver.routes["/hook"] = (status, {})
    with pytest.raises(DeliveryError, match=expected) as caught:
        channel(receiver.url("/hook")).send([new_event()])
    assert "'hook'" in str(caught.value) and new_event().id in str(caught.value)


@pytest.mark.parametrize("status", [301, 302, 307, 308], ids=["301", "302", "307", "308"])
def test_redirects_are_failures_and_never_followed(receiver: RecordingServer, status: int) -> None:
    receiver.routes["/hook"] = (status, {"Location": receiver.url("/elsewhere")})
    with pytest.raises(DeliveryError, match=rf"HTTP {status} .*redirects are not followed.*/elsewhere"):
        channel(receiver.url("/hook")).send([new_event(), changed_event()])
    assert receiver.paths() == ["/hook"], "the target was never hit and the second event not sent"


def test_a_receiver_that_never_answers_times_out(silent: SilentReceiver) -> None:
    port = silent.sock.getsockname()[1]
    with pytest.raises(DeliveryError, match=r"timed out after 0\.3 s") as caught:  # the channel's timeout
        channel(f"http://127.0.0.1:{port}/hook", timeout=0.3).send([new_event()])
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert silent.accepted, "the connection was accepted: the timeout is on the answer"


def test_connection_refused_is_a_delivery_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(DeliveryError, match="connection failed: ConnectionRefusedError") as caught:
        channel(f"http://127.0.0.1:{port}/hook").send([new_event()])
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_https_to_a_plain_http_server_fails_the_tls_handshake(receiver: RecordingServer) -> None:
    with pytest.raises(DeliveryError, match="TLS failed"):
        channel(f"https://127.0.0.1:{receiver.server_port}/hook").send([new_event()])
    assert not any(r.method == "POST" for r in receiver.requests)


def test_errors_show_the_origin_never_the_path_or_query(receiver: RecordingServer) -> None:
    receiver.routes["/T0KEN-path"] = (500, {})
    hook = channel(receiver.url("/T0KEN-path?key=T0KEN-query"))
    with pytest.raises(DeliveryError) as caught:
        hook.send([new_event()])
    assert "T0KEN" not in str(caught.value) and f"127.0.0.1:{receiver.server_port}" in str(caught.value)
    assert "T0KEN" not in repr(hook) and SECRET not in repr(hook)


# --- rendering and signing (pure) -------------------------------------------------------------------


def test_render_request_is_pure_and_signs_timestamp_dot_body() -> None:
    event = changed_event()
    request = render_request(event, SECRET, NOW)
    assert request == render_request(event, SECRET, NOW)
    assert json.loads(request.body) == event.payload()
    assert request.headers[HEADER_TIMESTAMP] == "1739262600"
    expected = hmac.new(SECRET.encode(), b"1739262600." + request.body, hashlib.sha256).hexdigest()
    assert request.headers[HEADER_SIGNATURE] == f"v1={expected}"
    assert sign(SECRET.encode(), 1739262600, request.body) == f"v1={expected}"
    assert render_request(event, SECRET, NOW + 1).headers[HEADER_SIGNATURE] != f"v1={expected}"


def test_the_schema_is_valid_and_names_every_event_type_and_field() -> None:
    schema = json.loads((ROOT / "docs" / "webhook.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert tuple(schema["properties"]["type"]["enum"]) == EVENT_TYPES
    assert tuple(schema["$defs"]["change"]["properties"]["changed_fields"]["items"]["enum"]) == FIELDS
    assert tuple(schema["$defs"]["change"]["properties"]["change_class"]["enum"]) == CHANGE_CLASSES


@pytest.mark.parametrize("event", EVENTS, ids=EVENT_IDS)
def test_every_payload_matches_the_schema(event: Event) -> None:
    schema = json.loads((ROOT / "docs" / "webhook.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    assert [error.message for error in validator.iter_errors(event.payload())] == []
    broken = {**event.payload(), "type": "article.gone", "extra": 1}
    assert len(list(validator.iter_errors(broken))) >= 2, "the schema rejects what it does not describe"


# --- the receiver's helper ---------------------------------------------------------------------------

Case = tuple[str | bytes, bytes, dict[str, str], float]
GOOD = render_request(changed_event(), SECRET, NOW)


def _case(*, secret: str | bytes = SECRET, body: bytes = GOOD.body, now: float = NOW,
          drop: str = "", **headers: str) -> Case:
    merged = {k: v for k, v in GOOD.headers.items() if k != drop}
    renamed = {k.replace("_", "-"): v for k, v in headers.items()}
    return secret, body, {**merged, **renamed}, now


SIGNATURE = GOOD.headers[HEADER_SIGNATURE]
OTHER = f"v1={'0' * 64}"
VERIFY_CASES: dict[str, tuple[Case, bool]] = {
    "good": (_case(), True),
    "bytes-secret": (_case(secret=SECRET.encode()), True),
    "lower-case-headers": ((SECRET, GOOD.body, {k.lower(): v for k, v in GOOD.headers.items()}, NOW), True),
    "upper-case-headers": ((SECRET, GOOD.body, {k.upper(): v for k, v in GOOD.headers.items()}, NOW), True),
    "oldest-accepted": (_case(now=NOW + 300), True),
    "newest-accepted": (_case(now=NOW - 300), True),
    "second-of-two-signatures": (_case(Newswatch_Signature=f"{OTHER} {SIGNATURE}"), True),
    "first-of-two-signatures": (_case(Newswatch_Signature=f"{SIGNATURE},{OTHER}"), True),
    "tampered-body": (_case(body=GOOD.body.replace("完善".encode(), "优化".encode())), False),
    "trailing-byte": (_case(body=GOOD.body + b" "), False),
    "wrong-secret": (_case(secret="wrong secret"), False),
    "stale-timestamp": (_case(now=NOW + 301), False),
    "future-timestamp": (_case(now=NOW - 301), False),
    "missing-timestamp": (_case(drop=HEADER_TIMESTAMP), False),
    "missing-signature": (_case(drop=HEADER_SIGNATURE), False),
    "no-headers": ((SECRET, GOOD.body, {}, NOW), False),
    "fractional-timestamp": (_case(Newswatch_Timestamp="1739262600.5"), False),
    "negative-timestamp": (_case(Newswatch_Timestamp="-1739262600"), False),
    "empty-timestamp": (_case(Newswatch_Timestamp=""), False),
    "leading-zero-timestamp": (_case(Newswatch_Timestamp="01739262600"), False),
    "fullwidth-digit-timestamp": (_case(Newswatch_Timestamp="１７３９２６２６００"), False),
    "wrong-scheme": (_case(Newswatch_Signature=SIGNATURE.replace("v1=", "sha256=")), False),
    "no-scheme": (_case(Newswatch_Signature=SIGNATURE[3:]), False),
    "upper-case-hex": (_case(Newswatch_Signature=SIGNATURE.upper()), False),
    "garbled-signature": (_case(Newswatch_Signature="v1=zz"), False),
    "empty-signature": (_case(Newswatch_Signature=""), False),
    "non-ascii-signature": (_case(Newswatch_Signature="v1=é" + SIGNATURE[4:]), False),
}


@pytest.mark.parametrize(("case", "expected"), VERIFY_CASES.values(), ids=VERIFY_CASES.keys())
def test_verify_signature(case: Case, expected: bool) -> None:
    secret, body, headers, now = case
    assert verify_signature(secret, body, headers, now=now) is expected


def test_verify_signature_tolerance_is_configurable() -> None:
    assert not verify_signature(SECRET, GOOD.body, GOOD.headers, now=NOW + 61, tolerance=60)
    assert verify_signature(SECRET, GOOD.body, GOOD.headers, now=NOW + 3600, tolerance=3600)


def test_verify_signature_defaults_to_the_clock() -> None:
    assert not verify_signature(SECRET, GOOD.body, GOOD.headers), "NOW is long past"
    fresh = render_request(changed_event(), SECRET, time.time())
    assert verify_signature(SECRET, fresh.body, fresh.headers)


# --- the documentation ------------------------------------------------------------------------------


def _doc_blocks(language: str) -> list[str]:
    text = (ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def test_the_documented_example_is_the_real_payload() -> None:
    [example] = _doc_blocks("json")
    assert json.loads(example) == changed_event().payload()


def test_the_documented_verification_snippet_works() -> None:
    namespace: dict[str, Any] = {}
    exec(_doc_blocks("python")[0], namespace)
    verify = namespace["verify"]
    fresh = render_request(changed_event(), SECRET, time.time())
    headers = Message()
    for name, value in fresh.headers.items():
        headers[name.lower()] = value
    assert verify(SECRET.encode(), fresh.body, headers) is True
    assert verify(b"wrong", fresh.body, headers) is False
    assert verify(SECRET.encode(), fresh.body + b" ", headers) is False
    assert verify(SECRET.encode(), GOOD.body, GOOD.headers) is False, "stale"
    del headers["newswatch-timestamp"]
    assert verify(SECRET.encode(), fresh.body, headers) is False


# --- configuration -----------------------------------------------------------------------------------

WHERE = "alerts.channels[2]"
ENV = {"HOOK_SECRET": SECRET}


def hook_config(**values: Any) -> ChannelConfig:
    defaults: dict[str, Any] = {"name": "hook", "kind": "webhook", "url": "https://hooks.example.org/newswatch",
                                "secret_env": "HOOK_SECRET", "timeout": 2.5}
    return ChannelConfig(**{**defaults, **values})


def test_from_config_builds_a_channel() -> None:
    config = hook_config(include=("药品",), min_change_chars=5)
    hook = WebhookChannel.from_config(config, ENV, WHERE)
    as_channel: Channel = hook
    assert (as_channel.kind, as_channel.name, as_channel.digest) == ("webhook", "hook", False)
    assert (hook.url, hook.timeout) == ("https://hooks.example.org/newswatch", 2.5)
    assert hook.rules == Rules.from_config(config)
    assert verify_signature(SECRET, *_rendered(hook), now=NOW)
    assert SECRET not in repr(hook)


def _rendered(hook: WebhookChannel) -> tuple[bytes, dict[str, str]]:
    request = hook.render(new_event(), now=NOW)
    return request.body, dict(request.headers)


@pytest.mark.parametrize(("values", "environ", "key", "message"), [
    ({"url": ""}, ENV, "url", "needs a url"),
    ({"url": "ftp://hooks.example.org/x"}, ENV, "url", "http:// or https://"),
    ({"url": "hooks.example.org/x"}, ENV, "url", "http:// or https://"),
    ({"url": "https:///x"}, ENV, "url", "no host"),
    ({"url": "https://hooks.example.org:99999/x"}, ENV, "url", "not a valid URL"),
    ({"url": "https://user:pw@hooks.example.org/x"}, ENV, "url", "credentials"),
    ({}, {}, "secret_env", "HOOK_SECRET is not set or empty"),
    ({}, {"HOOK_SECRET": ""}, "secret_env", "HOOK_SECRET is not set or empty"),
    ({"secret_env": ""}, ENV, "secret_env", "name the environment variable"),
    ({"timeout": 0.0}, ENV, "timeout", "greater than zero"),
], ids=["no-url", "ftp-url", "no-scheme", "no-host", "bad-port", "credentials-in-url", "secret-unset",
        "secret-empty", "no-secret-env", "zero-timeout"])
def test_config_errors_name_the_key(values: dict[str, Any], environ: dict[str, str], key: str,
                                    message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        WebhookChannel.from_config(hook_config(**values), environ, WHERE)
    assert caught.value.key == f"{WHERE}.{key}"
    assert SECRET not in str(caught.value)
