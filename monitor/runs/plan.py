"""What one run crawls: the seeds' URLs and links, every registry source and the other sites the seeds
reach, and the stored articles due for a re-check (with their HTTP validators for conditional GET), with
the validators of the feeds and leaf sitemaps of those sites."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from newswatch.crawler.items import ArticleTarget, CrawlPlan, SiteTarget, SourceValidators
from newswatch.crawler.pipeline.fastpath import key_of_meta
from newswatch.crawler.pipeline.identity import LANDED_KEY
from newswatch.crawler.urls import site_of
from newswatch.monitor.schedule.intervals import is_due
from newswatch.monitor.sources.registry import RegisteredSource, Registry
from newswatch.monitor.sources.seeds import SeedEntry
from newswatch.storage.queries import articles as article_queries
from newswatch.storage.queries import validators as validator_queries
from newswatch.storage.queries.articles import RecheckCandidate

NO_DISCOVERY_SITES = frozenset({"mp.weixin.qq.com"})  # WeChat has no sections, feeds or sitemaps
BATCH = 1_000  # rows fetched at a time when the plan reads the stored articles
# a removed article (crawler.extract.removal) is re-checked, more slowly, for a while: withdrawn articles are
# sometimes restored or edited (``schedule.removed``, AGE=EVERY counted from the removal)
REMOVED_LADDER = ((timedelta(days=1), timedelta(hours=6)), (timedelta(days=7), timedelta(days=1)),
                  (timedelta(days=90), timedelta(days=7)))


@dataclass(frozen=True)
class SourceStatus:
    """How a seed's source resolves: through its URL, the registry, or not at all."""

    name: str
    seeds: tuple[str, ...]
    site: str | None
    registered: RegisteredSource | None

    @property
    def resolved(self) -> bool:
        return self.site is not None or self.registered is not None


def source_statuses(entries: Iterable[SeedEntry], registry: Registry) -> tuple[SourceStatus, ...]:
    """Every source named by the seeds, in seed order."""
    found: dict[str, list[SeedEntry]] = {}
    for entry in entries:
        name = entry.source_name or (site_of(entry.canonical_url) if entry.canonical_url else "(unnamed)")
        found.setdefault(name, []).append(entry)
    statuses = []
    for name, group in found.items():
        sites = [site_of(e.canonical_url) for e in group if e.canonical_url]
        statuses.append(SourceStatus(name, tuple(e.file_name for e in group), sites[0] if sites else None,
                                     registry.resolve(name)))
    return tuple(statuses)


def seed_targets(entries: Iterable[SeedEntry]) -> list[ArticleTarget]:
    targets: dict[str, ArticleTarget] = {}
    for entry in entries:
        origin = f"seed:{entry.file_name}"
        for url in ([entry.canonical_url] if entry.canonical_url else []) + list(entry.page_urls):
            targets.setdefault(url, ArticleTarget(url, discovered_from=origin))
    return list(targets.values())


def site_targets(entries: Iterable[SeedEntry], registry: Registry) -> list[SiteTarget]:
    """Every registry source (named by a seed or not), and the home page of every other site the
    seeds reach."""
    sites: dict[str, SiteTarget] = {}
    entries = list(entries)
    for reg in registry.sources:
        if reg.discover and (reg.site or reg.feeds or reg.sitemaps or reg.pages):
            pages = tuple(dict.fromkeys(([reg.site] if reg.site else []) + list(reg.pages)))
            sites[reg.name] = SiteTarget(reg.name, pages, reg.feeds, reg.sitemaps)
    covered = {site_of(u) for s in sites.values() for u in (*s.pages, *s.feeds, *s.sitemaps)}
    for entry in entries:
        for url in ([entry.canonical_url] if entry.canonical_url else []) + list(entry.page_urls):
            site = site_of(url)
            if site in covered or site in NO_DISCOVERY_SITES or site in sites:
                continue
            scheme_host = url.split("/", 3)[:3]
            sites[site] = SiteTarget(site, ("/".join(scheme_host) + "/",))
    return list(sites.values())


def known_urls(session: Session) -> frozenset[str]:
    """Every stored canonical URL, read in batches (one column, no ORM objects)."""
    return article_queries.known_urls(session, BATCH)


def due_articles(session: Session, ladder: Sequence[tuple[timedelta, timedelta]], now: datetime | None = None,
                 removed_ladder: Sequence[tuple[timedelta, timedelta]] = REMOVED_LADDER) -> list[ArticleTarget]:
    """Stored articles due for a re-check by the age ``ladder`` (or flagged after an anomaly or a first
    404), with the validators of their latest version for a conditional GET; removed articles by the
    slower ``removed_ladder``, counted from their removal, without validators (a restoration must be read).

    One query, streamed in batches, reading only the columns a target needs: no ORM objects, and no
    version bodies or stored pages in memory (a query per article used to load each latest version whole)."""
    now = now or datetime.now(UTC)
    targets = []
    for row in article_queries.recheck_candidates(session, BATCH):
        flagged = row.next_check_at is not None and row.next_check_at <= now
        if row.removed_at is not None:
            if flagged or is_due(removed_ladder, row.removed_at, row.last_checked_at, now):
                targets.append(ArticleTarget(row.url, row.discovered_from, stored=True))
        elif flagged or is_due(ladder, row.first_seen_at, row.last_checked_at, now):
            targets.append(ArticleTarget(row.url, row.discovered_from, row.etag, _modified(row),
                                         key_of_meta(row.meta), stored=True))
    return targets


def _modified(row: RecheckCandidate) -> str | None:
    """The ``If-Modified-Since`` of a re-check: none when the latest version landed on another URL (a page
    that claimed this one's URL as its canonical): the page living here, unchanged since that date, would
    answer 304 and never be read. Its ETag is still sent (one resource's tag is not another's)."""
    landed = (row.meta or {}).get(LANDED_KEY)
    return None if landed and landed != row.url else row.last_modified


def build_plan(entries: Iterable[SeedEntry], registry: Registry, due: Iterable[ArticleTarget],
               known: frozenset[str] = frozenset()) -> CrawlPlan:
    """Due stored articles first (they carry validators), then seed URLs not yet stored, then sites;
    stored articles that are not due are ``known``: discovery skips them."""
    entries = list(entries)
    articles: dict[str, ArticleTarget] = {t.url: t for t in due}
    for target in seed_targets(entries):
        if target.url not in known:
            articles.setdefault(target.url, target)
    return CrawlPlan(tuple(articles.values()), tuple(site_targets(entries, registry)),
                     known=known - set(articles))


def source_validators(session: Session) -> tuple[SourceValidators, ...]:
    """The stored validators of every feed and leaf sitemap (a few rows: one per source URL)."""
    rows = validator_queries.stored_validators(session)
    return tuple(SourceValidators(url, kind, etag, modified) for url, kind, etag, modified in rows)


def with_validators(plan: CrawlPlan, validators: Iterable[SourceValidators]) -> CrawlPlan:
    """``plan`` carrying the validators of the sources on its sites (the feeds and sitemaps it may request:
    configured, named by robots.txt or an index, announced by a page)."""
    sites = {site_of(u) for s in plan.sites for u in (*s.pages, *s.feeds, *s.sitemaps, *s.roots)}
    sites |= {site_of(a.url) for a in plan.articles}
    return replace(plan, validators=tuple(v for v in validators if site_of(v.url) in sites))
