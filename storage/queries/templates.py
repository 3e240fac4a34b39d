"""Queries on ``template_lines``, ``article_lines`` and ``site_templates`` (learned site templates).

Keys go to the database in chunks of :data:`CHUNK` (one ``IN (...)`` list or one batch each), in sorted
order: concurrent transactions lock the rows in one order, so they wait for each other but never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from newswatch.storage.models import ArticleLine, SiteTemplate, TemplateLine, utcnow

CHUNK = 500  # keys per IN (...) list


def chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    """``keys`` sorted, :data:`CHUNK` at a time."""
    ordered = sorted(keys)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def article_keys(session: Session, article_id: int) -> frozenset[str]:
    """The line keys an article has contributed to its site's counts."""
    query = select(ArticleLine.line_hash).where(ArticleLine.article_id == article_id)
    return frozenset(session.execute(query).scalars())


def line_counts(session: Session, site: str, keys: Iterable[str]) -> dict[str, tuple[int, int]]:
    """key -> (number of the site's articles having it, the most that had it at once), for the ``keys``
    stored."""
    counts: dict[str, tuple[int, int]] = {}
    for chunk in chunks(keys):
        query = select(TemplateLine.line_hash, TemplateLine.articles, TemplateLine.peak).where(
            TemplateLine.site == site, TemplateLine.line_hash.in_(chunk))
        counts.update({key: (count, peak) for key, count, peak in session.execute(query).all()})
    return counts


def _add(session: Session, site: str, deltas: Sequence[tuple[str, int]]) -> set[str]:
    """Add each delta to its key's count (and raise its peak) in one statement; the keys no article has any
    more (count <= 0)."""
    rows = [{"site": site, "line_hash": key, "articles": delta, "peak": max(delta, 0)} for key, delta in deltas]
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):  # one statement, compiled once: the rows go as parameters
        table = TemplateLine.__table__
        assert isinstance(table, Table)
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        total = table.c.articles + statement.excluded.articles
        highest = (func.greatest if dialect == "postgresql" else func.max)(table.c.peak, total)
        upsert = statement.on_conflict_do_update(index_elements=["site", "line_hash"],
                                                 set_={"articles": total, "peak": highest})
        if not any(delta < 0 for _key, delta in deltas):
            session.connection().execute(upsert, rows)
            return set()
        returned = session.connection().execute(upsert.returning(table.c.line_hash, table.c.articles), rows).all()
        return {key for key, count in returned if count <= 0}
    gone = set()
    for key, delta in deltas:  # other backends: read, then write
        row = session.get(TemplateLine, (site, key))
        if row is None:
            session.add(TemplateLine(site=site, line_hash=key, articles=delta, peak=max(delta, 0)))
        else:
            row.articles += delta
            row.peak = max(row.peak, row.articles)
            if row.articles <= 0:
                gone.add(key)
    session.flush()
    return gone


def add_counts(session: Session, site: str, deltas: Sequence[tuple[str, int]]) -> set[str]:
    """Add each delta (sorted by key) to its key's count, a chunk per statement; the keys left at 0 or less."""
    gone: set[str] = set()
    for start in range(0, len(deltas), CHUNK):
        gone |= _add(session, site, deltas[start:start + CHUNK])
    return gone


def add_article_keys(session: Session, article_id: int, keys: Iterable[str]) -> None:
    """Remember that an article contributed ``keys``."""
    session.add_all(ArticleLine(article_id=article_id, line_hash=key) for key in sorted(keys))


def drop_article_keys(session: Session, article_id: int, keys: Iterable[str]) -> None:
    """Forget that an article contributed ``keys``."""
    for chunk in chunks(keys):
        session.execute(delete(ArticleLine).where(ArticleLine.article_id == article_id,
                                                  ArticleLine.line_hash.in_(chunk)))


def drop_unused_keys(session: Session, site: str, keys: Iterable[str]) -> None:
    """Forget the counts of those ``keys`` no article of the site has any more."""
    for chunk in chunks(keys):
        session.execute(delete(TemplateLine).where(
            TemplateLine.site == site, TemplateLine.line_hash.in_(chunk), TemplateLine.articles <= 0))


def keep_site_template(session: Session, site: str, digest: str, line_hashes: Iterable[str]) -> None:
    """Keep a template's keys under its digest (once: another transaction may be keeping the same one)."""
    if session.get(SiteTemplate, (site, digest)) is not None:
        return
    row = {"site": site, "digest": digest, "line_hashes": sorted(line_hashes), "created_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(SiteTemplate).values(row).on_conflict_do_nothing())
    else:
        session.add(SiteTemplate(**row))
        session.flush()


def site_template_keys(session: Session, site: str, digest: str) -> list[str] | None:
    """The keys kept under ``digest`` (None: none kept)."""
    row = session.get(SiteTemplate, (site, digest))
    return list(row.line_hashes) if row is not None else None
