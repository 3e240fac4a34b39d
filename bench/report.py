"""The benchmark's output: the machine, the table of figures, the profile's reading, ``bench/RESULTS.md``."""

from __future__ import annotations

import json
import os
import platform
import statistics
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.crawl import CrawlSet
from bench.figures import ChangeCost, Extraction

COMMAND = ".venv/bin/python -m bench   (or: make bench)"
OUR_CODE = ("crawler/", "monitor/", "storage/")


def _proc(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def machine() -> list[str]:
    memory = _proc("/proc/meminfo", "MemTotal")
    gib = f"{int(memory.split()[0]) / 1024 / 1024:.1f} GiB" if memory != "?" else "?"
    packages = ", ".join(f"{name} {version(name)}" for name in ("Scrapy", "trafilatura", "SQLAlchemy", "lxml"))
    return [
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"CPU: {_proc('/proc/cpuinfo', 'model name')}, {os.cpu_count()} cores; RAM {gib}",
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}; {packages}",
    ]


def markdown(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in [header, *rows]]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _rate(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def crawl_cells(found: CrawlSet, extraction: Extraction, smallest: CrawlSet) -> list[str]:
    first = found.first
    cpu_ms = first.run.cpu_seconds / first.articles * 1000
    cells = [f"{_rate(first.per_second)} = **{first.per_second / extraction.per_second:.2f}×** bare extraction",
             f"{cpu_ms:.0f} ms = {cpu_ms / extraction.ms_per_page:.2f}× bare extraction"]
    if found.recheck is not None:
        again = found.recheck
        cells.append(f"{_rate(again.per_second)} = **{again.per_second / first.per_second:.2f}×** first crawl "
                     f"({found.not_modified:,} × 304, {again.articles - found.not_modified:,} × 200)")
    else:
        cells.append("not run (time)")
    if found.postgres is not None:
        cells.append(f"{_rate(found.postgres.per_second)} = **{found.postgres.per_second / first.per_second:.2f}×**"
                     " SQLite")
    else:
        cells.append("not run")
    rss = first.run.max_rss_kib / 1024
    growth = "" if found is smallest else f" = {first.run.max_rss_kib / smallest.first.run.max_rss_kib:.2f}× " \
                                          f"N={smallest.n:,}"
    again_rss = f" (re-check {found.recheck.run.max_rss_kib / 1024:.0f})" if found.recheck else ""
    cells.append(f"{rss:.0f}{growth}{again_rss}")
    return cells


def table(extraction: Extraction, changes: list[ChangeCost], sets: list[CrawlSet]) -> str:
    labels = ["first crawl, SQLite: articles/s (fetch+extract+store+corpus)", "first crawl: CPU per article",
              "re-check, nothing changed: articles/s", "first crawl, PostgreSQL: articles/s",
              "peak RSS of `newswatch run`, first crawl: MiB"]
    columns = [crawl_cells(s, extraction, sets[0]) for s in sets]
    rows = [[label, *(column[i] for column in columns)] for i, label in enumerate(labels)]
    blank = [""] * (len(sets) - 1)
    rows.insert(0, ["bare extraction (`extract`, 1 process, 1 core): articles/s",
                    f"{_rate(extraction.per_second)} ({extraction.ms_per_page:.0f} ms/page, {extraction.pages} pages)",
                    *blank])
    median = statistics.median(c.ms for c in changes)
    rows.append(["change detection per changed article, 50,000 chars: ms",
                 f"{median:.0f} (median of {len(changes)} cases) = **{median / extraction.ms_per_page:.1f}×** "
                 "one extraction", *blank])
    return markdown(["figure", *(f"N={s.n:,}" for s in sets)], rows)


def change_table(changes: list[ChangeCost]) -> str:
    return markdown(["change (50,000-char Chinese text)", "chars", "detect+diff+render+event"],
                    [[c.case, f"{c.chars:,}", f"{c.ms:.0f} ms"] for c in changes])


def _top(entries: list[list[Any]], thread: str, busy: int, count: int, ours: bool = False) -> list[str]:
    picked = []
    for name, function, samples in entries:
        if name != thread or (ours and not function.startswith(OUR_CODE)) or samples >= busy * 0.98:
            continue
        picked.append(f"`{function}` {samples / busy:.0%}")
        if len(picked) == count:
            break
    return picked


def profile_section(profile: Path, found: CrawlSet, extraction: Extraction) -> str:
    data = json.loads(profile.read_text(encoding="utf-8"))
    ticks = max(int(data["ticks"]), 1)
    threads = {name: t for name, t in data["threads"].items() if t["busy"] > 0.02 * ticks}
    first = found.first.run
    extract_s = extraction.seconds / extraction.pages * found.n
    lines = [f"Sampled every {data['interval'] * 1000:.0f} ms over {data['seconds']:.0f} s (N={found.n:,}, SQLite).",
             f"The `newswatch run` process used {first.cpu_seconds:.0f} s of CPU in {first.seconds:.0f} s "
             f"({first.cpu_seconds / first.seconds:.2f} cores); bare extraction of the same pages takes "
             f"{extract_s:.0f} s ({extract_s / first.cpu_seconds:.0%} of that CPU).", "",
             "Busy share of wall time per thread (not waiting in a poll, lock or queue):", ""]
    lines += [f"- {name}: {t['busy'] / ticks:.0%}" for name, t in threads.items()]
    for name, t in threads.items():
        lines += ["", f"Thread `{name}`, self time (share of its busy samples): "
                  + ", ".join(_top(data["self"], name, t["busy"], 10)) + ".",
                  f"Thread `{name}`, our code on the stack: "
                  + ", ".join(_top(data["cumulative"], name, t["busy"], 10, ours=True)) + "."]
    return "\n".join(lines)


def verdict(profile: Path) -> str:
    """The bottleneck, named from the profile: the thread busy the largest share of the time."""
    data = json.loads(profile.read_text(encoding="utf-8"))
    ticks = max(int(data["ticks"]), 1)
    name, busiest = max(data["threads"].items(), key=lambda item: item[1]["busy"])
    return f"`{name}` thread busy {busiest['busy'] / ticks:.0%} of the wall time"


def results(extraction: Extraction, changes: list[ChangeCost], sets: list[CrawlSet], notes: list[str]) -> str:
    parts = ["# newswatch benchmarks", "", f"Command: `{COMMAND}`. Generated by `bench/__main__.py`; "
             "methods in `bench/README.md`.", "", *[f"- {line}" for line in machine()], "", "## Figures", "",
             table(extraction, changes, sets), "", change_table(changes)]
    profiled = next((s for s in sets if s.profile is not None and s.profile.exists()), None)
    if profiled is not None and profiled.profile is not None:
        parts += ["", "## Profile of the first crawl", "", f"Bottleneck: {verdict(profiled.profile)}.", "",
                  profile_section(profiled.profile, profiled, extraction)]
    if notes:
        parts += ["", "## Not measured, and caveats", "", *[f"- {note}" for note in notes]]
    return "\n".join(parts) + "\n"
