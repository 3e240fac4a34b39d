"""How a webhook request is signed: small classes with a ``kind``, in one explicit registry.

``signing = "newswatch"`` (the default): HMAC-SHA256 over ``f"{timestamp}.".encode() + body``, sent as
``Newswatch-Signature: v1=<hex>`` next to ``Newswatch-Timestamp`` (the scheme receivers know from Stripe
and GitHub; :func:`verify_signature` checks it).

``signing = "standard"``: the Standard Webhooks scheme (standardwebhooks.com): HMAC-SHA256 with the
base64-decoded ``whsec_`` secret over ``f"{webhook-id}.{webhook-timestamp}.".encode() + body``, sent as
``webhook-signature: v1,<base64>`` next to ``webhook-id`` (the event id, the same on every retry) and
``webhook-timestamp``, so receivers verify with the ``standardwebhooks`` libraries.

Everything here is pure: bytes and integers in, header values out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from newswatch.storage.errors import ConfigError

HEADER_TIMESTAMP = "Newswatch-Timestamp"
HEADER_SIGNATURE = "Newswatch-Signature"
STANDARD_ID = "webhook-id"
STANDARD_TIMESTAMP = "webhook-timestamp"
STANDARD_SIGNATURE = "webhook-signature"
SIGNATURE_SCHEME = "v1"  # HMAC-SHA256, lower-case hex
DEFAULT_TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its clock, either way
SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)  # the key length Standard Webhooks asks for, decoded
_TIMESTAMP = re.compile(r"0|[1-9][0-9]{0,14}")  # unix seconds, as sent: no sign, no leading zero
_SIGNATURE = re.compile(rf"{SIGNATURE_SCHEME}=[0-9a-f]{{64}}")  # also keeps compare_digest to ASCII
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class Signing(Protocol):
    kind: ClassVar[str]

    def headers(self, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        """The headers that sign ``body`` for event ``event_id`` at unix time ``timestamp``."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """The ``Newswatch-Signature`` value: ``v1=`` + hex HMAC-SHA256 of ``f"{timestamp}.".encode() + body``."""
    digest = hmac.new(_key(secret), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def sign_standard(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode('ascii')}"


def standard_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret; ValueError says what is wrong with it (never the secret)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a Standard Webhooks secret starts with {SECRET_PREFIX}")
    encoded = secret[len(SECRET_PREFIX):]
    if not _BASE64.fullmatch(encoded):
        raise ValueError(f"after {SECRET_PREFIX} a Standard Webhooks secret is base64 (A-Z a-z 0-9 + /)")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"after {SECRET_PREFIX} the secret is not valid base64") from exc
    low, high = SECRET_BYTES
    if not low <= len(key) <= high:
        raise ValueError(f"a Standard Webhooks secret holds {low} to {high} bytes, this one {len(key)}")
    return key


@dataclass(frozen=True)
class NewswatchSigning:
    kind: ClassVar[str] = "newswatch"
    key: bytes = field(repr=False)

    @classmethod
    def from_secret(cls, secret: str, where: str) -> NewswatchSigning:
        return cls(_key(secret))

    def headers(self, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        return {HEADER_TIMESTAMP: str(timestamp), HEADER_SIGNATURE: sign(self.key, timestamp, body)}


@dataclass(frozen=True)
class StandardSigning:
    kind: ClassVar[str] = "standard"
    key: bytes = field(repr=False)

    @classmethod
    def from_secret(cls, secret: str, where: str) -> StandardSigning:
        try:
            return cls(standard_key(secret))
        except ValueError as exc:
            raise ConfigError(where, f"{exc}; make one with: echo \"whsec_$(openssl rand -base64 32)\"") from exc

    def headers(self, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        return {STANDARD_ID: event_id, STANDARD_TIMESTAMP: str(timestamp),
                STANDARD_SIGNATURE: sign_standard(self.key, event_id, timestamp, body)}


SIGNINGS: dict[str, type[NewswatchSigning] | type[StandardSigning]] = {
    cls.kind: cls for cls in (NewswatchSigning, StandardSigning)
}


def signing_for(kind: str, secret: str, where: str) -> Signing:
    """The signing scheme ``kind`` with ``secret``; ConfigError names ``where`` (the secret's key)."""
    if kind not in SIGNINGS:
        raise ConfigError(where, f"unknown signing {kind!r} (known: {', '.join(SIGNINGS)})")
    return SIGNINGS[kind].from_secret(secret, where)


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
