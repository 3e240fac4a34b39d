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
from bench.figures import ChangeCost
from bench.peer import peer_versions
from bench.targets import targets
from bench.workspace import ChildRun

COMMAND = ".venv/bin/python -m bench"
OUR_CODE = ("crawler/", "monitor/", "storage/")
# on (nearly) every stack: say nothing
ENTRY = ("monitor/cli/main.py:main", "monitor/cli/run.py:run", "monitor/core/run.py:run_once",
         "monitor/core/run.py:_cycle", "monitor/core/run.py:crawl", "crawler/extract.py:extract")


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
    cpu_ms = first.run.cpu_seconds / first.articles * 1000
    cells = [f"{_rate(extraction.per_second)} ({extraction.ms_per_page:.0f} ms/page, {extraction.pages} pages)",
             f"{_rate(library.per_second)} ({library.ms_per_page:.0f} ms/page, {library.pages} pages, "
             f"{library.empty} extracted nothing)",
             f"{_rate(first.per_second)} = **{first.per_second / extraction.per_second:.2f}×** bare extraction, "
             f"**{first.per_second / library.per_second:.2f}×** bare trafilatura",
             f"{cpu_ms:.0f} ms = {cpu_ms / extraction.cpu_ms_per_page:.2f}× bare extraction "
             f"({first.run.cpu_seconds / first.run.seconds:.2f} cores busy)"]
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
    growth = "" if found is smallest else \
        f" = **{first.run.max_rss_kib / smallest.first.run.max_rss_kib:.2f}×** N={smallest.n:,}"
    again_rss = f" (re-check {found.recheck.run.max_rss_kib / 1024:.0f})" if found.recheck else ""
    workers = (f"; with its {first.run.processes - 1} child processes: peak PSS {first.run.tree_pss_kib / 1024:.0f}"
               if first.run.processes > 1 else "")
    cells.append(f"{first.run.max_rss_kib / 1024:.0f}{growth}{again_rss}{workers}")
    return cells


def table(changes: list[ChangeCost], sets: list[CrawlSet], fixed: ChildRun) -> str:
    labels = ["bare extraction (`extract`, 1 process, 1 core): articles/s",
              "bare trafilatura (`trafilatura.extract`, 1 process): pages/s",
              "first crawl, SQLite: articles/s (fetch+extract+store+corpus)", "first crawl: CPU per article",
              "re-check, nothing changed: articles/s",
              "urlwatch first run (`html2text` filter): pages/s", "urlwatch re-check, nothing changed: pages/s",
              "first crawl, PostgreSQL: articles/s",
              "peak RSS of `newswatch run`, first crawl: MiB"]
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
        if ours and (not function.startswith(OUR_CODE) or function in ENTRY or function.endswith("<module>")):
            continue
        picked.append(f"`{function}` {samples / busy:.0%}")
        if len(picked) == count:
            break
    return picked


def verdict(data: dict[str, Any], found: CrawlSet) -> str:
    """The bottleneck, named from the figures: cores used, extraction's share, the rest per article."""
    run, extraction = found.first.run, found.extraction
    cores = run.cpu_seconds / run.seconds
    per_article = run.cpu_seconds / found.n * 1000
    rest = per_article - extraction.cpu_ms_per_page
    ticks = max(int(data["ticks"]), 1)
    busy = ", ".join(f"`{name}` {t['busy'] / ticks:.0%}" for name, t in data["threads"].items()
                     if t["busy"] > 0.02 * ticks)
    return (f"**Bottleneck: one core, shared through the GIL.** The run used {cores:.2f} of {os.cpu_count()} "
            f"cores. Each article cost {per_article:.0f} ms of CPU: extraction {extraction.cpu_ms_per_page:.0f} ms "
            f"(trafilatura, in the single `extract` worker thread) plus {rest:.0f} ms of other work (the reactor "
            "thread: spider parsing, change detection, storage, corpus files, Scrapy). The two threads take "
            f"turns on the GIL, so articles/s ≈ 1000 / {per_article:.0f}. Busy share of wall time (waiting for "
            f"the GIL counts as busy): {busy}.")


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
