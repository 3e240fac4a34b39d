"""Queries on ``source_validators`` (the ETag / Last-Modified of each feed or leaf sitemap last read whole)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from newswatch.storage.models import SourceValidator


def stored_validators(session: Session) -> list[tuple[str, str, str | None, str | None]]:
    """Every stored URL with its kind, ETag and Last-Modified (a few rows: one per source URL)."""
    rows = session.execute(select(SourceValidator.url, SourceValidator.kind, SourceValidator.etag,
                                  SourceValidator.last_modified))
    return [(url, kind, etag, modified) for url, kind, etag, modified in rows]


def save_validators(session: Session, clear: Iterable[str],
                    keep: Iterable[tuple[str, str, str | None, str | None]], now: datetime) -> None:
    """Forget the validators of the URLs in ``clear``; store those of ``keep`` (URL, kind, ETag, Last-Modified),
    checked at ``now``."""
    for url in clear:
        row = session.get(SourceValidator, url)
        if row is not None:
            session.delete(row)
    for url, kind, etag, modified in keep:
        row = session.get(SourceValidator, url) or SourceValidator(url=url)
        row.kind, row.etag, row.last_modified, row.checked_at = kind, etag, modified, now
        session.add(row)
