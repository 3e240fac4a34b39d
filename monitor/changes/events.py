"""Events, pure: what happened, self-contained, with an id that never changes.

Types: ``article.new``, ``article.changed`` (a change or a revert), ``article.anomaly``,
``article.removed`` (taken down: gone, withdrawn, redirected, hidden), ``article.restored``,
``source.failing`` (N consecutive failed runs), ``source.quiet`` (no new article for a while).
The event id is derived from what happened (type, the article's key and version, or source and the start of
its streak; an article's key is its URL unless it moved, ``storage.models.event_key``), so a re-run never
creates a second event for the same thing and receivers de-duplicate on it.
:meth:`Event.payload` is the JSON a webhook receives (``docs/webhook.schema.json``); the events table stores
it (``monitor.changes.emit``) and :meth:`Event.from_payload` rebuilds the event for the alert channels' rules
and their delivery (``monitor.alerts``, which reads these events and nothing here reads).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

EVENT_TYPES = ("article.new", "article.changed", "article.anomaly", "article.removed", "article.restored",
               "source.failing", "source.quiet")
SCHEMA_VERSION = 1


def event_id(*parts: object) -> str:
    """A stable id: 32 hex digits of SHA-256 over the parts that identify what happened (joined with
    ``storage.models.KEY_SEPARATOR``: an article key of two URLs counts as two parts)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class ArticleInfo:
    url: str
    title: str | None
    author: str | None = None
    published: str | None = None
    updated: str | None = None
    language: str | None = None
    site: str | None = None
    version: int | None = None
    excerpt: str | None = None  # the first characters of the body (new articles)


@dataclass(frozen=True)
class ChangeInfo:
    change_class: str
    changed_fields: tuple[str, ...]
    from_version: int
    to_version: int
    inserted_chars: int
    deleted_chars: int
    diff_text: str
    diff: dict[str, Any]  # the structured diff (monitor.changes.render.to_json, plus "fields")
    reverted_to: int | None = None


@dataclass(frozen=True)
class RemovalInfo:
    """How an article was taken down (``crawler.extract.removal``): for article.removed and article.restored."""

    kind: str  # gone | withdrawn | redirected | hidden
    http_status: int | None
    notice: str | None  # the notice served in its place (withdrawn)
    location: str | None  # where a redirect went (redirected)
    removed_at: str  # ISO time the removal was confirmed
    restored_at: str | None = None  # article.restored: when it answered with its text again


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    occurred_at: datetime
    source: str | None = None
    article: ArticleInfo | None = None
    change: ChangeInfo | None = None
    anomaly: str | None = None  # the reason, for article.anomaly
    detail: str | None = None  # a sentence for people (source events, anomalies)
    removal: RemovalInfo | None = None  # article.removed / article.restored

    @property
    def text(self) -> str:
        """Title and body text the keyword rules look at."""
        parts = [self.article.title if self.article else None, self.article.excerpt if self.article else None]
        if self.change:
            parts.append(self.change.diff_text)
        return "\n".join(p for p in parts if p)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "source": self.source,
            "article": asdict(self.article) if self.article else None,
            "change": asdict(self.change) if self.change else None,
            "anomaly": self.anomaly,
            "detail": self.detail,
            "removal": asdict(self.removal) if self.removal else None,
        }
        if data["change"] is not None:
            data["change"]["changed_fields"] = list(self.change.changed_fields) if self.change else []
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Event:
        article = ArticleInfo(**data["article"]) if data.get("article") else None
        change = None
        if data.get("change"):
            raw = dict(data["change"])
            raw["changed_fields"] = tuple(raw.get("changed_fields", ()))
            change = ChangeInfo(**raw)
        return cls(
            id=data["id"], type=data["type"], occurred_at=datetime.fromisoformat(data["occurred_at"]),
            source=data.get("source"), article=article, change=change, anomaly=data.get("anomaly"),
            detail=data.get("detail"), removal=RemovalInfo(**data["removal"]) if data.get("removal") else None,
        )
