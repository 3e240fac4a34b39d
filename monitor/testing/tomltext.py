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

from monitor.testing.channels import ConfigValue
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


def table(header: str, entries: Mapping[str, ConfigValue], where: str) -> str:
    """``[header]`` (or ``[[header]]`` when written as such) followed by one ``key = value`` line each."""
    lines = [header]
    lines.extend(f"{key(name)} = {value(raw, f'{where}.{name}')}" for name, raw in entries.items())
    return "\n".join(lines) + "\n"
