"""A one-shot run's start-up without the cyclic collector; the crawl with it, start-up's objects frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from newswatch.monitor.runs.heap import crawl_starts, startup_without_gc


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_startup_pauses_the_collector_and_the_crawl_turns_it_back_on() -> None:
    gc.enable()
    with startup_without_gc():
        assert not gc.isenabled()
        crawl_starts()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()


def test_a_run_that_never_crawls_gets_the_collector_back() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), startup_without_gc():
        assert not gc.isenabled()
        raise RuntimeError("the run failed before its crawl")
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    with startup_without_gc():
        crawl_starts()
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_crawl_without_a_paused_start_only_freezes() -> None:
    gc.enable()
    crawl_starts()
    assert gc.isenabled() and gc.get_freeze_count() > 0
