"""The monitor's recorder: each fetch goes through ``monitor.changes.detect`` before it becomes history.

The monitor builds one per crawl and hands the object to the crawler's storage pipeline (a
:class:`crawler.pipeline.recorder.Recorder`: the spider's ``recorder`` argument). Per fetch, in the pipeline's one
transaction: the version row, the change row (fields, class, text and structured diff), or the anomaly
row; the event row (``monitor.changes.emit``: the alert channels' rules are applied at delivery, not
here); and the corpus files (article document, change document).
A page the extractor rejects for an article we hold (an error or consent page where the article was)
is an anomaly of that article, not a change -- unless it is a removal notice: an article taken down
(a notice in its place, 404/410, a redirect away) is recorded by ``monitor.changes.removal``.
"""

from __future__ import annotations

import dataclasses
import logging
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from newswatch.crawler.extract.removal import mentions_notice, notice_of
from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import FetchedArticle, Missing, RejectedPage
from newswatch.crawler.pipeline.identity import DISPLACED_KEY
from newswatch.crawler.pipeline.store import (
    Recorded,
    corpus_source,
    fetched_history,
    moved_article,
    new_version,
    recover_corpus,
    refresh_latest,
    save_to_corpus,
)
from newswatch.crawler.urls import for_site, site_of
from newswatch.monitor.changes.detect import SEED_EXTRACTOR, Detection, DetectOptions, Snapshot, detect
from newswatch.monitor.changes.emit import record_event, repoint_events
from newswatch.monitor.changes.events import ArticleInfo, ChangeInfo, Event, event_id
from newswatch.monitor.changes.ignore import IgnoreRules, compile_patterns
from newswatch.monitor.changes.output import join_corpus, write_change
from newswatch.monitor.changes.removal import Removals
from newswatch.monitor.changes.render import fields_text, to_json, to_text
from newswatch.monitor.changes.ruleset import selectors_digest
from newswatch.monitor.changes.template import Template, TemplateRules, inherit, line_keys, templated
from newswatch.monitor.changes.template_store import contribute, known_template, save_template, site_template
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.models import Anomaly, Article, Change, Version, event_key
from newswatch.storage.queries.articles import article_by_url
from newswatch.storage.queries.versions import has_versions, latest_version, versions_without_pages

log = logging.getLogger(__name__)


def snapshot_of_item(item: FetchedArticle) -> Snapshot:
    meta = item.meta
    return Snapshot(item.title, item.body, meta.get("author"), meta.get("date"), meta.get("updated"),
                    meta.get("language"))


def snapshot_of_version(version: Version) -> Snapshot:
    meta = version.meta or {}
    return Snapshot(version.title, version.body, meta.get("author"), meta.get("date"), meta.get("updated"),
                    meta.get("language"))


EXCERPT_CHARS = 280


@dataclass(frozen=True)
class History:
    latest: Version | None
    earlier: dict[str, int]  # fingerprint -> version number, for versions before the latest
    versions: tuple[Version, ...] = ()

    @classmethod
    def load(cls, session: Session, article_id: int) -> History:
        return cls.of(versions_without_pages(session, article_id))  # the stored bytes are never compared

    @classmethod
    def of(cls, versions: Sequence[Version]) -> History:
        """The history of an article from its versions in order."""
        if not versions:
            return cls(None, {})
        earlier = {v.content_hash: v.number for v in versions[:-1] if v.extractor != SEED_EXTRACTOR}
        return cls(versions[-1], earlier, tuple(versions))


def article_info(article: Article, version: Version) -> ArticleInfo:
    meta = version.meta or {}
    return ArticleInfo(
        url=article.canonical_url, title=version.title, author=meta.get("author"), published=meta.get("date"),
        updated=meta.get("updated"), language=meta.get("language"), site=meta.get("site_name"),
        version=version.number, excerpt=version.body[:EXCERPT_CHARS],
    )


def change_info(change: Change, old: Version, new: Version) -> ChangeInfo:
    diff = dict(change.diff_json or {})
    return ChangeInfo(
        change_class=change.change_class, changed_fields=tuple(change.changed_fields), from_version=old.number,
        to_version=new.number, inserted_chars=int(diff.get("inserted_chars", 0)),
        deleted_chars=int(diff.get("deleted_chars", 0)), diff_text=change.diff, diff=diff,
        reverted_to=change.reverted_to,
    )


