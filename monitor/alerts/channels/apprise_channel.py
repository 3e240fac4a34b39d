"""The Apprise channel (``kind = "apprise"``): alerts to any service Apprise knows (Slack, Telegram, Discord,
ntfy, Matrix, Teams, Gotify, mail, JSON/form webhooks…), one or many Apprise URLs per channel.

URLs often carry tokens, so they may come from the environment: ``urls_env`` names a variable holding
one or more URLs separated by whitespace (newlines too), added to the ``urls`` written in the file.
Every URL is checked when the channel is built; errors name the key and show only the URL's scheme.

Rendering is pure (:meth:`AppriseChannel.render`: the mail's subject and plain-text body); only
:meth:`AppriseChannel.send` notifies. ``notify()`` blocks (it does its own HTTP/SMTP), so like every
channel it runs in the outbox worker, off the event loop. When it returns False (any target failed) or
raises, :meth:`send` raises :class:`~storage.errors.DeliveryError` with what Apprise logged, and the outbox
retries the events (all targets of the channel again: give a target its own channel for separate retries).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import apprise
from apprise.manager_plugins import NotificationManager

from newswatch.monitor.alerts.channels.mailtext import subject, text_body
from newswatch.monitor.alerts.digest import DigestSchedule, digest_label, digest_of
from newswatch.monitor.alerts.rules import Rules
from newswatch.monitor.alerts.settings import ChannelConfig
from newswatch.monitor.changes.events import Event
from newswatch.storage.errors import ConfigError, DeliveryError

if TYPE_CHECKING:
    from newswatch.monitor.alerts.registry import Channel

DEFAULT_TIMEOUT = 30.0  # seconds for the whole notify() call, when the channel's ``timeout`` is not usable
WARNING_TYPES = frozenset({"article.anomaly", "article.removed", "source.failing", "source.quiet"})
ERROR_CHARS = 600  # of Apprise's log lines, quoted in the DeliveryError
_LOG_PREFIX = re.compile(r"^\S+ \S+ - [A-Z]+ - ")  # LogCapture's "date time - LEVEL - "


@dataclass(frozen=True)
class AppriseMessage:
    """What one notify() sends: a title, a plain-text body, Apprise's notification type."""

    title: str
    body: str
    notify_type: str


def render_message(events: Sequence[Event], schedule: DigestSchedule | None = None) -> AppriseMessage:
    """The notification for one event or a digest of several (pure: the email channel's text)."""
    if not events:
        raise ValueError("render_message needs at least one event")
    warning = any(event.type in WARNING_TYPES for event in events)
    kind = apprise.NotifyType.WARNING if warning else apprise.NotifyType.INFO
    label = digest_label(schedule)
    return AppriseMessage(subject(events, label), text_body(events, label), kind.value)


def split_urls(text: str) -> tuple[str, ...]:
    """The URLs of an ``urls_env`` value: separated by whitespace (commas belong to URLs, e.g. ``to=a,b``)."""
    return tuple(part for part in text.split() if part)


def scheme_of(url: str) -> str:
    """What an error message may show of a URL: its scheme (the rest can carry tokens)."""
    head, sep, _rest = url.partition("://")
    return f"{head}://…" if sep and head.isascii() and head.replace("+", "").isalnum() else "(not a URL)"


