"""The alert settings: channels (``[[alerts.channels]]``) with their rules, and the outbox worker's policy.

Plain data, validated by ``monitor.config.model`` when the file is read; the channels themselves are
built from them where they are used (``monitor.alerts.registry.build_channels``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import with_config

from newswatch.crawler.options import SECTION, Bool, Count, Seconds, Str, Strs

DEFAULT_EVENTS = ("article.new", "article.changed", "article.removed", "article.restored", "source.failing",
                  "source.quiet")
DEFAULT_CHANGE_CLASSES = ("title", "body_edit", "addition", "deletion")


@with_config(SECTION)
@dataclass(frozen=True)
class ChannelConfig:
    """One alert channel (``[[alerts.channels]]``): where events go, and which ones (the rules)."""

    name: Str = ""
    kind: Str = ""  # apprise | email | webhook: see monitor.alerts.registry.channel_kinds()
    # rules: which events reach this channel
    events: Strs = DEFAULT_EVENTS  # add "article.anomaly" to hear about anomalies
    include: Strs = ()  # keywords: at least one in the title or body (Chinese: no word boundaries)
    exclude: Strs = ()  # keywords: none in the title or body
    sources: Strs = ()  # source names or sites; empty: all
    change_classes: Strs = DEFAULT_CHANGE_CLASSES  # reordered, minor and metadata_only are off by default
    min_change_chars: Count = 0  # inserted + deleted characters at least
    # webhook
    url: Str = ""
    timeout: Seconds = 10.0
    secret_env: Str = "NEWSWATCH_WEBHOOK_SECRET"  # the environment variable holding the HMAC secret
    signing: Str = "newswatch"  # newswatch (Newswatch-Signature) | standard (Standard Webhooks, whsec_ secret)
    # email
    host: Str = ""
    port: Count = 587
    security: Str = "starttls"  # starttls | tls | none
    username: Str = ""
    password_env: Str = "NEWSWATCH_SMTP_PASSWORD"  # the environment variable holding the password
    sender: Str = ""
    recipients: Strs = ()
    digest: Bool | Str = False  # true: one message per delivery pass; "daily 08:00" / "weekly mon 08:00": scheduled
    digest_timezone: Str = "UTC"  # the IANA time zone of a digest schedule, e.g. "Asia/Shanghai"
    # apprise (the URLs of any service Apprise knows; https://appriseit.com/services/)
    urls: Strs = ()  # Apprise URLs without secrets, e.g. "json://hooks.example.org/in"
    urls_env: Str = ""  # an environment variable holding more URLs (whitespace-separated): tokens live there


@with_config(SECTION)
@dataclass(frozen=True)
class AlertsConfig:
    channels: tuple[ChannelConfig, ...] = ()
    max_attempts: Count = 8  # then the outbox row is dead (see `newswatch alerts retry --dead`)
    backoff_seconds: Seconds = 30.0  # first retry delay; doubles each attempt, with jitter
    backoff_max_seconds: Seconds = 3600.0
    lease_seconds: Seconds = 120.0  # a row being sent is not sent again by another worker for this long
    failing_after: Count = 3  # consecutive failed runs of a source before source.failing
    quiet_days: Seconds = 7.0  # no new article for this long: source.quiet


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
