"""Alert channels for a test workspace: one ``[[alerts.channels]]`` table plus the environment it needs.

A replay's ``channels=`` takes :class:`ChannelSpec` values, plain tables (a mapping, as you would write
it in ``newswatch.toml``) or anything with an ``as_channel()`` method returning a spec, such as
:class:`~monitor.testing.receiver.WebhookReceiver`. Secrets travel in ``env`` (the variable the table's
``secret_env`` or ``password_env`` names), never in the config file. newswatch itself validates the
tables when the run starts, so a wrong key fails the replay with newswatch's own message naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from newswatch.storage.errors import ConfigError

if TYPE_CHECKING:
    from newswatch.monitor.testing.receiver import Delivery

ConfigValue = str | int | float | bool | Sequence[str]


class DeliveryLog(Protocol):
    """Where a channel's deliveries can be read back (a webhook receiver)."""

    @property
    def deliveries(self) -> tuple[Delivery, ...]:
        """Everything received so far, in order."""


@dataclass(frozen=True)
class ChannelSpec:
    """One alert channel of a test run: its config table, the environment variables it reads, and the
    receiver that collects its deliveries, when there is one (a replay reports what it got)."""

    table: Mapping[str, ConfigValue]
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)  # secrets
    receiver: DeliveryLog | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return str(self.table.get("name", ""))


@runtime_checkable
class ChannelSource(Protocol):
    """Something that can be a channel of a replay (a webhook receiver, for one)."""

    def as_channel(self) -> ChannelSpec:
        """The channel spec to configure."""


ChannelLike = ChannelSpec | ChannelSource | Mapping[str, ConfigValue]


def channel_spec(channel: ChannelLike, where: str) -> ChannelSpec:
    """Any accepted form of a channel as a :class:`ChannelSpec`; ConfigError naming ``where`` otherwise."""
    if isinstance(channel, ChannelSpec):
        spec = channel
    elif isinstance(channel, ChannelSource):
        spec = channel.as_channel()
    elif isinstance(channel, Mapping):
        spec = ChannelSpec(MappingProxyType(dict(channel)))
    else:
        raise ConfigError(where, f"expected a ChannelSpec, a table or a webhook receiver, got {channel!r}")
    if not spec.name:
        raise ConfigError(f"{where}.name", "every channel needs a name")
    return spec


def channel_specs(channels: Sequence[ChannelLike]) -> tuple[ChannelSpec, ...]:
    """Every channel as a spec; two channels with one name are refused (newswatch would refuse them too)."""
    specs = tuple(channel_spec(c, f"channels[{i}]") for i, c in enumerate(channels))
    names = [s.name for s in specs]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise ConfigError(f"channels[{index}].name", f"two channels are called {name!r}")
    return specs


def webhook_spec(name: str, url: str, secret: str, secret_env: str,
                 rules: Mapping[str, ConfigValue] | None = None, receiver: DeliveryLog | None = None) -> ChannelSpec:
    """A ``kind = "webhook"`` channel POSTing to ``url``, signed with ``secret`` (passed in ``secret_env``)."""
    table: dict[str, ConfigValue] = {"name": name, "kind": "webhook", "url": url, "secret_env": secret_env}
    table.update(rules or {})
    return ChannelSpec(MappingProxyType(table), MappingProxyType({secret_env: secret}), receiver)