def load_plugins() -> None:
    """Load Apprise's plug-ins (it does so on first use; idempotent). Some of them import stdlib modules
    deprecated in Python 3.11 (``imghdr``): Apprise's warnings, not ours, so they are muted for that import."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        NotificationManager().load_modules()  # type: ignore[no-untyped-call]


def _notifier(urls: Sequence[str]) -> tuple[apprise.Apprise, list[int]]:
    """An Apprise object holding ``urls``; the positions (0-based) of the URLs it refused."""
    load_plugins()
    notifier = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory", app_id="newswatch",
                                                          app_desc="newswatch alerts"))
    refused = [index for index, url in enumerate(urls) if not notifier.add(url)]
    return notifier, refused


@dataclass(eq=False)
class AppriseChannel:
    """Alerts through Apprise; ``send`` makes one notification (to every URL) for the events it is given."""

    kind: ClassVar[str] = "apprise"
    name: str
    rules: Rules
    urls: tuple[str, ...] = field(repr=False)
    digest: bool = False
    timeout: float = DEFAULT_TIMEOUT
    schedule: DigestSchedule | None = None

    def __post_init__(self) -> None:
        if not self.urls:
            raise ValueError("an apprise channel needs at least one URL")

    def __repr__(self) -> str:  # never the URLs: they carry tokens
        schemes = ", ".join(scheme_of(url) for url in self.urls)
        return f"AppriseChannel(name={self.name!r}, urls=[{schemes}], digest={self.digest})"

    @classmethod
    def from_config(cls, config: ChannelConfig, environ: Mapping[str, str], where: str) -> AppriseChannel:
        """The channel of one ``[[alerts.channels]]`` entry; ConfigError names the key (never a URL)."""
        listed = [(url, f"{where}.urls", number) for number, url in enumerate(config.urls, 1)]
        if config.urls_env:
            value = environ.get(config.urls_env, "")
            if not value.strip():
                raise ConfigError(f"{where}.urls_env", f"the environment variable {config.urls_env} is not set "
                                                       f"or empty (it must hold the channel's Apprise URLs)")
            listed += [(url, f"{where}.urls_env", number) for number, url in enumerate(split_urls(value), 1)]
        if not listed:
            raise ConfigError(f"{where}.urls", "an apprise channel needs Apprise URLs: in urls, or in the "
                                               "environment variable named by urls_env")
        _, refused = _notifier([url for url, _, _ in listed])
        if refused:
            url, key, number = listed[refused[0]]
            raise ConfigError(key, f"Apprise does not accept URL {number} ({scheme_of(url)}): an unknown "
                                   f"service or a malformed URL (see https://appriseit.com/services/)")
        timeout = config.timeout if config.timeout > 0 else DEFAULT_TIMEOUT
        digest, schedule = digest_of(config, where)
        return cls(config.name, Rules.from_config(config), tuple(url for url, _, _ in listed),
                   digest=digest, timeout=timeout, schedule=schedule)

    def render(self, events: Sequence[Event]) -> AppriseMessage:
        return render_message(events, self.schedule)

    def send(self, events: Sequence[Event]) -> None:
        """Notify every URL once for ``events`` (nothing for none); DeliveryError when any target failed."""
        if not events:
            return
        message = self.render(events)
        notifier, refused = _notifier(self.urls)
        if refused:  # checked at build time: only an Apprise upgrade between build and send gets here
            raise DeliveryError(f"apprise channel {self.name!r}: Apprise no longer accepts URL {refused[0] + 1}")
        with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            try:
                delivered = bool(notifier.notify(body=message.body, title=message.title,
                                                 notify_type=message.notify_type,
                                                 body_format=apprise.NotifyFormat.TEXT, timeout=self.timeout))
            except Exception as exc:  # Apprise is a foreign library: whatever it raises is a failed delivery
                raise DeliveryError(f"apprise channel {self.name!r}: notify() raised "
                                    f"{type(exc).__name__}: {exc}") from exc
            logged = captured.getvalue()
        if not delivered:
            raise DeliveryError(f"apprise channel {self.name!r}: {_failures(logged, len(self.urls))}")


def _failures(logged: str, targets: int) -> str:
    """What Apprise said about the failure, one line, without its timestamps."""
    lines = [_LOG_PREFIX.sub("", line).strip() for line in logged.splitlines() if line.strip()]
    said = "; ".join(lines) or "no reason logged"
    noun = "target" if targets == 1 else "targets"
    return f"delivery failed ({targets} {noun}): {said}"[:ERROR_CHARS]


if TYPE_CHECKING:  # mypy: an AppriseChannel is a monitor.alerts.registry.Channel

    def _is_channel(channel: AppriseChannel) -> Channel:
        return channel
