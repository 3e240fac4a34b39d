"""Extraction in worker processes (``crawler.pool``): the same articles as in-process, and a worker that
dies is one page's clear error, not a hung crawl."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.encoding import decode_body
from crawler.extract import Article, Rejection, extract
from crawler.pool import CRASHED, ExtractionPool, Rules, extract_page, rules_of
from tests.conftest import ROOT
from tests.crawler.fixture_site import ARTICLES, fixture_bytes

PAGES = [(decode_body(fixture_bytes(p.fixture), p.content_type), f"http://news.example.cn{p.path}")
         for p in ARTICLES]
POISON = "<!-- crash the worker -->"


def crash_on_poison(html: str, url: str, rules: Rules | None) -> Article | Rejection:
    """A worker task that dies as a crash in lxml would (no exception, the process is gone)."""
    if POISON in html:
        os._exit(70)
    return extract_page(html, url, rules)


async def extract_all(pool: ExtractionPool, pages: list[tuple[str, str]]) -> list[Article | Rejection]:
    try:
        return await asyncio.wait_for(asyncio.gather(*(pool.extract(h, u, None) for h, u in pages)), 120)
    finally:
        pool.close()


@pytest.mark.parametrize("workers", [2, 1, 0], ids=["processes", "one-thread", "off"])
def test_the_pool_extracts_what_extract_does(workers: int) -> None:
    pool = ExtractionPool(workers)
    assert pool.in_processes is (workers > 1)
    results = asyncio.run(extract_all(pool, PAGES))
    assert results == [extract(html, url) for html, url in PAGES]
    assert all(isinstance(r, Article) for r in results)


def test_a_dead_worker_is_that_pages_error_and_the_others_are_extracted() -> None:
    poisoned = (PAGES[1][0].replace("<head>", "<head>" + POISON, 1), PAGES[1][1])
    assert POISON in poisoned[0]
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
    html, url = PAGES[0]
    pool = ExtractionPool(2)
    try:
        result = asyncio.run(pool.extract(html, url, rules))
    finally:
        pool.close()
    assert isinstance(result, Article)


KILLED_CRAWL = """
import asyncio, os, signal, sys
from crawler.pool import ExtractionPool
pool = ExtractionPool(2)
asyncio.run(pool.extract("<html><body><p>x</p></body></html>", "http://a.example/", None))
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
