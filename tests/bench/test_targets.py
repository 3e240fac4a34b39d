"""Issue 12's target rows: each ratio computed from the run's figures, with met / not met / not measured."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bench.bench_daemon_memory import DaemonMemory
from bench.crawl import Crawl, CrawlSet, Peer
from bench.figures import Extraction
from bench.peer import PeerRun
from bench.targets import Target, targets
from bench.workspace import ChildRun

MIB = 1024  # KiB


def run(seconds: float, rss_mib: float, tree_mib: float | None = None) -> ChildRun:
    """A run of one process, or (``tree_mib``) of a main process with its extraction workers."""
    if tree_mib is None:
        return ChildRun(seconds, 0, "", "", int(rss_mib * MIB), seconds)
    return ChildRun(seconds, 0, "", "", int(rss_mib * MIB), seconds, int(tree_mib * MIB), 5, seconds / 2,
                    int(rss_mib * MIB * 0.9))


def crawl_set(n: int = 1_000, *, first_s: float = 50.0, recheck_s: float | None = 2.0, peer: bool = True,
              rss_mib: float = 150.0) -> CrawlSet:
    peer_runs = Peer(n, PeerRun(run(5.0, 190.0), {"NEW": n}), PeerRun(run(4.0, 140.0), {}), n) if peer else None
    return CrawlSet(n, Extraction(96, 4.8, 4.8), Extraction(96, 3.2, 3.2), 1.0, Crawl(run(first_s, rss_mib), n),
                    Crawl(run(recheck_s, 120.0), n) if recheck_s else None, n, None, None, 60.0, peer_runs,
                    None if peer else "urlwatch: not run (--no-peer)")


def by_name(rows: list[Target]) -> dict[str, Target]:
    return {row.name.split(" (")[0] if row.name.startswith("daemon") else row.name: row for row in rows}


def test_every_target_is_a_ratio_of_the_runs_figures() -> None:
    rows = by_name(targets([crawl_set()], run(0.4, 80.0), DaemonMemory(200, 100 * MIB, 104 * MIB, 300.0)))
    first = rows["first crawl ÷ bare trafilatura (articles/s, 1 process)"]
    assert first.measured.startswith("0.67×") and first.met is False  # 20 articles/s ÷ 30 pages/s
    peer = rows["unchanged re-check ÷ urlwatch re-check (pages/s)"]
    assert peer.measured.startswith("2.00×") and peer.met is True  # 500 ÷ 250
    own = rows["unchanged re-check ÷ newswatch first crawl (articles/s)"]
    assert own.measured.startswith("25.00×") and own.met is True
    peer_memory = rows["first-crawl peak memory (tree PSS) ÷ urlwatch first-run peak RSS (N=1,000)"]
    assert peer_memory.met is True  # 150 ≤ 190 MiB (one process: its peak RSS)
    assert rows["first-crawl peak memory at N=10,000 (tree PSS)"].met is None
    assert rows["a run with nothing to do: wall time"].met is True
    assert rows["a run with nothing to do: peak RSS"].met is True  # 80 MiB = 84 MB
    assert rows["daemon RSS, last crawl against first"].met is True  # +4 %
    assert rows["first-crawl peak memory at N=10,000 (tree PSS)"].verdict == "not measured"


@pytest.mark.parametrize(("change", "name", "verdict"), [
    ({"peer": False}, "unchanged re-check ÷ urlwatch re-check (pages/s)", "not measured"),
    ({"recheck_s": None}, "unchanged re-check ÷ newswatch first crawl (articles/s)", "not measured"),
    ({"rss_mib": 200.0}, "first-crawl peak memory (tree PSS) ÷ urlwatch first-run peak RSS (N=1,000)", "**not met**"),
    ({"recheck_s": 5.0}, "unchanged re-check ÷ newswatch first crawl (articles/s)", "**not met**"),
], ids=["no-peer", "no-recheck", "rss-above-peer", "recheck-slow"])
def test_missing_or_missed_figures(change: dict[str, Any], name: str, verdict: str) -> None:
    rows = by_name(targets([crawl_set(**change)], run(0.4, 80.0), None))
    assert rows[name].verdict == verdict


def test_memory_targets_in_decimal_megabytes_at_ten_thousand() -> None:
    large = crawl_set(10_000, rss_mib=290.0)  # 290 MiB = 304 MB: over 300 MB
    rows = by_name(targets([crawl_set(), large], run(0.6, 115.0), DaemonMemory(200, 100 * MIB, 115 * MIB, 1.0)))
    assert rows["first-crawl peak memory at N=10,000 (tree PSS)"].measured == "304 MB"
    assert rows["first-crawl peak memory at N=10,000 (tree PSS)"].met is False
    assert rows["a run with nothing to do: wall time"].met is False
    assert rows["a run with nothing to do: peak RSS"].met is False  # 115 MiB = 121 MB
    assert rows["daemon RSS, last crawl against first"].met is False  # +15 %


def test_a_crawl_with_workers_is_judged_by_its_whole_tree() -> None:
    """The main process alone (150 MiB) is under both targets; with its workers (300 MiB PSS) it is not."""
    small, large = crawl_set(), crawl_set(10_000)
    small = dataclasses.replace(small, first=Crawl(run(50.0, 150.0, tree_mib=300.0), 1_000))
    large = dataclasses.replace(large, first=Crawl(run(500.0, 150.0, tree_mib=290.0), 10_000))
    rows = by_name(targets([small, large], run(0.4, 80.0), None))
    peer = rows["first-crawl peak memory (tree PSS) ÷ urlwatch first-run peak RSS (N=1,000)"]
    assert peer.met is False and peer.measured.startswith("1.58×")  # 300 MiB ÷ 190 MiB
    assert "main process peak RSS 157 MB" in peer.measured
    at_large = rows["first-crawl peak memory at N=10,000 (tree PSS)"]
    assert at_large.met is False and at_large.measured == "304 MB; main process peak RSS 157 MB"
