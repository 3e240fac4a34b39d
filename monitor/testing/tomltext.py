"""TOML text for the files a test workspace writes (config, source registry), pure, written by tomlkit.

Only what those files hold: tables of strings, numbers, booleans and lists of strings, and arrays of
such tables; anything else is a ConfigError naming the key. Any text, Chinese included, round-trips
through ``tomllib``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import tomlkit
from tomlkit.items import AoT, Item, Table

from newswatch.storage.errors import ConfigError


def value(raw: object, where: str) -> Item:
    """One TOML value; ConfigError naming ``where`` for what a config file cannot hold."""
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ConfigError(where, f"expected a finite number, got {raw!r}")
    if isinstance(raw, bool | int | float | str):
        return tomlkit.item(raw)
    if isinstance(raw, Sequence) and all(isinstance(item, str) for item in raw):
        strings = tomlkit.array()
        strings.extend(raw)
        return strings
    raise ConfigError(where, f"expected a string, number, true/false or a list of strings, got {raw!r}")


def _table(entries: Mapping[str, object], where: str) -> Table:
    """The keys of ``entries`` in order, a mapping value as a sub-table (``[name.key]``)."""
    body = tomlkit.table()
    for key, raw in entries.items():
        body.add(key, _table(raw, f"{where}.{key}") if isinstance(raw, Mapping) else value(raw, f"{where}.{key}"))
    return body


def table(name: str, entries: Mapping[str, object], where: str, *, array: bool = False) -> str:
    """``[name]`` (``[[name]]`` for an ``array`` entry; ``name`` may be dotted: ``alerts.channels``) with one
    ``key = value`` line each; a mapping value becomes a sub-table ``[name.key]`` after them
    (``storage={"retention": {...}}``)."""
    nested = [key for key, raw in entries.items() if isinstance(raw, Mapping)]
    if array and nested:
        raise ConfigError(f"{where}.{nested[0]}", "an entry of a list of tables cannot hold a table")
    plain = {key: raw for key, raw in entries.items() if not isinstance(raw, Mapping)}
    body = _table({**plain, **{key: entries[key] for key in nested}}, where)
    node: Table | AoT = tomlkit.aot() if array else body
    if isinstance(node, AoT):
        node.append(body)
    *outer, last = name.split(".")
    for part in reversed(outer):
        holder = tomlkit.table(is_super_table=True)
        holder.add(last, node)
        node, last = holder, part
    document = tomlkit.document()
    document.add(last, node)
    return document.as_string()
