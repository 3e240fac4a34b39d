"""Scrapy's TLS modules imported without the stack walk of their deprecation shims.

``scrapy.core.downloader.tls`` and ``contextfactory`` (imported by the HTTP/1.1 download handler, so by
every crawl's start) each build deprecated aliases with ``scrapy.utils.deprecate.create_deprecated_class``,
which names the alias's module from ``inspect.stack()[1]``: ``inspect.stack()`` reads the source file of
*every* frame on the stack, and for each frozen ``importlib`` frame scans ``sys.modules`` (``getmodule``).
Three calls, deep in an import, cost 0.15-0.3 s of CPU, a tenth of a 1,000-article re-check.

:func:`import_tls_modules` imports both with ``inspect.stack`` standing in for the caller's frames alone
(no source read): the aliases get the same ``__module__`` (``inspect.getmodule`` of the same frame), and
``inspect.stack`` is itself again when the import ends. It is called when the crawl stack is imported
(:mod:`crawler.spiders.news`), before Scrapy's engine loads its download handlers.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import threading
from types import FrameType
from typing import Any

MODULES = ("scrapy.core.downloader.tls", "scrapy.core.downloader.contextfactory")
_lock = threading.Lock()


def caller_frames(context: int = 1) -> list[tuple[FrameType, ...]]:
    """What ``inspect.stack()[:2]`` gives ``create_deprecated_class``, frames only (``context`` unused):
    its own frame and its caller's, each as the first field of a record."""
    del context
    frame = sys._getframe(1)  # the frame that asked for the stack
    caller = frame.f_back
    return [(frame,), (caller,)] if caller is not None else [(frame,)]


def import_tls_modules() -> None:
    """Import :data:`MODULES` (once) with :func:`caller_frames` as ``inspect.stack`` meanwhile."""
    if all(name in sys.modules for name in MODULES):
        return
    with _lock:
        real: Any = inspect.stack
        inspect.stack = caller_frames  # type: ignore[assignment]
        try:
            for name in MODULES:
                importlib.import_module(name)
        finally:
            inspect.stack = real
