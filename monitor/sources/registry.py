"""The source registry (``seeds/sources.toml``): every source to crawl, with its site, feeds, sitemaps
and noise rules. A seed's source *name* resolves through it too (names and aliases).

The file is the source of truth; ``newswatch sources add/remove/import`` edit it in place
(:mod:`monitor.sources.sourcefile`), keeping its comments and layout.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newswatch.crawler.extract.selectors import Selection
from newswatch.crawler.urls import for_site, site_of, try_canonical_url
from newswatch.monitor.changes.ignore import IgnoreRules, compile_patterns
from newswatch.storage.errors import ConfigError

REGISTRY_FILE = "sources.toml"
URL_LISTS = ("pages", "feeds", "sitemaps")
RULE_LISTS = ("include", "exclude", "ignore")
_KEYS = {"name", "aliases", "site", "discover", "render", *URL_LISTS, *RULE_LISTS}
RENDER_VALUES = ("browser",)  # ``render = "browser"``: pages loaded in headless Chromium (crawler.fetch.render)


@dataclass(frozen=True)
class RegisteredSource:
    name: str
    aliases: tuple[str, ...] = ()
    site: str | None = None
    pages: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    discover: bool = True
    include: tuple[str, ...] = ()  # CSS/XPath selectors: extract only these parts of a page
    exclude: tuple[str, ...] = ()  # CSS/XPath selectors: drop these parts before extraction
    ignore: tuple[str, ...] = ()  # regular expressions: matches never count as a change
    render: str | None = None  # "browser": article and section pages rendered in headless Chromium

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def urls(self) -> tuple[str, ...]:
        return (*([self.site] if self.site else []), *self.pages, *self.feeds, *self.sitemaps)

    def rules(self) -> dict[str, tuple[str, ...]]:
        """The noise rules that are set (``include``, ``exclude``, ``ignore``)."""
        return {key: getattr(self, key) for key in RULE_LISTS if getattr(self, key)}


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

    def for_url(self, url: str) -> RegisteredSource | None:
        """The first source with a start URL on the site of ``url``."""
        site = site_of(url)
        return next((s for s in self.sources if site in {site_of(u) for u in s.urls()}), None)


def load_registry(folder: Path) -> Registry:
    """Read ``sources.toml`` from the seeds folder (absent: an empty registry)."""
    path = folder / REGISTRY_FILE
    if not path.exists():
        return Registry()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
    return parse_registry(text, str(path))


def parse_registry(text: str, where: str = REGISTRY_FILE) -> Registry:
    """The registry in ``text`` (the contents of a ``sources.toml``), validated; errors name the entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(where, f"not valid TOML: {exc}") from exc
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{REGISTRY_FILE}: source", "expected [[source]] tables")
    sources = tuple(_entry(e, i) for i, e in enumerate(entries))
    seen: dict[str, int] = {}
    for index, source in enumerate(sources):
        for name in source.names():
            key = name.strip().casefold()
            if key in seen:
                raise ConfigError(f"{REGISTRY_FILE}: source[{index}].name",
                                  f"{name!r} is already the name or an alias of source[{seen[key]}]")
            seen[key] = index
    return Registry(sources)


def source_rules(registry: Registry) -> dict[str, dict[str, tuple[str, ...]]]:
    """Noise rules by site, as plain data for the crawl settings; two sources on one site add up."""
    by_site: dict[str, dict[str, tuple[str, ...]]] = {}
    for source in registry.sources:
        rules = source.rules()
        if not rules:
            continue
        for site in dict.fromkeys(site_of(u) for u in source.urls()):
            merged = by_site.setdefault(site, {})
            for key, values in rules.items():
                merged[key] = tuple(dict.fromkeys((*merged.get(key, ()), *values)))
    return by_site


def ignore_rules(registry: Registry, url: str) -> IgnoreRules | None:
    """The compiled ``ignore`` patterns of the source(s) of ``url``'s site (None: none)."""
    rules = for_site(source_rules(registry), url)
    return compile_patterns(rules.get("ignore", ())) if rules else None


def source_names(registry: Registry) -> dict[str, str]:
    """The registered name of each site (the corpus ``source`` of its articles), as plain data for the
    crawl settings; when two sources share a site, the first listed names it."""
    names: dict[str, str] = {}
    for source in registry.sources:
        for site in dict.fromkeys(site_of(u) for u in source.urls()):
            names.setdefault(site, source.name)
    return names


def render_sites(registry: Registry) -> tuple[str, ...]:
    """The sites whose pages are rendered in a browser (``render = "browser"``), as plain data."""
    rendered = (s for s in registry.sources if s.render == "browser")
    return tuple(dict.fromkeys(site_of(u) for source in rendered for u in source.urls()))


def _entry(raw: Any, index: int) -> RegisteredSource:
    where = f"{REGISTRY_FILE}: source[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise ConfigError(where, "each [[source]] needs a non-empty name")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ConfigError(f"{where}.{sorted(unknown)[0]}", f"unknown key (known: {', '.join(sorted(_KEYS))})")
    site = _url(raw["site"], f"{where}.site") if "site" in raw else None
    lists = {key: tuple(_url(u, f"{where}.{key}") for u in _strings(raw, key, where)) for key in URL_LISTS}
    discover = raw.get("discover", True)
    if not isinstance(discover, bool):
        raise ConfigError(f"{where}.discover", "expected true or false")
    render = raw.get("render")
    if render is not None and render not in RENDER_VALUES:
        raise ConfigError(f"{where}.render", f"expected {' or '.join(map(repr, RENDER_VALUES))}, got {render!r}")
    aliases = tuple(_strings(raw, "aliases", where))
    rules = {key: tuple(_strings(raw, key, where)) for key in RULE_LISTS}
    _check_rules(rules, where)
    return RegisteredSource(raw["name"].strip(), aliases, site, discover=discover, render=render, **lists, **rules)


def _check_rules(rules: Mapping[str, tuple[str, ...]], where: str) -> None:
    for key in ("include", "exclude"):
        try:
            Selection.of(rules[key])
        except ValueError as exc:
            raise ConfigError(f"{where}.{key}", str(exc)) from exc
    try:
        compile_patterns(rules["ignore"])
    except ValueError as exc:
        raise ConfigError(f"{where}.ignore", str(exc)) from exc


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
