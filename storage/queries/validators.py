"""Queries on ``source_validators`` (the ETag / Last-Modified of each feed or leaf sitemap last read whole)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from newswatch.storage.models import SourceValidator


def stored_validators(session: Session) -> list[tuple[str, str, str | None, str | None]]:
    """Every stored URL with its kind, ETag and Last-Modified (a few rows: one per source URL)."""
    rows = session.execute(select(SourceValidator.url, SourceValidator.kind, SourceValidator.etag,
                                  SourceValidator.last_modified))
    return [(url, kind, etag, modified) for url, kind, etag, modified in rows]
