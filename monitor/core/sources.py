"""The source registry (``seeds/sources.toml``): source names resolved to sites, feeds, sitemaps."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.urls import try_canonical_url
from storage.errors import ConfigError

REGISTRY_FILE = "sources.toml"
_KEYS = {"name", "aliases", "site", "pages", "feeds", "sitemaps", "discover"}


@dataclass(frozen=True)
class RegisteredSource:
    name: str
    aliases: tuple[str, ...] = ()
    site: str | None = None
    pages: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    discover: bool = True

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Registry:
    sources: tuple[RegisteredSource, ...] = ()

    def resolve(self, name: str | None) -> RegisteredSource | None:
        """The registered source for a name (or alias), compared without case or surrounding space."""
        if not name:
            return None
        wanted = name.strip().casefold()
        for source in self.sources:
            if any(n.strip().casefold() == wanted for n in source.names()):
                return source
        return None


def load_registry(folder: Path) -> Registry:
    """Read ``sources.toml`` from the seeds folder (absent: an empty registry)."""
    path = folder / REGISTRY_FILE
    if not path.exists():
        return Registry()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{REGISTRY_FILE}: source", "expected [[source]] tables")
    return Registry(tuple(_entry(e, i) for i, e in enumerate(entries)))


def _entry(raw: Any, index: int) -> RegisteredSource:
    where = f"{REGISTRY_FILE}: source[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise ConfigError(where, "each [[source]] needs a non-empty name")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ConfigError(f"{where}.{sorted(unknown)[0]}", f"unknown key (known: {', '.join(sorted(_KEYS))})")
    site = _url(raw["site"], f"{where}.site") if "site" in raw else None
    lists = {key: tuple(_url(u, f"{where}.{key}") for u in _strings(raw, key, where))
             for key in ("pages", "feeds", "sitemaps")}
    discover = raw.get("discover", True)
    if not isinstance(discover, bool):
        raise ConfigError(f"{where}.discover", "expected true or false")
    aliases = tuple(_strings(raw, "aliases", where))
    return RegisteredSource(raw["name"].strip(), aliases, site, discover=discover, **lists)


def _strings(raw: dict[str, Any], key: str, where: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}.{key}", "expected a list of strings")
    return value


def _url(value: Any, where: str) -> str:
    url = try_canonical_url(value) if isinstance(value, str) else None
    if url is None:
        raise ConfigError(where, f"not an http(s) URL: {value!r}")
    return url
