"""Handing the free heap back (``crawler.heap``): what the daemon does after each crawl, and an extraction worker
after each page."""

from __future__ import annotations

import gc
import weakref

import pytest

from newswatch.crawler import heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_glibc_is_found_here() -> None:
    assert heap.libc() is not None, "the tests run on glibc: malloc_trim is reachable"


@pytest.mark.parametrize("collector", [True, False], ids=["collector-on", "collector-off"])
def test_release_collects_the_cycles_a_unit_of_work_left(collector: bool) -> None:
    """A crawl's objects hold one another (crawler, engine, middlewares): freed only by a collection, which
    ``release`` runs whether or not the automatic collector would have got round to it."""
    was_enabled = gc.isenabled()
    gc.disable() if not collector else gc.enable()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        assert ref() is not None  # a cycle: reference counting alone does not free it
        heap.release()
        assert ref() is None
    finally:
        gc.enable() if was_enabled else gc.disable()


def test_trim_gives_free_heap_back() -> None:
    """Many small blocks freed in the middle of the heap stay with the process until ``malloc_trim``."""
    def resident_kib() -> int:
        with open("/proc/self/status", encoding="utf-8") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    blocks = [bytearray(4000) for _ in range(40_000)]  # ~160 MB of heap, below the mmap threshold
    keep = blocks[-1]  # the top of the heap stays in use: glibc cannot shrink it from the top
    del blocks
    before = resident_kib()
    heap.trim()
    assert resident_kib() < before - 50_000
    assert keep
