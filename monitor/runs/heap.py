"""The cyclic garbage collector around a one-shot run's start-up.

A ``newswatch run`` imports ~900 modules (SQLAlchemy, Scrapy, Twisted, pydantic) and builds its settings,
engine and spider before the first request: a few hundred thousand objects that live as long as the
process. While they pile up, the collector runs again and again and walks all of them (its full
collections, ~0.1-0.3 s of CPU), and during the crawl every older-generation collection walks them again;
they hold no garbage worth the walk. Measured on a 1,000-article re-check: 0.2-0.35 s of 2.5 s of CPU.

- :func:`startup_without_gc` pauses the collector for a one-shot run (``newswatch run``), and turns it
  back on when the run ends, whatever happens;
- :func:`crawl_starts`, just before a one-shot crawl's reactor starts, moves what start-up built into the
  permanent generation (``gc.freeze``: never walked, never freed: it lives as long as the process anyway)
  and turns the collector back on if start-up paused it, so the crawl collects its own garbage as before.

The daemon and the queue worker (long-lived, :func:`monitor.runs.crawlrun.crawl_on`) use neither.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_paused: list[bool] = []  # one entry while startup_without_gc has the collector paused


@contextlib.contextmanager
def startup_without_gc() -> Iterator[None]:
    """The collector paused from here until :func:`crawl_starts` or the block's end (left off if it was off)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    _paused.append(True)
    try:
        yield
    finally:
        _paused.clear()
        gc.enable()


def crawl_starts() -> None:
    """Start-up's objects frozen out of the collector's walks; the collector on again if start-up paused it."""
    gc.freeze()
    if _paused:
        _paused.clear()
        gc.enable()
