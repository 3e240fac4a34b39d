"""Issue 12's targets, each as a figure measured in this bench run, its target and whether it is met.

Pure: it reads the figures the other modules measured and returns rows. Memory targets are in MB (10⁶
bytes), as the issue states them; the figures table keeps MiB. A crawl's memory is its whole process tree's
peak PSS (the newswatch process, the extraction pool's forkserver and workers: :attr:`ChildRun.peak_kib`),
with the main process's own peak RSS beside it; urlwatch is one process, its peak RSS. Never asserted in
tests: printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench.bench_daemon_memory import WARM, DaemonMemory
from bench.crawl import CrawlSet
from bench.workspace import ChildRun

LARGE = 10_000  # the N of the "RSS at 10,000" target
PEER_N = 1_000  # the N of the "RSS against urlwatch's" target


@dataclass(frozen=True)
class Target:
    name: str
    measured: str  # the figure (a ratio, or a value), or why it was not measured
    target: str
    met: bool | None  # None: not measured

    @property
    def verdict(self) -> str:
        return "not measured" if self.met is None else "met" if self.met else "**not met**"


def mb(kib: int) -> float:
    return kib * 1024 / 1e6


def _ratio(name: str, target: float, value: Callable[[], float | None], how: str) -> Target:
    found = value()
    if found is None:
        return Target(name, how, f"≥ {target:g}×", None)
    return Target(name, f"{found:.2f}× ({how})", f"≥ {target:g}×", found >= target)


def _main(run: ChildRun) -> str:
    """The main process's own peak RSS beside the tree's PSS (when there was a tree)."""
    return f"; main process peak RSS {mb(run.max_rss_kib):.0f} MB" if run.processes > 1 else ""


def _set(sets: list[CrawlSet], n: int) -> CrawlSet | None:
    return next((s for s in sets if s.n == n), None)


def speed_targets(sets: list[CrawlSet]) -> list[Target]:
    """First crawl against bare trafilatura; the unchanged re-check against urlwatch's and the first crawl."""
    small = sets[0]
    first, library, again, peer = small.first, small.trafilatura, small.recheck, small.peer
    at = f"N={small.n:,}"
    rows = [Target("first crawl ÷ bare trafilatura (articles/s, 1 process)",
                   f"{first.per_second / library.per_second:.2f}× ({first.per_second:.1f} ÷ "
                   f"{library.per_second:.1f}, {at})", "≥ 1.5×", first.per_second / library.per_second >= 1.5)]
    if again is None:
        rows.append(Target("unchanged re-check ÷ urlwatch re-check (pages/s)", "no re-check", "≥ 2×", None))
    elif peer is None:
        rows.append(Target("unchanged re-check ÷ urlwatch re-check (pages/s)",
                           f"urlwatch not run: {small.peer_note or '?'}", "≥ 2×", None))
    else:
        ratio = again.per_second / peer.recheck_per_second
        rows.append(Target("unchanged re-check ÷ urlwatch re-check (pages/s)",
                           f"{ratio:.2f}× ({again.per_second:.1f} ÷ {peer.recheck_per_second:.1f}, {at})", "≥ 2×",
                           ratio >= 2))
    pg_again = small.postgres_recheck
    if pg_again is not None and peer is not None:
        ratio = pg_again.per_second / peer.recheck_per_second
        rows.append(Target("unchanged re-check on PostgreSQL ÷ urlwatch re-check (pages/s)",
                           f"{ratio:.2f}× ({pg_again.per_second:.1f} ÷ {peer.recheck_per_second:.1f}, {at})", "≥ 2×",
                           ratio >= 2))
    else:
        rows.append(Target("unchanged re-check on PostgreSQL ÷ urlwatch re-check (pages/s)",
                           "PostgreSQL or urlwatch not run", "≥ 2×", None))
    if again is not None:
        ratio = again.per_second / first.per_second
        rows.append(Target("unchanged re-check ÷ newswatch first crawl (articles/s)",
                           f"{ratio:.2f}× ({again.per_second:.1f} ÷ {first.per_second:.1f}, {at})", "≥ 20×",
                           ratio >= 20))
    else:
        rows.append(Target("unchanged re-check ÷ newswatch first crawl (articles/s)", "no re-check", "≥ 20×", None))
    return rows


def memory_targets(sets: list[CrawlSet], fixed: ChildRun, daemon: DaemonMemory | None) -> list[Target]:
    """Peak RSS against urlwatch's and at 10,000; the run with nothing to do; the daemon over many cycles."""
    rows = []
    peered = _set(sets, PEER_N)
    name = f"first-crawl peak memory (tree PSS) ÷ urlwatch first-run peak RSS (N={PEER_N:,})"
    if peered is None or peered.peer is None:
        why = f"N={PEER_N:,} not run" if peered is None else f"urlwatch not run: {peered.peer_note or '?'}"
        rows.append(Target(name, why, "≤ 1×", None))
    else:
        ours, theirs = peered.first.run.peak_kib, peered.peer.first.run.max_rss_kib
        rows.append(Target(name, f"{ours / theirs:.2f}× ({mb(ours):.0f} MB ÷ {mb(theirs):.0f} MB"
                           f"{_main(peered.first.run)})", "≤ 1×", ours <= theirs))
    large = _set(sets, LARGE)
    name = f"first-crawl peak memory at N={LARGE:,} (tree PSS)"
    rows.append(Target(name, f"N={LARGE:,} not run", "< 300 MB", None) if large is None else
                Target(name, f"{mb(large.first.run.peak_kib):.0f} MB{_main(large.first.run)}", "< 300 MB",
                       mb(large.first.run.peak_kib) < 300))
    rows.append(Target("a run with nothing to do: wall time", f"{fixed.seconds:.2f} s ({fixed.cpu_seconds:.2f} s CPU)",
                       "< 0.5 s", fixed.seconds < 0.5))
    rows.append(Target("a run with nothing to do: peak RSS", f"{mb(fixed.max_rss_kib):.0f} MB", "< 120 MB",
                       mb(fixed.max_rss_kib) < 120))
    name = "daemon RSS, last crawl against first"
    if daemon is None:
        rows.append(Target(name, "not run (`--daemon-cycles 0`)", "within ±10 %", None))
    else:
        warm = daemon.warm_growth
        after = f"; {warm:+.1%} from crawl {WARM}" if warm is not None else ""
        rows.append(Target(f"{name} ({daemon.cycles} crawls)",
                           f"{daemon.growth:+.1%} ({mb(daemon.first_kib):.0f} → {mb(daemon.last_kib):.0f} MB{after})",
                           "within ±10 %", abs(daemon.growth) <= 0.10))
    return rows


def targets(sets: list[CrawlSet], fixed: ChildRun, daemon: DaemonMemory | None) -> list[Target]:
    return [*speed_targets(sets), *memory_targets(sets, fixed, daemon)]
