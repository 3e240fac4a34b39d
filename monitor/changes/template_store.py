"""Site templates in storage: per-site line counts updated incrementally, and the templates versions used.

Each article contributes the keys of its latest fetched body once to its site's counts
(``template_lines``; ``article_lines`` remembers what it contributed, so a new fetch only adds and removes
the difference; a line no article has any more is forgotten). Each count keeps its peak: the most articles
that have held the line at once (see :func:`~newswatch.monitor.changes.template.learn`). A fetch reads the
counts of its own lines only, never the bodies of the site's other articles. The template a version was
compared under (the keys found in its body) is kept by digest in ``site_templates``, so a re-extraction
strips the same lines (:func:`load_template`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from newswatch.monitor.changes.template import SITE_KEY, Template, TemplateRules, learn
from newswatch.storage.queries import templates as template_queries


def own_keys(session: Session, article_id: int) -> frozenset[str]:
    """The keys ``article_id`` has contributed to its site's counts."""
    return template_queries.article_keys(session, article_id)


def site_lines(session: Session, site: str, keys: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """For ``keys`` and the site's article count: key -> number of the site's articles having it, and key ->
    the most that had it at once (its peak)."""
    stored = template_queries.line_counts(session, site, {*keys, SITE_KEY})
    return {key: count for key, (count, _peak) in stored.items()}, {key: peak for key, (_c, peak) in stored.items()}


def site_counts(session: Session, site: str, keys: Iterable[str]) -> dict[str, int]:
    """key -> number of the site's articles having it, for ``keys`` and the site's article count."""
    return site_lines(session, site, keys)[0]


def site_template(session: Session, site: str, article_id: int, keys: Iterable[str],
                  rules: TemplateRules, own: frozenset[str] | None = None) -> tuple[Template, frozenset[str]]:
    """The site's template restricted to ``keys`` (seen from outside ``article_id``), and what the
    article contributed so far (``own`` when the caller knows it: an article created by this fetch has
    contributed nothing)."""
    if own is None:
        own = own_keys(session, article_id)
    counts, peaks = site_lines(session, site, keys)
    return learn(counts, own, rules, peaks), own


def contribute(session: Session, site: str, article_id: int, before: frozenset[str],
               keys: Iterable[str]) -> None:
    """Make the article's contribution ``keys`` (it was ``before``): only the difference is written."""
    now = frozenset({*keys, SITE_KEY})
    added, removed = now - before, before - now
    deltas = sorted([(key, 1) for key in added] + [(key, -1) for key in removed])
    gone = template_queries.add_counts(session, site, deltas)
    template_queries.add_article_keys(session, article_id, added)
    template_queries.drop_article_keys(session, article_id, removed)
    template_queries.drop_unused_keys(session, site, gone)  # a line no article has any more (a hot list moved on)


def save_template(session: Session, site: str, template: Template) -> str | None:
    """Keep ``template`` (the keys found in one body) under its digest; the digest (None when empty)."""
    digest = template.digest
    if digest is not None:
        template_queries.keep_site_template(session, site, digest, template.keys)
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
    keys = template_queries.site_template_keys(session, site, digest)
    return Template(frozenset(keys)) if keys is not None else Template()
