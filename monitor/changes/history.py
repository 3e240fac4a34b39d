"""An article's history from storage: its versions, the changes between them, diffs on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from newswatch.crawler.urls import site_of, try_canonical_url
from newswatch.monitor.changes.diff import Diff, diff_texts
from newswatch.monitor.changes.ignore import IgnoreRules
from newswatch.monitor.changes.template import Template, strip
from newswatch.monitor.changes.template_store import known_template
from newswatch.storage.errors import NewswatchError
from newswatch.storage.models import Article, Removal
from newswatch.storage.queries import articles as article_queries
from newswatch.storage.queries import changes as change_queries
from newswatch.storage.queries import removals as removal_queries
from newswatch.storage.queries import versions as version_queries


class NotFound(NewswatchError):
    """No such article or version in storage."""


@dataclass(frozen=True)
class VersionInfo:
    number: int
    fetched_at: datetime
    title: str | None
    extractor: str
    chars: int
    change_class: str | None
    changed_fields: tuple[str, ...]
    reverted_to: int | None


@dataclass(frozen=True)
class History:
    url: str
    versions: tuple[VersionInfo, ...]
    anomalies: tuple[tuple[datetime, str], ...]
    removals: tuple[Removal, ...] = ()  # taken down (and restored_at once it answered again)


def find_article(session: Session, url: str) -> Article:
    canonical = try_canonical_url(url) or url
    article = article_queries.article_by_url(session, canonical)
    if article is None:
        raise NotFound(f"no stored article at {canonical}")
    return article


def history(session: Session, url: str) -> History:
    article = find_article(session, url)
    changes = change_queries.changes_by_target(session, article.id)
    rows = version_queries.versions_of(session, article.id)
    versions = []
    for v in rows:
        change = changes.get(v.id)
        versions.append(VersionInfo(
            v.number, v.fetched_at, v.title, v.extractor, len(v.body), change.change_class if change else None,
            tuple(change.changed_fields) if change else (), change.reverted_to if change else None,
        ))
    anomalies = version_queries.anomaly_reasons(session, article.id)
    removals = removal_queries.removal_rows(session, article.id)
    return History(article.canonical_url, tuple(versions), tuple((a, r) for a, r in anomalies), tuple(removals))


def version_diff(session: Session, url: str, old: int | None = None, new: int | None = None,
                 ignore: IgnoreRules | None = None) -> tuple[int, int, Diff]:
    """The diff between versions ``old`` and ``new`` (default: the last two), compared as change detection
    compares them: without the site template's lines and without the source's ``ignore`` matches, so it
    says what the change document and the alert said."""
    article = find_article(session, url)
    numbers = version_queries.version_numbers(session, article.id)
    if len(numbers) < 2 and (old is None or new is None):
        raise NotFound(f"{article.canonical_url} has {len(numbers)} version(s): nothing to compare")
    new = numbers[-1] if new is None else new
    old = numbers[numbers.index(new) - 1] if old is None and new in numbers[1:] else old
    texts = {}
    template = Template()  # the site-template lines either version was compared under stay out of the diff
    for number in (old, new):
        version = version_queries.version_of(session, article.id, number) if number is not None else None
        if version is None:
            raise NotFound(f"{article.canonical_url} has no version {number}")
        texts[number] = ignore.strip(version.body).text if ignore is not None else version.body
        template = template.union(known_template(session, site_of(article.canonical_url), version.meta))
    assert old is not None
    return old, new, diff_texts(strip(texts[old], template), strip(texts[new], template))
