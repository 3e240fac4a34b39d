"""TOML text for the files a test workspace writes (config, source registry), pure.

Only what those files hold: tables of strings, numbers, booleans and lists of strings, and arrays of
such tables. Strings are written as TOML basic strings (JSON escapes are valid there), so any text,
Chinese included, round-trips through ``tomllib``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence

from storage.errors import ConfigError

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def value(raw: object, where: str) -> str:
    """One TOML value; ConfigError naming ``where`` for what a config file cannot hold."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ConfigError(where, f"expected a finite number, got {raw!r}")
        return repr(raw)
    if isinstance(raw, str):
        return json.dumps(raw, ensure_ascii=False)
    if isinstance(raw, Sequence) and all(isinstance(item, str) for item in raw):
        return "[" + ", ".join(json.dumps(item, ensure_ascii=False) for item in raw) + "]"
    raise ConfigError(where, f"expected a string, number, true/false or a list of strings, got {raw!r}")


def table(name: str, entries: Mapping[str, object], where: str, *, array: bool = False) -> str:
    """``[name]`` (``[[name]]`` for an ``array`` entry) with one ``key = value`` line each; a mapping value
    becomes a sub-table ``[name.key]`` after it (``storage={"retention": {...}}``)."""
    plain = {k: v for k, v in entries.items() if not isinstance(v, Mapping)}
    nested = {k: v for k, v in entries.items() if isinstance(v, Mapping)}
    if array and nested:
        raise ConfigError(f"{where}.{next(iter(nested))}", "an entry of a list of tables cannot hold a table")
    lines = [f"[[{name}]]" if array else f"[{name}]"]
    lines.extend(f"{key(k)} = {value(raw, f'{where}.{k}')}" for k, raw in plain.items())
    text = "\n".join(lines) + "\n"
    for k, sub in nested.items():
        text += "\n" + table(f"{name}.{key(k)}", sub, f"{where}.{k}")
    return text
