"""Handing a process's free heap back to the system: glibc's ``malloc_trim(0)``.

glibc keeps the memory a process freed for its next allocations, and returns only the top of the heap on its
own: after a big page's parse trees (in an extraction worker) or a crawl's responses and sessions (in the
daemon), the process would stay at the size of its busiest moment, and a heap fragmented by many such moments
grows slowly. ``malloc_trim(0)`` returns every free page, wherever it lies in the heap. Elsewhere than glibc
(musl, macOS) it is a no-op.
"""

from __future__ import annotations

import gc
from functools import lru_cache
from typing import Any

__all__ = ["release", "trim"]


@lru_cache(maxsize=1)
def libc() -> Any:
    """glibc, when this process runs on it (None otherwise)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    return library if library is not None and hasattr(library, "malloc_trim") else None


def trim() -> None:
    """glibc's ``malloc_trim(0)``: every free page of the heap back to the system."""
    library = libc()
    if library is not None:
        library.malloc_trim(0)


def release() -> None:
    """After a unit of work in a long-lived process (a crawl in the daemon): the reference cycles it left
    collected (Scrapy's crawler, engine and middlewares hold one another), then the freed heap handed back."""
    gc.collect()
    trim()
