"""Alert rules: small classes with a ``kind``, in one explicit registry, built from a channel's config.

A channel delivers an event only when every one of its rules accepts it. Keywords match by substring
after case and width folding, so Chinese needs no word boundaries (``深度求索`` matches inside a
sentence). Change rules apply to ``article.changed`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.urls import site_of
from newswatch.monitor.alerts.settings import ChannelConfig
from newswatch.monitor.changes.events import Event


class Rule(Protocol):
    kind: ClassVar[str]

    def accepts(self, event: Event) -> bool:
        """True when the channel may deliver ``event``."""


@dataclass(frozen=True)
class EventTypes:
    kind: ClassVar[str] = "events"
    types: tuple[str, ...]

    def accepts(self, event: Event) -> bool:
        return event.type in self.types


@dataclass(frozen=True)
class Include:
    kind: ClassVar[str] = "include"
    keywords: tuple[str, ...]

    def accepts(self, event: Event) -> bool:
        return event.article is None or Topic(self.keywords).matches(event.text)


@dataclass(frozen=True)
class Exclude:
    kind: ClassVar[str] = "exclude"
    keywords: tuple[str, ...]

    def accepts(self, event: Event) -> bool:
        return event.article is None or not Topic(self.keywords).matches(event.text)


@dataclass(frozen=True)
class Sources:
    kind: ClassVar[str] = "sources"
    names: tuple[str, ...]

    def accepts(self, event: Event) -> bool:
        wanted = {n.casefold() for n in self.names}
        site = event.article.site if event.article and event.article.site else None
        candidates = {event.source, site, site_of(event.article.url) if event.article else None}
        return any(c is not None and c.casefold() in wanted for c in candidates)


@dataclass(frozen=True)
class ChangeClasses:
    kind: ClassVar[str] = "change_classes"
    classes: tuple[str, ...]

    def accepts(self, event: Event) -> bool:
        return event.change is None or event.change.change_class in self.classes


@dataclass(frozen=True)
class MinChangeChars:
    kind: ClassVar[str] = "min_change_chars"
    chars: int

    def accepts(self, event: Event) -> bool:
        change = event.change
        return change is None or change.inserted_chars + change.deleted_chars >= self.chars


RULES: tuple[type, ...] = (EventTypes, Include, Exclude, Sources, ChangeClasses, MinChangeChars)


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]

    def accepts(self, event: Event) -> bool:
        return all(rule.accepts(event) for rule in self.rules)

    @classmethod
    def from_config(cls, config: ChannelConfig) -> Rules:
        """The rules a channel's config asks for (an empty list or zero means no such rule)."""
        rules: list[Rule] = [EventTypes(config.events), ChangeClasses(config.change_classes)]
        if config.include:
            rules.append(Include(config.include))
        if config.exclude:
            rules.append(Exclude(config.exclude))
        if config.sources:
            rules.append(Sources(config.sources))
        if config.min_change_chars:
            rules.append(MinChangeChars(config.min_change_chars))
        return cls(tuple(rules))

    @property
    def kinds(self) -> Sequence[str]:
        return [rule.kind for rule in self.rules]
