"""Extraction off the reactor: in worker processes (both cores), or in one worker thread.

trafilatura shares module-level lxml parsers, so two threads extracting at once crash the process
(``free(): invalid pointer``); processes share nothing. :class:`ExtractionPool` runs
:func:`read_page` (the one reading of a page, :mod:`crawler.extract.reading`: decode, parse, canonical URL, feeds,
links, extraction) in a ``ProcessPoolExecutor`` of ``workers`` processes started by a *forkserver*
(never forked from the reactor's process, whose threads and sockets a fork would copy), awaited from the
asyncio reactor. With ``workers`` 0 or 1 it keeps the previous arrangement: one worker thread.

A worker retires after ``pages_per_worker`` pages (:data:`PAGES_PER_WORKER`) and the executor starts a fresh one
from the forkserver: what a worker's pages leave behind (library caches that grow with the pages seen, a fragmented
heap) goes with it, so a worker's memory stays near a fresh one's over a crawl of any length.
``ProcessPoolExecutor(max_tasks_per_child=...)`` hangs on CPython 3.11 (gh-115634, fixed upstream only later,
python/cpython#140900: the worker that retires leaves a token in the idle-worker semaphore, which the replacement
path takes for an idle worker, so it starts none; with a backlog queued and every worker retired, nothing runs it):
:class:`_Recycling` replaces a retired worker whenever the executor has fewer than its number, as the fix in later
CPythons does.

Memory peaks when every worker holds the parse trees of a big page at once (a 590 KB page: 15-30 MiB more
for the reading): a page of :data:`BIG_PAGE_BYTES` or more waits for the other big page in the workers (smaller
pages go on meanwhile), so at most one worker reads a big page at a time.

A worker that dies (a crash in lxml, the OOM killer) breaks a ``ProcessPoolExecutor`` for every page in
flight. The pool then starts a fresh executor and tries each of those pages once more, one at a time
in a single worker; a page that kills that worker too is the culprit and gets a
``Rejection("extractor_crashed")`` (in its :func:`~crawler.extract.reading.failed` reading), a per-page error, and
the crawl goes on. A page that takes longer than ``timeout`` seconds is ``extractor_timeout`` (in
processes, the pool is replaced so the stuck worker cannot hold a slot).

``ProcessPoolExecutor.submit`` starts a worker process when none is idle, holding the executor's lock, and the
first start waits for the forkserver to import the extraction: until an executor has taken one submission per
worker, submissions are made from helper threads, so the event loop goes on fetching meanwhile; later ones are
made on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from multiprocessing.connection import Connection
from typing import Any

from newswatch.crawler import heap
from newswatch.crawler.extract.reading import Page, Reading, Rules, failed, read
from newswatch.crawler.extract.rejection import Rejection
from newswatch.crawler.extract.selectors import Selection

CRASHED = "extractor_crashed"
TIMED_OUT = "extractor_timeout"
PAGES_PER_WORKER = 25  # a fresh worker costs a fork of the forkserver (milliseconds); 25 pages, a second or more of CPU
BIG_PAGE_BYTES = 256 * 1024  # a page this big is read by one worker at a time (its parse trees: 15-30 MiB)
__all__ = ["BIG_PAGE_BYTES", "CRASHED", "PAGES_PER_WORKER", "TIMED_OUT", "ExtractionPool", "Rules", "read_page",
           "rules_of", "workers_setting"]
Task = Callable[[Page], Reading]
# imported by the forkserver before it forks a worker: the workers share those pages (crawler.extract.preload);
# not "__main__" (the forkserver's default): a worker neither needs nor imports the crawl's main module
# (crawler.extract.workermain), so a task must live in an importable module
PRELOAD = ["newswatch.crawler.extract.workermain", "newswatch.crawler.extract.preload"]


@lru_cache(maxsize=256)
def _selection(rules: Rules) -> Selection | None:
    return Selection.of(*rules)


def read_page(page: Page) -> Reading:
    """One page's reading (in a worker): the source's selectors compiled there, once per worker; then the
    heap the page's trees left free handed back to the system (:func:`_trim`)."""
    try:
        return read(page, _selection(page.rules) if page.rules else None)
    finally:
        _trim()


def _trim() -> None:
    """glibc's ``malloc_trim(0)`` (:func:`crawler.heap.trim`): a big page's parse trees leave megabytes of free
    heap that glibc keeps for the process; each worker would otherwise stay at the size of the biggest page
    it read."""
    heap.trim()


def _watch_parent(lifeline: Connection) -> None:
    """Worker initializer: exit when the crawl's process is gone (a worker of a killed crawl would
    otherwise wait for work forever, holding its stdout and stderr open)."""
    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                lifeline.recv()
        os._exit(0)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


class _Recycling(ProcessPoolExecutor):
    """``max_tasks_per_child`` that does not hang (gh-115634, CPython 3.11; fixed upstream later): when a worker
    retires, the executor's manager thread calls ``_adjust_process_count``, whose first step takes a token from
    the idle-worker semaphore. That semaphore counts finished tasks, not idle workers: a worker that took its
    next task straight from the queue (a backlog) left its token, so the retired worker's token is taken for an
    idle worker and no replacement starts; once every worker has retired, the queued pages wait forever. Here
    the manager thread replaces a retired worker whenever the executor has fewer than ``max_workers``, without
    the semaphore; ``submit`` keeps the stock behaviour (start a worker only when none is idle)."""

    def _adjust_process_count(self) -> None:
        if threading.current_thread() is not getattr(self, "_executor_manager_thread", None):
            super()._adjust_process_count()
        elif len(self._processes) < self._max_workers:  # type: ignore[attr-defined]
            self._spawn_process()  # type: ignore[attr-defined]


