"""The profile's reading names what bounds a first crawl from its CPU split (``bench.report.bound``)."""

from __future__ import annotations

import os

import pytest

from bench.report import bound
from bench.workspace import ChildRun

CORES = os.cpu_count() or 1


def crawl(main: float, workers: float, load: float | None = None) -> ChildRun:
    """A 100-second crawl whose main process and workers used ``main`` and ``workers`` cores."""
    return ChildRun(100.0, 0, "", "", 150 * 1024, (main + workers) * 100, 400 * 1024, 5, main * 100, 130 * 1024,
                    load)


@pytest.mark.parametrize(("main", "workers", "pool", "load", "named"), [
    (0.95, 0.3, 2, None, "the main process, one core"),
    (0.3, 0.95, 1, None, "the extraction workers"),  # one worker process, busy
    (0.4, 0.5, 2, 1.0, "neither process saturated"),
    (0.2, 0.2, 2, 0.4 + CORES, "a shared machine"),  # a load of this machine's cores besides the crawl
], ids=["main", "workers", "waiting", "shared"])
def test_the_bound_is_read_from_the_cpu_split(main: float, workers: float, pool: int, load: float | None,
                                              named: str) -> None:
    assert f"**Bound: {named}.**" in bound(crawl(main, workers, load), pool)


def test_a_tree_on_every_core_is_bound_by_the_machine() -> None:
    assert "**Bound: the machine's cores.**" in bound(crawl(0.9, CORES - 0.9), CORES)
