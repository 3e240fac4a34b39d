"""A new source proposed from its URL (``newswatch sources add``): its name, feeds and sitemaps, the ones
not given discovered by looking at the site once (:func:`crawler.discover.probe.probe_site`), checked against
the registry before anything is saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newswatch.crawler.discover.probe import probe_site
from newswatch.crawler.urls import site_of, try_canonical_url
from newswatch.monitor.config.model import Config
from newswatch.monitor.config.runtime import fetch_limits
from newswatch.monitor.sources.registry import RegisteredSource, Registry
from newswatch.storage.errors import ConfigError


@dataclass(frozen=True)
class Proposal:
    source: RegisteredSource
    discovered: tuple[str, ...]  # "feeds", "sitemaps", "name": what was looked up on the site
    notes: tuple[str, ...] = ()


def propose(config: Config, registry: Registry, url: str, name: str | None = None,
            feeds: Sequence[str] = (), sitemaps: Sequence[str] = ()) -> Proposal:
    """The source to add for ``url``; feeds and sitemaps not given are discovered (one guarded fetch of
    the page, one of robots.txt); ConfigError when the URL, a name or a site is already taken."""
    site = _url(url, "URL")
    given_feeds = tuple(_url(f, "--feed") for f in feeds)
    given_sitemaps = tuple(_url(s, "--sitemap") for s in sitemaps)
    look = {"feeds": not given_feeds, "sitemaps": not given_sitemaps, "name": not name}
    discovered: list[str] = []
    notes: tuple[str, ...] = ()
    found_name = None
    if look["feeds"] or look["sitemaps"]:
        probe = probe_site(site, fetch_limits(config), feeds=look["feeds"], sitemaps=look["sitemaps"])
        site, found_name, notes = probe.url, probe.name, probe.notes
        given_feeds = given_feeds or probe.feeds
        given_sitemaps = given_sitemaps or probe.sitemaps
        discovered = [key for key in ("feeds", "sitemaps") if look[key]]
    chosen = (name or found_name or site_of(site)).strip()
    if not name:
        discovered.append("name")
    source = RegisteredSource(chosen, site=site, feeds=given_feeds, sitemaps=given_sitemaps)
    _check_new(registry, source)
    return Proposal(source, tuple(discovered), notes)


def _url(value: str, what: str) -> str:
    url = try_canonical_url(value)
    if url is None:
        raise ConfigError(what, f"not an http(s) URL: {value!r}")
    return url


def _check_new(registry: Registry, source: RegisteredSource) -> None:
    taken = registry.resolve(source.name)
    if taken is not None:
        raise ConfigError("--name", f"a source called {source.name!r} exists already ({taken.name}); "
                                    "choose another name with --name")
    for existing in registry.sources:
        if source.site and source.site in existing.urls():
            raise ConfigError("URL", f"{source.site} is registered already, as {existing.name!r}")
