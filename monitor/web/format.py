"""How values read in the pages: times in UTC, page links that keep the filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode


def datetime_text(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "–"


def page_query(query: Mapping[str, str], page: int) -> str:
    """``?...&page=N`` keeping the non-empty filters."""
    kept = {k: v for k, v in query.items() if v and k != "page"}
    return "?" + urlencode({**kept, "page": page})
