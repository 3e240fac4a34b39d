"""The alert settings: channels (``[[alerts.channels]]``) with their rules, and the outbox worker's policy.

Plain data, validated by ``monitor.core.config`` when the file is read; the channels themselves are
built from them where they are used (``monitor.alerts.channels.build_channels``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_EVENTS = ("article.new", "article.changed", "article.removed", "article.restored", "source.failing",
                  "source.quiet")
DEFAULT_CHANGE_CLASSES = ("title", "body_edit", "addition", "deletion")


@dataclass(frozen=True)
class ChannelConfig:
    """One alert channel (``[[alerts.channels]]``): where events go, and which ones (the rules)."""

    name: str = ""
    kind: str = ""  # apprise | email | webhook: see monitor.alerts.channels.channel_kinds()
    # rules: which events reach this channel
    events: tuple[str, ...] = DEFAULT_EVENTS  # add "article.anomaly" to hear about anomalies
    include: tuple[str, ...] = ()  # keywords: at least one in the title or body (Chinese: no word boundaries)
    exclude: tuple[str, ...] = ()  # keywords: none in the title or body
    sources: tuple[str, ...] = ()  # source names or sites; empty: all
    change_classes: tuple[str, ...] = DEFAULT_CHANGE_CLASSES  # reordered, minor and metadata_only are off by default
    min_change_chars: int = 0  # inserted + deleted characters at least
    # webhook
    url: str = ""
    timeout: float = 10.0
    secret_env: str = "NEWSWATCH_WEBHOOK_SECRET"  # the environment variable holding the HMAC secret
    signing: str = "newswatch"  # newswatch (Newswatch-Signature) | standard (Standard Webhooks, whsec_ secret)
    # email
    host: str = ""
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str = ""
    password_env: str = "NEWSWATCH_SMTP_PASSWORD"  # the environment variable holding the password
    sender: str = ""
    recipients: tuple[str, ...] = ()
    digest: bool | str = False  # true: one message per delivery pass; "daily 08:00" / "weekly mon 08:00": scheduled
    digest_timezone: str = "UTC"  # the IANA time zone of a digest schedule, e.g. "Asia/Shanghai"
    # apprise (the URLs of any service Apprise knows; https://appriseit.com/services/)
    urls: tuple[str, ...] = ()  # Apprise URLs without secrets, e.g. "json://hooks.example.org/in"
    urls_env: str = ""  # an environment variable holding more URLs (whitespace-separated): tokens live there


@dataclass(frozen=True)
class AlertsConfig:
    channels: tuple[ChannelConfig, ...] = ()
    max_attempts: int = 8  # then the outbox row is dead (see `newswatch alerts retry --dead`)
    backoff_seconds: float = 30.0  # first retry delay; doubles each attempt, with jitter
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 120.0  # a row being sent is not sent again by another worker for this long
    failing_after: int = 3  # consecutive failed runs of a source before source.failing
    quiet_days: float = 7.0  # no new article for this long: source.quiet


def channels_to_plain(channels: Iterable[ChannelConfig]) -> list[dict[str, Any]]:
    """Channel settings as plain data (dicts of str, numbers, bools, lists), for Scrapy's settings, which
    are deep-copied: live channels (sockets, SSL contexts) are built from these where they are used."""
    return [{key: list(value) if isinstance(value, tuple) else value
             for key, value in dataclasses.asdict(channel).items()} for channel in channels]


def channels_from_plain(data: Iterable[Mapping[str, Any]]) -> tuple[ChannelConfig, ...]:
    """The inverse of :func:`channels_to_plain`."""
    names = {f.name for f in dataclasses.fields(ChannelConfig)}
    built = []
    for entry in data:
        values: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value
                                  for key, value in entry.items() if key in names}
        built.append(ChannelConfig(**values))
    return tuple(built)
