"""The events alerts deliver: defined where they are raised, :mod:`monitor.changes.events` (re-exported)."""

from __future__ import annotations

from newswatch.monitor.changes.events import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    ArticleInfo,
    ChangeInfo,
    Event,
    RemovalInfo,
    event_id,
)

__all__ = ["EVENT_TYPES", "SCHEMA_VERSION", "ArticleInfo", "ChangeInfo", "Event", "RemovalInfo", "event_id"]
