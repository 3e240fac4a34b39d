"""The job schema, pure: what the scheduler hands a worker, as frozen dataclasses and plain JSON.

One :class:`CrawlJob` per site (``crawl:<site>``): the site's due articles with their validators
(conditional GET), and its discovery targets (section pages, feeds, sitemaps). Reading is strict:
:func:`read_crawl_job` takes the decoded JSON and accepts exactly the keys below with exactly their
types, URLs http(s) of at most 2,048 characters, bounded counts; anything else is
:class:`~monitor.queue.errors.JobRejected` (the worker logs it and never runs the job).

    {"schema": 1, "site": "news.cn", "planned_by": ["recheck", "source:新华网"],
     "articles": [{"url": "http://...", "discovered_from": null, "etag": "\\"x\\"", "last_modified": null}],
     "targets": [{"name": "新华网", "pages": ["http://..."], "feeds": [], "sitemaps": [], "robots": true,
                  "roots": []}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from newswatch.crawler.items import ArticleTarget, CrawlPlan, SiteTarget
from newswatch.crawler.urls import site_of
from newswatch.monitor.queue.errors import JobRejected

SCHEMA = 1
MAX_URL = 2048
MAX_TEXT = 512
MAX_ARTICLES = 20_000
MAX_TARGETS = 100
MAX_URLS_PER_TARGET = 200
CRAWL_FUNCTION = "crawl_site"
ALERTS_FUNCTION = "deliver_alerts"


@dataclass(frozen=True)
class CrawlJob:
    site: str
    articles: tuple[ArticleTarget, ...] = ()
    targets: tuple[SiteTarget, ...] = ()
    planned_by: tuple[str, ...] = ()

    @property
    def job_id(self) -> str:
        return job_id_of(self.site)

    def plan(self, known: frozenset[str]) -> CrawlPlan:
        """The crawl of this job; ``known`` (stored articles) minus the job's own articles is skipped."""
        return CrawlPlan(self.articles, self.targets, known=known - {a.url for a in self.articles})

    def merged(self, other: CrawlJob) -> CrawlJob:
        """This job with ``other``'s work added (same site): articles by URL (the later validators win),
        targets by name, planners in order."""
        articles = {a.url: a for a in (*self.articles, *other.articles)}
        targets = {t.name: t for t in (*self.targets, *other.targets)}
        planned = tuple(dict.fromkeys((*self.planned_by, *other.planned_by)))
        return CrawlJob(self.site, tuple(articles.values()), tuple(targets.values()), planned)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "site": self.site, "planned_by": list(self.planned_by),
            "articles": [{"url": a.url, "discovered_from": a.discovered_from, "etag": a.etag,
                          "last_modified": a.last_modified, **({"stored": True} if a.stored else {})}
                         for a in self.articles],
            "targets": [{"name": t.name, "pages": list(t.pages), "feeds": list(t.feeds),
                         "sitemaps": list(t.sitemaps), "robots": t.robots, "roots": list(t.roots)}
                        for t in self.targets],
        }


def job_id_of(site: str) -> str:
    return f"crawl:{site}"


def read_crawl_job(data: Any) -> CrawlJob:
    """The job in ``data`` (decoded JSON), or JobRejected saying what is wrong."""
    fields = _exact(data, "job", {"schema", "site", "planned_by", "articles", "targets"})
    if fields["schema"] != SCHEMA or isinstance(fields["schema"], bool):
        raise JobRejected(f"schema: expected {SCHEMA}, got {fields['schema']!r}")
    site = _text(fields["site"], "site", MAX_TEXT)
    if not site.strip():
        raise JobRejected("site: empty")
    planned = tuple(_text(p, "planned_by[]", MAX_TEXT) for p in _list(fields["planned_by"], "planned_by", 100))
    articles = tuple(_article(a) for a in _list(fields["articles"], "articles", MAX_ARTICLES))
    targets = tuple(_target(t) for t in _list(fields["targets"], "targets", MAX_TARGETS))
    if not articles and not targets:
        raise JobRejected("nothing to crawl: no articles and no targets")
    return CrawlJob(site, articles, targets, planned)


def _article(data: Any) -> ArticleTarget:
    keys = {"url", "discovered_from", "etag", "last_modified"}
    fields = _exact(data, "articles[]", keys | ({"stored"} if isinstance(data, dict) and "stored" in data else set()))
    stored = fields.get("stored", False)  # a stored article (its 404 is its removal); absent in older jobs
    if not isinstance(stored, bool):
        raise JobRejected("articles[].stored: expected true or false")
    return ArticleTarget(_url(fields["url"], "articles[].url"),
                         _optional(fields["discovered_from"], "articles[].discovered_from", MAX_URL),
                         _optional(fields["etag"], "articles[].etag", MAX_TEXT),
                         _optional(fields["last_modified"], "articles[].last_modified", MAX_TEXT), stored=stored)


def _target(data: Any) -> SiteTarget:
    fields = _exact(data, "targets[]", {"name", "pages", "feeds", "sitemaps", "robots", "roots"})
    if not isinstance(fields["robots"], bool):
        raise JobRejected("targets[].robots: expected true or false")

    def urls(key: str) -> tuple[str, ...]:
        return tuple(_url(u, f"targets[].{key}[]") for u in _list(fields[key], f"targets[].{key}",
                                                                   MAX_URLS_PER_TARGET))

    return SiteTarget(_text(fields["name"], "targets[].name", MAX_TEXT), urls("pages"), urls("feeds"),
                      urls("sitemaps"), fields["robots"], urls("roots"))


def _exact(data: Any, where: str, keys: set[str]) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise JobRejected(f"{where}: expected an object, got {type(data).__name__}")
    missing, extra = keys - data.keys(), data.keys() - keys
    if missing or extra:
        raise JobRejected(f"{where}: missing {sorted(missing)}, unknown {sorted(map(str, extra))}")
    return data


def _list(value: Any, where: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise JobRejected(f"{where}: expected a list, got {type(value).__name__}")
    if len(value) > limit:
        raise JobRejected(f"{where}: {len(value)} items, at most {limit}")
    return value


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str):
        raise JobRejected(f"{where}: expected a string, got {type(value).__name__}")
    if len(value) > limit:
        raise JobRejected(f"{where}: {len(value)} characters, at most {limit}")
    return value


def _optional(value: Any, where: str, limit: int) -> str | None:
    return None if value is None else _text(value, where, limit)


def _url(value: Any, where: str) -> str:
    url = _text(value, where, MAX_URL)
    if not url.startswith(("http://", "https://")):
        raise JobRejected(f"{where}: not an http(s) URL: {url[:80]!r}")
    return url


def target_site(target: SiteTarget) -> str:
    """The site a discovery target crawls: that of its first URL (its name when it has none)."""
    urls = (*target.pages, *target.feeds, *target.sitemaps, *target.roots)
    return site_of(urls[0]) if urls else target.name


def jobs_of(plan: CrawlPlan, kind: str) -> list[CrawlJob]:
    """``plan`` split into one job per site, each marked as planned by ``kind``."""
    by_site: dict[str, CrawlJob] = {}
    parts = [(site_of(a.url), CrawlJob("", (a,), (), (kind,))) for a in plan.articles]
    parts += [(target_site(t), CrawlJob("", (), (t,), (kind,))) for t in plan.sites]
    for site, part in parts:
        by_site[site] = by_site.get(site, CrawlJob(site)).merged(part)
    return list(by_site.values())
