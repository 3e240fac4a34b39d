"""Webhook channel: one signed JSON POST per event (see ``docs/webhooks.md``).

The body is :meth:`Event.payload` as UTF-8 JSON (``docs/webhook.schema.json``). Every request is signed
by the channel's ``signing`` scheme (``monitor.alerts.channels.signing``): by default the way receivers know from
Stripe and GitHub (``Newswatch-Signature: v1=<hex>`` HMAC-SHA256 over ``f"{timestamp}.".encode() + body``
next to ``Newswatch-Timestamp``, checked with :func:`verify_signature`), or with ``signing = "standard"``
the Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64>``).
Receivers reject timestamps outside a replay window and de-duplicate on the event id
(``Newswatch-Event-Id``, or ``webhook-id``): a retry carries the same id with a fresh timestamp and signature.

Rendering is pure (:func:`render_request`, :func:`render_signed`); only :meth:`WebhookChannel.send` talks
to the network, with ``http.client`` so that redirects are never followed: anything but a 2xx answer, a
timeout or a connection error raises :class:`~storage.errors.DeliveryError`, and the outbox retries.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from types import MappingProxyType
from typing import ClassVar
from urllib.parse import urlsplit

from newswatch.monitor.alerts.channels.signing import (
    DEFAULT_TOLERANCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    SIGNINGS,
    NewswatchSigning,
    Signing,
    sign,
    signing_for,
    verify_signature,
)
from newswatch.monitor.alerts.digest import DigestSchedule
from newswatch.monitor.alerts.rules import Rules
from newswatch.monitor.alerts.settings import ChannelConfig
from newswatch.monitor.changes.events import Event
from newswatch.storage.errors import ConfigError, DeliveryError

__all__ = [
    "CONTENT_TYPE", "DEFAULT_TOLERANCE", "HEADER_EVENT_ID", "HEADER_EVENT_TYPE", "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP", "WebhookChannel", "WebhookRequest", "encode_payload", "render_request",
    "render_signed", "sign", "url_problem", "verify_signature",
]

HEADER_EVENT_ID = "Newswatch-Event-Id"
HEADER_EVENT_TYPE = "Newswatch-Event-Type"
CONTENT_TYPE = "application/json; charset=utf-8"
ERROR_SNIPPET_BYTES = 200  # of a failed response's body, quoted in the DeliveryError


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


def render_signed(event: Event, signing: Signing, now: float) -> WebhookRequest:
    """The request for ``event`` signed by ``signing`` at unix time ``now`` (pure: no clock, no network)."""
    body = encode_payload(event)
    headers = {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        HEADER_EVENT_ID: event.id,
        HEADER_EVENT_TYPE: event.type,
        **signing.headers(event.id, int(now), body),
    }
    return WebhookRequest(body, MappingProxyType(headers))


def render_request(event: Event, secret: str | bytes, now: float) -> WebhookRequest:
    """The request for ``event`` with the default (``Newswatch-Signature``) signing at unix time ``now``."""
    return render_signed(event, NewswatchSigning(_key(secret)), now)


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
    schedule: DigestSchedule | None = None  # one request per event: never a digest

    def __init__(self, name: str, url: str, secret: str | bytes, *, timeout: float = 10.0,
                 rules: Rules | None = None, signing: Signing | None = None) -> None:
        problem = url_problem(url)
        if problem:
            raise ValueError(problem)
        if timeout <= 0:
            raise ValueError(f"timeout must be greater than zero, got {timeout}")
        self.name = name
        self.url = url
        self.timeout = timeout
        self.rules = rules if rules is not None else Rules(())
        self.signing = signing if signing is not None else NewswatchSigning(_key(secret))
        self._target = urlsplit(url)

    def __repr__(self) -> str:  # never the secret
        return (f"WebhookChannel(name={self.name!r}, url={self._origin!r}, timeout={self.timeout}, "
                f"signing={self.signing.kind!r})")

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
        if config.signing not in SIGNINGS:
            raise ConfigError(f"{where}.signing", f"expected one of {', '.join(SIGNINGS)}, got {config.signing!r}")
        signing = signing_for(config.signing, secret, f"{where}.secret_env")
        return cls(config.name, config.url, secret, timeout=config.timeout, rules=Rules.from_config(config),
                   signing=signing)

    @property
    def _origin(self) -> str:
        """Scheme, host and port: what error messages show (paths and queries often carry tokens)."""
        return f"{self._target.scheme}://{self._target.netloc}"

    def render(self, event: Event, now: float | None = None) -> WebhookRequest:
        """The request :meth:`send` would POST for ``event`` (at ``now``, default the current time)."""
        return render_signed(event, self.signing, time.time() if now is None else now)

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
