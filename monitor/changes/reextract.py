"""Re-extraction after an extractor upgrade: stored raw pages through today's extractor, re-baselined.

For each article, the latest version's stored raw HTML is decoded and extracted again. When the result
differs from what is stored (or the extractor version changed), it becomes a new version of the same
fetch (same fetch time, ``meta.reextracted_from``) with no change row: the next real fetch is compared
with what today's extractor makes of the page, so an extractor upgrade produces no phantom changes.
The page is extracted with its source's ``include``/``exclude`` selectors and compared without its
``ignore`` matches, as the fetch was (``SourceRules``); the comparison also strips the site-template lines
the version was compared under (``meta.template``), so re-extracting an unchanged page gives the answer
the fetch gave.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article as Extracted
from newswatch.crawler.extract.article import extract
from newswatch.crawler.extract.revision import extraction_mark
from newswatch.crawler.extract.selectors import Selection
from newswatch.crawler.pipeline.store import latest_version, save_to_corpus
from newswatch.crawler.urls import for_site, site_of
from newswatch.monitor.changes.detect import SEED_EXTRACTOR, Snapshot
from newswatch.monitor.changes.ignore import IgnoreRules, compile_patterns
from newswatch.monitor.changes.ruleset import selectors_digest, stale_articles
from newswatch.monitor.changes.template import templated
from newswatch.monitor.changes.template_store import load_template
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.engine import transaction
from newswatch.storage.models import Article, Version
from newswatch.storage.queries.articles import all_articles, article_by_id


@dataclass(frozen=True)
class ReextractReport:
    checked: int
    rebaselined: int
    same: int
    rejected: int
    no_raw: int


@dataclass(frozen=True)
class SourceRules:
    """The sources' noise rules by site, compiled (``from_plain``: the registry's ``source_rules``)."""

    selections: Mapping[str, Selection] = field(default_factory=dict)
    ignores: Mapping[str, IgnoreRules] = field(default_factory=dict)

    @classmethod
    def from_plain(cls, rules: Mapping[str, Mapping[str, Sequence[str]]]) -> SourceRules:
        selections = {site: chosen for site, raw in rules.items()
                      if (chosen := Selection.of(raw.get("include", ()), raw.get("exclude", ()))) is not None}
        ignores = {site: compiled for site, raw in rules.items()
                   if (compiled := compile_patterns(raw.get("ignore", ()))) is not None}
        return cls(selections, ignores)

    def compared(self, snapshot: Snapshot, url: str) -> Snapshot:
        """The snapshot without the source's ``ignore`` matches, as the recorder compares it."""
        rules = for_site(self.ignores, url)
        return snapshot if rules is None else rules.snapshot(snapshot)[0]


def reextract_version(article: Article, version: Version, rules: SourceRules = SourceRules()) -> Extracted | str:
    """Today's extraction of a stored version's raw page (with its source's selectors), or why there is none."""
    if not version.raw_html:
        return "no_raw"
    raw = zlib.decompress(version.raw_html)
    content_type = (version.meta or {}).get("content_type")
    url = article.canonical_url
    result = extract(decode_body(raw, content_type), url, for_site(rules.selections, url))
    return result if isinstance(result, Extracted) else result.reason


def _rebaseline(session: Session, article: Article, old: Version, new: Extracted,
                rules: SourceRules, in_place: bool = False) -> Version | None:
    """A new version of the same fetch when today's extraction compares otherwise than ``old`` (None: the
    same; with ``in_place``, the same text under another extractor version only restamps ``old``)."""
    meta = {
        **(old.meta or {}), "author": new.author, "date": new.date, "site_name": new.site_name,
        "language": new.language, "description": new.description, "image": new.image,
        "reextracted_from": old.number,
    }
    snapshot = Snapshot(new.title, new.body_markdown, new.author, new.date, meta.get("updated"), new.language)
    # compared as the fetch was: without the source's ignored text and the template lines it was compared under
    snapshot = templated(rules.compared(snapshot, article.canonical_url),
                         load_template(session, site_of(article.canonical_url), meta.get("template")))
    if snapshot.fingerprint == old.content_hash and (in_place or new.extractor_version == old.extractor_version):
        old.extractor_version = new.extractor_version
        return None
    version = Version(
        article_id=article.id, number=old.number + 1, title=new.title, body=new.body_markdown, meta=meta,
        fingerprint=new.fingerprint, content_hash=snapshot.fingerprint, raw_html=old.raw_html,
        http_status=old.http_status, etag=old.etag, last_modified=old.last_modified,
        extractor=new.extractor, extractor_version=new.extractor_version, fetched_at=old.fetched_at,
    )
    session.add(version)
    article.title = new.title
    session.flush()
    return version


def reextract_all(sessions: sessionmaker[Session], corpus: Corpus,
                  rules: SourceRules = SourceRules()) -> ReextractReport:
    counts = {"checked": 0, "rebaselined": 0, "same": 0, "rejected": 0, "no_raw": 0}
    with transaction(sessions) as session:
        for article in all_articles(session):
            latest = latest_version(session, article.id)
            if latest is None or latest.extractor == SEED_EXTRACTOR:
                continue
            counts["checked"] += 1
            result = reextract_version(article, latest, rules)
            if isinstance(result, str):
                counts["no_raw" if result == "no_raw" else "rejected"] += 1
            elif _rebaseline(session, article, latest, result, rules) is None:
                counts["same"] += 1
            else:
                counts["rebaselined"] += 1
                if article.corpus_file is not None:
                    save_to_corpus(session, corpus, article)
    return ReextractReport(**counts)


def reapply_rules(sessions: sessionmaker[Session], corpus: Corpus,
                  plain: Mapping[str, Mapping[str, Sequence[str]]],
                  stale: Sequence[int] | None = None) -> ReextractReport:
    """A rule change or a new extraction revision applied at the next run, even to pages that answer 304:
    every article extracted under other selectors or by another revision is re-extracted from its stored
    raw page with today's code and rules and re-baselined (a new version of the same fetch, no change, no
    alert; the same text only restamps the version), stamped with the new selectors. ``stale``: those
    articles, when the caller has already asked :func:`stale_articles`."""
    rules = SourceRules.from_plain(plain)
    digests = {site: selectors_digest(raw) for site, raw in plain.items()}
    counts = {"checked": 0, "rebaselined": 0, "same": 0, "rejected": 0, "no_raw": 0}
    with transaction(sessions) as session:
        for article_id in stale_articles(session, digests) if stale is None else stale:
            article = article_by_id(session, article_id)
            latest = latest_version(session, article_id)
            if article is None or latest is None:
                continue
            counts["checked"] += 1
            _restamp(session, corpus, article, latest, rules, for_site(digests, article.canonical_url), counts)
    return ReextractReport(**counts)


def _restamp(session: Session, corpus: Corpus, article: Article, latest: Version, rules: SourceRules,
             digest: str | None, counts: dict[str, int]) -> None:
    result = reextract_version(article, latest, rules)
    if isinstance(result, str):  # no raw page, or today's extraction rejects it: the next fetch decides
        counts["no_raw" if result == "no_raw" else "rejected"] += 1
        latest.extractor_version = extraction_mark()  # asked once, not again at every run
        latest.meta = {**(latest.meta or {}), "selectors": digest}
        return
    version = _rebaseline(session, article, latest, result, rules, in_place=True)
    stamped = version or latest
    stamped.meta = {**(stamped.meta or {}), "selectors": digest}
    counts["same" if version is None else "rebaselined"] += 1
    if version is not None and article.corpus_file is not None:
        save_to_corpus(session, corpus, article)
