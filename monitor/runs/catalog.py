"""Every source as ``newswatch sources list`` shows it: the registry's (named by a seed or not), then
the names the seeds use that the registry lacks (resolved through a seed's URL, or unresolved), with
their health from storage when there is one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from newswatch.monitor.runs.plan import SourceStatus as SeedSource
from newswatch.monitor.runs.status import SourceStatus as Health
from newswatch.monitor.sources.registry import RegisteredSource, Registry


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    registered: RegisteredSource | None
    site: str | None  # where an unregistered seed source was reached (its seed's URL)
    seeds: tuple[str, ...]  # seed files naming it
    health: Health | None  # None: never crawled (no row in storage) or no storage at hand

    @property
    def state(self) -> str:
        if self.registered is not None:
            return "registered"
        return "by URL" if self.site else "UNRESOLVED"

    @property
    def last_checked(self) -> datetime | None:
        return self.health.last_checked_at if self.health else None


def catalog(registry: Registry, seed_sources: Sequence[SeedSource],
            health: Mapping[str, Health]) -> tuple[CatalogEntry, ...]:
    """The registry's sources in file order, then the seeds' other source names in seed order."""
    seeds_of: dict[str, list[str]] = {}
    others: list[SeedSource] = []
    for status in seed_sources:
        if status.registered is not None:
            seeds_of.setdefault(status.registered.name, []).extend(status.seeds)
        else:
            others.append(status)
    entries = [CatalogEntry(s.name, s, None, tuple(seeds_of.get(s.name, ())), health.get(s.name))
               for s in registry.sources]
    entries += [CatalogEntry(s.name, None, s.site, s.seeds, health.get(s.name) or health.get(s.site or ""))
                for s in others]
    return tuple(entries)
