"""Webhook channel: one signed JSON POST per event (see ``docs/webhooks.md``).

The body is :meth:`Event.payload` as UTF-8 JSON (``docs/webhook.schema.json``). Every request is signed
the way receivers know from Stripe and GitHub: HMAC-SHA256 with a shared secret over
``f"{timestamp}.".encode() + body``, sent as ``Newswatch-Signature: v1=<hex>`` next to
``Newswatch-Timestamp: <unix seconds>``. Receivers check it with :func:`verify_signature` (or the
stdlib snippet in the docs), reject timestamps outside a replay window, and de-duplicate on
``Newswatch-Event-Id`` (a retry carries the same id with a fresh timestamp and signature).

Rendering is pure (:func:`render_request`, :func:`sign`); only :meth:`WebhookChannel.send` talks to the
network, with ``http.client`` so that redirects are never followed: anything but a 2xx answer, a
timeout or a connection error raises :class:`~storage.errors.DeliveryError`, and the outbox retries.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import re
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from types import MappingProxyType
from typing import ClassVar
from urllib.parse import urlsplit

from monitor.alerts.events import Event
from monitor.alerts.rules import Rules
from monitor.alerts.settings import ChannelConfig
from storage.errors import ConfigError, DeliveryError

HEADER_TIMESTAMP = "Newswatch-Timestamp"
HEADER_SIGNATURE = "Newswatch-Signature"
HEADER_EVENT_ID = "Newswatch-Event-Id"
HEADER_EVENT_TYPE = "Newswatch-Event-Type"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNATURE_SCHEME = "v1"  # HMAC-SHA256, lower-case hex
DEFAULT_TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its clock, either way
ERROR_SNIPPET_BYTES = 200  # of a failed response's body, quoted in the DeliveryError
_TIMESTAMP = re.compile(r"0|[1-9][0-9]{0,14}")  # unix seconds, as sent: no sign, no leading zero
_SIGNATURE = re.compile(rf"{SIGNATURE_SCHEME}=[0-9a-f]{{64}}")  # also keeps compare_digest to ASCII


def _user_agent() -> str:
    try:
        version = metadata.version("newswatch")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        version = "0"
    return f"newswatch/{version} (webhook)"


USER_AGENT = _user_agent()


@dataclass(frozen=True)
class WebhookRequest:
    """What one delivery POSTs: the exact body bytes (the signature covers them) and the headers."""

    body: bytes
    headers: Mapping[str, str]


def encode_payload(event: Event) -> bytes:
    """The request body: the event's payload as compact UTF-8 JSON (Chinese stays readable)."""
    return json.dumps(event.payload(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """The ``Newswatch-Signature`` value: ``v1=`` + hex HMAC-SHA256 of ``f"{timestamp}.".encode() + body``."""
    digest = hmac.new(_key(secret), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def render_request(event: Event, secret: str | bytes, now: float) -> WebhookRequest:
    """The signed request for ``event`` at unix time ``now`` (pure: no clock, no network)."""
    body = encode_payload(event)
    timestamp = int(now)
    headers = {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        HEADER_EVENT_ID: event.id,
        HEADER_EVENT_TYPE: event.type,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: sign(secret, timestamp, body),
    }
    return WebhookRequest(body, MappingProxyType(headers))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, whatever the case of its name (dicts, http.server and WSGI-style mappings)."""
    wanted = name.casefold()
    for key, value in headers.items():
        if key.casefold() == wanted:
            return value
    return None


def verify_signature(secret: str | bytes, body: bytes, headers: Mapping[str, str], *,
                     tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> bool:
    """True when ``headers`` carry a valid, fresh newswatch signature for the raw request ``body``.

    For receivers. Header names are matched case-insensitively. False when a header is missing or
    garbled, the timestamp is more than ``tolerance`` seconds in the past or in the future of ``now``
    (default: the current time), or no ``v1=`` signature in the header matches; the comparison is
    constant-time. Pass the body exactly as received, before any JSON parsing.
    """
    timestamp = _header(headers, HEADER_TIMESTAMP)
    signature = _header(headers, HEADER_SIGNATURE)
    if timestamp is None or signature is None or not _TIMESTAMP.fullmatch(timestamp):
        return False
    stamp = int(timestamp)
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        return False
    expected = sign(secret, stamp, body)
    # several entries (space- or comma-separated) let a sender roll its secret; each is checked
    candidates = [part for part in re.split(r"[\s,]+", signature) if _SIGNATURE.fullmatch(part)]
    return any([hmac.compare_digest(expected, candidate) for candidate in candidates])


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook target, or None when it can."""
    if not url:
        return "a webhook channel needs a url (http:// or https://)"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number or is out of range
    except ValueError as exc:
        return f"not a valid URL: {url!r} ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"expected an http:// or https:// URL, got {url!r}"
    if not parts.hostname:
        return f"the URL has no host: {url!r}"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL are not supported (the signature authenticates the sender)"
    return None


class WebhookChannel:
    """POSTs each event, signed, to one URL; any failure raises DeliveryError."""

    kind: ClassVar[str] = "webhook"
    digest: bool = False

    def __init__(self, name: str, url: str, secret: str | bytes, *, timeout: float = 10.0,
                 rules: Rules | None = None) -> None:
        problem = url_problem(url)
        if problem:
            raise ValueError(problem)
        if timeout <= 0:
            raise ValueError(f"timeout must be greater than zero, got {timeout}")
        self.name = name
        self.url = url
        self.timeout = timeout
        self.rules = rules if rules is not None else Rules(())
        self._secret = _key(secret)
        self._target = urlsplit(url)

    def __repr__(self) -> str:  # never the secret
        return f"WebhookChannel(name={self.name!r}, url={self._origin!r}, timeout={self.timeout})"

    @classmethod
    def from_config(cls, config: ChannelConfig, environ: Mapping[str, str], where: str) -> WebhookChannel:
        """The channel of one ``[[alerts.channels]]`` entry; ConfigError names the offending key."""
        problem = url_problem(config.url)
        if problem:
            raise ConfigError(f"{where}.url", problem)
        if config.timeout <= 0:
            raise ConfigError(f"{where}.timeout", f"must be greater than zero, got {config.timeout}")
        if not config.secret_env:
            raise ConfigError(f"{where}.secret_env", "name the environment variable that holds the signing secret")
        secret = environ.get(config.secret_env, "")
        if not secret:
            raise ConfigError(f"{where}.secret_env",
                              f"the environment variable {config.secret_env} is not set or empty "
                              f"(it must hold the webhook signing secret)")
        return cls(config.name, config.url, secret, timeout=config.timeout, rules=Rules.from_config(config))

    @property
    def _origin(self) -> str:
        """Scheme, host and port: what error messages show (paths and queries often carry tokens)."""
        return f"{self._target.scheme}://{self._target.netloc}"

    def render(self, event: Event, now: float | None = None) -> WebhookRequest:
        """The request :meth:`send` would POST for ``event`` (at ``now``, default the current time)."""
        return render_request(event, self._secret, time.time() if now is None else now)

    def send(self, events: Sequence[Event]) -> None:
        """POST each event, in order, one request each; the first failure raises DeliveryError."""
        for event in events:
            self._post(self.render(event), event)

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._target.hostname or "", self._target.port
        if self._target.scheme == "https":
            context = ssl.create_default_context()
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _path(self) -> str:
        path = self._target.path or "/"
        return f"{path}?{self._target.query}" if self._target.query else path

    def _post(self, request: WebhookRequest, event: Event) -> None:
        """One POST; what went wrong comes first in the message (``alerts list`` shows its start)."""
        context = f"[webhook {self.name!r}, event {event.id} ({event.type})]"
        connection = self._connection()
        try:
            connection.request("POST", self._path(), body=request.body, headers=dict(request.headers))
            response = connection.getresponse()
            status, reason = response.status, response.reason
            location = response.getheader("Location")
            snippet = b"" if 200 <= status < 300 else _snippet(response)
        except TimeoutError as exc:
            raise DeliveryError(f"{self._origin} timed out after {self.timeout:g} s {context}") from exc
        except ssl.SSLError as exc:
            raise DeliveryError(f"{self._origin}: TLS failed: {exc} {context}") from exc
        except (OSError, http.client.HTTPException) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            raise DeliveryError(f"{self._origin}: connection failed: {problem} {context}") from exc
        finally:
            connection.close()
        if not 200 <= status < 300:
            raise DeliveryError(f"{self._origin} {_refusal(status, reason, location, snippet)} {context}")


def _snippet(response: http.client.HTTPResponse) -> bytes:
    """The start of a failed response's body, for the message; nothing when it cannot be read."""
    try:
        return response.read(ERROR_SNIPPET_BYTES)
    except (OSError, http.client.HTTPException):
        return b""


def _refusal(status: int, reason: str, location: str | None, snippet: bytes) -> str:
    """What a non-2xx answer says, for the DeliveryError."""
    message = f"answered HTTP {status} {reason}".rstrip()
    if 300 <= status < 400:
        message += f" (redirects are not followed; Location: {location or '-'})"
    text = snippet.decode("utf-8", errors="replace").strip()
    if text:
        message += f": {' '.join(text.split())[:ERROR_SNIPPET_BYTES]}"
    return message
