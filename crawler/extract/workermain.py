"""The extraction pool's workers run without the crawl's ``__main__`` (``crawler.extract.pool.PRELOAD``, first).

A process that multiprocessing starts runs the parent's main module again before its task
(``multiprocessing.spawn.prepare``: ``runpy.run_path`` of the ``newswatch`` console script, or ``run_module`` of
``python -m``'s module), so that a task defined there can be unpickled. For the console script that is the whole
CLI (click, pydantic, SQLAlchemy, APScheduler, the monitor): imported by each worker on its own, not shared,
and again by each fresh worker after a retirement. The forkserver was meant to import it once (``"__main__"``
in its preload), but CPython 3.11 never hands it the main module's path (it asks for ``main_path``, the
preparation data says ``init_main_from_path``; fixed upstream in 3.14, gh-126631), so nothing was shared.
No worker needs the main module: its tasks (``read_page``) and initializer live in importable modules. Imported
in the forkserver, this module has every worker forked there skip it.
"""

from __future__ import annotations

from collections.abc import Mapping
from multiprocessing import spawn
from typing import Any

MAIN_KEYS = frozenset({"init_main_from_name", "init_main_from_path"})
_prepare = spawn.prepare


def prepare_without_main(data: Mapping[str, Any]) -> None:
    """``spawn.prepare`` (name, authkey, sys.path, working folder, start method) without the main module."""
    _prepare({key: value for key, value in data.items() if key not in MAIN_KEYS})


spawn.prepare = prepare_without_main  # this process is the forkserver: only the pool's workers are forked here