def default_workers() -> int:
    return os.cpu_count() or 1


class ExtractionPool:
    def __init__(self, workers: int, task: Task = read_page, timeout: float = 300.0,
                 pages_per_worker: int = PAGES_PER_WORKER, big_page_bytes: int = BIG_PAGE_BYTES) -> None:
        self.workers = workers
        self.pages_per_worker = pages_per_worker
        self.big_page_bytes = big_page_bytes
        self._big = asyncio.Semaphore(1)  # one big page in the workers at a time (read)
        self.task = task
        self.timeout = timeout
        self.crashes = 0
        # the workers' lifeline: they hold the read end, only this process the write end; when this process
        # ends (even by SIGKILL) they read EOF and exit, and the forkserver with them
        self._lifeline_r, self._lifeline_w = multiprocessing.Pipe(duplex=False)
        self._submitted: weakref.WeakKeyDictionary[Executor, int] = weakref.WeakKeyDictionary()
        self.executor: Executor = self._new()
        self._solo: ProcessPoolExecutor | None = None  # retries after a crash, one page at a time
        self._retry_lock = asyncio.Lock()

    @property
    def in_processes(self) -> bool:
        return self.workers > 1

    def _new(self, workers: int | None = None) -> Executor:
        if not self.in_processes:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)  # before the forkserver starts (once a process)
        return _Recycling(workers or self.workers, mp_context=context, initializer=_watch_parent,
                          initargs=(self._lifeline_r,), max_tasks_per_child=self.pages_per_worker)

    async def read(self, page: Page) -> Reading:
        """The reading of one page; a crash or a timeout is this page's ``Rejection``. A big page
        (``big_page_bytes``) waits, here, while another big page is read: the workers' memory peaks when each
        holds the parse trees of a big page at once, and the small pages go on meanwhile."""
        if not self.in_processes or len(page.body) < self.big_page_bytes:
            return await self._read(page)
        async with self._big:
            return await self._read(page)

    async def _read(self, page: Page) -> Reading:
        executor = self.executor
        try:
            return await self._run(executor, page)
        except BrokenProcessPool:
            self._replace(executor)
        except TimeoutError:
            return failed(page, self._timed_out(executor))
        async with self._retry_lock:  # one page at a time: a crash now names its page
            solo = self._solo or self._new(1)
            assert isinstance(solo, ProcessPoolExecutor)
            self._solo = solo
            try:
                return await self._run(solo, page)
            except BrokenProcessPool as exc:
                self._solo = None
                solo.shutdown(wait=False, cancel_futures=True)
                self.crashes += 1
                return failed(page, Rejection(CRASHED, f"the extraction worker died on this page ({exc})"))
            except TimeoutError:
                self._solo = None
                solo.shutdown(wait=False, cancel_futures=True)
                return failed(page, Rejection(TIMED_OUT, f"extraction took longer than {self.timeout:g} s"))

    async def _run(self, executor: Executor, page: Page) -> Reading:
        if self._spawning(executor):  # this submit may start a worker, or wait for one starting: off the loop
            submitted = await asyncio.to_thread(executor.submit, self.task, page)
            self._submitted[executor] = self._submitted.get(executor, 0) + 1
            future: asyncio.Future[Reading] = asyncio.wrap_future(submitted)
        else:
            future = asyncio.get_running_loop().run_in_executor(executor, self.task, page)
        return await asyncio.wait_for(future, self.timeout)

    def _spawning(self, executor: Executor) -> bool:
        """True until a process executor has taken one submission per worker: each of those may start a
        worker process (the first waits a second or more for the forkserver to import the extraction), and
        any submission meanwhile waits for the executor's lock, which that start holds."""
        if not isinstance(executor, ProcessPoolExecutor):
            return False
        return self._submitted.get(executor, 0) < (1 if executor is self._solo else self.workers)

    def _timed_out(self, executor: Executor) -> Rejection:
        if self.in_processes:  # a second thread would share trafilatura's parsers: wait instead
            self._replace(executor)
        return Rejection(TIMED_OUT, f"extraction took longer than {self.timeout:g} s")

    def _replace(self, broken: Executor) -> None:
        """A fresh executor instead of ``broken`` (once, however many pages saw it break)."""
        if self.executor is broken:
            broken.shutdown(wait=False, cancel_futures=True)
            self.executor = self._new()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self._solo is not None:
            self._solo.shutdown(wait=True, cancel_futures=True)
        self._lifeline_w.close()


def rules_of(rules: Mapping[str, Any] | None) -> Rules | None:
    """A source's include/exclude rules (a ``CrawlOptions.source_rules`` entry) as plain tuples."""
    if not rules:
        return None
    include, exclude = tuple(rules.get("include", ())), tuple(rules.get("exclude", ()))
    return (include, exclude) if include or exclude else None


def workers_setting(value: Any) -> int:
    """``crawl.extract_workers``: None means one per core."""
    return default_workers() if value is None or value == "" else int(value)
