"""A webhook receiver on loopback for tests: it checks each signature and keeps every delivery.

    with WebhookReceiver() as receiver:                 # 127.0.0.1, a free port, a fresh secret
        newswatch_replay(cassette, channels=[receiver])  # configured as a webhook channel
        [d.payload["type"] for d in receiver.deliveries if d.verified]

Each request is checked with newswatch's own :func:`monitor.alerts.channels.webhook.verify_signature` against the
receiver's secret, so a test sees exactly what a real receiver would accept. By default every request
is answered ``200``; :meth:`WebhookReceiver.respond_with` scripts other answers (to test retries).
Bodies over ``max_body`` bytes are answered ``413`` and kept without their body.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType, TracebackType
from typing import Any

from newswatch.monitor.alerts.channels.webhook import HEADER_EVENT_ID, HEADER_EVENT_TYPE, verify_signature
from newswatch.monitor.changes.events import Event
from newswatch.monitor.testing.channels import ChannelSpec, ConfigValue, webhook_spec

MAX_BODY = 16 * 1024 * 1024
PATH = "/newswatch"


@dataclass(frozen=True)
class Delivery:
    """One request the receiver got: what was sent, whether the signature held, what it answered."""

    path: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    verified: bool  # the signature is valid for the receiver's secret and fresh
    status: int  # what the receiver answered
    payload: Mapping[str, Any] | None  # the JSON body, None when it is not a JSON object

    @property
    def event_id(self) -> str | None:
        return self.headers.get(HEADER_EVENT_ID.lower())

    @property
    def event_type(self) -> str | None:
        return self.headers.get(HEADER_EVENT_TYPE.lower())

    @property
    def event(self) -> Event:
        """The payload as newswatch's typed event (ValueError when the body is not an event)."""
        if self.payload is None:
            raise ValueError(f"the delivery to {self.path} has no JSON object body")
        try:
            return Event.from_payload(dict(self.payload))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the delivery to {self.path} is not a newswatch event: {exc!r}") from exc


def _payload(body: bytes) -> Mapping[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return MappingProxyType(data) if isinstance(data, dict) else None


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 (a free port) collecting webhook deliveries; see the module doc."""

    def __init__(self, secret: str | None = None, *, name: str = "receiver", max_body: int = MAX_BODY) -> None:
        if max_body <= 0:
            raise ValueError(f"max_body must be greater than zero, got {max_body}")
        self.secret = secret or secrets.token_hex(32)
        self.name = name
        self.max_body = max_body
        self._deliveries: list[Delivery] = []
        self._script: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def __repr__(self) -> str:  # never the secret
        where = self.url if self._server else "not started"
        return f"WebhookReceiver(name={self.name!r}, {where}, {len(self._deliveries)} deliveries)"

    def start(self) -> WebhookReceiver:
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
            self._server.daemon_threads = True
            threading.Thread(target=self._server.serve_forever, name=f"webhook-{self.name}", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the receiver is not started (call start() or use it as a context manager)")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    @property
    def deliveries(self) -> tuple[Delivery, ...]:
        """Every request received so far, in order (retries included)."""
        with self._lock:
            return tuple(self._deliveries)

    @property
    def verified(self) -> tuple[Delivery, ...]:
        """The deliveries whose signature held."""
        return tuple(d for d in self.deliveries if d.verified)

    def respond_with(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, in order; then 200 again."""
        if any(not 100 <= s <= 599 for s in statuses):
            raise ValueError(f"HTTP statuses are 100-599, got {statuses}")
        with self._lock:
            self._script.extend(statuses)

    def channel(self, name: str | None = None, *, secret_env: str | None = None,
                **rules: ConfigValue) -> ChannelSpec:
        """This receiver as a webhook channel; ``rules`` are channel keys (``events=[...]``, ``sources=...``)."""
        env = secret_env or f"NEWSWATCH_TEST_WEBHOOK_SECRET_{self.port}"
        return webhook_spec(name or self.name, self.url, self.secret, env, rules, receiver=self)

    def as_channel(self) -> ChannelSpec:
        """The channel a replay configures when it is given the receiver itself (newswatch's default rules)."""
        return self.channel()

    def _receive(self, path: str, headers: Mapping[str, str], body: bytes | None) -> int:
        with self._lock:
            status = self._script.pop(0) if self._script else 200
            if body is None:  # too large: kept without its body
                status, body, verified = 413, b"", False
            else:
                verified = verify_signature(self.secret, body, headers)
            self._deliveries.append(Delivery(path, MappingProxyType(dict(headers)), body, verified, status,
                                             _payload(body)))
        return status


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                self._answer(411)
                return
            size = int(length)
            body = self.rfile.read(size) if size <= receiver.max_body else None
            if body is None:
                self.close_connection = True  # the body is left unread
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._answer(receiver._receive(self.path, headers, body))

        def do_GET(self) -> None:
            self._answer(405)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler

