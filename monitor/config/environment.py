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

from newswatch.monitor.alerts.secrets import FILE_SUFFIX, Secrets
from newswatch.storage.errors import ConfigError

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
    """The table to change, the key, its dotted name and its type hint; nested tables are walked
    (``NEWSWATCH_STORAGE__RETENTION__RAW_PAGES``), channels are picked by name."""
    sections = _fields(config_type)
    if len(path) < 2 or path[0] not in sections:
        raise ConfigError(variable, f"no section {path[0]!r} (expected {PREFIX}<SECTION>{SEPARATOR}<KEY>, "
                                    f"sections: {', '.join(sections)})")
    cls, table, dotted = config_type, data, ""
    for index, name in enumerate(path):
        rest = path[index + 1:]
        hint = _hint(cls, name, variable, secret_keys)
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            if not rest:
                raise ConfigError(variable, f"{dotted}{name} is a table: set one of its keys "
                                            f"({variable}{SEPARATOR}<KEY>)")
            cls, table, dotted = hint, _table(table, name, variable), f"{dotted}{name}."
            continue
        if name == "channels" and len(rest) == 2 and _is_table_list(hint):
            return _channel_target(get_args(hint)[0], table, variable, dotted, rest, secret_keys)
        if rest:
            raise ConfigError(variable, f"{dotted}{name} is not a table (expected {PREFIX}"
                                        f"{SEPARATOR.join(p.upper() for p in path[:index + 1])})")
        return table, name, f"{dotted}{name}", hint
    raise ConfigError(variable, "names no key")  # not reached: the last part returns or raises


def _is_table_list(hint: Any) -> bool:
    args = get_args(hint)
    return get_origin(hint) is tuple and bool(args) and dataclasses.is_dataclass(args[0])


def _channel_target(channel_type: type[Any], alerts: dict[str, Any], variable: str, dotted: str,
                    rest: tuple[str, ...], secret_keys: Mapping[str, str]) -> tuple[dict[str, Any], str, str, Any]:
    channels = alerts.get("channels", [])
    if not isinstance(channels, list):
        raise ConfigError(variable, f"{dotted}channels in the file is not a list of tables")
    names = [str(c.get("name", "")) if isinstance(c, dict) else "" for c in channels]
    index = next((i for i, n in enumerate(names) if env_name(n) == rest[0].upper()), None)
    if index is None:
        raise ConfigError(variable, f"no channel named like {rest[0]!r} in the config file "
                                    f"(channels: {', '.join(names) or 'none'})")
    hint = _hint(channel_type, rest[1], variable, secret_keys)
    return channels[index], rest[1], f"{dotted}channels[{index}].{rest[1]}", hint


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
