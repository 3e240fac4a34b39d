"""Site templates in storage: per-site line counts updated incrementally, and the templates versions used.

Each article contributes the keys of its latest fetched body once to its site's counts
(``template_lines``; ``article_lines`` remembers what it contributed, so a new fetch only adds and removes
the difference; a line no article has any more is forgotten). A fetch reads the counts of its own lines
only, never the bodies of the site's other articles. The template a version was compared under (the keys
found in its body) is kept by digest in ``site_templates``, so a re-extraction strips the same lines
(:func:`load_template`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.changes.template import SITE_KEY, Template, TemplateRules, learn
from storage.models import ArticleLine, SiteTemplate, TemplateLine, utcnow

_CHUNK = 500  # keys per IN (...) list


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]


def own_keys(session: Session, article_id: int) -> frozenset[str]:
    """The keys ``article_id`` has contributed to its site's counts."""
    query = select(ArticleLine.line_hash).where(ArticleLine.article_id == article_id)
    return frozenset(session.execute(query).scalars())


def site_counts(session: Session, site: str, keys: Iterable[str]) -> dict[str, int]:
    """key -> number of the site's articles having it, for ``keys`` and the site's article count."""
    counts: dict[str, int] = {}
    for chunk in _chunks({*keys, SITE_KEY}):
        query = select(TemplateLine.line_hash, TemplateLine.articles).where(
            TemplateLine.site == site, TemplateLine.line_hash.in_(chunk))
        counts.update({key: count for key, count in session.execute(query).all()})
    return counts


def site_template(session: Session, site: str, article_id: int, keys: Iterable[str],
                  rules: TemplateRules, own: frozenset[str] | None = None) -> tuple[Template, frozenset[str]]:
    """The site's template restricted to ``keys`` (seen from outside ``article_id``), and what the
    article contributed so far (``own`` when the caller knows it: an article created by this fetch has
    contributed nothing)."""
    if own is None:
        own = own_keys(session, article_id)
    return learn(site_counts(session, site, keys), own, rules), own


def _add(session: Session, site: str, deltas: list[tuple[str, int]]) -> set[str]:
    """Add each delta to its key's count: one statement, keys in sorted order (concurrent transactions
    lock the rows in one order, so they wait for each other but never deadlock); the keys no article
    has any more (count 0 or less)."""
    rows = [{"site": site, "line_hash": key, "articles": delta} for key, delta in deltas]
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):  # one statement, compiled once: the rows go as parameters
        table = TemplateLine.__table__
        assert isinstance(table, Table)
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        total = table.c.articles + statement.excluded.articles
        upsert = statement.on_conflict_do_update(index_elements=["site", "line_hash"], set_={"articles": total})
        if not any(delta < 0 for _key, delta in deltas):
            session.connection().execute(upsert, rows)
            return set()
        returned = session.connection().execute(upsert.returning(table.c.line_hash, table.c.articles), rows).all()
        return {key for key, count in returned if count <= 0}
    gone = set()
    for key, delta in deltas:  # other backends: read, then write
        row = session.get(TemplateLine, (site, key))
        if row is None:
            session.add(TemplateLine(site=site, line_hash=key, articles=delta))
        else:
            row.articles += delta
            if row.articles <= 0:
                gone.add(key)
    session.flush()
    return gone


def contribute(session: Session, site: str, article_id: int, before: frozenset[str],
               keys: Iterable[str]) -> None:
    """Make the article's contribution ``keys`` (it was ``before``): only the difference is written."""
    now = frozenset({*keys, SITE_KEY})
    added, removed = now - before, before - now
    deltas = sorted([(key, 1) for key in added] + [(key, -1) for key in removed])
    gone: set[str] = set()
    for start in range(0, len(deltas), _CHUNK):
        gone |= _add(session, site, deltas[start:start + _CHUNK])
    session.add_all(ArticleLine(article_id=article_id, line_hash=key) for key in sorted(added))
    for chunk in _chunks(removed):
        session.execute(delete(ArticleLine).where(ArticleLine.article_id == article_id,
                                                  ArticleLine.line_hash.in_(chunk)))
    for chunk in _chunks(gone):  # a line no article has any more (a hot list moved on)
        session.execute(delete(TemplateLine).where(
            TemplateLine.site == site, TemplateLine.line_hash.in_(chunk), TemplateLine.articles <= 0))


def save_template(session: Session, site: str, template: Template) -> str | None:
    """Keep ``template`` (the keys found in one body) under its digest; the digest (None when empty)."""
    digest = template.digest
    if digest is None or session.get(SiteTemplate, (site, digest)) is not None:
        return digest
    row = {"site": site, "digest": digest, "line_hashes": sorted(template.keys), "created_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):  # another transaction may be keeping the same one
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(SiteTemplate).values(row).on_conflict_do_nothing())
    else:
        session.add(SiteTemplate(**row))
        session.flush()
    return digest


def known_template(session: Session, site: str, meta: Mapping[str, Any] | None) -> Template:
    """The template lines known in a version (its ``meta``): those it was compared under (``template``)
    and those found in it since (``furniture``)."""
    meta = meta or {}
    return load_template(session, site, meta.get("template")).union(load_template(session, site, meta.get("furniture")))


def load_template(session: Session, site: str, digest: object) -> Template:
    """The template kept under ``digest`` (empty when there is none)."""
    if not isinstance(digest, str):
        return Template()
    row = session.get(SiteTemplate, (site, digest))
    return Template(frozenset(row.line_hashes)) if row is not None else Template()
