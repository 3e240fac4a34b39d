"""The crawl figures for one N: first crawl, re-check, the peer's (urlwatch's) first run and re-check,
PostgreSQL first crawl, a profiled first crawl.

All runs of one N crawl the same loopback site (:mod:`bench.site`), each first crawl in its own fresh
workspace (:mod:`bench.workspace`), so they are measured in the same conditions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.figures import Extraction, bare_extraction, bare_trafilatura
from bench.peer import PeerRun, PeerUnavailable, urlwatch, write_jobs
from bench.site import Template, build_site, pages
from bench.workspace import ChildRun, newswatch, postgres_schema, write_workspace
from tests.crawler.site_server import SeenRequest, SiteServer


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
class Peer:
    """urlwatch on the same site: a first run on an empty cache, then a re-check with nothing changed."""

    pages: int
    first: PeerRun
    recheck: PeerRun
    not_modified: int  # re-check requests that carried a validator (each answered 304)

    @property
    def first_per_second(self) -> float:
        return self.pages / self.first.run.seconds if self.first.run.seconds else 0.0

    @property
    def recheck_per_second(self) -> float:
        return self.pages / self.recheck.run.seconds if self.recheck.run.seconds else 0.0


@dataclass(frozen=True)
class CrawlSet:
    n: int
    extraction: Extraction  # bare extraction, measured just before the first crawl
    trafilatura: Extraction  # bare trafilatura.extract on the same pages
    build_seconds: float
    first: Crawl
    recheck: Crawl | None
    not_modified: int  # re-check requests answered 304
    postgres: Crawl | None
    profile: dict[str, Any] | None  # bench.sampler's report of the profiled first crawl
    seconds: float  # the whole set, wall clock
    peer: Peer | None = None
    peer_note: str | None = None  # why the peer did not run (or failed)
    postgres_recheck: Crawl | None = None  # the re-check on PostgreSQL (after urlwatch's, same site)


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


def empty_run(folder: Path, repeat: int = 5) -> ChildRun:
    """``newswatch run`` with nothing to crawl: the fixed cost of a run (start-up, imports, storage). The
    median of ``repeat`` runs by wall time (one run moves with the machine's load; the CPU time less so)."""
    config = write_workspace(folder, None, [], [], 0)
    newswatch(config, "db", "upgrade")
    runs = sorted((newswatch(config, "run", "--json") for _ in range(repeat)), key=lambda run: run.seconds)
    return runs[len(runs) // 2]


def recheck(folder: Path, server: SiteServer, n: int, database_url: str | None = None) -> tuple[Crawl, int]:
    """A second run on the first crawl's workspace: every article due, nothing changed."""
    before = len(server.requests)
    run = newswatch(folder / "newswatch.toml", "run", "--json", database_url=database_url)
    checked = _figure(run, "unchanged")
    if checked != n or _figure(run, "changed") or _figure(run, "new"):
        raise BenchError(f"re-check saw {checked} unchanged of {n}: {run.stdout[-1500:]} {run.stderr[-1500:]}")
    return Crawl(run, checked), conditional_requests(server.requests[before:])


def conditional_requests(requests: list[SeenRequest]) -> int:
    """The article requests that carried a validator (``If-None-Match`` or ``If-Modified-Since``): on the
    bench site, each is answered 304 when nothing changed."""
    return sum(1 for r in requests if r.path.startswith("/2025/")
               and {k.lower() for k, _ in r.headers} & {"if-none-match", "if-modified-since"})


def peer_crawl(python: Path, folder: Path, server: SiteServer, found: list[Template], n: int) -> Peer:
    """urlwatch's first run and re-check of the ``n`` article pages, in ``folder`` (its jobs and cache)."""
    write_jobs(folder, [server.base_url + page.path for page in pages(found, n)])
    first = urlwatch(python, folder)
    if first.count("NEW") != n or first.count("ERROR"):
        raise PeerUnavailable(f"urlwatch's first run reported {first.verbs}, expected {n} NEW: "
                              f"{first.run.stderr[-800:]}")
    before = len(server.requests)
    again = urlwatch(python, folder)
    if again.count("NEW") or again.count("CHANGED") or again.count("ERROR"):
        raise PeerUnavailable(f"urlwatch's re-check reported {again.verbs}, expected nothing: "
                              f"{again.run.stderr[-800:]}")
    return Peer(n, first, again, conditional_requests(server.requests[before:]))


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def crawl_set(found: list[Template], n: int, scratch: Path, *, again: bool, postgres: bool,
              profile: bool, peer: Path | str | None = None) -> CrawlSet:
    """Build the site for ``n`` articles and run the first crawl, then (when asked) the re-check, the peer
    (``peer``: the peer environment's Python, or why there is none), the first crawl on PostgreSQL and a
    profiled first crawl."""
    extraction, library = bare_extraction(found, n), bare_trafilatura(found, n)
    say(f"N={n:,}: bare extraction {extraction.per_second:.1f} articles/s, "
        f"bare trafilatura {library.per_second:.1f} pages/s")
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
        peer_run, peer_note = _peer(peer, scratch / f"urlwatch-{n}", server, found, n)
        on_postgres = postgres_again = None
        if postgres:
            with postgres_schema() as url:
                on_postgres = first_crawl(scratch / f"postgres-{n}", base, feeds, sitemaps, n, database_url=url)
                say(f"N={n:,}: first crawl on PostgreSQL {on_postgres.run.seconds:.0f} s")
                if again:
                    postgres_again = recheck(scratch / f"postgres-{n}", server, n, database_url=url)[0]
                    say(f"N={n:,}: re-check on PostgreSQL {postgres_again.run.seconds:.0f} s")
        sampled = None
        if profile:
            path = scratch / f"profile-{n}.json"
            first_crawl(scratch / f"profile-{n}", base, feeds, sitemaps, n, profile=path)
            sampled = json.loads(path.read_text(encoding="utf-8"))
            say(f"N={n:,}: profiled first crawl done")
    seconds = time.perf_counter() - started
    return CrawlSet(n, extraction, library, build, first, second, not_modified, on_postgres, sampled, seconds,
                    peer_run, peer_note, postgres_again)


def _peer(peer: Path | str | None, folder: Path, server: SiteServer, found: list[Template],
          n: int) -> tuple[Peer | None, str | None]:
    if not isinstance(peer, Path):
        return None, peer
    try:
        done = peer_crawl(peer, folder, server, found, n)
    except (PeerUnavailable, subprocess.TimeoutExpired) as exc:
        return None, f"urlwatch failed at N={n:,}: {str(exc)[:600]}"
    say(f"N={n:,}: urlwatch first run {done.first.run.seconds:.0f} s, re-check {done.recheck.run.seconds:.0f} s")
    return done, None


def scratch_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="newswatch-bench-")
