"""The extraction pool's forkserver preloads what extraction needs (``crawler.extract.preload``): a worker starts
with py3langid's model read, jusText's stop words built and the garbage collector's generations frozen, shared
with the forkserver."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from newswatch.crawler.extract.reading import Page, Reading, failed
from newswatch.crawler.extract.rejection import Rejection
from tests.conftest import ROOT

POOL = """
import asyncio
from newswatch.crawler.extract.pool import ExtractionPool
from newswatch.crawler.extract.reading import Page
from tests.crawler.extract.test_preload import preloaded

async def main():
    pool = ExtractionPool(2, task=preloaded)
    try:
        print((await pool.read(Page(b"", None, "http://example.cn/", "http://example.cn/"))).result.reason)
    finally:
        pool.close()

asyncio.run(main())
"""


def preloaded(page: Page) -> Reading:
    """A worker task: whether this worker found the model loaded, jusText's stop words of every language
    built (trafilatura's fallback for Chinese pages) and the collector frozen on arrival."""
    import justext.core
    from py3langid import langid
    from trafilatura import external

    stopwords = external.JT_STOPLIST is not None and justext.core.define_stoplist.cache_info().currsize > 0
    loaded = langid.IDENTIFIER is not None and stopwords and gc.get_freeze_count() > 0
    return failed(page, Rejection("preloaded" if loaded else "not_preloaded"))


def test_a_pool_worker_starts_with_the_model_loaded_by_its_forkserver() -> None:
    done = subprocess.run([sys.executable, "-c", POOL], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["preloaded"]


def test_without_the_preload_a_fresh_process_has_no_model() -> None:
    """The check above can fail: a process that did not preload has neither."""
    done = subprocess.run([sys.executable, "-c", "from tests.crawler.extract.test_preload import preloaded; "
                           "from newswatch.crawler.extract.reading import Page; "
                           "print(preloaded(Page(b'', None, 'http://x.cn/', 'http://x.cn/')).result.reason)"],
                          capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, check=False)
    assert done.stdout.split() == ["not_preloaded"], done.stderr
