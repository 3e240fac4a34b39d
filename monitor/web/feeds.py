"""Atom feeds (feedgen), pure: records in, XML bytes out.

Every change is its own entry, with the id of its alert event (``urn:newswatch:event:<id>``: derived from
the article's URL and version number, so it is stable across restarts and rebuilt databases) and the
escaped HTML diff as its content. New articles are entries with the id of their ``article.new`` event,
removals with the id of their ``article.removed`` event. An entry's content is rendered from the Jinja2
template ``templates/feed_entry.html`` (autoescaped).
Fetched text is untrusted: characters XML cannot hold are dropped before it reaches the XML writer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from feedgen.feed import FeedGenerator
from jinja2 import Environment, PackageLoader

from newswatch.monitor.web.diffs import DiffView
from newswatch.monitor.web.links import safe_url
from newswatch.monitor.web.queries import ArticleRow
from newswatch.monitor.web.removals import RemovalRow

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def xml_text(value: str | None) -> str:
    """``value`` with the characters XML 1.0 cannot hold removed."""
    return _NOT_XML.sub("", value or "")


@dataclass(frozen=True)
class FeedInfo:
    id: str  # stable: urn:newswatch:feed:<what>
    title: str
    self_url: str  # the feed's own absolute URL
    page_url: str  # the page showing the same list


@cache
def templates() -> Environment:
    """The entry template (package data in ``templates/``), autoescaped; built once."""
    env = Environment(loader=PackageLoader("newswatch.monitor.web"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    env.globals["safe_url"] = safe_url
    return env


def entry_html(item: DiffView | ArticleRow | RemovalRow) -> str:
    """An entry's content: a change (its diff), a new article or a removal; characters XML cannot hold dropped."""
    name = "view" if isinstance(item, DiffView) else "article" if isinstance(item, ArticleRow) else "removal"
    return xml_text(templates().get_template("feed_entry.html").render({name: item}))


def entry_id(event_id: str) -> str:
    return f"urn:newswatch:event:{event_id}"


def _feed(info: FeedInfo, updated: datetime) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(info.id)
    feed.title(xml_text(info.title))
    feed.link(href=info.self_url, rel="self", type="application/atom+xml")
    feed.link(href=info.page_url, rel="alternate", type="text/html")
    feed.author({"name": "newswatch"})
    feed.generator("newswatch")
    feed.updated(updated)
    return feed


def changes_feed(info: FeedInfo, diffs: Sequence[DiffView], link: str) -> bytes:
    """An Atom feed of changes (newest first); ``link`` is a format string for an entry's page
    (``{article_id}``, ``{version}``)."""
    feed = _feed(info, diffs[0].change.detected_at if diffs else EPOCH)
    for view in diffs:
        change = view.change
        entry = feed.add_entry(order="append")
        entry.id(entry_id(change.event_id))
        entry.title(xml_text(f"[{change.change_class}] {change.title or change.url} (v{change.to_version})"))
        entry.link(href=link.format(article_id=change.article_id, version=change.to_version), rel="alternate")
        entry.updated(change.detected_at)
        entry.published(change.detected_at)
        if change.source:
            entry.category(term=xml_text(change.source))
        entry.category(term=change.change_class)
        entry.content(entry_html(view), type="html")
    return bytes(feed.atom_str(pretty=True))


def articles_feed(info: FeedInfo, articles: Sequence[ArticleRow], link: str) -> bytes:
    """An Atom feed of new articles (newest first); ``link`` formats with ``{article_id}``."""
    feed = _feed(info, articles[0].first_seen_at if articles else EPOCH)
    for article in articles:
        entry = feed.add_entry(order="append")
        entry.id(entry_id(article.event_id))
        entry.title(xml_text(article.title or article.url))
        entry.link(href=link.format(article_id=article.id), rel="alternate")
        entry.updated(article.first_seen_at)
        entry.published(article.first_seen_at)
        if article.source:
            entry.category(term=xml_text(article.source))
        entry.content(entry_html(article), type="html")
    return bytes(feed.atom_str(pretty=True))


def removals_feed(info: FeedInfo, removals: Sequence[RemovalRow], link: str) -> bytes:
    """An Atom feed of removed articles (newest first); ``link`` formats with ``{article_id}``."""
    feed = _feed(info, removals[0].detected_at if removals else EPOCH)
    for removal in removals:
        entry = feed.add_entry(order="append")
        entry.id(entry_id(removal.event_id))
        entry.title(xml_text(f"[removed: {removal.kind}] {removal.title or removal.url}"))
        entry.link(href=link.format(article_id=removal.article_id), rel="alternate")
        entry.updated(removal.restored_at or removal.detected_at)
        entry.published(removal.detected_at)
        entry.category(term="removed")
        entry.content(entry_html(removal), type="html")
    return bytes(feed.atom_str(pretty=True))