class ChangeRecorder:
    """A :class:`crawler.pipeline.recorder.Recorder` with change detection; ``rules``: the sources' noise rules by site
    (``monitor.sources.registry.source_rules``: ``ignore`` patterns, ``include``/``exclude`` selectors)."""

    def __init__(self, topic: Topic, corpus: Corpus, options: DetectOptions,
                 rules: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> None:
        self.topic = topic
        self.corpus = corpus
        self.options = options
        rules = rules or {}
        self.ignores: dict[str, IgnoreRules] = {  # site -> the source's ignore patterns
            site: compiled for site, raw in rules.items()
            if (compiled := compile_patterns(raw.get("ignore", ()))) is not None}
        self.selectors: dict[str, str] = {  # site -> digest of the source's include/exclude selectors
            site: digest for site, raw in rules.items() if (digest := selectors_digest(raw))}
        self.template_rules = TemplateRules()
        self.removals = Removals(corpus, self._event, article_info)

    def _reselected(self, item: FetchedArticle, latest: Version | None) -> tuple[FetchedArticle, bool]:
        """The item stamped with its source's selectors; True when the latest version was extracted with
        other selectors (then this fetch is a new baseline, not a change: the rules changed, not the page)."""
        digest = for_site(self.selectors, item.url)
        if digest is not None:
            item = dataclasses.replace(item, meta={**item.meta, "selectors": digest})
        if latest is None or latest.extractor == SEED_EXTRACTOR:
            return item, False
        return item, (latest.meta or {}).get("selectors") != digest

    def _compared(self, snapshot: Snapshot, url: str) -> Snapshot:
        """The snapshot as detection compares it: without the source's ``ignore`` matches."""
        rules = for_site(self.ignores, url)
        if rules is None:
            return snapshot
        compared, timed_out = rules.snapshot(snapshot)
        for pattern in timed_out:
            log.warning("ignore pattern %r ran too long on %s: not applied to this text", pattern, url)
        return compared

    def _template(self, session: Session, site: str, article_id: int, item: FetchedArticle,
                  latest: Version | None, created: bool) -> tuple[Template, frozenset[str]]:
        """The site's template as it bears on this fetch and the latest version (learned from the counts
        of their lines, plus the template the latest version was compared under); the article's own
        contribution to the counts (nothing for an article this fetch created)."""
        keys = line_keys(item.body) | (line_keys(latest.body) if latest is not None else frozenset())
        template, own = site_template(session, site, article_id, keys, self.template_rules,
                                      frozenset() if created else None)
        if latest is None or latest.extractor == SEED_EXTRACTOR:
            return template, own
        template = template.union(known_template(session, site, latest.meta))
        template = template.union(inherit(latest.body, item.body, template, self.template_rules))
        # and the other way: furniture of the latest version that the template lines of this fetch replace (the
        # rotated list the latest version showed may have left the counts while the site's pages moved on)
        template = template.union(inherit(item.body, latest.body, template, self.template_rules))
        furniture = save_template(session, site, template.within(latest.body))
        if furniture is not None and furniture != (latest.meta or {}).get("furniture"):
            latest.meta = {**(latest.meta or {}), "furniture": furniture}  # what is known of it only grows
        return template, own


    @staticmethod
    def _stamped(item: FetchedArticle, template: Template) -> FetchedArticle:
        """The item with the digest of the template lines in its body (kept with a version it becomes)."""
        meta = {key: value for key, value in item.meta.items() if key != "template"}
        digest = template.within(item.body).digest
        return dataclasses.replace(item, meta={**meta, "template": digest} if digest else meta)

    def _earlier(self, session: Session, history: History, url: str, template: Template) -> dict[str, int]:
        """Fingerprint -> number of the versions before the latest, compared under today's template."""
        if not template.keys:
            return history.earlier
        site, earlier = site_of(url), {}
        for old in history.versions[:-1]:
            if old.extractor != SEED_EXTRACTOR:
                known = template.union(known_template(session, site, old.meta))
                earlier[templated(self._compared(snapshot_of_version(old), url), known).fingerprint] = old.number
        return earlier

    @staticmethod
    def _event(session: Session, event: Event) -> None:
        record_event(session, event, event.occurred_at)

    def _moved(self, session: Session, item: FetchedArticle) -> None:
        """The article moved away from ``item``'s URL (``crawler.pipeline.identity``): its documents under
        its new URL, its events not yet routed pointing there."""
        moved = item.meta.get(DISPLACED_KEY)
        if isinstance(moved, str):
            repoint_events(session, item.url, moved)
        if (article := moved_article(session, self.corpus, item)) is not None:
            join_corpus(session, self.corpus, article)

    def fetched(self, session: Session, item: FetchedArticle, now: datetime) -> Recorded:
        """A page that yielded an article: a removal notice in its place (a page extracted as a short
        article saying "该文章已删除"), a restoration of a removed article, and the change detection."""
        self._moved(session, item)
        relevant = self.topic.matches(item.title, item.body)
        article, versions = fetched_history(session, item, relevant, now)
        article.missing_since = None
        latest = versions[-1] if versions else None
        if latest is not None and mentions_notice(item.body) and (notice := notice_of(item.raw_body)):
            return self.removals.withdrawn(session, article, notice, item.http_status, now)
        if article.removed_at is None:
            return self._detected(session, item, now, relevant, article, versions)
        restored = self.removals.restore(session, article, now)
        recorded = self._detected(session, item, now, relevant, article, versions)
        outcome = "restored" if recorded.outcome == "unchanged" else recorded.outcome
        return dataclasses.replace(recorded, outcome=outcome, corpus_files=recorded.corpus_files + restored)

    def _detected(self, session: Session, item: FetchedArticle, now: datetime, relevant: bool, article: Article,
                  versions: list[Version] | None) -> Recorded:
        created = versions is None
        history = History.of(versions or ())
        latest = history.latest
        item, reselected = self._reselected(item, latest)
        site = site_of(article.canonical_url)
        template, own = self._template(session, site, article.id, item, latest, created)
        item = self._stamped(item, template)
        current = templated(self._compared(snapshot_of_item(item), item.url), template)
        previous = templated(self._compared(snapshot_of_version(latest), item.url), template) if latest else None
        same = reselected and previous is not None and previous.fingerprint == current.fingerprint
        detection = Detection("unchanged") if same else detect(
            previous, current,
            previous_is_seed=latest is not None and (latest.extractor == SEED_EXTRACTOR or reselected),
            earlier=self._earlier(session, history, item.url, template), options=self.options,
        )
        if detection.outcome == "anomaly":
            return self._anomaly(session, article, detection.anomaly or "anomaly", "", item.raw_body,
                                 item.http_status, now, item.title, item.body)
        contribute(session, site, article.id, own, line_keys(item.body))
        if detection.outcome == "unchanged" and latest is not None:
            article.next_check_at = None
            refresh_latest(latest, item)
            if reselected:
                latest.meta = {**(latest.meta or {}), "selectors": item.meta.get("selectors")}
            return Recorded("unchanged", article.id, latest.number, relevant)
        save_template(session, site, template.within(item.body))
        return self._version(session, article, item, (previous, current), detection, latest, relevant, now)

    def _version(self, session: Session, article: Article, item: FetchedArticle,
                 compared: tuple[Snapshot | None, Snapshot], detection: Detection, latest: Version | None,
                 relevant: bool, now: datetime) -> Recorded:
        previous, current = compared
        extra: dict[str, object] = {}
        if detection.similarity is not None:
            extra["baseline_similarity"] = round(detection.similarity, 4)
        number = 1 if latest is None else latest.number + 1
        version = new_version(article, number, item, current.fingerprint, now, **extra)
        session.add(version)
        session.flush()  # written now (the change row names it by id; a lost connection is this item's fault)
        article.next_check_at = None
        written = 0
        source = corpus_source(item.meta, article.canonical_url)  # the registry name, as the corpus says
        if detection.outcome == "new" and relevant:  # (an article after a moved one: its key, its own ids)
            self._event(session, Event(event_id("article.new", event_key(article)), "article.new", now, source,
                                       article_info(article, version)))
        if latest is not None and detection.diff is not None:
            fields = {name: (getattr(previous, name), getattr(current, name))
                      for name in detection.changed_fields if name != "body"} if previous else {}
            change = self._change(session, article, (latest, version), detection, fields, now)
            if relevant or article.corpus_file is not None:
                self._event(session, Event(
                    event_id("article.changed", event_key(article), version.number), "article.changed", now,
                    source, article_info(article, version), change_info(change, latest, version)))
            if article.corpus_file is not None:
                written += int(write_change(session, self.corpus, article, change) is not None)
                written += int(save_to_corpus(session, self.corpus, article, version) is not None)
        if detection.outcome == "baseline" and latest is not None and latest.extractor != SEED_EXTRACTOR \
                and article.corpus_file is not None:  # re-baselined under new selectors: the corpus follows
            written += int(save_to_corpus(session, self.corpus, article, version) is not None)
        if relevant and article.corpus_file is None:
            written += join_corpus(session, self.corpus, article, version, first=latest is None)
        return Recorded(detection.outcome, article.id, number, relevant, written)

    @staticmethod
    def _change(session: Session, article: Article, versions: tuple[Version, Version], detection: Detection,
                fields: dict[str, tuple[str | None, str | None]], now: datetime) -> Change:
        assert detection.diff is not None
        old, new = versions
        text = "\n\n".join(part for part in (fields_text(fields), to_text(detection.diff)) if part)
        structured = {**to_json(detection.diff), "fields": {k: {"old": o, "new": n} for k, (o, n) in fields.items()}}
        change = Change(
            article_id=article.id, from_version_id=old.id, to_version_id=new.id,
            changed_fields=list(detection.changed_fields), change_class=detection.change_class or "body_edit",
            diff=text, diff_json=structured, reverted_to=detection.reverted_to, detected_at=now,
        )
        session.add(change)
        return change

    def _anomaly(self, session: Session, article: Article, reason: str, detail: str, raw: bytes, status: int,
                 now: datetime, title: str | None = None, body: str = "") -> Recorded:
        session.add(Anomaly(
            article_id=article.id, reason=reason, detail=detail or None, title=title, body_chars=len(body),
            raw_html=zlib.compress(raw[: 8 * 1024 * 1024], 6) if raw else None, http_status=status, detected_at=now,
        ))
        article.next_check_at = now  # due again on the next visit
        article.last_checked_at = now
        latest = latest_version(session, article.id)
        if latest is not None and (article.relevant or article.corpus_file is not None):
            self._event(session, Event(
                event_id("article.anomaly", event_key(article), latest.number, reason), "article.anomaly", now,
                corpus_source(latest.meta or {}, article.canonical_url), article_info(article, latest), anomaly=reason,
                detail=detail or None))
        return Recorded("anomaly", article.id, None, article.relevant)

    def not_modified(self, session: Session, url: str, now: datetime) -> Recorded:
        article = article_by_url(session, url)
        if article is None:
            return Recorded("unknown")
        article.last_checked_at = now
        article.next_check_at = article.missing_since = None
        return Recorded("not_modified", article.id, None, article.relevant)

    def rejected(self, session: Session, page: RejectedPage, now: datetime) -> Recorded:
        article = article_by_url(session, page.url)
        if article is None or not has_versions(session, article.id):
            return Recorded("rejected")
        notice = notice_of(page.raw_body) if page.raw_body else None
        if notice is not None:
            return self.removals.withdrawn(session, article, notice, page.http_status, now)
        if article.removed_at is not None:  # still down (a page that is no article): re-checked, no anomaly
            article.last_checked_at = now
            return Recorded("still_removed", article.id, None, article.relevant)
        return self._anomaly(session, article, page.reason, page.detail, page.raw_body, page.http_status, now,
                             page.title)

    def missing(self, session: Session, item: Missing, now: datetime) -> Recorded:
        """A stored article's URL answers 404/410 or redirects away: its removal, confirmed first."""
        article = article_by_url(session, item.url)
        if article is None:
            return Recorded("unknown")
        return self.removals.missing(session, article, item, now)

    def recover(self, session: Session) -> int:
        """Corpus documents a killed crawl left unwritten, rewritten from storage (with their changes)."""
        return recover_corpus(session, self.corpus, lambda s, article: join_corpus(s, self.corpus, article))
