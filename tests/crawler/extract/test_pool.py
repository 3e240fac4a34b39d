"""Extraction in worker processes (``crawler.extract.pool``): the same articles as in-process, and a worker that
dies is one page's clear error, not a hung crawl."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.pool import CRASHED, ExtractionPool, read_page, rules_of
from newswatch.crawler.extract.reading import Page, Reading, failed
from newswatch.crawler.extract.rejection import Rejection
from tests.conftest import ROOT
from tests.crawler.fixture_site import ARTICLES, fixture_bytes

PAGES = [Page(fixture_bytes(p.fixture), p.content_type, f"http://news.example.cn{p.path}",
              f"http://news.example.cn{p.path}") for p in ARTICLES]
POISON = b"<!-- crash the worker -->"


def crash_on_poison(page: Page) -> Reading:
    """A worker task that dies as a crash in lxml would (no exception, the process is gone)."""
    if POISON in page.body:
        os._exit(70)
    return read_page(page)


async def extract_all(pool: ExtractionPool, pages: list[Page]) -> list[Article | Rejection | None]:
    try:
        readings = await asyncio.wait_for(asyncio.gather(*(pool.read(page) for page in pages)), 120)
    finally:
        pool.close()
    return [reading.result for reading in readings]


@pytest.mark.parametrize("workers", [2, 1, 0], ids=["processes", "one-thread", "off"])
def test_the_pool_extracts_what_extract_does(workers: int) -> None:
    pool = ExtractionPool(workers)
    assert pool.in_processes is (workers > 1)
    results = asyncio.run(extract_all(pool, PAGES))
    assert results == [extract(decode_body(p.body, p.content_type), p.landed) for p in PAGES]
    assert all(isinstance(r, Article) for r in results)


def test_a_dead_worker_is_that_pages_error_and_the_others_are_extracted() -> None:
    poisoned = dataclasses.replace(PAGES[1], body=PAGES[1].body.replace(b"<head>", b"<head>" + POISON, 1))
    assert POISON in poisoned.body
    pages = [PAGES[0], poisoned, *PAGES[2:]]
    pool = ExtractionPool(2, task=crash_on_poison)

    results = asyncio.run(extract_all(pool, pages))

    assert isinstance(results[1], Rejection) and results[1].reason == CRASHED
    assert "worker died" in results[1].detail
    assert all(isinstance(r, Article) for i, r in enumerate(results) if i != 1)
    assert pool.crashes == 1


def test_the_source_selectors_travel_as_plain_data() -> None:
    rules = rules_of({"include": ["//body"], "exclude": ["//script"], "ignore": ["x"]})
    assert rules == (("//body",), ("//script",))
    assert rules_of({"ignore": ["x"]}) is None
    pool = ExtractionPool(2)
    try:
        reading = asyncio.run(pool.read(dataclasses.replace(PAGES[0], rules=rules)))
    finally:
        pool.close()
    assert isinstance(reading.result, Article)


KILLED_CRAWL = """
import asyncio, os, signal, sys
from newswatch.crawler.extract.pool import ExtractionPool
from newswatch.crawler.extract.reading import Page
pool = ExtractionPool(2)
asyncio.run(pool.read(Page(b"<html><body><p>x</p></body></html>", None, "http://a.example/", "http://a.example/")))
print(" ".join(str(pid) for pid in pool.executor._processes), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_workers_of_a_killed_crawl_exit(tmp_path: Path) -> None:
    """SIGKILL of the crawl's process: its workers (and the forkserver) go too, so nothing holds the
    crawl's stdout open (a caller waiting for it would hang)."""
    done = subprocess.run([sys.executable, "-W", "error", "-c", KILLED_CRAWL], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    pids = [int(p) for p in done.stdout.split()]
    assert pids  # workers start on demand: one for one page
    deadline = time.monotonic() + 20
    while (alive := [pid for pid in pids if _running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive == []


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_a_worker_hands_the_heap_of_each_page_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """After each reading (whatever its outcome) the worker calls glibc's malloc_trim: without it a worker
    stays at the size of the biggest page it parsed."""
    import newswatch.crawler.extract.pool as pool
    from newswatch.crawler import heap

    assert heap.libc() is not None, "glibc's malloc_trim is found on this system"
    trims: list[int] = []
    monkeypatch.setattr(pool, "_trim", lambda: trims.append(1))
    article = ARTICLES[0]
    page = Page(fixture_bytes(article.fixture), article.content_type, "http://example.com/2024/01/01/a.html",
                "http://example.com/2024/01/01/a.html")
    read_page(page)
    read_page(dataclasses.replace(page, body=b""))
    assert len(trims) == 2


def test_workers_start_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Submissions that may start a worker, or wait for one starting, leave the event loop's thread; once
    every worker was started they are made on it."""
    threads: list[bool] = []
    submit = ProcessPoolExecutor.submit

    def spy(self: ProcessPoolExecutor, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return submit(self, *args, **kwargs)

    async def two_rounds(pool: ExtractionPool) -> list[Reading]:
        try:
            first = await asyncio.gather(*(pool.read(page) for page in PAGES[:3]))  # the workers start
            return [*first, *await asyncio.gather(*(pool.read(page) for page in PAGES[3:5]))]
        finally:
            pool.close()

    monkeypatch.setattr(ProcessPoolExecutor, "submit", spy)
    readings = asyncio.run(asyncio.wait_for(two_rounds(ExtractionPool(2)), 120))
    assert all(isinstance(reading.result, Article) for reading in readings)
    assert threads == [False, False, False, True, True]  # all off the loop until both workers were started


def served_by(page: Page) -> Reading:
    """A worker task: which process read the page."""
    return failed(page, Rejection("served", str(os.getpid())))


@pytest.mark.timeout(180)
@pytest.mark.parametrize("pages_per_worker", [1, 2, 100], ids=["every-page", "two-pages", "default"])
def test_workers_retire_after_their_pages_and_every_page_is_read(pages_per_worker: int) -> None:
    """A worker exits after ``pages_per_worker`` pages and a fresh one takes over: with a backlog queued (the
    case where CPython 3.11's own replacement hangs, gh-115634) every page is still read, each once."""
    pages = [dataclasses.replace(PAGES[i % len(PAGES)], landed=f"http://news.example.cn/{i}") for i in range(12)]
    pool = ExtractionPool(2, task=served_by, pages_per_worker=pages_per_worker)

    results = asyncio.run(extract_all(pool, pages))

    pids = [r.detail for r in results if isinstance(r, Rejection) and r.reason == "served"]
    assert len(pids) == len(pages)
    assert max(pids.count(pid) for pid in set(pids)) <= pages_per_worker
    assert len(set(pids)) >= min(len(pages), -(-len(pages) // pages_per_worker))


@pytest.mark.timeout(180)
def test_retired_workers_read_the_same_articles() -> None:
    pages = PAGES * 2
    pool = ExtractionPool(2, pages_per_worker=3)
    results = asyncio.run(extract_all(pool, pages))
    assert results == [extract(decode_body(p.body, p.content_type), p.landed) for p in pages]


@pytest.mark.timeout(180)
def test_a_dead_worker_among_retiring_ones_is_that_pages_error() -> None:
    poisoned = dataclasses.replace(PAGES[3], body=PAGES[3].body.replace(b"<head>", b"<head>" + POISON, 1))
    pages = [*PAGES[:3], poisoned, *PAGES[4:], *PAGES]
    pool = ExtractionPool(2, task=crash_on_poison, pages_per_worker=2)

    results = asyncio.run(extract_all(pool, pages))

    assert isinstance(results[3], Rejection) and results[3].reason == CRASHED
    assert all(isinstance(r, Article) for i, r in enumerate(results) if i != 3)
    assert pool.crashes == 1


@pytest.mark.timeout(120)
def test_the_executor_replaces_a_retired_worker_with_a_backlog_queued() -> None:
    """gh-115634's reproducer: one worker, two tasks per worker, ten tasks queued at once. The stock
    ``ProcessPoolExecutor`` of CPython 3.11 runs two and hangs; the pool's executor runs all ten."""
    import multiprocessing

    from newswatch.crawler.extract.pool import _Recycling

    with _Recycling(1, mp_context=multiprocessing.get_context("forkserver"), max_tasks_per_child=2) as executor:
        pids = [future.result(timeout=60) for future in [executor.submit(os.getpid) for _ in range(10)]]
    assert len(pids) == 10 and len(set(pids)) == 5


def test_one_big_page_at_a_time_in_the_workers_and_small_pages_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page of ``big_page_bytes`` or more waits while another big page is read (the workers' memory peaks
    when each holds a big page's trees); small pages are read beside it. No worker starts here: the
    executor's stage is replaced by one that counts what is in it."""
    pool = ExtractionPool(2, big_page_bytes=1000)
    inside: list[int] = []
    seen: list[tuple[int, int]] = []  # (big pages, all pages) in the stage at once

    async def stage(page: Page) -> Reading:
        inside.append(len(page.body))
        seen.append((sum(1 for size in inside if size >= 1000), len(inside)))
        await asyncio.sleep(0.01)
        inside.remove(len(page.body))
        return failed(page, Rejection("test", "not read"))

    monkeypatch.setattr(pool, "_read", stage)
    big = [Page(b"x" * (1000 + n), "text/html", f"http://a.test/{n}", f"http://a.test/{n}") for n in range(3)]
    small = [Page(b"y" * n, "text/html", f"http://b.test/{n}", f"http://b.test/{n}") for n in range(1, 4)]

    async def all_pages() -> list[Reading]:
        return await asyncio.gather(*(pool.read(page) for pair in zip(big, small, strict=True) for page in pair))

    try:
        readings = asyncio.run(all_pages())
    finally:
        pool.close()
    assert len(readings) == 6
    assert max(bigs for bigs, _ in seen) == 1, "never two big pages in the workers at once"
    assert max(total for _, total in seen) > 1, "small pages were read beside a big one"
