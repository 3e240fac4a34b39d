"""Alert channels: small classes with a ``kind``, in one explicit registry (docs and tests iterate it).

A channel turns events into deliveries: ``render`` (pure) builds what would be sent, ``send`` does the
transport and raises :class:`~storage.errors.DeliveryError` on any failure (the outbox retries it).
Digest channels get all of a pass's due events in one ``send``; the others get one event a call. A channel
with a digest ``schedule`` has its events held in the outbox until the schedule's next due time.
Channels are built from ``[[alerts.channels]]`` config with :func:`build_channels`, which resolves
secrets from the environment variable each channel names (or its ``_FILE`` / systemd credential:
:mod:`monitor.alerts.secrets`) and switches off a channel it cannot use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol

from newswatch.monitor.alerts.digest import DigestSchedule
from newswatch.monitor.alerts.rules import Rules
from newswatch.monitor.alerts.secrets import Secrets
from newswatch.monitor.alerts.settings import AlertsConfig, ChannelConfig
from newswatch.monitor.changes.events import Event
from newswatch.storage.errors import ConfigError


class Channel(Protocol):
    kind: ClassVar[str]
    name: str
    rules: Rules
    digest: bool
    schedule: DigestSchedule | None

    def send(self, events: Sequence[Event]) -> None:
        """Deliver ``events`` (one, or a digest); raise DeliveryError on failure."""


class ChannelFactory(Protocol):
    """What a channel class provides to the registry (``from_config`` is a classmethod)."""

    @property
    def kind(self) -> str:
        """The ``kind`` a config names to pick this channel."""

    def from_config(self, config: ChannelConfig, environ: Mapping[str, str], where: str) -> Channel:
        """Build the channel; raise ConfigError naming ``where`` + the key when it cannot work."""


def _registry() -> dict[str, ChannelFactory]:
    from newswatch.monitor.alerts.channels.apprise_channel import AppriseChannel
    from newswatch.monitor.alerts.channels.mail import EmailChannel
    from newswatch.monitor.alerts.channels.webhook import WebhookChannel

    factories: tuple[ChannelFactory, ...] = (AppriseChannel, EmailChannel, WebhookChannel)
    return {factory.kind: factory for factory in factories}


def channel_kinds() -> tuple[str, ...]:
    return tuple(sorted(_registry()))


def build_channels(alerts: AlertsConfig, environ: Mapping[str, str] | None = None) -> tuple[Channel, ...]:
    """Every configured channel, validated; an unknown kind or a missing secret names the key."""
    env = Secrets(os.environ if environ is None else environ)
    registry = _registry() if alerts.channels else {}  # no channel: no channel module (Apprise) imported
    channels = []
    seen: set[str] = set()
    for index, entry in enumerate(alerts.channels):
        where = f"alerts.channels[{index}]"
        if entry.name in seen:
            raise ConfigError(f"{where}.name", f"two channels are called {entry.name!r}")
        seen.add(entry.name)
        if entry.kind not in registry:
            raise ConfigError(f"{where}.kind", f"unknown channel kind {entry.kind!r} (known: {', '.join(registry)})")
        channels.append(registry[entry.kind].from_config(entry, env, where))
    return tuple(channels)
