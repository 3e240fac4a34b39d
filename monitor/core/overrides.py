"""Configuration from the environment: ``NEWSWATCH_<SECTION>__<KEY>`` overrides any key of the file.

    NEWSWATCH_CRAWL__DOWNLOAD_DELAY=0.5          crawl.download_delay = 0.5
    NEWSWATCH_CRAWL__ALLOW_NETWORKS=10.0.0.0/8,127.0.0.0/8     a list: comma-separated ...
    NEWSWATCH_TOPIC__KEYWORDS='["AI", "芯片, 半导体"]'           ... or a TOML array
    NEWSWATCH_ALERTS__CHANNELS__OPS__URL=https://...             key of the channel named "ops"
    NEWSWATCH_DATABASE_URL=postgresql+psycopg://...              storage.database_url (the short form)

Values are text, converted to the key's type (``true``/``false``, numbers, lists) and then validated
exactly like the file, so a bad value is an error that names the variable. Every variable can come
from a file or a systemd credential instead (:mod:`monitor.alerts.secrets`). A variable naming no
key is an error too: a typo must not be ignored silently.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin, get_type_hints

from monitor.alerts.secrets import FILE_SUFFIX, Secrets
from storage.errors import ConfigError

PREFIX = "NEWSWATCH_"
SEPARATOR = "__"
SHORT_FORMS = {"NEWSWATCH_DATABASE_URL": ("storage", "database_url")}
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


@dataclass(frozen=True)
class Override:
    variable: str
    dotted: str  # the key it sets: crawl.download_delay, alerts.channels[0].url
    origin: str  # env NAME / file NAME_FILE=... / credential ...


def apply_overrides(config_type: type[Any], data: dict[str, Any], secrets: Secrets,
                    secret_keys: Mapping[str, str]) -> tuple[dict[str, Any], tuple[Override, ...]]:
    """``data`` (the file's tables) with every override of the environment applied, and the overrides."""
    found: list[Override] = []
    for variable, path in _variables(secrets):
        value_text = secrets[variable]
        if variable in SHORT_FORMS and not value_text:
            continue  # an empty NEWSWATCH_DATABASE_URL has always meant "not set"
        table, key, dotted, hint = _target(config_type, data, variable, path, secret_keys)
        table[key] = parse_value(hint, value_text, variable)
        found.append(Override(variable, dotted, secrets.origin(variable) or f"env {variable}"))
    _refuse_conflicts(found)
    return data, tuple(found)


def _variables(secrets: Secrets) -> list[tuple[str, tuple[str, ...]]]:
    found: list[tuple[str, tuple[str, ...]]] = []
    for name in sorted(secrets):
        if name.endswith(FILE_SUFFIX):
            continue  # NAME_FILE is read as NAME
        if name in SHORT_FORMS:
            found.append((name, SHORT_FORMS[name]))
        elif name.startswith(PREFIX) and SEPARATOR in name[len(PREFIX):]:
            found.append((name, tuple(part.lower() for part in name[len(PREFIX):].split(SEPARATOR))))
    return found


def _refuse_conflicts(found: list[Override]) -> None:
    by_key: dict[str, str] = {}
    for override in found:
        if override.dotted in by_key:
            raise ConfigError(override.variable, f"{by_key[override.dotted]} sets {override.dotted} too: keep one")
        by_key[override.dotted] = override.variable


def _target(config_type: type[Any], data: dict[str, Any], variable: str, path: tuple[str, ...],
            secret_keys: Mapping[str, str]) -> tuple[dict[str, Any], str, str, Any]:
    """The table to change, the key, its dotted name and its type hint."""
    sections = _fields(config_type)
    if len(path) < 2 or path[0] not in sections:
        raise ConfigError(variable, f"no section {path[0]!r} (expected {PREFIX}<SECTION>{SEPARATOR}<KEY>, "
                                    f"sections: {', '.join(sections)})")
    section_type = sections[path[0]]
    table = _table(data, path[0], variable)
    if path[0] == "alerts" and path[1] == "channels" and len(path) == 4:
        return _channel_target(section_type, table, variable, path, secret_keys)
    if len(path) != 2:
        raise ConfigError(variable, f"expected {PREFIX}{path[0].upper()}{SEPARATOR}<KEY>")
    return table, path[1], f"{path[0]}.{path[1]}", _hint(section_type, path[1], variable, secret_keys)


def _channel_target(alerts_type: type[Any], alerts: dict[str, Any], variable: str, path: tuple[str, ...],
                    secret_keys: Mapping[str, str]) -> tuple[dict[str, Any], str, str, Any]:
    channels = alerts.get("channels", [])
    if not isinstance(channels, list):
        raise ConfigError(variable, "alerts.channels in the file is not a list of tables")
    names = [str(c.get("name", "")) if isinstance(c, dict) else "" for c in channels]
    index = next((i for i, n in enumerate(names) if env_name(n) == path[2].upper()), None)
    if index is None:
        raise ConfigError(variable, f"no channel named like {path[2]!r} in the config file "
                                    f"(channels: {', '.join(names) or 'none'})")
    channel_type = get_args(get_type_hints(alerts_type)["channels"])[0]
    hint = _hint(channel_type, path[3], variable, secret_keys)
    return channels[index], path[3], f"alerts.channels[{index}].{path[3]}", hint


def env_name(name: str) -> str:
    """How a channel name is spelled in a variable: upper case, anything but letters and digits ``_``."""
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def _fields(cls: type[Any]) -> dict[str, Any]:
    hints = get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if not f.metadata.get("internal")}


def _table(data: dict[str, Any], name: str, variable: str) -> dict[str, Any]:
    table = data.setdefault(name, {})
    if not isinstance(table, dict):
        raise ConfigError(variable, f"[{name}] in the config file is not a table")
    return table


def _hint(cls: type[Any], key: str, variable: str, secret_keys: Mapping[str, str]) -> Any:
    if key in secret_keys:
        raise ConfigError(variable, f"secrets are not config keys: set the variable the channel's "
                                    f"{secret_keys[key]} names (or that variable with _FILE)")
    known = _fields(cls)
    if key not in known:
        raise ConfigError(variable, f"no key {key!r} (known: {', '.join(known)})")
    return known[key]


def parse_value(hint: Any, text: str, variable: str) -> Any:
    """``text`` as a value of the type ``hint`` (the file's validation then applies)."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
        origin = get_origin(hint)
    if origin is tuple:
        item = get_args(hint)[0]
        if text.lstrip().startswith("[") or dataclasses.is_dataclass(item):
            return _toml_value(text, variable)
        return [part.strip() for part in text.split(",") if part.strip()]
    if hint is bool:
        lowered = text.strip().lower()
        if lowered not in _TRUE | _FALSE:
            raise ConfigError(variable, f"expected true or false, got {text!r}")
        return lowered in _TRUE
    if hint in (int, float):
        try:
            return hint(text.strip())
        except ValueError as exc:
            raise ConfigError(variable, f"expected {'an integer' if hint is int else 'a number'}, got {text!r}") \
                from exc
    return text


def _toml_value(text: str, variable: str) -> Any:
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(variable, f"not a TOML value ({exc})") from exc
