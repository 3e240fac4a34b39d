"""The benchmark's output: the machine, the table of figures, the profile's reading, ``bench/RESULTS.md``."""

from __future__ import annotations

import os
import platform
import statistics
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.bench_daemon_memory import DaemonMemory
from bench.crawl import CrawlSet
from bench.figures import ChangeCost, Extraction
from bench.peer import peer_versions
from bench.targets import targets
from bench.workspace import ChildRun
from newswatch.crawler.extract.pool import default_workers

COMMAND = ".venv/bin/python -m bench"
OUR_CODE = ("crawler/", "monitor/", "storage/")
# on (nearly) every stack: say nothing
ENTRY = ("monitor/cli/main.py:main", "monitor/cli/run.py:run", "monitor/runs/run.py:run_once",
         "monitor/runs/run.py:_cycle", "monitor/runs/crawlrun.py:crawl_in_process",
         "crawler/extract/article.py:extract")


def _proc(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine(load_before: str, peer: Path | str | None = None) -> list[str]:
    memory = _proc("/proc/meminfo", "MemTotal")
    gib = f"{int(memory.split()[0]) / 1024 / 1024:.1f} GiB" if memory != "?" else "?"
    packages = ", ".join(f"{name} {version(name)}" for name in ("Scrapy", "trafilatura", "SQLAlchemy", "lxml"))
    if isinstance(peer, Path):
        packages += f"; the peer (its own virtual environment): {peer_versions(peer)}"
    return [
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"CPU: {_proc('/proc/cpuinfo', 'model name')}, {os.cpu_count()} cores; RAM {gib}",
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}; {packages}",
        f"Load average (1, 5, 15 min) at the start {load_before}, at the end {load()}: other work on the machine "
        "slows wall-clock figures; the CPU-time row is not affected",
    ]


