"""The crawl figures for one N: first crawl, re-check, PostgreSQL first crawl, a profiled first crawl.

All runs of one N crawl the same loopback site (:mod:`bench.site`), each first crawl in its own fresh
workspace (:mod:`bench.workspace`), so they are measured in the same conditions.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.figures import Extraction, bare_extraction
from bench.site import Template, build_site
from bench.workspace import ChildRun, newswatch, postgres_schema, write_workspace
from tests.crawler.site_server import SiteServer


class BenchError(RuntimeError):
    """A run that did not do what the benchmark needs (the figures would be meaningless)."""


@dataclass(frozen=True)
class Crawl:
    """One ``newswatch run`` and the articles it handled (new, or re-checked)."""

    run: ChildRun
    articles: int

    @property
    def per_second(self) -> float:
        return self.articles / self.run.seconds if self.run.seconds else 0.0

    @property
    def errors(self) -> set[str]:
        """The errors the run counted: kind and URL path (the port changes from set to set)."""
        return {f"{e['kind']} {urlsplit(e['url']).path}" for e in self.run.summary().get("errors", [])}


@dataclass(frozen=True)
class CrawlSet:
    n: int
    extraction: Extraction  # bare extraction, measured just before the first crawl
    build_seconds: float
    first: Crawl
    recheck: Crawl | None
    not_modified: int  # re-check requests answered 304
    postgres: Crawl | None
    profile: dict[str, Any] | None  # bench.sampler's report of the profiled first crawl
    seconds: float  # the whole set, wall clock


def _figure(run: ChildRun, name: str) -> int:
    return int(run.summary().get("figures", {}).get(name, 0))


def first_crawl(folder: Path, base: str, feeds: list[str], sitemaps: list[str], n: int,
                database_url: str | None = None, profile: Path | None = None) -> Crawl:
    config = write_workspace(folder, base, feeds, sitemaps, n)
    upgrade = newswatch(config, "db", "upgrade", database_url=database_url)
    if upgrade.status != 0:
        raise BenchError(f"newswatch db upgrade failed: {upgrade.stderr[-2000:]}")
    run = newswatch(config, "run", "--json", database_url=database_url, profile=profile)
    new = _figure(run, "new")
    if new != n:
        raise BenchError(f"first crawl stored {new} new articles, expected {n} (exit {run.status}): "
                         f"{run.stdout[-1500:]} {run.stderr[-1500:]}")
    return Crawl(run, new)


def empty_run(folder: Path) -> ChildRun:
    """``newswatch run`` with nothing to crawl: the fixed cost of a run (start-up, imports, storage, Scrapy)."""
    config = write_workspace(folder, None, [], [], 0)
    newswatch(config, "db", "upgrade")
    return newswatch(config, "run", "--json")


def recheck(folder: Path, server: SiteServer, n: int) -> tuple[Crawl, int]:
    """A second run on the first crawl's workspace: every article due, nothing changed."""
    before = len(server.requests)
    run = newswatch(folder / "newswatch.toml", "run", "--json")
    checked = _figure(run, "unchanged")
    if checked != n or _figure(run, "changed") or _figure(run, "new"):
        raise BenchError(f"re-check saw {checked} unchanged of {n}: {run.stdout[-1500:]} {run.stderr[-1500:]}")
    conditional = [r for r in server.requests[before:] if dict(r.headers).get("If-None-Match")]
    return Crawl(run, checked), len(conditional)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def crawl_set(found: list[Template], n: int, scratch: Path, *, again: bool, postgres: bool,
              profile: bool) -> CrawlSet:
    """Build the site for ``n`` articles and run the first crawl, then (when asked) the re-check, the first
    crawl on PostgreSQL and a profiled first crawl."""
    extraction = bare_extraction(found, n)
    say(f"N={n:,}: bare extraction {extraction.per_second:.1f} articles/s")
    started = time.perf_counter()
    with SiteServer() as server:
        say(f"N={n:,}: building the site")
        feeds, sitemaps = build_site(server, found, n)
        build, base = time.perf_counter() - started, server.base_url
        first = first_crawl(scratch / f"sqlite-{n}", base, feeds, sitemaps, n)
        say(f"N={n:,}: first crawl {first.run.seconds:.0f} s")
        second, not_modified = recheck(scratch / f"sqlite-{n}", server, n) if again else (None, 0)
        if second is not None:
            say(f"N={n:,}: re-check {second.run.seconds:.0f} s")
        on_postgres = None
        if postgres:
            with postgres_schema() as url:
                on_postgres = first_crawl(scratch / f"postgres-{n}", base, feeds, sitemaps, n, database_url=url)
            say(f"N={n:,}: first crawl on PostgreSQL {on_postgres.run.seconds:.0f} s")
        sampled = None
        if profile:
            path = scratch / f"profile-{n}.json"
            first_crawl(scratch / f"profile-{n}", base, feeds, sitemaps, n, profile=path)
            sampled = json.loads(path.read_text(encoding="utf-8"))
            say(f"N={n:,}: profiled first crawl done")
    seconds = time.perf_counter() - started
    return CrawlSet(n, extraction, build, first, second, not_modified, on_postgres, sampled, seconds)


def scratch_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="newswatch-bench-")