def markdown(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in [header, *rows]]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _rate(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def peer_cells(found: CrawlSet) -> list[str]:
    """urlwatch's first run and re-check: pages/s and peak RSS (or why it did not run)."""
    peer = found.peer
    if peer is None:
        return ["not run", "not run"]
    first, again = peer.first.run, peer.recheck.run
    return [f"{_rate(peer.first_per_second)} ({first.seconds:.1f} s, {first.cpu_seconds:.1f} s CPU), "
            f"peak RSS {first.max_rss_kib / 1024:.0f} MiB",
            f"{_rate(peer.recheck_per_second)} ({peer.not_modified:,} × 304), "
            f"peak RSS {again.max_rss_kib / 1024:.0f} MiB"]


def crawl_cells(found: CrawlSet, smallest: CrawlSet) -> list[str]:
    first, extraction, library = found.first, found.extraction, found.trafilatura
    cells = [f"{_rate(extraction.per_second)} ({extraction.ms_per_page:.0f} ms/page, {extraction.pages} pages)",
             f"{_rate(library.per_second)} ({library.ms_per_page:.0f} ms/page, {library.pages} pages, "
             f"{library.empty} extracted nothing)",
             f"{_rate(first.per_second)} = **{first.per_second / extraction.per_second:.2f}×** bare extraction, "
             f"**{first.per_second / library.per_second:.2f}×** bare trafilatura",
             cpu_cell(first.run, first.articles, extraction)]
    if found.recheck is not None:
        again = found.recheck
        cells.append(f"{_rate(again.per_second)} = **{again.per_second / first.per_second:.2f}×** first crawl "
                     f"({found.not_modified:,} × 304, {again.articles - found.not_modified:,} × 200)")
    else:
        cells.append("not run (time)")
    cells.extend(peer_cells(found))
    postgres = found.postgres
    cells.append(f"{_rate(postgres.per_second)} = **{postgres.per_second / first.per_second:.2f}×** SQLite"
                 if postgres is not None else "not run")
    again_pg = found.postgres_recheck
    cells.append(f"{_rate(again_pg.per_second)} ({again_pg.run.seconds:.2f} s, {again_pg.run.cpu_seconds:.2f} s CPU)"
                 + (f" = **{again_pg.per_second / found.peer.recheck_per_second:.2f}×** urlwatch's re-check"
                    if found.peer is not None else "") if again_pg is not None else "not run")
    cells.append(memory_cell(found, smallest))
    return cells


def cpu_cell(run: ChildRun, articles: int, extraction: Extraction) -> str:
    """CPU per article of the whole process tree, split: the newswatch process, its workers; cores busy."""
    total, main, others = (seconds / articles * 1000 for seconds in
                           (run.cpu_seconds, run.own_cpu_seconds, run.others_cpu_seconds))
    return (f"{total:.0f} ms = main process {main:.0f} ms + workers {others:.0f} ms (bare extraction "
            f"{extraction.cpu_ms_per_page:.0f} ms/page); {run.cpu_seconds / run.seconds:.2f} cores busy (main "
            f"{run.own_cpu_seconds / run.seconds:.2f}, workers {run.others_cpu_seconds / run.seconds:.2f})")


def memory_cell(found: CrawlSet, smallest: CrawlSet) -> str:
    """The first crawl's footprint: the tree's peak PSS (the targets' figure) and the main process's."""
    run = found.first.run
    growth = "" if found is smallest else f" = **{run.peak_kib / smallest.first.run.peak_kib:.2f}×** N={smallest.n:,}"
    again = f"; re-check {found.recheck.run.peak_kib / 1024:.0f}" if found.recheck else ""
    if run.processes <= 1:
        return f"peak RSS {run.max_rss_kib / 1024:.0f}{growth}{again} (one process)"
    return (f"tree peak PSS **{run.tree_pss_kib / 1024:.0f}**{growth} ({run.processes} processes; main process: "
            f"PSS {run.main_pss_kib / 1024:.0f} at that peak, peak RSS {run.max_rss_kib / 1024:.0f}){again}")


def table(changes: list[ChangeCost], sets: list[CrawlSet], fixed: ChildRun) -> str:
    labels = ["bare extraction (`extract`, 1 process, 1 core): articles/s",
              "bare trafilatura (`trafilatura.extract`, 1 process): pages/s",
              "first crawl, SQLite: articles/s (fetch+extract+store+corpus)",
              "first crawl: CPU per article (process tree)",
              "re-check, nothing changed: articles/s",
              "urlwatch first run (`html2text` filter): pages/s", "urlwatch re-check, nothing changed: pages/s",
              "first crawl, PostgreSQL: articles/s",
              "re-check, nothing changed, PostgreSQL: articles/s",
              "peak memory of `newswatch run` with its workers, first crawl: MiB"]
    columns = [crawl_cells(s, sets[0]) for s in sets]
    rows = [[label, *(column[i] for column in columns)] for i, label in enumerate(labels)]
    median = statistics.median(c.ms for c in changes)
    blank = [""] * (len(sets) - 1)
    rows.append(["change detection per changed article, 50,000 chars: CPU ms",
                 f"{median:.0f} (median of {len(changes)} cases) = "
                 f"**{median / sets[0].extraction.cpu_ms_per_page:.1f}×** one extraction", *blank])
    rows.append(["`newswatch run` with nothing to crawl (fixed cost of a run; median of 5)",
                 f"{fixed.seconds:.2f} s ({fixed.cpu_seconds:.2f} s CPU), peak RSS {fixed.max_rss_kib / 1024:.0f} MiB",
                 *blank])
    return markdown(["figure", *(f"N={s.n:,}" for s in sets)], rows)


def targets_table(sets: list[CrawlSet], fixed: ChildRun, daemon: DaemonMemory | None) -> str:
    """Issue 12's targets: each figure of this run, its target, met or not."""
    return markdown(["target (issue 12)", "measured in this run", "target", "verdict"],
                    [[t.name, t.measured, t.target, t.verdict] for t in targets(sets, fixed, daemon)])


def change_table(changes: list[ChangeCost]) -> str:
    return markdown(["change (50,000-char Chinese text)", "chars", "detect+diff+render+event: CPU",
                     "of which detect+diff"],
                    [[c.case, f"{c.chars:,}", f"{c.ms:.0f} ms", f"{c.detect_ms:.0f} ms"] for c in changes])


def _top(entries: list[list[Any]], thread: str, busy: int, count: int, ours: bool = False) -> list[str]:
    """The ``count`` functions with most samples in ``thread`` (entry frames, on every stack, left out)."""
    picked = []
    for name, function, samples in entries:
        if name != thread or samples >= busy * 0.95:
            continue
        code = function.removeprefix("newswatch/")  # the package's path since everything is newswatch.*
        if ours and (not code.startswith(OUR_CODE) or code in ENTRY or code.endswith("<module>")):
            continue
        picked.append(f"`{function}` {samples / busy:.0%}")
        if len(picked) == count:
            break
    return picked


SATURATED = 0.85  # a process (or a set of them) busy that share of its cores' wall time is the bound


def bound(run: ChildRun, workers: int) -> str:
    """What bounds a first crawl, read from its CPU split: the machine's cores, the main process's one
    core (its reactor thread), the workers, or none of them (the crawl waits)."""
    cores, main, others = (seconds / run.seconds for seconds in
                           (run.cpu_seconds, run.own_cpu_seconds, run.others_cpu_seconds))
    machine = os.cpu_count() or 1
    load = f" (1-minute load average at its end {run.load:.1f} on {machine} cores)" if run.load is not None else ""
    if cores >= SATURATED * machine:
        return (f"**Bound: the machine's cores.** The tree kept {cores:.2f} of {machine} cores busy (main process "
                f"{main:.2f}, workers {others:.2f}){load}.")
    if main >= SATURATED:
        return (f"**Bound: the main process, one core.** It was busy {main:.0%} of the wall time (the reactor "
                f"thread: spider parsing, change detection, storage, corpus files, Scrapy), the {workers} workers "
                f"{others / workers:.0%} of theirs{load}.")
    if others >= SATURATED * workers:
        return (f"**Bound: the extraction workers.** The {workers} workers were busy {others / workers:.0%} of the "
                f"wall time, the main process {main:.0%}{load}.")
    if run.load is not None and run.load - cores >= machine / 2:  # other processes wanted the cores
        return (f"**Bound: a shared machine.** Neither process saturated its cores (main process {main:.0%} of "
                f"the wall time, the {workers} workers {others / workers:.0%} of theirs, {cores:.2f} of "
                f"{machine} cores in all), while the 1-minute load average at the end was {run.load:.1f} on "
                f"{machine} cores: other processes held the cores the crawl was ready to use.")
    return (f"**Bound: neither process saturated.** The main process was busy {main:.0%} of the wall time, the "
            f"{workers} workers {others / workers:.0%} of theirs, {cores:.2f} of {machine} cores in all{load}: "
            "the crawl waits (hand-offs between the reactor and the pool, or other work on the machine taking "
            "the cores: see the load average).")


def waiting(data: dict[str, Any], run: ChildRun) -> str:
    """When the sampler saw the reactor thread busy much more often than the main process used a CPU, the
    difference was spent ready to run without a core (the load average) or blocked in a system call (fsync)."""
    ticks = max(int(data["ticks"]), 1)
    sampled = data["threads"].get("MainThread", {}).get("busy", 0) / ticks
    on_cpu = run.own_cpu_seconds / run.seconds
    if sampled - on_cpu < 0.2:
        return ""
    return (f" The sampler saw the reactor thread busy {sampled:.0%} of the wall time, but the main process "
            f"ran on a CPU only {on_cpu:.0%} of it: the rest of that time it was ready to run and waiting for a "
            "core (other processes: the load average), or blocked in a system call it makes (the corpus's "
            "fsync).")


def verdict(data: dict[str, Any], found: CrawlSet) -> str:
    """The bottleneck, named from the figures: the CPU per article of each process, what saturated."""
    run, extraction = found.first.run, found.extraction
    workers = default_workers()
    main, others = (seconds / found.n * 1000 for seconds in (run.own_cpu_seconds, run.others_cpu_seconds))
    ticks = max(int(data["ticks"]), 1)
    busy = ", ".join(f"`{name}` {t['busy'] / ticks:.0%}" for name, t in data["threads"].items()
                     if t["busy"] > 0.02 * ticks)
    excess = others / extraction.cpu_ms_per_page
    why = (": the rest is the workers' start-up and the pages and articles pickled through the pool's pipes"
           if excess > 1.05 else "")
    return (f"{bound(run, workers)}{waiting(data, run)} Each article cost {main:.0f} ms of CPU in the main "
            f"process and {others:.0f} ms in the extraction workers and forkserver ({excess:.2f}× bare "
            f"extraction's {extraction.cpu_ms_per_page:.0f} ms per page{why}). With the main process alone on "
            f"one core, articles/s ≤ 1000 / {main:.0f} = {1000 / main:.0f}; with the workers alone on {workers} "
            f"cores, ≤ {workers} × 1000 / {others:.0f} = {workers * 1000 / others:.0f}; with all of it sharing "
            f"{os.cpu_count()} cores, ≤ {(os.cpu_count() or 1) * 1000 / (main + others):.0f}. The sampler below "
            "sees the main process only (a separate first crawl); its busy share of wall time per thread "
            f"(waiting for the GIL or for a core counts as busy): {busy}.")


def growth(sets: list[CrawlSet]) -> str:
    """How the CPU per article of the first crawl changes from the smallest N to the largest."""
    small, large = sets[0], sets[-1]
    per = [s.first.run.cpu_seconds / s.n * 1000 for s in (small, large)]
    if large is small or abs(per[1] / per[0] - 1) < 0.05:
        return ""
    return (f"CPU per article is not constant: {per[0]:.0f} ms at N={small.n:,}, {per[1]:.0f} ms at "
            f"N={large.n:,} ({per[1] / per[0] - 1:+.0%}), bare extraction unchanged: per-article work that grows "
            "with the articles stored, or a busier machine (see the load average), or both.")


def profile_section(data: dict[str, Any], found: CrawlSet, sets: list[CrawlSet]) -> str:
    ticks = max(int(data["ticks"]), 1)
    lines = [verdict(data, found), *([growth(sets)] if growth(sets) else []), "",
             f"Sampled by `bench/sampler.py` every {data['interval'] * 1000:.0f} ms over {data['seconds']:.0f} s "
             f"(a separate first crawl, N={found.n:,}, SQLite). Shares are of each thread's busy samples."]
    for name, t in data["threads"].items():
        if t["busy"] > 0.02 * ticks:
            lines += ["", f"Thread `{name}`, self time: " + ", ".join(_top(data["self"], name, t["busy"], 12)) + ".",
                      "", f"Thread `{name}`, our code on the stack: "
                      + ", ".join(_top(data["cumulative"], name, t["busy"], 12, ours=True)) + "."]
    return "\n".join(lines)


def results(changes: list[ChangeCost], sets: list[CrawlSet], fixed: ChildRun, notes: list[str],
            load_before: str, daemon: DaemonMemory | None = None, peer: Path | str | None = None) -> str:
    parts = ["# newswatch benchmarks", "", f"Command: `{COMMAND}` (or `make bench`); written by it. "
             "What each figure measures: `bench/README.md`.", "",
             *[f"- {line}" for line in machine(load_before, peer)],
             "", "## Figures", "", table(changes, sets, fixed), "", change_table(changes),
             "", "## Targets", "", "Ratios of figures measured in this run (memory in MB, 10⁶ bytes, as the "
             "targets are stated).", "", targets_table(sets, fixed, daemon)]
    profiled = next((s for s in sets if s.profile is not None), None)
    if profiled is not None and profiled.profile is not None:
        parts += ["", "## Profile of the first crawl", "", profile_section(profiled.profile, profiled, sets)]
    if notes:
        parts += ["", "## Not measured, and caveats", "", *[f"- {note}" for note in notes]]
    return "\n".join(parts) + "\n"
